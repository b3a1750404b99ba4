"""The evidence model: what the records other than the rating predict of "rated good or better".

One province-wide logistic model (statsmodels GLM, binomial family, logit link) of "rated
good or better" on the records that do not depend on the rating itself (regular and thematic
cell meetings, supervision of meetings by the upper level, discipline, members rated as
failing), over TCCSĐ-years. :mod:`analysis.measure.integrity` compares each reporting unit's
observed count with the count this model expects.

References
----------
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
    "PREDICTORS",
    "PREDICTOR_SOURCES",
    "REQUIRED_COLUMNS",
    "ModelResult",
    "as_float",
    "check_columns",
    "evidence_model",
    "good_or_better",
]

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


#: Columns of ``organizations`` every integrity function needs.
REQUIRED_COLUMNS = ("year", "reporting_unit", "rating")



# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def as_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 with NaN for missing (nullable Int64/boolean/str all accepted)."""
    values = pd.to_numeric(frame[column], errors="coerce")
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def good_or_better(rating: pd.Series) -> np.ndarray:
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
        cells = as_float(org, "cells_total")
        if "monthly_share" in predictors:
            out["monthly_share"] = _ratio(as_float(org, "cells_monthly"), cells)
        if "thematic_share" in predictors:
            out["thematic_share"] = _ratio(as_float(org, "cells_thematic"), cells)
    if "supervision_checks" in predictors:
        sup = as_float(org, "supervision_checks")
        sup[(sup < 0) | (sup > 2)] = np.nan
        out["supervision_checks"] = sup
    if "any_disciplined" in predictors:
        disc = as_float(org, "members_disciplined")
        disc[disc < 0] = np.nan
        out["any_disciplined"] = np.where(np.isnan(disc), np.nan, (disc > 0).astype(float))
    if "failed_share" in predictors:
        parts = [as_float(org, c) for c in PREDICTOR_SOURCES["failed_share"]]
        rated = np.sum(parts, axis=0) if len(org) else np.zeros(0)
        out["failed_share"] = _ratio(parts[-1], rated)
    if "commune" in predictors:
        org_type = org["org_type"].astype(object)
        commune = org_type.isin(_commune_org_types()).to_numpy(dtype=float)
        commune[org_type.isna().to_numpy()] = np.nan
        out["commune"] = commune
    frame = pd.DataFrame({p: out[p] for p in predictors}, index=org.index)
    frame["year"] = as_float(org, "year")
    return frame


def check_columns(frame: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: thiếu cột {', '.join(missing)}")


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
        check_columns(
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
    needed = [*REQUIRED_COLUMNS, *[c for p in predictors for c in PREDICTOR_SOURCES[p]]]
    check_columns(organizations, needed, "organizations")

    good = good_or_better(organizations["rating"])
    year = as_float(organizations, "year")
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
