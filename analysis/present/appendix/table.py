"""The printed layout of an appendix table, shared by every writer (HTML, Excel, and a Word
writer to come): numbered rows under group headings, the totals row, year headers, notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import MISSING, is_missing
from analysis.present.tables import NAME_COLUMN, REPORTING_LEVELS

__all__ = ["AppendixRow", "appendix_layout", "appendix_notes", "frame_unit", "year_header"]


@dataclass
class AppendixRow:
    """One printed row of an appendix: a group heading, a unit, or the total."""

    kind: str  # "group" | "unit" | "total"
    stt: str
    label: str
    values: list[float | str | None] = field(default_factory=list)


_ROMAN = ["I", "II", "III", "IV", "V", "VI"]


def frame_unit(frame: pd.DataFrame, unit_label: str | None = None) -> str:
    """``"percent"`` or ``"count"``: from ``frame.attrs`` or, failing that, the unit label."""
    unit = frame.attrs.get("unit")
    if unit in ("percent", "count"):
        return unit
    return "percent" if (unit_label or "").strip() == "%" else "count"


def appendix_layout(frame: pd.DataFrame) -> tuple[list[int | str], list[AppendixRow]]:
    """Years and printed rows of an appendix frame (shared by the HTML and Excel writers).

    Units are numbered 1, 2, … under Roman-numbered group headings (I. districts,
    II. sector committees) when both groups are present; the total row comes last.
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

    groups = [g for g in REPORTING_LEVELS if any(levels.get(c) == g for c in body.index)]
    use_groups = len(groups) > 1
    rows: list[AppendixRow] = []
    if use_groups:
        for gi, group in enumerate(groups):
            rows.append(AppendixRow("group", _ROMAN[gi], L.labels()["unit_groups"][group]))
            members = [c for c in body.index if levels.get(c) == group]
            for i, code in enumerate(members, start=1):
                row = body.loc[code]
                rows.append(AppendixRow("unit", str(i), str(row[NAME_COLUMN]), values_of(row)))
        others = [c for c in body.index if levels.get(c) not in groups]
        for i, code in enumerate(others, start=1):
            row = body.loc[code]
            rows.append(AppendixRow("unit", str(i), str(row[NAME_COLUMN]), values_of(row)))
    else:
        for i, (_, row) in enumerate(body.iterrows(), start=1):
            rows.append(AppendixRow("unit", str(i), str(row[NAME_COLUMN]), values_of(row)))
    for _, row in totals.iterrows():
        rows.append(AppendixRow("total", "", str(row[NAME_COLUMN]), values_of(row)))
    return year_cols, rows


def appendix_notes(
    frame: pd.DataFrame,
    unit: str,
    missing: str = f"Ô có dấu “{MISSING}”",
    total_label: str | None = None,
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
    """
    total = total_label or frame.attrs.get("total_label") or "toàn tỉnh"
    notes = []
    if unit == "percent":
        notes.append(
            f"Tỷ lệ {total} tính từ tổng tử số và tổng mẫu số của các đơn vị, "
            "không phải trung bình cộng tỷ lệ của các đơn vị."
        )
    else:
        notes.append(f"Số {total} bằng tổng số của các đơn vị.")
    part_years = frame.attrs.get("part_years") or []
    if part_years:
        notes.append(f"(*) Số liệu năm {', '.join(map(str, part_years))} chưa đủ cả năm.")
    for year, share in (frame.attrs.get("incomplete_years") or {}).items():
        units = f" (tính từ {share} đơn vị có số liệu)" if share else ""
        notes.append(f"(*) Số {total} năm {year} chưa đủ các đơn vị báo cáo{units}.")
    for code in frame.attrs.get("series_breaks") or {}:
        notes.append(L.series_break_note(code) + ".")
    notes.append(f"{missing}: không có số liệu.")
    return notes


def year_header(year: int | str, frame: pd.DataFrame) -> str:
    """``"2020*"`` for a part year or an incomplete province total, else ``"2020"``."""
    marked = set(frame.attrs.get("part_years") or []) | set(
        frame.attrs.get("incomplete_years") or {}
    )
    return f"{year}*" if year in marked else str(year)
