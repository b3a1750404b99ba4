"""Progress toward a target: verdicts for the midterm and final reviews.

A verdict is one of ``achieved``, ``on_track``, ``needs_acceleration``, ``moving_away``
or ``not_assessable`` (Vietnamese labels live in ``present``). Every verdict carries the
numbers it came from (baseline, latest, growth rates, Eurostat ratio, ESCAP indices,
projection) and a short English ``note``.

Rules, in the order they are applied (``docs/methods.md``, shared):

1. **Not assessable** when the series has no value for the baseline year, fewer than
   two points, or no point after the baseline year (only years in
   ``assessment["data_years"]`` and not before the baseline year are used).
2. ``met(v)`` applies the target's comparison (``>=``, ``>``, ``==``, ``<=``, ``<``) to
   the observed value (census data, no interval). Floating noise is absorbed with a
   tolerance of 1e-9: ``==`` is ``|v − t| ≤ 1e-9``; ``>=`` is ``v ≥ t − 1e-9``;
   strict ``>`` is ``v > t + 1e-9`` (so 84.0, or 84.00000000000001 from 0.84·100, does
   **not** pass "> 84").
3. **Achieved** when the latest value meets the target. For ``every_year`` targets the
   count of years met (``years_met`` of ``years_assessed``, the data years after the
   baseline year) is reported, the years missed are listed (``years_missed``), and such a
   target is achieved only if it was met **every** year: a latest year met after a year
   missed is ``not_achieved`` (Vietnamese "Chưa đạt"). A latest year missed is read on the
   latest year and the trend (rules 4–6), as ``docs/methods.md`` states for yearly targets.
   For a yearly count target with a floor (admissions, ``>=``), ``plan_share`` is the
   period's total as a percent of the plan (Σ values / (target × years), the years
   assessed); :func:`plan_shares` gives each year's.
4. **Baseline already met, latest not** (the known failure of growth ratios, whose
   signs flip): judged by level and direction only, never "on track":
   ``moving_away`` if the value moved in the wrong direction since the baseline, else
   ``needs_acceleration``. The Eurostat ratio is not computed (NaN). The same reading
   applies when the target year has already been reached without meeting the target.
5. **Level rules** for bounds (target 0, or 100 for a percent) and wherever a growth
   rate is undefined (baseline 0, or required growth 0 as with "> 84" from exactly
   84): ``moving_away`` if the value moved in the wrong direction since baseline;
   otherwise ``on_track`` if the point projection to the target year reaches the
   target (for 100%: projected ≥ ``near_complete`` = 99.5, since a logit projection
   never reaches 100; for 0: projected ≤ ``near_zero`` = 0.5); otherwise
   ``needs_acceleration``. (Direction is checked before the projection so that a
   worsening series can never be called on track.)
6. **Eurostat / Open SDG ratio** otherwise: compound annual growth
   ``actual = (latest/baseline)^(1/(t_latest − t0)) − 1``,
   ``required = (target/baseline)^(1/(T − t0)) − 1``,
   ``R = s · actual / |required|`` with s = +1 when higher values are wanted, −1 when
   lower values are wanted. R ≥ 0.95 → ``on_track``; 0 ≤ R < 0.95 →
   ``needs_acceleration`` (Eurostat's "moderate" 0.60–0.95 and "insufficient" < 0.60,
   kept in ``eurostat_class``); R < 0 → ``moving_away``.
   ESCAP current status index ``(latest − baseline)/(target − baseline)`` and the
   elapsed share ``(t_latest − t0)/(T − t0)`` are reported alongside.
7. **Projection** to the target year: percents on the logit scale (least squares of
   logit(p) on year, weighted by the denominator when given), counts linear
   (unweighted, clipped at 0). 95% prediction interval from the t distribution with
   n − 2 df (NaN with 2 points).

The wanted direction comes from the target's operator (``>=``/``>`` up, ``<=``/``<``
down; ``==`` towards the target from the baseline); ``polarity`` is used only for an
``==`` target whose baseline equals it.

References
----------
Eurostat (2023). SDG indicators: progress assessment methodology (growth-rate ratio,
thresholds 0.95 / 0.60 / 0). Open SDG: ``open-sdg/sdg-build`` ``sdg/ProgressMeasure.py``
and ``open-sdg/open-sdg`` ``docs/progress-methodology.md``.
UN ESCAP (2017). Asia and the Pacific SDG Progress Report, methodological note
(current status index, anticipated progress).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.measure.indicators import headline_mask

__all__ = ["VERDICTS", "Progress", "assess_all", "assess_progress", "met", "plan_shares"]

VERDICTS = ("achieved", "not_achieved", "on_track", "needs_acceleration", "moving_away",
            "not_assessable")
TOL = 1e-9
NEAR_COMPLETE = 99.5
NEAR_ZERO = 0.5
ON_TRACK_RATIO = 0.95
MODERATE_RATIO = 0.60
_LOGIT_EPS = 0.001  # clip for percents of exactly 0 or 100 when no counts are given
_OPS = (">=", ">", "==", "<=", "<")
_NAN = math.nan


@dataclass(frozen=True)
class Progress:
    """Verdict on progress toward a target, with the numbers it came from.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`.
    baseline_year, baseline_value, latest_year, latest_value
        The two observed points compared (values in the indicator's unit).
    target_op, target_value, target_kind, target_year
        The target as stated.
    required_annual_change, actual_annual_change : float
        Compound annual growth rates (fractions, 0.01 = +1%/year) from the baseline to
        the target and to the latest year; NaN where undefined (baseline or target 0).
    eurostat_ratio : float
        R = s·actual/|required|; NaN where not used (bounds, baseline already met).
    eurostat_class : str
        "on_track" | "moderate" | "insufficient" | "moving_away" from R, else
        "not_applicable".
    escap_current_status, elapsed_share : float
        Progress so far / progress needed, and share of the period elapsed.
    projected_value, projected_lower, projected_upper : float
        Projection to the target year with its 95% prediction interval.
    years_met, years_assessed : int
        Data years after the baseline year that meet the target, and their number.
    years_missed : str
        ``every_year`` targets: the data years after the baseline year that miss the
        target, ``";"``-joined (``"2016;2018"``); ``""`` otherwise.
    plan_share : float
        ``every_year`` count targets with ``>=``/``>`` (a plan, e.g. admissions): the
        years assessed' total as a percent of the plan, 100·Σv / (target·years); NaN
        otherwise.
    trend_direction : str
        "increasing" | "decreasing" | "no_change" (slope of the projection line).
    note : str
        Short English explanation of how the verdict was reached.
    """

    verdict: str
    baseline_year: int | None = None
    baseline_value: float = _NAN
    latest_year: int | None = None
    latest_value: float = _NAN
    target_op: str = ""
    target_value: float = _NAN
    target_kind: str = ""
    target_year: int | None = None
    required_annual_change: float = _NAN
    actual_annual_change: float = _NAN
    eurostat_ratio: float = _NAN
    eurostat_class: str = "not_applicable"
    escap_current_status: float = _NAN
    elapsed_share: float = _NAN
    projected_value: float = _NAN
    projected_lower: float = _NAN
    projected_upper: float = _NAN
    years_met: int = 0
    years_assessed: int = 0
    years_missed: str = ""
    plan_share: float = _NAN
    trend_direction: str = "no_change"
    note: str = ""

    def as_dict(self) -> dict:
        """Return the fields as a plain dict."""
        return dataclasses.asdict(self)


PROGRESS_FIELDS = tuple(f.name for f in dataclasses.fields(Progress))


# --------------------------------------------------------------------------- helpers
def met(value: float, op: str, target: float) -> bool:
    """Apply a target comparison to an observed value (tolerance 1e-9 for float noise).

    Parameters
    ----------
    value : float
        Observed value.
    op : {">=", ">", "==", "<=", "<"}
        Comparison as the target states it.
    target : float
        Target value.

    Returns
    -------
    bool
        False for a missing value. Strict comparisons need the value beyond the target
        by more than 1e-9, so a value exactly at the target fails "> target".
    """
    if value is None or not math.isfinite(value):
        return False
    if op == ">=":
        return value >= target - TOL
    if op == ">":
        return value > target + TOL
    if op == "==":
        return abs(value - target) <= TOL
    if op == "<=":
        return value <= target + TOL
    if op == "<":
        return value < target - TOL
    raise ValueError(f"unknown target operator {op!r}; use one of {', '.join(_OPS)}")


@lru_cache(maxsize=64)
def _t975(df: int) -> float:
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.975))


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def _dir_word(slope: float) -> str:
    if not math.isfinite(slope) or abs(slope) < 1e-12:
        return "no_change"
    return "increasing" if slope > 0 else "decreasing"


def _project(years, values, nums, dens, unit, target_year):
    """Projection to ``target_year``: (value, lower, upper, slope) in the indicator unit."""
    k = len(years)
    if k < 2:
        return _NAN, _NAN, _NAN, _NAN
    percent = unit == "percent"
    if percent:
        ps = [v / 100.0 for v in values]
        counts_ok = (
            nums is not None and dens is not None
            and all(math.isfinite(d) and d > 0 for d in dens)
            and all(math.isfinite(x) for x in nums)
        )
        if any(p <= 0 or p >= 1 for p in ps):
            if counts_ok:
                ps = [(x + 0.5) / (d + 1) for x, d in zip(nums, dens, strict=True)]
            else:
                ps = [min(max(p, _LOGIT_EPS), 1 - _LOGIT_EPS) for p in ps]
        ys = [math.log(p / (1 - p)) for p in ps]
        w = list(dens) if counts_ok else [1.0] * k
    else:
        ys = list(values)
        w = [1.0] * k
    sw = sum(w)
    w = [wi * k / sw for wi in w]  # mean weight 1: a new year counts as an average year
    t0 = years[0]
    ts = [y - t0 for y in years]
    tbar = sum(wi * t for wi, t in zip(w, ts, strict=True)) / k
    ybar = sum(wi * y for wi, y in zip(w, ys, strict=True)) / k
    sxx = sum(wi * (t - tbar) ** 2 for wi, t in zip(w, ts, strict=True))
    if sxx <= 0:
        return _NAN, _NAN, _NAN, _NAN
    slope = sum(wi * (t - tbar) * (y - ybar) for wi, t, y in zip(w, ts, ys, strict=True)) / sxx
    tt = target_year - t0
    pred = ybar + slope * (tt - tbar)
    lo = hi = _NAN
    if k > 2:
        rss = sum(wi * (y - ybar - slope * (t - tbar)) ** 2
                  for wi, t, y in zip(w, ts, ys, strict=True))
        s2 = rss / (k - 2)
        se = math.sqrt(s2 * (1 + 1 / k + (tt - tbar) ** 2 / sxx))
        q = _t975(k - 2)
        lo, hi = pred - q * se, pred + q * se
    back = _expit100 if percent else _clip0
    return back(pred), back(lo), back(hi), slope


def _expit100(z: float) -> float:
    """Inverse logit on the percent scale; NaN stays NaN."""
    if z != z:
        return _NAN
    if z < -700:
        return 0.0
    return 100.0 / (1.0 + math.exp(-z))


def _clip0(v: float) -> float:
    """Counts cannot be negative; NaN stays NaN."""
    return max(v, 0.0) if v == v else _NAN


def _wanted_sign(op: str, target: float, baseline: float, polarity: str) -> int:
    if op in (">=", ">"):
        return 1
    if op in ("<=", "<"):
        return -1
    if target > baseline:
        return 1
    if target < baseline:
        return -1
    return 1 if polarity == "higher" else -1


def _cagr(v1: float, v0: float, years: float) -> float:
    if not (v0 > 0 and v1 >= 0 and years > 0):
        return _NAN
    return (v1 / v0) ** (1.0 / years) - 1.0


def _eurostat_class(r: float) -> str:
    if not math.isfinite(r):
        return "not_applicable"
    if r >= ON_TRACK_RATIO:
        return "on_track"
    if r >= MODERATE_RATIO:
        return "moderate"
    if r >= 0:
        return "insufficient"
    return "moving_away"


# --------------------------------------------------------------------------- core
def _assess_core(years, values, nums, dens, *, op, tv, kind, target_year, baseline_year,
                 unit, polarity, near_complete, near_zero) -> Progress:
    """Verdict for one series already filtered to the assessment's years and sorted.

    ``years``/``values``/``nums``/``dens`` are plain lists (``nums``/``dens`` may be
    None); years are unique and ≥ ``baseline_year``.
    """
    common = dict(baseline_year=baseline_year, target_op=op, target_value=tv,
                  target_kind=kind, target_year=target_year)
    if op not in _OPS:
        raise ValueError(f"unknown target operator {op!r}; use one of {', '.join(_OPS)}")
    after = ([] if baseline_year is None else
             [(y, v) for y, v in zip(years, values, strict=True) if y > baseline_year])
    years_met = sum(met(v, op, tv) for _, v in after)
    common.update(years_met=int(years_met), years_assessed=len(after))
    if kind == "every_year":
        common["years_missed"] = ";".join(str(y) for y, v in after if not met(v, op, tv))
        if unit == "count" and op in (">=", ">") and tv > 0 and after:
            common["plan_share"] = 100.0 * sum(v for _, v in after) / (tv * len(after))
    if baseline_year is None or not years or years[0] != baseline_year:
        return Progress("not_assessable", **common,
                        note=f"No value for the baseline year {baseline_year}.")
    if len(years) < 2:
        return Progress("not_assessable", **common, baseline_value=values[0],
                        note="Fewer than two years of data.")
    if target_year is None or target_year <= baseline_year:
        return Progress("not_assessable", **common, baseline_value=values[0],
                        note="The target year is not after the baseline year.")

    b_val, l_year, l_val = values[0], years[-1], values[-1]
    b = baseline_year
    wanted = _wanted_sign(op, tv, b_val, polarity)
    change = l_val - b_val
    moved_wrong = wanted * change < -TOL
    proj, plo, phi, slope = _project(years, values, nums, dens, unit, target_year)
    actual = _cagr(l_val, b_val, l_year - b)
    required = _cagr(tv, b_val, target_year - b) if tv > 0 else _NAN
    escap = (l_val - b_val) / (tv - b_val) if abs(tv - b_val) > TOL else _NAN
    fields = dict(
        common, baseline_value=b_val, latest_year=l_year, latest_value=l_val,
        required_annual_change=required, actual_annual_change=actual,
        escap_current_status=escap, elapsed_share=(l_year - b) / (target_year - b),
        projected_value=proj, projected_lower=plo, projected_upper=phi,
        trend_direction=_dir_word(slope),
    )
    tgt = f"{op} {_fmt(tv)}"
    latest_txt = f"latest {_fmt(l_val)} ({l_year})"
    base_txt = f"baseline {_fmt(b_val)} ({b})"
    moved = ("moved the wrong way" if moved_wrong
             else "unchanged" if abs(change) <= TOL else "moved the right way")
    every = (f" Met in {years_met} of {len(after)} years." if kind == "every_year" else "")

    # 3. achieved (a yearly target: only when met every year)
    if met(l_val, op, tv):
        if kind == "every_year" and years_met < len(after):
            return Progress("not_achieved", **fields, note=(
                f"The {latest_txt} meets the target {tgt}, but a yearly target must be met "
                f"every year: missed in {common['years_missed'].replace(';', ', ')}.{every}"))
        return Progress("achieved", **fields,
                        note=f"The {latest_txt} meets the target {tgt}.{every}")

    # 4. baseline already met (growth ratios would flip sign) or deadline passed
    if met(b_val, op, tv) or l_year >= target_year:
        why = ("The baseline already met the target" if met(b_val, op, tv)
               else f"The target year {target_year} is reached")
        verdict = "moving_away" if moved_wrong else "needs_acceleration"
        return Progress(verdict, **fields, note=(
            f"{why} but the {latest_txt} does not meet {tgt}; judged by level and "
            f"direction: {moved} since the {base_txt}.{every}"))

    # 5. level rules (bounds, undefined growth)
    bound_100 = unit == "percent" and wanted > 0 and tv >= 100 - TOL
    bound_0 = abs(tv) <= TOL and wanted < 0
    undefined = not (math.isfinite(required) and abs(required) > TOL)
    if bound_100 or bound_0 or undefined:
        if bound_100:
            reaches, rule = proj >= near_complete, f">= {_fmt(near_complete)}"
        elif bound_0:
            reaches, rule = proj <= near_zero, f"<= {_fmt(near_zero)}"
        elif op == "==":
            reaches, rule = wanted * (proj - tv) >= -TOL, tgt
        else:
            reaches, rule = met(proj, op, tv), tgt
        scale = "logit" if unit == "percent" else "linear"
        kind_txt = ("a bound" if (bound_100 or bound_0)
                    else "one where growth rates are undefined")
        if moved_wrong:
            verdict = "moving_away"
            how = f"the value {moved} since the {base_txt}"
        elif math.isfinite(proj) and reaches:
            verdict = "on_track"
            how = f"the {scale} projection to {target_year} is {_fmt(proj)} ({rule})"
        else:
            verdict = "needs_acceleration"
            how = (f"the {scale} projection to {target_year} is {_fmt(proj)}, "
                   f"short of {rule}")
        return Progress(verdict, **fields, note=(
            f"Target {tgt} is {kind_txt}; level rule: {latest_txt}, {how}.{every}"))

    # 6. Eurostat / Open SDG growth ratio
    r = wanted * actual / abs(required)
    cls = _eurostat_class(r)
    if r >= ON_TRACK_RATIO:
        verdict = "on_track"
    elif r >= 0:
        verdict = "needs_acceleration"
    else:
        verdict = "moving_away"
    return Progress(verdict, **{**fields, "eurostat_ratio": r, "eurostat_class": cls}, note=(
        f"Growth ratio R = {_fmt(r)} ({cls}): actual {actual * 100:+.2f}%/year from the "
        f"{base_txt} to the {latest_txt}, required {required * 100:+.2f}%/year to reach "
        f"{tgt} by {target_year}.{every}"))


def plan_shares(values: Mapping[int, float], target: float) -> dict[int, float]:
    """Each year's value as a percent of a yearly plan: ``100 · value / target``.

    Parameters
    ----------
    values : mapping
        Year → observed count (e.g. admissions).
    target : float
        The yearly plan (> 0).

    Returns
    -------
    dict
        Year → percent of the plan (NaN for a missing value), in year order.

    Raises
    ------
    ValueError
        A plan that is not positive.
    """
    if not (math.isfinite(target) and target > 0):
        raise ValueError(f"the yearly plan must be positive, got {target!r}")
    return {int(y): (100.0 * float(v) / target if v is not None and math.isfinite(v) else _NAN)
            for y, v in sorted(values.items())}


def _clean(years, values, nums, dens, data_years, baseline_year):
    """Filter (finite, in data_years, ≥ baseline) and sort; return python lists."""
    keep = np.isfinite(years) & np.isfinite(values)
    if data_years is not None:
        keep &= np.isin(years, np.asarray(list(data_years), dtype=float))
    if baseline_year is not None:
        keep &= years >= baseline_year
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(years[idx], kind="stable")]
    ys = years[idx]
    if len(ys) > 1 and np.any(ys[1:] == ys[:-1]):
        raise ValueError("the series has more than one value for a year")
    out_n = nums[idx].tolist() if nums is not None else None
    out_d = dens[idx].tolist() if dens is not None else None
    return [int(y) for y in ys.tolist()], values[idx].tolist(), out_n, out_d


def _num(frame: pd.DataFrame, col: str) -> np.ndarray | None:
    if col not in frame.columns:
        return None
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _target_parts(target: Mapping, assessment: Mapping):
    op = target["op"]
    tv = float(target["value"])
    kind = target.get("kind", "by_year")
    ty = target.get("year") or assessment.get("target_year")
    return op, tv, kind, (int(ty) if ty is not None else None)


# --------------------------------------------------------------------------- public API
def assess_progress(
    series: pd.DataFrame,
    target: Mapping,
    assessment: Mapping,
    unit: str = "percent",
    polarity: str = "higher",
    near_complete: float = NEAR_COMPLETE,
    near_zero: float = NEAR_ZERO,
) -> Progress:
    """Verdict on progress of one series toward its target.

    Parameters
    ----------
    series : pandas.DataFrame
        Columns ``year``, ``value`` (percent 0–100 or a count) and optionally
        ``numerator``, ``denominator`` (used to weight the logit projection).
    target : mapping
        ``{"op": ">=" | ">" | "==" | "<=" | "<", "value": float,
        "kind": "every_year" | "by_year", "year": int (optional)}``.
    assessment : mapping
        ``{"baseline_year": 2015, "data_years": [...], "target_year": 2020, ...}``.
        Only rows whose year is in ``data_years`` (and not before the baseline year)
        are used; partial years count only when listed there.
    unit : {"percent", "count"}
        Indicator unit (decides the logit or linear projection and the 100% bound).
    polarity : {"higher", "lower"}
        Used only for an ``==`` target equal to the baseline (see module notes).
    near_complete : float, default 99.5
        A percent projected at or above this counts as reaching a 100% target.
    near_zero : float, default 0.5
        A projection at or below this counts as reaching a target of 0.

    Returns
    -------
    Progress
        See the module docstring for the rules.

    Raises
    ------
    ValueError
        Unknown operator, or two values for one year.

    References
    ----------
    Eurostat SDG progress methodology; Open SDG ``sdg/ProgressMeasure.py``;
    UN ESCAP (2017) SDG progress report methodology; ``docs/methods.md``.
    """
    op, tv, kind, ty = _target_parts(target, assessment)
    b = assessment.get("baseline_year")
    years = _num(series, "year")
    values = _num(series, "value")
    ys, vs, ns, ds = _clean(years, values, _num(series, "numerator"),
                            _num(series, "denominator"), assessment.get("data_years"), b)
    return _assess_core(ys, vs, ns, ds, op=op, tv=tv, kind=kind, target_year=ty,
                        baseline_year=(int(b) if b is not None else None), unit=unit,
                        polarity=polarity, near_complete=near_complete, near_zero=near_zero)


def assess_all(
    indicators: pd.DataFrame,
    targets: Mapping,
    assessment: Mapping,
    unit_col: str = "unit",
    polarity_col: str = "polarity",
    near_complete: float = NEAR_COMPLETE,
    near_zero: float = NEAR_ZERO,
) -> pd.DataFrame:
    """Apply :func:`assess_progress` to every indicator × unit of a tidy frame.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Tidy indicator frame with ``indicator_id, unit_code, year, value`` and
        optionally ``numerator, denominator, breakdown`` and the unit/polarity columns.
        Only headline rows are used (an empty or missing ``breakdown``:
        :func:`analysis.measure.indicators.headline_mask`).
    targets : mapping
        ``indicator_id → target dict``; a key ``(indicator_id, unit_code)`` overrides
        it for one unit (e.g. a district's quota). Indicators without a target are
        skipped.
    assessment : mapping
        As in :func:`assess_progress`; ``assessment["id"]`` fills ``assessment_id``.
    unit_col, polarity_col : str
        Columns giving the unit ("percent" | "count") and polarity per row (default
        "percent" and "higher" when absent).

    Returns
    -------
    pandas.DataFrame
        One row per indicator × unit: ``indicator_id, unit_code, assessment_id`` and
        the :class:`Progress` fields.
    """
    cols = ["indicator_id", "unit_code", "assessment_id", *PROGRESS_FIELDS]
    ids = {k for k in targets if not isinstance(k, tuple)}
    ids |= {k[0] for k in targets if isinstance(k, tuple)}
    df = indicators
    mask = df["indicator_id"].isin(ids).to_numpy(dtype=bool)
    mask = mask & headline_mask(df)
    df = df.loc[mask]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.sort_values(["indicator_id", "unit_code", "year"], kind="stable")
    df = df.reset_index(drop=True)

    years = _num(df, "year")
    values = _num(df, "value")
    nums = _num(df, "numerator")
    dens = _num(df, "denominator")
    units = (df[unit_col].astype(object).to_numpy() if unit_col in df.columns else None)
    pols = (df[polarity_col].astype(object).to_numpy() if polarity_col in df.columns
            else None)
    b = assessment.get("baseline_year")
    b = int(b) if b is not None else None
    keep = np.isfinite(years) & np.isfinite(values)
    if assessment.get("data_years") is not None:
        keep &= np.isin(years, np.asarray(list(assessment["data_years"]), dtype=float))
    if b is not None:
        keep &= years >= b
    aid = assessment.get("id")

    # rows are sorted by (indicator, unit, year): each group is a contiguous block, and
    # its usable rows are a contiguous block of the kept rows
    ind_arr = df["indicator_id"].astype(object).to_numpy()
    unit_arr = df["unit_code"].astype(object).to_numpy()
    n_rows = len(df)
    new_group = np.ones(n_rows, dtype=bool)
    new_group[1:] = (ind_arr[1:] != ind_arr[:-1]) | (unit_arr[1:] != unit_arr[:-1])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n_rows)
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    gid = np.cumsum(new_group)
    kidx = np.flatnonzero(keep)
    dup = kidx[1:][(years[kidx[1:]] == years[kidx[:-1]]) & (gid[kidx[1:]] == gid[kidx[:-1]])]
    if len(dup):
        i = int(dup[0])
        raise ValueError(f"{ind_arr[i]} / {unit_arr[i]}: more than one value for a year")
    k_years = [int(y) for y in years[keep].tolist()]
    k_values = values[keep].tolist()
    k_nums = nums[keep].tolist() if nums is not None else None
    k_dens = dens[keep].tolist() if dens is not None else None

    rows = []
    for s0, e0 in zip(starts.tolist(), ends.tolist(), strict=True):
        ind, ucode = ind_arr[s0], unit_arr[s0]
        tgt = targets.get((ind, ucode)) or targets.get(ind)
        if tgt is None:
            continue
        op, tv, kind, ty = _target_parts(tgt, assessment)
        unit = units[s0] if units is not None else "percent"
        pol = pols[s0] if pols is not None else "higher"
        a, z = int(kept_before[s0]), int(kept_before[e0])
        p = _assess_core(
            k_years[a:z], k_values[a:z],
            k_nums[a:z] if k_nums is not None else None,
            k_dens[a:z] if k_dens is not None else None,
            op=op, tv=tv, kind=kind, target_year=ty, baseline_year=b,
            unit=unit if isinstance(unit, str) else "percent",
            polarity=pol if isinstance(pol, str) else "higher",
            near_complete=near_complete, near_zero=near_zero,
        )
        rows.append((ind, ucode, aid, *p.__dict__.values()))
    out = pd.DataFrame.from_records(rows, columns=cols)
    for c in ("baseline_year", "latest_year", "target_year", "years_met", "years_assessed"):
        out[c] = out[c].astype("Int64")
    return out

