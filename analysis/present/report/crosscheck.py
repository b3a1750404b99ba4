"""The report's account of the summary/detail cross-check (issue 13, item 17).

A unit may send both its summary rows ("Biểu tổng hợp") and the detail they are counted from
(each TCCSĐ, village, official). Validation compares every summary cell with the sum of the
detail (:func:`analysis.data.crosscheck.crosscheck_table`; a difference is an error of
:func:`analysis.data.rules.check_summary_vs_detail`). The data notes say which units sent
both, over which years, how many cells were compared, and whether they agree ("khớp") or
which cells differ.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.present.formats import fmt_number

__all__ = ["CROSSCHECK_HEADING_VI", "crosscheck_html", "crosscheck_sentences", "report_crosscheck"]

CROSSCHECK_HEADING_VI = "Đối chiếu số liệu tổng hợp với số liệu chi tiết"

_DETAIL = re.compile(r"được (\d(?:[\d.]*\d)?)\.?$")


def _years_text(years: Sequence[int]) -> str:
    years = sorted({int(y) for y in years})
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def _differences(findings: pd.DataFrame | None, unit_code: str, years: Sequence[int]) -> list[str]:
    """``"“<column>” năm 2018: tổng hợp 5, chi tiết 6"`` for each differing cell found."""
    if findings is None or findings.empty or "rule" not in findings.columns:
        return []
    rows = findings.loc[(findings["rule"] == "summary_detail_mismatch")
                        & (findings["unit_code"].astype(str) == str(unit_code))]
    out = []
    for _, row in rows.iterrows():
        year = pd.to_numeric(row.get("year"), errors="coerce")
        if pd.isna(year) or int(year) not in set(years):
            continue
        match = _DETAIL.search(str(row.get("message") or ""))
        detail = f", chi tiết {match.group(1)}" if match else ""
        value = pd.to_numeric(row.get("value"), errors="coerce")
        shown = fmt_number(value) if not pd.isna(value) else str(row.get("value") or "")
        out.append(f"“{row.get('column')}” năm {int(year)}: tổng hợp {shown}{detail}")
    return out


def crosscheck_sentences(
    crosscheck: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    codes: Sequence[str],
    names: Mapping[str, str],
    years: Sequence[int],
    statuses: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """The sentences of the data notes on the cross-check, for the units ``codes``.

    Parameters
    ----------
    crosscheck
        ``unit_code, year, compared, differing`` (:attr:`~analysis.measure.review.Review.
        crosscheck`); None: not computed (nothing is said).
    findings
        The review's findings (the differing cells, rule ``summary_detail_mismatch``).
    codes
        The report's units: every reporting unit (province report) or the unit alone.
    names
        Unit code → name.
    years
        The assessment's years.
    statuses
        Unit code → its completeness statuses over ``years`` (``detail``/``summary``): a
        unit's report says what it sent when it did not send both.

    Returns
    -------
    list of str
        Plain text (the caller escapes it).
    """
    if crosscheck is None:
        return []
    years = [int(y) for y in years]
    rows = crosscheck.loc[crosscheck["unit_code"].astype(str).isin([str(c) for c in codes])
                          & pd.to_numeric(crosscheck["year"]).isin(years)]
    single = len(codes) == 1
    if rows.empty:
        if not single:
            return ["Không có đơn vị nào gửi cả số liệu tổng hợp và số liệu chi tiết, nên "
                    "không có số liệu nào cần đối chiếu."]
        code = str(codes[0])
        sent = (statuses or {}).get(code, set())
        what = ("chỉ gửi số liệu tổng hợp (không có số liệu chi tiết)" if sent == {"summary"}
                else "chỉ gửi số liệu chi tiết (không có bảng tổng hợp)" if sent == {"detail"}
                else "không gửi cùng một năm cả số liệu tổng hợp và số liệu chi tiết")
        return [f"{names.get(code, code)} {what}, nên không có số liệu nào cần đối chiếu."]
    sentences = []
    if not single:
        units = [str(c) for c in codes if str(c) in set(rows["unit_code"].astype(str))]
        sentences.append(
            f"{len(units)} đơn vị gửi cả số liệu tổng hợp và số liệu chi tiết; số liệu tổng "
            "hợp của các đơn vị này được đối chiếu với số cộng từ số liệu chi tiết:"
        )
    for code in dict.fromkeys(rows["unit_code"].astype(str)):
        mine = rows.loc[rows["unit_code"].astype(str) == code]
        compared = int(mine["compared"].sum())
        differing = int(mine["differing"].sum())
        span = _years_text(mine["year"])
        lead = (f"{names.get(code, code)} gửi cả số liệu tổng hợp và số liệu chi tiết (năm "
                f"{span}): đã đối chiếu {fmt_number(compared)} ô của bảng tổng hợp với số cộng "
                "từ số liệu chi tiết" if single else
                f"{names.get(code, code)} (năm {span}): đã đối chiếu {fmt_number(compared)} ô")
        if differing == 0:
            sentences.append(f"{lead}, tất cả đều khớp.")
            continue
        listed = _differences(findings, code, years)
        detail = f": {'; '.join(listed)}" if listed else ""
        sentences.append(f"{lead}, {fmt_number(differing)} ô không khớp{detail}.")
    return sentences


def crosscheck_html(sentences: Sequence[str]) -> str:
    """The sentences as the data notes print them (one paragraph, or a list after a lead)."""
    if not sentences:
        return ""
    esc = html.escape
    if len(sentences) == 1:
        return f'<p class="crosscheck">{esc(sentences[0])}</p>'
    items = "".join(f"<li>{esc(s)}</li>" for s in sentences[1:])
    return f'<p class="crosscheck">{esc(sentences[0])}</p><ul class="crosscheck">{items}</ul>'


def report_crosscheck(ctx) -> str:
    """The data notes' sub-section on the cross-check for one report (``ReportContext``):
    a heading and the sentences; ``""`` when the review did not compute it."""
    review = ctx.review
    years = [int(y) for y in ctx.part.years]
    codes = list(ctx.reporting_names) if ctx.is_province else [ctx.unit_code]
    statuses: dict[str, set[str]] = {}
    comp = review.completeness
    if comp is not None and not comp.empty:
        mine = comp.loc[comp["year"].isin(years) & comp["unit_code"].isin(codes)
                        & (comp["status"] != "missing")]
        for code, status in zip(mine["unit_code"], mine["status"], strict=True):
            statuses.setdefault(str(code), set()).add(str(status))
    sentences = crosscheck_sentences(getattr(review, "crosscheck", None), review.findings,
                                     codes, ctx.unit_names, years, statuses)
    if not sentences:
        return ""
    return f"<h3>{html.escape(CROSSCHECK_HEADING_VI)}</h3>\n{crosscheck_html(sentences)}"
