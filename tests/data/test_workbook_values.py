"""The fast workbook reader (calamine) reads what openpyxl reads, or leaves the file to openpyxl.

Each test reads a workbook both ways: ``read_input`` as it runs (calamine where
:func:`~analysis.data.workbook_values.open_fast` allows it) and with ``open_fast`` switched off
(openpyxl only, the reader as it was), and compares the tables and findings. Where a test
expects the fast path, it checks that the fast path was taken, so that the comparison is not
openpyxl against itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis import config
from analysis.data import prefill, workbook_values
from analysis.data.intake import read_input
from analysis.data.reading import files
from analysis.data.returns import read_cover

sys.path.insert(0, str(Path(__file__).parent))
from fillin import fill_workbook  # noqa: E402

UNIT = "son_dong"


@pytest.fixture(scope="module")
def demo():
    return read_input(config.DEMO_DATA_DIR)[0].tables


@pytest.fixture(scope="module")
def returned(demo, tmp_path_factory) -> Path:
    """A pre-filled workbook of 2020 filled in from the demo data, as a unit returns it."""
    folder = tmp_path_factory.mktemp("returned")
    blank = prefill.write_unit_workbook(demo, UNIT, 2020, folder / "blank.xlsx")
    return fill_workbook(blank, demo, folder / prefill.file_name(UNIT, 2020))


def _slow(path: Path, monkeypatch) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(workbook_values, "open_fast", lambda p: None)
        return read_input(path), read_cover(path)


def _fast(path: Path) -> tuple:
    return read_input(path), read_cover(path)


def _same(fast: tuple, slow: tuple) -> None:
    (data_f, found_f), cover_f = fast
    (data_s, found_s), cover_s = slow
    assert found_f == found_s
    assert cover_f == cover_s
    for name, frame in data_s.tables.items():
        pd.testing.assert_frame_equal(data_f.tables[name], frame, check_exact=True)


def _rows(path: Path) -> dict[str, list[tuple]]:
    """openpyxl's rows of every sheet, trailing empty cells and rows dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    out = {}
    for ws in wb.worksheets:
        ws.reset_dimensions()
        out[ws.title] = _trim(ws.iter_rows(values_only=True))
    wb.close()
    return out


def _trim(rows) -> list[tuple]:
    out = []
    for r in rows:
        r = tuple(r)
        while r and r[-1] is None:
            r = r[:-1]
        out.append(r)
    while out and not out[-1]:
        out.pop()
    return out


def _fast_rows(path: Path) -> dict[str, list[tuple]]:
    book = workbook_values.open_fast(path)
    assert book is not None, "the fast reader refused the workbook"
    try:
        return {t: _trim(book.rows(t)) for t in book.titles}
    finally:
        book.close()


def _typed(rows: dict[str, list[tuple]]) -> dict[str, list[list[tuple[type, object]]]]:
    return {t: [[(type(v), v) for v in r] for r in rs] for t, rs in rows.items()}


def _edit_part(path: Path, out: Path, member: str, edit) -> Path:
    """Copy a workbook, changing the bytes of one member."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, edit(data) if info.filename == member else data)
    return out


def _sheet_member(path: Path, title: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb[title]._worksheet_path.lstrip("/")
    finally:
        wb.close()


# --- a returned workbook ------------------------------------------------------------------------
def test_returned_workbook_same_cells_both_ways(returned):
    fast = _fast_rows(returned)
    slow = _rows(returned)
    assert list(fast) == list(slow)
    assert _typed(fast) == _typed(slow)  # ints stay ints, None stays None, text is raw
    # a whole number typed by the unit is an int, as openpyxl reads it
    tccsd = fast["TCCSĐ"]
    assert tccsd[2][0] == 2020 and type(tccsd[2][0]) is int
    # the escaped «_» of a pre-filled code comes back raw, for the reader to undo
    assert any("son_dong_my_x005f_xa_01" in r for r in fast["Thôn"])


def test_returned_workbook_same_tables_and_findings(returned, monkeypatch):
    fast = _fast(returned)
    assert fast[1] is not None and fast[1].unit_code == UNIT
    _same(fast, _slow(returned, monkeypatch))
    assert "son_dong_my_xa_01" in set(fast[0][0].tables["villages"]["village_code"])


def test_returned_workbook_errors_name_the_same_rows(returned, tmp_path, monkeypatch):
    wb = openpyxl.load_workbook(returned)
    ws = wb["TCCSĐ"]
    header = [c.value for c in ws[2]]
    ws.cell(3 + 4, header.index("members_total") + 1, value=-5)   # Excel row 7
    ws.cell(3 + 9, header.index("members_total") + 1, value=2.5)  # Excel row 12
    wb["Thôn"].cell(40, 1, value="  ")                            # a blank cell far down
    path = tmp_path / returned.name
    wb.save(path)
    assert workbook_values.open_fast(path) is not None
    fast = _fast(path)
    _same(fast, _slow(path, monkeypatch))
    rows = {(f.rule, f.row) for f in fast[0][1] if f.sheet == "TCCSĐ"}
    assert {("negative", 7), ("not_integer", 12)} <= rows


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_saved_workbook_same_both_ways(returned, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(returned, src)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/prof",
                    "--convert-to", "xlsx", "--outdir", str(out), str(src / returned.name)],
                   check=True, timeout=300, capture_output=True)
    path = out / returned.name
    with zipfile.ZipFile(path) as zf:  # LibreOffice writes shared strings, not inline ones
        assert "xl/sharedStrings.xml" in zf.namelist()
    assert _typed(_fast_rows(path)) == _typed(_rows(path))
    fast = _fast(path)
    _same(fast, _slow(path, monkeypatch))
    assert [f for f in fast[0][1] if f.is_error] == []


# --- what is left to openpyxl -------------------------------------------------------------------
def test_percent_cell_is_read_by_openpyxl_and_refused(returned, tmp_path, monkeypatch):
    wb = openpyxl.load_workbook(returned)
    ws = wb["TCCSĐ"]
    j = [c.value for c in ws[2]].index("members_total") + 1
    ws.cell(5, j, value=0.945).number_format = "0.0%"
    path = tmp_path / returned.name
    wb.save(path)
    assert workbook_values.open_fast(path) is None  # a percent style: openpyxl reads it
    (data, findings), _ = _fast(path)
    found = [f for f in findings if f.rule == "percent_in_count"]
    assert [(f.sheet, f.row, f.value) for f in found] == [("TCCSĐ", 5, "94,5%")]
    _same(_fast(path), _slow(path, monkeypatch))


@pytest.mark.parametrize("code, plain", [
    ("General", True), ("0", True), ("#,##0", True), ("@", True), ('#,##0" người"', True),
    ("0.00E+00", True), ("[Red]#,##0;-#,##0", True),
    ("0%", False), ("0.0%", False), ("dd/mm/yyyy", False), ("h:mm", False), ("[h]", False),
    ('"Ngày" d', False), ("mmm", False),
])
def test_plain_number_formats(code, plain):
    assert workbook_values.plain_number_format(code) is plain


def _book_with(tmp_path: Path, name: str, fill) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "TCCSĐ"
    fill(ws)
    path = tmp_path / name
    wb.save(path)
    return path


def _org_sheet(ws, values: dict[str, object], first_row: int = 1, first_col: int = 1) -> None:
    """A TCCSĐ table from ``first_row`` and ``first_col`` (empty cells above and left), one
    data row of ``values``."""
    cols = ["year", "reporting_unit", "commune_code", "org_code", "org_type", "members_total"]
    for j, name in enumerate(cols, start=first_col):
        ws.cell(first_row, j, value=name)
    row = {"year": 2020, "reporting_unit": "son_dong", "commune_code": "son_dong_an_chau",
           "org_code": "son_dong_an_chau_db", "org_type": "dang_bo_xa", "members_total": 10}
    row.update(values)
    for j, name in enumerate(cols, start=first_col):
        ws.cell(first_row + 1, j, value=row[name])


def test_leading_empty_rows_and_columns_keep_excel_positions(tmp_path, monkeypatch):
    path = _book_with(tmp_path, "late.xlsx", lambda ws: _org_sheet(
        ws, {"members_total": -3}, first_row=4, first_col=3))
    assert workbook_values.open_fast(path) is not None
    fast = _fast_rows(path)
    assert fast["TCCSĐ"][:3] == [(), (), ()]
    assert fast["TCCSĐ"][3][:3] == (None, None, "year")  # the table starts in column C
    (data, findings), _ = _fast(path)
    assert list(data.tables["organizations"]["_row"]) == [5]
    neg = [f for f in findings if f.rule == "negative"]
    assert [(f.row, f.column) for f in neg] == [(5, "members_total")]
    _same(_fast(path), _slow(path, monkeypatch))


def test_hidden_sheet_still_reported(tmp_path, monkeypatch):
    def fill(ws):
        _org_sheet(ws, {})
        ws.sheet_state = "hidden"
        ws.parent.create_sheet("Ghi chú")["A1"] = "x"
    path = _book_with(tmp_path, "hidden.xlsx", fill)
    book = workbook_values.open_fast(path)
    assert book is not None and book.hidden("TCCSĐ") and not book.hidden("Ghi chú")
    book.close()
    (_, findings), _ = _fast(path)
    assert [f.sheet for f in findings if f.rule == "hidden_sheet"] == ["TCCSĐ"]
    _same(_fast(path), _slow(path, monkeypatch))


def test_uncached_formula_left_to_openpyxl(tmp_path, monkeypatch):
    path = _book_with(tmp_path, "formula.xlsx",
                      lambda ws: _org_sheet(ws, {"members_total": "=2+3"}))
    book = workbook_values.open_fast(path)
    with pytest.raises(workbook_values.NeedOpenpyxl):
        book.rows("TCCSĐ")
    book.close()
    (_, findings), _ = _fast(path)
    f = [f for f in findings if f.rule == "formula_no_value"]
    assert [(f.row, f.column) for f in f] == [(2, "members_total")]
    _same(_fast(path), _slow(path, monkeypatch))


@pytest.mark.parametrize("cell, xml", [
    ("error", b'<c r="F2" t="e"><v>#DIV/0!</v></c>'),
    ("whole float", b'<c r="F2"><v>10.0</v></c>'),
    ("exponent", b'<c r="F2"><v>1E+1</v></c>'),
    ("16 digits", b'<c r="F2"><v>1234567890123456</v></c>'),
    ("spaces not preserved", b'<c r="F2" t="inlineStr"><is><t> 10 </t></is></c>'),
    ("empty text", b'<c r="F2" t="inlineStr"><is><t></t></is></c>'),
    ("ISO date", b'<c r="F2" t="d"><v>2020-01-02</v></c>'),
])
def test_cells_calamine_reads_otherwise_are_left_to_openpyxl(tmp_path, monkeypatch, cell, xml):
    path = _book_with(tmp_path, "base.xlsx", lambda ws: _org_sheet(ws, {}))
    member = _sheet_member(path, "TCCSĐ")
    edited = _edit_part(path, tmp_path / "edited.xlsx", member,
                        lambda d: d.replace(b'<c r="F2" t="n"><v>10</v></c>', xml))
    book = workbook_values.open_fast(edited)
    assert book is not None
    with pytest.raises(workbook_values.NeedOpenpyxl):
        book.rows("TCCSĐ")
    book.close()
    _same(_fast(edited), _slow(edited, monkeypatch))


def test_escapes_read_raw_in_inline_and_shared_strings(tmp_path, monkeypatch):
    # openpyxl: inline text raw; a shared string with every «x005F_» taken out
    texts = ["_x000D_", "a_x005f_xa_b", "b_x005F_x0041_", "_x00e9_", "c\nd", "  e "]
    path = _book_with(tmp_path, "esc.xlsx",
                      lambda ws: [ws.cell(i, 1, value=t) for i, t in enumerate(texts, 1)])
    assert [r[0] for r in _fast_rows(path)["TCCSĐ"]] == texts
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org'
           '/spreadsheetml/2006/main">' + "".join(
               f'<si><t xml:space="preserve">{t}</t></si>' for t in texts)
           + '<si><r><t>x005</t></r><r><t xml:space="preserve">F_ f</t></r></si></sst>')
    member = _sheet_member(path, "TCCSĐ")

    def shared(d: bytes) -> bytes:
        for i, t in enumerate(texts):
            d = d.replace(f'<c r="A{i + 1}" t="inlineStr"><is><t>{t}</t></is></c>'.encode(),
                          f'<c r="A{i + 1}" t="s"><v>{i}</v></c>'.encode())
            d = d.replace(f'<c r="A{i + 1}" t="inlineStr"><is><t xml:space="preserve">{t}</t>'
                          f'</is></c>'.encode(), f'<c r="A{i + 1}" t="s"><v>{i}</v></c>'.encode())
        return d.replace(b"</sheetData>",
                         b'<row r="9"><c r="A9" t="s"><v>6</v></c></row></sheetData>')

    step = _edit_part(path, tmp_path / "step.xlsx", member, shared)
    with zipfile.ZipFile(step) as zin, zipfile.ZipFile(tmp_path / "shared.xlsx", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                    b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"'
                    b'/></Relationships>'))
            zout.writestr(info, data)
        zout.writestr("xl/sharedStrings.xml", sst)
    shared_path = tmp_path / "shared.xlsx"
    expected = ["_x000D_", "a_x005f_xa_b", "b_x0041_", "_x00e9_", "c\nd", "  e "]
    assert [r[0] if r else None for r in _rows(shared_path)["TCCSĐ"]] == [
        *expected, None, None, " f"]
    assert _typed(_fast_rows(shared_path)) == _typed(_rows(shared_path))
    _same(_fast(shared_path), _slow(shared_path, monkeypatch))


def test_far_away_cell_left_to_openpyxl(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_values, "DENSE_CELLS_MAX", 10_000)

    def fill(ws):
        _org_sheet(ws, {})
        ws["ZZ500"] = "lạc"  # 500 rows × 702 columns from A1
    path = _book_with(tmp_path, "far.xlsx", fill)
    book = workbook_values.open_fast(path)
    with pytest.raises(workbook_values.NeedOpenpyxl, match="500 rows × 702 columns"):
        book.rows("TCCSĐ")
    book.close()
    _same(_fast(path), _slow(path, monkeypatch))


def test_not_a_workbook_is_left_to_openpyxl(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert workbook_values.open_fast(bad) is None
    (_, findings), _ = _fast(bad)
    assert [f.rule for f in findings] == ["corrupt_file"]


def test_reader_uses_the_fast_path_for_returned_workbooks(returned, monkeypatch):
    calls = []
    real = files.workbook_sheet
    monkeypatch.setattr(files, "workbook_sheet", lambda *a: calls.append(a) or real(*a))
    read_input(returned)
    assert calls == []  # openpyxl's sheet reader never ran
