"""Sentences of issue 13: yearly targets name the years missed, admissions against the plan,
printed changes equal the difference of the printed values. Expected texts worked by hand."""

from __future__ import annotations

import math

import pandas as pd

from analysis.present.report.sentences import (
    change_clause,
    indicator_sentence,
    plan_clause,
    yearly_clause,
)

T1_NAME = "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"
T5_NAME = "Số đảng viên mới kết nạp"


def row(**values) -> pd.Series:
    base = {
        "indicator_id": "T1",
        "verdict": "not_achieved",
        "baseline_year": 2015,
        "baseline_value": 88.5,
        "latest_year": 2019,
        "latest_value": 91.9,
        "target_op": ">=",
        "target_value": 90.0,
        "target_kind": "every_year",
        "target_year": 2020,
        "years_met": 3,
        "years_assessed": 4,
        "years_missed": "2018",
        "plan_share": math.nan,
    }
    base.update(values)
    return pd.Series(base)


class TestYearlyTarget:
    def test_years_missed_are_named_with_their_values(self):
        values = {2016: 90.4, 2017: 91.0, 2018: 89.3, 2019: 91.9}
        assert yearly_clause(row(), "percent", "", values) == (
            "đạt chỉ tiêu 3/4 năm, chưa đạt năm 2018: 89,3%"
        )

    def test_several_years_missed(self):
        values = {2016: 2205, 2017: 2250, 2018: 2578}
        r = row(indicator_id="T5", years_met=1, years_assessed=3, years_missed="2016;2017")
        assert yearly_clause(r, "count", "người", values) == (
            "đạt chỉ tiêu 1/3 năm, chưa đạt năm 2016: 2.205 người, năm 2017: 2.250 người"
        )

    def test_met_every_year(self):
        assert yearly_clause(row(years_met=4, years_missed=""), "percent") == (
            "đạt chỉ tiêu cả 4/4 năm"
        )

    def test_sentence_says_not_achieved_and_the_year(self):
        values = {2016: 90.4, 2017: 91.0, 2018: 89.3, 2019: 91.9}
        text = indicator_sentence(row(), T1_NAME, "percent", yearly_values=values)
        assert text == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2019 đạt 91,9%, vượt chỉ tiêu "
            "1,9 điểm phần trăm; so với năm 2015 (88,5%) tăng 3,4 điểm phần trăm; đạt chỉ tiêu "
            "3/4 năm, chưa đạt năm 2018: 89,3%; đánh giá: Chưa đạt."
        )


class TestPlan:
    def test_admissions_per_year_and_in_total(self):
        # son_dong's quota 170/year; 2016 143 → 84,1%; 2017 135 → 79,4%;
        # (143 + 135)/(2·170) = 278/340 = 81,76% → 81,8%
        r = row(indicator_id="T5", target_value=170.0, plan_share=278 / 340 * 100,
                years_met=0, years_assessed=2, years_missed="2016;2017")
        assert plan_clause(r, "count", {2016: 143, 2017: 135}) == (
            "so với kế hoạch 170 người/năm: năm 2016 đạt 84,1%, năm 2017 đạt 79,4%; cả giai "
            "đoạn 2016–2017 đạt 81,8% kế hoạch"
        )

    def test_no_plan_clause_for_a_percent(self):
        assert plan_clause(row(), "percent", {2016: 90.4}) == ""


class TestChangeFromPrintedValues:
    def test_difference_of_the_rounded_values(self):
        # 88,46 prints 88,5 and 91,94 prints 91,9: the reader computes 3,4 (raw: 3,48 → 3,5)
        assert change_clause(91.94, 88.46, 2015) == (
            "so với năm 2015 (88,5%) tăng 3,4 điểm phần trăm"
        )

    def test_values_that_print_alike(self):
        assert change_clause(88.44, 88.36, 2015) == (
            "so với năm 2015 (88,4%) gần như không thay đổi"
        )
        assert change_clause(88.4, 88.4, 2015) == "so với năm 2015 (88,4%) không thay đổi"

    def test_counts(self):
        assert change_clause(135, 183, 2015, "count", "người") == (
            "so với năm 2015 (183 người) giảm 48 người"
        )


class TestOlderLatestYear:
    def test_sentence_says_the_latest_year_with_data(self):
        r = row(latest_year=2016, latest_value=90.0, years_met=1, years_assessed=1,
                years_missed="", verdict="achieved")
        text = indicator_sentence(r, T1_NAME, "percent", expected_year=2017)
        assert text.startswith(
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2016 (năm mới nhất có số liệu: "
            "2016; chưa có số liệu năm 2017) đạt 90,0%, bằng chỉ tiêu;"
        )

    def test_nothing_said_when_the_latest_year_is_the_assessments(self):
        text = indicator_sentence(row(), T1_NAME, "percent", expected_year=2019)
        assert "năm mới nhất có số liệu" not in text
