"""What several sections of a report share: the sentence of a target, the units behind a
target, the rating caveat, the look-ups of one indicator value.

Sections never import each other; what two of them need lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis import params
from analysis.data.schema import scheme_for_year, vocabularies
from analysis.measure.integrity import RULES
from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_number, fmt_percent, fmt_value, is_missing
from analysis.present.report.context import ReportContext, catalogue_entries
from analysis.present.report.render import paragraph
from analysis.present.report.sentences import indicator_sentence

__all__ = [
    "assessed_values",
    "comparison_rows",
    "indicator_row",
    "indicator_value",
    "is_partial_latest",
    "level_phrase",
    "not_applicable",
    "officials_cohort_clause",
    "partial_rule_findings",
    "rating_caveat",
    "series_and_source_notes",
    "target_sentence",
    "top_level_share",
    "units_behind",
    "value_of",
    "with_cohort",
    "years_text",
]


def years_text(years: list[int]) -> str:
    years = sorted(years)
    if not years:
        return MISSING
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 2:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def level_phrase(indicator) -> str:
    words = []
    if "district" in indicator.levels:
        words.append("các huyện, thành phố")
    if "sector" in indicator.levels:
        words.append("các đảng bộ khối, lực lượng vũ trang")
    if "commune" in indicator.levels:
        words.append("các xã, phường, thị trấn")
    if len(words) > 1:
        return ", ".join(words[:-1]) + " và " + words[-1]
    return words[0] if words else "toàn tỉnh"


def not_applicable(ctx: ReportContext, indicator) -> str:
    return paragraph(
        f"Chỉ tiêu này không áp dụng cho {ctx.unit_name}: chỉ tính cho {level_phrase(indicator)}.",
        "not-applicable",
    )


def value_of(row: Any, key: str) -> Any:
    if row is None:
        return None
    value = row.get(key) if hasattr(row, "get") else None
    return None if is_missing(value) else value


def is_partial_latest(ctx: ReportContext, indicator_id: str, latest_year: Any) -> bool:
    rows = ctx.unit_by_id.get(indicator_id)
    if rows is None or latest_year is None:
        return False
    hit = rows.loc[rows["year"] == int(latest_year)]
    if hit.empty:
        return False
    flags = [c for c in ("partial", "partial_year") if c in hit.columns]
    return any(bool(hit[c].astype("boolean").fillna(False).iloc[0]) for c in flags)


def target_sentence(ctx: ReportContext, indicator, with_projection: bool) -> str:
    row = ctx.progress_row(indicator.id)
    if row is None:
        return "Chưa có số liệu để đánh giá chỉ tiêu này."
    partial = is_partial_latest(ctx, indicator.id, value_of(row, "latest_year"))
    text = indicator_sentence(
        row,
        indicator.name_vi,
        indicator.unit,
        partial=partial,
        with_projection=with_projection,
        yearly_values=assessed_values(ctx, indicator.id),
        expected_year=ctx.latest_year,
    )
    return with_cohort(ctx, indicator.id, text)


def officials_cohort_clause(years: list[int], partial_years: list[int] | None = None) -> str:
    """Which term's commune officials each year's T3a/T3b figure counts (``params/plan.yaml``):
    ``"chỉ tiêu áp dụng cho cán bộ chủ chốt cấp xã nhiệm kỳ 2020–2025; số liệu năm 2015–2019
    là cán bộ nhiệm kỳ 2015–2020, số liệu năm 2020 (chưa đủ cả năm) là cán bộ nhiệm kỳ
    2020–2025"``; a midterm adds that the target's term has no data yet."""
    plan = params.plan()
    target_term = str(plan.get("officials_target_term") or "")
    terms = plan.get("officials_terms") or []
    if not target_term or not terms or not years:
        return ""
    partial = set(partial_years or [])
    cohorts, seen = [], set()
    for term in terms:
        inside = [y for y in sorted(years) if term["first_year"] <= y <= term["last_year"]]
        if not inside:
            continue
        seen.add(str(term["term"]))
        text = L.text("officials.cohort", years=years_text(inside), term=term["term"])
        if inside and all(y in partial for y in inside):
            text = text.replace(f"năm {years_text(inside)}", f"năm {years_text(inside)} "
                                "(chưa đủ cả năm)")
        cohorts.append(text)
    if target_term not in seen:
        cohorts.append(L.text("officials.no_target_term_yet", target_term=target_term))
    return L.text("officials.clause", target_term=target_term, cohorts=", ".join(cohorts))


def with_cohort(ctx: ReportContext, indicator_id: str, sentence: str) -> str:
    """A T3a/T3b sentence with the officials' terms put before its verdict."""
    if indicator_id not in (params.plan().get("officials_targets") or []):
        return sentence
    clause = officials_cohort_clause(list(ctx.part.years), ctx.partial_years)
    at = sentence.rfind("; đánh giá:")
    if not clause or at < 0:
        return sentence
    return f"{sentence[:at]}; {clause}{sentence[at:]}"


def assessed_values(ctx: ReportContext, indicator_id: str) -> dict[int, float]:
    """Year → the unit's value, for the assessment's full data years after the baseline (the
    years a yearly target is judged on)."""
    rows = ctx.unit_by_id.get(indicator_id)
    if rows is None or rows.empty:
        return {}
    years = {y for y in ctx.data_years if y > ctx.baseline_year}
    out = {}
    for year, value in zip(rows["year"], rows["value"], strict=True):
        if not is_missing(year) and int(year) in years and not is_missing(value):
            out[int(year)] = float(value)
    return out


def comparison_rows(ctx: ReportContext, indicator_id: str) -> pd.DataFrame:
    rows = ctx.reporting_by_id.get(indicator_id)
    if rows is None or ctx.latest_year is None:
        return pd.DataFrame()
    rows = rows.loc[(rows["year"] == ctx.latest_year) & rows["value"].notna()]
    return rows


def rating_caveat(ctx: ReportContext, unit_code: str) -> str:
    """For a unit whose ratings are above what its records predict (integrity flag
    ``above_*``): its share rated good or better and O/E, beside the record indicators of
    ``params/plan.yaml`` (``rating_evidence``) on which it is the lowest of the reporting units
    or below the province in the latest year. ``""`` for any other unit."""
    integrity = ctx.part.integrity
    if integrity is None or integrity.empty or ctx.latest_year is None:
        return ""
    mine = integrity.loc[integrity["reporting_unit"].astype(str) == unit_code]
    if mine.empty or not str(mine.iloc[0]["flag"]).startswith("above"):
        return ""
    row = mine.iloc[0]
    share = 100.0 * float(row["O"]) / float(row["n"]) if row["n"] else None
    text = L.text(
        "caveat.head",
        unit=ctx.unit_names.get(unit_code, unit_code),
        share=fmt_percent(share),
        ratio=fmt_number(row["ratio"], 2),
        section=ctx.section_number("integrity"),
    )
    text += top_level_share(ctx, unit_code)
    catalogue = {i.id: i for i in catalogue_entries()}
    items = []
    for indicator_id in params.plan().get("rating_evidence") or []:
        indicator = catalogue.get(indicator_id)
        rows = ctx.reporting_by_id.get(indicator_id)
        if indicator is None or rows is None:
            continue
        rows = rows.loc[(rows["year"] == ctx.latest_year) & rows["value"].notna()]
        own = rows.loc[rows["unit_code"] == unit_code, "value"]
        if own.empty:
            continue
        value = float(own.iloc[0])
        province = indicator_value(ctx, indicator_id, ctx.review.province_code, ctx.latest_year)
        name = indicator.name_vi[:1].lower() + indicator.name_vi[1:]
        said = f"{name} ({indicator_id}: {fmt_value(value, indicator.unit)})"
        if value <= float(rows["value"].min()):
            items.append(f"{said} {L.text('caveat.lowest')}")
        elif province is not None and value < province:
            items.append(
                f"{said} {L.text('caveat.below', province=fmt_value(province, indicator.unit))}"
            )
    if items:
        text += ", " + L.text("caveat.evidence", items="; ".join(items))
    return text + "."


def top_level_share(ctx: ReportContext, unit_code: str) -> str:
    """``"; năm 2019, 50,7% số TCCSĐ được xếp loại «Hoàn thành xuất sắc nhiệm vụ» (toàn tỉnh
    21,0%)"``: the top rating level's share among the TCCSĐ rated in the latest year, the unit's
    beside the sum of every reporting unit; ``""`` without rating counts."""
    ratings = ctx.review.ratings
    year = ctx.latest_year
    if ratings is None or ratings.empty or year is None or "orgs_excellent" not in ratings:
        return ""
    rows = ratings.loc[pd.to_numeric(ratings["year"], errors="coerce") == int(year)]

    def share(frame: pd.DataFrame) -> float | None:
        rated = (frame["orgs_total"] - frame["orgs_not_rated"].fillna(0)).sum()
        top = frame["orgs_excellent"].sum()
        return 100.0 * float(top) / float(rated) if rated and rated == rated else None

    own = rows.loc[rows["unit_code"].astype(str) == unit_code]
    mine, province = share(own), share(rows)
    if own.empty or mine is None or province is None:
        return ""
    scheme = scheme_for_year(int(year))
    level = next((v["label_vi"] for v in vocabularies()["org_rating"].entries
                  if v.get("rank") == 1 and str(v.get("scheme")) == scheme), "")
    return L.text("caveat.top_level", year=int(year), share=fmt_percent(mine), level=level,
                  province=fmt_percent(province))


def units_behind(ctx: ReportContext, indicator) -> dict[str, Any]:
    """The reporting units behind one target in the latest year (province report).

    Returns ``not_met`` (unit codes whose verdict is not "Đạt", worst verdict first, then by
    value), ``not_assessable``, ``worse`` (funnel: significantly worse than the province, 99,8%
    first), ``assessed`` (how many units have a verdict) and ``groups`` (name, members behind,
    group size) for the groups of ``params/units.yaml`` with at least half of their members,
    and two, among ``not_met``, and a larger share of them behind than of all units.
    """
    progress = ctx.reporting_progress_by_id.get(indicator.id)
    out: dict[str, Any] = {"not_met": [], "not_assessable": [], "worse": [], "groups": [],
                           "assessed": 0, "values": {}}
    if progress is None or progress.empty:
        return out
    order = {"moving_away": 0, "not_achieved": 1, "needs_acceleration": 2, "on_track": 3}
    rows = progress.assign(
        _o=progress["verdict"].map(order).fillna(9),
        _v=pd.to_numeric(progress["latest_value"], errors="coerce"),
    )
    ascending = indicator.polarity != "lower"
    rows = rows.sort_values(["_o", "_v", "unit_code"], ascending=[True, ascending, True],
                            kind="mergesort")
    out["values"] = dict(zip(rows["unit_code"].astype(str), rows["_v"], strict=False))
    verdicts = rows["verdict"].fillna("not_assessable").astype(str)
    out["assessed"] = int((verdicts != "not_assessable").sum())
    out["not_met"] = [str(c) for c, v in zip(rows["unit_code"], verdicts, strict=False)
                      if v in order]
    out["verdicts"] = dict(zip(rows["unit_code"].astype(str), verdicts, strict=False))
    out["not_assessable"] = [str(c) for c, v in zip(rows["unit_code"], verdicts, strict=False)
                             if v == "not_assessable"]
    funnel = ctx.funnels_by_id.get(indicator.id)
    if funnel is not None and not funnel.empty:
        if ctx.latest_year is not None and "year" in funnel.columns:
            funnel = funnel.loc[funnel["year"] == ctx.latest_year]
        worse = funnel.loc[funnel["assessment"].isin(["worse_998", "worse_95"])]
        worse = worse.sort_values(["assessment", "unit_code"], ascending=[False, True],
                                  kind="mergesort")
        out["worse"] = [(str(c), str(a)) for c, a in zip(worse["unit_code"],
                                                         worse["assessment"], strict=False)]
    behind = set(out["not_met"])
    share = len(behind) / out["assessed"] if out["assessed"] else 1.0
    for group in (params.units().get("groups") or {}).values():
        members = [str(m) for m in group.get("units", [])]
        hit = [m for m in members if m in behind]
        # said when the group lags more than the units as a whole (not when all lag)
        if len(hit) >= 2 and 2 * len(hit) >= len(members) and len(hit) / len(members) > share:
            out["groups"].append((str(group["name_vi"]), hit, len(members)))
    return out


def indicator_row(ctx: ReportContext, indicator_id: str, unit_code: str, year: Any):
    """The indicators-frame row of one unit, indicator and year (None: no value)."""
    if year is None:
        return None
    frame = ctx.indicators
    hit = frame.loc[
        (frame["indicator_id"] == indicator_id)
        & (frame["unit_code"] == unit_code)
        & (frame["year"] == int(year))
        & frame["value"].notna()
    ]
    return None if hit.empty else hit.iloc[0]


def indicator_value(ctx: ReportContext, indicator_id: str, unit_code: str, year: Any):
    row = indicator_row(ctx, indicator_id, unit_code, year)
    return None if row is None else float(row["value"])


def partial_rule_findings(ctx: ReportContext) -> pd.DataFrame:
    """The rating-rule findings of the partial years (listed in the data notes, not counted
    in the integrity table, which covers the full years) of the units the report covers."""
    findings = ctx.review.findings
    if findings is None or findings.empty or not ctx.partial_years:
        return pd.DataFrame()
    years = pd.to_numeric(findings["year"], errors="coerce")
    rows = findings.loc[
        findings["rule"].isin(RULES)
        & years.isin([y for y in ctx.partial_years if y in ctx.part.years])
    ]
    if not ctx.is_province:
        rows = rows.loc[rows["unit_code"].astype("string").fillna("") == ctx.unit_code]
    return rows


def series_and_source_notes(ctx: ReportContext, review) -> list[str]:
    """The data notes every report ends with: the series breaks its indicators cross, and the
    input file with its fingerprint (the same fingerprint means the same data)."""
    breaks = sorted(
        {
            c
            for v in ctx.unit_indicators.get("series_break", pd.Series(dtype=str))
            for c in L.series_break_codes(v)
        }
    )
    return [L.series_break_note(c) + "." for c in breaks] + [
        L.text(
            "data_notes.notes.source",
            name=Path(str(review.source_name)).name,
            fingerprint=review.fingerprint,
        )
    ]
