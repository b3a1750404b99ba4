"""Styled tables of the reports (pandas Styler → HTML): scorecard, heat table, process table.

The appendix tables are :mod:`analysis.present.appendix`.

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
from typing import Any

import numpy as np
import pandas as pd

from analysis.data.units import REPORTING_LEVELS
from analysis.measure.indicators import headline_rows
from analysis.present import labels as L
from analysis.present.formats import (
    MISSING,
    fmt_number,
    fmt_value,
    is_missing,
)

__all__ = [
    "NAME_COLUMN",
    "REPORTING_LEVELS",
    "cell_classes",
    "heat_table",
    "indicator_sort_key",
    "ordered_units",
    "process_table",
    "scorecard_table",
]

NAME_COLUMN = "Đơn vị"

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


def ordered_units(codes: Iterable[str], unit_names: Mapping[str, str]) -> list[str]:
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
    return headline_rows(df)


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
    expected_year: int | None = None,
):
    """Units (rows, in ``unit_names`` order) × indicators (columns), each cell the latest
    value with the verdict symbol on a light tint of the verdict colour.

    ``expected_year`` (the assessment's latest year): a cell whose latest value is of an
    older year shows that year, ``"91,2% ✓ (2016)"``, explained under the title.

    ``indicators`` (optional) gives each indicator's unit for formatting and its name for the
    legend under the title.
    """
    meta = _meta(indicators)
    ids = [str(i) for i in indicator_ids]
    units = ordered_units(progress["unit_code"].astype(str), unit_names)
    progress_of = _progress_index(progress)
    records, fills = [], []
    older = False
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
            cell = f"{value} {L.verdict_symbol(verdict)}"
            year = _get(prog, "latest_year")
            if expected_year is not None and year is not None and int(year) < int(expected_year):
                cell += f" ({int(year)})"
                older = True
            row_cells.append(cell)
            row_fill.append(f"background-color:{L.tint(L.verdict_colour(verdict), 0.45)};")
        records.append(row_cells)
        fills.append(row_fill)
    columns = [NAME_COLUMN, *[html.escape(i) for i in ids]]
    frame = pd.DataFrame(records, columns=columns)
    css = pd.DataFrame(fills, columns=columns, index=frame.index)
    legend = " · ".join(L.verdict_label(v) for v in L.VERDICTS)
    names = [f"{i}: {meta[i]['name_vi']}" for i in ids if meta.get(i, {}).get("name_vi")]
    if older:
        names.append(
            f"(năm): năm mới nhất có số liệu của đơn vị, khi chưa có số liệu năm {expected_year}."
        )
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
