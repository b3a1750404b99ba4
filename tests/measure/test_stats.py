"""Tests for analysis.measure.stats.

Expected values are worked by hand (the arithmetic is written next to them) or come from
an independent implementation (statsmodels, scipy.stats), never from this module's output.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from analysis.measure.stats import (
    add_count_ci,
    add_proportion_ci,
    byar_interval,
    count_trend,
    funnel_labels,
    funnel_limits,
    quantile_groups,
    trend_test,
    wilson_interval,
)

Z95 = 1.959964
Z998 = 3.090232


class TestWilson:
    def test_matches_statsmodels_on_random_inputs(self):
        rng = np.random.default_rng(20160101)
        n = rng.integers(1, 2000, 400)
        x = rng.integers(0, n + 1)
        for conf in (0.95, 0.998):
            lo, hi = wilson_interval(x, n, conf)
            ref_lo, ref_hi = proportion_confint(x, n, alpha=1 - conf, method="wilson")
            np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
            np.testing.assert_allclose(hi, ref_hi, atol=1e-12)

    @settings(max_examples=200, deadline=None)
    @given(n=st.integers(1, 10**6), frac=st.floats(0, 1), conf=st.sampled_from([0.95, 99.8]))
    def test_limits_bracket_the_proportion(self, n, frac, conf):
        x = math.floor(frac * n)
        lo, hi = wilson_interval(x, n, conf)
        assert 0.0 <= float(lo) <= x / n <= float(hi) <= 1.0

    def test_hand_worked_81_of_263(self):
        # z = 1.959964, z² = 3.841459
        # 2x + z²              = 162 + 3.841459           = 165.841459
        # 4x(1 − x/n)          = 324 · 182/263            = 224.212928
        # z·√(z² + 224.212928) = 1.959964 · √228.054387   = 1.959964 · 15.101470 = 29.598337
        # 2(n + z²)            = 2 · 266.841459           = 533.682918
        # lower = (165.841459 − 29.598337)/533.682918 = 0.255289
        # upper = (165.841459 + 29.598337)/533.682918 = 0.366210
        lo, hi = wilson_interval(81, 263)
        assert float(lo) == pytest.approx(0.255289, abs=2e-6)
        assert float(hi) == pytest.approx(0.366210, abs=2e-6)

    def test_percent_confidence_is_accepted(self):
        assert np.allclose(wilson_interval(81, 263, 95), wilson_interval(81, 263, 0.95))

    def test_zero_and_all(self):
        # x = 0: lower 0, upper = z²/(n + z²) = 3.841459/13.841459 = 0.277533
        # x = n: upper 1, lower = n/(n + z²)  = 10/13.841459       = 0.722467
        lo, hi = wilson_interval([0, 10], [10, 10])
        assert lo[0] == 0.0 and hi[1] == 1.0
        assert hi[0] == pytest.approx(0.277533, abs=2e-6)
        assert lo[1] == pytest.approx(0.722467, abs=2e-6)

    def test_broadcast_and_nan_propagation(self):
        lo, hi = wilson_interval([5, np.nan, 3], 10)
        assert lo.shape == (3,)
        assert np.isnan(lo[1]) and np.isnan(hi[1])
        assert np.isfinite(lo[[0, 2]]).all()
        lo2, _ = wilson_interval(pd.Series([5, pd.NA], dtype="Int64"),
                                 pd.Series([10, 10], dtype="Int64"))
        assert np.isnan(lo2[1])

    @pytest.mark.parametrize(
        ("x", "n", "conf", "message"),
        [
            (-1, 10, 0.95, "numerators must be greater than or equal to zero"),
            (1, 0, 0.95, "denominators must be greater than zero"),
            (1, -5, 0.95, "denominators must be greater than zero"),
            (11, 10, 0.95, "numerators must be less than or equal to denominator"),
            (1, 10, 0.8, "confidence level must be between 0.9 and 1 or between 90 and 100"),
            (1, 10, 85, "confidence level must be between 0.9 and 1 or between 90 and 100"),
            (1, 10, 101, "confidence level must be between 0.9 and 1 or between 90 and 100"),
        ],
    )
    def test_input_checks(self, x, n, conf, message):
        with pytest.raises(ValueError, match=message):
            wilson_interval(x, n, conf)


class TestByar:
    def test_exact_zero(self):
        # x = 0: lower 0; upper = χ²(0.975, 2)/2 = −ln(0.025) = 3.688879
        lo, hi = byar_interval(0)
        assert float(lo) == 0.0
        assert float(hi) == pytest.approx(-math.log(0.025), rel=1e-10)
        assert float(hi) == pytest.approx(3.688879, abs=1e-6)

    @pytest.mark.parametrize("x", [1, 2, 5, 9])
    @pytest.mark.parametrize("conf", [0.95, 0.998])
    def test_exact_below_ten_matches_chi_square(self, x, conf):
        a = 1 - conf
        lo, hi = byar_interval(x, conf)
        assert float(lo) == pytest.approx(sps.chi2.ppf(a / 2, 2 * x) / 2, rel=1e-9)
        assert float(hi) == pytest.approx(sps.chi2.ppf(1 - a / 2, 2 * x + 2) / 2, rel=1e-9)

    def test_byar_formula_at_100(self):
        # lower = x(1 − 1/(9x) − z/(3√x))³        = 100(1 − 1/900 − 1.959964/30)³
        # upper = (x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³ = 101(1 − 1/909 + 1.959964/(3√101))³
        lower = 100 * (1 - 1 / 900 - Z95 / 30) ** 3
        upper = 101 * (1 - 1 / 909 + Z95 / (3 * math.sqrt(101))) ** 3
        lo, hi = byar_interval(100)
        assert float(lo) == pytest.approx(lower, rel=1e-6)
        assert float(hi) == pytest.approx(upper, rel=1e-6)
        # published exact Poisson 95% limits for 100 events: 81.36 and 121.63
        assert float(lo) == pytest.approx(81.36, abs=0.02)
        assert float(hi) == pytest.approx(121.63, abs=0.02)

    def test_switches_at_ten_and_propagates_nan(self):
        lo, hi = byar_interval([9, 10, np.nan])
        assert float(lo[0]) == pytest.approx(sps.chi2.ppf(0.025, 18) / 2, rel=1e-9)
        byar10 = 10 * (1 - 1 / 90 - Z95 / (3 * math.sqrt(10))) ** 3
        assert float(lo[1]) == pytest.approx(byar10, rel=1e-6)
        assert np.isnan(lo[2]) and np.isnan(hi[2])

    def test_negative_count_rejected(self):
        with pytest.raises(ValueError, match="greater than or equal to zero"):
            byar_interval([3, -1])


class TestFrameWrappers:
    def test_add_proportion_ci(self):
        df = pd.DataFrame({
            "unit_code": ["a", "b", "c", "d"],
            "numerator": pd.array([5, 81, pd.NA, 0], dtype="Int64"),
            "denominator": pd.array([10, 263, 20, 0], dtype="Int64"),
        })
        out = add_proportion_ci(df)
        assert out is not df and "value" not in df.columns
        assert list(out.columns[-6:]) == ["value", "lower_95", "upper_95", "lower_998",
                                          "upper_998", "method"]
        assert out["value"].iloc[0] == pytest.approx(50.0)
        assert out["lower_95"].iloc[1] == pytest.approx(25.5289, abs=2e-4)
        assert out["upper_95"].iloc[1] == pytest.approx(36.6210, abs=2e-4)
        ref_lo, ref_hi = proportion_confint(5, 10, alpha=0.002, method="wilson")
        assert out["lower_998"].iloc[0] == pytest.approx(ref_lo * 100, rel=1e-10)
        assert out["upper_998"].iloc[0] == pytest.approx(ref_hi * 100, rel=1e-10)
        # missing numerator, and nothing to rate (n = 0): missing, not an error
        assert out.loc[2:3, ["value", "lower_95", "upper_998"]].isna().all().all()
        assert (out["method"] == "wilson").all()

    def test_add_proportion_ci_suffix_and_multiplier(self):
        df = pd.DataFrame({"x": [5], "n": [10]})
        out = add_proportion_ci(df, x="x", n="n", confidences=(0.9, 99.9), multiplier=1)
        assert {"lower_90", "upper_90", "lower_999", "upper_999"} <= set(out.columns)
        assert out["value"].iloc[0] == 0.5

    def test_add_proportion_ci_rejects_bad_rows(self):
        df = pd.DataFrame({"numerator": [12], "denominator": [10]})
        with pytest.raises(ValueError, match="less than or equal to denominator"):
            add_proportion_ci(df)

    def test_add_count_ci(self):
        df = pd.DataFrame({"numerator": pd.array([0, 9, 10, 100, pd.NA], dtype="Int64")})
        out = add_count_ci(df)
        assert out["method"].tolist()[:4] == ["exact_poisson", "exact_poisson", "byar", "byar"]
        assert pd.isna(out["method"].iloc[4])
        assert out["value"].tolist()[:4] == [0, 9, 10, 100]
        assert out["upper_95"].iloc[0] == pytest.approx(3.688879, abs=1e-6)
        assert np.isnan(out["lower_998"].iloc[4])


class TestFunnel:
    def test_limits_hand_worked(self):
        # a = 0.8, N = 100: se = √(0.8·0.2/100) = 0.04
        # 95%:   0.8 ± 1.959964·0.04 = 0.8 ± 0.0783986
        # 99.8%: 0.8 ± 3.090232·0.04 = 0.8 ± 0.1236093
        lo, hi = funnel_limits(0.8, 100, 0.95)
        assert float(lo) == pytest.approx(0.7216014, abs=1e-7)
        assert float(hi) == pytest.approx(0.8783986, abs=1e-7)
        lo, hi = funnel_limits(0.8, [100, 0], 0.998)
        assert lo[0] == pytest.approx(0.6763907, abs=1e-7)
        assert hi[0] == pytest.approx(0.9236093, abs=1e-7)
        assert np.isnan(lo[1])

    def test_limits_clipped(self):
        # 0.99 + 1.959964·√(0.99·0.01/10) = 0.99 + 0.0617 > 1
        lo, hi = funnel_limits(0.99, 10, 95)
        assert float(hi) == 1.0 and float(lo) < 0.99

    def test_baseline_out_of_range(self):
        with pytest.raises(ValueError, match="baseline"):
            funnel_limits(80, 100, 0.95)

    def _frame(self):
        return pd.DataFrame({
            "unit_code": list("abcdefg"),
            "numerator": pd.array([95, 89, 80, 70, 60, 0, pd.NA], dtype="Int64"),
            "denominator": pd.array([100, 100, 100, 100, 100, 0, 100], dtype="Int64"),
        })

    def test_labels_higher_is_better(self):
        # limits at N = 100 around 80%: 95% [72.16, 87.84], 99.8% [67.64, 92.36]
        out = funnel_labels(self._frame(), baseline=0.8)
        assert out["significance"].tolist() == [
            "above_998", "above_95", "not_significant", "below_95", "below_998",
            "not_assessable", "not_assessable"]
        assert out["assessment"].tolist() == [
            "better_998", "better_95", "similar", "worse_95", "worse_998",
            "not_assessable", "not_assessable"]
        assert out["baseline"].iloc[0] == pytest.approx(80.0)
        assert out["funnel_95_upper"].iloc[0] == pytest.approx(87.83986, abs=1e-5)
        assert out["funnel_998_lower"].iloc[0] == pytest.approx(67.63907, abs=1e-5)
        assert out["value"].iloc[1] == pytest.approx(89.0)

    def test_labels_polarity_flip(self):
        out = funnel_labels(self._frame(), polarity="lower", baseline=0.8)
        assert out["assessment"].tolist()[:5] == [
            "worse_998", "worse_95", "similar", "better_95", "better_998"]

    def test_default_baseline_is_pooled(self):
        # Σx/Σn = (30 + 50)/(100 + 100) = 40%; the empty unit is left out of the pool
        df = pd.DataFrame({"numerator": [30, 50, 0], "denominator": [100, 100, 0]})
        out = funnel_labels(df)
        assert out["baseline"].iloc[0] == pytest.approx(40.0)
        # 30% vs 40% at N = 100: 95% lower = 40 − 1.959964·√(0.24/100)·100 = 30.398;
        # 99.8% lower = 40 − 3.090232·4.89898 = 24.861 → below at 95% only
        assert out["significance"].tolist() == ["below_95", "above_95", "not_assessable"]

    def test_bad_polarity(self):
        with pytest.raises(ValueError, match="polarity"):
            funnel_labels(self._frame(), polarity="up")


class TestTrendTest:
    def test_prop_trend_test_hand_worked(self):
        # R: prop.trend.test(c(15, 10, 8), c(50, 50, 50)), scores 1, 2, 3
        # p̄ = 33/150 = 0.22; s̄ = 2
        # Σ(x − n p̄)(s − s̄) = (15 − 11)(−1) + (10 − 11)(0) + (8 − 11)(1) = −7
        # X² = 49 / (0.22 · 0.78 · 50 · (1 + 0 + 1)) = 49 / 17.16 = 2.855478
        res = trend_test([15, 10, 8], [50, 50, 50], [1, 2, 3])
        assert res["statistic"] == pytest.approx(49 / 17.16, rel=1e-12)
        assert res["p_value"] == pytest.approx(sps.chi2.sf(49 / 17.16, 1), rel=1e-9)
        assert res["p_value"] == pytest.approx(0.0911, abs=1e-4)
        assert res["df"] == 1
        assert res["direction"] == "decreasing"
        assert res["slope_logit"] < 0
        assert res["n_points"] == 3 and res["indicative"] is True
        assert res["significant_998"] is False
        assert res["method"] == "chi_squared_trend"
        assert res["series_break"] is False

    def test_years_as_scores_and_significance(self):
        # x = 5, 10, 20 of 50: p̄ = 35/150 = 7/30, s̄ = 2016 (middle year)
        # Σ(x − n p̄)(s − s̄) = −(5 − 35/3) + (20 − 35/3) = 15 → numerator 225
        # denominator = (7/30)(23/30) · 50 · 2 = 16100/900
        # X² = 225 · 900 / 16100 = 12.577640 > 9.5495
        res = trend_test([5, 10, 20], [50, 50, 50], [2015, 2016, 2017])
        assert res["statistic"] == pytest.approx(202500 / 16100, rel=1e-10)
        assert res["significant_998"] is True
        assert res["direction"] == "increasing"

    def test_equals_weighted_regression_sum_of_squares(self):
        # R defines the statistic as the regression sum of squares of freq ~ score,
        # weights n/(p̄(1 − p̄)); reproduce it with statsmodels WLS on random data.
        from statsmodels.regression.linear_model import WLS

        rng = np.random.default_rng(7)
        years = np.arange(2013, 2020)
        n = rng.integers(40, 400, len(years))
        x = rng.binomial(n, 0.6)
        pbar = x.sum() / n.sum()
        exog = np.column_stack([np.ones(len(years)), years.astype(float)])
        fit = WLS(x / n, exog, weights=n / pbar / (1 - pbar)).fit()
        res = trend_test(x, n, years)
        assert res["statistic"] == pytest.approx(fit.ess, rel=1e-8)
        assert res["indicative"] is False and res["n_points"] == 7

    def test_slope_logit_hand_worked(self):
        # equal n: weights n·p(1−p) = 50·0.2·0.8 = 8 and 50·0.4·0.6 = 12 with two points
        # the WLS slope through two points is the difference of logits:
        # logit(0.4) − logit(0.2) = ln(2/3) − ln(1/4) = ln(8/3) = 0.980829
        res = trend_test([10, 20], [50, 50], [2016, 2017])
        assert res["slope_logit"] == pytest.approx(math.log(8 / 3), rel=1e-12)

    def test_no_change_and_zero_counts(self):
        flat = trend_test([10, 10, 10], [50, 50, 50], [2015, 2016, 2017])
        assert flat["statistic"] == pytest.approx(0.0, abs=1e-12)
        assert flat["direction"] == "no_change"
        zero_start = trend_test([0, 5, 10], [50, 50, 50], [2015, 2016, 2017])
        assert np.isfinite(zero_start["slope_logit"])
        assert zero_start["direction"] == "increasing"

    def test_missing_points_dropped(self):
        res = trend_test([15, np.nan, 10, 3, 8], [50, 50, 50, 0, 50], [1, 2, 2, 3, 3])
        assert res["n_points"] == 3
        assert res["statistic"] == pytest.approx(49 / 17.16, rel=1e-12)

    def test_break_year_too_few_points(self):
        res = trend_test([15, 10, 8, 7, 6], [50] * 5, [2015, 2016, 2017, 2018, 2019],
                         break_year=2018)
        assert res["series_break"] is True
        assert res["method"] == "chi_squared_trend_after_break"
        assert np.isnan(res["statistic"]) and np.isnan(res["p_value"])
        assert "2018" in res["note"]
        assert res["significant_998"] is False

    def test_break_year_tests_after_break_only(self):
        years = [2015, 2016, 2017, 2018, 2019, 2020]
        x = [40, 41, 42, 15, 10, 8]
        res = trend_test(x, [50] * 6, years, break_year=2018)
        assert res["series_break"] is True and res["n_points"] == 3
        assert res["statistic"] == pytest.approx(49 / 17.16, rel=1e-12)
        assert res["note"]

    def test_break_year_not_straddled(self):
        res = trend_test([15, 10, 8], [50] * 3, [2018, 2019, 2020], break_year=2018)
        assert res["series_break"] is False
        assert res["method"] == "chi_squared_trend"

    def test_input_checks(self):
        with pytest.raises(ValueError, match="less than or equal to denominator"):
            trend_test([60, 10], [50, 50], [1, 2])


class TestCountTrend:
    def test_hand_worked_three_points(self):
        # 40, 20, 10: S = sign(20−40) + sign(10−40) + sign(10−20) = −3
        # Var(S) = 3·2·11/18 = 11/3; Z = (−3 + 1)/√(11/3) = −1.044466
        # Theil–Sen slope = median(−20, −15, −10) = −15
        res = count_trend([40, 20, 10], [2015, 2016, 2017])
        assert res["mk_s"] == -3
        assert res["mk_z"] == pytest.approx(-2 / math.sqrt(11 / 3), rel=1e-12)
        assert res["p_value"] == pytest.approx(math.erfc(2 / math.sqrt(11 / 3) / math.sqrt(2)))
        assert res["p_value"] == pytest.approx(0.2963, abs=1e-4)
        assert res["slope"] == -15
        assert res["tau"] == pytest.approx(-1.0)
        assert res["direction"] == "decreasing"
        assert res["indicative"] is True
        assert res["method"] == "theil_sen_mann_kendall"

    def test_hand_worked_with_ties(self):
        # 5, 7, 7, 9, 7 over five years
        # S: from 5: +4; from first 7: 0 +1 0 = +1; from second 7: +1 0 = +1; from 9: −1 → 5
        # ties: three 7s → Var(S) = (5·4·15 − 3·2·11)/18 = 234/18 = 13; Z = 4/√13
        # tau-b = 5/√(10·(10 − 3)) = 0.597614
        # pairwise slopes sorted: −2, 0, 0, 0, 0.5, 1, 1, 4/3, 2, 2 → median 0.75
        res = count_trend([5, 7, 7, 9, 7], [2015, 2016, 2017, 2018, 2019])
        assert res["mk_s"] == 5
        assert res["mk_z"] == pytest.approx(4 / math.sqrt(13), rel=1e-12)
        assert res["tau"] == pytest.approx(5 / math.sqrt(70), rel=1e-12)
        assert res["slope"] == pytest.approx(0.75)
        assert res["slope_lower"] <= 0.75 <= res["slope_upper"]
        assert res["direction"] == "increasing"
        assert res["indicative"] is False and res["n_points"] == 5

    def test_unsorted_input_and_missing(self):
        res = count_trend([10, np.nan, 40, 20], [2017, 2018, 2015, 2016])
        assert res["mk_s"] == -3 and res["n_points"] == 3

    def test_too_few_points(self):
        res = count_trend([4], [2015])
        assert np.isnan(res["slope"]) and np.isnan(res["p_value"])
        assert res["direction"] == "no_change"

    def test_break_year(self):
        res = count_trend([40, 20, 10, 8, 12], range(2015, 2020), break_year=2018)
        assert res["series_break"] is True
        assert res["method"] == "theil_sen_mann_kendall_after_break"
        assert np.isnan(res["p_value"]) and res["note"]
        res = count_trend([40, 20, 10, 8, 6, 4], range(2015, 2021), break_year=2018)
        assert res["n_points"] == 3 and res["mk_s"] == -3


class TestQuantiles:
    def test_quintiles_of_one_to_ten(self):
        # m = 10, m/5 = 2; highest value: adj 0, rank 1 → floor(6 − ceil(10/2)) = 1;
        # lowest: rank 10 → floor(6 − ceil(1/2)) = 5
        q = quantile_groups(np.arange(1, 11))
        assert q.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        q = quantile_groups(np.arange(1, 11), higher_is_better=False)
        assert q.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]

    def test_ties_take_min_rank(self):
        # adj = 0, 0, 2, 4, 6, 8 → ranks 1, 1, 3, 4, 5, 6; m/3 = 2
        # q = floor(4 − ceil((7 − rank)/2)) = 1, 1, 2, 2, 3, 3
        q = quantile_groups([10, 10, 8, 6, 4, 2], n_groups=3)
        assert q.tolist() == [1, 1, 2, 2, 3, 3]

    def test_missing_and_too_few(self):
        q = quantile_groups([1.0, np.nan, 3.0, 2.0], n_groups=3)
        assert np.isnan(q[1])
        assert q[[0, 2, 3]].tolist() == [3, 1, 2]
        assert np.isnan(quantile_groups([1, 2, 3], n_groups=5)).all()
