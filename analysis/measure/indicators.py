"""The indicator engine: the Summary frame + the catalogue -> the tidy Indicators frame.

One row per ``indicator_id`` × ``unit_code`` × ``year`` (× ``breakdown``; always ``""`` today,
the summary allows no breakdown). Expressions are evaluated on whole columns; the only Python
loop is over the ~30 catalogue entries.

Rules
-----
- **Units.** Reporting units (``district``, ``sector``) and, where the catalogue lists
  ``commune`` and the summary has commune rows, communes get one row each per year in which the
  indicator's numerator (and denominator) are known. A unit-year with an NA numerator or
  denominator gets **no row**.
- **Province = Σ numerators / Σ denominators** over the reporting units (district + sector) at
  the indicator's levels — never an average of the units' percentages. Communes are inside
  districts and are never added again. Village and commune-official indicators exist for
  districts only, so only districts enter their province total.
- **Partial province rows.** The province row of a year is computed from the units that have
  data that year, and flagged ``partial=True`` when fewer than all *expected* units do. Expected
  units are the reporting units, at the indicator's levels, that appear anywhere in the summary
  (in any of the years analysed): a district that sent nothing in 2019, or never filled an
  optional column, makes the 2019 (or every) province value partial. ``units_reporting`` and
  ``units_expected`` give the two counts (both 1 on unit and commune rows). A year in which no
  unit reports has no province row.
  ``met`` is still computed on a partial row (consumers decide what a partial verdict is worth).
- **Values.** Percent = numerator × 100 / denominator (0–100; exact for exact ratios, so
  84/100 is exactly 84.0); a denominator of 0 gives an NA value, not an error. A count's value
  is its numerator.
- **Intervals.** Percent: Wilson score (``stats.add_proportion_ci``, multiplier 100); count:
  Byar (``stats.add_count_ci``); at 95% and 99.8%. Rows whose counts are impossible (numerator
  below 0 or above the denominator — validation reports them) keep their value but get no
  interval.
- **Targets** come from ``params/targets.yaml`` (or the ``targets`` argument), by the
  indicator's ``target_ref``. Where the target has ``quotas`` (T5), a reporting unit's target is
  its quota (none if it has no quota, communes have none) and the province's is the value;
  otherwise every row has the same target. ``met`` compares the observed value exactly as the
  target states it (``>`` is strict): census counts, not samples. ``met`` is NA when the value
  or the target is missing; it is computed every year for ``by_year`` targets as well.
- **Series breaks.** Rows of a break year of the indicator carry its label
  (``rating_scheme_2018``, ``merger_2020``); other rows ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import params
from analysis.data.schema import match_key
from analysis.data.units import REPORTING_LEVELS
from analysis.measure import stats
from analysis.measure.catalogue import TARGET_KINDS, TARGET_OPS, Indicator, load_catalogue

LEVELS = ("province", "district", "sector", "commune")  # codes 0..3, also the row order
UNIT_LEVELS = ("district", "sector", "commune")
CONFIDENCES = (0.95, 0.998)

COLUMNS = [
    "indicator_id", "name_vi", "unit_code", "level", "parent_code", "year", "breakdown",
    "numerator", "denominator", "value", "lower_95", "upper_95", "lower_998", "upper_998",
    "method", "unit", "polarity", "target_op", "target_value", "target_kind", "target_year",
    "met", "excluded", "series_break", "partial", "units_reporting", "units_expected",
]
_CI_COLUMNS = ("lower_95", "upper_95", "lower_998", "upper_998")
#: ``breakdown`` values of a headline row, as :func:`analysis.data.schema.match_key` writes
#: them (case, spacing and tone marks ignored: "Tổng" is ``tong``); a blank is headline too.
_HEADLINE_KEYS = frozenset({"", "total", "all", "tong", "none"})
_IS_REPORTING = np.array([lv in REPORTING_LEVELS for lv in LEVELS])
_COMPARE = {">=": np.greater_equal, ">": np.greater, "==": np.equal,
            "<=": np.less_equal, "<": np.less}


class _Columns(Mapping):
    """Summary columns as float arrays (NA -> NaN), converted once and on demand.

    A column absent from the summary reads as all NA: "not reported".
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame, self._cache = frame, {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            if key in self._frame.columns:
                col = self._frame[key].to_numpy(dtype="float64", na_value=np.nan)
            else:
                col = np.full(len(self._frame), np.nan)
            self._cache[key] = col
        return self._cache[key]

    def __iter__(self):
        return iter(self._frame.columns)

    def __len__(self) -> int:
        return len(self._frame)


def _prepare(summary: pd.DataFrame, years: Iterable[int] | None) -> pd.DataFrame:
    """Unit rows of the summary (district, sector, commune) in output order; checks keys."""
    missing = [c for c in ("unit_code", "level", "year") if c not in summary.columns]
    if missing:
        raise ValueError(f"Bảng tổng hợp thiếu cột {', '.join(missing)}")
    s = summary[summary["level"].isin(UNIT_LEVELS)]
    if years is not None:
        s = s[s["year"].isin(list(years))]
    if s["year"].isna().any() or s["unit_code"].isna().any():
        raise ValueError("Bảng tổng hợp có dòng thiếu mã đơn vị hoặc năm")
    dup = s.duplicated(["unit_code", "year"])
    if dup.any():
        first = s.loc[dup, ["unit_code", "year"]].iloc[0]
        raise ValueError(
            f"Bảng tổng hợp có hai dòng cho đơn vị {first['unit_code']} năm {first['year']}"
        )
    order = s["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    s = s.assign(_order=order).sort_values(["_order", "unit_code", "year"], kind="stable")
    return s.drop(columns="_order").reset_index(drop=True)


def _target_spec(ind: Indicator, doc: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict]:
    """The target of ``ind`` (or None) and its per-unit quotas (or {})."""
    if ind.target_ref is None:
        return None, {}
    spec = (doc.get("targets") or {}).get(ind.target_ref)
    if not spec:
        return None, {}
    if spec.get("op") not in TARGET_OPS:
        raise ValueError(f"Mục tiêu {ind.target_ref}: op '{spec.get('op')}' không hợp lệ")
    if spec.get("kind") not in TARGET_KINDS:
        raise ValueError(f"Mục tiêu {ind.target_ref}: kind '{spec.get('kind')}' không hợp lệ")
    quotas = (doc.get("quotas") or {}).get(ind.target_ref) or {}
    return dict(spec), dict(quotas)


def compute_indicators(
    summary: pd.DataFrame,
    catalogue: list[Indicator] | None = None,
    targets: Mapping[str, Any] | None = None,
    province_code: str | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Compute every catalogue indicator for every unit, commune and the province, per year.

    Parameters
    ----------
    summary
        The Summary frame (``analysis.data.aggregate.build_summary``): ``unit_code, level,
        parent_code, year`` and the count columns of ``unit_summary`` (nullable integers). A
        count column absent from the frame counts as not reported; rows of other levels
        (e.g. a province row) are ignored: the province is always recomputed from its units.
    catalogue
        Indicators to compute; default :func:`~analysis.measure.catalogue.load_catalogue`.
    targets
        ``{"targets": {...}, "quotas": {...}}``; default ``params.targets()``.
    province_code
        Code of the province rows; default ``province_code`` of ``params/plan.yaml``.
    years
        Years to keep; default all years of the summary.

    Returns
    -------
    DataFrame
        The Indicators contract (see ``docs/architecture.md``) plus ``name_vi``,
        ``parent_code``, ``target_year``, ``units_reporting`` and ``units_expected``; rows by
        indicator (catalogue order), then province, districts, sectors, communes, by code and
        year. Rules for province totals, partial rows, targets and breaks: module docstring.

    Raises
    ------
    ValueError
        Summary without ``unit_code``/``level``/``year``, two rows for one unit-year, or a
        target with an unknown ``op``/``kind``.
    """
    cat = load_catalogue() if catalogue is None else list(catalogue)
    doc = params.targets() if targets is None else targets
    province = province_code or params.plan()["province_code"]
    s = _prepare(summary, years)
    cols = _Columns(s)

    unit_id, unit_labels = pd.factorize(s["unit_code"].astype(object), sort=False)
    unit_labels = [*map(str, unit_labels), province]        # province = last label
    province_id = len(unit_labels) - 1
    level_id = s["level"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy(dtype=np.int64)
    if "parent_code" in s.columns:
        parent_id, parent_labels = pd.factorize(s["parent_code"].astype(object))
        parent_labels = [str(x) for x in parent_labels]
    else:
        parent_id, parent_labels = np.full(len(s), -1, dtype=np.int64), []
    year = s["year"].to_numpy(dtype=np.int64)
    year_values, year_idx = np.unique(year, return_inverse=True)
    n_years = len(year_values)
    units_per_level = np.array(
        [s.loc[s["level"] == lv, "unit_code"].nunique() for lv in LEVELS], dtype=np.int64
    )
    break_labels = ["", *sorted({lab for ind in cat for lab in ind.break_labels})]

    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "ind", "unit", "level", "parent", "year", "num", "den", "exc", "partial", "n_rep",
        "n_exp", "t_value", "t_op", "t_year", "break",
    )}
    kinds: list[int] = []

    for k, ind in enumerate(cat):
        num = ind.numerator.evaluate(cols)
        den = ind.denominator.evaluate(cols) if ind.denominator is not None else None
        exc = ind.excluded.evaluate(cols) if ind.excluded is not None else None
        has = ~np.isnan(num) if den is None else ~(np.isnan(num) | np.isnan(den))
        allowed = np.isin(np.array(LEVELS), ind.levels)
        at_level = allowed[level_id]

        # -- province: Σ numerators / Σ denominators over the reporting units with data
        rep = at_level & _IS_REPORTING[level_id] & has
        n_rep = np.bincount(year_idx[rep], minlength=n_years)
        keep = n_rep > 0
        n_p = int(keep.sum())
        n_exp = int(units_per_level[allowed & _IS_REPORTING].sum())

        # -- units and communes with data
        idx = np.flatnonzero(at_level & has)
        n_u = len(idx)

        parts["ind"].append(np.full(n_p + n_u, k, dtype=np.int64))
        parts["unit"] += [np.full(n_p, province_id, dtype=np.int64), unit_id[idx]]
        parts["level"] += [np.zeros(n_p, dtype=np.int64), level_id[idx]]
        parts["parent"] += [np.full(n_p, -1, dtype=np.int64), parent_id[idx]]
        parts["year"] += [year_values[keep], year[idx]]
        parts["num"] += [_pooled(num, rep, year_idx, keep), num[idx]]
        parts["den"] += [_pooled(den, rep, year_idx, keep),
                         den[idx] if den is not None else np.full(n_u, np.nan)]
        parts["exc"] += [_pooled(exc, rep, year_idx, keep),
                         exc[idx] if exc is not None else np.full(n_u, np.nan)]
        parts["partial"] += [n_rep[keep] < n_exp, np.zeros(n_u, dtype=bool)]
        parts["n_rep"] += [n_rep[keep], np.ones(n_u, dtype=np.int64)]
        parts["n_exp"] += [np.full(n_p, n_exp, dtype=np.int64), np.ones(n_u, dtype=np.int64)]

        # -- targets: one value for every row, or quotas for reporting units
        spec, quotas = _target_spec(ind, doc)
        if spec is None:
            t_val = np.full(n_p + n_u, np.nan)
        elif quotas:
            quota_of = np.array([quotas.get(c, np.nan) for c in unit_labels], dtype="float64")
            t_unit = np.where(_IS_REPORTING[level_id[idx]], quota_of[unit_id[idx]], np.nan)
            t_val = np.concatenate([np.full(n_p, float(spec["value"])), t_unit])
        else:
            t_val = np.full(n_p + n_u, float(spec["value"]))
        has_t = ~np.isnan(t_val)
        op = TARGET_OPS.index(spec["op"]) if spec is not None else -1
        t_year = float(spec["year"]) if spec is not None and spec.get("year") is not None \
            else np.nan
        parts["t_value"].append(t_val)
        parts["t_op"].append(np.where(has_t, op, -1))
        parts["t_year"].append(np.where(has_t, t_year, np.nan))
        kinds.append(TARGET_KINDS.index(spec["kind"]) if spec is not None else -1)

        # -- series breaks: the label on rows of the break year
        years_k = np.concatenate([year_values[keep], year[idx]])
        brk = np.zeros(n_p + n_u, dtype=np.int64)
        for by, label in zip(ind.break_years, ind.break_labels, strict=True):
            brk[years_k == by] = break_labels.index(label)
        parts["break"].append(brk)

    joined = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    labels = {"unit": unit_labels, "parent": parent_labels, "break": break_labels}
    return _assemble(cat, kinds, joined, labels)


def _pooled(
    values: np.ndarray | None, rows: np.ndarray, year_idx: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Per-year sums of ``values`` over ``rows`` (NaN values skipped; NaN if none), for the
    years in ``keep``."""
    if values is None:
        return np.full(int(keep.sum()), np.nan)
    sel = rows & ~np.isnan(values)
    total = np.bincount(year_idx[sel], weights=values[sel], minlength=len(keep))
    seen = np.bincount(year_idx[sel], minlength=len(keep)) > 0
    return np.where(seen, total, np.nan)[keep]


def _take(labels: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A ``str`` column from a short label list and integer codes (-1 = missing), without
    re-validating a million strings."""
    codes = codes.astype(np.int64, copy=False)
    return pd.array(list(labels), dtype="str").take(codes, allow_fill=True)


def _int(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers held as float (NaN = missing) -> nullable Int64."""
    values = np.asarray(values, dtype="float64")
    mask = np.isnan(values)
    with np.errstate(invalid="ignore"):
        data = values.astype(np.int64)  # NaN casts to garbage, zeroed and masked next
    data[mask] = 0
    return pd.arrays.IntegerArray(data, mask)


def _intervals(
    num: np.ndarray, den: np.ndarray, is_pct: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Wilson limits for valid percent rows, Byar/exact limits for valid count rows."""

    n = len(num)
    ci = {c: np.full(n, np.nan) for c in _CI_COLUMNS}
    method_code = np.full(n, -1, dtype=np.int64)
    method_labels: list[str] = []

    def store(rows: np.ndarray, out: pd.DataFrame, back: np.ndarray | None = None) -> None:
        pick = slice(None) if back is None else back
        for c in _CI_COLUMNS:
            ci[c][rows] = out[c].to_numpy(dtype="float64", na_value=np.nan)[pick]
        codes, uniques = pd.factorize(out["method"].astype(object))
        offset = len(method_labels)
        method_labels.extend(str(u) for u in uniques)
        method_code[rows] = np.where(codes >= 0, codes + offset, -1)[pick]

    ok_pct = is_pct & (den > 0) & (num >= 0) & (num <= den)
    if ok_pct.any():
        frame = pd.DataFrame({"numerator": num[ok_pct].astype(np.int64),
                              "denominator": den[ok_pct].astype(np.int64)})
        store(ok_pct, stats.add_proportion_ci(frame, x="numerator", n="denominator",
                                              confidences=CONFIDENCES, multiplier=100))
    ok_cnt = ~is_pct & (num >= 0)
    if ok_cnt.any():
        # counts are small whole numbers that repeat: each distinct count is computed once
        distinct, back = np.unique(num[ok_cnt].astype(np.int64), return_inverse=True)
        store(ok_cnt, stats.add_count_ci(pd.DataFrame({"numerator": distinct}),
                                         x="numerator", confidences=CONFIDENCES), back)
    return ci, method_code, method_labels


def _assemble(
    cat: list[Indicator], kinds: list[int], p: dict[str, np.ndarray], labels: dict[str, list]
) -> pd.DataFrame:
    n = len(p["ind"])
    ind = p["ind"].astype(np.int64, copy=False)
    is_pct = np.array([i.unit == "percent" for i in cat] or [False], dtype=bool)[ind]
    num, den = p["num"], p["den"]

    # values: percent = num × 100 / den (exact for exact ratios), count = num
    value = np.full(n, np.nan)
    pos = is_pct & (den > 0)
    value[pos] = num[pos] * 100.0 / den[pos]
    value[~is_pct] = num[~is_pct]
    ci, method_code, method_labels = _intervals(num, den, is_pct)

    # met: the observed value against the target, as the target states it
    t_val, t_op = p["t_value"], p["t_op"]
    known = ~np.isnan(value) & ~np.isnan(t_val) & (t_op >= 0)
    met = np.zeros(n, dtype=bool)
    for code, op in enumerate(TARGET_OPS):
        rows = known & (t_op == code)
        met[rows] = _COMPARE[op](value[rows], t_val[rows])
    t_kind = np.where(t_op >= 0, np.array(kinds or [-1], dtype=np.int64)[ind], -1)

    def per_indicator(attr: str) -> pd.api.extensions.ExtensionArray:
        return _take([getattr(i, attr) for i in cat], ind)

    data = {
        "indicator_id": per_indicator("id"),
        "name_vi": per_indicator("name_vi"),
        "unit_code": _take(labels["unit"], p["unit"]),
        "level": _take(list(LEVELS), p["level"]),
        "parent_code": _take(labels["parent"], p["parent"]),
        "year": _int(p["year"]),
        "breakdown": _take([""], np.zeros(n, dtype=np.int64)),
        "numerator": _int(num),
        "denominator": _int(den),
        "value": value,
        **ci,
        "method": _take(method_labels, method_code),
        "unit": per_indicator("unit"),
        "polarity": per_indicator("polarity"),
        "target_op": _take(list(TARGET_OPS), t_op),
        "target_value": t_val,
        "target_kind": _take(list(TARGET_KINDS), t_kind),
        "target_year": _int(p["t_year"]),
        "met": pd.arrays.BooleanArray(met, ~known),
        "excluded": _int(p["exc"]),
        "series_break": _take(labels["break"], p["break"]),
        "partial": p["partial"].astype(bool, copy=False),
        "units_reporting": _int(p["n_rep"]),
        "units_expected": _int(p["n_exp"]),
    }
    return pd.DataFrame({c: data[c] for c in COLUMNS}, copy=False)


def indicator_series(
    indicators: pd.DataFrame, indicator_id: str, unit_code: str, breakdown: str = ""
) -> pd.DataFrame:
    """Rows of one indicator for one unit (and breakdown), sorted by year."""
    rows = indicators[
        (indicators["indicator_id"] == indicator_id)
        & (indicators["unit_code"] == unit_code)
        & (indicators["breakdown"] == breakdown)
    ]
    return rows.sort_values("year").reset_index(drop=True)


def headline_mask(indicators: pd.DataFrame) -> np.ndarray:
    """Which rows of an Indicators frame are headline rows: no breakdown, the unit's own value.

    A row is headline when its ``breakdown`` is blank (``""`` or ``<NA>``) or says "total"
    (``total``, ``all``, ``tong``/``tổng``, ``none``; case and spacing ignored). Every row is
    headline in a frame without a ``breakdown`` column. The one definition every wing uses.
    """
    if "breakdown" not in indicators.columns:
        return np.ones(len(indicators), dtype=bool)
    positions, distinct = pd.factorize(indicators["breakdown"])
    # one test per distinct value; the last entry is for <NA> (position -1)
    keep = np.array([match_key(v) in _HEADLINE_KEYS for v in distinct] + [True], dtype=bool)
    return keep[positions]


def headline_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    """The headline rows of an Indicators frame (:func:`headline_mask`); the frame itself when
    it has no ``breakdown`` column."""
    if "breakdown" not in indicators.columns:
        return indicators
    return indicators[headline_mask(indicators)]
