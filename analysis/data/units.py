"""Reporting units and their codes: the one home of unit levels and code look-ups.

Everything that looks a code up in the ``units`` or ``crosswalk`` tables is here: validation
(``analysis.data.rules``), the summary (``analysis.data.aggregate``) and the village changes
(``analysis.data.villages``) ask this module.

- :func:`code_mapper`, :func:`map_codes`: ``codes.map(lookup)`` through the distinct codes;
- :func:`unit_lookup`, :func:`commune_parent`, :func:`reporting_unit_of`: the unit list;
- :func:`merged_codes`, :func:`resolved_crosswalk`, :func:`crosswalk_cycles`,
  :func:`harmonise_to`: the crosswalk (codes onto one year's boundaries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.schema import table_frame

__all__ = [
    "PROVINCE_LEVEL",
    "REPORTING_LEVELS",
    "code_mapper",
    "commune_parent",
    "crosswalk_cycles",
    "harmonise_to",
    "map_codes",
    "merged_codes",
    "reporting_unit_of",
    "resolved_crosswalk",
    "unit_lookup",
]

#: The levels of the units that report to the province (each sends its own workbook), in the
#: order tables list them: the districts, then the sector party committees.
REPORTING_LEVELS = ("district", "sector")
#: The level of a province's total row (and of the reporting units of the national report).
PROVINCE_LEVEL = "province"


# --------------------------------------------------------------------------------------------
# codes mapped through a look-up
# --------------------------------------------------------------------------------------------
def code_mapper(codes: pd.Series) -> Callable[[pd.Series | Mapping[str, Any]], pd.Series]:
    """Factorize ``codes`` once; the returned function maps them through any lookup.

    ``code_mapper(s)(lookup)`` equals ``s.map(lookup)`` but hashes each distinct code once,
    which matters on long columns of few codes mapped through several lookups.
    """
    positions, distinct = pd.factorize(codes)
    distinct = pd.Series(np.asarray(distinct, dtype=object))
    present = positions >= 0
    take = np.where(present, positions, 0)

    def apply(mapping: pd.Series | Mapping[str, Any]) -> pd.Series:
        if len(distinct) == 0:
            return pd.Series(np.nan, index=codes.index, dtype=object)
        out = distinct.map(mapping).take(take)
        out.index = codes.index
        return out.where(present)

    return apply


def map_codes(codes: pd.Series, mapping: pd.Series | Mapping[str, Any]) -> pd.Series:
    """``codes.map(mapping)`` through the distinct codes (fast on long columns of few codes)."""
    return code_mapper(codes)(mapping)


# --------------------------------------------------------------------------------------------
# the unit list
# --------------------------------------------------------------------------------------------
def unit_lookup(tables: Any) -> pd.DataFrame:
    """``units`` indexed by ``code`` (first row of a duplicated code wins)."""
    units = table_frame(tables, "units")
    units = units[units["code"].notna()].drop_duplicates("code")
    return units.set_index("code")


def commune_parent(units: pd.DataFrame) -> pd.Series:
    """Commune code → its reporting unit, from :func:`unit_lookup`'s frame."""
    communes = units[units["level"] == "commune"]
    return communes["parent_code"]


def reporting_unit_of(table: str, df: pd.DataFrame, tables: Any) -> pd.Series:
    """The reporting unit of each row of ``df`` (typed table ``table`` of the input).

    ``organizations`` and ``unit_summary`` name it; ``villages`` and ``officials`` rows get
    their commune's parent.
    """
    if table == "organizations":
        return df["reporting_unit"]
    if table == "unit_summary":
        return df["unit_code"]
    return map_codes(df["commune_code"], commune_parent(unit_lookup(tables)))


# --------------------------------------------------------------------------------------------
# the crosswalk (mergers of units)
# --------------------------------------------------------------------------------------------
def merged_codes(tables: Any) -> pd.DataFrame:
    """``crosswalk`` indexed by ``old_code``: ``new_code, effective_year`` (first row wins)."""
    cw = table_frame(tables, "crosswalk")
    cw = cw[cw["old_code"].notna() & cw["effective_year"].notna()]
    return cw.drop_duplicates("old_code").set_index("old_code")[["new_code", "effective_year"]]


def _chain_ends(step: Mapping[str, str]) -> dict[str, str]:
    """old code → where its chain of steps (old → new → newer …) stops.

    A chain stops at a code with no step of its own, or before a code it has already seen
    (a cycle: the end is then the code the chain came back to). Loops over the crosswalk
    (hundreds of codes), not over data rows.
    """
    ends: dict[str, str] = {}
    for old in step:
        seen = {old}
        code = step[old]
        while code in step and code not in seen:
            seen.add(code)
            code = step[code]
        ends[old] = code
    return ends


def resolved_crosswalk(crosswalk: pd.DataFrame, boundary_year: int) -> dict[str, str]:
    """old code → code in force in ``boundary_year`` (chains followed, cycles stopped)."""
    cw = table_frame({"crosswalk": crosswalk}, "crosswalk")
    cw = cw[cw["old_code"].notna() & cw["new_code"].notna() & cw["effective_year"].notna()]
    cw = cw[cw["effective_year"] <= boundary_year].drop_duplicates("old_code")
    return _chain_ends(dict(zip(cw["old_code"], cw["new_code"], strict=True)))


def crosswalk_cycles(cw: pd.DataFrame) -> set[str]:
    """Old codes of the typed ``crosswalk`` whose merger chain comes back to themselves."""
    both = cw[cw["old_code"].notna() & cw["new_code"].notna()].drop_duplicates("old_code")
    step = dict(zip(both["old_code"], both["new_code"], strict=True))
    return {old for old, end in _chain_ends(step).items() if end == old}


def harmonise_to(
    frame: pd.DataFrame,
    crosswalk: pd.DataFrame,
    code_col: str,
    year_col: str | None = "year",
    boundary_year: int | None = None,
) -> pd.DataFrame:
    """Put ``frame[code_col]`` onto the unit codes in force in ``boundary_year``.

    Every crosswalk row with ``effective_year`` ≤ ``boundary_year`` maps its ``old_code`` to
    its ``new_code``; chains (a → b in 2019, b → c in 2020) are followed to the end. Codes are
    never reused, so the mapping depends on the code alone: ``year_col`` is not needed to
    map and is only checked to exist (so a caller cannot pass the arguments in the wrong
    order unnoticed). A unit created after ``boundary_year`` cannot be split back and keeps
    its code.

    Returns
    -------
    DataFrame
        A copy with ``code_col`` replaced and the code as read kept in ``original_code``
        (kept from a first call when harmonised twice).
    """
    if boundary_year is None:
        raise TypeError("harmonise_to: boundary_year is required")
    if year_col is not None and year_col not in frame.columns:
        raise KeyError(f"harmonise_to: no column {year_col!r}")
    mapping = resolved_crosswalk(crosswalk, int(boundary_year))
    out = frame.copy()
    codes = out[code_col]
    if "original_code" not in out.columns:
        out["original_code"] = codes
    if mapping:
        out[code_col] = codes.map(mapping).fillna(codes).astype(codes.dtype)
    return out
