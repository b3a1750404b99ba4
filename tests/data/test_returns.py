"""A folder of returned workbooks: read back, and the findings only several files can have."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import config
from analysis.data import prefill
from analysis.data.intake import read_input
from analysis.run.findings_files import write_unit_findings

sys.path.insert(0, str(Path(__file__).parent))
from fillin import fill_workbook  # noqa: E402

UNITS = ("son_dong", "cong_an", "yen_dung")


@pytest.fixture(scope="module")
def demo():
    return read_input(config.DEMO_DATA_DIR)[0].tables


@pytest.fixture(scope="module")
def blank(demo, tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank")
    return {u: prefill.write_unit_workbook(demo, u, 2020, folder / prefill.file_name(u, 2020))
            for u in UNITS}


@pytest.fixture(scope="module")
def filled(demo, blank, tmp_path_factory):
    folder = tmp_path_factory.mktemp("filled")
    for p in blank.values():
        fill_workbook(p, demo, folder / p.name)
    return folder


@pytest.fixture
def returns(filled, tmp_path):
    out = tmp_path / "returns"
    shutil.copytree(filled, out)
    return out


def only(findings, rule):
    found = [f for f in findings if f.rule == rule]
    assert len(found) == 1, (rule, [(f.rule, f.message) for f in findings][:10])
    return found[0]


def test_filled_folder_reads_back_with_zero_findings(filled, demo):
    data, findings = read_input(filled)
    assert findings == []
    orgs = data.tables["organizations"]
    demo_orgs = demo["organizations"]
    expected = demo_orgs[(demo_orgs["year"] == 2020) & demo_orgs["reporting_unit"].isin(UNITS)]
    assert len(orgs) == len(expected)
    summary = data.tables["unit_summary"]  # cong_an reports only its summary row in 2020
    assert set(summary["_file"]) == {"2020_cong_an.xlsx"}
    assert set(orgs["_file"]) | set(summary["_file"]) == {
        prefill.file_name(u, 2020) for u in UNITS}
    one = orgs[orgs["org_code"] == "son_dong_an_minh_db"].iloc[0]
    assert (one["_file"], one["_sheet"]) == ("2020_son_dong.xlsx", "TCCSĐ")
    ref = expected[expected["org_code"] == "son_dong_an_minh_db"].iloc[0]
    assert one["members_total"] == ref["members_total"] and one["rating"] == ref["rating"]
    assert data.files == sorted(prefill.file_name(u, 2020) for u in UNITS)
    assert "son_dong_my_xa_01" in set(data.tables["villages"]["village_code"])  # unescaped
    # the units table: the province, the units and their subtrees, each once
    assert data.tables["units"]["code"].is_unique


def test_same_unit_year_in_two_files(returns):
    shutil.copy(returns / "2020_son_dong.xlsx", returns / "2020_son_dong_sua.xlsx")
    _, findings = read_input(returns)
    f = only(findings, "return_duplicate_unit_year")
    assert f.severity == "error"
    assert (f.file, f.sheet, f.row, f.column) == ("2020_son_dong_sua.xlsx", "Thông tin", None, "")
    assert "«2020_son_dong_sua.xlsx»" in f.message and "«2020_son_dong.xlsx»" in f.message
    assert "son_dong" in f.message and "2020" in f.message
    assert "return_duplicate_row" not in {x.rule for x in findings}  # its rows are not read


def test_rows_of_another_unit(returns):
    path = returns / "2020_son_dong.xlsx"
    wb = load_workbook(path)
    ws = wb["TCCSĐ"]
    codes = [c.value for c in ws[2]]
    r = next(r for r in range(3, ws.max_row + 2) if ws.cell(r, 2).value is None)
    row = {"year": 2020, "org_code": "yen_dung_t999", "reporting_unit": "yen_dung",
           "org_type": "Cơ quan hành chính", "org_form": "Chi bộ cơ sở",
           "rating": "Hoàn thành tốt nhiệm vụ"}
    for name, v in row.items():
        ws.cell(r, codes.index(name) + 1, value=v)
    wb.save(path)
    _, findings = read_input(returns)
    f = only(findings, "return_foreign_rows")
    assert (f.file, f.sheet, f.row, f.column, f.value) == (
        "2020_son_dong.xlsx", "TCCSĐ", r, "Mã đảng bộ trực thuộc Tỉnh ủy", "yen_dung")
    assert "«yen_dung»" in f.message and "«son_dong»" in f.message
    assert f.unit_code == "son_dong"


def _set_cover(path, label, value):
    wb = load_workbook(path)
    ws = wb["Thông tin"]
    r = next(r for r in range(1, 12) if ws.cell(r, 1).value == label)
    ws.cell(r, 2, value=value)
    wb.save(path)


def test_older_template_read_when_columns_allow(returns):
    _set_cover(returns / "2020_cong_an.xlsx", "Phiên bản mẫu", "mau-0-000000000000")
    data, findings = read_input(returns)
    f = only(findings, "return_old_template")
    assert (f.severity, f.file, f.sheet, f.row, f.column) == (
        "warning", "2020_cong_an.xlsx", "Thông tin", None, "")
    assert "mau-0-000000000000" in f.message and "vẫn đọc được" in f.message
    assert (data.tables["unit_summary"]["_file"] == "2020_cong_an.xlsx").any() or len(
        data.tables["organizations"]) > 0


def test_older_template_missing_a_column_says_what_to_do(returns):
    path = returns / "2020_son_dong.xlsx"
    _set_cover(path, "Phiên bản mẫu", "mau-0-000000000000")
    wb = load_workbook(path)
    ws = wb["TCCSĐ"]
    j = [c.value for c in ws[2]].index("admissions") + 1
    ws.delete_cols(j)
    wb.save(path)
    _, findings = read_input(returns)
    f = only(findings, "return_old_template")
    assert (f.severity, f.file, f.sheet, f.row, f.column) == (
        "error", "2020_son_dong.xlsx", "Thông tin", None, "")
    assert "python -m analysis template --unit son_dong --year 2020" in f.message
    assert "«Số kết nạp»" in f.message


def test_prefilled_code_changed(returns):
    path = returns / "2020_son_dong.xlsx"
    wb = load_workbook(path)
    ws = wb["TCCSĐ"]
    j = [c.value for c in ws[2]].index("org_code") + 1
    old = ws.cell(5, j).value
    ws.cell(5, j, value="son_dong_ma_moi")
    wb.save(path)
    _, findings = read_input(returns)
    f = only(findings, "return_code_changed")
    assert (f.severity, f.file, f.sheet, f.row, f.column, f.value) == (
        "error", "2020_son_dong.xlsx", "TCCSĐ", 5, "Mã TCCSĐ", "son_dong_ma_moi")
    assert f"«{old}»" in f.message and "«son_dong_ma_moi»" in f.message


def test_prefilled_row_deleted(returns):
    path = returns / "2020_son_dong.xlsx"
    wb = load_workbook(path)
    ws = wb["Thôn"]
    j = [c.value for c in ws[2]].index("village_code") + 1
    gone = ws.cell(4, j).value
    ws.delete_rows(4)
    wb.save(path)
    _, findings = read_input(returns)
    f = only(findings, "return_code_deleted")
    assert (f.severity, f.file, f.sheet, f.row, f.column, f.value) == (
        "error", "2020_son_dong.xlsx", "Thôn", 4, "Mã thôn", gone)
    assert f"«{gone}»" in f.message and "xóa" in f.message


def test_file_with_nothing_filled_in(returns, blank):
    shutil.copy(blank["yen_dung"], returns / "2020_yen_dung.xlsx")
    data, findings = read_input(returns)
    f = only(findings, "return_empty")
    assert (f.severity, f.file, f.sheet, f.row, f.column) == (
        "warning", "2020_yen_dung.xlsx", "Thông tin", None, "")
    assert "chưa được điền" in f.message
    assert not any(x.file == "2020_yen_dung.xlsx" and x.rule == "required_empty"
                   for x in findings)
    assert not (data.tables["organizations"]["_file"] == "2020_yen_dung.xlsx").any()


def test_file_for_a_unit_that_does_not_exist(returns):
    _set_cover(returns / "2020_cong_an.xlsx", "Mã đơn vị", "cong_an_cu")
    _, findings = read_input(returns)
    f = only(findings, "return_unknown_unit")
    assert (f.severity, f.file, f.sheet, f.row, f.column, f.value) == (
        "error", "2020_cong_an.xlsx", "Thông tin", None, "", "cong_an_cu")
    assert "«cong_an_cu»" in f.message


def test_folder_with_csv_and_workbooks_is_refused(returns):
    (returns / "units.csv").write_text("code,name\n", encoding="utf-8")
    _, findings = read_input(returns)
    f = only(findings, "return_mixed_folder")
    assert f.severity == "error" and f.file == "returns"
    assert ".csv" in f.message and "Excel" in f.message


def test_findings_carry_the_cover_unit_and_go_to_per_unit_workbooks(returns, tmp_path):
    path = returns / "2020_son_dong.xlsx"
    wb = load_workbook(path)
    ws = wb["TCCSĐ"]
    j = [c.value for c in ws[2]].index("members_total") + 1
    ws.cell(3, j, value="=1+1")  # text typed with a leading "=": a formula without value
    wb.save(path)
    _, findings = read_input(returns)
    mine = [f for f in findings if f.file == "2020_son_dong.xlsx"]
    assert mine and all(f.unit_code == "son_dong" for f in mine)
    frame = pd.DataFrame([
        {"severity": "error", "file": "a.xlsx", "sheet": "TCCSĐ", "row": 3, "column": "X",
         "value": "=HYPERLINK(\"x\")", "message": "=1+1 sai", "rule": "r",
         "unit_code": "son_dong", "year": 2020},
        {"severity": "warning", "file": "b.xlsx", "sheet": "", "row": None, "column": "",
         "value": "", "message": "chung", "rule": "r2", "unit_code": "", "year": None},
    ])
    folder = tmp_path / "findings"
    folder.mkdir()
    (folder / "cu.xlsx").write_bytes(b"stale")
    written = write_unit_findings(frame, folder)
    assert [p.name for p in written] == ["son_dong.xlsx"]
    assert sorted(p.name for p in folder.iterdir()) == ["son_dong.xlsx"]
    ws = load_workbook(folder / "son_dong.xlsx")["Kết quả kiểm tra"]
    assert ws.max_row == 2
    values = [c.value for c in ws[2]]
    assert "=1+1 sai" in values and '=HYPERLINK("x")' in values
    assert all(c.data_type != "f" for c in ws[2])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_saved_through_libreoffice_reads_back_with_zero_errors(filled, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(filled / "2020_son_dong.xlsx", src)
    out = tmp_path / "lo"
    out.mkdir()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/prof",
                    "--convert-to", "xlsx", "--outdir", str(out),
                    str(src / "2020_son_dong.xlsx")], check=True, timeout=300,
                   capture_output=True)
    data, findings = read_input(out)
    assert [f for f in findings if f.is_error] == []
    assert len(data.tables["organizations"]) == 52
    assert len(data.tables["villages"]) == 141


def test_validate_writes_per_unit_findings_for_a_returns_folder(returns, tmp_path):
    from analysis.cli import main

    path = returns / "2020_son_dong.xlsx"
    wb = load_workbook(path)
    ws = wb["TCCSĐ"]
    j = [c.value for c in ws[2]].index("members_total") + 1
    ws.cell(3, j, value=-5)
    wb.save(path)
    out = tmp_path / "o" / "findings.xlsx"
    assert main(["validate", str(returns), "--out", str(out)]) == 1
    assert out.exists()
    assert "son_dong.xlsx" in {p.name for p in (out.parent / "findings").iterdir()}
    ws = load_workbook(out.parent / "findings" / "son_dong.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert any(r[1] == "2020_son_dong.xlsx" and r[3] == 3 and r[7] == "negative" for r in rows)
