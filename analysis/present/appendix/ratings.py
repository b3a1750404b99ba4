"""Appendix tables of a Đảng bộ's size and of its ratings by level, under both schemes.

Three tables follow the numbered indicator tables ("Phụ lục 11–13" with the demo's ten):

- the size of the Đảng bộ: TCCSĐ and party members per year;
- TCCSĐ by rating level, members by rating level: the four levels of the scheme in force
  each year (Hướng dẫn 27-HD/BTCTW for 2015–2017, Quy định 132-QĐ/TW from 2018; a header row
  says which years each scheme rated, and each level's label names both schemes' words) and
  "chưa xếp loại, miễn đánh giá". Beside each level's count, its share of the rated.

Rows are what is counted, columns the years, as in the other appendix tables. A unit's
report shows its own Đảng bộ; the province report the province (the sum of its reporting
units, a year with fewer units marked ``†``); ``appendix.xlsx`` one sheet per table with
the province's block first, then one block per reporting unit. Counts come from the summary
table (:attr:`analysis.measure.review.Review.ratings`). They are internal: publishing mode
leaves these tables out (a unit's count of members rated "không hoàn thành nhiệm vụ" may be
1 or 2 people).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.data.schema import rating_schemes, scheme_for_year
from analysis.present.appendix.frame import DEFAULT_SOURCE_VI
from analysis.present.appendix.table import INCOMPLETE_MARK, PART_YEAR_MARK
from analysis.present.formats import fmt_number, fmt_percent

__all__ = [
    "RATING_TABLES",
    "rating_frame",
    "rating_html",
    "rating_notes",
    "rating_specs",
    "scheme_spans",
    "share_of",
    "workbook_specs",
]


def _split_year() -> int:
    """The first year of the 2018 scheme (Quy định 132-QĐ/TW), from the vocabularies."""

    return min(int(s["first_year"]) for s in rating_schemes() if int(s["first_year"]) > 2000)


def _both(old: str, new: str) -> str:
    split = _split_year()
    return f"{old} (đến {split - 1}); {new} (từ {split})"


def _tables() -> tuple[tuple[str, str, str, tuple[tuple[str, str, bool], ...]], ...]:
    """(key, title, unit label, rows): rows are (summary column, label, is a rating level)."""
    return (
        (
            "size",
            "Quy mô Đảng bộ: số tổ chức cơ sở đảng và số đảng viên",
            "tổ chức; người",
            (
                ("orgs_total", "Số tổ chức cơ sở đảng", False),
                ("members_total", "Số đảng viên", False),
            ),
        ),
        (
            "orgs",
            "Kết quả xếp loại tổ chức cơ sở đảng theo từng mức",
            "tổ chức",
            (
                ("orgs_total", "Tổng số tổ chức cơ sở đảng", False),
                ("orgs_not_rated", "Chưa xếp loại, miễn đánh giá", False),
                ("orgs_excellent", "Mức 1: " + _both("Trong sạch, vững mạnh",
                                                    "Hoàn thành xuất sắc nhiệm vụ"), True),
                ("orgs_good", "Mức 2: Hoàn thành tốt nhiệm vụ", True),
                ("orgs_completed", "Mức 3: Hoàn thành nhiệm vụ", True),
                ("orgs_failed", "Mức 4: " + _both("Yếu kém", "Không hoàn thành nhiệm vụ"), True),
            ),
        ),
        (
            "members",
            "Kết quả xếp loại đảng viên theo từng mức",
            "người",
            (
                ("members_total", "Tổng số đảng viên", False),
                ("members_not_rated", "Chưa xếp loại, miễn đánh giá", False),
                ("members_excellent", "Mức 1: " + _both(
                    "Đủ tư cách, hoàn thành xuất sắc nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ"),
                 True),
                ("members_good", "Mức 2: " + _both(
                    "Đủ tư cách, hoàn thành tốt nhiệm vụ", "Hoàn thành tốt nhiệm vụ"), True),
                ("members_completed", "Mức 3: " + _both(
                    "Đủ tư cách, hoàn thành nhiệm vụ", "Hoàn thành nhiệm vụ"), True),
                ("members_failed", "Mức 4: " + _both(
                    "Vi phạm tư cách hoặc không hoàn thành nhiệm vụ",
                    "Không hoàn thành nhiệm vụ"), True),
            ),
        ),
    )


#: The keys of the three tables, in order.
RATING_TABLES = ("size", "orgs", "members")


def scheme_spans(years: Sequence[int]) -> list[tuple[str, int]]:
    """``[(scheme label, number of consecutive years), …]`` for the header row."""

    labels = {s["code"]: s["label_vi"] for s in rating_schemes()}
    spans: list[tuple[str, int]] = []
    for year in years:
        label = labels[scheme_for_year(int(year))]
        if spans and spans[-1][0] == label:
            spans[-1] = (label, spans[-1][1] + 1)
        else:
            spans.append((label, 1))
    return spans


def _unit_rows(ratings: pd.DataFrame, codes: Sequence[str], years: Sequence[int]):
    rows = ratings.loc[ratings["unit_code"].astype(str).isin([str(c) for c in codes])].copy()
    rows["year"] = pd.to_numeric(rows["year"], errors="coerce")
    return rows.loc[rows["year"].isin([int(y) for y in years])]


def rating_frame(
    ratings: pd.DataFrame,
    key: str,
    codes: Sequence[str],
    years: Sequence[int],
    expected: int | None = None,
) -> pd.DataFrame:
    """One table of :data:`RATING_TABLES` for the sum of ``codes`` (one unit, or every
    reporting unit for the province): rows = the table's labels, columns = years.

    ``attrs``: ``rating_rows`` (labels of rating levels: shares are printed beside them),
    ``rated_total`` (labels of the total and not-rated rows), ``incomplete_years``
    ({year: "13/14"} when fewer than ``expected`` units have data), ``unit_label``.
    """
    _, _, unit_label, spec_rows = next(t for t in _tables() if t[0] == key)
    rows = _unit_rows(ratings, codes, years)
    columns = [c for c, _, _ in spec_rows]
    sums = {}
    present = {}
    for year in years:
        mine = rows.loc[rows["year"] == int(year)]
        present[int(year)] = int(mine["unit_code"].nunique())
        sums[int(year)] = [
            float(pd.to_numeric(mine[c], errors="coerce").sum(min_count=1))
            if c in mine.columns and len(mine) else float("nan")
            for c in columns
        ]
    frame = pd.DataFrame(sums, index=[label for _, label, _ in spec_rows], dtype=float)
    frame.attrs = {
        "rating_rows": [label for _, label, level in spec_rows if level],
        "rated_total": (spec_rows[0][1], spec_rows[1][1]) if len(spec_rows) > 2 else None,
        "incomplete_years": {
            y: f"{n}/{expected}" for y, n in present.items()
            if expected and 0 < n < expected
        },
        "unit_label": unit_label,
        "key": key,
    }
    return frame


def _title(key: str) -> str:
    return next(t[1] for t in _tables() if t[0] == key)


def _years(review, assessment_id: str) -> tuple[list[int], list[int]]:
    part = review.assessments[assessment_id]
    years = [int(y) for y in part.years]
    part_years = [int(y) for y in part.assessment.get("partial_years", []) if int(y) in years]
    return years, part_years


def rating_specs(
    review,
    assessment_id: str,
    unit_code: str | None,
    first_number: int,
) -> list[dict[str, Any]]:
    """The three tables for one unit (``unit_code``) or the province (``None``).

    Returns ``[]`` when the review carries no rating counts (e.g. the national review) or
    the unit has none. Each spec: ``number, key, title_vi, frame, years, part_years``.
    """
    ratings = getattr(review, "ratings", None)
    if ratings is None or ratings.empty:
        return []
    years, part_years = _years(review, assessment_id)
    if unit_code is None:
        codes = [str(c) for c in review.reporting_units["code"]]
        expected = len(codes)
    else:
        codes, expected = [str(unit_code)], None
    specs = []
    for i, key in enumerate(RATING_TABLES):
        frame = rating_frame(ratings, key, codes, years, expected)
        if frame.isna().all().all():
            return []
        frame.attrs["part_years"] = part_years
        specs.append({"number": first_number + i, "key": key, "title_vi": _title(key),
                      "frame": frame, "years": years, "part_years": part_years})
    return specs


def workbook_specs(review, assessment_id: str, first_number: int) -> list[dict[str, Any]]:
    """The three tables for ``appendix.xlsx``: each with one block for the province, then
    one per reporting unit (``"kind": "rating"``, ``"blocks": [(name, frame), …]``)."""
    province = rating_specs(review, assessment_id, None, first_number)
    if not province:
        return []
    names = review.unit_names()
    units = [
        (names.get(str(code), str(code)), rating_specs(review, assessment_id, str(code),
                                                       first_number))
        for code in review.reporting_units["code"]
    ]
    out = []
    for i, spec in enumerate(province):
        blocks = [(review.province_name, spec["frame"])]
        blocks += [(name, specs[i]["frame"]) for name, specs in units if specs]
        out.append({"number": spec["number"], "kind": "rating", "key": spec["key"],
                    "title_vi": spec["title_vi"], "unit_label": spec["frame"].attrs["unit_label"],
                    "blocks": blocks, "years": spec["years"]})
    return out


def rating_notes(frame: pd.DataFrame, total_label: str = "toàn tỉnh") -> list[str]:
    """Footnotes of a rating table (same marks as the indicator tables)."""
    notes = []
    if frame.attrs.get("rating_rows"):
        notes.append(
            "Trong ngoặc: tỷ lệ trên số được xếp loại (tổng số trừ số chưa xếp loại, miễn "
            "đánh giá)."
        )
        notes.append(
            f"Năm {_split_year() - 1} trở về trước xếp loại theo Hướng dẫn 27-HD/BTCTW; từ năm "
            f"{_split_year()} theo Quy định 132-QĐ/TW; tên từng mức của hai quy định ghi ở cột "
            "đầu."
        )
    part_years = frame.attrs.get("part_years") or []
    if part_years:
        notes.append(
            f"({PART_YEAR_MARK}) Số liệu năm {', '.join(map(str, part_years))} chưa đủ cả năm."
        )
    for year, share in (frame.attrs.get("incomplete_years") or {}).items():
        notes.append(
            f"({INCOMPLETE_MARK}) Số {total_label} năm {year} là tổng của {share} đơn vị có "
            "số liệu."
        )
    if frame.isna().any().any():
        notes.append("Ô có dấu “–”: không có số liệu.")
    return notes


def rating_header(year: int, frame: pd.DataFrame) -> str:
    """``"2020*"`` for a part year, ``"2017†"`` for a year summed from fewer units."""
    mark = PART_YEAR_MARK if year in set(frame.attrs.get("part_years") or []) else ""
    if year in set(frame.attrs.get("incomplete_years") or {}):
        mark += INCOMPLETE_MARK
    return f"{year}{mark}"


def share_of(frame: pd.DataFrame, label: str, year: int) -> float | None:
    """A rating level's share (%) of the rated in ``year`` (None when not computable)."""
    if label not in (frame.attrs.get("rating_rows") or []):
        return None
    total_label, not_rated_label = frame.attrs["rated_total"]
    rated = frame.at[total_label, year] - frame.at[not_rated_label, year]
    value = frame.at[label, year]
    if pd.isna(rated) or pd.isna(value) or rated <= 0:
        return None
    return 100.0 * float(value) / float(rated)


def rating_html(spec: dict[str, Any], scope_vi: str, total_label: str = "toàn tỉnh") -> str:
    """One rating table as an HTML fragment, in the look of the indicator tables
    (:func:`analysis.present.appendix.html.appendix_html`: its scoped CSS applies)."""
    esc = html.escape
    frame = spec["frame"]
    years = list(spec["years"])
    levels = frame.attrs.get("rating_rows") or []
    head = ['<tr><th rowspan="2">STT</th><th rowspan="2">Chỉ tiêu</th>' if levels
            else "<tr><th>STT</th><th>Chỉ tiêu</th>"]
    if levels:
        head.append("".join(
            f'<th colspan="{n}">Xếp loại theo {esc(label)}</th>' for label, n in scheme_spans(years)
        ) + "</tr><tr>")
    head.append("".join(f"<th>{esc(rating_header(y, frame))}</th>" for y in years) + "</tr>")
    body = []
    for i, label in enumerate(frame.index, start=1):
        cells = []
        for y in years:
            value = fmt_number(frame.at[label, y], 0)
            share = share_of(frame, label, y)
            extra = f'<span class="pl-n">({esc(fmt_percent(share))})</span>' if share is not None \
                else ""
            cells.append(f'<td class="num">{esc(value)}{extra}</td>')
        body.append(f'<tr class="rating"><td class="stt">{i}</td><td>{esc(label)}</td>'
                    f"{''.join(cells)}</tr>")
    notes = "".join(f'<p class="pl-note">- {esc(n)}</p>'
                    for n in rating_notes(frame, total_label))
    return (
        '<div class="tccsd-appendix">\n'
        f'<table class="phu-luc pl-rating" id="phu-luc-{esc(str(spec["number"]))}">\n'
        f'<caption>\n<div class="pl-title">Phụ lục {esc(str(spec["number"]))}. '
        f"{esc(spec['title_vi'])} – {esc(scope_vi)}</div>\n"
        f'<div class="pl-unit">Đơn vị tính: {esc(frame.attrs.get("unit_label", ""))}</div>\n'
        "</caption>\n"
        f"<thead>\n{''.join(head)}\n</thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n"
        "</table>\n"
        f'<p class="pl-note"><em>Ghi chú:</em></p>\n{notes}\n'
        f'<p class="pl-source">{esc(DEFAULT_SOURCE_VI)}</p>\n'
        "</div>"
    )
