"""Smaller traps (issue 14, class 7): codes a spreadsheet application would change on re-save
(``_x`` + hex digits + ``_``), formula-like codes that must be refused and only refused, a
compressed archive given as data, and over-long CSV cells that must cost their line at most.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING

from .build import LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
ORGS = "organizations.csv"
MISMATCH = frozenset({"summary_detail_mismatch"})
#: Codes that hold an OOXML escape: «_x000d_» is a CR to Excel, «_xa_» a LF to LibreOffice.
ESCAPE_LIKE = ("viet_yen_x000d_01", "viet_yen_t_xa_02")


def _recode(inp: Input) -> list[int]:
    """Give two 2020 TCCSĐ the codes of :data:`ESCAPE_LIKE`; returns their rows."""
    rows = [i for i, r in enumerate(inp.rows["organizations"]) if r["year"] == "2020"][3:5]
    for i, code in zip(rows, ESCAPE_LIKE, strict=True):
        inp.rows["organizations"][i]["org_code"] = code
    return rows


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                       if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml")


# --- codes and re-saving ----------------------------------------------------------------------
@CASES.add("escape_like_codes_through_the_template_writer")
def _(inp: Input, tmp: Path) -> Built:
    """The suite writes the slice into its template (as ``prefill`` and ``template`` do): the
    «_» of each escape-like code is written escaped («_x005f_»), so Excel and LibreOffice
    show and keep the code; read back, the codes are intact."""
    from analysis.data.template import write_workbook
    from analysis.data.validate import validate_input

    _recode(inp)
    typed = validate_input(inp.csv_folder(tmp / "csv")).data.tables
    path = write_workbook(typed, tmp / "mau.xlsx")
    xml = _sheet_xml(path)
    assert "viet_yen_x005f_x000d_01" in xml and "viet_yen_t_x005f_xa_02" in xml
    assert "viet_yen_x000d_01" not in xml.replace("_x005f_x000d_", "")
    return Built(path, [], numbers=inp)


@CASES.add("escape_like_codes_as_excel_saves_them")
def _(inp: Input, tmp: Path) -> Built:
    """A code typed as «viet_yen_x000d_01» in Excel is saved as «viet_yen_x005F_x000d_01»
    (upper-case F): that is what the reader sees, and it gives the code back."""
    rows = _recode(inp)
    for i in rows:
        code = inp.rows["organizations"][i]["org_code"]
        k = code.index("_x")
        inp.cells[("organizations", i, "org_code")] = code[:k] + "_x005F" + code[k:]
    path = inp.xlsx(tmp / "so_lieu.xlsx")
    assert "viet_yen_x005F_x000d_01" in _sheet_xml(path)
    return Built(path, [], numbers=inp)


@CASES.add("formula_like_codes_refused_and_only_refused")
def _(inp: Input, tmp: Path) -> Built:
    """«+VIET_YEN_T1» and «@SUM(VIET_YEN)» are formulas to a spreadsheet and upper case: one
    error each (not a code), and no «upper-case code» warning on top."""
    i, k = 8, 9
    inp.cells[("organizations", i, "org_code")] = "+VIET_YEN_T1"
    inp.cells[("organizations", k, "org_code")] = "@SUM(VIET_YEN)"
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "code_invalid", ORGS, "organizations", inp.excel_row(i), "org_code",
               "Mã «+VIET_YEN_T1» không hợp lệ"),
        Expect(ERROR, "code_invalid", ORGS, "organizations", inp.excel_row(k), "org_code",
               "Mã «@SUM(VIET_YEN)» không hợp lệ"),
    ], allow=frozenset({"required_empty", *MISMATCH}))


@CASES.add("formula_in_a_commune_code_no_follow_on_warning")
def _(inp: Input, tmp: Path) -> Built:
    """«=HYPERLINK(…)» as the commune of a commune TCCSĐ: the code is refused, and the row is
    not also told that its commune code is missing (it was given, and refused)."""
    i = inp.first("organizations", lambda r: r["org_type"] == "xa")
    link = '=HYPERLINK("http://example.com","Xã")'
    inp.cells[("organizations", i, "commune_code")] = link
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "code_invalid", ORGS, "organizations", inp.excel_row(i), "commune_code",
        f"Mã «{link}» không hợp lệ")], allow=MISMATCH, numbers=inp)


# --- archives ---------------------------------------------------------------------------------
@CASES.add("zip_given_instead_of_the_workbook")
def _(inp: Input, tmp: Path) -> Built:
    book = inp.xlsx(tmp / "so_lieu.xlsx")
    path = tmp / "so_lieu.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(book, "so_lieu.xlsx")
    return Built(path, [Expect(
        ERROR, "archive_file", "so_lieu.zip", "", None, "",
        "Tệp «so_lieu.zip» là tệp nén ZIP (chứa «so_lieu.xlsx»), không phải bảng tính. Hãy giải "
        "nén, rồi chỉ đường dẫn tới tệp .xlsx hoặc thư mục các tệp .csv bên trong (không cần "
        "lưu lại bằng Excel).")])


@CASES.add("zip_of_csv_files_renamed_xlsx")
def _(inp: Input, tmp: Path) -> Built:
    folder = inp.csv_folder(tmp / "csv")
    path = tmp / "so_lieu.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"so_lieu/{p.name}")
    return Built(path, [Expect(
        ERROR, "archive_file", "so_lieu.xlsx", "", None, "",
        "Tệp «so_lieu.xlsx» không phải bảng tính Excel mà là một tệp nén (.zip) bị đổi đuôi "
        "(chứa «so_lieu/crosswalk.csv», «so_lieu/organizations.csv», «so_lieu/unit_summary.csv»,"
        " «so_lieu/units.csv»). Hãy đổi đuôi tệp thành .zip, giải nén")])


@CASES.add("zip_beside_the_csv_files")
def _(inp: Input, tmp: Path) -> Built:
    """Last year's files, zipped, left in the data folder: named, not read; the rest exact."""
    folder = inp.csv_folder(tmp / "csv")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("organizations.csv", (folder / ORGS).read_bytes())
    (folder / "nam_truoc.zip").write_bytes(buf.getvalue())
    return Built(folder, [Expect(
        WARNING, "file_ignored", "nam_truoc.zip", "", None, "",
        "Tệp «nam_truoc.zip» là tệp nén ZIP nên không được đọc. Nếu trong đó có số liệu, hãy "
        "giải nén vào thư mục này")], numbers=inp)


# --- long cells -------------------------------------------------------------------------------
def _notes(inp: Input) -> None:
    inp.header["organizations"].append("ghi_chu")
    for r in inp.rows["organizations"]:
        r["ghi_chu"] = ""


UNKNOWN_NOTES = Expect(WARNING, "unknown_column", ORGS, "organizations", 1, "ghi_chu",
                       "Cột «ghi_chu» không có trong mẫu, bỏ qua.")


@CASES.add("csv_with_a_200000_character_note")
def _(inp: Input, tmp: Path) -> Built:
    """A note of 200,000 characters (over ``csv``'s default limit of 131,072) in row 32: the
    file is read to its end, every number exact."""
    _notes(inp)
    inp.rows["organizations"][30]["ghi_chu"] = "Ghi chú dài. " * 15_385  # 200,005 characters
    assert len(inp.rows["organizations"][30]["ghi_chu"]) > 200_000
    return Built(inp.csv_folder(tmp / "csv"), [UNKNOWN_NOTES], numbers=inp)


@CASES.add("csv_with_two_overlong_lines_in_the_middle")
def _(inp: Input, tmp: Path) -> Built:
    """Two cells of 1,100,000 characters (over the reader's limit) in rows 22 and 52: those two
    lines are refused in one error, every other row is read."""
    _notes(inp)
    lost = [20, 50]
    for i in lost:
        inp.rows["organizations"][i]["ghi_chu"] = "x" * 1_100_000
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "corrupt_file", ORGS, "organizations", inp.excel_row(lost[0]), "",
               "Tệp «organizations.csv» có 2 dòng không đọc được (dòng 22, 52: có một ô dài "
               "quá 1.048.576 ký tự); các dòng này bị bỏ qua, các dòng khác vẫn được đọc."),
        UNKNOWN_NOTES], allow=MISMATCH)


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", CASES.ids())
def test_smaller_case(case_id, tmp_path):
    import csv

    limit = csv.field_size_limit()
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    assert csv.field_size_limit() == limit  # the reader leaves the csv module as it was
    if case_id.startswith("escape_like"):
        codes = set(result.data.tables["organizations"]["org_code"])
        assert set(ESCAPE_LIKE) <= codes
    if case_id == "formula_like_codes_refused_and_only_refused":
        assert not [f for f in result.findings if f.rule == "code_uppercase"]
    if case_id == "csv_with_two_overlong_lines_in_the_middle":
        inp = Input(LIGHT)
        orgs = result.data.tables["organizations"]
        assert len(orgs) == len(inp.rows["organizations"]) - 2
        assert sorted(orgs["_row"]) == [inp.excel_row(i) for i in
                                        range(len(inp.rows["organizations"])) if i not in (20, 50)]
        # the other rows' numbers: counted by hand without the two lost rows
        for year in ("2019", "2020"):
            expected = sum(int(r["members_total"]) for i, r in enumerate(inp.rows["organizations"])
                           if r["year"] == year and i not in (20, 50))
            s = result.summary.set_index(["unit_code", "year"]).loc[("viet_yen", int(year))]
            assert int(s["members_total"]) == expected, year
    if case_id.startswith("zip_") and case_id != "zip_beside_the_csv_files":
        assert not any(len(t) for t in result.data.tables.values())
