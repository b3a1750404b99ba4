"""Rating plausibility: do the quality ratings of TCCSĐ match their objective records?

The resolution itself warns that "Đánh giá chất lượng tổ chức đảng còn biểu hiện thành tích"
(ratings are inflated). This module sets the ratings beside the records that do not depend on
the rating itself (regular and thematic cell meetings, supervision of meetings by the upper
level, discipline, members rated as failing) and shows **where** ratings are higher than those
records predict. Every result is a question for the reviewer, never a finding of fact: see
:data:`DISCLAIMER_VI`.

Four pieces:

1. :func:`rule_warning_counts` counts, per reporting unit and year, the validation warnings of
   the rules of the period (``excellent_cap_20``, ``good_org_with_failed_members``,
   ``excellent_org_low_member_quality``).
2. :func:`evidence_model` fits one province-wide logistic model (statsmodels GLM, binomial
   family, logit link) of "rated good or better" on the records, over TCCSĐ-years.
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

Seabold S, Perktold J. statsmodels: Econometric and statistical modeling with Python.
*Proc. 9th Python in Science Conf.* 2010 (``statsmodels.genmod.generalized_linear_model.GLM``
with ``families.Binomial()``; Wald confidence intervals from ``GLMResults.conf_int``).

McCullagh P, Nelder JA. *Generalized Linear Models*, 2nd ed. Chapman & Hall 1989 (with the
canonical logit link and an intercept, fitted probabilities sum to the observed count within
every level of a categorical term, so the province's O/E is 1 in every year by construction).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema

__all__ = [
    "DISCLAIMER_VI",
    "FLAGS",
    "PREDICTORS",
    "RULES",
    "ModelResult",
    "evidence_model",
    "integrity_summary",
    "observed_vs_expected",
    "oe_funnel_limits",
    "reference_model",
    "rule_warning_counts",
]

#: Plain statement printed with every integrity table.
DISCLAIMER_VI = (
    "Các đánh dấu trong phần này là câu hỏi gợi ý để người thẩm định xem xét, không phải kết "
    "luận về sai phạm hay về chất lượng thực tế của tổ chức đảng. Mức dự kiến (E) được tính "
    "bằng mô hình thống kê từ hồ sơ sinh hoạt chi bộ, kiểm tra, kỷ luật và đánh giá đảng viên "
    "của toàn tỉnh; một đơn vị nằm ngoài giới hạn kiểm soát chỉ cho thấy kết quả xếp loại khác "
    "với mức mà hồ sơ dự báo, còn nguyên nhân phải được làm rõ qua hồ sơ và trao đổi với đơn vị."
)

#: Validation rules of the rating period whose warnings are counted (analysis.data.validate).
RULES: tuple[str, ...] = (
    "excellent_cap_20",
    "good_org_with_failed_members",
    "excellent_org_low_member_quality",
)
RULE_LABELS_VI = {
    "excellent_cap_20": (
        "số đảng viên hoàn thành xuất sắc nhiệm vụ vượt 20% số đảng viên hoàn thành tốt nhiệm vụ"
    ),
    "good_org_with_failed_members": (
        "TCCSĐ xếp loại hoàn thành tốt nhiệm vụ trở lên nhưng có trên 20% đảng viên không "
        "hoàn thành nhiệm vụ"
    ),
    "excellent_org_low_member_quality": (
        "TCCSĐ xếp loại hoàn thành xuất sắc nhiệm vụ nhưng dưới 80% đảng viên hoàn thành tốt "
        "nhiệm vụ trở lên"
    ),
}
RULE_TOTAL = "rule_warnings_total"
#: Rule id of the finding validation adds when it stops listing the findings of a rule.
TRUNCATED = "findings_truncated"

#: Predictors of the evidence model, all built from records other than the rating itself.
PREDICTORS: tuple[str, ...] = (
    "monthly_share",  # cells_monthly / cells_total
    "thematic_share",  # cells_thematic / cells_total
    "supervision_checks",  # 0–2 supervisions of cell meetings by the upper level
    "any_disciplined",  # members_disciplined > 0
    "failed_share",  # members_failed / members rated
    "commune",  # org_type is xã, phường or thị trấn
)
#: Source columns each predictor needs.
PREDICTOR_SOURCES: dict[str, tuple[str, ...]] = {
    "monthly_share": ("cells_total", "cells_monthly"),
    "thematic_share": ("cells_total", "cells_thematic"),
    "supervision_checks": ("supervision_checks",),
    "any_disciplined": ("members_disciplined",),
    "failed_share": ("members_excellent", "members_good", "members_completed", "members_failed"),
    "commune": ("org_type",),
}

#: Funnel flags, from most above to most below the records' prediction.
FLAGS: tuple[str, ...] = ("above_998", "above_95", "within", "below_95", "below_998")
FLAGS_ABOVE = ("above_998", "above_95")
LEVELS = {"95": 0.95, "998": 0.998}

_REQUIRED = ("year", "reporting_unit", "rating")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _as_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 with NaN for missing (nullable Int64/boolean/str all accepted)."""
    values = pd.to_numeric(frame[column], errors="coerce")
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _good_or_better(rating: pd.Series) -> np.ndarray:
    """1.0 / 0.0 for "hoàn thành tốt nhiệm vụ trở lên" from the vocabulary; NaN when not rated.

    ``chua_xep_loai`` (good_or_better: null), a missing rating and a code outside the
    vocabulary are all NaN: those TCCSĐ are not in the denominator ("số được đánh giá").
    """
    mapping = {
        e["code"]: float(e["good_or_better"])
        for e in schema.vocabularies()["org_rating"].entries
        if e.get("good_or_better") is not None
    }
    out = rating.astype(object).map(mapping)
    return pd.to_numeric(out, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _commune_org_types() -> frozenset[str]:
    """org_type codes of commune-level TCCSĐ (xã, phường, thị trấn), from the vocabularies."""
    commune_kinds = {
        e["code"] for e in schema.vocabularies()["unit_kind"].entries if e["level"] == "commune"
    }
    return frozenset(set(schema.vocabularies()["org_type"].codes) & commune_kinds)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den, NaN where den is missing or not positive, or the share falls outside [0, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    out[(out < 0) | (out > 1)] = np.nan
    return out


def _predictor_frame(organizations: pd.DataFrame, predictors: Sequence[str]) -> pd.DataFrame:
    """The model's predictors per row (float, NaN = missing or out of range), plus ``year``.

    Values outside their documented range (a share above 1, ``supervision_checks`` above 2,
    negative counts) are records that validation reports; here they count as missing.
    """
    org = organizations
    out: dict[str, np.ndarray] = {}
    if "monthly_share" in predictors or "thematic_share" in predictors:
        cells = _as_float(org, "cells_total")
        if "monthly_share" in predictors:
            out["monthly_share"] = _ratio(_as_float(org, "cells_monthly"), cells)
        if "thematic_share" in predictors:
            out["thematic_share"] = _ratio(_as_float(org, "cells_thematic"), cells)
    if "supervision_checks" in predictors:
        sup = _as_float(org, "supervision_checks")
        sup[(sup < 0) | (sup > 2)] = np.nan
        out["supervision_checks"] = sup
    if "any_disciplined" in predictors:
        disc = _as_float(org, "members_disciplined")
        disc[disc < 0] = np.nan
        out["any_disciplined"] = np.where(np.isnan(disc), np.nan, (disc > 0).astype(float))
    if "failed_share" in predictors:
        parts = [_as_float(org, c) for c in PREDICTOR_SOURCES["failed_share"]]
        rated = np.sum(parts, axis=0) if len(org) else np.zeros(0)
        out["failed_share"] = _ratio(parts[-1], rated)
    if "commune" in predictors:
        org_type = org["org_type"].astype(object)
        commune = org_type.isin(_commune_org_types()).to_numpy(dtype=float)
        commune[org_type.isna().to_numpy()] = np.nan
        out["commune"] = commune
    frame = pd.DataFrame({p: out[p] for p in predictors}, index=org.index)
    frame["year"] = _as_float(org, "year")
    return frame


def _check_columns(frame: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: thiếu cột {', '.join(missing)}")


def _period_label(years: Sequence[int]) -> str:
    ys = sorted({int(y) for y in years})
    if not ys:
        return ""
    if len(ys) == 1:
        return str(ys[0])
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(str(y) for y in ys)


def _fmt_vi(x: float, decimals: int) -> str:
    """Vietnamese number format without Babel (measure does not import present)."""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


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
    _check_columns(findings_frame, ("rule", "unit_code", "year"), "findings")
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
# 2. evidence model
# --------------------------------------------------------------------------------------------
@dataclass
class ModelResult:
    """A fitted evidence model (see :func:`evidence_model`).

    Attributes
    ----------
    coefficients : DataFrame
        One row per term: ``term, coef, std_err, z, p_value, lower, upper, odds_ratio,
        or_lower, or_upper`` (log-odds scale; Wald interval at ``confidence``).
    n_eligible : int
        Rated TCCSĐ-years (rating not ``chua_xep_loai``) in the model's years.
    n_used : int
        Rows the model was fitted on (all predictors present).
    n_dropped : int
        Rated rows left out because at least one predictor was missing or out of range.
    missing_by_predictor : dict
        Rated rows missing each predictor (a row can miss several).
    predictions : DataFrame
        Per fitted row, indexed like the input: ``org_code, reporting_unit, year, observed``
        (1 = good or better) and ``expected`` (fitted probability).
    years : tuple of int
        Years fitted; the first is the reference level of the year term.
    predictors : tuple of str
        Predictors requested.
    terms : tuple of str
        Columns of the design matrix actually fitted (``const``, predictors, ``year_<y>``).
    dropped_terms : tuple of str
        Terms left out because they were constant or collinear in the data.
    confidence : float
        Level of the coefficient intervals.
    converged : bool
        IRLS convergence reported by statsmodels.
    warnings : tuple of str
        Warnings raised while fitting (e.g. perfect separation).
    excluded_units : tuple of str
        Reporting units left out of the reference (fit), see :func:`reference_model`.
    """

    coefficients: pd.DataFrame
    n_eligible: int
    n_used: int
    n_dropped: int
    missing_by_predictor: dict[str, int]
    predictions: pd.DataFrame
    years: tuple[int, ...]
    predictors: tuple[str, ...]
    terms: tuple[str, ...]
    dropped_terms: tuple[str, ...]
    confidence: float
    converged: bool
    warnings: tuple[str, ...] = ()
    excluded_units: tuple[str, ...] = ()
    method: str = "GLM binomial, logit link (statsmodels); Wald intervals"
    fit: Any = field(default=None, repr=False)

    @property
    def params(self) -> pd.Series:
        """Coefficients on the log-odds scale, indexed by term."""
        return self.coefficients.set_index("term")["coef"]

    def predict(self, organizations: pd.DataFrame) -> pd.Series:
        """Predicted probability of "good or better" for every row of ``organizations``.

        Rows with a missing predictor, or a year the model was not fitted on, get NaN. The
        rating itself is not used, so unrated rows get a prediction too; callers that compare
        with observed ratings keep the rated rows.
        """
        _check_columns(
            organizations,
            ["year", *[c for p in self.predictors for c in PREDICTOR_SOURCES[p]]],
            "organizations",
        )
        X, ok = _design(_predictor_frame(organizations, self.predictors), self.years)
        X = X[list(self.terms)]
        eta = X.to_numpy(dtype=float) @ self.params.reindex(list(self.terms)).to_numpy()
        from scipy import special  # lazy: a report kernel unpickles this module, ~2 s of scipy

        p = special.expit(eta)
        p[~ok] = np.nan
        return pd.Series(p, index=organizations.index, name="expected")


def _design(pred: pd.DataFrame, years: Sequence[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Design matrix (const, predictors, year dummies vs the first year) and a row-ok mask."""
    years = [int(y) for y in years]
    values = pred.drop(columns="year")
    ok = values.notna().all(axis=1).to_numpy() & pred["year"].isin(years).to_numpy()
    X = pd.DataFrame({"const": 1.0}, index=pred.index)
    X = pd.concat([X, values.fillna(0.0)], axis=1)
    for y in years[1:]:
        X[f"year_{y}"] = (pred["year"] == y).to_numpy(dtype=float)
    return X, ok


def _independent_columns(X: np.ndarray, names: list[str]) -> tuple[list[str], list[str]]:
    """Split columns into a linearly independent set (in order) and the dropped rest.

    Without pivoting, |R_jj| of the QR decomposition is the distance of column j from the span
    of the columns before it, so a column with |R_jj| ~ 0 (on the column-scaled matrix) is a
    constant (dependent on ``const``) or a combination of earlier columns, and is dropped.
    """
    scale = np.sqrt((X**2).mean(axis=0))
    scale[scale == 0] = 1.0
    r = np.linalg.qr(X / scale, mode="r")
    diag = np.abs(np.diag(r)) / np.sqrt(len(X))
    keep = [n for n, d in zip(names, diag, strict=True) if d > 1e-8]
    drop = [n for n, d in zip(names, diag, strict=True) if d <= 1e-8]
    return keep, drop


def evidence_model(
    organizations: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    predictors: Sequence[str] = PREDICTORS,
    confidence: float = 0.95,
    exclude_units: Iterable[str] = (),
) -> ModelResult:
    """Fit the province-wide logistic model of "rated good or better" on objective records.

    Parameters
    ----------
    organizations : DataFrame
        The ``organizations`` table (one row per TCCSĐ-year) with the schema columns, typed
        as ``analysis.data.intake`` returns them.
    years : iterable of int, optional
        Years to fit on (an assessment's ``data_years``); default all years present.
    predictors : sequence of str, optional
        A subset of :data:`PREDICTORS` (e.g. leave out ``any_disciplined`` when a district did
        not report discipline and too many rows would be dropped).
    confidence : float, optional
        Level of the Wald intervals of the coefficients (default 0.95).
    exclude_units : iterable of str, optional
        Reporting units left out of the fit (the reference), e.g. units far outside the funnel
        (see :func:`reference_model`). ``predict`` still scores their rows.

    Returns
    -------
    ModelResult
        Coefficients with intervals, the counts of rows used and dropped, and per-row
        predicted probabilities (of the fitted rows).

    Raises
    ------
    ValueError
        Missing columns, an unknown predictor, no rated row with complete predictors, or an
        outcome that does not vary (every rated TCCSĐ good or better, or none).

    Notes
    -----
    Rows: TCCSĐ-years of ``years`` whose rating is in the vocabulary and not
    ``chua_xep_loai``. Outcome: ``good_or_better`` of the rating (vocabulary ``org_rating``:
    xuất sắc / trong sạch vững mạnh / tốt = 1; hoàn thành / không hoàn thành / yếu kém = 0).

    Linear predictor (logit link)::

        logit P(good or better) = b0 + b1·monthly_share + b2·thematic_share
                                  + b3·supervision_checks + b4·any_disciplined
                                  + b5·failed_share + b6·commune + Σ_y g_y·[year = y]

    - ``monthly_share`` = cells_monthly / cells_total, ``thematic_share`` = cells_thematic /
      cells_total (shares 0–1, so a coefficient is the log-odds change from 0% to 100%);
    - ``supervision_checks``: 0, 1 or 2 upper-level supervisions of cell meetings (linear);
    - ``any_disciplined``: 1 when members_disciplined > 0;
    - ``failed_share`` = members_failed / (excellent + good + completed + failed members);
    - ``commune``: 1 for org_type xã, phường, thị trấn; 0 for agencies, enterprises, forces;
    - year as a categorical term (reference = first year): the 2018 change of rating
      scheme (Hướng dẫn 27-HD/BTCTW 2014 → Quy định 132-QĐ/TW) shifts the level of ratings,
      and year effects absorb it and any province-wide drift. The reporting unit is not a
      term: the model states what the *province's* records predict, so a unit's deviation
      from it is what the funnel plot shows.

    A value missing or out of range in any predictor leaves the row out; the number left out
    is ``n_dropped`` and, per predictor, ``missing_by_predictor``. Constant or collinear
    terms (e.g. no TCCSĐ had a disciplined member) are left out and listed in
    ``dropped_terms``. Fitted with ``statsmodels`` GLM (binomial family, IRLS).
    """
    predictors = tuple(predictors)
    unknown = [p for p in predictors if p not in PREDICTOR_SOURCES]
    if unknown:
        raise ValueError(f"biến dự báo không có: {', '.join(unknown)}")
    needed = [*_REQUIRED, *[c for p in predictors for c in PREDICTOR_SOURCES[p]]]
    _check_columns(organizations, needed, "organizations")

    good = _good_or_better(organizations["rating"])
    year = _as_float(organizations, "year")
    if years is None:
        fit_years = tuple(sorted({int(y) for y in year[~np.isnan(good) & ~np.isnan(year)]}))
    else:
        fit_years = tuple(sorted({int(y) for y in years}))
    excluded_units = tuple(sorted({str(u) for u in exclude_units}))
    eligible = ~np.isnan(good) & np.isin(year, fit_years)
    if excluded_units:
        eligible &= ~organizations["reporting_unit"].isin(excluded_units).to_numpy(dtype=bool)
    n_eligible = int(eligible.sum())
    if n_eligible == 0:
        raise ValueError("không có TCCSĐ nào được xếp loại trong các năm đã chọn")

    org = organizations.loc[eligible]
    y = good[eligible]
    pred = _predictor_frame(org, predictors)
    missing = {p: int(pred[p].isna().sum()) for p in predictors}
    X_all, ok = _design(pred, fit_years)
    # A year without any complete row cannot have a year effect: fit (and predict) only years
    # that have one, so that no year is silently predicted at the reference level.
    years_present = tuple(sorted({int(v) for v in pred.loc[ok, "year"]}))
    if years_present and years_present != fit_years:
        fit_years = years_present
        X_all, ok = _design(pred, fit_years)
    n_used = int(ok.sum())
    if n_used == 0:
        raise ValueError("không còn TCCSĐ nào đủ số liệu các biến dự báo để ước lượng mô hình")
    y_used = y[ok]
    if y_used.min() == y_used.max():
        raise ValueError(
            "mọi TCCSĐ được xếp loại cùng một mức (đều hoặc đều không hoàn thành tốt nhiệm vụ "
            "trở lên): không ước lượng được mô hình"
        )

    names = list(X_all.columns)
    X_mat = X_all.to_numpy(dtype=float)[ok]
    # Year levels absent among the complete rows cannot be estimated: the ok mask only keeps
    # years in fit_years, so a dummy that is all zero is dropped here as a constant.
    terms, dropped = _independent_columns(X_mat, names)
    X_fit = X_mat[:, [names.index(t) for t in terms]]

    # imported here: statsmodels is slow to import and only this function needs it
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = GLM(y_used, X_fit, family=Binomial()).fit()
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))

    alpha = 1.0 - confidence
    ci = np.asarray(res.conf_int(alpha=alpha))
    params = np.asarray(res.params)
    coefs = pd.DataFrame(
        {
            "term": terms,
            "coef": params,
            "std_err": np.asarray(res.bse),
            "z": np.asarray(res.tvalues),
            "p_value": np.asarray(res.pvalues),
            "lower": ci[:, 0],
            "upper": ci[:, 1],
        }
    )
    with np.errstate(over="ignore"):
        coefs["odds_ratio"] = np.exp(coefs["coef"])
        coefs["or_lower"] = np.exp(coefs["lower"])
        coefs["or_upper"] = np.exp(coefs["upper"])
    # (Quasi-)separation, e.g. every TCCSĐ of a year rated good or better: the estimate runs
    # off to infinity with a huge standard error. Predictions stay usable (≈ 0 or 1).
    separated = coefs.loc[(coefs["coef"].abs() > 15) | (coefs["std_err"] > 100), "term"]
    if len(separated):
        messages = (
            *messages,
            "separation: " + ", ".join(separated) + " (estimate unbounded; outcome constant "
            "in that level or range)",
        )

    used = org.loc[ok]
    predictions = pd.DataFrame(
        {
            "org_code": used["org_code"] if "org_code" in used else pd.NA,
            "reporting_unit": used["reporting_unit"],
            "year": used["year"].astype("Int64"),
            "observed": y_used.astype(int),
            "expected": np.asarray(res.fittedvalues, dtype=float),
        },
        index=used.index,
    )
    return ModelResult(
        coefficients=coefs,
        n_eligible=n_eligible,
        n_used=n_used,
        n_dropped=n_eligible - n_used,
        missing_by_predictor=missing,
        predictions=predictions,
        years=fit_years,
        predictors=predictors,
        terms=tuple(terms),
        dropped_terms=tuple(dropped),
        confidence=confidence,
        converged=bool(getattr(res, "converged", True)),
        warnings=messages,
        excluded_units=excluded_units,
        fit=res,
    )


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


def _question(row: pd.Series) -> Any:
    if row["flag"] not in FLAGS_ABOVE:
        return pd.NA
    level = "99,8%" if row["flag"] == "above_998" else "95%"
    period = str(row["period"])
    if period.isdigit():
        prefix = f"Năm {period}"
    elif "–" in period:
        prefix = f"Giai đoạn {period}"
    else:
        prefix = f"Các năm {period}"
    return (
        f"{prefix}: số TCCSĐ xếp loại hoàn thành tốt nhiệm vụ trở lên là "
        f"{_fmt_vi(row['O'], 0)}/{_fmt_vi(row['n'], 0)} (O), cao hơn mức dự kiến theo hồ sơ "
        f"sinh hoạt chi bộ, kiểm tra, kỷ luật (E = {_fmt_vi(row['E'], 1)}; "
        f"O/E = {_fmt_vi(row['ratio'], 2)}, vượt giới hạn kiểm soát {level}): "
        "đề nghị xem lại căn cứ xếp loại?"
    )


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
        upper_998`` (O/E scale), ``flag`` (one of :data:`FLAGS`, <NA> when n = 0),
        ``question_vi`` (for ``above_*`` flags) and ``distribution``.

    Notes
    -----
    Flag rule: ``above_998`` if O/E > upper_998, else ``above_95`` if O/E > upper_95,
    ``below_998`` if O/E < lower_998, else ``below_95`` if O/E < lower_95, otherwise
    ``within`` (strict inequalities). "Above" means more TCCSĐ rated good or better than the
    province's records predict — a question for the reviewer (:data:`DISCLAIMER_VI`).
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
    _check_columns(organizations, [*_REQUIRED, *by], "organizations")
    sel_years = tuple(sorted({int(y) for y in years})) if years is not None else model.years

    good = _good_or_better(organizations["rating"])
    year = _as_float(organizations, "year")
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
    result["question_vi"] = pd.array(
        [_question(r) for _, r in result.iterrows()] if len(result) else [], dtype="str"
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
def _rule_question(row: pd.Series) -> Any:
    total = row.get(RULE_TOTAL)
    if total is None or pd.isna(total) or total == 0:
        return pd.NA
    parts = [
        f"{RULE_LABELS_VI[r]}: {int(row[r])} trường hợp" for r in RULES if row[r] and row[r] > 0
    ]
    return (
        f"Có {int(total)} cảnh báo khi áp dụng quy định xếp loại của kỳ "
        f"({'; '.join(parts)}): đề nghị đối chiếu hồ sơ xếp loại?"
    )


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
        :data:`RULES`, ``rule_warnings_total``, and ``question_vi`` (the funnel question for
        ``above_*`` flags and a question on the rule warnings, joined). Units that appear only
        in the findings get <NA> in the funnel columns. ``attrs`` holds ``n_used``,
        ``n_dropped``, ``missing_by_predictor``, ``dropped_terms``, ``model_warnings``,
        ``reference_excluded_units``, ``rule_counts_truncated`` (rules whose counts from a
        capped findings list are lower bounds) and ``disclaimer_vi``. An input without any rated
        TCCSĐ gives an empty frame (detail data absent: the analysis is not assessable).
    """
    years_t = tuple(sorted({int(y) for y in years})) if years is not None else None
    columns = [
        "reporting_unit", "period", "n", "n_excluded", "O", "E", "ratio",
        "lower_95", "upper_95", "lower_998", "upper_998", "flag", *RULES, RULE_TOTAL,
        "question_vi",
    ]  # fmt: skip
    _check_columns(organizations, _REQUIRED, "organizations")
    rated = ~np.isnan(_good_or_better(organizations["rating"]))
    if years_t is not None:
        rated &= np.isin(_as_float(organizations, "year"), years_t)
    if not rated.any():
        # No detail data (summary input only) or nobody rated: not assessable, not an error.
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty.attrs["disclaimer_vi"] = DISCLAIMER_VI
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
            _check_columns(rule_counts, ["unit_code", "year", *RULES], "rule_counts")
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

    funnel_q = merged["question_vi"].astype(object)
    rule_q = merged.apply(_rule_question, axis=1) if len(merged) else pd.Series(dtype=object)
    merged["question_vi"] = pd.array(
        [
            " ".join(str(q) for q in (a, b) if q is not None and not pd.isna(q)) or pd.NA
            for a, b in zip(funnel_q, rule_q, strict=True)
        ],
        dtype="str",
    )
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
        disclaimer_vi=DISCLAIMER_VI,
    )
    return merged
