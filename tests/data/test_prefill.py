"""Pre-filled workbooks per reporting unit: the rows listed, protection, cover, previous year.

Expected rows are counted from the demo CSV files with the csv module (no package code).
"""

from __future__ import annotations

import csv
import zipfile

import pytest
from openpyxl import load_workbook

from analysis import config
from analysis.cli import main
from analysis.data import prefill
from analysis.data.intake import read_input

DEMO = config.DEMO_DATA_DIR
YEAR = 2020


def _csv(name):
    with open(DEMO / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _alive(rec, year):
    first, last = rec["first_year"], rec["last_year"]
    return (not first or int(first) <= year) and (not last or int(last) >= year)


@pytest.fixture(scope="module")
def demo():
    data, findings = read_input(DEMO)
    assert not [f for f in findings if f.is_error]
    return data.tables


@pytest.fixture(scope="module")
def son_dong(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("prefill") / "2020_son_dong.xlsx"
    return prefill.write_unit_workbook(demo, "son_dong", YEAR, out)


def _listed(ws, code_col):
    """Values of the column whose row-2 code is ``code_col``, from row 3 to the last filled."""
    codes = [c.value for c in ws[2]]
    j = codes.index(code_col) + 1
    out = []
    for r in range(3, ws.max_row + 1):
        v = ws.cell(r, j).value
        if v is not None:  # as a spreadsheet shows it: «_x005f_» is an escaped «_»
            out.append(v.replace("_x005f_", "_") if isinstance(v, str) else v)
    return out


def test_rows_listed_equal_the_units_counted_by_hand(son_dong):
    units = _csv("units")
    communes = {u["code"] for u in units if u["level"] == "commune"
                and u["parent_code"] == "son_dong" and _alive(u, YEAR)}
    villages = {u["code"] for u in units if u["level"] == "village"
                and u["parent_code"] in communes and _alive(u, YEAR)}
    orgs = {o["org_code"] for o in _csv("organizations")
            if o["year"] == "2020" and o["reporting_unit"] == "son_dong"}
    officials = [(o["commune_code"], o["position"], o["seq"]) for o in _csv("officials")
                 if o["snapshot_year"] == "2020" and o["commune_code"] in communes]
    # merged in 2019-2020 (crosswalk): gone in 2020, so not listed
    assert "son_dong_chu_trung" not in communes and "son_dong_chu_hoa" in communes
    wb = load_workbook(son_dong)
    assert sorted(_listed(wb["Thôn"], "village_code")) == sorted(villages)
    assert sorted(_listed(wb["TCCSĐ"], "org_code")) == sorted(orgs)
    assert len(_listed(wb["Cán bộ chủ chốt xã"], "commune_code")) == len(officials)
    assert set(_listed(wb["Cán bộ chủ chốt xã"], "commune_code")) <= communes
    assert len(villages) == 141 and len(orgs) == 52  # counted once by hand, kept as a guard


def test_merged_commune_carries_a_note_naming_the_old_ones(son_dong):
    ws = load_workbook(son_dong)["TCCSĐ"]
    heads = [c.value for c in ws[1]]
    note_col = heads.index("Tham khảo: ghi chú") + 1
    codes = [c.value for c in ws[2]]
    commune_col = codes.index("commune_code") + 1
    notes = {ws.cell(r, commune_col).value: ws.cell(r, note_col).value
             for r in range(3, ws.max_row + 1)}
    # crosswalk.csv: son_dong_chu_trung and son_dong_phuong_lac -> son_dong_chu_hoa in 2020
    assert "son_dong_chu_trung" in notes["son_dong_chu_hoa"]
    assert "son_dong_phuong_lac" in notes["son_dong_chu_hoa"]
    assert notes["son_dong_an_minh"] in (None, "")


def test_codes_locked_values_unlocked_sheet_protected(son_dong):
    ws = load_workbook(son_dong)["TCCSĐ"]
    assert ws.protection.sheet
    codes = [c.value for c in ws[2]]
    org = ws.cell(3, codes.index("org_code") + 1)
    year = ws.cell(3, codes.index("year") + 1)
    total = ws.cell(3, codes.index("members_total") + 1)
    rating = ws.cell(3, codes.index("rating") + 1)
    assert org.value and org.protection.locked and year.protection.locked
    assert not total.protection.locked and not rating.protection.locked
    assert ws.cell(1, 1).protection.locked  # headers
    # dropdowns and whole-number checks as in the blank template
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "whole"} <= kinds
    # previous-year columns are locked and greyed
    heads = [c.value for c in ws[1]]
    j = heads.index("Tham khảo: 2019 Tổng số đảng viên") + 1
    assert ws.cell(3, j).protection.locked
    assert ws.cell(3, j).fill.fgColor.rgb.endswith("EDEDED")


def test_cover_sheet(son_dong):
    wb = load_workbook(son_dong)
    assert wb.sheetnames[0] == "Thông tin"
    ws = wb["Thông tin"]
    fields = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 12)}
    assert fields["Mã đơn vị"] == "son_dong"
    assert fields["Tên đơn vị"] == "Huyện Sơn Động"
    assert fields["Năm số liệu"] == 2020
    assert fields["Gửi cho"].startswith("Ban Tổ chức Tỉnh ủy")  # params/collection.yaml
    assert fields["Hạn gửi"] == "ngày 15 tháng 01 năm 2021"
    assert fields["Phiên bản mẫu"] == prefill.template_stamp()
    assert fields["Phiên bản mẫu"].startswith("mau-1-")
    assert wb["Mã in sẵn"].sheet_state == "veryHidden"


def test_previous_year_values_are_the_demo_2019_values(son_dong):
    expected = {o["org_code"]: int(o["members_total"]) for o in _csv("organizations")
                if o["year"] == "2019" and o["reporting_unit"] == "son_dong"}
    ws = load_workbook(son_dong)["TCCSĐ"]
    heads = [c.value for c in ws[1]]
    codes = [c.value for c in ws[2]]
    j = heads.index("Tham khảo: 2019 Tổng số đảng viên") + 1
    k = codes.index("org_code") + 1
    got = {ws.cell(r, k).value: ws.cell(r, j).value for r in range(3, ws.max_row + 1)
           if ws.cell(r, k).value}
    assert got["son_dong_an_minh_db"] == expected["son_dong_an_minh_db"]
    both = set(got) & set(expected)
    assert len(both) > 40
    assert all(got[c] == expected[c] for c in both)
    assert got["son_dong_chu_hoa_db"] is None  # a new commune in 2020: no 2019 row


def test_reference_columns_are_not_read_as_data(son_dong):
    data, findings = read_input(son_dong)
    assert {f.rule for f in findings} == {"required_empty"}  # nothing filled in yet
    assert "unknown_column" not in {f.rule for f in findings}
    assert len(data.tables["organizations"]) == 52


def test_reproducible_bytes_and_cli_all(tmp_path, son_dong, demo):
    again = prefill.write_unit_workbook(demo, "son_dong", YEAR, tmp_path / "x.xlsx")
    assert again.read_bytes() == son_dong.read_bytes()
    with zipfile.ZipFile(again) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2020, 7, 1, 0, 0, 0)}


@pytest.mark.slow
def test_cli_all_writes_one_per_unit(tmp_path):
    assert main(["template", "--unit", "all", "--year", "2020", str(tmp_path / "out")]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 14 and "2020_son_dong.xlsx" in names and "2020_cong_an.xlsx" in names


def test_cli_unknown_unit_and_missing_year(tmp_path, capsys):
    assert main(["template", "--unit", "khong_co", "--year", "2020",
                 str(tmp_path / "a.xlsx")]) == 2
    assert "Không có đơn vị báo cáo «khong_co»" in capsys.readouterr().err
    assert main(["template", "--unit", "son_dong", str(tmp_path / "a.xlsx")]) == 2
    assert not (tmp_path / "a.xlsx").exists()


def test_codes_spreadsheets_would_unescape_are_escaped(son_dong):
    # LibreOffice reads «_xa_» in «son_dong_my_xa_01» as a line feed: written escaped
    # (OOXML «_x005f_» = «_»); the LibreOffice round trip in test_returns reads it back intact
    ws = load_workbook(son_dong)["Thôn"]
    codes = [c.value for c in ws[2]]
    j = codes.index("village_code") + 1
    raw = {ws.cell(r, j).value for r in range(3, ws.max_row + 1)}
    assert "son_dong_my_x005f_xa_01" in raw and "son_dong_my_xa_01" not in raw
