"""The appendix tables of a review ("Phụ lục"), numbered as ``params/appendices.yaml`` says.

Shared by the reports (HTML tables) and the build (the Excel workbook), so both number and
fill them identically.

Publishing mode (``publish=True``) protects the people the tables count, as
:mod:`analysis.present.appendix.suppress` describes. Which tables count people is data, in
``params/appendices.yaml``:

- ``people_counts: true`` — a count of people (members admitted; key commune officials without
  a university degree or without political-theory training). Counts of 1–2 show ``"<3"``, the
  complementary cells that protect them ``"x"``.
- ``people_rate: true`` — a percentage of people. A rate over a group whose size is known
  (the number of key officials of a district is no secret) gives its numerator back, so the
  rate is hidden (``"x"``) wherever its numerator or its complement (denominator − numerator)
  is hidden by suppressing those two count tables, each with its province totals row. The
  count table of the same complement (``show: complement``) hides the same cells, so no
  combination of the published tables and the group sizes recovers a hidden count.
- neither flag — organizations (T1) or villages (T7): never suppressed.

The internal build (``publish=False``) keeps every number.
"""

from __future__ import annotations

import pandas as pd

from analysis import params
from analysis.data.units import REPORTING_LEVELS
from analysis.measure.indicators import headline_rows
from analysis.present.appendix.frame import NAME_COLUMN, appendix_frame
from analysis.present.appendix.ratings import workbook_specs
from analysis.present.appendix.suppress import SECONDARY_SYMBOL, primary_symbol, suppress_table

__all__ = ["appendix_specs", "people_masks", "publish_note", "rate_counts", "PUBLISH_RULE_VI"]

#: The rule in one paragraph, for the reports' data notes (publishing mode).
PUBLISH_RULE_VI = (
    "Bản công bố: để bảo vệ thông tin cá nhân, trong các bảng phụ lục đếm số người, ô có 1 "
    "hoặc 2 người được ghi “<3” (không ghi số cụ thể); một số ô khác được ẩn thêm và ghi “x” "
    "để không thể suy ra các ô “<3” bằng cách lấy số toàn tỉnh trừ đi các ô còn lại. Tỷ lệ "
    "phần trăm của các ô đó cũng được ẩn (ghi “x”), vì từ tỷ lệ và tổng số người của đơn vị "
    "có thể tính lại số người. Số 0 được giữ nguyên vì không tiết lộ thông tin về ai. Số toàn "
    "tỉnh vẫn là số thật, nên tổng các ô còn hiển thị có thể nhỏ hơn số toàn tỉnh."
)

_NOTE_COUNTS_VI = (
    "Bản công bố: “<3” là ô có 1 hoặc 2 người; “x” là ô được ẩn thêm để không suy ra được các "
    "ô “<3” từ số toàn tỉnh. Số toàn tỉnh là số thật."
)
_NOTE_RATE_VI = (
    "Bản công bố: “x” là tỷ lệ được ẩn vì số người có hoặc không có đặc điểm này của đơn vị "
    "dưới 3 người, hoặc để không suy ra được các ô đó từ số toàn tỉnh."
)


def publish_note(item: dict) -> str | None:
    """The note under a table in publishing mode (``None``: the table is not suppressed)."""
    if item.get("people_counts"):
        return _NOTE_COUNTS_VI
    if item.get("people_rate"):
        return _NOTE_RATE_VI
    return None


def _measure(indicators: pd.DataFrame, indicator_id: str, what: str) -> pd.DataFrame:
    """The rows of one indicator with ``value`` replaced by a count of people.

    ``what``: ``"value"`` (as is), ``"numerator"`` or ``"complement"`` (denominator −
    numerator), the last two as ``unit = "count"`` so :func:`~.frame.appendix_frame` checks that
    the province row is the sum of the units.
    """
    rows = indicators.loc[indicators["indicator_id"] == indicator_id]
    if what == "value":
        return rows
    rows = rows.copy()
    numerator = pd.to_numeric(rows["numerator"], errors="coerce").astype(float)
    if what == "numerator":
        rows["value"] = numerator
    elif what == "complement":
        denominator = pd.to_numeric(rows["denominator"], errors="coerce").astype(float)
        rows["value"] = denominator - numerator
    else:
        raise ValueError(f"Không rõ cách lấy số liệu “{what}” của chỉ tiêu {indicator_id}.")
    rows["unit"] = "count"
    return rows


def rate_counts(indicators: pd.DataFrame, indicator_id: str,
                frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The numerator and denominator of a percent table's cells, on ``frame``'s rows and years.

    Returns ``{"numerator": frame, "denominator": frame}`` (floats, NaN where a cell has no
    count), for the internal build's "tử số/mẫu số" under each rate.
    """
    rows = headline_rows(indicators)
    rows = rows.loc[(rows["indicator_id"].astype(str) == str(indicator_id))
                    & rows["level"].isin([*REPORTING_LEVELS, "province"])].copy()
    rows["year"] = pd.to_numeric(rows["year"], errors="coerce")
    rows = rows.dropna(subset=["year"]).drop_duplicates(["unit_code", "year"])
    rows["year"] = rows["year"].astype(int)
    rows["unit_code"] = rows["unit_code"].astype(str)
    years = [c for c in frame.columns if c != NAME_COLUMN]
    out = {}
    for key in ("numerator", "denominator"):
        values = rows.assign(_v=pd.to_numeric(rows.get(key), errors="coerce").astype(float))
        table = values.pivot(index="unit_code", columns="year", values="_v")
        out[key] = table.reindex(index=frame.index.astype(str), columns=years)
    return out


def _year_cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[NAME_COLUMN])


def people_masks(
    indicators: pd.DataFrame,
    indicator_id: str,
    unit_names: dict[str, str],
    years,
    threshold: int = 3,
) -> dict[str, pd.DataFrame]:
    """Which cells of an indicator's appendix tables publishing mode hides.

    Parameters
    ----------
    indicators
        The assessment's indicators frame.
    indicator_id
        A count of people (``unit == "count"``) or a percentage of people.
    unit_names, years
        As for :func:`~.frame.appendix_frame` (rows: reporting units in order,
        then the province totals row).
    threshold
        Counts below it (and above 0) are hidden.

    Returns
    -------
    dict
        ``{"hidden": mask of every hidden cell, "primary_<measure>": mask of that measure's
        1–2 counts}`` with measures ``value`` for a count indicator, ``numerator`` and
        ``complement`` for a percentage; each mask has the appendix frame's index and years.
    """
    rows = indicators.loc[indicators["indicator_id"] == indicator_id]
    unit = str(rows["unit"].dropna().iloc[0]) if rows["unit"].notna().any() else "percent"
    measures = ["value"] if unit == "count" else ["numerator", "complement"]
    out: dict[str, pd.DataFrame] = {}
    hidden = None
    for what in measures:
        frame = appendix_frame(_measure(indicators, indicator_id, what), indicator_id,
                               unit_names, years)
        _, primary, secondary = suppress_table(
            _year_cells(frame), threshold=threshold, total_row=frame.attrs["total_code"]
        )
        out[f"primary_{what}"] = primary
        hidden = (primary | secondary) if hidden is None else (hidden | primary | secondary)
    out["hidden"] = hidden
    return out


def _suppressed_frame(frame: pd.DataFrame, masks: dict[str, pd.DataFrame], shown: str,
                      is_count: bool) -> pd.DataFrame:
    """``frame`` with hidden cells as text: ``"<3"`` (a count's own 1–2) or ``"x"``."""
    out = frame.copy()
    hidden = masks["hidden"]
    primary = masks.get(f"primary_{shown}") if is_count else None
    for year in hidden.columns:
        column = out[year].astype(object)
        column[hidden[year].to_numpy()] = SECONDARY_SYMBOL
        if primary is not None:
            column[primary[year].to_numpy()] = primary_symbol()
        out[year] = column
    out.attrs = dict(frame.attrs)
    return out


def appendix_specs(review, assessment_id: str, publish: bool = False) -> list[dict]:
    """Appendix tables of one assessment, numbered as in ``params/appendices.yaml``.

    Parameters
    ----------
    review
        The build's :class:`analysis.measure.review.Review`.
    assessment_id
        An assessment of ``params/assessments.yaml``.
    publish
        Publishing mode: hide small counts of people (see the module docstring); the hidden
        cells hold the text ``"<3"`` or ``"x"``, every other cell its number.

    Returns
    -------
    list of dict
        ``{"number", "indicator_id", "title_vi", "frame", "unit_label"}`` and, in publishing
        mode for tables of people, ``"note_vi"`` and ``"hidden"`` (mask of hidden cells). The
        internal build adds ``"counts"`` to a percent table (:func:`rate_counts`) and, after
        the indicator tables, the tables of the Đảng bộ's size and ratings by level
        (``"kind": "rating"``, :func:`analysis.present.appendix.ratings.workbook_specs`).
    """
    part = review.assessments[assessment_id]
    names = review.unit_names()
    ordered = {code: names[code] for code in review.reporting_units["code"]}
    ordered[review.province_code] = review.province_name
    specs = []
    masks_of: dict[str, dict[str, pd.DataFrame]] = {}
    for number, item in enumerate(params.appendices(), start=1):
        indicator_id = item["indicator"]
        rows = part.indicators.loc[part.indicators["indicator_id"] == indicator_id]
        if rows.empty:
            continue
        shown = item.get("show", "value")
        frame = appendix_frame(_measure(part.indicators, indicator_id, shown), indicator_id,
                               ordered, part.years)
        unit = frame.attrs["unit"]
        spec = {
            "number": number,
            "indicator_id": indicator_id,
            "title_vi": item["title_vi"],
            "frame": frame,
            "unit_label": "%" if unit == "percent" else item.get(
                "unit_label_vi", "người" if indicator_id == "T5" else "thôn"),
        }
        note = publish_note(item)
        if publish and note:
            if indicator_id not in masks_of:
                masks_of[indicator_id] = people_masks(part.indicators, indicator_id, ordered,
                                                      part.years)
            masks = masks_of[indicator_id]
            spec["frame"] = _suppressed_frame(frame, masks, shown, unit == "count")
            spec["note_vi"] = note
            spec["hidden"] = masks["hidden"]
        elif not publish and unit == "percent" and shown == "value":
            spec["counts"] = rate_counts(part.indicators, indicator_id, frame)
        specs.append(spec)
    if not publish:

        specs += workbook_specs(review, assessment_id, len(params.appendices()) + 1)
    return specs
