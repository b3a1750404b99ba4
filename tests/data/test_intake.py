"""Intake: reading workbooks and CSV folders into typed tables, with findings.

Fixtures are built at run time with openpyxl and Python's codecs; the expected values come
from the intake specification, written out by hand.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from analysis.data.findings import ERROR, WARNING
from analysis.data.intake import read_input
from analysis.data.reading import files, sheets, workbooks
from tests.data.encodings import cp1258_bytes

VILLAGE_HEADER = ["Năm", "Mã thôn", "Mã xã", "Số đảng viên", "Có chi bộ riêng",
                  "Sinh hoạt chi bộ ghép", "Trưởng thôn là đảng viên",
                  "Bí thư chi bộ kiêm trưởng thôn"]
CROSSWALK_HEADER = ["Mã cũ", "Mã mới", "Năm có hiệu lực"]
UNITS_HEADER = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Loại đơn vị"]


def village(year=2020, code="thon_1", commune="xa_a", members=5, own="Có", combined=None,
            head="Có", secretary=None):
    return [year, code, commune, members, own, combined, head, secretary]


def make_xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def read_sheet(tmp_path, rows, sheet="Thôn", table="villages", name="in.xlsx"):
    data, findings = read_input(make_xlsx(tmp_path / name, {sheet: rows}))
    return data.tables[table], findings


def rule(findings, rule_id):
    return [f for f in findings if f.rule == rule_id]


def only(findings, rule_id):
    found = rule(findings, rule_id)
    assert len(found) == 1, (rule_id, findings)
    return found[0]


def errors(findings):
    return [f for f in findings if f.severity == ERROR]


# --- files --------------------------------------------------------------------------------------
def test_missing_path_is_a_finding_not_an_exception(tmp_path):
    data, findings = read_input(tmp_path / "khong_co.xlsx")
    f = only(findings, "input_missing")
    assert f.severity == ERROR and "Không tìm thấy" in f.message
    assert list(data.tables) == ["units", "crosswalk", "organizations", "villages", "officials",
                                 "unit_summary"]
    assert all(len(df) == 0 for df in data.tables.values())
    assert "village_code" in data.tables["villages"]
    assert str(data.tables["villages"]["party_members"].dtype) == "Int64"
    assert len(data.fingerprint) == 12


@pytest.mark.parametrize("suffix, label", [(".xls", ".xls"), (".ods", ".ods"),
                                           (".numbers", ".numbers"), (".txt", ".txt")])
def test_unreadable_formats_tell_the_user_to_save_as_xlsx(tmp_path, suffix, label):
    path = tmp_path / f"so_lieu{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    _, findings = read_input(path)
    f = only(findings, "unreadable_format")
    assert f.severity == ERROR and f.file == path.name
    assert label in f.message
    assert f"Tệp «so_lieu{suffix}» có định dạng" in f.message
    assert ("không đọc được; hãy mở bằng Excel và lưu lại dạng .xlsx (Excel Workbook)"
            in f.message)


def test_old_excel_renamed_to_xlsx_is_recognised(tmp_path):
    path = tmp_path / "cu.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    _, findings = read_input(path)
    assert "Excel 97–2003" in only(findings, "unreadable_format").message


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"PK\x03\x04 garbage")
    _, findings = read_input(path)
    assert only(findings, "corrupt_file").severity == ERROR


def test_zip_bomb_refused_quickly_by_ratio(tmp_path):
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("xl/worksheets/sheet1.xml", "w") as fh:
        chunk = b"\0" * (1 << 20)
        for _ in range(12):
            fh.write(chunk)
    start = time.perf_counter()
    _, findings = read_input(path)
    assert time.perf_counter() - start < 1.0
    f = only(findings, "zip_bomb")
    assert f.severity == ERROR and "giải nén" in f.message


def test_zip_bomb_refused_by_total_size(tmp_path, monkeypatch):
    path = make_xlsx(tmp_path / "lon.xlsx", {"Thôn": [VILLAGE_HEADER, village()]})
    monkeypatch.setattr(workbooks, "MAX_UNCOMPRESSED_BYTES", 1000)
    start = time.perf_counter()
    data, findings = read_input(path)
    assert time.perf_counter() - start < 1.0
    assert only(findings, "zip_bomb").severity == ERROR
    assert len(data.tables["villages"]) == 0


def test_fingerprint_is_the_sha256_of_the_workbook(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx", {"Thôn": [VILLAGE_HEADER, village()]})
    data, _ = read_input(path)
    assert data.fingerprint == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert data.files == ["a.xlsx"]
    assert data.source == path


def test_xlsm_is_read_like_xlsx(tmp_path):
    path = make_xlsx(tmp_path / "macro.xlsm", {"Thôn": [VILLAGE_HEADER, village()]})
    data, findings = read_input(path)
    assert findings == [] and len(data.tables["villages"]) == 1


def test_no_known_sheet(tmp_path):
    _, findings = read_input(make_xlsx(tmp_path / "x.xlsx", {"Sheet1": [["a", "b"], [1, 2]]}))
    assert only(findings, "unknown_sheet").severity == WARNING
    f = only(findings, "no_tables")
    assert f.severity == ERROR and "«Thôn»" in f.message


def test_unexpected_error_becomes_a_finding_and_reraises_in_debug(tmp_path, monkeypatch):
    path = make_xlsx(tmp_path / "a.xlsx", {"Thôn": [VILLAGE_HEADER, village()]})

    def boom(*args, **kwargs):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(files, "read_table", boom)
    _, findings = read_input(path)
    f = only(findings, "read_failed")
    assert f.file == "a.xlsx" and f.sheet == "Thôn" and "RuntimeError" in f.message
    monkeypatch.setenv("TCCSD_DEBUG", "1")
    with pytest.raises(RuntimeError):
        read_input(path)


# --- sheets and headers ---------------------------------------------------------------------
def test_typed_frame_with_provenance(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER, village(), village(code="thon_2",
                                                                            own="Không")])
    assert findings == []
    assert df["_row"].tolist() == [2, 3]
    assert df["_file"].tolist() == ["in.xlsx"] * 2 and df["_sheet"].tolist() == ["Thôn"] * 2
    assert df["village_code"].tolist() == ["thon_1", "thon_2"]
    assert df["own_cell"].tolist() == [True, False]
    assert df["combined_cell"].isna().all()
    assert str(df["year"].dtype) == "Int64" and str(df["own_cell"].dtype) == "boolean"
    assert str(df["village_code"].dtype) == "string"


def test_sheet_matched_by_table_name_and_columns_by_code(tmp_path):
    header = ["year", "village_code", "commune_code", "party_members", "own_cell",
              "head_is_member"]
    df, findings = read_sheet(tmp_path, [header, [2019, "t", "x", 3, "co", "khong"]],
                              sheet="villages")
    assert findings == []
    assert df.loc[0, "party_members"] == 3 and df.loc[0, "head_is_member"] == False  # noqa: E712


def test_title_rows_above_header_keep_excel_row_numbers(tmp_path):
    rows = [["BÁO CÁO THỐNG KÊ THÔN, TỔ DÂN PHỐ NĂM 2020"], ["Huyện Yên Dũng"], [],
            VILLAGE_HEADER, village(code="a"), village(code="b"), [], village(code="c")]
    df, findings = read_sheet(tmp_path, rows)
    assert findings == []
    assert df["_row"].tolist() == [5, 6, 8]


def test_errors_name_the_excel_row_under_title_rows(tmp_path):
    rows = [["Tiêu đề"], VILLAGE_HEADER, village(code="a"), village(code="b", members="abc")]
    _, findings = read_sheet(tmp_path, rows)
    f = only(findings, "not_a_number")
    assert (f.row, f.column, f.value) == (4, "Số đảng viên", "abc")


def test_code_row_under_vietnamese_header_is_skipped(tmp_path):
    codes = ["year", "village_code", "commune_code", "party_members", "own_cell",
             "combined_cell", "head_is_member", "secretary_is_head"]
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER, codes, village()])
    assert findings == []
    assert df["_row"].tolist() == [3]


def test_codes_first_then_vietnamese_headers(tmp_path):
    codes = ["year", "village_code", "commune_code", "party_members", "own_cell",
             "combined_cell", "head_is_member", "secretary_is_head"]
    df, findings = read_sheet(tmp_path, [codes, VILLAGE_HEADER, village()])
    assert findings == [] and df["_row"].tolist() == [3]


def test_duplicate_column(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER + ["party_members"], village() + [99]])
    f = only(findings, "duplicate_column")
    assert f.severity == ERROR and f.column == "party_members" and f.row == 1
    assert "Số đảng viên" in f.message
    assert df.loc[0, "party_members"] == 5


def test_missing_required_column(tmp_path):
    header = [h for h in VILLAGE_HEADER if h != "Mã thôn"]
    row = [v for v, h in zip(village(), VILLAGE_HEADER, strict=True) if h != "Mã thôn"]
    df, findings = read_sheet(tmp_path, [["Tiêu đề"], header, row])
    f = only(findings, "missing_column")
    assert f.severity == ERROR and f.column == "Mã thôn" and f.row == 2
    assert "Thiếu cột bắt buộc «Mã thôn»" in f.message
    assert df["village_code"].isna().all() and len(df) == 1
    assert rule(findings, "required_empty") == []


def test_missing_optional_column_is_silent(tmp_path):
    header = VILLAGE_HEADER[:5] + VILLAGE_HEADER[6:7]
    df, findings = read_sheet(tmp_path, [header, [2020, "t", "x", 4, "Có", "Không"]])
    assert findings == []
    assert df["combined_cell"].isna().all()


def test_unknown_column_warning(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER + ["Ghi chú"], village() + ["abc"]])
    f = only(findings, "unknown_column")
    assert f.severity == WARNING and f.column == "Ghi chú" and f.row == 1
    assert "không có trong mẫu, bỏ qua" in f.message
    assert "Ghi chú" not in df.columns


def test_stt_column_is_dropped_silently(tmp_path):
    df, findings = read_sheet(tmp_path, [["STT", *VILLAGE_HEADER], [1, *village()]])
    assert findings == [] and len(df) == 1


def test_personal_names_are_dropped_with_a_warning(tmp_path):
    header = ["Năm số liệu", "Nhiệm kỳ", "Mã xã", "Họ và tên", "Chức danh",
              "Số thứ tự trong chức danh", "Trình độ chuyên môn", "Trình độ lý luận chính trị"]
    row = [2020, "Nhiệm kỳ 2015–2020", "xa_a", "Nguyễn Văn An", "Bí thư Đảng ủy", 1, "Đại học",
           "Trung cấp"]
    df, findings = read_sheet(tmp_path, [header, row], sheet="Cán bộ chủ chốt xã",
                              table="officials")
    f = only(findings, "personal_name_column")
    assert f.severity == WARNING and f.column == "Họ và tên"
    assert "họ tên" in f.message and "bỏ qua" in f.message
    assert errors(findings) == []
    assert not df.astype(str).isin(["Nguyễn Văn An"]).any().any()
    assert df.loc[0, "position"] == "bi_thu" and df.loc[0, "term"] == "2015_2020"


def test_other_personal_data_is_dropped_with_a_warning(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER + ["Ngày sinh"],
                                         village() + [datetime(1970, 1, 2)]])
    f = only(findings, "personal_data_column")
    assert f.severity == WARNING and f.column == "Ngày sinh"
    assert "thông tin cá nhân" in f.message
    assert len(findings) == 1 and len(df) == 1


def test_header_not_found(tmp_path):
    _, findings = read_sheet(tmp_path, [["a", "b", "c"], [1, 2, 3]])
    f = only(findings, "header_not_found")
    assert f.severity == ERROR and f.sheet == "Thôn"


def test_hidden_sheet_is_read_with_a_warning(tmp_path):
    path = make_xlsx(tmp_path / "an.xlsx", {"Ghi chú": [["Sheet khác"]],
                                             "Thôn": [VILLAGE_HEADER, village()]},
                     hidden=("Thôn",))
    data, findings = read_input(path)
    f = only(findings, "hidden_sheet")
    assert f.severity == WARNING and f.sheet == "Thôn"
    assert len(data.tables["villages"]) == 1


def test_sheet_with_another_name_matched_by_its_columns(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER, village()], sheet="Sheet1")
    assert only(findings, "sheet_matched_by_columns").sheet == "Sheet1"
    assert len(df) == 1


def test_sheets_of_one_table_are_stacked_and_checked_for_duplicates(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx", {
        "Thôn": [VILLAGE_HEADER, village(code="a"), village(code="b")],
        "villages": [VILLAGE_HEADER, village(code="c"), village(code="a")],
    })
    data, findings = read_input(path)
    assert len(data.tables["villages"]) == 4
    assert only(findings, "table_multiple_sheets").severity == WARNING
    f = only(findings, "duplicate_key")
    assert (f.sheet, f.row) == ("villages", 3)
    assert "Trùng khóa với dòng 2 của bảng «Thôn»" in f.message


# --- rows -------------------------------------------------------------------------------------
def test_empty_rows_are_skipped(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER, [None] * 8, ["", "  "],
                                         village()])
    assert findings == [] and df["_row"].tolist() == [4]


def test_totals_row_is_dropped_and_not_counted(tmp_path):
    rows = [VILLAGE_HEADER, village(code="a", members=3), village(code="b", members=4),
            village(code="c", members=5), [2020, "Tổng cộng", None, 12, None, None, None, None]]
    df, findings = read_sheet(tmp_path, rows)
    f = only(findings, "totals_row")
    assert f.severity == WARNING and f.row == 5
    assert "dòng tổng cộng, không tính" in f.message.lower()
    assert len(df) == 3 and df["party_members"].sum() == 12
    assert errors(findings) == []


def test_totals_row_in_a_leading_text_column(tmp_path):
    rows = [["STT", *VILLAGE_HEADER], [1, *village(code="a", members=2)],
            ["Cộng", None, None, None, 2, None, None, None, None]]
    df, findings = read_sheet(tmp_path, rows)
    assert only(findings, "totals_row").row == 3
    assert len(df) == 1 and errors(findings) == []


def test_a_commune_named_cong_is_not_a_totals_row(tmp_path):
    rows = [UNITS_HEADER, ["cong_hoa", "Cộng Hòa", "Xã, phường, thị trấn", "yen_dung", "Xã"]]
    df, findings = read_sheet(tmp_path, rows, sheet="Đơn vị", table="units")
    assert findings == [] and df.loc[0, "name"] == "Cộng Hòa"


def test_duplicate_key_names_the_first_row(tmp_path):
    rows = [VILLAGE_HEADER, village(code="a"), village(code="b"), village(code="a"),
            village(code="a", year=2019)]
    _, findings = read_sheet(tmp_path, rows)
    f = only(findings, "duplicate_key")
    assert f.severity == ERROR and f.row == 4
    assert "Trùng khóa với dòng 2" in f.message
    assert f.column == "Năm, Mã thôn" and f.value == "2020, a"
    assert f.unit_code == "xa_a" and f.year == 2020


# --- cells --------------------------------------------------------------------------------------
def test_empty_required_cell(tmp_path):
    rows = [VILLAGE_HEADER, village(code="a"), village(code="b", members=None),
            village(code="c", members="N/A")]
    df, findings = read_sheet(tmp_path, rows)
    found = rule(findings, "required_empty")
    assert [(f.row, f.column) for f in found] == [(3, "Số đảng viên"), (4, "Số đảng viên")]
    assert all("ô bắt buộc bị trống" in f.message.lower() for f in found)
    assert df["party_members"].isna().tolist() == [False, True, True]


NA_MARKERS = ["N/A", "NA", "-", "x", "X", "—", "", "  "]


def test_na_markers_in_counts_read_as_empty(tmp_path):
    rows = [VILLAGE_HEADER] + [village(code=f"t{i}", members=m) for i, m in enumerate(NA_MARKERS)]
    df, findings = read_sheet(tmp_path, rows)
    assert df["party_members"].isna().all() and len(df) == len(NA_MARKERS)
    assert [(f.rule, f.column, f.row) for f in findings] == [
        ("required_empty", "Số đảng viên", row) for row in range(2, 2 + len(NA_MARKERS))]


def test_na_markers_in_codes_read_as_empty_but_x_is_a_code(tmp_path):
    rows = [CROSSWALK_HEADER] + [[f"c{i}", m, 2019] for i, m in enumerate(["N/A", "-", "—", ""])]
    rows.append(["c9", "x", 2019])
    df, findings = read_sheet(tmp_path, rows, sheet="Sáp nhập", table="crosswalk")
    assert df["new_code"].isna().tolist() == [True] * 4 + [False]
    assert [(f.rule, f.column, f.row) for f in findings] == [
        ("required_empty", "Mã mới", row) for row in (2, 3, 4, 5)]


GOOD_COUNTS = [("1.234", 1234), ("1,234", 1234), ("12 ", 12), (" 7", 7), ("-0", 0), ("−0", 0),
               ("1.234.567", 1234567), ("12,00", 12), (12.0, 12), (8, 8), ("0", 0), ("+3", 3)]


def test_counts_accept_vietnamese_and_excel_forms(tmp_path):
    rows = [VILLAGE_HEADER] + [village(code=f"t{i}", members=v)
                               for i, (v, _) in enumerate(GOOD_COUNTS)]
    df, findings = read_sheet(tmp_path, rows)
    assert findings == []
    assert df["party_members"].tolist() == [expected for _, expected in GOOD_COUNTS]


BAD_COUNTS = [
    ("abc", "not_a_number", "không phải là số"),
    ("12,5", "not_integer", "không phải số nguyên"),
    (2.5, "not_integer", "không phải số nguyên"),
    ("-3", "negative", "số âm"),
    (-1, "negative", "số âm"),
    ("90%", "percent_in_count", "tỷ lệ phần trăm"),
    (datetime(2020, 3, 1), "date_in_number", "cần một số"),
    (True, "bool_in_number", "cần một số"),
    ("#DIV/0!", "excel_error", "lỗi công thức Excel"),
    ("5000000000", "number_too_large", "quá lớn"),
]


def test_bad_counts(tmp_path):
    rows = [VILLAGE_HEADER, village(code="ok")] + [
        village(code=f"t{i}", members=v) for i, (v, _, _) in enumerate(BAD_COUNTS)]
    df, findings = read_sheet(tmp_path, rows)
    assert sorted((f.row, f.rule) for f in findings) == [
        (3 + i, rule_id) for i, (_, rule_id, _) in enumerate(BAD_COUNTS)]
    by_row = {f.row: f for f in findings}
    for i, (_, rule_id, part) in enumerate(BAD_COUNTS):
        f = by_row[3 + i]
        assert f.severity == ERROR and f.rule == rule_id and f.column == "Số đảng viên"
        assert part in f.message, (rule_id, f.message)
        assert f.unit_code == "xa_a" and f.year == 2020
    assert df["party_members"].tolist()[0] == 5
    assert df["party_members"].iloc[1:].isna().all()
    assert "ô chứa ngày tháng" in by_row[3 + 6].message.lower()
    assert by_row[3 + 6].value == "01/03/2020"
    assert by_row[3 + 7].value == "TRUE"


def test_year_outside_plan(tmp_path):
    rows = [VILLAGE_HEADER, village(year=2014), village(year=2021, code="b"),
            village(year="2.030", code="c")]
    df, findings = read_sheet(tmp_path, rows)
    found = rule(findings, "year_out_of_range")
    assert [(f.row, f.column, f.value) for f in found] == [(2, "Năm", "2014"), (3, "Năm", "2021"),
                                                          (4, "Năm", "2.030")]
    assert all("năm ngoài kỳ kế hoạch (2015–2020)" in f.message.lower() for f in found)
    assert df["year"].isna().all()


def test_enum_not_in_vocabulary_lists_allowed_values(tmp_path):
    rows = [UNITS_HEADER, ["bg", "Bắc Giang", "Tỉnh", None, "Tỉnh"],
            ["q1", "Quận 1", "Quận", "bg", "Huyện"]]
    df, findings = read_sheet(tmp_path, rows, sheet="Đơn vị", table="units")
    f = only(findings, "enum_invalid")
    assert (f.row, f.column, f.value) == (3, "Cấp", "Quận")
    assert "giá trị «quận» không có trong danh mục" in f.message.lower()
    assert ("các giá trị hợp lệ: Tỉnh; Huyện, thành phố; Đảng bộ khối, lực lượng vũ trang trực "
            "thuộc Tỉnh ủy; Xã, phường, thị trấn; Thôn, bản, tổ dân phố") in f.message
    assert df["level"].tolist()[0] == "province" and pd.isna(df["level"].iloc[1])
    assert df["kind"].tolist() == ["tinh", "huyen"]


def test_enum_accepts_codes_labels_and_other_tone_placement(tmp_path):
    rows = [UNITS_HEADER, ["a", "A", "xa, phuong, thi tran", "b", "thi_tran"],
            ["b", "B", "HUYỆN, THÀNH PHỐ", None, "Thị xã"],
            ["c", "C", "commune", "b", "Thi\u0323 trấn"]]
    df, findings = read_sheet(tmp_path, rows, sheet="Đơn vị", table="units")
    assert findings == []
    assert df["level"].tolist() == ["commune", "district", "commune"]
    assert df["kind"].tolist() == ["thi_tran", "thi_xa", "thi_tran"]


def test_bool_values(tmp_path):
    rows = [VILLAGE_HEADER, village(code="a", own="x", head=True),
            village(code="b", own="không", head=0), village(code="c", own="có lẽ", head=1)]
    df, findings = read_sheet(tmp_path, rows)
    f = only(findings, "bool_invalid")
    assert (f.row, f.column, f.value) == (4, "Có chi bộ riêng", "có lẽ")
    assert "các giá trị hợp lệ: Có, Không" in f.message
    assert df["own_cell"].tolist()[:2] == [True, False] and pd.isna(df["own_cell"].iloc[2])
    assert df["head_is_member"].tolist() == [True, False, True]


def test_upper_case_code_is_folded_with_one_warning(tmp_path):
    rows = [VILLAGE_HEADER, village(code="THON_A"), village(code="Thon_B"),
            village(code="thon_c")]
    df, findings = read_sheet(tmp_path, rows)
    f = only(findings, "code_uppercase")
    assert f.severity == WARNING and (f.row, f.column, f.value) == (2, "Mã thôn", "THON_A")
    assert "mã viết hoa, đã chuyển thành chữ thường" in f.message.lower()
    assert df["village_code"].tolist() == ["thon_a", "thon_b", "thon_c"]


BAD_CODES = ["../../x", "a/b", "a\\b", "xã_a", "bg yen", "_x", "a-b", "a" * 65, True]


def test_invalid_codes_are_rejected(tmp_path):
    rows = [VILLAGE_HEADER] + [village(code=bad) for bad in BAD_CODES]
    df, findings = read_sheet(tmp_path, rows)
    found = rule(findings, "code_invalid")
    assert sorted((f.row, f.column) for f in found) == [
        (2 + i, "Mã thôn") for i in range(len(BAD_CODES))]
    assert all(f.severity == ERROR and "không hợp lệ" in f.message for f in found)
    by_row = {f.row: f for f in found}
    assert by_row[2].value == "../../x"
    assert "không được chứa «/», «\\» hoặc «..»" in by_row[2].message
    assert by_row[3].value == "a/b" and by_row[5].value == "xã_a"
    assert df["village_code"].isna().all()
    assert [f for f in findings if f.rule != "code_invalid"] == []


def test_numeric_code_cells_become_text(tmp_path):
    df, findings = read_sheet(tmp_path, [VILLAGE_HEADER, village(code=101, commune=7.0)])
    assert findings == []
    assert (df.loc[0, "village_code"], df.loc[0, "commune_code"]) == ("101", "7")


def test_nfd_text_is_normalised_to_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "Yên  Dũng ")
    df, findings = read_sheet(tmp_path, [UNITS_HEADER, ["yd", nfd, "Huyện, thành phố", None,
                                                        "Huyện"]],
                              sheet="Đơn vị", table="units")
    assert findings == []
    assert df.loc[0, "name"] == "Yên Dũng"
    assert unicodedata.is_normalized("NFC", df.loc[0, "name"])


def test_formula_without_cached_value(tmp_path):
    rows = [VILLAGE_HEADER, village(code="a"), village(code="b", members="=2+3")]
    df, findings = read_sheet(tmp_path, rows)
    f = only(findings, "formula_no_value")
    assert f.severity == ERROR and (f.row, f.column, f.value) == (3, "Số đảng viên", "=2+3")
    assert "công thức chưa có giá trị" in f.message
    assert rule(findings, "required_empty") == []
    assert pd.isna(df.loc[1, "party_members"])


def test_formula_with_cached_value_reads_the_value(tmp_path, monkeypatch):
    """As Excel saves it: <f>…</f><v>5</v>. The value is read and no second pass is made."""
    path = make_xlsx(tmp_path / "a.xlsx", {"Thôn": [VILLAGE_HEADER,
                                                     village(code="b", members="=2+3")]})
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(cached, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                assert b"<f>2+3</f><v />" in data
                data = data.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>5</v>")
            dst.writestr(info, data)
    monkeypatch.setattr(workbooks, "_locate_formulas",
                        lambda *a: pytest.fail("second pass on a file with cached values"))
    data, findings = read_input(cached)
    assert findings == []
    assert data.tables["villages"]["party_members"].tolist() == [5]


def test_unnamed_column_with_data_is_reported(tmp_path):
    _, findings = read_sheet(tmp_path, [VILLAGE_HEADER, village() + [None, 99]])
    f = only(findings, "unnamed_column")
    assert f.severity == WARNING and f.column == "Cột J" and f.row == 2


def test_findings_are_capped_per_rule_and_column(tmp_path):
    rows = [VILLAGE_HEADER] + [village(code=f"t{i}", members="abc") for i in range(120)]
    _, findings = read_sheet(tmp_path, rows)
    found = rule(findings, "not_a_number")
    assert len(found) == sheets.FINDINGS_CAP + 1
    assert [f.row for f in found[:3]] == [2, 3, 4]
    assert "… và 70 dòng khác" in found[-1].message and found[-1].row is None


# --- CSV --------------------------------------------------------------------------------------
UNITS_CSV = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Loại đơn vị\r\n"
             "yen_dung,Yên Dũng,\"Huyện, thành phố\",bg,Huyện\r\n"
             "xa_tien_phong,Tiến Phong,\"Xã, phường, thị trấn\",yen_dung,Xã\r\n")




@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom",
                                      "utf-16-be-bom", "cp1258"])
def test_csv_encodings(tmp_path, encoding):
    folder = tmp_path / "csv"
    folder.mkdir()
    if encoding == "cp1258":
        data = cp1258_bytes(UNITS_CSV)
    elif encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + UNITS_CSV.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + UNITS_CSV.encode("utf-16-be")
    else:
        data = UNITS_CSV.encode(encoding)
    (folder / "units.csv").write_bytes(data)
    data_, findings = read_input(folder)
    df = data_.tables["units"]
    assert df["name"].tolist() == ["Yên Dũng", "Tiến Phong"]
    assert df["level"].tolist() == ["district", "commune"]
    assert df["_row"].tolist() == [2, 3]
    assert df["_sheet"].tolist() == ["units", "units"] and df["_file"].iat[0] == "units.csv"
    if encoding == "cp1258":
        assert only(findings, "encoding_cp1258").severity == WARNING
    else:
        assert findings == []


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
    folder = tmp_path / "csv"
    folder.mkdir()
    text = "\n".join(delimiter.join(r) for r in [
        ["old_code", "new_code", "effective_year"], ["a", "b", "2019"], ["c", "b", "2019"]])
    (folder / "crosswalk.csv").write_text(text, encoding="utf-8")
    data, findings = read_input(folder)
    assert findings == []
    assert data.tables["crosswalk"]["old_code"].tolist() == ["a", "c"]


def test_csv_matched_by_title_slug_with_title_rows(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    text = ("Báo cáo sáp nhập,,\n,,\nMã cũ,Mã mới,Năm có hiệu lực\n"
            "a,b,2019\nc,b,2.030\n")
    (folder / "sap_nhap.csv").write_text(text, encoding="utf-8")
    data, findings = read_input(folder)
    df = data.tables["crosswalk"]
    assert df["_row"].tolist() == [4, 5]
    f = only(findings, "year_out_of_range")
    assert (f.row, f.column, f.file, f.sheet) == (5, "Năm có hiệu lực", "sap_nhap.csv",
                                                   "crosswalk")


def test_csv_folder_fingerprint_and_files(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (folder / "ghi_chu.xls").write_bytes(b"x")
    data, findings = read_input(folder)
    assert data.files == ["units.csv"]
    assert len(data.fingerprint) == 12
    assert only(findings, "file_ignored").file == "ghi_chu.xls"
    (folder / "units.csv").write_text(UNITS_CSV + "a,A,Tỉnh,,Tỉnh\n", encoding="utf-8")
    assert read_input(folder)[0].fingerprint != data.fingerprint


def test_empty_folder(tmp_path):
    _, findings = read_input(tmp_path)
    assert only(findings, "no_tables").severity == ERROR


def test_malformed_csv_line(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    # over the reader's field limit (1 MiB characters; 200,000 are read): that line only is lost
    text = ("old_code,new_code,effective_year\na,b,2019\n\"" + "c" * 1_100_000
            + "\",b,2019\nd,b,2019\n")
    (folder / "crosswalk.csv").write_text(text, encoding="utf-8")
    data, findings = read_input(folder)
    f = only(findings, "corrupt_file")
    assert f.severity == ERROR and f.row == 3 and "dòng 3" in f.message
    assert data.tables["crosswalk"]["old_code"].tolist() == ["a", "d"]
    assert data.tables["crosswalk"]["_row"].tolist() == [2, 4]


def test_unknown_csv_in_a_folder(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (folder / "ghi_chu.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    data, findings = read_input(folder)
    f = only(findings, "unknown_sheet")
    assert f.file == "ghi_chu.csv" and f.message.startswith("Tệp «ghi_chu»")
    assert len(data.tables["units"]) == 2 and data.files == ["ghi_chu.csv", "units.csv"]
