"""The printed layout of an appendix table, shared by every writer (HTML, Excel, and a Word
writer to come): numbered rows under group headings, the totals row, year headers, notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import MISSING, is_missing
from analysis.present.tables import NAME_COLUMN, REPORTING_LEVELS

__all__ = [
    "COMPARISON_SUFFIX",
    "INCOMPLETE_MARK",
    "PART_YEAR_MARK",
    "AppendixRow",
    "appendix_layout",
    "appendix_notes",
    "frame_unit",
    "has_missing_cells",
    "year_header",
]

#: Footnote marks, one meaning each: a year of part-year data; a year whose total row is
#: computed from fewer units than expected.
PART_YEAR_MARK = "*"
INCOMPLETE_MARK = "†"
#: Added to the province row's label in a unit's table, where it is a comparison, not a total.
COMPARISON_SUFFIX = " (để so sánh)"


@dataclass
class AppendixRow:
    """One printed row of an appendix: a group heading, a unit, or the total."""

    kind: str  # "group" | "unit" | "total" | "comparison" (the province in a unit's table)
    stt: str
    label: str
    values: list[float | str | None] = field(default_factory=list)
    #: Percent tables of the internal build: ``(numerator, denominator)`` per year.
    counts: list[tuple[float | None, float | None]] | None = None


_ROMAN = ["I", "II", "III", "IV", "V", "VI"]


def frame_unit(frame: pd.DataFrame, unit_label: str | None = None) -> str:
    """``"percent"`` or ``"count"``: from ``frame.attrs`` or, failing that, the unit label."""
    unit = frame.attrs.get("unit")
    if unit in ("percent", "count"):
        return unit
    return "percent" if (unit_label or "").strip() == "%" else "count"


def _comparison_label(frame: pd.DataFrame) -> str:
    """``"Toàn tỉnh (để so sánh)"``: the totals row's own name, marked as a comparison."""
    total = frame.attrs.get("total_code")
    name = None
    if total in frame.index and NAME_COLUMN in frame.columns:
        name = frame.at[total, NAME_COLUMN]
    if is_missing(name):
        name = L.labels()["province_total"]
    return f"{name}{COMPARISON_SUFFIX}"


def has_missing_cells(frame: pd.DataFrame) -> bool:
    """Whether any year cell of ``frame`` is empty (printed "–")."""
    years = [c for c in frame.columns if c != NAME_COLUMN]
    return any(is_missing(v) for c in years for v in frame[c].tolist())


def appendix_layout(
    frame: pd.DataFrame, counts: Mapping[str, pd.DataFrame] | None = None
) -> tuple[list[int | str], list[AppendixRow]]:
    """Years and printed rows of an appendix frame (shared by the HTML and Excel writers).

    Units are numbered 1, 2, … under Roman-numbered group headings (I. districts,
    II. sector committees) when both groups are present; the total row comes last. In a
    unit's table (``frame.attrs["comparison"]``, set by :func:`~.frame.own_rows`) the province
    row is a comparison, not a total: kind ``"comparison"``, label "Toàn tỉnh (để so sánh)".
    ``counts`` (``{"numerator": frame, "denominator": frame}`` of a percent table, same
    index and years) fills each row's :attr:`AppendixRow.counts`.
    """
    year_cols = [c for c in frame.columns if c != NAME_COLUMN]
    levels: Mapping[str, str] = frame.attrs.get("levels") or {}
    total_code = frame.attrs.get("total_code")
    total_label = L.labels()["province_total"]
    if total_code is None or total_code not in frame.index:
        is_total = frame[NAME_COLUMN].astype(str) == total_label
    else:
        is_total = pd.Series(frame.index == total_code, index=frame.index)
    body = frame[~is_total.to_numpy()]
    totals = frame[is_total.to_numpy()]

    def values_of(row: pd.Series) -> list[float | str | None]:
        # text is a cell hidden in publishing mode ("<3", "x"; analysis.present.suppress)
        return [
            None if is_missing(row[c]) else row[c] if isinstance(row[c], str) else float(row[c])
            for c in year_cols
        ]

    def counts_of(code: str) -> list[tuple[float | None, float | None]] | None:
        if not counts:
            return None
        out = []
        for c in year_cols:
            pair = []
            for key in ("numerator", "denominator"):
                part = counts[key]
                value = part[c].get(code) if c in part.columns else None
                pair.append(None if is_missing(value) else float(value))
            out.append((pair[0], pair[1]))
        return out

    def unit_row(stt: str, code: str, row: pd.Series) -> AppendixRow:
        return AppendixRow("unit", stt, str(row[NAME_COLUMN]), values_of(row), counts_of(code))

    groups = [g for g in REPORTING_LEVELS if any(levels.get(c) == g for c in body.index)]
    use_groups = len(groups) > 1
    rows: list[AppendixRow] = []
    if use_groups:
        for gi, group in enumerate(groups):
            rows.append(AppendixRow("group", _ROMAN[gi], L.labels()["unit_groups"][group]))
            members = [c for c in body.index if levels.get(c) == group]
            for i, code in enumerate(members, start=1):
                rows.append(unit_row(str(i), code, body.loc[code]))
        others = [c for c in body.index if levels.get(c) not in groups]
        for i, code in enumerate(others, start=1):
            rows.append(unit_row(str(i), code, body.loc[code]))
    else:
        for i, (code, row) in enumerate(body.iterrows(), start=1):
            rows.append(unit_row(str(i), str(code), row))
    comparison = bool(frame.attrs.get("comparison"))
    for code, row in totals.iterrows():
        label = _comparison_label(frame) if comparison else str(row[NAME_COLUMN])
        rows.append(AppendixRow("comparison" if comparison else "total", "", label,
                                values_of(row), counts_of(str(code))))
    return year_cols, rows


def appendix_notes(
    frame: pd.DataFrame,
    unit: str,
    missing: str = f"Ô có dấu “{MISSING}”",
    total_label: str | None = None,
    with_counts: bool = False,
) -> list[str]:
    """Footnotes of an appendix table: how the total is computed, part years, series breaks,
    what an empty cell means.

    Parameters
    ----------
    frame : DataFrame
        The appendix frame (its ``attrs`` hold part years, incomplete years, series breaks).
    unit : str
        ``"percent"`` or ``"count"``.
    missing : str
        How an empty cell looks, named in the last note.
    total_label : str, optional
        The total row's scope as the sentences name it, e.g. ``"toàn quốc"``; default
        ``frame.attrs["total_label"]``, else ``"toàn tỉnh"``.
    with_counts : bool
        The table shows each rate's numerator and denominator (a note says how to read them).

    Each footnote mark has one meaning: ``*`` a year of part-year data, ``†`` a year whose
    total is computed from fewer units than expected. In a unit's table
    (``frame.attrs["comparison"]``) the first note says the province row is a comparison.
    The note on empty cells is printed only when the table has one.
    """
    total = total_label or frame.attrs.get("total_label") or "toàn tỉnh"
    notes = []
    if frame.attrs.get("comparison"):
        notes.append(
            f"Dòng “{_comparison_label(frame)}” ghi số liệu chung của {total} (tất cả các đơn "
            "vị) để so sánh, không phải dòng cộng của bảng."
        )
    if unit == "percent":
        notes.append(
            f"Tỷ lệ {total} tính từ tổng tử số và tổng mẫu số của các đơn vị, "
            "không phải trung bình cộng tỷ lệ của các đơn vị."
        )
    elif not frame.attrs.get("comparison"):
        notes.append(f"Số {total} bằng tổng số của các đơn vị.")
    if with_counts:
        notes.append("Dưới mỗi tỷ lệ là tử số/mẫu số: số đạt trên tổng số được tính.")
    part_years = frame.attrs.get("part_years") or []
    if part_years:
        notes.append(
            f"({PART_YEAR_MARK}) Số liệu năm {', '.join(map(str, part_years))} chưa đủ cả năm."
        )
    for year, share in (frame.attrs.get("incomplete_years") or {}).items():
        units = f" (tính từ {share} đơn vị có số liệu)" if share else ""
        notes.append(
            f"({INCOMPLETE_MARK}) Số {total} năm {year} chưa đủ các đơn vị báo cáo{units}."
        )
    for code in frame.attrs.get("series_breaks") or {}:
        notes.append(L.series_break_note(code) + ".")
    if has_missing_cells(frame):
        notes.append(f"{missing}: không có số liệu.")
    return notes


def year_header(year: int | str, frame: pd.DataFrame) -> str:
    """``"2020*"`` for a part year, ``"2017†"`` for an incomplete province total (both marks
    when both hold), else ``"2020"``."""
    mark = PART_YEAR_MARK if year in set(frame.attrs.get("part_years") or []) else ""
    if year in set(frame.attrs.get("incomplete_years") or {}):
        mark += INCOMPLETE_MARK
    return f"{year}{mark}"
