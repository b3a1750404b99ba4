"""Rating plausibility: do the quality ratings of TCCSĐ match their objective records?

The resolution itself warns that "Đánh giá chất lượng tổ chức đảng còn biểu hiện thành tích"
(ratings are inflated). This module sets the ratings beside the records that do not depend on
the rating itself (regular and thematic cell meetings, supervision of meetings by the upper
level, discipline, members rated as failing) and shows **where** ratings are higher than those
records predict. Every result is a question for the reviewer, never a finding of fact. The
frames hold codes and numbers only (flags, counts per rule, O, E, limits, the period); the
words of the questions and of the disclaimer are composed in
:mod:`analysis.present.integrity_words`.

Four pieces:

1. :func:`rule_warning_counts` counts, per reporting unit and year, the validation warnings of
   the rules of the period (``excellent_cap_20``, ``good_org_with_failed_members``,
   ``excellent_org_low_member_quality``).
2. :func:`evidence_model` (in :mod:`analysis.measure.evidence`) fits one province-wide
   logistic model (statsmodels GLM, binomial family, logit link) of "rated good or better" on
   the records, over TCCSĐ-years.
3. :func:`observed_vs_expected` compares, per reporting unit (and year), the observed count
   rated good or better, O, with the count the model expects from the unit's records,
   E = Σ p̂, as the indirectly standardised ratio O/E on a funnel plot with Poisson control
   limits (Spiegelhalter 2005).
4. :func:`integrity_summary` puts 1–3 side by side per reporting unit, pooled over the
   assessment's years.

References
----------
Spiegelhalter DJ. Funnel plots for comparing institutional performance. *Stat Med*
2005;24:1185–1202. doi:10.1002/sim.1970 (funnel plots for indirectly standardised ratios
O/E with Poisson limits; its appendix for the interpolated quantiles of a discrete
distribution).

McCullagh P, Nelder JA. *Generalized Linear Models*, 2nd ed. Chapman & Hall 1989 (with the
canonical logit link and an intercept, fitted probabilities sum to the observed count within
every level of a categorical term, so the province's O/E is 1 in every year by construction;
see :mod:`analysis.measure.evidence` for the model's own references).
"""


from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.measure.evidence import (
    PREDICTORS,
    REQUIRED_COLUMNS,
    ModelResult,
    as_float,
    check_columns,
    evidence_model,
    good_or_better,
)

__all__ = [
    "FLAGS",
    "FLAGS_ABOVE",
    "PREDICTORS",
    "RULES",
    "RULE_TOTAL",
    "ModelResult",
    "evidence_model",
    "integrity_summary",
    "observed_vs_expected",
    "oe_funnel_limits",
    "reference_model",
    "rule_warning_counts",
]

#: Validation rules of the rating period whose warnings are counted (analysis.data.validate).
RULES: tuple[str, ...] = (
    "excellent_cap_20",
    "good_org_with_failed_members",
    "excellent_org_low_member_quality",
)
RULE_TOTAL = "rule_warnings_total"
#: Rule id of the finding validation adds when it stops listing the findings of a rule.
TRUNCATED = "findings_truncated"

#: Funnel flags, from most above to most below the records' prediction.
FLAGS: tuple[str, ...] = ("above_998", "above_95", "within", "below_95", "below_998")
FLAGS_ABOVE = ("above_998", "above_95")
LEVELS = {"95": 0.95, "998": 0.998}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _period_label(years: Sequence[int]) -> str:
    ys = sorted({int(y) for y in years})
    if not ys:
        return ""
    if len(ys) == 1:
        return str(ys[0])
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


# --------------------------------------------------------------------------------------------
# 1. rule warnings
# --------------------------------------------------------------------------------------------
def rule_warning_counts(findings_frame: pd.DataFrame | None) -> pd.DataFrame:
    """Count the findings of the rules of the rating period per reporting unit and year.

    Parameters
    ----------
    findings_frame : DataFrame or None
        Validation findings as returned by ``analysis.data.findings.findings_frame``:
        columns ``severity, rule, file, sheet, row, column, value, message, unit_code, year``.
        Only ``rule``, ``unit_code`` and ``year`` are used.

    Returns
    -------
    DataFrame
        One row per ``unit_code`` × ``year`` having at least one such finding, with one
        ``Int64`` column per rule in :data:`RULES` (0 when none) and ``rule_warnings_total``.
        ``year`` is ``Int64`` (``<NA>`` for a finding without a year). Findings without a
        ``unit_code`` cannot be attributed to a unit and are left out.

    Notes
    -----
    The three rules are warnings by design (they test the rules of Hướng dẫn 21-HD/BTCTW,
    2019; see ``domain-rules.md`` §1.2), so every finding of these rules is counted whatever
    its severity; other rules are ignored.

    Validation lists at most a fixed number of findings per rule and then one
    ``findings_truncated`` finding naming the rule. Counts from such a list are lower bounds:
    the rules concerned are listed in ``attrs["truncated_rules"]``, and the exact counts come
    from ``analysis.data.rules.period_rule_counts`` (same shape; pass it to
    :func:`integrity_summary` as ``rule_counts``).
    """
    columns = ["unit_code", "year", *RULES, RULE_TOTAL]
    if findings_frame is None or len(findings_frame) == 0:
        out = pd.DataFrame({c: pd.Series(dtype="Int64") for c in columns})
        out["unit_code"] = pd.Series(dtype="str")
        return out
    check_columns(findings_frame, ("rule", "unit_code", "year"), "findings")
    truncated: list[str] = []
    if "message" in findings_frame.columns:
        notes = findings_frame.loc[findings_frame["rule"] == TRUNCATED, "message"].astype("str")
        truncated = [r for r in RULES if notes.str.contains(r, regex=False).any()]
    f = findings_frame.loc[findings_frame["rule"].isin(RULES), ["rule", "unit_code", "year"]]
    unit = f["unit_code"].astype("str")
    f = f.assign(
        unit_code=unit.str.strip(),
        year=pd.to_numeric(f["year"], errors="coerce").astype("Int64"),
    )
    f = f[f["unit_code"].notna() & (f["unit_code"] != "")]
    if f.empty:
        out = rule_warning_counts(None)
        out.attrs["truncated_rules"] = truncated
        return out
    counts = (
        f.groupby(["unit_code", "year", "rule"], dropna=False, sort=True)
        .size()
        .unstack("rule", fill_value=0)
        .reindex(columns=list(RULES), fill_value=0)
    )
    counts[RULE_TOTAL] = counts.sum(axis=1)
    counts = counts.astype("Int64").reset_index()
    counts.columns.name = None
    out = counts[columns].reset_index(drop=True)
    out.attrs["truncated_rules"] = truncated
    return out


# --------------------------------------------------------------------------------------------
# 3. observed vs expected on a Poisson funnel
# --------------------------------------------------------------------------------------------
def oe_funnel_limits(
    expected: np.ndarray | Sequence[float] | float,
    confidence: float = 0.95,
    method: str = "quantile",
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson control limits for an O/E ratio at expected count E (Spiegelhalter 2005).

    Under the null hypothesis the observed count O is Poisson with mean E, so the limits of
    O/E at confidence ``c`` are the ``(1−c)/2`` and ``(1+c)/2`` quantiles of Poisson(E),
    divided by E.

    Parameters
    ----------
    expected : array-like of float
        Expected counts E (> 0; NaN is returned where E ≤ 0 or missing).
    confidence : float, optional
        0.95 or 0.998 in this suite (any 0 < c < 1 works).
    method : {"quantile", "interpolated"}, optional
        ``"quantile"`` (default): the exact Poisson quantile, the smallest integer r with
        P(Y ≤ r) ≥ p (``scipy.stats.poisson.ppf``). Used for flags: a unit is outside when
        O is strictly beyond the limit, a test of size at most (1−c)/2 per side.
        ``"interpolated"``: Spiegelhalter (2005, appendix) r − α with
        α = (P(Y ≤ r) − p) / (P(Y ≤ r) − P(Y ≤ r − 1)), clipped at 0; smooth curves for
        drawing the funnel.

    Returns
    -------
    lower, upper : ndarray
        Limits on the O/E scale.

    References
    ----------
    Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
    2005;24:1185–1202.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence phải nằm trong khoảng (0, 1)")
    if method not in ("quantile", "interpolated"):
        raise ValueError("method phải là 'quantile' hoặc 'interpolated'")
    e = np.atleast_1d(np.asarray(expected, dtype=float))
    valid = np.isfinite(e) & (e > 0)
    e_safe = np.where(valid, e, 1.0)
    from scipy import stats  # lazy: see the module's imports

    bounds = []
    for p in ((1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0):
        r = stats.poisson.ppf(p, e_safe)
        if method == "interpolated":
            f_r = stats.poisson.cdf(r, e_safe)
            f_rm1 = stats.poisson.cdf(r - 1, e_safe)
            alpha = (f_r - p) / (f_r - f_rm1)
            r = np.maximum(r - alpha, 0.0)
        bounds.append(np.where(valid, r / e_safe, np.nan))
    return bounds[0], bounds[1]


def _bernoulli_limits(
    expected: np.ndarray, variance: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Normal limits for O/E when O is a sum of independent Bernoulli(p_i): Var O = Σp(1−p)."""
    from scipy import stats  # lazy: see the module's imports

    z = stats.norm.ppf((1.0 + confidence) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.clip(expected - z * np.sqrt(variance), 0.0, n) / expected
        hi = np.clip(expected + z * np.sqrt(variance), 0.0, n) / expected
    bad = ~(expected > 0)
    lo[bad] = np.nan
    hi[bad] = np.nan
    return lo, hi


def _flags(ratio: np.ndarray, limits: dict[str, np.ndarray]) -> np.ndarray:
    flag = np.full(len(ratio), "within", dtype=object)
    flag[ratio < limits["lower_95"]] = "below_95"
    flag[ratio < limits["lower_998"]] = "below_998"
    flag[ratio > limits["upper_95"]] = "above_95"
    flag[ratio > limits["upper_998"]] = "above_998"
    flag[~np.isfinite(ratio)] = None
    return flag


def observed_vs_expected(
    organizations: pd.DataFrame,
    model: ModelResult,
    by: Sequence[str] = ("reporting_unit", "year"),
    years: Iterable[int] | None = None,
    *,
    distribution: str = "poisson",
    method: str = "quantile",
) -> pd.DataFrame:
    """Observed vs expected TCCSĐ rated good or better, per unit, with funnel limits and flags.

    Parameters
    ----------
    organizations : DataFrame
        The ``organizations`` table (rows scored with ``model.predict``).
    model : ModelResult
        From :func:`evidence_model` (normally fitted on the same frame and years).
    by : sequence of str, optional
        Grouping columns; default ``("reporting_unit", "year")``.
    years : iterable of int, optional
        The assessment's years. Rows of other years are ignored; when ``by`` contains
        ``year``, pooled rows over these years are appended (``year`` = <NA>, ``pooled`` =
        True). Default: the model's years, no pooled rows.
    distribution : {"poisson", "bernoulli"}, optional
        ``"poisson"`` (default): O ~ Poisson(E), Spiegelhalter (2005) limits for indirectly
        standardised ratios, see :func:`oe_funnel_limits`. ``"bernoulli"``: O as a sum of
        independent Bernoulli(p̂_i), normal limits E ± z·√Σp̂(1−p̂) clipped to [0, n]. The
        Poisson variance E exceeds Σp̂(1−p̂) by about 1/(1−p̄), so when most TCCSĐ are
        expected to be rated good or better the Poisson limits are wide: with p̄ ≈ 0.8 or
        more the upper 95% limit is above n/E, and a unit cannot be flagged above even when
        every TCCSĐ is rated good or better (e.g. n = 70, E = 63: n/E = 1.11, upper_95 =
        1.25).
    method : {"quantile", "interpolated"}, optional
        Poisson quantile form, see :func:`oe_funnel_limits`.

    Returns
    -------
    DataFrame
        Per group: the ``by`` columns, ``period`` (year or "2016–2019"), ``pooled``, ``n``
        (rated TCCSĐ-years with complete records), ``n_excluded`` (rated but a predictor
        missing), ``O``, ``E``, ``ratio`` = O/E, ``lower_95, upper_95, lower_998,
        upper_998`` (O/E scale), ``flag`` (one of :data:`FLAGS`, <NA> when n = 0) and
        ``distribution``. A row flagged ``above_*`` is a question for the reviewer, worded by
        ``analysis.present.integrity_words.funnel_question``.

    Notes
    -----
    Flag rule: ``above_998`` if O/E > upper_998, else ``above_95`` if O/E > upper_95,
    ``below_998`` if O/E < lower_998, else ``below_95`` if O/E < lower_95, otherwise
    ``within`` (strict inequalities). "Above" means more TCCSĐ rated good or better than the
    province's records predict — a question for the reviewer, not a finding.
    Because E comes from a model with year effects fitted on the whole province, the province
    O/E is 1 in every fitted year.

    References
    ----------
    Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
    2005;24:1185–1202.
    """
    by = list(by)
    if distribution not in ("poisson", "bernoulli"):
        raise ValueError("distribution phải là 'poisson' hoặc 'bernoulli'")
    check_columns(organizations, [*REQUIRED_COLUMNS, *by], "organizations")
    sel_years = tuple(sorted({int(y) for y in years})) if years is not None else model.years

    good = good_or_better(organizations["rating"])
    year = as_float(organizations, "year")
    eligible = ~np.isnan(good) & np.isin(year, sel_years)
    p = model.predict(organizations).to_numpy()
    used = eligible & ~np.isnan(p)

    base = organizations.loc[eligible, by].copy()
    if "year" in by:
        base["year"] = base["year"].astype("Int64")
    u = used[eligible]
    base["_n"] = u.astype(int)
    base["_excluded"] = (~u).astype(int)
    base["_O"] = np.where(u, good[eligible], 0.0)
    base["_E"] = np.where(u, p[eligible], 0.0)
    base["_V"] = np.where(u, p[eligible] * (1.0 - p[eligible]), 0.0)

    def aggregate(keys: list[str]) -> pd.DataFrame:
        sums = ["_n", "_excluded", "_O", "_E", "_V"]
        if keys:
            return base.groupby(keys, dropna=False, sort=True)[sums].sum().reset_index()
        return base[sums].sum().to_frame().T

    out = aggregate(by)
    out["pooled"] = "year" not in by
    out["period"] = out["year"].astype("str") if "year" in by else _period_label(sel_years)
    if years is not None and "year" in by:
        pooled = aggregate([k for k in by if k != "year"])
        pooled["year"] = pd.array([pd.NA] * len(pooled), dtype="Int64")
        pooled["pooled"] = True
        pooled["period"] = _period_label(sel_years)
        out = pd.concat([out, pooled], ignore_index=True)

    n = out["_n"].to_numpy(dtype=float)
    obs = out["_O"].to_numpy(dtype=float)
    exp_ = out["_E"].to_numpy(dtype=float)
    var = out["_V"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(exp_ > 0, obs / exp_, np.nan)
    limits: dict[str, np.ndarray] = {}
    for tag, conf in LEVELS.items():
        if distribution == "poisson":
            lo, hi = oe_funnel_limits(exp_, conf, method=method)
        else:
            lo, hi = _bernoulli_limits(exp_, var, n, conf)
        limits[f"lower_{tag}"] = lo
        limits[f"upper_{tag}"] = hi

    result = out[by].copy() if by else pd.DataFrame(index=out.index)
    result["period"] = out["period"].astype("str")
    result["pooled"] = out["pooled"].astype(bool)
    result["n"] = out["_n"].astype("int64")
    result["n_excluded"] = out["_excluded"].astype("int64")
    result["O"] = np.rint(obs).astype("int64")
    result["E"] = exp_
    result["ratio"] = ratio
    for key in ("lower_95", "upper_95", "lower_998", "upper_998"):
        result[key] = limits[key]
    result["flag"] = pd.array(_flags(ratio, limits), dtype="str")
    result["distribution"] = (
        f"poisson ({method})" if distribution == "poisson" else "bernoulli (normal)"
    )
    return result.reset_index(drop=True)


def reference_model(
    organizations: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    predictors: Sequence[str] = PREDICTORS,
    distribution: str = "poisson",
    method: str = "quantile",
) -> ModelResult:
    """The evidence model refitted without the units far outside the funnel (one pass).

    With internal (indirect) standardisation the province's O equals its E in every year, so
    a large unit whose ratings are far above its records pulls the reference towards itself
    and pushes every other unit below 1, and it masks part of its own excess. This function
    fits :func:`evidence_model` on all units, computes O/E per reporting unit pooled over
    ``years``, and, when some units (but not all) lie beyond a 99.8% limit on either side,
    refits once without them (``exclude_units``). Their records still get predictions from
    the refitted model, so they keep their place on the funnel.

    Parameters
    ----------
    organizations, years, predictors
        As for :func:`evidence_model`.
    distribution, method
        As for :func:`observed_vs_expected` (used to find the units beyond 99.8%).

    Returns
    -------
    ModelResult
        The refitted model (``excluded_units`` lists the units left out), or the first fit
        when no unit lies beyond 99.8%, or when the refit is impossible (it is then returned
        with a note in ``warnings``).

    Notes
    -----
    One pass only, so the reference never shrinks step by step to a few "typical" units.
    The idea of estimating the target from in-control units follows the robust approaches
    discussed by Spiegelhalter (2005, over-dispersion) and Spiegelhalter et al. (2012,
    J R Stat Soc A 175:1–47); this one-pass exclusion is this suite's simplification.
    """
    years_t = tuple(sorted({int(y) for y in years})) if years is not None else None
    first = evidence_model(organizations, years=years_t, predictors=predictors)
    pooled = observed_vs_expected(
        organizations,
        first,
        by=("reporting_unit",),
        years=years_t,
        distribution=distribution,
        method=method,
    )
    far = pooled.loc[pooled["flag"].isin(["above_998", "below_998"]), "reporting_unit"]
    far = tuple(sorted(str(u) for u in far))
    if not far or len(far) >= pooled["reporting_unit"].nunique():
        return first
    try:
        return evidence_model(
            organizations, years=years_t, predictors=predictors, exclude_units=far
        )
    except ValueError as exc:
        first.warnings = (*first.warnings, f"refit without {', '.join(far)} impossible: {exc}")
        return first


# --------------------------------------------------------------------------------------------
# 4. summary per reporting unit
# --------------------------------------------------------------------------------------------
def integrity_summary(
    organizations: pd.DataFrame,
    findings_frame: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    *,
    predictors: Sequence[str] = PREDICTORS,
    distribution: str = "poisson",
    method: str = "quantile",
    reference: str = "robust",
    rule_counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rating plausibility per reporting unit, pooled over ``years``: O/E funnel + rule warnings.

    Parameters
    ----------
    organizations : DataFrame
        The ``organizations`` table.
    findings_frame : DataFrame, optional
        Validation findings (``analysis.data.findings.findings_frame``); without it (and
        without ``rule_counts``) the rule-warning columns are <NA> (not checked), not 0.
    years : iterable of int, optional
        The assessment's ``data_years``; default every year in ``organizations``.
    predictors, distribution, method
        Passed to :func:`evidence_model` and :func:`observed_vs_expected`.
    rule_counts : DataFrame, optional
        Exact counts in the shape of :func:`rule_warning_counts` (e.g. from
        ``analysis.data.rules.period_rule_counts``, which is not capped); used instead of
        counting ``findings_frame`` when given.
    reference : {"robust", "all"}, optional
        ``"robust"`` (default): E from :func:`reference_model` (units beyond 99.8% left out of
        the fit, one pass); ``"all"``: E from :func:`evidence_model` on every unit.

    Returns
    -------
    DataFrame
        One row per reporting unit: ``reporting_unit, period, n, n_excluded, O, E, ratio,
        lower_95, upper_95, lower_998, upper_998, flag``, one column per rule in
        :data:`RULES` and ``rule_warnings_total`` (the questions they raise are worded by
        ``analysis.present.integrity_words.questions``). Units that appear only in the
        findings get <NA> in the funnel columns. ``attrs`` holds ``n_used``, ``n_dropped``,
        ``missing_by_predictor``, ``dropped_terms``, ``model_warnings``,
        ``reference_excluded_units`` and ``rule_counts_truncated`` (rules whose counts from a
        capped findings list are lower bounds). An input without any rated TCCSĐ gives an
        empty frame (detail data absent: the analysis is not assessable).
    """
    years_t = tuple(sorted({int(y) for y in years})) if years is not None else None
    columns = [
        "reporting_unit", "period", "n", "n_excluded", "O", "E", "ratio",
        "lower_95", "upper_95", "lower_998", "upper_998", "flag", *RULES, RULE_TOTAL,
    ]  # fmt: skip
    check_columns(organizations, REQUIRED_COLUMNS, "organizations")
    rated = ~np.isnan(good_or_better(organizations["rating"]))
    if years_t is not None:
        rated &= np.isin(as_float(organizations, "year"), years_t)
    if not rated.any():
        # No detail data (summary input only) or nobody rated: not assessable, not an error.
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty
    if reference == "robust":
        model = reference_model(
            organizations,
            years=years_t,
            predictors=predictors,
            distribution=distribution,
            method=method,
        )
    elif reference == "all":
        model = evidence_model(organizations, years=years_t, predictors=predictors)
    else:
        raise ValueError("reference phải là 'robust' hoặc 'all'")

    oe = observed_vs_expected(
        organizations,
        model,
        by=("reporting_unit",),
        years=years_t,
        distribution=distribution,
        method=method,
    ).drop(columns=["pooled", "distribution"])

    truncated: list[str] = []
    if rule_counts is not None or findings_frame is not None:
        if rule_counts is not None:
            check_columns(rule_counts, ["unit_code", "year", *RULES], "rule_counts")
            counts = rule_counts.copy()
            counts[RULE_TOTAL] = counts[list(RULES)].sum(axis=1)
        else:
            counts = rule_warning_counts(findings_frame)
            truncated = list(counts.attrs.get("truncated_rules", []))
        counts["year"] = pd.to_numeric(counts["year"], errors="coerce").astype("Int64")
        sel = years_t or model.years
        counts = counts[counts["year"].isin(sel)]
        per_unit = (
            counts.groupby("unit_code")[[*RULES, RULE_TOTAL]]
            .sum()
            .reset_index()
            .rename(columns={"unit_code": "reporting_unit"})
        )
        merged = oe.merge(per_unit, on="reporting_unit", how="outer")
        for c in [*RULES, RULE_TOTAL]:
            merged[c] = merged[c].fillna(0).astype("Int64")
        merged["period"] = merged["period"].fillna(_period_label(sel))
    else:
        merged = oe.copy()
        for c in [*RULES, RULE_TOTAL]:
            merged[c] = pd.array([pd.NA] * len(merged), dtype="Int64")

    for c in ("n", "n_excluded", "O"):
        merged[c] = merged[c].astype("Int64")
    merged = merged.sort_values("reporting_unit", kind="stable").reset_index(drop=True)
    merged = merged[columns]
    merged.attrs.update(
        n_used=model.n_used,
        n_dropped=model.n_dropped,
        missing_by_predictor=dict(model.missing_by_predictor),
        dropped_terms=model.dropped_terms,
        model_warnings=model.warnings,
        reference_excluded_units=model.excluded_units,
        rule_counts_truncated=truncated,
    )
    return merged
