"""Detail → summary: one row of counts per unit and year, whatever the input level.

:func:`build_summary` is the Summary contract of ``docs/architecture.md``: one row per
``unit_code`` × ``year`` for every reporting unit (``level`` district or sector) that has data
that year, and for every commune that has detail. Columns: ``unit_code, level, parent_code,
year, source`` and every ``count`` column of the ``unit_summary`` table (``Int64``; ``<NA>``
where not applicable or unknown, e.g. the village columns of a sector unit).

How detail rows become summary counts
-------------------------------------
A commune's reporting unit is its ``parent_code`` in ``units``. Organizations are counted under
their ``reporting_unit`` (and under their ``commune_code`` for commune rows); villages under
``commune_code`` → parent; officials under ``commune_code`` → parent, in ``snapshot_year``.

======================== =================================================================
summary column           from the detail
======================== =================================================================
orgs_total               organizations rows
orgs_not_rated           ``rating`` = ``chua_xep_loai``
orgs_excellent           rating of rank 1 (``xuat_sac`` or ``trong_sach_vung_manh``)
orgs_good                rating of rank 2 (``tot``)
orgs_completed           rating of rank 3 (``hoan_thanh``)
orgs_failed              rating of rank 4 (``khong_hoan_thanh`` or ``yeu_kem``)
orgs_remediation         rank 3–4 with ``remediation_plan`` = Có               (flag ¹)
orgs_head_rule           ``org_type`` with ``head_rule`` (vocabulary org_type)
orgs_head_is_secretary   of those, ``head_is_secretary`` = Có                   (flag ¹)
orgs_non_state           ``org_type`` with ``non_state``
orgs_owner_is_secretary  of those, ``owner_is_secretary`` = Có                  (flag ¹)
members_non_state        Σ ``members_total`` of the non-state organizations
orgs_candidate_pool      ``candidate_pool`` = Có                                 (flag ¹)
orgs_admission_plan      ``candidate_pool`` = Có and ``admission_plan`` = Có     (flag ¹ ²)
orgs_dialogue            ``dialogue_held`` = Có                                  (flag ¹)
orgs_supervised_twice    ``supervision_checks`` ≥ 2                              (flag ¹)
members_* admissions_*   Σ of the same column                                   (sum ³)
new_members_* inspections, committee_*, cells_*
villages_total           villages rows of the unit's communes in that year
villages_no_members      ``party_members`` = 0
villages_at_risk         ``party_members`` = 1 or 2
villages_own_cell        ``own_cell`` = Có                                       (flag ¹)
villages_combined_cell   ``combined_cell`` = Có                                  (flag ¹)
villages_head_member     ``head_is_member`` = Có                                 (flag ¹)
villages_secretary_head  ``secretary_is_head`` = Có                              (flag ¹)
officials_total          officials rows with ``snapshot_year`` = year
officials_university     ``education`` with ``university`` (vocabulary education)
officials_theory         ``theory`` with ``intermediate_or_higher``
officials_rotated        ``rotated`` = Có                                        (flag ¹)
======================== =================================================================

Rates from the detail (``rate_parts`` of ``rules.yaml``): a TCCSĐ whose ``cells_total`` is
filled and ``cells_monthly`` blank (or the reverse) is left out of ``cells_total``,
``cells_monthly`` and ``cells_thematic`` alike, so that P5 and P6 are computed over the
organizations that gave both cells and a blank is never read as 0; the same for
``members_active``/``members_assigned``, ``committee_members``/``committee_trained`` and
``new_members_due``/``new_members_trained``. :func:`aggregate_detail` keeps the full sums as
``<column>__all`` for the cross-check with the ``unit_summary`` sheet;
``analysis.data.rules.check_rate_parts`` names every row left out.

¹ A flag count is the number of rows (among those the flag applies to) where the flag is Có;
  an empty cell counts as "not Có". When the flag applies to some rows but is empty on *all*
  of them, the count is unknown: ``<NA>``. When it applies to no row, the count is 0.
² ``<NA>`` also when ``orgs_candidate_pool`` is ``<NA>``.
³ ``sum(min_count=1)``: ``<NA>`` when every contributing value is empty.

Detail and summary rows of the same unit-year
---------------------------------------------
Columns come in three groups by the detail table that counts them (:func:`column_groups`):
organizations (``orgs_*``, ``members_*``, ``admissions*``, ``new_members_*``, ``committee_*``,
``cells_*``, ``inspections``), villages (``villages_*``) and officials (``officials_*``). Where a
reporting unit-year has detail rows of a table, that table's group comes from the detail
aggregate (a ``<NA>`` there stays ``<NA>``, so numerators and denominators never mix
sources); a group without detail rows that unit-year (no officials snapshot in 2017, say) is
taken from the ``unit_summary`` row when there is one. Differences between the two are findings of
``analysis.data.rules.check_summary_vs_detail``. ``source`` says where the organization and
member counts (the core of every indicator) come from: ``detail`` when the unit-year has
organizations rows, or has no ``unit_summary`` row; ``summary`` otherwise. Commune rows are
always ``detail``.

Codes that ``units`` does not know are kept as reporting units with ``level`` <NA> (validation
reports them as errors); codes ``units`` knows at another level are left out of the role they
do not fit (a commune code typed as a reporting unit, say). Unit-years with no data at all get
no row: ``analysis.data.rules.completeness_table`` lists them.

The typed-table contract (:func:`analysis.data.schema.table_frame`) and the unit and code
look-ups (``analysis.data.units``: also :func:`~analysis.data.units.harmonise_to`) live below
this module; the village changes are ``analysis.data.villages``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.rule_config import rate_incomplete, rate_parts
from analysis.data.schema import table_frame
from analysis.data.units import REPORTING_LEVELS, commune_parent, map_codes, unit_lookup

__all__ = [
    "KEY_COLUMNS",
    "aggregate_detail",
    "build_summary",
    "column_groups",
    "count_columns",
    "full_sum_columns",
]

KEY_COLUMNS = ["unit_code", "level", "parent_code", "year", "source"]


# --------------------------------------------------------------------------------------------
# the summary's columns and the vocabulary sets it counts
# --------------------------------------------------------------------------------------------
@cache
def count_columns() -> tuple[str, ...]:
    """The count columns of ``unit_summary``, in schema order (the summary's value columns)."""
    return tuple(c.name for c in schema.table("unit_summary").columns if c.type == "count")


@cache
def column_groups() -> dict[str, tuple[str, ...]]:
    """Summary count columns by the detail table they are counted from."""
    groups: dict[str, list[str]] = {"organizations": [], "villages": [], "officials": []}
    for c in count_columns():
        table = c.split("_")[0]
        groups.get(table, groups["organizations"]).append(c)
    return {k: tuple(v) for k, v in groups.items()}


def _with_categories(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return df.assign(**{c: df[c].astype("category") for c in columns})


@cache
def _vocab_sets() -> dict[str, Any]:
    v = schema.vocabularies()
    rating = v["org_rating"].entries
    return {
        "rank": {e["code"]: e["rank"] for e in rating if e.get("rank") is not None},
        "not_rated": {e["code"] for e in rating if e.get("rank") is None},
        "head_rule": [e["code"] for e in v["org_type"].entries if e.get("head_rule")],
        "non_state": [e["code"] for e in v["org_type"].entries if e.get("non_state")],
        "university": [e["code"] for e in v["education"].entries if e.get("university")],
        "theory": [e["code"] for e in v["theory"].entries if e.get("intermediate_or_higher")],
    }


# --------------------------------------------------------------------------------------------
# detail aggregation
# --------------------------------------------------------------------------------------------
@cache
def full_sum_columns() -> tuple[str, ...]:
    """Columns :func:`aggregate_detail` also gives unmasked, as ``<column>__all``."""
    cols: dict[str, None] = {}
    for whole, parts, exclude in rate_parts():
        if exclude:
            for c in (whole, *parts):
                cols.setdefault(c, None)
    return tuple(cols)


def _int_array(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    values = np.asarray(values).astype(np.int64)
    mask = np.zeros(len(values), dtype=bool) if missing is None else np.asarray(missing, bool)
    return pd.arrays.IntegerArray(values, mask)


def _group_counts(
    unit: pd.Series,
    year: pd.Series,
    plain: dict[str, Any],
    flags: dict[str, tuple[Any, pd.Series]],
    sums: dict[str, pd.Series],
) -> pd.DataFrame:
    """Counts and sums per (unit_code, year): ``np.bincount`` over factorized keys.

    ``plain``: name → boolean mask counted as 0/1. ``flags``: name → (rows the flag applies
    to, nullable boolean flag), counted with the flag rule of the module docstring. ``sums``:
    name → Int64 series summed with ``min_count=1`` semantics. Rows with an empty unit or year
    are left out. Returns a frame indexed by (``unit_code``, ``year``), one row per pair that
    has rows.
    """
    names = [*plain, *flags, *sums]
    unit_codes, unit_values = pd.factorize(unit)
    years = year.to_numpy(dtype="float64", na_value=np.nan)
    ok = (unit_codes >= 0) & ~np.isnan(years)
    if not ok.any():
        index = pd.MultiIndex.from_arrays(
            [pd.Index([], dtype="str"), pd.Index([], dtype="Int64")], names=["unit_code", "year"]
        )
        return pd.DataFrame({n: pd.Series(dtype="Int64") for n in names}, index=index)
    year_codes, year_values = pd.factorize(years[ok].astype(np.int64))
    span = len(year_values)
    # dense group id over the unit × year grid: no sort, no factorize of pairs
    gid = unit_codes[ok].astype(np.int64) * span + year_codes
    n = len(unit_values) * span

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(gid[np.asarray(mask, dtype=bool)[ok]], minlength=n)

    out: dict[str, Any] = {}
    for name, mask in plain.items():
        out[name] = _int_array(count(mask))
    for name, (applies, flag) in flags.items():
        applies = np.asarray(applies, dtype=bool)
        is_true = flag.to_numpy(dtype=bool, na_value=False)
        known = ~flag.isna().to_numpy()
        n_true, n_known, n_applies = (count(applies & is_true), count(applies & known),
                                      count(applies))
        out[name] = _int_array(n_true, (n_known == 0) & (n_applies > 0))
    for name, series in sums.items():
        values = series.to_numpy(dtype="float64", na_value=np.nan)[ok]
        present = ~np.isnan(values)
        total = np.bincount(gid[present], weights=values[present], minlength=n)
        out[name] = _int_array(np.rint(total), np.bincount(gid[present], minlength=n) == 0)
    group_keys = np.arange(n)
    index = pd.MultiIndex.from_arrays(
        [pd.Index(unit_values.take(group_keys // span)).astype("str"),
         pd.Index(year_values.take(group_keys % span)).astype("Int64")],
        names=["unit_code", "year"],
    )
    frame = pd.DataFrame(out, index=index)
    return frame[np.bincount(gid, minlength=n) > 0]


_Parts = tuple[dict[str, Any], dict[str, tuple[Any, pd.Series]], dict[str, pd.Series]]


def _org_parts(orgs: pd.DataFrame) -> _Parts:
    """Row-level pieces of the organization counts (see the table of the module docstring)."""
    vs = _vocab_sets()
    rank = map_codes(orgs["rating"], vs["rank"]).to_numpy(dtype=float, na_value=np.nan)
    head_rule = orgs["org_type"].isin(vs["head_rule"]).to_numpy(dtype=bool)
    non_state = orgs["org_type"].isin(vs["non_state"]).to_numpy(dtype=bool)
    pool = orgs["candidate_pool"]
    everyone = np.ones(len(orgs), dtype=bool)
    plain = {
        "orgs_total": everyone,
        "orgs_not_rated": orgs["rating"].isin(vs["not_rated"]).to_numpy(dtype=bool),
        "orgs_excellent": rank == 1,
        "orgs_good": rank == 2,
        "orgs_completed": rank == 3,
        "orgs_failed": rank == 4,
        "orgs_head_rule": head_rule,
        "orgs_non_state": non_state,
    }
    flags = {
        "orgs_remediation": ((rank == 3) | (rank == 4), orgs["remediation_plan"]),
        "orgs_head_is_secretary": (head_rule, orgs["head_is_secretary"]),
        "orgs_owner_is_secretary": (non_state, orgs["owner_is_secretary"]),
        "orgs_candidate_pool": (everyone, pool),
        "orgs_admission_plan": (pool.to_numpy(dtype=bool, na_value=False),
                                orgs["admission_plan"]),
        "orgs_dialogue": (everyone, orgs["dialogue_held"]),
        "orgs_supervised_twice": (everyone, orgs["supervision_checks"] >= 2),
    }
    summed = [
        c for c in count_columns()
        if c in orgs.columns and c.startswith(("members_", "admissions", "new_members_",
                                               "committee_", "cells_", "inspections"))
    ]
    sums = {c: orgs[c] for c in summed}
    for whole, parts, exclude in rate_parts():
        cols = [c for c in (whole, *parts) if c in sums]
        if not exclude or len(cols) < 2:
            continue
        masks = list(rate_incomplete(orgs, whole, parts).values())
        out = np.logical_or.reduce(masks) if masks else np.zeros(len(orgs), dtype=bool)
        if out.any():  # left out of numerators and denominators alike; full sums kept
            for c in cols:
                sums.setdefault(f"{c}__all", sums[c])
                sums[c] = sums[c].mask(out)
    for c in full_sum_columns():
        if c in sums:
            sums.setdefault(f"{c}__all", sums[c])
    sums["members_non_state"] = orgs["members_total"].where(non_state, 0)
    return plain, flags, sums


def _org_counts(parts: _Parts, unit: pd.Series, year: pd.Series) -> pd.DataFrame:
    out = _group_counts(unit, year, *parts)
    out["orgs_admission_plan"] = out["orgs_admission_plan"].where(
        out["orgs_candidate_pool"].notna()
    )
    return out


def _village_parts(villages: pd.DataFrame) -> _Parts:
    members = villages["party_members"]
    everyone = np.ones(len(villages), dtype=bool)
    plain = {
        "villages_total": everyone,
        "villages_no_members": members.eq(0).to_numpy(dtype=bool, na_value=False),
        "villages_at_risk": members.isin([1, 2]).to_numpy(dtype=bool, na_value=False),
    }
    flags = {
        "villages_own_cell": (everyone, villages["own_cell"]),
        "villages_combined_cell": (everyone, villages["combined_cell"]),
        "villages_head_member": (everyone, villages["head_is_member"]),
        "villages_secretary_head": (everyone, villages["secretary_is_head"]),
    }
    return plain, flags, {}


def _official_parts(officials: pd.DataFrame) -> _Parts:
    vs = _vocab_sets()
    everyone = np.ones(len(officials), dtype=bool)
    plain = {
        "officials_total": everyone,
        "officials_university": officials["education"].isin(vs["university"]).to_numpy(bool),
        "officials_theory": officials["theory"].isin(vs["theory"]).to_numpy(bool),
    }
    return plain, {"officials_rotated": (everyone, officials["rotated"])}, {}


def _combine(parts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Outer-join the per-table aggregates on (unit_code, year); remember which tables."""
    frames = []
    for name, part in parts.items():
        if len(part):
            frames.append(part.assign(**{f"__has_{name}": True}))
    if not frames:
        return pd.DataFrame()
    out = frames[0]
    for f in frames[1:]:
        out = out.join(f, how="outer")
    flags = [c for c in out.columns if c.startswith("__has_")]
    names = [c.removeprefix("__has_") for c in flags]
    has = out[flags].fillna(False).astype(bool).to_numpy()
    # label each row by its pattern of tables, coded as bits (no per-row Python loop)
    pattern = has.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    labels = np.array([
        ",".join(name for i, name in enumerate(names) if p >> i & 1)
        for p in range(1 << len(names))
    ])
    out = out.drop(columns=flags)
    out["detail_tables"] = labels[pattern]
    return out


def _empty_summary(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {
        "unit_code": pd.Series(dtype="str"),
        "level": pd.Series(dtype="str"),
        "parent_code": pd.Series(dtype="str"),
        "year": pd.Series(dtype="Int64"),
        "source": pd.Series(dtype="str"),
    }
    cols.update({c: pd.Series(dtype="Int64") for c in count_columns()})
    cols.update({c: pd.Series(dtype="Int64" if c.endswith("__all") else "str") for c in extra})
    return pd.DataFrame(cols)


def _finish(frame: pd.DataFrame, units: pd.DataFrame, source: str | np.ndarray,
            extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Add level/parent from ``units``, all count columns (Int64) and the column order."""
    if frame.empty:
        return _empty_summary(extra)
    out = frame.reset_index()
    out["unit_code"] = out["unit_code"].astype("str")
    out["year"] = out["year"].astype("Int64")
    out["level"] = out["unit_code"].map(units["level"]).astype("str")
    out["parent_code"] = out["unit_code"].map(units["parent_code"]).astype("str")
    out["source"] = pd.Series(source, index=out.index, dtype="str")
    for c in (*count_columns(), *(e for e in extra if e.endswith("__all"))):
        out[c] = out[c].astype("Int64") if c in out.columns else pd.array(
            [pd.NA] * len(out), dtype="Int64"
        )
    return out[[*KEY_COLUMNS, *count_columns(), *extra]]


def aggregate_detail(tables: Any) -> pd.DataFrame:
    """Aggregate the detail tables alone (no ``unit_summary`` rows).

    Returns the Summary columns plus ``detail_tables`` (which detail tables contributed, e.g.
    ``"organizations,villages"``), with ``source`` = ``detail``: one row per reporting unit ×
    year and per commune × year that has detail. Validation compares this with the
    ``unit_summary`` rows; :func:`build_summary` merges the two.
    """
    units = unit_lookup(tables)
    parent = commune_parent(units)
    # code columns become categorical once: every later factorize/isin/map is then cheap
    cats = {"organizations": ["reporting_unit", "commune_code"],
            "villages": ["commune_code"], "officials": ["commune_code"]}
    orgs, villages, officials = (_with_categories(table_frame(tables, name), cols)
                                 for name, cols in cats.items())

    ru_level = map_codes(orgs["reporting_unit"], units["level"])
    ru = orgs["reporting_unit"].where(ru_level.isna() | ru_level.isin(REPORTING_LEVELS))
    org_parts = _org_parts(orgs)
    village_parts = _village_parts(villages)
    official_parts = _official_parts(officials)
    reporting = _combine({
        "organizations": _org_counts(org_parts, ru, orgs["year"]),
        "villages": _group_counts(map_codes(villages["commune_code"], parent),
                                  villages["year"], *village_parts),
        "officials": _group_counts(map_codes(officials["commune_code"], parent),
                                   officials["snapshot_year"], *official_parts),
    })

    def commune_only(codes: pd.Series) -> pd.Series:
        return codes.where(codes.isin(parent.index))

    communes = _combine({
        "organizations": _org_counts(org_parts, commune_only(orgs["commune_code"]),
                                     orgs["year"]),
        "villages": _group_counts(commune_only(villages["commune_code"]), villages["year"],
                                  *village_parts),
        "officials": _group_counts(commune_only(officials["commune_code"]),
                                   officials["snapshot_year"], *official_parts),
    })
    extra = ("detail_tables", *(f"{c}__all" for c in full_sum_columns()))
    out = pd.concat(
        [_finish(reporting, units, "detail", extra), _finish(communes, units, "detail", extra)],
        ignore_index=True,
    )
    return out


def build_summary(tables: Any, detail: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row of counts per unit × year (the Summary contract; see the module docstring).

    Parameters
    ----------
    tables : dict of DataFrame or InputData
        Typed input tables as ``analysis.data.intake`` returns them.
    detail : DataFrame, optional
        ``aggregate_detail(tables)`` when the caller has it already.

    Returns
    -------
    DataFrame
        ``unit_code, level, parent_code, year, source`` and the ``unit_summary`` count
        columns (``Int64``), sorted by level (reporting units first), unit and year.
    """
    units = unit_lookup(tables)
    detail = aggregate_detail(tables) if detail is None else detail
    counts = list(count_columns())
    is_commune_row = detail["level"].eq("commune").fillna(False).to_numpy(dtype=bool)
    rep = detail[~is_commune_row]
    communes = detail[is_commune_row]

    summ = table_frame(tables, "unit_summary")
    summ = summ[summ["unit_code"].notna() & summ["year"].notna()]
    summ = summ.drop_duplicates(["unit_code", "year"])
    level = summ["unit_code"].map(units["level"])
    summ = summ[level.isna() | level.isin(REPORTING_LEVELS)]

    merged = rep.drop(columns=["level", "parent_code", "source"]).merge(
        summ[["unit_code", "year", *counts]], on=["unit_code", "year"], how="outer",
        suffixes=("", "__s"), indicator=True,
    )
    tables_used = merged["detail_tables"].fillna("")
    for group, cols in column_groups().items():
        has_group = tables_used.str.contains(group, regex=False).to_numpy(dtype=bool)
        for c in cols:
            merged[c] = merged[c].where(has_group, merged[f"{c}__s"])
    has_org_detail = tables_used.str.contains("organizations", regex=False)
    has_summary = merged["_merge"].isin(["right_only", "both"])
    source = np.where(has_org_detail | ~has_summary, "detail", "summary")
    merged = merged[["unit_code", "year", *counts]].set_index(["unit_code", "year"])
    out = pd.concat(
        [_finish(merged, units, source),
         communes[[*KEY_COLUMNS, *counts]]],
        ignore_index=True,
    )
    order = out["level"].eq("commune").astype(int)
    out = out.assign(_o=order).sort_values(["_o", "unit_code", "year"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)
