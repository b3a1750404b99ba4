"""Text as it arrives: CSV in Windows-1258 or UTF-16 (as Excel exports), NFD-decomposed
Vietnamese, another tone-mark placement (hoà / hòa, Uỷ / Ủy), trailing spaces, invisible
characters, upper-case codes, quoted line breaks and formulas typed into a CSV."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING
from tests.data.encodings import cp1258_bytes

from .build import ALL, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
ORGS = "organizations.csv"


def _names(inp: Input) -> list[str]:
    return [r["name"] for r in inp.rows["units"]]


@CASES.add("csv_cp1258")
def _(inp: Input, tmp: Path) -> Built:
    return Built(inp.csv_folder(tmp / "csv", encode=cp1258_bytes), [
        Expect(WARNING, "encoding_cp1258", "units.csv", "", None, "",
               "không ở dạng UTF-8; đã đọc theo bảng mã Windows tiếng Việt (cp1258)")],
        numbers=inp)


@CASES.add("csv_utf16_tab_excel_unicode_text")
def _(inp: Input, tmp: Path) -> Built:
    return Built(inp.csv_folder(tmp / "csv", encoding="utf-16", delimiter="\t"), [],
                 numbers=inp)


@CASES.add("csv_utf8_bom_semicolon")
def _(inp: Input, tmp: Path) -> Built:
    return Built(inp.csv_folder(tmp / "csv", encoding="utf-8-sig", delimiter=";"), [],
                 numbers=inp)


@CASES.add("csv_invalid_bytes")
def _(inp: Input, tmp: Path) -> Built:
    """0x81 is neither UTF-8 nor Windows-1258: the file is read with «�» and an error."""
    folder = inp.csv_folder(tmp / "csv")
    path = folder / "units.csv"
    path.write_bytes(path.read_bytes().replace("Tỉnh".encode(), b"T\x81nh", 1))
    return Built(folder, [Expect(ERROR, "encoding_unknown", "units.csv", "", None, "",
                                 "không ở bảng mã UTF-8 hay Windows tiếng Việt")])


@CASES.add("nfd_everywhere")
def _(inp: Input, tmp: Path) -> Built:
    return Built(inp.csv_folder(tmp / "csv", text=lambda t: unicodedata.normalize("NFD", t)),
                 [], numbers=inp)


@CASES.add("vietnamese_headers_and_labels_nfd")
def _(inp: Input, tmp: Path) -> Built:
    """Headers and enum values as Vietnamese labels, decomposed and in upper case."""
    from analysis.data import schema

    labels = {e["code"]: e["label_vi"] for e in schema.vocabularies()["org_rating"].entries}
    for i, r in enumerate(inp.rows["organizations"]):
        inp.cells[("organizations", i, "rating")] = unicodedata.normalize(
            "NFD", labels[r["rating"]].upper())
    folder = inp.csv_folder(tmp / "csv")
    path = folder / ORGS
    lines = path.read_text(encoding="utf-8").split("\r\n")
    headers = [unicodedata.normalize("NFD", h) for h in inp.headers_vi("organizations")]
    lines[0] = ",".join(f'"{h}"' for h in headers)
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return Built(folder, [], numbers=inp)


@CASES.add("tone_placement_hoa_uy", tables=ALL)
def _(inp: Input, tmp: Path) -> Built:
    """«Chủ tịch Uỷ ban MTTQ» (old placement) for chu_tich_mttq, «hoà» in unit names."""
    for i, r in enumerate(inp.rows["officials"]):
        if r["position"] == "chu_tich_mttq":
            inp.cells[("officials", i, "position")] = "Chủ tịch Uỷ ban MTTQ"
    for r in inp.rows["units"]:
        r["name"] = r["name"].replace("òa", "oà").replace("ủy", "uỷ")
    return Built(inp.csv_folder(tmp / "csv"), [], numbers=inp)


@CASES.add("codes_with_spaces_and_invisible_characters")
def _(inp: Input, tmp: Path) -> Built:
    for i, r in enumerate(inp.rows["organizations"]):
        inp.cells[("organizations", i, "reporting_unit")] = (
            f"  {r['reporting_unit']} " if i % 2 else f"{r['reporting_unit']}\u200b")
        inp.cells[("organizations", i, "rating")] = f"{r['rating']}\u00a0"
    return Built(inp.csv_folder(tmp / "csv"), [], numbers=inp)


@CASES.add("codes_in_upper_case", tables=ALL)
def _(inp: Input, tmp: Path) -> Built:
    for i, r in enumerate(inp.rows["villages"]):
        inp.cells[("villages", i, "commune_code")] = r["commune_code"].upper()
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        WARNING, "code_uppercase", "villages.csv", "villages", 2, "commune_code",
        "Mã viết hoa, đã chuyển thành chữ thường (ví dụ «VIET_YEN_")], numbers=inp)


@CASES.add("quoted_line_break_in_name")
def _(inp: Input, tmp: Path) -> Built:
    i = inp.index("units", code="viet_yen")
    inp.cells[("units", i, "name")] = "Huyện\nViệt Yên"
    return Built(inp.csv_folder(tmp / "csv"), [], numbers=inp)


@CASES.add("formula_typed_in_csv")
def _(inp: Input, tmp: Path) -> Built:
    i = 20
    inp.cells[("organizations", i, "admissions")] = "=SUM(A1:A3)"
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "not_a_number", ORGS, "organizations", inp.excel_row(i), "admissions",
        "«=SUM(A1:A3)» không phải là số; cột này cần một số nguyên.")],
        allow=frozenset({"summary_detail_mismatch"}))


@CASES.add("ragged_rows_and_old_mac_line_ends")
def _(inp: Input, tmp: Path) -> Built:
    """Rows cut after their last filled cell, lines ending in a bare CR."""
    def cut(text: str) -> str:
        return "\r".join(line.rstrip(",") for line in text.split("\r\n"))
    return Built(inp.csv_folder(tmp / "csv", text=cut), [], numbers=inp)


@pytest.mark.parametrize("case_id", CASES.ids())
def test_text_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    names = result.data.tables["units"]["name"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names.dropna())
    if case_id in ("csv_cp1258", "nfd_everywhere", "csv_utf16_tab_excel_unicode_text"):
        assert names.tolist() == _names(Input(LIGHT))
    if case_id == "csv_invalid_bytes":
        assert names.iat[0] == "T\ufffdnh Bắc Giang"
    if case_id == "tone_placement_hoa_uy":
        off = result.data.tables["officials"]
        assert (off["position"] == "chu_tich_mttq").sum() == sum(
            r["position"] == "chu_tich_mttq" for r in Input().rows["officials"])
    if case_id == "quoted_line_break_in_name":
        assert names[result.data.tables["units"]["code"] == "viet_yen"].tolist() == [
            "Huyện Việt Yên"]
