"""The detail against what it sums to: ``unit_summary`` cells, and rates with a part blank."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.aggregate import aggregate_detail, column_groups
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.rule_config import rate_incomplete, rate_parts
from analysis.data.rules.emit import (
    cap_of,
    cell_text,
    column_header,
    emit,
    fmt_int,
    hit_rows,
    int_or_none,
    subject_of,
)
from analysis.data.schema import table_frame
from analysis.data.units import reporting_unit_of


# --------------------------------------------------------------------------------------------
# summary rows against the detail
# --------------------------------------------------------------------------------------------
def check_summary_vs_detail(
    tables: Any, max_per_rule: int | None = None, detail: pd.DataFrame | None = None,
    refused: Iterable[tuple[str, str, int, str]] = (),
) -> list[Finding]:
    """Each ``unit_summary`` cell that differs from the aggregate of the unit's detail.

    Only the column groups the unit-year has detail for are compared (see
    ``analysis.data.aggregate``): a summary row's officials counts are not checked against a
    year without an officials snapshot. The message says how many TCCSĐ left the column
    blank (cells the reader refused, ``refused`` as in :func:`check_rate_parts`, have an
    error of their own and are not called blank).
    """
    cap = cap_of(max_per_rule)
    summ = table_frame(tables, "unit_summary")
    summ = summ[summ["unit_code"].notna() & summ["year"].notna()]
    if summ.empty:
        return []
    detail = aggregate_detail(tables) if detail is None else detail
    detail = detail[~detail["level"].eq("commune").fillna(False)]
    if detail.empty:
        return []
    both = summ.merge(detail, on=["unit_code", "year"], suffixes=("", "__d"))
    if both.empty:
        return []
    orgs = table_frame(tables, "organizations")
    refused_at = _refused_columns(orgs, refused)
    keys = pd.MultiIndex.from_arrays([both["unit_code"].astype(object),
                                      both["year"].astype(object)])
    found = []
    for group, cols in column_groups().items():
        has = both["detail_tables"].str.contains(group, regex=False).fillna(False)
        for c in cols:
            # the full sum: rate_parts leave rows out of the summary, not of the sheet's total
            s, d = both[c], both[f"{c}__all"] if f"{c}__all" in both else both[f"{c}__d"]
            differ = has & s.notna() & d.notna() & (s != d).fillna(False)
            if differ.any():
                blank = pd.Series(0, index=both.index)
                if group == "organizations" and c in orgs.columns:  # blanks the sum skipped
                    empty = orgs[c].isna() & ~refused_at.get(c, False)
                    n = empty.groupby([orgs["reporting_unit"].astype(object),
                                                orgs["year"].astype(object)]).sum()
                    blank = pd.Series(n.reindex(keys).fillna(0).to_numpy(dtype=int),
                                      index=both.index)
                found.append(hit_rows(both, differ, column=column_header("unit_summary", c),
                                      value=s, unit=both["unit_code"], year=both["year"],
                                      detail=d, blank=blank, org_header=_org_header(c)))

    def message(r: dict[str, Any]) -> str:
        text = (f"Bảng Tổng hợp ghi “{r['column']}” của “{r['unit_code']}” năm {r['year']} là "
                f"{fmt_int(r['value'])}, nhưng cộng từ số liệu chi tiết được "
                f"{fmt_int(r['detail'])}.")
        if r["blank"]:
            text += (f" Ở bảng TCCSĐ có {fmt_int(r['blank'])} TCCSĐ để trống ô "
                     f"«{r['org_header']}» (không được cộng): nếu là 0, hãy ghi số 0; nếu "
                     "chưa biết, hãy bổ sung.")
        return text

    return emit(found, "summary_detail_mismatch", ERROR, message, cap)


def _org_header(column: str) -> str:
    spec = schema.table("organizations")
    return spec.column(column).header_vi if column in spec.column_names else ""


# --------------------------------------------------------------------------------------------
# rates from the detail: a blank numerator or denominator is not a 0
# --------------------------------------------------------------------------------------------
def check_rate_parts(tables: Any, max_per_rule: int | None = None,
                     refused: Iterable[tuple[str, str, int, str]] = ()) -> list[Finding]:
    """TCCSĐ rows with a rate's numerator blank and its denominator filled, or the reverse.

    ``rate_parts`` of ``rules.yaml``; :func:`analysis.data.aggregate.rate_incomplete` says which
    rows. Where the entry has ``exclude: true`` the summary leaves those rows out of the whole
    and its parts (``analysis.data.aggregate``); each finding says so and how many TCCSĐ of the
    unit and year were left out. Where ``exclude: false`` the blank part is counted as 0, and
    the finding says that.

    Parameters
    ----------
    tables : dict of DataFrame or InputData
        Typed input tables.
    max_per_rule : int, optional
        Findings listed (default ``rules.yaml`` ``max_findings_per_rule``).
    refused : iterable of (file, sheet, row, column)
        Cells the reader refused (an error of their own, read as empty): no finding says such
        a cell was left blank. ``column`` is the header as in the file (the column's code or
        its Vietnamese header); the rows still count among those left out.
    """
    cap = cap_of(max_per_rule)
    orgs = table_frame(tables, "organizations")
    if orgs.empty:
        return []
    unit = reporting_unit_of("organizations", orgs, tables)
    refused_at = _refused_columns(orgs, refused)
    frames = []
    for whole, parts, exclude in rate_parts():
        masks = rate_incomplete(orgs, whole, parts)
        if not masks:
            continue
        any_out = np.logical_or.reduce(list(masks.values()))
        if not any_out.any():
            continue
        # a row whose whole or part was refused by the reader: that error says it all
        involved = [refused_at[c] for c in (whole, *masks) if c in refused_at]
        said = np.logical_or.reduce(involved) if involved else np.zeros(len(orgs), dtype=bool)
        masks = {p: m & ~said for p, m in masks.items()}
        key = pd.DataFrame({"u": unit.astype(object), "y": orgs["year"].astype(object)})
        n_out = key.assign(o=any_out).groupby(["u", "y"], dropna=False)["o"].transform("sum")
        whole_blank = orgs[whole].isna().to_numpy(dtype=bool)
        # the part left blank: one finding per blank cell; the whole left blank: one per row,
        # naming the first part that is filled
        first_part = pd.Series("", index=orgs.index, dtype=object)
        for part, mask in reversed(list(masks.items())):
            first_part[mask & whole_blank] = column_header("organizations", part)
        shown = np.logical_or.reduce(list(masks.values()))
        for part, mask in [*masks.items(), (None, shown & whole_blank)]:
            if part is not None:
                mask = mask & ~whole_blank
            if not mask.any():
                continue
            frames.append(hit_rows(
                orgs, mask,
                column=column_header("organizations", whole if part is None else part), value="",
                unit=unit, year=orgs["year"], subject=orgs["org_code"], table="organizations",
                whole=column_header("organizations", whole),
                part=first_part if part is None else column_header("organizations", part),
                blank_is_whole=part is None, n_out=n_out, exclude=exclude,
            ))

    def message(r: dict[str, Any]) -> str:
        filled, blank = (r["part"], r["whole"]) if r["blank_is_whole"] else (r["whole"], r["part"])
        head = f"{subject_of('organizations', r)}: ghi «{filled}» nhưng để trống «{blank}»"
        where = f"đảng bộ “{cell_text(r['unit_code'])}” năm {int_or_none(r['year'])}"
        if r["exclude"]:
            return (f"{head}. TCCSĐ này không được tính vào các tỷ lệ có mẫu số «{r['whole']}» "
                    f"(cả tử số lẫn mẫu số); {where} có {fmt_int(r['n_out'])} TCCSĐ không được "
                    "tính như vậy. Nếu ô trống nghĩa là 0, hãy ghi số 0.")
        return (f"{head}. Trong tỷ lệ «{r['part']}» trên «{r['whole']}», ô trống được tính là 0 "
                f"({where} có {fmt_int(r['n_out'])} TCCSĐ như vậy). Nếu đúng là 0, hãy ghi số "
                "0; nếu chưa biết, hãy bổ sung.")

    return emit(frames, "rate_part_blank", WARNING, message, cap)


def _refused_columns(orgs: pd.DataFrame, refused: Iterable[tuple[str, str, int, str]]
                     ) -> dict[str, np.ndarray]:
    """Column → rows of ``orgs`` whose cell in that column is among ``refused``."""
    refused = set(refused)
    if not refused or "_row" not in orgs.columns:
        return {}
    spec = schema.table("organizations")
    key = list(zip(orgs["_file"].astype(object), orgs["_sheet"].astype(object),
                   pd.to_numeric(orgs["_row"], errors="coerce"), strict=True))
    out = {}
    for c in spec.column_names:
        names = {c, spec.column(c).header_vi}
        cells = {(f, s, r) for f, s, r, col in refused if col in names}
        if cells:
            out[c] = np.array([k in cells for k in key], dtype=bool)
    return out
