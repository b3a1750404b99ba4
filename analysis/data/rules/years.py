"""The years of each reporting unit: which are missing, and which stand out from the others."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data.aggregate import build_summary
from analysis.data.findings import WARNING, Finding
from analysis.data.rule_config import as_fraction, rule_config
from analysis.data.rules.emit import cap_of, cell_text, column_header, emit, fmt_int, hit_rows
from analysis.data.schema import table_frame
from analysis.data.units import REPORTING_LEVELS, unit_lookup


# --------------------------------------------------------------------------------------------
# completeness
# --------------------------------------------------------------------------------------------
def plan_or_default(plan: dict[str, Any] | None) -> dict[str, Any]:
    """``plan``, or ``params.plan()`` when not given."""
    if plan is None:
        plan = params.plan()
    return plan


def completeness_table(
    tables: Any, summary: pd.DataFrame | None = None, plan: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Reporting unit × year → ``detail`` / ``summary`` / ``missing``.

    Years run from the plan's ``first_year`` to the last year any unit reported (at most the
    plan's ``last_year``), so a mid-term input is not asked for years still to come. A unit
    whose ``first_year``/``last_year`` in ``units`` exclude a year is not expected that year.

    Returns
    -------
    DataFrame
        ``unit_code, name, level, year, status``, sorted by unit and year.
    """
    plan = plan_or_default(plan)
    summary = build_summary(tables) if summary is None else summary
    units = unit_lookup(tables)
    rep = units[units["level"].isin(REPORTING_LEVELS)]
    cols = ["unit_code", "name", "level", "year", "status"]
    rep_rows = summary[summary["level"].isin(REPORTING_LEVELS)] if len(summary) else summary
    years_seen = pd.to_numeric(rep_rows["year"], errors="coerce").dropna() if len(
        rep_rows) else pd.Series(dtype=float)
    first = int(plan.get("first_year", years_seen.min() if len(years_seen) else 0))
    last_plan = int(plan.get("last_year", years_seen.max() if len(years_seen) else first))
    last = min(last_plan, int(years_seen.max())) if len(years_seen) else last_plan
    if rep.empty or last < first:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        out["year"] = out["year"].astype("Int64")
        return out
    grid = pd.MultiIndex.from_product([rep.index, range(first, last + 1)],
                                      names=["unit_code", "year"]).to_frame(index=False)
    grid["year"] = grid["year"].astype("Int64")
    f_year = grid["unit_code"].map(rep["first_year"]).astype("Int64")
    l_year = grid["unit_code"].map(rep["last_year"]).astype("Int64")
    alive = ~(grid["year"].lt(f_year).fillna(False) | grid["year"].gt(l_year).fillna(False))
    grid = grid[alive]
    got = rep_rows[["unit_code", "year", "source"]].drop_duplicates(["unit_code", "year"])
    got = got.assign(year=got["year"].astype("Int64"), unit_code=got["unit_code"].astype("str"))
    grid = grid.merge(got, on=["unit_code", "year"], how="left")
    grid["status"] = grid["source"].fillna("missing").astype("str")
    grid["name"] = grid["unit_code"].map(rep["name"]).astype("str")
    grid["level"] = grid["unit_code"].map(rep["level"]).astype("str")
    return grid[cols].sort_values(["unit_code", "year"]).reset_index(drop=True)


def check_completeness(
    tables: Any,
    summary: pd.DataFrame | None = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
) -> list[Finding]:
    """A ``missing_unit_year`` warning per reporting unit-year without any data."""
    table = completeness_table(tables, summary, plan)
    missing = table[table["status"] == "missing"]
    # point at the summary sheet, where a missing unit-year would be added
    summ = table_frame(tables, "unit_summary")
    sheet = schema.table("unit_summary").title_vi
    file, sheet_name = ("", sheet) if summ.empty else (summ["_file"].iloc[0],
                                                       summ["_sheet"].iloc[0])
    hits = hit_rows(missing.assign(_file=file, _sheet=sheet_name, _row=pd.NA),
                 np.ones(len(missing), bool), unit=missing["unit_code"], year=missing["year"],
                 name=missing["name"])
    looked = _looked_in(tables) if len(missing) else ""
    return emit(
        hits, "missing_unit_year", WARNING,
        lambda r: (
            f"Đơn vị {cell_text(r['name']) or r['unit_code']} ({r['unit_code']}) không có số liệu "
            f"năm {r['year']}: không có số liệu chi tiết, cũng không có dòng trong bảng "
            f"{sheet}. {looked}"
        ),
        cap_of(max_per_rule),
    )


def _looked_in(tables: Any) -> str:
    """Where the reader found the tables a reporting unit's year comes from, as a sentence:
    "Đã tìm trong: bảng «TCCSĐ» của tệp «a.xlsx»; …" (or that a table was found nowhere)."""
    found, absent = [], []
    for name in ("organizations", "unit_summary"):
        title = schema.table(name).title_vi
        frame = table_frame(tables, name)
        if frame.empty or "_file" not in frame.columns:
            absent.append(f"«{title}»")
            continue
        places = frame[["_file", "_sheet"]].astype(str).drop_duplicates()
        found += [f"bảng «{sh}» của tệp «{f}»" if sh != name else f"tệp «{f}»"
                  for f, sh in places.itertuples(index=False)]
    if len(found) > 6:  # one folder per year: the first few, and how many more
        found = [*found[:5], f"và {fmt_int(len(found) - 5)} tệp, bảng khác"]
    out = f"Đã tìm trong: {'; '.join(found)}." if found else ""
    if absent:
        out += (f" Không tìm thấy bảng {' hay '.join(absent)} có số liệu (bảng có thể bị đặt "
                "tên khác, hoặc số liệu nằm ở bảng khác: xem các cảnh báo về bảng không được "
                "đọc).")
    return out.strip()


# --------------------------------------------------------------------------------------------
# consistency over time
# --------------------------------------------------------------------------------------------
def check_outliers(
    summary: pd.DataFrame,
    tables: Any = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
) -> list[Finding]:
    """Years of a reporting unit far from the unit's other years (WHO DQR consistency).

    For each reporting unit and each count of ``rules.yaml`` ``outliers.columns``, each year
    *x* is compared with the unit's other years (at least ``min_other_years`` of them):

    - modified z-score ``|0.6745·(x − m)/MAD| > z_limit`` where *m* and MAD are the median and
      the median absolute deviation of the other years (when MAD = 0, as when the other years
      are nearly all equal, the usual fallback ``|x − m|/(1.2533·meanAD)``), and the gap is
      material: ``|x − m|`` above both ``z_min_relative · m`` (20 %) and
      ``z_min_poisson · √m`` (3 √m, the chance variation of a count). With five other years
      the MAD is small and noisy: without these floors a 6–10 % wobble of a large count, or
      a count of villages without members falling 8, 6, 3 → 0 as the resolution wants, is
      "3.5 MADs". The test is after typing errors (an extra digit, a lost one, a stray zero);
    - or, when the reference *m* is at least ``ratio_min_level``,
      ``|x − m| > ratio_limit · m``.

    The reference of the second test is the median of the other years, not their mean: with
    one wrong year among four, the mean of the others of every *good* year includes the wrong
    one and would flag them all. With two other years, median and mean are the same.
    Partial years (``plan["partial_years"]``) are left out on both sides. The finding gives
    the range of values neither test would flag and the other years' values.
    """
    cfg = rule_config()["outliers"]
    plan = plan or {}
    if summary is None or summary.empty:
        return []
    s = summary[summary["level"].isin(REPORTING_LEVELS)]
    partial = [int(y) for y in plan.get("partial_years", []) or []]
    s = s[~s["year"].isin(partial)]
    if s.empty:
        return []
    z_limit = float(cfg["z_limit"])
    ratio = float(as_fraction(cfg["ratio_limit"]))
    min_level = float(cfg["ratio_min_level"])
    min_other = int(cfg["min_other_years"])
    if s["year"].nunique() <= min_other:  # no unit-year can have enough other years
        return []
    min_relative = float(as_fraction(cfg.get("z_min_relative", 0)))
    poisson_k = float(cfg.get("z_min_poisson", 0))
    summ_rows = table_frame(tables, "unit_summary") if tables is not None else None
    units = unit_lookup(tables) if tables is not None else None
    found = []
    for col in cfg["columns"]:
        if col not in s.columns:
            continue
        wide = s.pivot_table(index="unit_code", columns="year", values=col, aggfunc="first")
        if wide.empty:
            continue
        x_all = wide.to_numpy(dtype=float, na_value=np.nan)
        years = [int(y) for y in wide.columns]
        for j, year in enumerate(years):
            others = x_all.copy()
            others[:, j] = np.nan
            x = x_all[:, j]
            n_other = (~np.isnan(others)).sum(axis=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(others, axis=1)
                dev = np.abs(others - med[:, None])
                mad = np.nanmedian(dev, axis=1)
                mean_ad = np.nanmean(dev, axis=1)
            ok = ~np.isnan(x) & (n_other >= min_other)
            # spread of the other years: MAD/0.6745, or 1.2533·meanAD when MAD = 0
            scale = np.where(mad > 0, mad / 0.6745, 1.253314 * mean_ad)
            gap = np.abs(x - med)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0),
                             np.where(gap > 0, np.inf, 0.0))
            floor = np.maximum(min_relative * np.abs(med),
                               poisson_k * np.sqrt(np.maximum(med, 1.0)))
            flag_z = ok & (z > z_limit) & (gap > floor)
            level_ok = ok & (med >= min_level)
            flag_r = level_ok & (np.abs(x - med) > ratio * med)
            flag = flag_z | flag_r
            if not flag.any():
                continue
            half_z = np.where(ok, np.maximum(z_limit * scale, floor), np.inf)
            half_r = np.where(level_ok, ratio * med, np.inf)
            half = np.minimum(half_z, half_r)
            lo = np.maximum(np.ceil(med - half), 0)
            hi = np.floor(med + half)
            idx = np.flatnonzero(flag)
            codes = wide.index.to_numpy()[idx]
            other_text = [
                "; ".join(f"{y}: {fmt_int(v)}" for y, v in zip(years, others[i], strict=True)
                          if not np.isnan(v))
                for i in idx
            ]
            frame = pd.DataFrame({
                "unit_code": codes, "year": year, "value": [fmt_int(v) for v in x[idx]],
                "lo": lo[idx], "hi": hi[idx], "others": other_text,
                "column": column_header("unit_summary", col),
            })
            found.append(frame)
    if not found:
        return []
    hits = pd.concat(found, ignore_index=True)
    # provenance: the unit_summary row when the unit-year came from it
    src = s[["unit_code", "year", "source"]].assign(year=s["year"].astype("Int64"))
    hits = hits.assign(year=hits["year"].astype("Int64")).merge(src, on=["unit_code", "year"],
                                                                how="left")
    if summ_rows is not None and len(summ_rows):
        prov = summ_rows[["unit_code", "year", "_file", "_sheet", "_row"]].drop_duplicates(
            ["unit_code", "year"])
        hits = hits.merge(prov, on=["unit_code", "year"], how="left")
        from_detail = hits["source"].eq("detail").fillna(False)
        for c in ("_file", "_sheet"):
            hits[c] = hits[c].astype("str").where(~from_detail, "")
        hits["_row"] = hits["_row"].astype("Int64").where(~from_detail)
    else:
        hits["_file"], hits["_sheet"], hits["_row"] = "", "", pd.NA
    names = units["name"] if units is not None else pd.Series(dtype="str")
    hits["name"] = hits["unit_code"].map(names)

    def message(r: dict[str, Any]) -> str:
        name = cell_text(r["name"])
        who = f"{name} ({r['unit_code']})" if name else r["unit_code"]
        how = " (cộng từ số liệu chi tiết)" if r.get("source") == "detail" else ""
        return (
            f"Đơn vị {who}: “{r['column']}” năm {r['year']} là {r['value']}{how}, khác thường "
            f"so với các năm khác của đơn vị (khoảng dự kiến {fmt_int(r['lo'])}–"
            f"{fmt_int(r['hi'])}; các năm khác: {r['others']}). Đề nghị kiểm tra lại số liệu."
        )

    return emit(hits, "outlier_over_time", cfg["severity"], message, cap_of(max_per_rule))
