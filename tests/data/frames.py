"""Typed input frames built by hand, as ``analysis.data.intake`` returns them.

Shared by the tests of aggregation, rules and the property-based tests: schema columns typed
(``Int64`` years and counts, ``boolean`` yes/no, ``str`` codes, text and enum codes) and the
provenance columns filled as if the rows came from one sheet with data from row 2.
"""

from __future__ import annotations

import pandas as pd

from analysis.data import schema

NA = pd.NA


def typed(table: str, rows: list[dict], file: str = "input.xlsx") -> pd.DataFrame:
    """A frame as intake returns it: schema columns typed, provenance filled (data from row 2)."""
    spec = schema.table(table)
    data = {}
    for col in spec.columns:
        values = [NA if r.get(col.name) is None else r[col.name] for r in rows]
        if col.type in ("year", "count"):
            data[col.name] = pd.array(values, dtype="Int64")
        elif col.type == "bool":
            data[col.name] = pd.array(values, dtype="boolean")
        else:
            data[col.name] = pd.Series(values, dtype="str")
    df = pd.DataFrame(data)
    df["_file"] = pd.Series([file] * len(rows), dtype="str")
    df["_sheet"] = pd.Series([spec.title_vi] * len(rows), dtype="str")
    df["_row"] = pd.array(range(2, len(rows) + 2), dtype="Int64")
    return df


def org(**kw) -> dict:
    """An organizations row of 2019 with every required count 0 unless given."""
    base = dict(year=2019, org_form="chi_bo_co_so", members_not_rated=0, members_excellent=0,
                members_good=0, members_completed=0, members_failed=0, admissions=0)
    return {**base, **kw}
