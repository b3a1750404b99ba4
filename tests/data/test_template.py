"""The Excel template: layout, determinism, and round trips through intake."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.data import schema
from analysis.data.intake import read_input
from analysis.data.template import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    sheet_name,
    write_template,
    write_workbook,
)

SHEETS = ["Hướng dẫn", "Đơn vị", "Sáp nhập", "TCCSĐ", "Thôn", "Cán bộ chủ chốt xã", "Tổng hợp",
          "Danh mục"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("tpl") / "mau.xlsx")


def test_writing_twice_gives_identical_bytes(tmp_path, template):
    again = write_template(tmp_path / "lan2.xlsx")
    assert again.read_bytes() == template.read_bytes()
    with zipfile.ZipFile(again) as zf:
        # tests/conftest.py fixes SOURCE_DATE_EPOCH at 2020-07-01 for the whole session
        assert {i.date_time for i in zf.infolist()} == {(2020, 7, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert core.count("2020-07-01T00:00:00Z") == 2


def test_source_date_epoch_sets_the_dates(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    path = write_template(tmp_path / "mau.xlsx")
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
        assert "2023-11-14T22:13:20Z" in zf.read("docProps/core.xml").decode()


def test_sheets_headers_and_codes(template):
    wb = load_workbook(template)
    assert wb.sheetnames == SHEETS
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    assert wb.active.title == INSTRUCTIONS_SHEET
    for table in schema.tables().values():
        ws = wb[sheet_name(table)]
        assert [c.value for c in ws[1]] == [c.header_vi for c in table.columns]
        assert [c.value for c in ws[2]] == [c.name for c in table.columns]
        assert ws.freeze_panes == "A3"
        assert ws["A1"].font.b and ws["A1"].alignment.wrap_text
        assert ws["A2"].font.i and ws["A2"].font.color.rgb.endswith("808080")
        assert ws.max_row == 2


def test_dropdowns_and_number_checks(template):
    wb = load_workbook(template)
    lists = wb[LISTS_SHEET]
    ws = wb["Thôn"]  # year, village_code, commune_code, party_members, own_cell, ...
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    year, members, own = dvs["A3:A1048576"], dvs["D3:D1048576"], dvs["E3:E1048576"]
    assert (year.type, year.operator, year.formula1, year.formula2) == (
        "whole", "between", "2015", "2020")
    assert (members.type, members.operator, members.formula1) == (
        "whole", "greaterThanOrEqual", "0")
    assert own.type == "list" and own.formula1.startswith("'Danh mục'!$")
    column = own.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    labels = [lists[f"{column}{r}"].value for r in (2, 3)]
    assert labels == ["Có", "Không"]
    assert ws.column_dimensions["D"].number_format == "#,##0"

    units = wb["Đơn vị"]
    level = {str(dv.sqref): dv for dv in units.data_validations.dataValidation}["C3:C1048576"]
    ref = level.formula1.split("!")[1].replace("$", "")
    first, last = ref.split(":")
    values = [c.value for (c,) in lists[f"{first}:{last}"]]
    assert values == schema.vocabularies()["unit_level"].labels


def test_instructions_cover_tables_enums_names_and_validate(template):
    ws = load_workbook(template)[INSTRUCTIONS_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for table in schema.tables().values():
        assert table.description_vi in text
        assert f"Bảng «{sheet_name(table)}»" in text
    assert "Nhiệm kỳ 2015–2020; Nhiệm kỳ 2020–2025" in text
    assert "KHÔNG ghi họ tên" in text
    assert "python -m analysis validate" in text
    assert "Cộng dồn từ đầu nhiệm kỳ." in text  # a help_vi


def test_sheet_names_are_cut_to_31_characters():
    long = schema.Table(name="x", title_vi="Một tên bảng rất dài: quá ba mươi mốt ký tự [x]",
                        description_vi="", key=(), columns=())
    name = sheet_name(long)
    assert len(name) == 31 and ":" not in name and "[" not in name


def test_empty_template_reads_back_with_no_data_warning_only(template):
    data, findings = read_input(template)
    assert [(f.severity, f.rule) for f in findings] == [("warning", "no_data")]
    assert all(len(df) == 0 for df in data.tables.values())


# --- round trip -------------------------------------------------------------------------------
def _typed(table_name: str, rows: list[dict]) -> pd.DataFrame:
    """A frame with every schema column, typed as intake returns it."""
    table = schema.table(table_name)
    out = {}
    for col in table.columns:
        values = [r.get(col.name) for r in rows]
        dtype = {"year": "Int64", "count": "Int64", "bool": "boolean"}.get(col.type, "string")
        out[col.name] = pd.array(values, dtype=dtype)
    return pd.DataFrame(out)


def _counts(table_name: str, start: int) -> dict:
    cols = [c.name for c in schema.table(table_name).columns if c.type == "count"]
    return {name: start + i for i, name in enumerate(cols)}


DATASET = {
    "units": [
        {"code": "bac_giang", "name": "Bắc Giang", "level": "province", "kind": "tinh"},
        {"code": "yen_dung", "name": "Yên Dũng", "level": "district", "parent_code": "bac_giang",
         "kind": "huyen", "terrain": "trung_du"},
        {"code": "khoi_cq", "name": "Đảng bộ Khối các cơ quan tỉnh", "level": "sector",
         "parent_code": "bac_giang", "kind": "khoi_co_quan"},
        {"code": "tien_phong", "name": "Tiến Phong", "level": "commune",
         "parent_code": "yen_dung", "kind": "xa", "terrain": "dong_bang", "first_year": 2016},
        {"code": "thon_dong", "name": "Thôn Đông", "level": "village",
         "parent_code": "tien_phong", "kind": "thon", "last_year": 2019},
    ],
    "crosswalk": [
        {"old_code": "tien_phong_cu", "new_code": "tien_phong", "effective_year": 2016},
    ],
    "organizations": [
        {**_counts("organizations", 3), "year": 2019, "org_code": "db_tien_phong",
         "reporting_unit": "yen_dung", "commune_code": "tien_phong", "org_type": "xa",
         "org_form": "dang_bo_co_so", "rating": "hoan_thanh", "remediation_plan": True,
         "members_total": 250, "candidate_pool": False},
        {**_counts("organizations", 1), "year": 2020, "org_code": "cb_so_tai_chinh",
         "reporting_unit": "khoi_cq", "org_type": "co_quan_hanh_chinh",
         "org_form": "chi_bo_co_so", "rating": "xuat_sac", "members_total": 1234,
         "head_is_secretary": True, "admissions": 0},
        {**_counts("organizations", 2), "year": 2016, "org_code": "db_tien_phong",
         "reporting_unit": "yen_dung", "commune_code": "tien_phong", "org_type": "xa",
         "org_form": "dang_bo_co_so", "rating": "trong_sach_vung_manh"},
    ],
    "villages": [
        {"year": 2020, "village_code": "thon_dong", "commune_code": "tien_phong",
         "party_members": 0, "own_cell": False, "combined_cell": True, "head_is_member": False},
        {"year": 2015, "village_code": "thon_dong", "commune_code": "tien_phong",
         "party_members": 12, "own_cell": True, "head_is_member": True,
         "secretary_is_head": True},
    ],
    "officials": [
        {"snapshot_year": 2020, "term": "2015_2020", "commune_code": "tien_phong",
         "position": "bi_thu", "seq": 1, "education": "dai_hoc", "theory": "trung_cap",
         "rotated": True},
        {"snapshot_year": 2020, "term": "2015_2020", "commune_code": "tien_phong",
         "position": "pho_chu_tich_ubnd", "seq": 2, "education": "trung_cap",
         "theory": "so_cap"},
    ],
    "unit_summary": [
        {**_counts("unit_summary", 10), "year": 2018, "unit_code": "yen_dung"},
        {**_counts("unit_summary", 0), "year": 2018, "unit_code": "khoi_cq"},
    ],
}


def test_filled_workbook_round_trips_with_zero_findings(tmp_path):
    tables = {name: _typed(name, rows) for name, rows in DATASET.items()}
    path = write_workbook(tables, tmp_path / "du_lieu.xlsx")
    data, findings = read_input(path)
    assert findings == []
    for name, expected in tables.items():
        got = data.tables[name]
        assert got["_row"].tolist() == list(range(3, 3 + len(expected)))
        assert set(got["_sheet"]) == {sheet_name(schema.table(name))}
        pd.testing.assert_frame_equal(got[list(expected.columns)], expected, check_dtype=True)


def test_write_workbook_writes_labels_and_formats(tmp_path):
    tables = {name: _typed(name, rows) for name, rows in DATASET.items()}
    wb = load_workbook(write_workbook(tables, tmp_path / "du_lieu.xlsx"))
    ws = wb["TCCSĐ"]
    headers = [c.value for c in ws[2]]
    row = {code: cell for code, cell in zip(headers, ws[4], strict=True)}
    assert row["rating"].value == "Hoàn thành xuất sắc nhiệm vụ"
    assert row["org_type"].value == "Cơ quan hành chính"
    assert row["head_is_secretary"].value == "Có"
    assert row["remediation_plan"].value is None
    assert row["members_total"].value == 1234 and row["members_total"].number_format == "#,##0"
    assert row["year"].number_format == "0"
    assert wb["Thôn"]["E3"].value == "Không"


def test_write_workbook_accepts_intake_frames_and_missing_tables(tmp_path):
    tables = {name: _typed(name, rows) for name, rows in DATASET.items()}
    first, _ = read_input(write_workbook(tables, tmp_path / "a.xlsx"))
    partial = {"villages": first.tables["villages"]}
    data, findings = read_input(write_workbook(partial, tmp_path / "b.xlsx"))
    assert findings == []
    assert len(data.tables["villages"]) == 2 and len(data.tables["units"]) == 0
