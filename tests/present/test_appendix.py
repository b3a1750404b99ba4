"""The Excel appendix, read back with openpyxl: real numbers, totals, layout, reproducible."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.present.appendix import write_appendix_xlsx

NAMES = {
    "son_dong": "Huyện Sơn Động",
    "yen_the": "Huyện Yên Thế",
    "cong_an": "Đảng bộ Công an tỉnh",
}
LEVELS = {"son_dong": "district", "yen_the": "district", "cong_an": "sector"}


def percent_frame() -> pd.DataFrame:
    """Hand-made appendix frame: T1, province 2017 = (221 + 91 + 48) / (250 + 100 + 50)."""
    frame = pd.DataFrame(
        {
            "Đơn vị": ["Huyện Sơn Động", "Huyện Yên Thế", "Đảng bộ Công an tỉnh", "Toàn tỉnh"],
            2016: [87.0, 90.5, 94.0, 89.9],
            2017: [88.4, 91.0, 96.0, 90.0],
        },
        index=pd.Index(["son_dong", "yen_the", "cong_an", "bac_giang"], name="unit_code"),
    )
    frame.attrs = {
        "unit": "percent",
        "levels": LEVELS,
        "total_code": "bac_giang",
        "part_years": [],
        "series_breaks": {},
    }
    return frame


def count_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Đơn vị": ["Huyện Sơn Động", "Huyện Yên Thế", "Đảng bộ Công an tỉnh", "Toàn tỉnh"],
            2016: [140.0, 1170.0, np.nan, 1310.0],
            2017: [135.0, 1180.0, 62.0, 1377.0],
        },
        index=pd.Index(["son_dong", "yen_the", "cong_an", "bac_giang"], name="unit_code"),
    )
    frame.attrs = {
        "unit": "count",
        "levels": LEVELS,
        "total_code": "bac_giang",
        "part_years": [2017],
        "series_breaks": {},
    }
    return frame


def appendices():
    return [
        {
            "number": 1,
            "title_vi": "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên",
            "frame": percent_frame(),
            "unit_label": "%",
            "note_vi": "Số liệu thử.",
        },
        {
            "number": 2,
            "title_vi": "Số đảng viên mới kết nạp",
            "frame": count_frame(),
            "unit_label": "người",
        },
    ]


def table_rows(ws):
    """(stt, name, values…) of the data rows under the header row 3, up to the blank row."""
    rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(row)
    return rows


@pytest.fixture
def workbook(tmp_path):
    path = write_appendix_xlsx(appendices(), tmp_path / "phu_luc.xlsx")
    return openpyxl.load_workbook(path)


class TestContent:
    def test_sheets(self, workbook):
        assert workbook.sheetnames == ["Mục lục", "PL1", "PL2"]
        index = workbook["Mục lục"]
        assert index["A4"].value == "Phụ lục 1"
        assert index["C5"].hyperlink.location == "'PL2'!A1"

    def test_title_unit_and_header_rows(self, workbook):
        ws = workbook["PL1"]
        assert ws["A1"].value == "Phụ lục 1. Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"
        assert ws["A2"].value == "Đơn vị tính: %"
        header = [c.value for c in ws[3]]
        assert header == ["STT", "Đơn vị", "Năm 2016 (%)", "Năm 2017 (%)"]
        assert all(
            c.font.b
            and c.fill.fgColor.rgb.endswith("D9D9D9")
            and c.alignment.wrap_text
            and c.border.left.style == "thin"
            for c in ws[3]
        )

    def test_cells_are_real_numbers(self, workbook):
        for name in ("PL1", "PL2"):
            for row in table_rows(workbook[name]):
                stt, label, *values = row
                for value in values:
                    assert value is None or isinstance(value, int | float), (name, row)
        ws = workbook["PL1"]
        assert ws["C5"].value == 87.0 and ws["C5"].number_format == "0.0"
        assert workbook["PL2"]["D6"].number_format == "#,##0"

    def test_groups_and_numbering(self, workbook):
        rows = table_rows(workbook["PL1"])
        assert [r[:2] for r in rows] == [
            ("I", "Các huyện, thành phố"),
            (1, "Huyện Sơn Động"),
            (2, "Huyện Yên Thế"),
            ("II", "Các đảng bộ khối, lực lượng vũ trang trực thuộc Tỉnh ủy"),
            (1, "Đảng bộ Công an tỉnh"),
            (None, "Toàn tỉnh"),
        ]
        total_row = 4 + len(rows) - 1
        assert workbook["PL1"].cell(row=total_row, column=2).font.b

    def test_count_total_equals_sum_of_rows(self, workbook):
        rows = table_rows(workbook["PL2"])
        units = [r for r in rows if isinstance(r[0], int)]
        total = rows[-1]
        assert total[1] == "Toàn tỉnh"
        for i in (2, 3):
            assert total[i] == sum(r[i] for r in units if r[i] is not None)
        assert total[3] == 1377 and isinstance(total[3], int)

    def test_percent_total_is_the_province_value(self, workbook):
        total = table_rows(workbook["PL1"])[-1]
        assert total[2:] == (89.9, 90.0)  # the given province values, not a mean of the rows

    def test_notes_and_source(self, workbook):
        texts = [c.value for c in workbook["PL2"]["A"] if isinstance(c.value, str)]
        assert "- (*) Số liệu năm 2017 chưa đủ cả năm." in texts
        assert workbook["PL2"]["D3"].value == "Năm 2017* (người)"
        assert "- Ô trống: không có số liệu." in texts
        assert texts[-1].startswith("Nguồn:")
        assert "- Số liệu thử." in [c.value for c in workbook["PL1"]["A"]]


class TestLayout:
    def test_freeze_print_and_widths(self, workbook):
        ws = workbook["PL1"]
        assert ws.freeze_panes == "C4"
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$3"
        assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width


class TestReproducible:
    def test_two_writes_are_byte_identical(self, tmp_path):
        first = write_appendix_xlsx(appendices(), tmp_path / "a.xlsx").read_bytes()
        second = write_appendix_xlsx(appendices(), tmp_path / "b.xlsx").read_bytes()
        assert first == second

    def test_fixed_dates(self, tmp_path, monkeypatch):
        # Unset: the build day at midnight UTC (analysis.reproducible), so same-day rebuilds match.
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        today = dt.datetime.now(tz=dt.UTC).date()
        path = write_appendix_xlsx(appendices(), tmp_path / "a.xlsx")
        assert openpyxl.load_workbook(path).properties.created == dt.datetime(
            today.year, today.month, today.day)
        with zipfile.ZipFile(path) as archive:
            assert {i.date_time for i in archive.infolist()} == {
                (today.year, today.month, today.day, 0, 0, 0)}
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1593561600")  # 2020-07-01
        path = write_appendix_xlsx(appendices(), tmp_path / "b.xlsx")
        props = openpyxl.load_workbook(path).properties
        assert props.created == props.modified == dt.datetime(2020, 7, 1)

    def test_atomic_replace_leaves_no_temp_file(self, tmp_path):
        target = tmp_path / "phu_luc.xlsx"
        target.write_bytes(b"old")
        write_appendix_xlsx(appendices(), target)
        assert zipfile.is_zipfile(target)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["phu_luc.xlsx"]

    def test_failure_keeps_the_old_file(self, tmp_path):
        target = tmp_path / "phu_luc.xlsx"
        target.write_bytes(b"old")
        with pytest.raises(ValueError):
            write_appendix_xlsx([{"number": 1, "title_vi": "x"}], target)
        assert target.read_bytes() == b"old"
        assert [p.name for p in Path(tmp_path).iterdir()] == ["phu_luc.xlsx"]


class TestPublishingMode:
    """Cells hidden in publishing mode ("<3", "x") are text; every other cell stays a number."""

    def hidden_frame(self) -> pd.DataFrame:
        frame = count_frame()
        attrs = dict(frame.attrs)
        frame[2017] = frame[2017].astype(object)
        frame.loc["son_dong", 2017] = "<3"
        frame.loc["cong_an", 2017] = "x"
        frame.attrs = attrs
        return frame

    def test_workbook_cells(self, tmp_path):
        spec = {"number": 3, "title_vi": "Số đảng viên mới kết nạp", "frame": self.hidden_frame(),
                "unit_label": "người", "note_vi": "Bản công bố: “<3” là ô có 1 hoặc 2 người."}
        ws = openpyxl.load_workbook(write_appendix_xlsx([spec], tmp_path / "a.xlsx"))["PL3"]
        rows = {r[1]: r[2:] for r in table_rows(ws)}
        assert rows["Huyện Sơn Động"] == (140, "<3")
        assert rows["Đảng bộ Công an tỉnh"] == (None, "x")
        assert rows["Huyện Yên Thế"] == (1170, 1180)
        assert rows["Toàn tỉnh"] == (1310, 1377)  # the real total, still a number
        notes = [c.value for c in ws["A"] if isinstance(c.value, str)]
        assert "- Bản công bố: “<3” là ô có 1 hoặc 2 người." in notes

    def test_html_cells(self):
        from analysis.present.appendix import appendix_html

        page = appendix_html(self.hidden_frame(), 3, "Số đảng viên mới kết nạp", "người")
        assert '<td class="num">&lt;3</td>' in page and '<td class="num">x</td>' in page
        assert '<td class="num">1.180</td>' in page  # Vietnamese thousands separator


class TestCountsAndRatings:
    """Issue 13, item 15: numerators and denominators beside the rates; the ratings by level."""

    def counts(self):
        index = pd.Index(["son_dong", "yen_the", "cong_an", "bac_giang"], name="unit_code")
        numerator = pd.DataFrame({2016: [87.0, 181.0, 47.0, 315.0], 2017: [221.0, 91.0, 48.0,
                                  360.0]}, index=index)
        denominator = pd.DataFrame({2016: [100.0, 200.0, 50.0, 350.0], 2017: [250.0, 100.0,
                                    50.0, 400.0]}, index=index)
        return {"numerator": numerator, "denominator": denominator}

    def test_count_columns_right_of_the_rates(self, tmp_path):
        spec = {**appendices()[0], "counts": self.counts()}
        ws = openpyxl.load_workbook(write_appendix_xlsx([spec], tmp_path / "a.xlsx"))["PL1"]
        header = [c.value for c in ws[3]]
        assert header == ["STT", "Đơn vị", "Năm 2016 (%)", "Năm 2017 (%)", "Tử số 2016",
                          "Tử số 2017", "Mẫu số 2016", "Mẫu số 2017"]
        rows = table_rows(ws)
        son_dong = next(r for r in rows if r[1] == "Huyện Sơn Động")
        assert son_dong[2:] == (87.0, 88.4, 87, 221, 100, 250)
        assert rows[-1][1:] == ("Toàn tỉnh", 89.9, 90.0, 315, 360, 350, 400)
        assert ws.cell(row=4 + len(rows), column=3).value is None  # the table ends there

    def test_html_prints_the_counts_under_each_rate(self):
        from analysis.present.appendix import appendix_html

        page = appendix_html(percent_frame(), 1, "T1", "%", counts=self.counts())
        assert '<td class="num">88,4<span class="pl-n">221/250</span></td>' in page
        assert '<td class="num">90,0<span class="pl-n">360/400</span></td>' in page
        assert "Dưới mỗi tỷ lệ là tử số/mẫu số" in page

    def test_rating_sheet_blocks_and_shares(self, tmp_path):
        from analysis.present.appendix.ratings import rating_frame

        ratings = pd.DataFrame({
            "unit_code": ["son_dong", "cong_an", "son_dong", "cong_an"],
            "year": [2017, 2017, 2018, 2018],
            "orgs_total": [50, 20, 52, 20], "orgs_not_rated": [0, 0, 2, 0],
            "orgs_excellent": [25, 8, 10, 4], "orgs_good": [20, 11, 30, 14],
            "orgs_completed": [4, 1, 9, 2], "orgs_failed": [1, 0, 1, 0],
        })
        years = [2017, 2018]
        province = rating_frame(ratings, "orgs", ["son_dong", "cong_an"], years)
        unit = rating_frame(ratings, "orgs", ["son_dong"], years)
        spec = {"number": 12, "kind": "rating", "title_vi": "Xếp loại TCCSĐ",
                "unit_label": "tổ chức", "years": years,
                "blocks": [("Tỉnh Bắc Giang", province), ("Huyện Sơn Động", unit)]}
        ws = openpyxl.load_workbook(write_appendix_xlsx([spec], tmp_path / "r.xlsx"))["PL12"]
        assert [c.value for c in ws[3]] == ["STT", "Chỉ tiêu", "Năm 2017", "Năm 2018",
                                            "Tỷ lệ 2017 (%)", "Tỷ lệ 2018 (%)"]
        rows = table_rows(ws)
        assert rows[0][1] == "Tỉnh Bắc Giang" and rows[7][1] == "Huyện Sơn Động"
        # province 2018: 72 TCCSĐ, 2 unrated, 14 excellent: 14/70 = 20,0%; 2017: 33/70 = 47,1%
        assert rows[1][1:4] == ("Tổng số tổ chức cơ sở đảng", 70, 72)
        assert rows[3][2:] == (33, 14, 47.1, 20.0)
        # Sơn Động 2018: 10 excellent of 52 − 2 = 50 rated = 20,0%
        assert rows[10][2:] == (25, 10, 50.0, 20.0)
