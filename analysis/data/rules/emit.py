"""The findings machinery of the rules: rows that break a rule → capped, sorted findings.

:func:`hit_rows` picks the rows of a typed table where a rule's mask holds, with the fields a
finding needs; :func:`emit` turns them into :class:`~analysis.data.findings.Finding` objects
(at most ``max_findings_per_rule`` per rule, then one ``findings_truncated`` finding).
Also the small formatters the messages share (:func:`fmt_int`, :func:`cell_text`, column
headers and vocabulary labels as the user sees them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.findings import Finding
from analysis.data.rule_config import rule_config

TRUNCATED = "findings_truncated"

SUBJECT = {
    "organizations": ("TCCSĐ", "org_code"),
    "unit_summary": ("Đảng bộ", "unit_code"),
    "villages": ("Thôn", "village_code"),
    "officials": ("Xã", "commune_code"),
}


def cap_of(max_per_rule: int | None) -> int:
    return int(max_per_rule if max_per_rule is not None else rule_config()["max_findings_per_rule"])


# --------------------------------------------------------------------------------------------
# formatting and the findings machinery
# --------------------------------------------------------------------------------------------
def fmt_int(value: Any) -> str:
    """A whole number the Vietnamese way: ``1234567`` → ``"1.234.567"``; empty → ``""``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{int(round(float(value))):,}".replace(",", ".")


def fmt_pct(num: float, den: float) -> str:
    return f"{100 * num / den:.1f}".replace(".", ",") + "%" if den else "—"


def column_header(table: str, column: str) -> str:
    return schema.table(table).column(column).header_vi


@cache
def vocabulary_labels(vocabulary: str) -> dict[str, str]:
    return {e["code"]: e["label_vi"] for e in schema.vocabularies()[vocabulary].entries}


def vocabulary_label(vocabulary: str, code: Any) -> str:
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return ""
    return vocabulary_labels(vocabulary).get(code, str(code))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) and pd.isna(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Có" if value else "Không"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def int_or_none(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)


def hit_rows(
    df: pd.DataFrame,
    mask: Any,
    *,
    column: str = "",
    value: pd.Series | None = None,
    unit: pd.Series | None = None,
    year: pd.Series | None = None,
    **extra: Any,
) -> pd.DataFrame:
    """The rows of ``df`` where ``mask`` holds, as a frame of finding fields."""
    mask = np.asarray(pd.Series(mask, index=df.index).fillna(False), dtype=bool)
    n = int(mask.sum())
    if n == 0:  # the usual case: skip building every field of no row (most of a clean run)
        return pd.DataFrame(columns=["_file", "_sheet", "_row", "column", "value", "unit_code",
                                     "year", *extra])

    def pick(v: Any, default: Any = "") -> np.ndarray:
        if v is None:
            return np.array([default] * n, dtype=object)
        if np.isscalar(v):
            return np.array([v] * n, dtype=object)
        return pd.Series(v, index=df.index)[mask].astype(object).to_numpy()

    out: dict[str, Any] = {
        "_file": pick(df["_file"] if "_file" in df else None),
        "_sheet": pick(df["_sheet"] if "_sheet" in df else None),
        "_row": pick(df["_row"] if "_row" in df else None, None),
        "column": pick(column),
        "value": pick(value),
        "unit_code": pick(unit),
        "year": pick(year, None),
    }
    for k, v in extra.items():
        out[k] = pick(v)
    return pd.DataFrame(out)


def emit(
    hits: pd.DataFrame | Iterable[pd.DataFrame],
    rule: str,
    severity: str,
    message: Callable[[dict[str, Any]], str],
    cap: int,
) -> list[Finding]:
    """Findings for the first ``cap`` hits (by file, sheet, row) and one for the rest."""
    if not isinstance(hits, pd.DataFrame):
        parts = [h for h in hits if len(h)]
        hits = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if hits.empty:
        return []
    total = len(hits)
    order = hits.assign(__r=pd.to_numeric(hits["_row"], errors="coerce"))
    order = order.sort_values(["_file", "_sheet", "__r"], na_position="last", kind="stable")
    found = [
        Finding(
            severity=severity,
            rule=rule,
            message=message(r),
            file=cell_text(r["_file"]),
            sheet=cell_text(r["_sheet"]),
            row=int_or_none(r["_row"]),
            column=cell_text(r["column"]),
            value=cell_text(r["value"]),
            unit_code=cell_text(r["unit_code"]),
            year=int_or_none(r["year"]),
        )
        for r in order.head(cap).to_dict("records")
    ]
    if total > cap:
        found.append(Finding(
            severity=severity,
            rule=TRUNCATED,
            message=(
                f"Còn {fmt_int(total - cap)} trường hợp tương tự (mã kiểm tra {rule}) không "
                f"liệt kê ở đây; tổng cộng {fmt_int(total)} trường hợp."
            ),
            value=str(total),
            extra={"rule": rule, "total": total, "omitted": total - cap},
        ))
    return found


def subject_of(table: str, r: dict[str, Any]) -> str:
    """"TCCSĐ “o1” năm 2019" — who a row is about, to start a message."""
    noun, key = SUBJECT[table]
    year = r.get("year")
    when = f" năm {int(year)}" if year is not None and not pd.isna(year) else ""
    return f"{noun} “{cell_text(r.get('subject'))}”{when}"
