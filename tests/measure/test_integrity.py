"""Tests for ``analysis.measure.integrity``.

Expected values come from hand reasoning, from the known model that generated the synthetic
data, or from an independent computation in the test (scipy), never from the output of the
functions under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from analysis.measure import integrity
from analysis.measure.integrity import (
    FLAGS,
    RULES,
    evidence_model,
    integrity_summary,
    observed_vs_expected,
    oe_funnel_limits,
    reference_model,
    rule_warning_counts,
)
from analysis.present.integrity_words import DISCLAIMER_VI

YEARS = (2016, 2017, 2018, 2019, 2020)
#: The known logistic model that generates the synthetic ratings (log-odds scale).
TRUE = {
    "const": -1.0,
    "monthly_share": 2.0,
    "thematic_share": 1.0,
    "supervision_checks": 0.4,
    "any_disciplined": -0.8,
    "failed_share": -8.0,
    "commune": -0.5,
    "year_2017": 0.3,
    "year_2018": -0.7,
    "year_2019": -0.4,
    "year_2020": -0.2,
}
COUNT_COLUMNS = (
    "members_total members_not_rated members_excellent members_good members_completed "
    "members_failed members_disciplined cells_total cells_monthly cells_thematic "
    "supervision_checks"
).split()


def make_orgs(
    seed: int = 20240601,
    units: int = 5,
    orgs: int = 80,
    forced: str | None = None,
    unrated_share: float = 0.03,
) -> pd.DataFrame:
    """Synthetic ``organizations`` frame (intake dtypes) generated from :data:`TRUE`.

    ``units × orgs × 5 years`` rows. In the ``forced`` unit cell meetings are poor and nobody
    supervises them, yet every TCCSĐ is rated good or better.
    """
    rng = np.random.default_rng(seed)
    n = units * orgs * len(YEARS)
    unit_idx = np.repeat(np.arange(units), orgs * len(YEARS))
    org_idx = np.tile(np.repeat(np.arange(orgs), len(YEARS)), units)
    year = np.tile(np.array(YEARS), units * orgs)
    unit = np.array([f"u{i + 1}" for i in range(units)])[unit_idx]
    poor = unit == forced if forced else np.zeros(n, dtype=bool)

    commune_org = rng.random(units * orgs) < 0.5
    commune = commune_org[unit_idx * orgs + org_idx]
    cells = 1 + rng.poisson(4, n)
    q_month = np.where(poor, rng.beta(1, 4, n), rng.beta(6, 2, n))
    q_them = np.where(poor, rng.beta(1, 5, n), rng.beta(3, 3, n))
    monthly = rng.binomial(cells, q_month)
    thematic = rng.binomial(cells, q_them)
    supervision = np.where(poor, 0, rng.choice([0, 1, 2], size=n, p=[0.2, 0.4, 0.4]))
    total = 10 + rng.poisson(25, n)
    not_rated = rng.binomial(total, 0.05)
    rated = total - not_rated
    failed = rng.binomial(rated, 0.03)
    excellent = rng.binomial(rated - failed, 0.15)
    good = rng.binomial(rated - failed - excellent, 0.8)
    completed = rated - failed - excellent - good
    disciplined = rng.binomial(total, 0.01)

    year_effect = np.array([TRUE.get(f"year_{y}", 0.0) for y in year])
    eta = (
        TRUE["const"]
        + TRUE["monthly_share"] * monthly / cells
        + TRUE["thematic_share"] * thematic / cells
        + TRUE["supervision_checks"] * supervision
        + TRUE["any_disciplined"] * (disciplined > 0)
        + TRUE["failed_share"] * failed / rated
        + TRUE["commune"] * commune
        + year_effect
    )
    is_good = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))) | poor
    old = year < 2018
    top = rng.random(n) < 0.3
    low = rng.random(n) < 0.15
    rating = np.where(
        is_good,
        np.where(top, np.where(old, "trong_sach_vung_manh", "xuat_sac"), "tot"),
        np.where(low, np.where(old, "yeu_kem", "khong_hoan_thanh"), "hoan_thanh"),
    ).astype(object)
    rating[rng.random(n) < unrated_share] = "chua_xep_loai"

    df = pd.DataFrame(
        {
            "year": pd.array(year, dtype="Int64"),
            "org_code": [f"{u}_o{i:03d}" for u, i in zip(unit, org_idx, strict=True)],
            "reporting_unit": unit,
            "org_type": np.where(commune, "xa", "don_vi_su_nghiep"),
            "org_form": "chi_bo_co_so",
            "rating": rating,
            "members_total": total,
            "members_not_rated": not_rated,
            "members_excellent": excellent,
            "members_good": good,
            "members_completed": completed,
            "members_failed": failed,
            "members_disciplined": disciplined,
            "cells_total": cells,
            "cells_monthly": monthly,
            "cells_thematic": thematic,
            "supervision_checks": supervision,
        }
    )
    for c in ("org_code", "reporting_unit", "org_type", "org_form", "rating"):
        df[c] = df[c].astype("str")
    for c in COUNT_COLUMNS:
        df[c] = df[c].astype("Int64")
    df["_file"] = "demo.xlsx"
    df["_sheet"] = "TCCSĐ"
    df["_row"] = np.arange(2, n + 2)
    return df


def independent_design(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome and design matrix built here, from the definitions in the brief, for rated rows."""
    rated = df[df["rating"] != "chua_xep_loai"]
    y = rated["rating"].isin(["xuat_sac", "trong_sach_vung_manh", "tot"]).to_numpy(float)

    def f(c: str) -> np.ndarray:
        return rated[c].to_numpy(dtype=float)

    members_rated = sum(
        f(c) for c in ("members_excellent", "members_good", "members_completed", "members_failed")
    )
    cols = {
        "const": np.ones(len(rated)),
        "monthly_share": f("cells_monthly") / f("cells_total"),
        "thematic_share": f("cells_thematic") / f("cells_total"),
        "supervision_checks": f("supervision_checks"),
        "any_disciplined": (f("members_disciplined") > 0).astype(float),
        "failed_share": f("members_failed") / members_rated,
        "commune": rated["org_type"].isin(["xa", "phuong", "thi_tran"]).to_numpy(float),
    }
    for y_ in YEARS[1:]:
        cols[f"year_{y_}"] = (f("year") == y_).astype(float)
    names = list(cols)
    return y, np.column_stack([cols[k] for k in names]), names


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return make_orgs()


@pytest.fixture(scope="module")
def forced() -> pd.DataFrame:
    return make_orgs(forced="u5")


def smallest_k_with_cdf_at_least(p: float, mu: float) -> int:
    """The Poisson p-quantile by direct search over the CDF (independent of poisson.ppf)."""
    k, cdf, term = 0, np.exp(-mu), np.exp(-mu)
    while cdf < p:
        k += 1
        term *= mu / k
        cdf += term
    return k


# --------------------------------------------------------------------------------------------
class TestRuleWarningCounts:
    def findings(self) -> pd.DataFrame:
        rows = [
            # severity, rule, unit_code, year
            ("warning", "excellent_cap_20", "luc_nam", 2019),
            ("warning", "excellent_cap_20", "luc_nam", 2019),
            ("warning", "excellent_cap_20", "luc_nam", 2020),
            ("warning", "good_org_with_failed_members", "luc_nam", 2019),
            ("warning", "excellent_org_low_member_quality", "son_dong", 2018),
            ("warning", "good_org_with_failed_members", "son_dong", 2018),
            ("warning", "good_org_with_failed_members", "son_dong", 2018),
            # not rules of the period: ignored
            ("warning", "rating_sum_exceeds_rated", "luc_nam", 2019),
            ("error", "missing_column", "", None),
            # a rule of the period without a unit cannot be attributed: ignored
            ("warning", "excellent_cap_20", "", 2019),
            ("warning", "excellent_cap_20", None, 2019),
        ]
        df = pd.DataFrame(rows, columns=["severity", "rule", "unit_code", "year"])
        for c in ("file", "sheet", "column", "value", "message"):
            df[c] = ""
        df["row"] = 2
        return df

    def test_counts_per_unit_and_year(self):
        out = rule_warning_counts(self.findings())
        assert list(out.columns) == ["unit_code", "year", *RULES, "rule_warnings_total"]
        got = {
            (r.unit_code, int(r.year)): (
                int(r.excellent_cap_20),
                int(r.good_org_with_failed_members),
                int(r.excellent_org_low_member_quality),
                int(r.rule_warnings_total),
            )
            for r in out.itertuples()
        }
        # counted by hand from the rows above
        assert got == {
            ("luc_nam", 2019): (2, 1, 0, 3),
            ("luc_nam", 2020): (1, 0, 0, 1),
            ("son_dong", 2018): (0, 2, 1, 3),
        }
        assert str(out["year"].dtype) == "Int64"

    def test_truncated_list_is_reported(self):
        df = self.findings()
        note = df.iloc[[0]].assign(
            rule="findings_truncated",
            unit_code="",
            year=None,
            message="Kiểm tra “excellent_cap_20”: còn 5 trường hợp tương tự không liệt kê ở đây.",
        )
        out = rule_warning_counts(pd.concat([df, note], ignore_index=True))
        assert out.attrs["truncated_rules"] == ["excellent_cap_20"]
        assert rule_warning_counts(df).attrs["truncated_rules"] == []

    def test_no_findings_gives_empty_frame_with_columns(self):
        for empty in (None, self.findings().iloc[0:0]):
            out = rule_warning_counts(empty)
            assert out.empty
            assert list(out.columns) == ["unit_code", "year", *RULES, "rule_warnings_total"]


# --------------------------------------------------------------------------------------------
class TestOeFunnelLimits:
    def test_quantile_limits_for_expected_20(self):
        # Poisson(20): P(Y <= 11) = 0.0214, P(Y <= 12) = 0.0390 -> 2.5% quantile 12;
        # P(Y <= 28) = 0.9657, P(Y <= 29) = 0.9782 -> 97.5% quantile 29.
        lo, hi = oe_funnel_limits(20.0, 0.95)
        assert lo[0] == pytest.approx(12 / 20)
        assert hi[0] == pytest.approx(29 / 20)
        assert lo[0] == pytest.approx(stats.poisson.ppf(0.025, 20) / 20)
        assert hi[0] == pytest.approx(stats.poisson.ppf(0.975, 20) / 20)

    def test_quantile_limits_998_by_cdf_search(self):
        expected = np.array([0.7, 3.2, 20.0, 57.4, 260.0])
        lo, hi = oe_funnel_limits(expected, 0.998)
        for e, lo_e, hi_e in zip(expected, lo, hi, strict=True):
            assert lo_e == pytest.approx(smallest_k_with_cdf_at_least(0.001, e) / e)
            assert hi_e == pytest.approx(smallest_k_with_cdf_at_least(0.999, e) / e)

    def test_interpolated_limits_spiegelhalter_appendix(self):
        e = 20.0
        lo, hi = oe_funnel_limits(e, 0.95, method="interpolated")
        for p, got in ((0.025, lo[0]), (0.975, hi[0])):
            r = smallest_k_with_cdf_at_least(p, e)
            f_r, f_rm1 = stats.poisson.cdf(r, e), stats.poisson.cdf(r - 1, e)
            alpha = (f_r - p) / (f_r - f_rm1)
            assert got == pytest.approx((r - alpha) / e)
            assert (r - 1) / e < got <= r / e

    def test_invalid_expected_and_arguments(self):
        lo, hi = oe_funnel_limits([0.0, -1.0, np.nan], 0.95)
        assert np.isnan(lo).all() and np.isnan(hi).all()
        with pytest.raises(ValueError, match="confidence"):
            oe_funnel_limits(5.0, 95)
        with pytest.raises(ValueError, match="method"):
            oe_funnel_limits(5.0, 0.95, method="normal")


# --------------------------------------------------------------------------------------------
class TestEvidenceModel:
    def test_recovers_known_coefficients(self, clean):
        model = evidence_model(clean)
        coefs = model.coefficients.set_index("term")
        assert set(coefs.index) == set(TRUE)
        z = 3.290527  # 99.9% two-sided: every true value inside est ± z·SE
        for term, true in TRUE.items():
            est, se = coefs.loc[term, "coef"], coefs.loc[term, "std_err"]
            assert abs(est - true) <= z * se, (term, est, true, se)
        # the interval columns are Wald intervals at 95%
        row = coefs.loc["monthly_share"]
        assert row["lower"] == pytest.approx(row["coef"] - 1.959964 * row["std_err"], rel=1e-5)
        assert row["odds_ratio"] == pytest.approx(np.exp(row["coef"]))

    def test_recovers_known_coefficients_closely_with_more_data(self):
        big = make_orgs(seed=7, units=20, orgs=400)  # 40,000 org-years
        coefs = evidence_model(big).params
        for term, true in TRUE.items():
            tol = 1.0 if term == "failed_share" else 0.15
            assert abs(coefs[term] - true) < tol, (term, coefs[term], true)

    def test_matches_an_independent_maximum_likelihood_fit(self, clean):
        y, X, names = independent_design(clean)

        def nll(b):
            eta = X @ b
            return np.sum(np.logaddexp(0.0, eta) - y * eta)

        def grad(b):
            return X.T @ (1.0 / (1.0 + np.exp(-(X @ b))) - y)

        ref = optimize.minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS",
                                options={"gtol": 1e-10, "maxiter": 10_000})  # fmt: skip
        params = evidence_model(clean).params
        for i, name in enumerate(names):
            assert params[name] == pytest.approx(ref.x[i], abs=1e-4), name

    def test_rows_and_predictions(self, clean):
        model = evidence_model(clean)
        rated = int((clean["rating"] != "chua_xep_loai").sum())
        assert model.n_eligible == rated == model.n_used
        assert model.n_dropped == 0
        assert model.years == YEARS
        pred = model.predictions
        assert len(pred) == rated
        assert pred["expected"].between(0, 1).all()
        assert set(pred.columns) >= {"org_code", "reporting_unit", "year", "observed", "expected"}
        # predict() on the frame reproduces the fitted probabilities of the fitted rows
        again = model.predict(clean).loc[pred.index]
        np.testing.assert_allclose(again.to_numpy(), pred["expected"].to_numpy(), rtol=1e-10)

    def test_province_observed_equals_expected_every_year(self, clean):
        # Canonical-link GLM with year dummies: Σ fitted = Σ observed within each year.
        pred = evidence_model(clean).predictions
        sums = pred.groupby("year")[["observed", "expected"]].sum()
        np.testing.assert_allclose(sums["expected"], sums["observed"], rtol=1e-6)

    def test_rows_with_missing_predictors_are_dropped_and_counted(self, clean):
        df = clean.copy()
        rated_idx = df.index[df["rating"] != "chua_xep_loai"]
        no_cells = rated_idx[:7]
        no_disc = rated_idx[6:11]  # overlaps no_cells in one row
        bad_supervision = rated_idx[20:22]
        df.loc[no_cells, "cells_total"] = pd.NA
        df.loc[no_disc, "members_disciplined"] = pd.NA
        df.loc[bad_supervision, "supervision_checks"] = 3  # outside 0–2: counts as missing
        unrated_idx = df.index[df["rating"] == "chua_xep_loai"][:3]
        df.loc[unrated_idx, "cells_total"] = pd.NA  # not rated: not counted at all

        model = evidence_model(df)
        assert model.n_eligible == len(rated_idx)
        assert model.n_dropped == 7 + 5 - 1 + 2
        assert model.n_used == len(rated_idx) - 13
        assert model.missing_by_predictor == {
            "monthly_share": 7,
            "thematic_share": 7,
            "supervision_checks": 2,
            "any_disciplined": 5,
            "failed_share": 0,
            "commune": 0,
        }
        dropped = set(no_cells) | set(no_disc) | set(bad_supervision)
        assert dropped.isdisjoint(model.predictions.index)

        oe = observed_vs_expected(df, model, by=("reporting_unit",))
        assert oe["n_excluded"].sum() == 13
        assert oe["n"].sum() == model.n_used

    def test_constant_predictor_is_dropped_not_fatal(self, clean):
        df = clean.copy()
        df["members_disciplined"] = pd.array([0] * len(df), dtype="Int64")
        model = evidence_model(df)
        assert model.dropped_terms == ("any_disciplined",)
        assert "any_disciplined" not in model.params.index

    def test_separation_is_reported_not_fatal(self, clean):
        df = clean.copy()
        df.loc[(df["year"] == 2020) & (df["rating"] != "chua_xep_loai"), "rating"] = "tot"
        model = evidence_model(df)
        assert any("year_2020" in w for w in model.warnings)
        assert model.predictions.loc[model.predictions["year"] == 2020, "expected"].min() > 0.99

    def test_predictor_subset(self, clean):
        model = evidence_model(clean, predictors=("monthly_share", "commune"))
        assert list(model.params.index) == ["const", "monthly_share", "commune",
                                            *[f"year_{y}" for y in YEARS[1:]]]  # fmt: skip

    def test_years_restrict_the_fit(self, clean):
        model = evidence_model(clean, years=[2016, 2017])
        assert model.years == (2016, 2017)
        assert set(model.predictions["year"]) == {2016, 2017}
        assert model.predict(clean)[clean["year"] == 2019].isna().all()

    def test_errors(self, clean):
        with pytest.raises(ValueError, match="cells_total"):
            evidence_model(clean.drop(columns="cells_total"))
        all_good = clean.assign(rating="tot")
        with pytest.raises(ValueError, match="cùng một mức"):
            evidence_model(all_good)
        with pytest.raises(ValueError, match="xếp loại"):
            evidence_model(clean.assign(rating="chua_xep_loai"))
        with pytest.raises(ValueError, match="biến dự báo"):
            evidence_model(clean, predictors=("meetings",))


# --------------------------------------------------------------------------------------------
class StubModel:
    """A model whose predictions are given (column ``p``), to test the flag rule by hand."""

    years = (2019,)

    def predict(self, organizations: pd.DataFrame) -> pd.Series:
        return organizations["p"].astype(float)


def stub_frame() -> pd.DataFrame:
    # unit, number of TCCSĐ, predicted probability each, number rated good or better
    spec = [("a", 20, 0.5, 20), ("b", 20, 0.5, 17), ("c", 40, 0.5, 5), ("d", 100, 0.1, 30),
            ("e", 20, 0.5, 10)]  # fmt: skip
    rows = []
    for unit, n, p, good in spec:
        for i in range(n):
            rows.append((2019, unit, "tot" if i < good else "hoan_thanh", p))
    df = pd.DataFrame(rows, columns=["year", "reporting_unit", "rating", "p"])
    df["year"] = df["year"].astype("Int64")
    df["rating"] = df["rating"].astype("str")
    return df


class TestObservedVsExpected:
    def test_flag_rule_by_hand(self):
        out = observed_vs_expected(stub_frame(), StubModel()).set_index("reporting_unit")
        # E: a, b, e = 20 × 0.5 = 10; c = 40 × 0.5 = 20; d = 100 × 0.1 = 10.
        assert out["E"].to_dict() == pytest.approx({"a": 10, "b": 10, "c": 20, "d": 10, "e": 10})
        assert out["O"].to_dict() == {"a": 20, "b": 17, "c": 5, "d": 30, "e": 10}
        # Poisson(10): 97.5% quantile 17, 99.9% quantile 21; Poisson(20): 0.1% quantile 8.
        assert out.loc["a", "upper_95"] == pytest.approx(17 / 10)
        assert out.loc["a", "upper_998"] == pytest.approx(21 / 10)
        assert out.loc["c", "lower_998"] == pytest.approx(8 / 20)
        assert out["flag"].to_dict() == {
            "a": "above_95",  # 20 > 17, not > 21
            "b": "within",  # 17 is the limit itself: strict inequality
            "c": "below_998",  # 5 < 8
            "d": "above_998",  # 30 > 21
            "e": "within",
        }
        assert set(out["flag"]) <= set(FLAGS)

    def test_codes_and_numbers_only(self):
        # the questions are worded in present (tests/present/test_integrity_words.py)
        out = observed_vs_expected(stub_frame(), StubModel())
        assert "question_vi" not in out.columns
        assert out.set_index("reporting_unit").loc["d", ["period", "O", "n"]].to_list() == [
            "2019", 30, 100
        ]

    def test_bernoulli_limits_by_hand(self):
        out = observed_vs_expected(stub_frame(), StubModel(), distribution="bernoulli")
        a = out.set_index("reporting_unit").loc["a"]
        # E = 10, Var = 20 × 0.25 = 5, n = 20: 10 ± 1.959964·√5, clipped to [0, 20], over 10
        assert a["upper_95"] == pytest.approx((10 + 1.959964 * np.sqrt(5)) / 10, rel=1e-6)
        assert a["lower_95"] == pytest.approx((10 - 1.959964 * np.sqrt(5)) / 10, rel=1e-6)
        assert a["upper_998"] == pytest.approx((10 + 3.090232 * np.sqrt(5)) / 10, rel=1e-6)
        assert a["flag"] == "above_998"

    def test_forced_unit_is_flagged_above_998(self, forced):
        model = evidence_model(forced)
        out = observed_vs_expected(forced, model, by=("reporting_unit",))
        flags = out.set_index("reporting_unit")["flag"]
        assert flags["u5"] == "above_998"
        assert (flags.drop("u5") != "above_998").all()

    def test_pooled_rows_when_years_given(self, clean):
        model = evidence_model(clean)
        out = observed_vs_expected(clean, model, years=YEARS)
        per_year = out[~out["pooled"]]
        pooled = out[out["pooled"]]
        assert len(per_year) == 5 * 5 and len(pooled) == 5
        assert pooled["year"].isna().all()
        assert set(pooled["period"]) == {"2016–2020"}
        sums = per_year.groupby("reporting_unit")[["n", "O", "E"]].sum()
        pooled = pooled.set_index("reporting_unit")
        np.testing.assert_allclose(pooled.loc[sums.index, "E"], sums["E"])
        assert (pooled.loc[sums.index, "O"] == sums["O"]).all()

    def test_bad_arguments(self, clean):
        model = evidence_model(clean)
        with pytest.raises(ValueError, match="distribution"):
            observed_vs_expected(clean, model, distribution="normal")
        with pytest.raises(ValueError, match="commune_code"):
            observed_vs_expected(clean, model, by=("commune_code",))


# --------------------------------------------------------------------------------------------
class TestIntegritySummary:
    def findings(self) -> pd.DataFrame:
        df = pd.DataFrame(
            [
                ("warning", "excellent_cap_20", "u2", 2019),
                ("warning", "excellent_cap_20", "u2", 2020),
                ("warning", "good_org_with_failed_members", "u5", 2018),
                ("warning", "excellent_cap_20", "u3", 2015),  # outside the years asked
            ],
            columns=["severity", "rule", "unit_code", "year"],
        )
        for c in ("file", "sheet", "row", "column", "value", "message"):
            df[c] = ""
        return df

    def test_forced_unit_above_998_and_others_within(self, forced):
        out = integrity_summary(forced, self.findings(), years=YEARS).set_index("reporting_unit")
        assert out.loc["u5", "flag"] == "above_998"
        assert (out.drop(index="u5")["flag"] == "within").all()
        assert out.attrs["reference_excluded_units"] == ("u5",)
        # rule warnings summed over the years asked
        assert out["excellent_cap_20"].to_dict() == {"u1": 0, "u2": 2, "u3": 0, "u4": 0, "u5": 0}
        assert out.loc["u5", "good_org_with_failed_members"] == 1
        assert out["rule_warnings_total"].to_dict() == {"u1": 0, "u2": 2, "u3": 0, "u4": 0,
                                                         "u5": 1}  # fmt: skip
        # codes and numbers only: the questions and the disclaimer are worded in present
        # (tests/present/test_integrity_words.py)
        assert "question_vi" not in out.columns and "disclaimer_vi" not in out.attrs

    def test_unit_only_in_findings_is_listed_without_funnel(self, clean):
        findings = self.findings().assign(unit_code="u9")
        out = integrity_summary(clean, findings, years=YEARS).set_index("reporting_unit")
        assert out.loc["u9", "rule_warnings_total"] == 3  # the 2015 finding is outside YEARS
        assert pd.isna(out.loc["u9", "flag"]) and pd.isna(out.loc["u9", "O"])

    def test_exact_rule_counts_take_precedence_over_findings(self, clean):
        exact = pd.DataFrame(
            {"unit_code": ["u1", "u1", "u2"], "year": [2018, 2019, 2015],
             "excellent_cap_20": [250, 10, 7], "good_org_with_failed_members": [0, 1, 0],
             "excellent_org_low_member_quality": [3, 0, 0]}
        )  # fmt: skip
        out = integrity_summary(clean, self.findings(), years=YEARS, rule_counts=exact)
        out = out.set_index("reporting_unit")
        assert out.loc["u1", "excellent_cap_20"] == 260
        assert out.loc["u1", "rule_warnings_total"] == 264
        assert out.loc["u2", "rule_warnings_total"] == 0  # 2015 is outside YEARS

    def test_reference_all_matches_observed_vs_expected(self, forced):
        out = integrity_summary(forced, reference="all").set_index("reporting_unit")
        direct = observed_vs_expected(
            forced, evidence_model(forced), by=("reporting_unit",)
        ).set_index("reporting_unit")
        np.testing.assert_allclose(out["E"], direct.loc[out.index, "E"])
        assert out.loc["u5", "flag"] == "above_998"

    def test_reference_model_leaves_out_units_beyond_998(self, forced, clean):
        assert reference_model(forced).excluded_units == ("u5",)
        assert reference_model(clean).excluded_units == ()

    def test_without_findings_rule_columns_are_missing(self, clean):
        out = integrity_summary(clean)
        assert out[list(RULES)].isna().all().all()
        assert len(out) == 5

    def test_no_detail_data_gives_empty_frame(self, clean):
        out = integrity_summary(clean.iloc[0:0])
        assert out.empty and "flag" in out.columns

    def test_disclaimer_says_question_not_finding(self):
        assert "câu hỏi" in DISCLAIMER_VI and "không phải kết luận" in DISCLAIMER_VI
        assert integrity.FLAGS == ("above_998", "above_95", "within", "below_95", "below_998")
