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
