"""Styled tables for the reports (pandas Styler → HTML) and the appendix tables.

Escaping: every string that comes from data (unit and indicator names, notes, codes) goes
through :func:`html.escape` before it reaches the HTML; the markup this module adds (verdict
badges, arrows) is built from fixed texts. The Styler is created with ``escape=None`` because
its cells already hold safe HTML; a test renders a unit named ``<script>…</script>`` as text.

Tables carry a fixed ``uuid`` so that the same data gives the same HTML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import (
    MISSING,
    fmt_number,
    fmt_value,
    is_missing,
)

__all__ = [
    "AppendixRow",
    "DEFAULT_SOURCE_VI",
    "appendix_frame",
    "appendix_html",
    "appendix_layout",
    "appendix_notes",
    "frame_unit",
    "heat_table",
    "indicator_sort_key",
    "process_table",
    "scorecard_table",
    "year_header",
]

NAME_COLUMN = "Đơn vị"
DEFAULT_SOURCE_VI = (
    "Nguồn: Báo cáo thống kê, kết quả đánh giá, xếp loại của các huyện ủy, thành ủy, "
    "đảng ủy trực thuộc Tỉnh ủy; Ban Tổ chức Tỉnh ủy tổng hợp, tính toán."
)
_NO_BREAKDOWN = {"", "total", "all", "tong", "tổng", "none"}
_REPORTING_LEVELS = ("district", "sector")

_TABLE_CSS = [
    {"selector": "", "props": "border-collapse:collapse;font-size:0.9em;margin:0.5em 0;"},
    {
        "selector": "caption",
        "props": "caption-side:top;text-align:left;font-weight:bold;padding-bottom:0.3em;",
    },
    {
        "selector": "th",
        "props": "border:0.5pt solid #808080;padding:0.2em 0.4em;"
        "background-color:#F2F2F2;text-align:center;"
        "vertical-align:middle;",
    },
    {
        "selector": "td",
        "props": "border:0.5pt solid #808080;padding:0.2em 0.4em;vertical-align:middle;",
    },
]


# --------------------------------------------------------------------------- helpers
def _esc(value: Any) -> str:
    """Escaped text of a data value (missing → en dash)."""
    return MISSING if is_missing(value) else html.escape(str(value), quote=True)


def indicator_sort_key(indicator_id: str) -> tuple[str, int, str]:
    """Natural order of catalogue ids: T1 < T2 < T3a < T3b < … < P9b < P10a."""
    match = re.match(r"^([A-Za-z]+)(\d+)(.*)$", str(indicator_id))
    if not match:
        return (str(indicator_id), 0, "")
    return (match.group(1), int(match.group(2)), match.group(3))


def _no_breakdown(df: pd.DataFrame) -> pd.DataFrame:
    if "breakdown" not in df.columns:
        return df
    key = df["breakdown"].astype("string").fillna("").str.strip().str.lower()
    return df[key.isin(_NO_BREAKDOWN)]


def _meta(indicators: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """``indicator_id`` → name_vi, unit, polarity, target_op/value/kind (first row)."""
    if indicators is None or indicators.empty:
        return {}
    columns = [
        c
        for c in ("name_vi", "unit", "polarity", "target_op", "target_value", "target_kind")
        if c in indicators.columns
    ]
    first = indicators.drop_duplicates("indicator_id").set_index("indicator_id")[columns]
    return {
        str(k): {c: (None if is_missing(v) else v) for c, v in row.items()}
        for k, row in first.iterrows()
    }


def _value_text(value: Any, unit: str | None, noun: str = "") -> str:
    if is_missing(value):
        return MISSING
    if unit in ("percent", "count"):
        return fmt_value(value, unit, noun)
    return fmt_number(value, 1)


def _ordered_units(codes: Iterable[str], unit_names: Mapping[str, str]) -> list[str]:
    codes = list(dict.fromkeys(str(c) for c in codes))
    known = [c for c in unit_names if c in codes]
    return known + sorted(c for c in codes if c not in unit_names)


#: Column classes of the styled tables (rules scoped to the table by its uuid).
_CLASS_CSS = {
    "num": "text-align:right;white-space:nowrap;",
    "centre": "text-align:center;",
}


def cell_classes(
    frame: pd.DataFrame,
    numeric: Iterable[str] = (),
    centre: Iterable[str] = (),
    cell_css: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Per-cell class names for ``Styler.set_td_classes`` and the table-style rules they need.

    ``numeric``/``centre`` columns get class ``num``/``centre``; each distinct declaration
    block of ``cell_css`` (same shape as ``frame``, ``""`` = none) becomes one class ``s0``,
    ``s1``… (in order of first use). Class rules instead of the Styler's one ``id`` per styled
    cell keep the HTML small and the stylesheet short (a PDF renderer matches every rule
    against every cell); the look is the same.
    """
    columns = list(frame.columns)
    grid = np.full((len(frame), len(columns)), "", dtype=object)
    numeric, centre = set(numeric), set(centre)
    for j, column in enumerate(columns):
        if column in centre:
            grid[:, j] = "centre"
        elif column in numeric:
            grid[:, j] = "num"
    rules: list[dict[str, str]] = []
    if cell_css is not None:
        names: dict[str, str] = {}
        values = cell_css.reindex(index=frame.index, columns=columns).to_numpy(dtype=object)
        for i, j in zip(*np.nonzero(values != ""), strict=True):
            css = values[i, j]
            if not isinstance(css, str) or not css.strip():
                continue
            if css not in names:
                names[css] = f"s{len(names)}"
                rules.append({"selector": f"td.{names[css]}", "props": css})
            grid[i, j] = f"{grid[i, j]} {names[css]}".strip()
    classes = pd.DataFrame(grid, index=frame.index, columns=frame.columns)
    return classes, rules


def _styler(
    frame: pd.DataFrame,
    uuid: str,
    caption: str | None,
    numeric: Sequence[str],
    centre: Sequence[str] = (),
    cell_css: pd.DataFrame | None = None,
):
    styler = frame.style
    styler.set_uuid(re.sub(r"[^A-Za-z0-9_]", "_", uuid))
    styler.cell_ids = False
    styler.hide(axis="index")
    classes, rules = cell_classes(frame, numeric, centre, cell_css)
    used = {c for value in classes.to_numpy().ravel() for c in str(value).split()}
    column_rules = [
        {"selector": f"td.{name}", "props": css} for name, css in _CLASS_CSS.items() if name in used
    ]
    styler.set_table_styles([*_TABLE_CSS, *column_rules, *rules])
    styler.set_td_classes(classes)
    if caption:
        styler.set_caption(caption)
    return styler


def _progress_index(
    progress: pd.DataFrame | None, unit_codes: Iterable[str] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """``(indicator_id, unit_code)`` → the first progress row (a dict), for ``unit_codes``
    (default all): one pass instead of a filter of the whole frame per cell."""
    if progress is None or progress.empty:
        return {}
    units = progress["unit_code"].astype(str)
    frame = progress
    if unit_codes is not None:
        keep = units.isin({str(c) for c in unit_codes}).to_numpy()
        frame, units = progress[keep], units[keep]
    keys = zip(frame["indicator_id"].astype(str).tolist(), units.tolist(), strict=True)
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for key, record in zip(keys, frame.to_dict("records"), strict=True):
        index.setdefault(key, record)
    return index


def _progress_row(progress: pd.DataFrame | None, indicator_id: str, unit_code: str):
    return _progress_index(progress, [unit_code]).get((str(indicator_id), str(unit_code)))


def _get(row: Any, key: str) -> Any:
    if row is None:
        return None
    value = row.get(key) if hasattr(row, "get") else None
    return None if is_missing(value) else value


def _target_cell(op: Any, value: Any, kind: Any, year: Any, unit: str, noun: str) -> str:
    if op is None or value is None:
        return MISSING
    text = L.target_text(str(op), value, unit, noun)
    when = L.target_kind_text(kind, year)
    return html.escape(f"{text} {when}".strip())


def _verdict_cell(row: Any) -> str:
    if row is None:
        return MISSING
    cell = L.verdict_badge_html(_get(row, "verdict"))
    met, assessed = _get(row, "years_met"), _get(row, "years_assessed")
    if _get(row, "target_kind") == "every_year" and assessed:
        cell += f'<br><span style="font-size:0.85em">{int(met or 0)}/{int(assessed)} năm đạt</span>'
    return cell


def _unit_values(indicators: pd.DataFrame, unit_code: str) -> pd.DataFrame:
    df = indicators[(indicators["unit_code"].astype(str) == str(unit_code)).to_numpy()]
    return _no_breakdown(df)


def _by_indicator_year(rows: pd.DataFrame) -> dict[str, dict[float, dict[str, Any]]]:
    """``indicator_id`` → year → the first row of that year (a dict)."""
    out: dict[str, dict[float, dict[str, Any]]] = {}
    if rows.empty:
        return out
    ids = rows["indicator_id"].astype(str).tolist()
    years = pd.to_numeric(rows["year"], errors="coerce").tolist()
    for ident, year, record in zip(ids, years, rows.to_dict("records"), strict=True):
        if not is_missing(year):
            out.setdefault(ident, {}).setdefault(year, record)
    return out


def _year_cells(
    rows: pd.DataFrame | Mapping[float, Mapping[str, Any]],
    years: Sequence[int],
    unit: str,
    noun: str,
) -> list[str]:
    if isinstance(rows, pd.DataFrame):
        rows = next(iter(_by_indicator_year(rows.assign(indicator_id="")).values()), {})
    cells = []
    for year in years:
        row = rows.get(year)
        if row is None:
            cells.append(MISSING)
            continue
        text = html.escape(_value_text(_get(row, "value"), unit, noun))
        if (bool(_get(row, "partial")) or bool(_get(row, "partial_year"))) and text != MISSING:
            text += "*"
        cells.append(text)
    return cells


def _notes(rows: pd.DataFrame) -> list[str]:
    notes = []
    flags = [c for c in ("partial", "partial_year") if c in rows.columns]
    if any(rows[c].astype("boolean").fillna(False).any() for c in flags):
        notes.append("* Số liệu chưa đầy đủ.")
    if "series_break" in rows.columns:
        codes = sorted({c for v in rows["series_break"] for c in L.series_break_codes(v)})
        notes += [L.series_break_note(c) + "." for c in codes]
    return notes


def _caption(title: str | None, notes: Sequence[str]) -> str | None:
    parts = []
    if title:
        parts.append(html.escape(title))
    if notes:
        parts.append(
            '<br><span style="font-weight:normal;font-size:0.85em">'
            + " ".join(html.escape(n) for n in notes)
            + "</span>"
        )
    return "".join(parts) or None


# --------------------------------------------------------------------------- scorecard
def scorecard_table(
    indicators: pd.DataFrame,
    progress: pd.DataFrame,
    unit_code: str,
    years: Sequence[int],
    *,
    indicator_ids: Sequence[str] | None = None,
    baseline_year: int | None = None,
    title_vi: str | None = None,
):
    """The targets (T1–T7) of one unit: value by year, target, verdict.

    Columns: Mã, Chỉ tiêu, Năm gốc <baseline>, one per year, Mới nhất (value and year),
    Mục tiêu (``≥ 90% hằng năm``), Đánh giá (coloured badge with symbol and word, and the
    years met for a yearly target). Returns a pandas ``Styler`` (``.to_html()`` for HTML).
    """
    unit_code = str(unit_code)
    meta = _meta(indicators)
    rows_of_unit = _unit_values(indicators, unit_code)
    if indicator_ids is None:
        present = set(rows_of_unit["indicator_id"].astype(str))
        if progress is not None and not progress.empty:
            present |= set(
                progress.loc[progress["unit_code"].astype(str) == unit_code, "indicator_id"].astype(
                    str
                )
            )
        indicator_ids = sorted((i for i in present if i.startswith("T")), key=indicator_sort_key)
    if baseline_year is None and progress is not None and "baseline_year" in progress.columns:
        found = pd.to_numeric(progress["baseline_year"], errors="coerce").dropna()
        baseline_year = int(found.mode().iloc[0]) if len(found) else None
    shown_years = [int(y) for y in years if baseline_year is None or int(y) != baseline_year]
    base_col = f"Năm gốc {baseline_year}" if baseline_year else "Năm gốc"
    year_cols = [str(y) for y in shown_years]
    columns = ["Mã", "Chỉ tiêu", base_col, *year_cols, "Mới nhất", "Mục tiêu", "Đánh giá"]

    records = []
    by_year = _by_indicator_year(rows_of_unit)
    progress_of = _progress_index(progress, [unit_code])
    for ident in indicator_ids:
        info = meta.get(ident, {})
        rows = by_year.get(ident, {})
        prog = progress_of.get((ident, unit_code))
        unit = info.get("unit") or "percent"
        noun = L.count_noun(ident) if unit == "count" else ""
        base_value = _get(prog, "baseline_value")
        if base_value is None and baseline_year is not None:
            base_value = _get(rows.get(baseline_year), "value")
        latest, latest_year = _get(prog, "latest_value"), _get(prog, "latest_year")
        latest_text = html.escape(_value_text(latest, unit, noun))
        if latest is not None and latest_year is not None:
            latest_text += f" ({int(latest_year)})"
        target = _target_cell(
            _get(prog, "target_op") or info.get("target_op"),
            _get(prog, "target_value") if prog is not None else info.get("target_value"),
            _get(prog, "target_kind") or info.get("target_kind"),
            _get(prog, "target_year"),
            unit,
            noun,
        )
        records.append(
            [
                _esc(ident),
                _esc(info.get("name_vi") or ident),
                html.escape(_value_text(base_value, unit, noun)),
                *_year_cells(rows, shown_years, unit, noun),
                latest_text,
                target,
                _verdict_cell(prog),
            ]
        )
    frame = pd.DataFrame(records, columns=columns)
    numeric = [base_col, *year_cols, "Mới nhất"]
    styler = _styler(
        frame, f"scorecard_{unit_code}", _caption(title_vi, _notes(rows_of_unit)), numeric
    )
    return styler


# --------------------------------------------------------------------------- heat table
def heat_table(
    progress: pd.DataFrame,
    unit_names: Mapping[str, str],
    indicator_ids: Sequence[str],
    *,
    indicators: pd.DataFrame | None = None,
    title_vi: str | None = None,
):
    """Units (rows, in ``unit_names`` order) × indicators (columns), each cell the latest
    value with the verdict symbol on a light tint of the verdict colour.

    ``indicators`` (optional) gives each indicator's unit for formatting and its name for the
    legend under the title.
    """
    meta = _meta(indicators)
    ids = [str(i) for i in indicator_ids]
    units = _ordered_units(progress["unit_code"].astype(str), unit_names)
    progress_of = _progress_index(progress)
    records, fills = [], []
    for code in units:
        row_cells, row_fill = [_esc(unit_names.get(code, code))], [""]
        for ident in ids:
            prog = progress_of.get((ident, code))
            if prog is None:
                row_cells.append(MISSING)
                row_fill.append("")
                continue
            unit = meta.get(ident, {}).get("unit")
            verdict = _get(prog, "verdict")
            value = html.escape(
                _value_text(
                    _get(prog, "latest_value"), unit, L.count_noun(ident) if unit == "count" else ""
                )
            )
            row_cells.append(f"{value} {L.verdict_symbol(verdict)}")
            row_fill.append(f"background-color:{L.tint(L.verdict_colour(verdict), 0.45)};")
        records.append(row_cells)
        fills.append(row_fill)
    columns = [NAME_COLUMN, *[html.escape(i) for i in ids]]
    frame = pd.DataFrame(records, columns=columns)
    css = pd.DataFrame(fills, columns=columns, index=frame.index)
    legend = " · ".join(L.verdict_label(v) for v in L.VERDICTS)
    names = [f"{i}: {meta[i]['name_vi']}" for i in ids if meta.get(i, {}).get("name_vi")]
    return _styler(
        frame,
        "heat_" + "_".join(ids),
        _caption(title_vi, [legend, *names]),
        columns[1:],
        cell_css=css,
    )


# --------------------------------------------------------------------------- process table
def process_table(
    indicators: pd.DataFrame,
    progress: pd.DataFrame | None,
    unit_code: str,
    *,
    years: Sequence[int] | None = None,
    indicator_ids: Sequence[str] | None = None,
    title_vi: str | None = None,
):
    """Process indicators (P…) of one unit: values by year, a direction arrow coloured good/bad
    by polarity (from ``progress.trend_direction`` when given, else last minus first year),
    the target and the verdict where the indicator has a target."""
    unit_code = str(unit_code)
    meta = _meta(indicators)
    rows_of_unit = _unit_values(indicators, unit_code)
    if indicator_ids is None:
        indicator_ids = sorted(
            {i for i in rows_of_unit["indicator_id"].astype(str) if i.startswith("P")},
            key=indicator_sort_key,
        )
    if years is None:
        years = sorted(
            pd.to_numeric(rows_of_unit["year"], errors="coerce")
            .dropna()
            .astype(int)
            .unique()
            .tolist()
        )
    years = [int(y) for y in years]
    columns = ["Mã", "Nội dung", *[str(y) for y in years], "Xu hướng", "Mục tiêu", "Đánh giá"]
    records = []
    by_year = _by_indicator_year(rows_of_unit)
    progress_of = _progress_index(progress, [unit_code])
    for ident in indicator_ids:
        info = meta.get(ident, {})
        rows = by_year.get(ident, {})
        unit = info.get("unit") or "percent"
        noun = L.count_noun(ident) if unit == "count" else ""
        prog = progress_of.get((ident, unit_code))
        change: Any = _get(prog, "trend_direction")
        if change is None:
            values = [_number(rows[y].get("value")) for y in sorted(y for y in rows if y in years)]
            values = [v for v in values if v is not None]
            change = values[-1] - values[0] if len(values) > 1 else None
        arrow = L.direction(change, info.get("polarity") or "higher")
        has_target = info.get("target_op") is not None or _get(prog, "target_op") is not None
        records.append(
            [
                _esc(ident),
                _esc(info.get("name_vi") or ident),
                *_year_cells(rows, years, unit, noun),
                arrow.html() if arrow.arrow else MISSING,
                _target_cell(
                    _get(prog, "target_op") or info.get("target_op"),
                    _get(prog, "target_value") if prog is not None else info.get("target_value"),
                    _get(prog, "target_kind") or info.get("target_kind"),
                    _get(prog, "target_year"),
                    unit,
                    noun,
                )
                if has_target
                else MISSING,
                _verdict_cell(prog) if prog is not None and has_target else MISSING,
            ]
        )
    frame = pd.DataFrame(records, columns=columns)
    return _styler(
        frame,
        f"process_{unit_code}",
        _caption(title_vi, _notes(rows_of_unit)),
        [str(y) for y in years],
        centre=["Xu hướng"],
    )


def _number(value: Any) -> float | None:
    """``value`` as a float (``pd.to_numeric(errors="coerce")`` of one value), None if not."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


# --------------------------------------------------------------------------- appendix frame
def appendix_frame(
    indicators: pd.DataFrame,
    indicator_id: str,
    unit_names: Mapping[str, str],
    years: Sequence[int] | None = None,
    *,
    part_years: Iterable[int] = (),
) -> pd.DataFrame:
    """One indicator for every reporting unit and year, ready for an appendix table.

    Rows are the districts then the sector committees (each group in ``unit_names`` order),
    indexed by ``unit_code``, with the name in column ``"Đơn vị"`` and one numeric column per
    year (``int`` labels); the last row is ``"Toàn tỉnh"``: the PROVINCE row of the indicators
    frame. For a percent that is the pooled value (Σ numerators / Σ denominators), never a
    mean of the rows; for a count it is the province count, which must equal the sum of the
    rows (a mismatch raises ``ValueError``). A unit-year without a row is left empty.

    ``part_years`` are years holding part-year data (an assessment's ``partial_years``, e.g.
    2020 in the final review); they are marked ``*`` and explained in a note, as are years whose
    province row is ``partial`` (computed from fewer units than expected).

    ``frame.attrs`` carries ``indicator_id, name_vi, unit, noun, levels, total_code,
    incomplete_years ({year: "9/10"}), part_years, series_breaks`` for :func:`appendix_html`
    and the Excel writer.
    """
    df = _no_breakdown(indicators)
    df = df[df["indicator_id"].astype(str) == str(indicator_id)].copy()
    if df.empty:
        raise ValueError(f"Không có số liệu của chỉ tiêu {indicator_id}.")
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    df = df[df["year"].notna()]
    df["year"] = df["year"].astype(int)
    if years is None:
        years = sorted(df["year"].unique().tolist())
    years = [int(y) for y in years]
    df = df[df["year"].isin(years)]
    level = df["level"].astype("string").fillna("")
    unit = _first_value(df, "unit") or "percent"
    values = pd.to_numeric(df["value"], errors="coerce").astype(float)
    df["_value"] = values

    duplicated = df[level.isin([*_REPORTING_LEVELS, "province"])].duplicated(["unit_code", "year"])
    if duplicated.any():
        dup = df[level.isin([*_REPORTING_LEVELS, "province"])][duplicated].iloc[0]
        raise ValueError(
            f"Chỉ tiêu {indicator_id}: trùng số liệu của {dup['unit_code']} năm {dup['year']}."
        )

    units = df[level.isin(_REPORTING_LEVELS)]
    order = []
    levels: dict[str, str] = {}
    for group in _REPORTING_LEVELS:
        codes = units.loc[units["level"] == group, "unit_code"].astype(str)
        for code in _ordered_units(codes, unit_names):
            order.append(code)
            levels[code] = group
    table = units.pivot(index="unit_code", columns="year", values="_value").reindex(
        index=order, columns=years
    )
    table.index = table.index.astype(str)

    province = df[level == "province"]
    total_code = str(province["unit_code"].iloc[0]) if len(province) else "province"
    total = province.set_index("year")["_value"].reindex(years)
    with_data = [y for y in years if table[y].notna().any()]
    missing = [y for y in with_data if pd.isna(total[y])]
    if missing:
        raise ValueError(
            f"Chỉ tiêu {indicator_id}: thiếu dòng toàn tỉnh năm {', '.join(map(str, missing))}."
        )
    if unit == "count":
        sums = table.sum(axis=0, min_count=1)
        bad = [y for y in with_data if not np.isclose(sums[y], total[y], rtol=0, atol=1e-9)]
        if bad:
            detail = "; ".join(
                f"năm {y}: tổng các đơn vị {fmt_number(sums[y])}, toàn tỉnh {fmt_number(total[y])}"
                for y in bad
            )
            raise ValueError(
                f"Chỉ tiêu {indicator_id}: tổng các đơn vị khác số toàn tỉnh ({detail})."
            )

    frame = table.copy()
    frame.insert(0, NAME_COLUMN, [unit_names.get(c, c) for c in table.index])
    frame.loc[total_code] = [L.labels()["province_total"], *total.to_numpy(dtype=float)]
    for y in years:
        frame[y] = frame[y].astype(float)
    frame.index.name = "unit_code"
    frame.columns.name = None
    # a partial province row: computed from fewer units than expected (indicators contract)
    incomplete: dict[int, str] = {}
    if "partial" in province.columns:
        is_partial = province["partial"].astype("boolean").fillna(False).astype(bool)
        for _, row in province[is_partial.to_numpy()].iterrows():
            reporting, expected = row.get("units_reporting"), row.get("units_expected")
            if not is_missing(reporting) and not is_missing(expected):
                incomplete[int(row["year"])] = f"{int(reporting)}/{int(expected)}"
            else:
                incomplete[int(row["year"])] = ""
    breaks: dict[str, int | None] = {}
    if "series_break" in df.columns:
        for code in sorted({c for v in df["series_break"] for c in L.series_break_codes(v)}):
            breaks[code] = L.series_break_year(code)
    frame.attrs = {
        "indicator_id": str(indicator_id),
        "name_vi": _first_value(df, "name_vi") or str(indicator_id),
        "unit": unit,
        "noun": L.count_noun(indicator_id) if unit == "count" else "",
        "levels": levels,
        "total_code": total_code,
        "incomplete_years": dict(sorted(incomplete.items())),
        "part_years": sorted(
            {int(y) for y in part_years if int(y) in years}
            | (
                set(df.loc[df["partial_year"].astype("boolean").fillna(False), "year"].tolist())
                if "partial_year" in df.columns
                else set()
            )
        ),
        "series_breaks": breaks,
    }
    return frame


def _first_value(df: pd.DataFrame, column: str) -> Any:
    if column not in df.columns:
        return None
    values = df[column].dropna()
    return values.iloc[0] if len(values) else None


# --------------------------------------------------------------------------- appendix layout
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

    groups = [g for g in _REPORTING_LEVELS if any(levels.get(c) == g for c in body.index)]
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


_APPENDIX_TEMPLATE = """\
<div class="tccsd-appendix">
<style>
.tccsd-appendix{font-family:"Times New Roman","Liberation Serif","DejaVu Serif",serif;}
.tccsd-appendix table{border-collapse:collapse;width:100%;font-size:11pt;}
.tccsd-appendix caption{caption-side:top;text-align:center;padding-bottom:0.3em;}
.tccsd-appendix .pl-title{font-weight:bold;}
.tccsd-appendix .pl-unit{text-align:right;font-style:italic;font-weight:normal;}
.tccsd-appendix th,.tccsd-appendix td{border:0.5pt solid #000;padding:2pt 4pt;}
.tccsd-appendix th{text-align:center;vertical-align:middle;font-weight:bold;}
.tccsd-appendix td.stt{text-align:center;}
.tccsd-appendix td.num{text-align:right;white-space:nowrap;}
.tccsd-appendix tr.group td{font-weight:bold;}
.tccsd-appendix tr.total td{font-weight:bold;}
.tccsd-appendix p{margin:0.2em 0;font-size:10pt;}
.tccsd-appendix p.pl-source{font-style:italic;}
</style>
<table class="phu-luc" id="phu-luc-{{ number }}">
<caption>
<div class="pl-title">Phụ lục {{ number }}. {{ title }}</div>
<div class="pl-unit">Đơn vị tính: {{ unit_label }}</div>
</caption>
<thead>
<tr><th>STT</th><th>Đơn vị</th>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr>
</thead>
<tbody>
{%- for row in rows %}
{%- if row.kind == "group" %}
<tr class="group"><td class="stt">{{ row.stt }}</td><td colspan="{{ headers|length + 1 }}">\
{{ row.label }}</td></tr>
{%- else %}
<tr class="{{ row.kind }}"><td class="stt">{{ row.stt }}</td><td>{{ row.label }}</td>\
{% for v in row.cells %}<td class="num">{{ v }}</td>{% endfor %}</tr>
{%- endif %}
{%- endfor %}
</tbody>
</table>
{%- if notes %}
<p class="pl-note"><em>Ghi chú:</em></p>
{%- for note in notes %}
<p class="pl-note">- {{ note }}</p>
{%- endfor %}
{%- endif %}
<p class="pl-source">{{ source }}</p>
</div>
"""


@lru_cache(maxsize=1)
def _appendix_template():
    """The compiled appendix template (compiled once per process, not once per table)."""
    from jinja2 import Environment

    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(_APPENDIX_TEMPLATE)


def appendix_html(
    frame: pd.DataFrame,
    number: int | str,
    title_vi: str,
    unit_label: str,
    *,
    source_vi: str = DEFAULT_SOURCE_VI,
    note_vi: str | None = None,
    total_label: str | None = None,
) -> str:
    """An official-looking appendix table (HTML fragment with its own scoped CSS).

    "Phụ lục <n>. <title>" caption, "Đơn vị tính: <unit>" on the right, STT column, group
    headings, bold "Toàn tỉnh" row, thin black borders, right-aligned Vietnamese numbers
    (percent 1 decimal without the sign, counts with thousands dots), notes and "Nguồn: …".
    Every text is HTML-escaped (Jinja2 autoescape). ``total_label``: the total's scope in the
    notes (:func:`appendix_notes`; "toàn quốc" on the national report).
    """
    unit = frame_unit(frame, unit_label)
    decimals = 1 if unit == "percent" else 0
    years, rows = appendix_layout(frame)
    printed = []
    for row in rows:
        cells = [v if isinstance(v, str) else fmt_number(v, decimals) for v in row.values]
        printed.append({"kind": row.kind, "stt": row.stt, "label": row.label, "cells": cells})
    notes = appendix_notes(frame, unit, total_label=total_label)
    if note_vi:
        notes.insert(0, note_vi)
    return _appendix_template().render(
        number=number,
        title=title_vi,
        unit_label=unit_label,
        headers=[year_header(y, frame) for y in years],
        rows=printed,
        notes=notes,
        source=source_vi,
    )
