"""The ``row_rules`` of ``rules.yaml``: sums of columns compared within a row (DHIS2 style)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.findings import Finding
from analysis.data.rule_config import rule_config
from analysis.data.rules.emit import (
    SUBJECT,
    cap_of,
    column_header,
    emit,
    fmt_int,
    hit_rows,
    subject_of,
)
from analysis.data.schema import table_frame
from analysis.data.units import reporting_unit_of


# --------------------------------------------------------------------------------------------
# row rules (rules.yaml)
# --------------------------------------------------------------------------------------------
def _term(df: pd.DataFrame, term: Any) -> pd.Series:
    """A term of a row rule as Int64: column, whole number or ``k*column``."""
    if isinstance(term, int | np.integer):
        return pd.Series(int(term), index=df.index, dtype="Int64")
    text = str(term).replace(" ", "")
    factor = 1
    if "*" in text:
        k, text = text.split("*", 1)
        factor = int(k)
    if text.lstrip("-").isdigit():
        return pd.Series(factor * int(text), index=df.index, dtype="Int64")
    return df[text].astype("Int64") * factor


def _side(df: pd.DataFrame, terms: list[Any]) -> pd.Series:
    total = _term(df, terms[0])
    for t in terms[1:]:
        total = total + _term(df, t)
    return total


_OPS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def check_row_rules(
    tables: Any, rules: list[dict[str, Any]] | None = None, max_per_rule: int | None = None
) -> list[Finding]:
    """Check every ``row_rules`` entry of ``rules.yaml`` (or ``rules``) on its tables."""
    cap = cap_of(max_per_rule)
    rules = rule_config()["row_rules"] if rules is None else rules
    hits: dict[str, list[pd.DataFrame]] = {}
    meta: dict[str, str] = {}
    frames = {t: table_frame(tables, t) for t in {t for rule in rules for t in rule["tables"]}}
    units_of: dict[str, pd.Series] = {}
    for rule in rules:
        for table in rule["tables"]:
            df = frames[table]
            if df.empty:
                continue
            left, right = _side(df, rule["left"]), _side(df, rule["right"])
            broken = ~_OPS[rule["op"]](left, right).fillna(True)
            if not broken.any():
                continue
            column = rule.get("column") or str(rule["left"][0]).split("*")[-1]
            year_col = "snapshot_year" if table == "officials" else "year"
            subject_col = SUBJECT[table][1]
            if table not in units_of:
                units_of[table] = reporting_unit_of(table, df, tables)
            frame = hit_rows(
                df, broken, column=column_header(table, column), value=df[column],
                unit=units_of[table], year=df[year_col], left=left, right=right,
                subject=df[subject_col], table=table, template=rule["message_vi"],
            )
            hits.setdefault(rule["id"], []).append(frame)
            meta[rule["id"]] = rule["severity"]

    def message(r: dict[str, Any]) -> str:
        left, right = r["left"], r["right"]
        body = r["template"].format(
            left=fmt_int(left), right=fmt_int(right), diff=fmt_int(abs(int(left) - int(right))),
            column_vi=r["column"],
        )
        return f"{subject_of(r['table'], r)}: {body}"

    out: list[Finding] = []
    for rule_id, frames in hits.items():
        out += emit(frames, rule_id, meta[rule_id], message, cap)
    return out
