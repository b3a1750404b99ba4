"""The appendix frame: one indicator for every reporting unit and year, the totals row last."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.measure.indicators import headline_rows
from analysis.present import labels as L
from analysis.present.formats import fmt_number, is_missing
from analysis.present.tables import NAME_COLUMN, REPORTING_LEVELS, ordered_units

__all__ = ["DEFAULT_SOURCE_VI", "NAME_COLUMN", "appendix_frame", "own_rows", "unit_row_empty"]

DEFAULT_SOURCE_VI = (
    "Nguồn: Báo cáo thống kê, kết quả đánh giá, xếp loại của các huyện ủy, thành ủy, "
    "đảng ủy trực thuộc Tỉnh ủy; Ban Tổ chức Tỉnh ủy tổng hợp, tính toán."
)


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
    df = headline_rows(indicators)
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

    duplicated = df[level.isin([*REPORTING_LEVELS, "province"])].duplicated(["unit_code", "year"])
    if duplicated.any():
        dup = df[level.isin([*REPORTING_LEVELS, "province"])][duplicated].iloc[0]
        raise ValueError(
            f"Chỉ tiêu {indicator_id}: trùng số liệu của {dup['unit_code']} năm {dup['year']}."
        )

    units = df[level.isin(REPORTING_LEVELS)]
    order = []
    levels: dict[str, str] = {}
    for group in REPORTING_LEVELS:
        codes = units.loc[units["level"] == group, "unit_code"].astype(str)
        for code in ordered_units(codes, unit_names):
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


def own_rows(frame: pd.DataFrame, unit_code: str, unit_name: str) -> pd.DataFrame:
    """An appendix frame cut to one unit's row and the province row, which is then a
    comparison, not the table's total (``attrs["comparison"] = True``: labelled "Toàn tỉnh
    (để so sánh)"). A unit without data for the table keeps an empty row."""
    total = frame.attrs.get("total_code")
    keep = [unit_code] + ([total] if total in frame.index else [])
    out = frame.reindex(keep)
    out[NAME_COLUMN] = out[NAME_COLUMN].fillna(unit_name)
    out.attrs = {**frame.attrs, "comparison": True}
    return out


def unit_row_empty(frame: pd.DataFrame, unit_code: str) -> bool:
    """Whether ``unit_code`` has no value in any year of ``frame`` (or no row at all)."""
    if unit_code not in frame.index:
        return True
    years = [c for c in frame.columns if c != NAME_COLUMN]
    return all(is_missing(frame.at[unit_code, y]) for y in years)
