"""The cross-check of units that send both summary rows and detail: cells compared, cells
that differ, per unit and year (what the report's data notes tell).

The comparison is the one of :func:`analysis.data.rules.check_summary_vs_detail` (which
reports each differing cell as an error): only the column groups the unit-year has detail for
are compared, a blank on either side is not compared.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.data.aggregate import column_groups
from analysis.data.schema import table_frame

__all__ = ["crosscheck_table"]

COLUMNS = ["unit_code", "year", "compared", "differing"]


def crosscheck_table(tables: Any, detail: pd.DataFrame) -> pd.DataFrame:
    """Per unit × year sent both as summary and as detail: cells compared and differing.

    Parameters
    ----------
    tables : dict of DataFrame or InputData
        Typed input tables.
    detail : DataFrame
        ``analysis.data.aggregate.aggregate_detail(tables)``.

    Returns
    -------
    DataFrame
        ``unit_code, year, compared, differing`` (ints), sorted; empty when no unit sends both.
    """
    summ = table_frame(tables, "unit_summary")
    summ = summ[summ["unit_code"].notna() & summ["year"].notna()]
    detail = detail[~detail["level"].eq("commune").fillna(False)]
    if summ.empty or detail.empty:
        return pd.DataFrame(columns=COLUMNS)
    both = summ.drop_duplicates(["unit_code", "year"]).merge(
        detail, on=["unit_code", "year"], suffixes=("", "__d"))
    if both.empty:
        return pd.DataFrame(columns=COLUMNS)
    compared = pd.Series(0, index=both.index)
    differing = pd.Series(0, index=both.index)
    for group, cols in column_groups().items():
        has = both["detail_tables"].fillna("").str.contains(group, regex=False)
        for c in cols:
            if c not in both.columns:
                continue
            d = both[f"{c}__all"] if f"{c}__all" in both else both.get(f"{c}__d")
            if d is None:
                continue
            s = both[c]
            checked = has & s.notna() & d.notna()
            compared += checked.astype(int)
            differing += (checked & (s != d).fillna(False)).astype(int)
    out = pd.DataFrame({"unit_code": both["unit_code"].astype(str),
                        "year": pd.to_numeric(both["year"]).astype(int),
                        "compared": compared.astype(int), "differing": differing.astype(int)})
    return out.sort_values(["unit_code", "year"]).reset_index(drop=True)
