"""Styled tables and appendix tables: escaping, Vietnamese numbers, verdict badges, totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.present import appendix, tables
from analysis.present import labels as L

EVIL = "<script>alert(1)</script>"
NAMES = {
    "son_dong": "Huyện Sơn Động",
    "yen_the": EVIL,
    "cong_an": "Đảng bộ Công an tỉnh",
}
T1 = "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"
T5 = "Số đảng viên mới kết nạp"
# (unit, level, {year: (numerator, denominator)}) — percents by hand: 86/100 = 86,0%,
# 221/250 = 88,4%; the province pools them: 2015 (86+90+38)/(100+100+40) = 214/240 = 89,17%
T1_COUNTS = [
    ("son_dong", "district", {2015: (86, 100), 2017: (221, 250)}),
    ("yen_the", "district", {2015: (90, 100), 2017: (91, 100)}),
    ("cong_an", "sector", {2015: (38, 40), 2017: (48, 50)}),
]
T5_COUNTS = {
    "son_dong": {2015: 150, 2017: 135},
    "yen_the": {2015: 170, 2017: 1180},
    "cong_an": {2015: 60, 2017: 62},
}


def indicators_frame(t5_province=None) -> pd.DataFrame:
    rows = []
    pooled = {}
    for code, level, by_year in T1_COUNTS:
        for year, (x, n) in by_year.items():
            px, pn = pooled.get(year, (0, 0))
            pooled[year] = (px + x, pn + n)
            rows.append(
                {
                    "indicator_id": "T1",
                    "name_vi": T1,
                    "unit_code": code,
                    "level": level,
                    "year": year,
                    "breakdown": "",
                    "numerator": x,
                    "denominator": n,
                    "value": 100 * x / n,
                    "unit": "percent",
                    "polarity": "higher",
                    "target_op": ">=",
                    "target_value": 90.0,
                    "target_kind": "every_year",
                    "excluded": False,
                    "partial": False,
                    "series_break": "",
                }
            )
    for year, (x, n) in pooled.items():
        rows.append(
            {
                "indicator_id": "T1",
                "name_vi": T1,
                "unit_code": "bac_giang",
                "level": "province",
                "year": year,
                "breakdown": "",
                "numerator": x,
                "denominator": n,
                "value": 100 * x / n,
                "unit": "percent",
                "excluded": False,
            }
        )
    levels = {code: level for code, level, _ in T1_COUNTS}
    for code, by_year in T5_COUNTS.items():
        for year, count in by_year.items():
            rows.append(
                {
                    "indicator_id": "T5",
                    "name_vi": T5,
                    "unit_code": code,
                    "level": levels[code],
                    "year": year,
                    "breakdown": "",
                    "numerator": count,
                    "value": float(count),
                    "unit": "count",
                    "polarity": "higher",
                    "target_op": ">=",
                    "target_value": 170.0,
                    "target_kind": "every_year",
                    "excluded": False,
                    "partial": False,
                    "series_break": "",
                }
            )
    province = t5_province or {2015: 380, 2017: 1377}
    for year, count in province.items():
        rows.append(
            {
                "indicator_id": "T5",
                "name_vi": T5,
                "unit_code": "bac_giang",
                "level": "province",
                "year": year,
                "breakdown": "",
                "value": float(count),
                "unit": "count",
                "excluded": False,
            }
        )
    # a breakdown row that must never leak into totals
    rows.append(
        {
            "indicator_id": "T5",
            "name_vi": T5,
            "unit_code": "son_dong",
            "level": "district",
            "year": 2017,
            "breakdown": "female",
            "value": 50.0,
            "unit": "count",
            "excluded": False,
        }
    )
    return pd.DataFrame(rows)


def progress_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "indicator_id": "T1",
                "unit_code": "son_dong",
                "verdict": "needs_acceleration",
                "baseline_year": 2015,
                "baseline_value": 86.0,
                "latest_year": 2017,
                "latest_value": 88.4,
                "target_op": ">=",
                "target_value": 90.0,
                "target_kind": "every_year",
                "target_year": 2020,
                "years_met": 0,
                "years_assessed": 2,
                "trend_direction": "increasing",
            },
            {
                "indicator_id": "T5",
                "unit_code": "son_dong",
                "verdict": "moving_away",
                "baseline_year": 2015,
                "baseline_value": 150,
                "latest_year": 2017,
                "latest_value": 135,
                "target_op": ">=",
                "target_value": 170,
                "target_kind": "every_year",
                "target_year": 2020,
                "years_met": 0,
                "years_assessed": 2,
            },
            {
                "indicator_id": "T1",
                "unit_code": "yen_the",
                "verdict": "achieved",
                "baseline_year": 2015,
                "baseline_value": 90.0,
                "latest_year": 2017,
                "latest_value": 91.0,
                "target_op": ">=",
                "target_value": 90.0,
                "target_kind": "every_year",
                "years_met": 2,
                "years_assessed": 2,
            },
            {
                "indicator_id": "T1",
                "unit_code": "cong_an",
                "verdict": "achieved",
                "baseline_year": 2015,
                "baseline_value": 95.0,
                "latest_year": 2017,
                "latest_value": 96.0,
                "target_op": ">=",
                "target_value": 90.0,
                "target_kind": "every_year",
                "years_met": 2,
                "years_assessed": 2,
            },
        ]
    )


class TestScorecard:
    def test_rows_numbers_targets_and_badges(self):
        html = tables.scorecard_table(
            indicators_frame(), progress_frame(), "son_dong", [2015, 2016, 2017]
        ).to_html()
        assert "Năm gốc 2015" in html
        assert T1 in html and T5 in html
        assert "88,4%" in html and "86,0%" in html
        assert "135 người (2017)" in html
        assert "≥ 90% hằng năm" in html and "≥ 170 người hằng năm" in html
        assert "! Cần đẩy nhanh" in html and "↓ Đi lùi" in html
        assert L.verdict_colour("needs_acceleration") in html
        assert "0/2 năm đạt" in html
        assert html.index("T1") < html.index("T5")

    def test_same_data_same_html(self):
        make = lambda: tables.scorecard_table(  # noqa: E731
            indicators_frame(), progress_frame(), "son_dong", [2015, 2017]
        ).to_html()
        assert make() == make()

    def test_data_strings_are_escaped(self):
        ind = indicators_frame()
        ind.loc[ind["indicator_id"] == "T1", "name_vi"] = "<b>T1</b>"
        html = tables.scorecard_table(
            ind, progress_frame(), "son_dong", [2015, 2017], title_vi=f"Kết quả — {EVIL}"
        ).to_html()
        assert "<b>T1</b>" not in html and "&lt;b&gt;T1&lt;/b&gt;" in html
        assert EVIL not in html and "&lt;script&gt;" in html


class TestHeatTable:
    def test_escaped_unit_names_values_and_symbols(self):
        html = tables.heat_table(
            progress_frame(), NAMES, ["T1", "T5"], indicators=indicators_frame()
        ).to_html()
        assert EVIL not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "88,4% !" in html and "91,0% ✓" in html and "135 người ↓" in html
        assert L.tint(L.verdict_colour("achieved"), 0.45) in html
        assert html.index("Huyện Sơn Động") < html.index("Đảng bộ Công an tỉnh")

    def test_missing_cells(self):
        html = tables.heat_table(progress_frame(), NAMES, ["T1", "T9"]).to_html()
        assert "–" in html


class TestProcessTable:
    def test_arrows_follow_polarity(self):
        rows = []
        for ident, polarity, unit, values in [
            ("P1", "higher", "percent", [70.0, 80.0]),
            ("P3", "lower", "count", [20.0, 12.0]),
            ("P5", "higher", "percent", [95.0, 90.0]),
        ]:
            for year, value in zip((2015, 2017), values, strict=True):
                rows.append(
                    {
                        "indicator_id": ident,
                        "name_vi": f"Nội dung {ident}",
                        "unit_code": "son_dong",
                        "level": "district",
                        "year": year,
                        "breakdown": "",
                        "value": value,
                        "unit": unit,
                        "polarity": polarity,
                        "target_op": None,
                        "target_value": None,
                        "target_kind": None,
                    }
                )
        html = tables.process_table(pd.DataFrame(rows), None, "son_dong").to_html()
        good, bad = L.direction(1).colour, L.direction(-1).colour
        assert f'<span style="color:{good}" title="Tăng">↑</span>' in html  # P1 up, good
        assert f'<span style="color:{good}" title="Giảm">↓</span>' in html  # P3 down, good
        assert f'<span style="color:{bad}" title="Giảm">↓</span>' in html  # P5 down, bad
        assert "12 thôn" in html and "70,0%" in html
        assert html.index("P1") < html.index("P3") < html.index("P5")


class TestAppendixFrame:
    def test_order_and_percent_total_is_the_province_row(self):
        frame = appendix.appendix_frame(indicators_frame(), "T1", NAMES, [2015, 2017])
        assert list(frame.index) == ["son_dong", "yen_the", "cong_an", "bac_giang"]
        assert frame.loc["bac_giang", "Đơn vị"] == "Toàn tỉnh"
        assert frame.loc["bac_giang", 2015] == pytest.approx(100 * 214 / 240)
        # pooled, not the mean of the rows (which would be 90,33)
        assert frame.loc["bac_giang", 2015] != pytest.approx(frame.loc[:"cong_an", 2015].mean())
        assert frame.attrs["unit"] == "percent"
        assert frame.attrs["levels"] == {
            "son_dong": "district",
            "yen_the": "district",
            "cong_an": "sector",
        }

    def test_count_total_equals_sum_and_breakdowns_ignored(self):
        frame = appendix.appendix_frame(indicators_frame(), "T5", NAMES, [2015, 2017])
        units = frame.drop(index="bac_giang")
        assert frame.loc["bac_giang", 2017] == units[2017].sum() == 1377

    def test_count_total_mismatch_raises(self):
        ind = indicators_frame(t5_province={2015: 381, 2017: 1377})
        with pytest.raises(ValueError, match="năm 2015: tổng các đơn vị 380, toàn tỉnh 381"):
            appendix.appendix_frame(ind, "T5", NAMES, [2015, 2017])

    def test_missing_province_row_raises(self):
        ind = indicators_frame()
        ind = ind[
            ~((ind["indicator_id"] == "T1") & (ind["level"] == "province") & (ind["year"] == 2017))
        ]
        with pytest.raises(ValueError, match="thiếu dòng toàn tỉnh năm 2017"):
            appendix.appendix_frame(ind, "T1", NAMES, [2015, 2017])

    def test_excluded_is_a_count_not_a_flag_and_absent_rows_are_empty(self):
        ind = indicators_frame()
        ind["excluded"] = 3  # units left out of the denominator (e.g. not rated)
        ind = ind[~((ind["unit_code"] == "yen_the") & (ind["year"] == 2015))]
        ind.loc[(ind["level"] == "province") & (ind["year"] == 2015), "value"] = 124 / 140 * 100
        frame = appendix.appendix_frame(ind, "T1", NAMES, [2015, 2016, 2017])
        assert frame.loc["son_dong", 2015] == 86.0
        assert np.isnan(frame.loc["yen_the", 2015])
        assert frame[2016].isna().all()

    def test_unknown_indicator(self):
        with pytest.raises(ValueError, match="T9"):
            appendix.appendix_frame(indicators_frame(), "T9", NAMES)


class TestAppendixHtml:
    def test_official_layout(self):
        frame = appendix.appendix_frame(indicators_frame(), "T1", NAMES, [2015, 2017])
        html = appendix.appendix_html(frame, 1, T1, "%")
        assert f"Phụ lục 1. {T1}" in html
        assert "Đơn vị tính: %" in html
        assert "<th>STT</th><th>Đơn vị</th><th>2015</th><th>2017</th>" in html
        assert '<tr class="group"><td class="stt">I</td>' in html
        assert '<td class="stt">II</td>' in html
        assert (
            '<tr class="total"><td class="stt"></td><td>Toàn tỉnh</td>'
            '<td class="num">89,2</td><td class="num">90,0</td></tr>'
        ) in html
        assert '<td class="num">88,4</td>' in html
        assert "tr.total td{font-weight:bold;}" in html
        assert "Nguồn:" in html
        assert "không phải trung bình cộng" in html

    def test_counts_use_thousands_dots(self):
        frame = appendix.appendix_frame(indicators_frame(), "T5", NAMES, [2015, 2017])
        html = appendix.appendix_html(frame, 2, T5, "người", source_vi="Nguồn: số liệu thử.")
        assert '<td class="num">1.377</td>' in html and '<td class="num">1.180</td>' in html
        assert "Nguồn: số liệu thử." in html

    def test_escaping(self):
        frame = appendix.appendix_frame(indicators_frame(), "T1", NAMES, [2015, 2017])
        html = appendix.appendix_html(frame, 1, f"Tiêu đề {EVIL}", "%", note_vi=EVIL)
        assert EVIL not in html
        assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3

    def test_incomplete_total_part_year_and_series_break_notes(self):
        ind = indicators_frame()
        province_2017 = (ind["level"] == "province") & (ind["year"] == 2017)
        ind.loc[province_2017, "partial"] = True
        ind.loc[province_2017, "units_reporting"] = 3
        ind.loc[province_2017, "units_expected"] = 4
        ind.loc[(ind["indicator_id"] == "T1") & (ind["year"] == 2017), "series_break"] = (
            "rating_scheme_2018"
        )
        frame = appendix.appendix_frame(ind, "T1", NAMES, [2015, 2017], part_years=[2017])
        html = appendix.appendix_html(frame, 1, T1, "%")
        # one meaning per mark (issue 13, item 15): * a part year, † a total from fewer units
        assert "<th>2015</th><th>2017*†</th>" in html
        assert "(*) Số liệu năm 2017 chưa đủ cả năm." in html
        assert "(†) Số toàn tỉnh năm 2017 chưa đủ các đơn vị báo cáo (tính từ 3/4 đơn vị" in html
        assert html.count("(*)") == 1
        national = appendix.appendix_html(frame, 1, T1, "%", total_label="toàn quốc")
        assert (
            "(†) Số toàn quốc năm 2017 chưa đủ các đơn vị báo cáo (tính từ 3/4 đơn vị" in national
        )
        assert "Tỷ lệ toàn quốc tính từ tổng tử số và tổng mẫu số" in national
        assert "toàn tỉnh" not in national
        frame.attrs["total_label"] = "toàn quốc"  # as analysis.present.national sets it
        assert (
            appendix.appendix_notes(frame, "count")[0]
            == "Số toàn quốc bằng tổng số của các đơn vị."
        )
        assert "Từ 2018 xếp loại theo Quy định 132-QĐ/TW." in html
