"""The indicator engine on small hand-made Summary frames; expectations computed by hand."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import chi2, norm
from statsmodels.stats.proportion import proportion_confint

from analysis.measure.catalogue import load_catalogue, summary_count_columns
from analysis.measure.indicators import compute_indicators, indicator_series

CONTRACT = [
    "indicator_id", "unit_code", "level", "year", "breakdown", "numerator", "denominator",
    "value", "lower_95", "upper_95", "lower_998", "upper_998", "method", "unit", "polarity",
    "target_op", "target_value", "target_kind", "met", "excluded", "series_break", "partial",
]
TARGETS = {
    "targets": {
        "T1": {"op": ">=", "value": 90, "kind": "every_year"},
        "T4": {"op": ">", "value": 84, "kind": "every_year"},
        "T5": {"op": ">=", "value": 2300, "kind": "every_year"},
        "T6": {"op": ">=", "value": 75, "kind": "by_year", "year": 2020},
        "T7": {"op": "==", "value": 0, "kind": "by_year", "year": 2020},
    },
    "quotas": {"T5": {"a": 100, "b": 50}},
}
META = ("unit_code", "level", "parent_code", "year", "source")


def make_summary(rows: list[dict]) -> pd.DataFrame:
    """A Summary frame: the given counts as Int64 (NA where a row does not give one)."""
    df = pd.DataFrame(rows)
    if "parent_code" not in df:
        df["parent_code"] = None
    df["source"] = "summary"
    for col in df.columns:
        if col not in META:
            df[col] = pd.array(df[col].astype("float64"), dtype="Int64")
    df["year"] = pd.array(df["year"], dtype="Int64")
    return df


def orgs(total, not_rated, excellent, good, completed=0, failed=0) -> dict:
    return {"orgs_total": total, "orgs_not_rated": not_rated, "orgs_excellent": excellent,
            "orgs_good": good, "orgs_completed": completed, "orgs_failed": failed}


def members(total, not_rated, excellent, good) -> dict:
    return {"members_total": total, "members_not_rated": not_rated,
            "members_excellent": excellent, "members_good": good}


def compute(rows: list[dict], **kwargs) -> pd.DataFrame:
    kwargs.setdefault("targets", TARGETS)
    kwargs.setdefault("province_code", "tinh")
    return compute_indicators(make_summary(rows), **kwargs)


def row(df: pd.DataFrame, indicator_id: str, unit_code: str, year: int) -> pd.Series:
    hit = df[(df.indicator_id == indicator_id) & (df.unit_code == unit_code) & (df.year == year)]
    assert len(hit) == 1, f"{indicator_id} {unit_code} {year}: {len(hit)} rows"
    return hit.iloc[0]


A = {"unit_code": "a", "level": "district"}
B = {"unit_code": "b", "level": "sector"}


class TestProvinceIsPooled:
    ROWS = [
        {**A, "year": 2017, **orgs(52, 2, 10, 30, 8, 2)},      # 40 / 50 = 80 %
        {**B, "year": 2017, **orgs(1000, 0, 200, 750, 45, 5)},  # 950 / 1000 = 95 %
    ]

    def test_sum_of_numerators_over_sum_of_denominators(self):
        prov = row(compute(self.ROWS), "T1", "tinh", 2017)
        assert (prov.numerator, prov.denominator) == (990, 1050)
        assert prov.value == pytest.approx(94.28571428571429)   # 990 / 1050
        assert prov.value != pytest.approx(87.5)                 # not the mean of 80 and 95
        assert prov.level == "province" and not prov.partial
        assert (prov.units_reporting, prov.units_expected) == (2, 2)

    def test_units_keep_their_own_values(self):
        df = compute(self.ROWS)
        assert row(df, "T1", "a", 2017).value == 80.0
        assert row(df, "T1", "b", 2017).value == 95.0

    def test_excluded_is_reported_and_summed(self):
        df = compute(self.ROWS)
        assert row(df, "T1", "a", 2017).excluded == 2
        assert row(df, "T1", "b", 2017).excluded == 0
        assert row(df, "T1", "tinh", 2017).excluded == 2
        assert df.loc[df.indicator_id == "P5", "excluded"].isna().all()   # nothing excluded

    def test_contract_columns(self):
        df = compute(self.ROWS)
        assert list(df.columns) == [
            "indicator_id", "name_vi", "unit_code", "level", "parent_code", "year", "breakdown",
            "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998",
            "upper_998", "method", "unit", "polarity", "target_op", "target_value",
            "target_kind", "target_year", "met", "excluded", "series_break", "partial",
            "units_reporting", "units_expected"]
        assert set(CONTRACT) <= set(df.columns)
        assert (df.breakdown == "").all()


class TestTargets:
    def test_strictly_above_84_is_not_met_at_84(self):
        df = compute([
            {**A, "year": 2019, **members(100, 0, 14, 70)},   # 84 / 100 = 84.0
            {**B, "year": 2019, **members(200, 10, 20, 142)},  # 162 / 190 = 85.26
        ])
        a = row(df, "T4", "a", 2019)
        assert a.value == 84.0 and a.target_op == ">" and a.target_value == 84
        assert not a.met
        assert row(df, "T4", "b", 2019).met
        prov = row(df, "T4", "tinh", 2019)          # 246 / 290 = 84.83 %
        assert (prov.numerator, prov.denominator) == (246, 290)
        assert prov.met

    def test_at_least_90_is_met_at_exactly_90(self):
        df = compute([{**A, "year": 2019, **orgs(100, 0, 30, 60)}])
        assert row(df, "T1", "a", 2019).value == 90.0
        assert row(df, "T1", "a", 2019).met

    def test_unit_quota_and_province_target(self):
        df = compute([
            {**A, "year": 2019, "admissions": 120},
            {**B, "year": 2019, "admissions": 40},
            {"unit_code": "c1", "level": "commune", "parent_code": "a", "year": 2019,
             "admissions": 7},
        ])
        a, b = row(df, "T5", "a", 2019), row(df, "T5", "b", 2019)
        assert (a.target_value, bool(a.met)) == (100, True)
        assert (b.target_value, bool(b.met)) == (50, False)
        prov = row(df, "T5", "tinh", 2019)
        assert (prov.numerator, prov.value, prov.target_value) == (160, 160.0, 2300)
        assert not prov.met
        commune = row(df, "T5", "c1", 2019)
        assert pd.isna(commune.target_value) and pd.isna(commune.met)

    def test_unit_without_quota_has_no_target(self):
        df = compute([{"unit_code": "z", "level": "district", "year": 2019, "admissions": 5}])
        z = row(df, "T5", "z", 2019)
        assert pd.isna(z.target_value) and pd.isna(z.target_op) and pd.isna(z.met)

    def test_by_year_target_is_judged_every_year(self):
        df = compute([{**A, "year": y, "villages_total": 10, "villages_head_member": h,
                       "villages_no_members": w} for y, h, w in ((2019, 7, 1), (2020, 8, 0))])
        t6 = indicator_series(df, "T6", "a")
        assert list(t6.met) == [False, True]
        assert list(t6.target_kind) == ["by_year", "by_year"] and list(t6.target_year) == [2020] * 2
        t7 = indicator_series(df, "T7", "a")
        assert list(t7.met) == [False, True]            # = 0 by 2020

    def test_no_target_means_no_verdict(self):
        df = compute([{**A, "year": 2019, "cells_total": 10, "cells_monthly": 9}])
        p5 = row(df, "P5", "a", 2019)
        assert p5.value == 90.0 and pd.isna(p5.met) and pd.isna(p5.target_op)


class TestMissingAndZero:
    def test_denominator_zero_gives_na_value(self):
        df = compute([
            {**A, "year": 2018, **orgs(3, 3, 0, 0)},
            {**B, "year": 2018, **orgs(1000, 0, 200, 750)},
        ])
        a = row(df, "T1", "a", 2018)
        assert (a.numerator, a.denominator) == (0, 0)
        assert pd.isna(a.value) and pd.isna(a.lower_95) and pd.isna(a.met)
        prov = row(df, "T1", "tinh", 2018)
        assert (prov.numerator, prov.denominator, prov.value) == (950, 1000, 95.0)
        assert not prov.partial          # a reported: it simply had nobody to rate

    def test_na_numerator_gives_no_unit_row(self):
        df = compute([
            {**A, "year": 2018, "cells_total": 10, "cells_monthly": 9},
            {**B, "year": 2018, "cells_total": 20},
        ])
        assert df[(df.indicator_id == "P5") & (df.unit_code == "b")].empty
        prov = row(df, "P5", "tinh", 2018)
        assert (prov.value, bool(prov.partial), prov.units_reporting) == (90.0, True, 1)

    @pytest.mark.parametrize("b_2018", [None, {**B, "year": 2018}])
    def test_missing_unit_year_makes_province_partial(self, b_2018):
        rows = [
            {**A, "year": 2017, **orgs(50, 0, 10, 30)},
            {**B, "year": 2017, **orgs(100, 0, 50, 45)},
            {**A, "year": 2018, **orgs(50, 0, 10, 35)},
        ]
        df = compute(rows + ([b_2018] if b_2018 else []))
        p17, p18 = row(df, "T1", "tinh", 2017), row(df, "T1", "tinh", 2018)
        assert not p17.partial and p17.units_reporting == 2
        assert p18.partial and (p18.units_reporting, p18.units_expected) == (1, 2)
        assert (p18.numerator, p18.denominator, p18.value) == (45, 50, 90.0)
        assert p18.met                            # judged on what was reported

    def test_absent_column_is_not_reported(self):
        df = compute([{**A, "year": 2018, "admissions": 3}])
        assert set(df.indicator_id) == {"T5"}

    def test_impossible_counts_keep_value_but_get_no_interval(self):
        df = compute([{**A, "year": 2018, "cells_total": 10, "cells_monthly": 12}])
        p5 = row(df, "P5", "a", 2018)
        assert p5.value == 120.0 and pd.isna(p5.lower_95) and pd.isna(p5.method)

    def test_empty_summary_gives_an_empty_contract_frame(self):
        empty = pd.DataFrame({"unit_code": pd.Series([], dtype="str"),
                              "level": pd.Series([], dtype="str"),
                              "year": pd.Series([], dtype="Int64")})
        df = compute_indicators(empty, targets=TARGETS, province_code="tinh")
        assert df.empty and set(CONTRACT) <= set(df.columns)

    def test_duplicate_unit_year_is_an_error(self):
        with pytest.raises(ValueError, match="a"):
            compute([{**A, "year": 2018, "admissions": 1}, {**A, "year": 2018, "admissions": 2}])


class TestLevels:
    ROWS = [
        {**A, "year": 2020, "villages_total": 100, "villages_head_member": 80,
         "villages_no_members": 2, **orgs(10, 0, 5, 4)},
        {**B, "year": 2020, **orgs(10, 0, 5, 5)},
        {"unit_code": "c1", "level": "commune", "parent_code": "a", "year": 2020,
         "villages_total": 10, "villages_head_member": 9, "villages_no_members": 0},
    ]

    def test_village_indicators_pool_districts_only(self):
        df = compute(self.ROWS)
        prov = row(df, "T6", "tinh", 2020)
        assert (prov.numerator, prov.denominator, prov.value) == (80, 100, 80.0)
        assert not prov.partial and prov.units_expected == 1   # sectors have no villages
        assert df[(df.indicator_id == "T6") & (df.unit_code == "b")].empty

    def test_commune_rows_are_not_added_to_the_province(self):
        df = compute(self.ROWS)
        c1 = row(df, "T6", "c1", 2020)
        assert (c1.level, c1.parent_code, c1.value) == ("commune", "a", 90.0)
        assert row(df, "T7", "tinh", 2020).numerator == 2

    def test_sector_only_indicators_have_no_commune_rows(self):
        rows = self.ROWS + [{"unit_code": "c2", "level": "commune", "parent_code": "a",
                             "year": 2020, "orgs_head_rule": 1, "orgs_head_is_secretary": 1}]
        df = compute(rows)
        assert df[(df.indicator_id == "P1") & (df.level == "commune")].empty

    def test_series_break_labels(self):
        rows = [{**A, "year": y, **orgs(10, 0, 5, 4), "villages_total": 10,
                 "villages_head_member": 8, "admissions": 3} for y in (2017, 2018, 2019, 2020)]
        df = compute(rows)
        assert list(indicator_series(df, "T1", "a").series_break) == [
            "", "rating_scheme_2018", "", ""]
        assert list(indicator_series(df, "T1", "tinh").series_break) == [
            "", "rating_scheme_2018", "", ""]
        assert list(indicator_series(df, "T6", "a").series_break) == ["", "", "", "merger_2020"]
        assert set(indicator_series(df, "T5", "a").series_break) == {""}

    def test_years_filter_and_series_order(self):
        rows = [{**A, "year": y, "admissions": y - 2000} for y in (2019, 2016, 2018)]
        df = compute(rows, years=[2016, 2019])
        assert list(indicator_series(df, "T5", "a").year) == [2016, 2019]
        assert list(indicator_series(df, "T5", "a").value) == [16.0, 19.0]


class TestIntervals:
    def test_wilson_matches_statsmodels(self):
        df = compute([{**A, "year": 2017, **orgs(52, 2, 10, 30)},
                      {**B, "year": 2017, **orgs(1000, 0, 200, 750)}])
        for unit, x, n in (("a", 40, 50), ("tinh", 990, 1050)):
            r = row(df, "T1", unit, 2017)
            lo95, hi95 = proportion_confint(x, n, alpha=0.05, method="wilson")
            lo998, hi998 = proportion_confint(x, n, alpha=0.002, method="wilson")
            assert r.lower_95 == pytest.approx(lo95 * 100, abs=1e-9)
            assert r.upper_95 == pytest.approx(hi95 * 100, abs=1e-9)
            assert r.lower_998 == pytest.approx(lo998 * 100, abs=1e-9)
            assert r.upper_998 == pytest.approx(hi998 * 100, abs=1e-9)
            assert r.method == "wilson"

    def test_count_intervals_byar_and_exact(self):
        df = compute([{**A, "year": 2019, "admissions": 120},
                      {**B, "year": 2019, "admissions": 4}])
        x, z = 120, norm.ppf(0.975)
        a = row(df, "T5", "a", 2019)
        assert a.lower_95 == pytest.approx(x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3)
        assert a.upper_95 == pytest.approx(
            (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3)
        b = row(df, "T5", "b", 2019)                 # below 10: exact Poisson (Garwood)
        assert b.lower_95 == pytest.approx(chi2.ppf(0.025, 8) / 2)
        assert b.upper_95 == pytest.approx(chi2.ppf(0.975, 10) / 2)


class TestCatalogueDriven:
    def test_a_new_entry_is_computed_without_code(self, tmp_path):
        entry = {
            "id": "X1", "name_vi": "Tỷ lệ thử", "name_en": "Test", "excluded": None,
            "numerator": "villages_own_cell", "denominator": "villages_total - villages_no_members",
            "unit": "percent", "polarity": "higher", "target_ref": None,
            "levels": ["province", "district"], "section": "2", "source_vi": "Câu.",
            "break_years": [], "description_vi": "Câu.",
        }
        path = tmp_path / "catalogue.yaml"
        path.write_text(yaml.safe_dump({"indicators": [entry]}, allow_unicode=True),
                        encoding="utf-8")
        df = compute([{**A, "year": 2019, "villages_total": 12, "villages_no_members": 2,
                       "villages_own_cell": 8}], catalogue=load_catalogue(path))
        assert row(df, "X1", "a", 2019).value == 80.0      # 8 / (12 - 2)


@pytest.mark.slow
class TestScale:
    def test_large_country_is_vectorised(self):
        rng = np.random.default_rng(1)
        units = [(f"d{i}", "district" if i < 600 else "sector", None) for i in range(700)]
        units += [(f"c{i}", "commune", f"d{i % 600}") for i in range(10_000)]
        n = len(units) * 6
        df = pd.DataFrame({
            "unit_code": np.repeat([u[0] for u in units], 6),
            "level": np.repeat([u[1] for u in units], 6),
            "parent_code": np.repeat([u[2] for u in units], 6),
            "year": pd.array(np.tile(np.arange(2015, 2021), len(units)), dtype="Int64"),
            "source": "summary",
        })
        for col in summary_count_columns():
            df[col] = pd.array(rng.integers(0, 40, n), dtype="Int64")
        for col in ("orgs_total", "members_total", "cells_total", "villages_total",
                    "officials_total", "admissions", "members_active", "villages_own_cell"):
            df[col] = pd.array(rng.integers(200, 300, n), dtype="Int64")
        # CPU time of this process, not wall time: the other jobs of a loaded machine (a CI
        # runner, parallel test workers) do not count against it.
        start = time.process_time()
        out = compute_indicators(df, targets=TARGETS, province_code="tinh")
        elapsed = time.process_time() - start
        assert len(out) > 1_000_000
        # a loop over rows would take minutes; the budget on a quiet machine is < 2 s
        assert elapsed < 10, elapsed
