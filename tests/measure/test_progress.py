"""Tests for analysis.measure.progress (verdicts toward targets).

Expected numbers are worked by hand in the comments or come from statsmodels.
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS, WLS

from analysis.measure.progress import VERDICTS, Progress, assess_all, assess_progress, met

MIDTERM = {"id": "midterm", "baseline_year": 2015, "data_years": [2015, 2016, 2017],
           "target_year": 2020}
FINAL = {"id": "final", "baseline_year": 2015, "data_years": [2015, 2016, 2017, 2018, 2019],
         "target_year": 2020}

T1 = {"op": ">=", "value": 90, "kind": "every_year"}
T4 = {"op": ">", "value": 84, "kind": "every_year"}
T6 = {"op": ">=", "value": 75, "kind": "by_year", "year": 2020}
T7 = {"op": "==", "value": 0, "kind": "by_year", "year": 2020}
T2 = {"op": "==", "value": 100, "kind": "by_year", "year": 2020}


def series(values, years=(2015, 2016, 2017), **cols):
    return pd.DataFrame({"year": list(years), "value": list(values), **cols})


class TestMet:
    def test_comparisons(self):
        assert met(90.0, ">=", 90) and not met(89.99, ">=", 90)
        assert not met(84.0, ">", 84) and met(84.01, ">", 84)
        assert met(100.0, "==", 100) and not met(99.9, "==", 100)
        assert met(0.0, "==", 0) and met(3, "<=", 3) and not met(3, "<", 3)
        assert not met(math.nan, ">=", 0)

    def test_float_noise(self):
        # 0.29 · 100 = 28.999999999999996 in binary floating point; 21/25 · 100 = 84.0
        assert met(0.29 * 100, ">=", 29)
        assert not met(21 / 25 * 100, ">", 84)
        assert met((1 / 3) * 3 * 100, "==", 100)

    def test_unknown_operator(self):
        with pytest.raises(ValueError, match="operator"):
            met(1, "=>", 1)


class TestVerdicts:
    def test_achieved(self):
        p = assess_progress(series([70, 73, 76]), T6, MIDTERM)
        assert p.verdict == "achieved"
        assert (p.latest_year, p.latest_value) == (2017, 76)
        assert (p.baseline_year, p.baseline_value) == (2015, 70)

    def test_on_track_by_growth_ratio(self):
        # actual   = (68/60)^(1/2) − 1 = 0.064581
        # required = (75/60)^(1/5) − 1 = 1.25^0.2 − 1 = 0.045640
        # R = 0.064581/0.045640 = 1.4150 ≥ 0.95
        p = assess_progress(series([60, 64, 68]), T6, MIDTERM)
        assert p.verdict == "on_track"
        assert p.actual_annual_change == pytest.approx(0.064581, abs=1e-6)
        assert p.required_annual_change == pytest.approx(0.045640, abs=1e-6)
        assert p.eurostat_ratio == pytest.approx(1.4150, abs=1e-4)
        assert p.eurostat_class == "on_track"
        # ESCAP: (68 − 60)/(75 − 60) = 0.5333 of the way after (2017 − 2015)/(2020 − 2015) = 0.4
        assert p.escap_current_status == pytest.approx(8 / 15)
        assert p.elapsed_share == pytest.approx(0.4)
        assert p.trend_direction == "increasing"

    def test_needs_acceleration_insufficient(self):
        # actual = (62/60)^(1/2) − 1 = 0.016530; R = 0.016530/0.045640 = 0.3622
        p = assess_progress(series([60, 61, 62]), T6, MIDTERM)
        assert p.verdict == "needs_acceleration"
        assert p.eurostat_ratio == pytest.approx(0.3622, abs=1e-4)
        assert p.eurostat_class == "insufficient"

    def test_needs_acceleration_moderate(self):
        # actual = (64.5/60)^(1/2) − 1 = 0.036822; R = 0.036822/0.045640 = 0.8068
        p = assess_progress(series([60, 62, 64.5]), T6, MIDTERM)
        assert p.verdict == "needs_acceleration"
        assert p.eurostat_ratio == pytest.approx(0.8068, abs=1e-4)
        assert p.eurostat_class == "moderate"

    def test_moving_away(self):
        p = assess_progress(series([60, 59, 58]), T6, MIDTERM)
        assert p.verdict == "moving_away"
        assert p.eurostat_ratio < 0 and p.eurostat_class == "moving_away"

    def test_lower_is_better_target(self):
        # "<= 5" from 10: required = (5/10)^(1/5) − 1 = −0.129449;
        # actual = (8/10)^(1/2) − 1 = −0.105573; R = −(−0.105573)/0.129449 = 0.8156
        target = {"op": "<=", "value": 5, "kind": "by_year", "year": 2020}
        p = assess_progress(series([10, 9, 8]), target, MIDTERM, unit="count",
                            polarity="lower")
        assert p.verdict == "needs_acceleration"
        assert p.eurostat_ratio == pytest.approx(0.8156, abs=1e-4)
        up = assess_progress(series([10, 11, 12]), target, MIDTERM, unit="count",
                             polarity="lower")
        assert up.verdict == "moving_away"

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            (series([73, 76], years=(2016, 2017)), "baseline"),
            (series([70], years=(2015,)), "one point"),
            (series([math.nan, 70, 72]), "missing baseline value"),
            (series([], years=()), "empty"),
        ],
    )
    def test_not_assessable(self, frame, why):
        p = assess_progress(frame, T6, MIDTERM)
        assert p.verdict == "not_assessable", why
        assert p.note

    def test_every_verdict_is_a_known_label(self):
        assert set(VERDICTS) == {"achieved", "not_achieved", "on_track", "needs_acceleration",
                                 "moving_away", "not_assessable"}


class TestBaselineAlreadyMet:
    def test_falling_series_is_never_on_track(self):
        # 93 → 91 → 89 against ≥ 90: the baseline met the target, the latest does not.
        p = assess_progress(series([93, 91, 89]), T1, MIDTERM)
        assert p.verdict == "moving_away"
        assert p.verdict != "on_track"
        assert math.isnan(p.eurostat_ratio)
        assert p.years_met == 1 and p.years_assessed == 2

    def test_hundred_percent_lost(self):
        p = assess_progress(series([100, 98, 97]), T2, MIDTERM)
        assert p.verdict == "moving_away"

    def test_still_met_is_achieved(self):
        p = assess_progress(series([93, 91, 90]), T1, MIDTERM)
        assert p.verdict == "achieved"


class TestStrictTarget:
    def test_exactly_84_is_not_met(self):
        p = assess_progress(series([82, 83, 84.0]), T4, MIDTERM)
        assert p.verdict != "achieved"
        assert p.years_met == 0 and p.years_assessed == 2

    def test_84_from_counts_is_not_met(self):
        # 21/25 = 84% exactly; "> 84" is not met
        s = series([21 / 25 * 100] * 3, numerator=[21] * 3, denominator=[25] * 3)
        p = assess_progress(s, T4, MIDTERM)
        assert p.verdict != "achieved" and p.years_met == 0

    def test_just_above_is_met(self):
        p = assess_progress(series([82, 83, 84.1]), T4, MIDTERM)
        # 2017 84.1 meets "> 84"; 2016 83 did not, so the yearly target is not achieved
        assert p.years_met == 1 and p.verdict == "not_achieved"


class TestEveryYear:
    def test_years_met_counted_after_baseline(self):
        # 2015 (baseline) 85; 2016 84.0 (not > 84); 2017 86 → 1 of 2 term years met
        p = assess_progress(series([85, 84.0, 86]), T4, MIDTERM)
        # the latest year meets it, but a yearly target missed in 2016 is not achieved
        assert p.verdict == "not_achieved"
        assert (p.years_met, p.years_assessed) == (1, 2)
        assert p.years_missed == "2016"

    def test_final_review_latest_year_decides(self):
        # 2016 86 ✓, 2017 84 ✗, 2018 85.5 ✓, 2019 83 ✗ → 2 of 4; baseline 85 met,
        # latest 83 fails after falling → moving away
        s = series([85, 86, 84, 85.5, 83], years=range(2015, 2020))
        p = assess_progress(s, T4, FINAL)
        assert (p.years_met, p.years_assessed) == (2, 4)
        assert p.verdict == "moving_away"

    def test_count_target_every_year(self):
        # 2100 → 2350 → 2290 against ≥ 2300 each year: 2016 met, 2017 not (1 of 2)
        # actual = (2290/2100)^(1/2) − 1 = 0.044259; required = (2300/2100)^(1/5) − 1
        # = 0.018361; R = 2.4105 → on track to be back above 2300
        target = {"op": ">=", "value": 2300, "kind": "every_year"}
        p = assess_progress(series([2100, 2350, 2290]), target, MIDTERM, unit="count")
        assert (p.years_met, p.years_assessed) == (1, 2)
        assert p.eurostat_ratio == pytest.approx(2.4105, abs=1e-3)
        assert p.verdict == "on_track"


class TestLevelRules:
    def test_hundred_percent_on_track_by_logit_projection(self):
        # logit(.90) = 2.197225, logit(.95) = 2.944439, logit(.98) = 3.891820
        # slope (equal spacing) = (3.891820 − 2.197225)/2 = 0.847298; mean = 3.011161
        # 2020 (t = 5, mean t = 1): 3.011161 + 4·0.847298 = 6.400353 → 99.834% ≥ 99.5
        p = assess_progress(series([90, 95, 98]), T2, MIDTERM)
        assert p.verdict == "on_track"
        assert p.projected_value == pytest.approx(99.834, abs=1e-3)
        assert math.isnan(p.eurostat_ratio)
        assert p.projected_lower < p.projected_value < p.projected_upper <= 100

    def test_hundred_percent_needs_acceleration(self):
        # logit(.80) = 1.386294, logit(.82) = 1.516347, logit(.84) = 1.658228
        # slope = 0.135967; 2020: 1.520290 + 4·0.135967 = 2.064157 → 88.737% < 99.5
        p = assess_progress(series([80, 82, 84]), T2, MIDTERM)
        assert p.verdict == "needs_acceleration"
        assert p.projected_value == pytest.approx(88.737, abs=1e-3)

    def test_near_complete_threshold_is_a_parameter(self):
        p = assess_progress(series([90, 95, 98]), T2, MIDTERM, near_complete=99.9)
        assert p.verdict == "needs_acceleration"

    def test_hundred_percent_falling(self):
        p = assess_progress(series([90, 88, 87]), T2, MIDTERM)
        assert p.verdict == "moving_away"

    def test_villages_without_members_on_track(self):
        # 40, 20, 10: slope = ((−1)(16.67) + (1)(−13.33))/2 = −15, mean 23.33 at 2016
        # 2020: 23.33 − 15·4 = −36.7 → 0 villages by 2020 → on track
        p = assess_progress(series([40, 20, 10]), T7, MIDTERM, unit="count", polarity="lower")
        assert p.verdict == "on_track"
        assert p.projected_value == 0.0
        assert p.trend_direction == "decreasing"
        assert math.isnan(p.eurostat_ratio) and math.isnan(p.required_annual_change)

    def test_villages_without_members_moving_away(self):
        p = assess_progress(series([40, 45], years=(2015, 2016)), T7, MIDTERM,
                            unit="count", polarity="lower")
        assert p.verdict == "moving_away"
        # two points: no prediction interval
        assert math.isnan(p.projected_lower) and math.isnan(p.projected_upper)

    def test_villages_without_members_too_slow(self):
        # 40, 38, 37: slope −1.5, mean 38.33 → 2020: 38.33 − 6 = 32.3 > 0.5
        p = assess_progress(series([40, 38, 37]), T7, MIDTERM, unit="count", polarity="lower")
        assert p.verdict == "needs_acceleration"
        assert p.projected_value == pytest.approx(38 + 1 / 3 - 6, abs=1e-9)

    def test_strict_target_from_exactly_the_target(self):
        # baseline exactly 84 against "> 84": required growth is 0, so the level rule
        # applies: 84 → 84.0 → 84.0 is flat and the projection stays at 84 (not > 84)
        p = assess_progress(series([84.0, 84.0, 84.0]), T4, MIDTERM)
        assert p.verdict == "needs_acceleration"


class TestProjection:
    def test_count_interval_matches_ols_prediction_interval(self):
        years = [2015, 2016, 2017, 2018]
        values = [40.0, 30.0, 25.0, 18.0]
        a = dict(MIDTERM, data_years=years)
        target = {"op": "==", "value": 0, "kind": "by_year", "year": 2022}
        p = assess_progress(series(values, years=years), target, a, unit="count")
        t = np.array(years, float) - 2015
        fit = OLS(np.array(values), np.column_stack([np.ones_like(t), t])).fit()
        pred = fit.get_prediction(np.array([[1.0, 7.0]])).summary_frame(alpha=0.05)
        assert p.projected_value == pytest.approx(max(pred["mean"].iloc[0], 0), rel=1e-9)
        assert p.projected_lower == pytest.approx(max(pred["obs_ci_lower"].iloc[0], 0))
        assert p.projected_upper == pytest.approx(pred["obs_ci_upper"].iloc[0], rel=1e-9)

    def test_percent_projection_weighted_by_denominator(self):
        years = [2015, 2016, 2017, 2018]
        num = np.array([60, 130, 70, 160])
        den = np.array([100, 200, 100, 200])
        a = dict(FINAL, data_years=years)
        s = series(num / den * 100, years=years, numerator=num, denominator=den)
        p = assess_progress(s, T6, a)
        t = np.array(years, float) - 2015
        w = den / den.mean()
        y = np.log(num / (den - num))
        fit = WLS(y, np.column_stack([np.ones_like(t), t]), weights=w).fit()
        pred = fit.get_prediction(np.array([[1.0, 5.0]]), weights=1.0).summary_frame(alpha=0.05)

        def expit(z):
            return 100 / (1 + math.exp(-z))

        assert p.projected_value == pytest.approx(expit(pred["mean"].iloc[0]), rel=1e-9)
        assert p.projected_lower == pytest.approx(expit(pred["obs_ci_lower"].iloc[0]), rel=1e-9)
        assert p.projected_upper == pytest.approx(expit(pred["obs_ci_upper"].iloc[0]), rel=1e-9)

    def test_data_years_filter(self):
        # 2018 is not a midterm data year and 2014 is before the baseline: both ignored
        s = series([50, 70, 73, 76, 99], years=(2014, 2015, 2016, 2017, 2018))
        p = assess_progress(s, T6, MIDTERM)
        assert (p.baseline_value, p.latest_year, p.latest_value) == (70, 2017, 76)

    def test_duplicate_years_rejected(self):
        with pytest.raises(ValueError, match="more than one value"):
            assess_progress(series([1, 2, 3], years=(2015, 2016, 2016)), T6, MIDTERM)


class TestProgressRecord:
    def test_frozen_and_as_dict(self):
        p = assess_progress(series([70, 73, 76]), T6, MIDTERM)
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.verdict = "on_track"  # type: ignore[misc]
        d = p.as_dict()
        assert d["verdict"] == "achieved" and d["target_op"] == ">="
        assert set(d) == {f.name for f in dataclasses.fields(Progress)}


class TestAssessAll:
    def test_groups_targets_and_quotas(self):
        rows = []
        for unit, t1, t7 in [("a", [91, 92, 93], [5, 3, 1]), ("b", [93, 91, 89], [4, 5, 6])]:
            for y, v1, v7 in zip((2015, 2016, 2017), t1, t7, strict=True):
                rows.append(("T1", unit, y, v1, v1 * 10, 1000, "percent", "higher", ""))
                rows.append(("T7", unit, y, v7, v7, np.nan, "count", "lower", ""))
                rows.append(("X9", unit, y, 1.0, 1, 1, "percent", "higher", ""))
                # a breakdown row must be ignored
                rows.append(("T1", unit, y, 0.0, 0, 10, "percent", "higher", "women"))
        # a 2018 row outside the midterm's data years
        rows.append(("T1", "a", 2018, 10.0, 100, 1000, "percent", "higher", ""))
        df = pd.DataFrame(rows, columns=["indicator_id", "unit_code", "year", "value",
                                         "numerator", "denominator", "unit", "polarity",
                                         "breakdown"])
        targets = {"T1": T1, "T7": T7,
                   ("T1", "b"): {"op": ">=", "value": 85, "kind": "every_year"}}
        out = assess_all(df, targets, MIDTERM)
        assert len(out) == 4
        assert set(out["indicator_id"]) == {"T1", "T7"}  # X9 has no target
        assert (out["assessment_id"] == "midterm").all()
        got = out.set_index(["indicator_id", "unit_code"])["verdict"].to_dict()
        assert got == {("T1", "a"): "achieved",
                       ("T1", "b"): "achieved",  # quota 85 overrides 90
                       ("T7", "a"): "on_track",
                       ("T7", "b"): "moving_away"}
        a = out.set_index(["indicator_id", "unit_code"]).loc[("T1", "a")]
        assert a["latest_year"] == 2017 and a["years_met"] == 2
        # same answer as the single-series function
        single = assess_progress(
            df[(df.indicator_id == "T7") & (df.unit_code == "b") & (df.breakdown == "")],
            T7, MIDTERM, unit="count", polarity="lower")
        row = out.set_index(["indicator_id", "unit_code"]).loc[("T7", "b")]
        assert row["note"] == single.note
        assert row["projected_value"] == pytest.approx(single.projected_value)

    def test_unit_without_usable_years_is_not_assessable(self):
        df = pd.DataFrame({"indicator_id": ["T6"], "unit_code": ["z"], "year": [2019],
                           "value": [80.0], "numerator": [80], "denominator": [100],
                           "unit": ["percent"], "polarity": ["higher"], "breakdown": [""]})
        out = assess_all(df, {"T6": T6}, MIDTERM)
        assert out["verdict"].tolist() == ["not_assessable"]

    def test_empty(self):
        df = pd.DataFrame({"indicator_id": [], "unit_code": [], "year": [], "value": []})
        out = assess_all(df, {"T6": T6}, MIDTERM)
        assert out.empty and "verdict" in out.columns

    def test_duplicate_years_rejected(self):
        df = pd.DataFrame({"indicator_id": ["T6"] * 3, "unit_code": ["a"] * 3,
                           "year": [2015, 2016, 2016], "value": [60.0, 61.0, 62.0]})
        with pytest.raises(ValueError, match="T6 / a: more than one value"):
            assess_all(df, {"T6": T6}, MIDTERM)

    def test_missing_breakdown_counts_as_total(self):
        df = pd.DataFrame({"indicator_id": ["T6"] * 3, "unit_code": ["a"] * 3,
                           "year": pd.array([2015, 2016, 2017], dtype="Int64"),
                           "value": [70.0, 73.0, 76.0],
                           "breakdown": pd.array([pd.NA, "", ""], dtype="str")})
        out = assess_all(df, {"T6": T6}, MIDTERM)
        assert out["verdict"].tolist() == ["achieved"]
        assert out["baseline_year"].tolist() == [2015]
