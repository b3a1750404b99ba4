"""Statistics for census indicators: intervals, funnel limits, trends and quantiles.

Every TCCSĐ and every member is rated, so a unit's value *is* its value and verdicts
against targets use the observed value (see :mod:`analysis.measure.progress`). The
intervals and tests here are for reading *differences* (between districts of very
different sizes, or over time) without mistaking the noise of small units for a signal.

All array functions are vectorised with numpy and propagate ``NaN`` (missing data)
without raising. scipy is imported lazily inside the few functions that need it, so
``import analysis.measure.stats`` stays light.

The methods follow ``docs/methods.md`` (shared): PHE / UKHSA ``PHEindicatormethods``
(Wilson, Byar, funnel plots, quantiles), R's ``prop.trend.test`` (Armitage trend test)
and the Mann–Kendall / Theil–Sen pair for counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = [
    "FINGERTIPS_TREND_THRESHOLD",
    "add_count_ci",
    "add_proportion_ci",
    "byar_interval",
    "count_trend",
    "funnel_labels",
    "funnel_limits",
    "normalise_confidence",
    "quantile_groups",
    "trend_test",
    "wilson_interval",
]

#: Chi-square (1 df) threshold Fingertips uses for a trend significant at 99.8%
#: (= 3.090232², the two-sided 99.8% normal quantile squared).
FINGERTIPS_TREND_THRESHOLD = 9.5495

#: Fewer points than this and a trend is labelled "indicative" (Fingertips uses 5 points).
MIN_TREND_POINTS = 5

_MSG_X_NEG = "numerators must be greater than or equal to zero"
_MSG_N_POS = "denominators must be greater than zero"
_MSG_X_GT_N = "numerators must be less than or equal to denominator"
_MSG_CONF = "confidence level must be between 0.9 and 1 or between 90 and 100"
_MSG_COUNT_NEG = "observed events must be greater than or equal to zero"

_SLOPE_TOL = 1e-12


# --------------------------------------------------------------------------- helpers
def _as_float(values) -> np.ndarray:
    """Return ``values`` as a float ndarray; pandas ``<NA>`` and ``None`` become NaN."""
    if isinstance(values, pd.Series | pd.Index):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        ser = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(values, dtype=object))),
                            errors="coerce")
        out = ser.to_numpy(dtype=float, na_value=np.nan)
        return out.reshape(np.shape(values))


def normalise_confidence(confidence: float) -> float:
    """Return a confidence level on the 0–1 scale (accepts 0.95 or 95).

    Raises
    ------
    ValueError
        "confidence level must be between 0.9 and 1 or between 90 and 100".

    References
    ----------
    PHEindicatormethods (UKHSA), ``R/Proportions.R``: same accepted ranges.
    """
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(_MSG_CONF) from None
    if 0.9 <= c <= 1:
        return c
    if 90 <= c <= 100:
        return c / 100
    raise ValueError(_MSG_CONF)


def _z(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level (1.959964 at 95%)."""
    c = normalise_confidence(confidence)
    if c >= 1:
        return math.inf
    return NormalDist().inv_cdf(1 - (1 - c) / 2)


def _suffix(confidence: float) -> str:
    """Column suffix of a confidence level: 0.95 -> "95", 0.998 -> "998", 0.9 -> "90"."""
    pct = round(normalise_confidence(confidence) * 100, 6)
    return f"{pct:g}".replace(".", "")


def _direction(slope: float) -> str:
    if not np.isfinite(slope) or abs(slope) < _SLOPE_TOL:
        return "no_change"
    return "increasing" if slope > 0 else "decreasing"


def _chi2_1df_sf(stat: float) -> float:
    """Upper tail of the chi-square distribution with 1 df: P(X > t) = erfc(sqrt(t/2))."""
    if not np.isfinite(stat):
        return math.nan
    return math.erfc(math.sqrt(max(stat, 0.0) / 2))


# --------------------------------------------------------------------------- intervals
def wilson_interval(x, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (no continuity correction).

    Parameters
    ----------
    x, n : array_like
        Numerators and denominators (broadcast together). NaN propagates to NaN limits.
    confidence : float, default 0.95
        Confidence level, 0.9–1 or 90–100.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits on the 0–1 scale, clipped to [0, 1].

    Raises
    ------
    ValueError
        "numerators must be greater than or equal to zero";
        "denominators must be greater than zero";
        "numerators must be less than or equal to denominator";
        "confidence level must be between 0.9 and 1 or between 90 and 100".

    Notes
    -----
    With z the two-sided normal quantile,
    ``(2x + z² ± z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))``.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22:209–212.
    Newcombe RG (1998). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Stat Med 17:857–872 (method 3).
    PHEindicatormethods (UKHSA), ``R/Wilson.R`` and ``phe_proportion``; PHE Technical
    Guide: Confidence intervals.
    """
    xv, nv = np.broadcast_arrays(_as_float(x), _as_float(n))
    if np.any(xv < 0):
        raise ValueError(_MSG_X_NEG)
    if np.any(nv <= 0):
        raise ValueError(_MSG_N_POS)
    if np.any(xv > nv):
        raise ValueError(_MSG_X_GT_N)
    z = _z(confidence)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = 2 * xv + z2
        half = z * np.sqrt(np.maximum(z2 + 4 * xv * (1 - xv / nv), 0.0))
        denom = 2 * (nv + z2)
        lower = np.clip((centre - half) / denom, 0.0, 1.0)
        upper = np.clip((centre + half) / denom, 0.0, 1.0)
    # the limits are exactly 0 at x = 0 and 1 at x = n; remove rounding noise there
    lower = np.where((xv == 0) & np.isfinite(lower), 0.0, lower)
    upper = np.where((xv == nv) & np.isfinite(upper), 1.0, upper)
    return np.asarray(lower), np.asarray(upper)


def byar_interval(x, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a Poisson count: Byar's approximation, exact below 10.

    Parameters
    ----------
    x : array_like
        Observed counts (x ≥ 0). NaN propagates.
    confidence : float, default 0.95
        Confidence level, 0.9–1 or 90–100.

    Returns
    -------
    lower, upper : numpy.ndarray
        Limits on the count scale.

    Raises
    ------
    ValueError
        "observed events must be greater than or equal to zero"; confidence out of range.

    Notes
    -----
    For x ≥ 10 (Byar): ``lower = x(1 − 1/(9x) − z/(3√x))³``,
    ``upper = (x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³``.
    For x < 10 (exact, Garwood): ``lower = χ²_{α/2, 2x}/2`` (0 when x = 0),
    ``upper = χ²_{1−α/2, 2x+2}/2``; computed as the inverse regularised gamma function.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol II. IARC
    (Byar's approximation, p. 69).
    Garwood F (1936). Fiducial limits for the Poisson distribution. Biometrika 28:437–442.
    PHEindicatormethods (UKHSA), ``R/Byars.R`` and ``phe_rate`` (exact method below 10);
    PHE Technical Guide: Confidence intervals.
    """
    from scipy.special import gammaincinv

    xv = _as_float(x)
    if np.any(xv < 0):
        raise ValueError(_MSG_COUNT_NEG)
    c = normalise_confidence(confidence)
    z = _z(c)
    alpha = 1 - c
    with np.errstate(invalid="ignore", divide="ignore"):
        xb = np.where(xv >= 10, xv, 10.0)  # safe argument for the Byar branch
        lo_b = xb * (1 - 1 / (9 * xb) - z / (3 * np.sqrt(xb))) ** 3
        up_b = (xb + 1) * (1 - 1 / (9 * (xb + 1)) + z / (3 * np.sqrt(xb + 1))) ** 3
        xe = np.where(xv < 10, xv, 0.0)
        lo_e = np.where(xe > 0, gammaincinv(np.where(xe > 0, xe, 1.0), alpha / 2), 0.0)
        up_e = gammaincinv(xe + 1, 1 - alpha / 2)
        lower = np.where(xv >= 10, lo_b, lo_e)
        upper = np.where(xv >= 10, up_b, up_e)
    nan = np.isnan(xv)
    lower = np.where(nan, np.nan, lower)
    upper = np.where(nan, np.nan, upper)
    return np.asarray(lower), np.asarray(upper)


def add_proportion_ci(
    df: pd.DataFrame,
    x: str = "numerator",
    n: str = "denominator",
    confidences: Iterable[float] = (0.95, 0.998),
    multiplier: float = 100,
) -> pd.DataFrame:
    """Append a proportion and its Wilson intervals to a copy of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        Frame with numerator and denominator columns (nullable ``Int64`` is fine).
    x, n : str
        Column names of numerator and denominator.
    confidences : iterable of float, default (0.95, 0.998)
        Levels; each adds ``lower_<s>`` and ``upper_<s>`` where ``<s>`` is the percent
        without the dot (0.95 → ``95``, 0.998 → ``998``).
    multiplier : float, default 100
        Scale of ``value`` and the limits (100 = percent).

    Returns
    -------
    pandas.DataFrame
        Copy with ``value`` (= x/n·multiplier), the limit columns and ``method="wilson"``.
        Rows with a missing numerator or denominator, or a denominator of 0 (nothing to
        rate), get NaN value and limits.

    Raises
    ------
    ValueError
        Negative numerators or denominators, or numerators above denominators (see
        :func:`wilson_interval`).

    References
    ----------
    Wilson EB (1927), JASA 22:209–212; Newcombe RG (1998), Stat Med 17:857–872.
    PHEindicatormethods (UKHSA), ``phe_proportion`` (``R/Proportions.R``).
    """
    out = df.copy()
    xv = _as_float(out[x])
    nv = _as_float(out[n])
    nv = np.where(nv == 0, np.nan, nv)  # no one to rate: missing, not an error
    with np.errstate(invalid="ignore", divide="ignore"):
        out["value"] = xv / nv * multiplier
    for conf in confidences:
        lo, hi = wilson_interval(xv, nv, conf)
        s = _suffix(conf)
        out[f"lower_{s}"] = lo * multiplier
        out[f"upper_{s}"] = hi * multiplier
    out["method"] = "wilson"
    return out


def add_count_ci(
    df: pd.DataFrame,
    x: str = "numerator",
    confidences: Iterable[float] = (0.95, 0.998),
) -> pd.DataFrame:
    """Append a count and its Poisson intervals (Byar, exact below 10) to a copy of ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
        Frame with a count column.
    x : str
        Column name of the count.
    confidences : iterable of float, default (0.95, 0.998)
        Levels; columns ``lower_<s>``, ``upper_<s>`` as in :func:`add_proportion_ci`.

    Returns
    -------
    pandas.DataFrame
        Copy with ``value`` (= x), limit columns and ``method`` = ``"exact_poisson"``
        (x < 10) or ``"byar"`` (x ≥ 10); missing counts get NaN and a missing method.

    References
    ----------
    Breslow NE, Day NE (1987). Statistical Methods in Cancer Research, vol II. IARC.
    PHEindicatormethods (UKHSA), ``R/Byars.R``, ``phe_rate``.
    """
    out = df.copy()
    xv = _as_float(out[x])
    out["value"] = xv
    for conf in confidences:
        lo, hi = byar_interval(xv, conf)
        s = _suffix(conf)
        out[f"lower_{s}"] = lo
        out[f"upper_{s}"] = hi
    method = np.where(xv < 10, "exact_poisson", "byar").astype(object)
    method[np.isnan(xv)] = None
    out["method"] = method
    return out


# --------------------------------------------------------------------------- funnel plots
def funnel_limits(baseline, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits for a proportion around a baseline.

    Parameters
    ----------
    baseline : float or array_like
        Baseline proportion a on the 0–1 scale (usually Σx/Σn of the units compared).
    n : array_like
        Denominators N; N ≤ 0 or NaN gives NaN limits.
    confidence : float
        Level (0.95 → z = 1.959964; 0.998 → z = 3.090232).

    Returns
    -------
    lower, upper : numpy.ndarray
        ``a ± z·sqrt(a(1 − a)/N)`` clipped to [0, 1] (0–1 scale).

    Raises
    ------
    ValueError
        If the baseline is outside [0, 1], or the confidence is out of range.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
    Stat Med 24:1185–1202.
    PHEindicatormethods (UKHSA), ``R/Funnels.R``; PHE Technical Guide: Funnel plots.
    """
    a, nv = np.broadcast_arrays(_as_float(baseline), _as_float(n))
    if np.any((a < 0) | (a > 1)):
        raise ValueError("baseline must be a proportion between 0 and 1")
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        nv = np.where(nv > 0, nv, np.nan)
        se = np.sqrt(a * (1 - a) / nv)
        lower = np.clip(a - z * se, 0.0, 1.0)
        upper = np.clip(a + z * se, 0.0, 1.0)
    return np.asarray(lower), np.asarray(upper)


_ASSESS = {
    "higher": {"above_998": "better_998", "above_95": "better_95",
               "below_95": "worse_95", "below_998": "worse_998"},
    "lower": {"above_998": "worse_998", "above_95": "worse_95",
              "below_95": "better_95", "below_998": "better_998"},
}


def funnel_labels(
    df: pd.DataFrame,
    x: str = "numerator",
    n: str = "denominator",
    polarity: str = "higher",
    baseline: float | None = None,
) -> pd.DataFrame:
    """Label each unit against funnel limits at 95% and 99.8%.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per unit with numerator and denominator columns.
    x, n : str
        Column names.
    polarity : {"higher", "lower"}
        "higher" when a higher value is better, "lower" when lower is better.
    baseline : float, optional
        Baseline proportion (0–1). Default Σx/Σn over the rows with a denominator > 0.

    Returns
    -------
    pandas.DataFrame
        Copy with ``baseline`` (percent), ``funnel_95_lower``, ``funnel_95_upper``,
        ``funnel_998_lower``, ``funnel_998_upper`` (percent), ``significance`` in
        {"above_998", "above_95", "not_significant", "below_95", "below_998",
        "not_assessable"} (above = the unit's proportion strictly above the upper limit)
        and ``assessment`` in {"better_998", "better_95", "similar", "worse_95",
        "worse_998", "not_assessable"} read with ``polarity``. Adds ``value`` (percent)
        only if the frame has none. Rows with n = 0 or missing data are "not_assessable".

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
    Stat Med 24:1185–1202.
    PHEindicatormethods (UKHSA), ``R/Funnels.R``; Fingertips significance labels
    (PHE Technical Guide: Funnel plots; "better/similar/worse" by polarity).
    """
    if polarity not in _ASSESS:
        raise ValueError('polarity must be "higher" or "lower"')
    out = df.copy()
    xv = _as_float(out[x])
    nv = _as_float(out[n])
    ok = np.isfinite(xv) & np.isfinite(nv) & (nv > 0)
    if np.any(xv[ok] < 0):
        raise ValueError(_MSG_X_NEG)
    if np.any(xv[ok] > nv[ok]):
        raise ValueError(_MSG_X_GT_N)
    if baseline is None:
        tot = nv[ok].sum()
        a = xv[ok].sum() / tot if tot > 0 else math.nan
    else:
        a = float(baseline)
    if not np.isfinite(a):
        ok = np.zeros_like(ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(ok, xv / np.where(ok, nv, 1.0), np.nan)
    n_ok = np.where(ok, nv, np.nan)
    a_safe = a if np.isfinite(a) else 0.0
    l95, u95 = funnel_limits(a_safe, n_ok, 0.95)
    l998, u998 = funnel_limits(a_safe, n_ok, 0.998)
    sig = np.select(
        [~ok, p > u998, p > u95, p < l998, p < l95],
        ["not_assessable", "above_998", "above_95", "below_998", "below_95"],
        default="not_significant",
    )
    mapping = {**_ASSESS[polarity], "not_significant": "similar",
               "not_assessable": "not_assessable"}
    if "value" not in out.columns:
        out["value"] = p * 100
    out["baseline"] = a * 100
    out["funnel_95_lower"] = l95 * 100
    out["funnel_95_upper"] = u95 * 100
    out["funnel_998_lower"] = l998 * 100
    out["funnel_998_upper"] = u998 * 100
    out["significance"] = sig.astype(object)
    out["assessment"] = np.array([mapping[s] for s in sig], dtype=object)
    return out


# --------------------------------------------------------------------------- trends
def _armitage(x: np.ndarray, n: np.ndarray, s: np.ndarray) -> float:
    """Armitage chi-square for trend (1 df), no continuity correction."""
    big_n = n.sum()
    if big_n <= 0:
        return math.nan
    pbar = x.sum() / big_n
    sbar = (n * s).sum() / big_n
    num = ((x - n * pbar) * (s - sbar)).sum() ** 2
    den = pbar * (1 - pbar) * (n * (s - sbar) ** 2).sum()
    if not den > 0:
        return math.nan
    return float(num / den)


def _logit_slope(x: np.ndarray, n: np.ndarray, years: np.ndarray) -> float:
    """Slope of logit(p) on year, weighted least squares with weights n·p(1−p)."""
    if len(years) < 2 or np.ptp(years) == 0:
        return math.nan
    p = x / n
    if np.any((p <= 0) | (p >= 1)):
        p = (x + 0.5) / (n + 1)  # continuity, for the slope only
    y = np.log(p / (1 - p))
    w = n * p * (1 - p)
    t = years - years.mean()
    tw = (w * t).sum() / w.sum()
    yw = (w * y).sum() / w.sum()
    sxx = (w * (t - tw) ** 2).sum()
    if not sxx > 0:
        return math.nan
    return float((w * (t - tw) * (y - yw)).sum() / sxx)


def _break_split(years: np.ndarray, break_year: int | None):
    """Return (straddles, mask of years kept) for a series break."""
    if break_year is None or len(years) == 0:
        return False, np.ones(len(years), dtype=bool)
    before = years < break_year
    if before.any() and (~before).any():
        return True, ~before
    return False, np.ones(len(years), dtype=bool)


def trend_test(x, n, years, break_year: int | None = None) -> dict:
    """Chi-squared test for trend in proportions (Cochran–Armitage), with direction.

    Parameters
    ----------
    x, n : array_like
        Numerators and denominators per year. Points with a missing value or n ≤ 0 are
        dropped.
    years : array_like
        Years, used as the scores.
    break_year : int, optional
        First year of a new series definition (e.g. 2018, when the rating scheme
        changed). If the years straddle it, the test is run only on the years from
        ``break_year`` on (when there are at least 3), and the result says so.

    Returns
    -------
    dict
        ``statistic`` (chi-square, 1 df), ``p_value``, ``df`` (1), ``direction``
        ("increasing" | "decreasing" | "no_change", the sign of ``slope_logit``),
        ``slope_logit`` (weighted least-squares slope of logit(p) on year, weights
        n·p(1−p); 0.5 added to x and 1 to n when a proportion is 0 or 1),
        ``n_points``, ``indicative`` (True when fewer than 5 points),
        ``significant_998`` (statistic > 9.5495, the Fingertips threshold),
        ``series_break``, ``method`` ("chi_squared_trend", suffixed
        "_after_break" on a break) and ``note``.

    Notes
    -----
    ``X² = [Σ (x_i − n_i p̄)(s_i − s̄)]² / [p̄(1 − p̄) Σ n_i (s_i − s̄)²]`` with
    ``p̄ = Σx/Σn`` and ``s̄ = Σ n_i s_i / Σ n_i``, which equals R's
    ``prop.trend.test(x, n, score = years)``. Fingertips additionally restricts to the
    last 5 points and checks the sign with leave-one-out; that is left to the caller.

    References
    ----------
    Armitage P (1955). Tests for linear trends in proportions and frequencies.
    Biometrics 11:375–386. Cochran WG (1954). Biometrics 10:417–451.
    R Core Team, ``stats::prop.trend.test``.
    PHE / Fingertips (UKHSA ``fingertips-open``): recent trend, chi-square for trend at
    99.8% (X² > 9.5495) on the last five points.
    """
    xv, nv, yv = np.broadcast_arrays(_as_float(x), _as_float(n), _as_float(years))
    xv, nv, yv = xv.ravel(), nv.ravel(), yv.ravel()
    ok = np.isfinite(xv) & np.isfinite(nv) & np.isfinite(yv) & (nv > 0)
    xv, nv, yv = xv[ok], nv[ok], yv[ok]
    if np.any(xv < 0):
        raise ValueError(_MSG_X_NEG)
    if np.any(xv > nv):
        raise ValueError(_MSG_X_GT_N)
    order = np.argsort(yv, kind="stable")
    xv, nv, yv = xv[order], nv[order], yv[order]

    method = "chi_squared_trend"
    note = ""
    straddles, keep = _break_split(yv, break_year)
    enough = True
    if straddles:
        method += "_after_break"
        xv, nv, yv = xv[keep], nv[keep], yv[keep]
        if len(yv) >= 3:
            note = (f"The series definition changes in {break_year}; the trend is tested "
                    f"on the {len(yv)} years from {break_year} on only.")
        else:
            enough = False
            note = (f"The series definition changes in {break_year} and fewer than 3 years "
                    f"follow it ({len(yv)}); no trend test is reported.")
    k = len(yv)
    stat = _armitage(xv, nv, yv) if enough and k >= 2 else math.nan
    slope = _logit_slope(xv, nv, yv) if enough and k >= 2 else math.nan
    if enough and k >= 2 and not np.isfinite(stat) and not note:
        note = "All proportions are 0% or all 100%: no trend can be tested."
    return {
        "statistic": stat,
        "p_value": _chi2_1df_sf(stat),
        "df": 1,
        "direction": _direction(slope),
        "slope_logit": slope,
        "n_points": int(k),
        "indicative": bool(k < MIN_TREND_POINTS),
        "significant_998": bool(np.isfinite(stat) and stat > FINGERTIPS_TREND_THRESHOLD),
        "series_break": bool(straddles),
        "method": method,
        "note": note,
    }


def _mann_kendall(y: np.ndarray, t: np.ndarray) -> tuple[float, float, float, float]:
    """Return (S, Z, two-sided p, Kendall tau-b) for values y ordered by time t."""
    k = len(y)
    iu = np.triu_indices(k, 1)
    dy = np.sign(y[None, :] - y[:, None])[iu]
    dt = np.sign(t[None, :] - t[:, None])[iu]
    s = float((dy * dt).sum())
    _, ties = np.unique(y, return_counts=True)
    var = (k * (k - 1) * (2 * k + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18
    if var > 0:
        z = (s - np.sign(s)) / math.sqrt(var)
        p = math.erfc(abs(z) / math.sqrt(2))
    else:
        z, p = math.nan, math.nan
    n0 = k * (k - 1) / 2
    n1 = (ties * (ties - 1) / 2).sum()
    _, tt = np.unique(t, return_counts=True)
    n2 = (tt * (tt - 1) / 2).sum()
    den = math.sqrt((n0 - n1) * (n0 - n2))
    tau = s / den if den > 0 else math.nan
    return s, float(z), float(p), float(tau)


def count_trend(counts, years, break_year: int | None = None) -> dict:
    """Robust trend for a count: Theil–Sen slope with the Mann–Kendall test.

    Parameters
    ----------
    counts, years : array_like
        Yearly counts; missing points are dropped.
    break_year : int, optional
        As in :func:`trend_test`: with a straddled break only the years from
        ``break_year`` on are used (at least 3), and the result says so.

    Returns
    -------
    dict
        ``slope`` (Theil–Sen, counts per year) with ``slope_lower``/``slope_upper``
        (95% interval of the slope, Sen 1968), ``mk_s`` (Mann–Kendall S),
        ``mk_z`` (normal score with continuity correction, tie-corrected variance),
        ``p_value`` (two-sided), ``tau`` (Kendall tau-b), ``direction`` (the sign of S:
        "increasing" | "decreasing" | "no_change"), ``n_points``, ``indicative`` (fewer
        than 5 points), ``series_break``, ``method`` ("theil_sen_mann_kendall", suffixed
        "_after_break" on a break) and ``note``.

    Notes
    -----
    ``S = Σ_{i<j} sign(y_j − y_i)``;
    ``Var(S) = [k(k−1)(2k+5) − Σ t(t−1)(2t+5)]/18`` over groups of t tied values;
    ``Z = (S − sign S)/√Var(S)``; ``p = 2(1 − Φ(|Z|))``.

    References
    ----------
    Mann HB (1945). Nonparametric tests against trend. Econometrica 13:245–259.
    Kendall MG (1975). Rank Correlation Methods, 4th ed. Griffin.
    Sen PK (1968). Estimates of the regression coefficient based on Kendall's tau.
    JASA 63:1379–1389. Theil H (1950). Indagationes Mathematicae 12:85–91.
    """
    yv, tv = np.broadcast_arrays(_as_float(counts), _as_float(years))
    yv, tv = yv.ravel(), tv.ravel()
    ok = np.isfinite(yv) & np.isfinite(tv)
    yv, tv = yv[ok], tv[ok]
    order = np.argsort(tv, kind="stable")
    yv, tv = yv[order], tv[order]

    method = "theil_sen_mann_kendall"
    note = ""
    straddles, keep = _break_split(tv, break_year)
    enough = True
    if straddles:
        method += "_after_break"
        yv, tv = yv[keep], tv[keep]
        if len(tv) >= 3:
            note = (f"The series definition changes in {break_year}; the trend is tested "
                    f"on the {len(tv)} years from {break_year} on only.")
        else:
            enough = False
            note = (f"The series definition changes in {break_year} and fewer than 3 years "
                    f"follow it ({len(tv)}); no trend test is reported.")
    k = len(tv)
    res = {"slope": math.nan, "slope_lower": math.nan, "slope_upper": math.nan,
           "mk_s": math.nan, "mk_z": math.nan, "p_value": math.nan, "tau": math.nan}
    direction = "no_change"
    if enough and k >= 2 and np.ptp(tv) > 0:
        import warnings

        from scipy.stats import theilslopes

        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            ts = theilslopes(yv, tv, alpha=0.95)
        s, z, p, tau = _mann_kendall(yv, tv)
        res.update(slope=float(ts.slope), slope_lower=float(ts.low_slope),
                   slope_upper=float(ts.high_slope), mk_s=s, mk_z=z, p_value=p, tau=tau)
        direction = _direction(s)
    return {
        **res,
        "direction": direction,
        "n_points": int(k),
        "indicative": bool(k < MIN_TREND_POINTS),
        "series_break": bool(straddles),
        "method": method,
        "note": note,
    }


# --------------------------------------------------------------------------- quantiles
def quantile_groups(values, n_groups: int = 5, higher_is_better: bool = True) -> np.ndarray:
    """Assign values to quantile groups the PHE way; group 1 holds the best values.

    Parameters
    ----------
    values : array_like
        Values of the units (NaN stays NaN and is not counted).
    n_groups : int, default 5
        Number of groups (5 = quintiles).
    higher_is_better : bool, default True
        True puts the highest values in group 1 (PHE ``invert = TRUE``); False puts
        the lowest values in group 1.

    Returns
    -------
    numpy.ndarray
        Float array of groups 1..n_groups, NaN for missing values; all NaN when there
        are fewer non-missing values than groups.

    Notes
    -----
    As ``phe_quantile``: ``adj = max(v) − v`` when inverted, else ``v``;
    ``rank = rank(adj, ties = "min")``; with m non-missing values,
    ``q = floor((n_groups + 1) − ceiling(((m + 1) − rank) / (m / n_groups)))``
    and q = 0 becomes 1.

    References
    ----------
    PHEindicatormethods (UKHSA), ``R/Quantiles.R`` (``phe_quantile``); PHE Technical
    Guide: Assigning deprivation quintiles.
    """
    v = _as_float(values).ravel()
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    m = int(ok.sum())
    if n_groups < 1 or m == 0 or m < n_groups:
        return out
    vals = v[ok]
    adj = vals.max() - vals if higher_is_better else vals
    rank = np.searchsorted(np.sort(adj), adj, side="left") + 1  # ties = "min"
    q = np.floor((n_groups + 1) - np.ceil(((m + 1) - rank) / (m / n_groups)))
    q[q == 0] = 1
    out[ok] = q
    return out
