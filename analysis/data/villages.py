"""Villages without party members between two years, and how each one left that state.

:func:`village_status_changes` follows each village through the years of a window (under its
new code when a crosswalk row only re-coded it) and says how it stands at the end: gained a
member, merged away, without members again ("tái trắng"), still without, missing, or newly
without. The review (``analysis.measure.review``) lists them per unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.schema import table_frame
from analysis.data.units import commune_parent, map_codes, resolved_crosswalk, unit_lookup

__all__ = ["village_status_changes"]


def _status(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), "absent", np.where(values == 0, "no_members", "has_members"))


def _recodings(crosswalk: pd.DataFrame | None, first_seen: pd.Series,
               to_year: int) -> dict[str, str]:
    """old → new for crosswalk rows that only give one village a new code (no merger).

    A row is a re-coding when its ``new_code`` has no other old code in the crosswalk and no
    rows of its own before ``effective_year`` (an absorbing neighbour keeps its code and has
    earlier rows; a merger has several old codes). Chains of re-codings are followed.
    """
    if crosswalk is None:
        return {}
    cw = table_frame({"crosswalk": crosswalk}, "crosswalk")
    cw = cw[cw["old_code"].notna() & cw["new_code"].notna() & cw["effective_year"].notna()]
    cw = cw[cw["effective_year"] <= to_year].drop_duplicates("old_code")
    if cw.empty:
        return {}
    sole = cw.groupby("new_code")["old_code"].transform("size") == 1
    seen = cw["new_code"].map(first_seen)
    fresh = seen.isna() | (seen >= cw["effective_year"]).fillna(True)
    recode = cw[sole & fresh]
    return resolved_crosswalk(recode, to_year)


def village_status_changes(
    villages: pd.DataFrame,
    crosswalk: pd.DataFrame | None,
    from_year: int,
    to_year: int,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Villages without party members between two years, and how each one stands at the end.

    A village enters the table when ``party_members`` = 0 in some year ``from_year`` ≤ y <
    ``to_year``, or when it had members in ``from_year`` and has none in ``to_year``. A village
    that only changed its code (a crosswalk row whose new code has no other old code and did
    not exist before, as when a merged commune's villages are re-coded) is followed under its
    new code; a village absorbed into a neighbour or merged with others is not.

    ``change``:

    - ``gained_member``: ≥ 1 member in ``to_year`` (under the same code or its re-coding);
    - ``merged_away``: no row in ``to_year`` and the code was merged (crosswalk,
      ``effective_year`` ≤ ``to_year``): it left the list through the merger, not an admission;
    - ``rewhitened`` ("tái trắng"): 0, later ≥ 1, and 0 again in ``to_year``;
    - ``still_without``: 0 in ``to_year`` and never ≥ 1 since its first 0;
    - ``missing``: no row in ``to_year`` and no crosswalk entry;
    - ``became_empty``: ≥ 1 in ``from_year``, never 0 before ``to_year``, 0 in ``to_year``.

    Parameters
    ----------
    villages : DataFrame
        The ``villages`` table (``year, village_code, commune_code, party_members``).
    crosswalk : DataFrame or None
        The ``crosswalk`` table.
    from_year, to_year : int
        ``from_year`` < ``to_year``.
    units : DataFrame, optional
        The ``units`` table, to fill ``unit_code`` (the commune's parent). Without it
        ``unit_code`` is taken from a ``unit_code`` column of ``villages`` if there is one.

    Returns
    -------
    DataFrame
        ``village_code, commune_code, unit_code, status_from, status_to, change`` (statuses:
        ``no_members``, ``has_members``, ``absent``), then ``members_from``, ``members_to``
        (Int64), ``code_to`` (the code in ``to_year`` after re-codings) and ``merged_into``
        (the code in force in ``to_year`` for merged villages). ``village_code`` is the first
        code of the village in the window, ``commune_code`` its latest commune. Sorted by
        ``village_code``.
    """
    from_year, to_year = int(from_year), int(to_year)
    if from_year >= to_year:
        raise ValueError("village_status_changes: from_year must be before to_year")
    cols = ["village_code", "commune_code", "unit_code", "status_from", "status_to", "change",
            "members_from", "members_to", "code_to", "merged_into"]
    v = table_frame({"villages": villages}, "villages")
    if "unit_code" in villages.columns:
        v["unit_code"] = villages["unit_code"].astype("str")
    v = v[v["village_code"].notna() & v["year"].notna()]
    first_seen = v.groupby("village_code")["year"].min()
    v = v[v["year"].between(from_year, to_year)]
    if v.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        out["members_from"] = out["members_from"].astype("Int64")
        out["members_to"] = out["members_to"].astype("Int64")
        return out
    # one identity per village: its code after re-codings (not after mergers)
    recode = _recodings(crosswalk, first_seen, to_year)
    identity = map_codes(v["village_code"], recode).astype("str") if recode else None
    v = v.assign(identity=v["village_code"] if identity is None
                 else identity.fillna(v["village_code"]))
    v = v.sort_values("year", kind="stable").drop_duplicates(["identity", "year"], keep="last")
    years = list(range(from_year, to_year + 1))
    wide = v.pivot(index="identity", columns="year", values="party_members")
    wide = wide.reindex(columns=years)
    m = wide.to_numpy(dtype=float, na_value=np.nan)
    before, last, first = m[:, :-1], m[:, -1], m[:, 0]

    zero_before = before == 0
    entered = zero_before.any(axis=1)
    became_empty = ~entered & (first >= 1) & (last == 0)
    # ≥ 1 member in a year after an earlier 0 (both before to_year)
    zeros_so_far = np.cumsum(zero_before, axis=1) - zero_before
    lifted = ((before >= 1) & (zeros_so_far > 0)).any(axis=1)

    mapping = resolved_crosswalk(crosswalk, to_year) if crosswalk is not None else {}
    identity = wide.index.to_series()
    merged_into = map_codes(identity, mapping)
    merged = merged_into.notna().to_numpy()
    absent = np.isnan(last)
    change = np.select(
        [
            entered & absent & merged,
            entered & absent,
            entered & (last >= 1),
            entered & (last == 0) & lifted,
            entered & (last == 0),
            became_empty,
        ],
        ["merged_away", "missing", "gained_member", "rewhitened", "still_without",
         "became_empty"],
        default="",
    )
    keep = change != ""
    carried = [c for c in ("village_code", "commune_code", "unit_code") if c in v.columns]
    by_identity = v.groupby("identity", sort=False)[carried]
    earliest, latest = by_identity.first(), by_identity.last()  # v is sorted by year
    kept = identity.to_numpy()[keep]
    out = pd.DataFrame({
        "village_code": earliest["village_code"].reindex(kept).to_numpy(),
        "status_from": _status(first)[keep],
        "status_to": _status(last)[keep],
        "change": change[keep],
        "members_from": pd.array(first[keep], dtype="Float64").astype("Int64"),
        "members_to": pd.array(last[keep], dtype="Float64").astype("Int64"),
        "code_to": np.where(absent[keep], None, kept),
        "merged_into": merged_into.to_numpy()[keep],
        "commune_code": latest["commune_code"].reindex(kept).to_numpy(),
    })
    if units is not None:
        parents = commune_parent(unit_lookup({"units": units}))
        out["unit_code"] = out["commune_code"].map(parents)
    elif "unit_code" in latest.columns:
        out["unit_code"] = latest["unit_code"].reindex(kept).to_numpy()
    else:
        out["unit_code"] = pd.NA
    for c in ("village_code", "commune_code", "unit_code", "status_from", "status_to", "change",
              "code_to", "merged_into"):
        out[c] = out[c].astype("str")
    return out[cols].sort_values("village_code", kind="stable").reset_index(drop=True)
