"""Yearly targets (T1, T4, T5): achieved only when met every year; years missed; plan share.

Expected values are worked by hand in the comments.
"""

import math

import pandas as pd
import pytest

from analysis.measure.progress import assess_all, assess_progress, plan_shares

FINAL = {"id": "final", "baseline_year": 2015, "data_years": [2015, 2016, 2017, 2018, 2019],
         "target_year": 2020}
MIDTERM = {"id": "midterm", "baseline_year": 2015, "data_years": [2015, 2016, 2017],
           "target_year": 2020}
T1 = {"op": ">=", "value": 90, "kind": "every_year"}
T5 = {"op": ">=", "value": 2300, "kind": "every_year"}
T6 = {"op": ">=", "value": 75, "kind": "by_year", "year": 2020}


def series(values, years=range(2015, 2020)):
    return pd.DataFrame({"year": list(years), "value": list(values)})


class TestMetEveryYear:
    def test_latest_met_after_a_missed_year_is_not_achieved(self):
        # the province's T1 in the demo: 2018 89.3 < 90, every other year ≥ 90
        p = assess_progress(series([88.5, 90.4, 91.0, 89.3, 91.9]), T1, FINAL)
        assert p.verdict == "not_achieved"
        assert (p.years_met, p.years_assessed) == (3, 4)
        assert p.years_missed == "2018"

    def test_met_every_year_is_achieved(self):
        p = assess_progress(series([88.5, 90.0, 91.0, 92.0, 91.9]), T1, FINAL)
        assert p.verdict == "achieved"
        assert (p.years_met, p.years_assessed, p.years_missed) == (4, 4, "")

    def test_missed_years_listed_in_order(self):
        # 2016 and 2018 missed, 2017 and 2019 met
        p = assess_progress(series([88, 89, 95, 80, 95]), T1, FINAL)
        assert p.years_missed == "2016;2018"
        assert p.verdict == "not_achieved"

    def test_latest_missed_keeps_the_trend_reading(self):
        # 93 → 91 → 89: latest missed, baseline met → judged by level and direction
        p = assess_progress(series([93, 91, 89], years=(2015, 2016, 2017)), T1, MIDTERM)
        assert p.verdict == "moving_away"
        assert p.years_missed == "2017"

    def test_by_year_target_is_judged_on_the_latest_year_only(self):
        # T6 "≥ 75% by 2020": an earlier year below 75 does not matter
        p = assess_progress(series([60, 80, 70, 76, 77]), T6, FINAL)
        assert p.verdict == "achieved"
        assert p.years_missed == ""

    def test_a_year_without_data_is_not_missed(self):
        # 2017 absent (not reported): 2016, 2018, 2019 met → achieved, 3 of 3
        s = series([88, 91, 92, 93], years=(2015, 2016, 2018, 2019))
        p = assess_progress(s, T1, FINAL)
        assert p.verdict == "achieved" and (p.years_met, p.years_assessed) == (3, 3)


class TestPlanShare:
    def test_admissions_against_a_plan(self):
        # plan 2300/year; 2016–2019: 2205, 2332, 2578, 2583 → Σ = 9698
        # 9698 / (2300·4) = 9698 / 9200 = 1.054130 → 105.413%; 2016 missed
        s = series([2533, 2205, 2332, 2578, 2583])
        p = assess_progress(s, T5, FINAL, unit="count")
        assert p.plan_share == pytest.approx(105.413, abs=1e-3)
        assert p.years_missed == "2016" and p.verdict == "not_achieved"

    def test_no_plan_share_for_percents_or_by_year_targets(self):
        assert math.isnan(assess_progress(series([88, 91, 92, 93, 94]), T1, FINAL).plan_share)
        t7 = {"op": "==", "value": 0, "kind": "by_year", "year": 2020}
        p = assess_progress(series([12, 10, 9, 7, 5]), t7, FINAL, unit="count")
        assert math.isnan(p.plan_share)

    def test_plan_shares_per_year(self):
        # 170 per year: 143/170 = 84.118%, 135/170 = 79.412%
        shares = plan_shares({2017: 135, 2016: 143}, 170)
        assert list(shares) == [2016, 2017]
        assert shares[2016] == pytest.approx(84.118, abs=1e-3)
        assert shares[2017] == pytest.approx(79.412, abs=1e-3)
        assert math.isnan(plan_shares({2016: math.nan}, 170)[2016])

    def test_plan_must_be_positive(self):
        with pytest.raises(ValueError, match="positive"):
            plan_shares({2016: 1}, 0)


def test_assess_all_carries_the_new_fields():
    rows = pd.DataFrame({
        "indicator_id": "T5", "unit_code": "son_dong", "year": [2015, 2016, 2017],
        "value": [183, 143, 175], "unit": "count", "polarity": "higher",
    })
    out = assess_all(rows, {"T5": {"op": ">=", "value": 170, "kind": "every_year"}}, MIDTERM)
    row = out.iloc[0]
    # 2016 143 < 170 missed, 2017 175 met → not achieved; (143 + 175)/(170·2) = 93.529%
    assert row["verdict"] == "not_achieved"
    assert row["years_missed"] == "2016"
    assert row["plan_share"] == pytest.approx(93.529, abs=1e-3)
