"""The sections of the national summary report: the provinces side by side.

``notebooks/national_report.py`` calls :func:`load_national_context` once, then one section
function per cell, as the province report does. The national report is the province report
one level up: its "reporting units" are the provinces and its total is the nation (rows of
level ``national`` in the national :class:`~analysis.measure.review.Review`, see
:func:`analysis.measure.review.compute_country_review`). Sections whose wording fits any
level (the scorecard, the process indicators) are :mod:`analysis.present.report`'s own; the
others are here because their words ("toàn tỉnh", "huyện") or their data (tile positions,
villages, TCCSĐ detail) are a province's.

Nothing here computes a statistic: every value, interval, verdict and funnel limit comes from
the national Review. Every string from data is escaped (``html.escape``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis import params
from analysis.present import labels as L
from analysis.present import report as R
from analysis.present.formats import fmt_date, fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML

    from analysis.measure.review import Review

__all__ = [
    "NATIONAL_SECTIONS",
    "NationalContext",
    "appendix_section",
    "appendix_specs",
    "data_notes_section",
    "heat_table_section",
    "load_national_context",
    "national_context",
    "process_section",
    "scorecard_section",
    "target_sections",
    "title_page",
    "write_appendix",
]

NATIONAL_SECTIONS = ("scorecard", "heat", "targets", "process", "data_notes")
SECTION_TITLES = {
    **R.SECTION_TITLES,
    "heat": "So sánh các tỉnh theo từng mục tiêu",
}
PROVINCE_LEVEL = "province"


@dataclass
class NationalContext(R.ReportContext):
    """A :class:`~analysis.present.report.ReportContext` for the national review.

    ``unit_*`` frames hold the national total, ``reporting_*`` frames the provinces. ``level``
    is ``"province"`` so that the catalogue's levels (where an indicator exists) read as for
    a province total, which the national total is the sum of.
    """

    def section_number(self, key: str) -> int | None:
        return NATIONAL_SECTIONS.index(key) + 1 if key in NATIONAL_SECTIONS else None

    def section_title(self, key: str) -> str:
        number = self.section_number(key)
        return f"{number}. {SECTION_TITLES[key]}" if number else SECTION_TITLES[key]

    @property
    def total_label(self) -> str:
        return self.unit_name


def _national_review(data_path: str, bundle_path: str) -> Review:
    """The national Review: from the build's bundle, or computed from a country input."""
    if bundle_path:
        return R.load_review("", bundle_path)
    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_country_review, is_country

    path = R._resolve(data_path, "dữ liệu đầu vào") if data_path else None
    if path is None:
        raise ValueError(
            "Báo cáo toàn quốc cần dữ liệu của nhiều tỉnh: hãy đặt data_path (thư mục hoặc tệp "
            "dữ liệu cả nước) hoặc bundle_path."
        )
    validation = validate_input(path)
    if not validation.ok:
        raise ValueError(
            f"Dữ liệu đầu vào “{path.name}” có {fmt_number(len(validation.errors))} lỗi nên chưa "
            "lập được báo cáo. Hãy chạy lệnh `python -m analysis validate` để xem danh sách "
            "lỗi, sửa dữ liệu rồi chạy lại."
        )
    if not is_country(validation.data.tables["units"]):
        raise ValueError(
            f"Dữ liệu “{path.name}” chỉ có một tỉnh: báo cáo toàn quốc cần dữ liệu nhiều tỉnh."
        )
    return compute_country_review(validation).national


def load_national_context(
    unit_code: str,
    assessment_id: str,
    data_path: str = "",
    bundle_path: str = "",
    output_lang: str = "vi",
) -> NationalContext:
    """Everything the national report needs (the notebook's parameters, as for a province).

    Parameters
    ----------
    unit_code : str
        The national code (``params/plan.yaml`` ``national_code``).
    assessment_id : str
        An assessment of ``params/assessments.yaml``.
    data_path : str
        A multi-province input; used when ``bundle_path`` is empty.
    bundle_path : str
        The build's pickled national Review (``.cache/review-…-national.pkl``).
    output_lang : str
        Only ``"vi"``.

    Raises
    ------
    ValueError
        Another language, an unknown code or assessment, or an input that is not a country.
    """
    if (output_lang or "vi") != "vi":
        raise ValueError(
            f"Ngôn ngữ báo cáo “{output_lang}” chưa được hỗ trợ; báo cáo chỉ có tiếng Việt "
            '(output_lang = "vi").'
        )
    return national_context(_national_review(data_path, bundle_path), unit_code, assessment_id)


def national_context(review: Review, unit_code: str, assessment_id: str) -> NationalContext:
    """A :class:`NationalContext` for a national Review already in memory."""
    if assessment_id not in review.assessments:
        raise ValueError(
            f"Không có kỳ đánh giá “{assessment_id}”. Các kỳ hiện có: "
            f"{', '.join(review.assessments)}."
        )
    if str(unit_code) != review.province_code:
        raise ValueError(
            f"Mã “{unit_code}” không phải mã toàn quốc; mã toàn quốc là "
            f"“{review.province_code}”."
        )
    part = review.assessments[assessment_id]
    names = review.unit_names()
    provinces = {str(c): names.get(str(c), str(c)) for c in review.reporting_units["code"]}
    ind = R._no_breakdown(part.indicators)
    total = ind.loc[ind["unit_code"] == review.province_code]
    rep = ind.loc[ind["level"] == PROVINCE_LEVEL]
    progress = part.progress
    total_prog = progress.loc[progress["unit_code"] == review.province_code]
    rep_prog = progress.loc[progress["unit_code"].isin(list(provinces))]
    return NationalContext(
        review=review,
        part=part,
        assessment=dict(part.assessment),
        assessment_id=assessment_id,
        unit_code=review.province_code,
        unit_name=review.province_name,
        level=PROVINCE_LEVEL,
        is_province=True,
        unit_names=names,
        reporting_names=provinces,
        indicators=ind,
        unit_indicators=total,
        province_indicators=total,
        reporting_indicators=rep,
        unit_progress=total_prog,
        reporting_progress=rep_prog,
        unit_by_id=R._by_indicator(total),
        province_by_id=R._by_indicator(total),
        reporting_by_id=R._by_indicator(rep),
        funnels_by_id=R._by_indicator(part.funnels),
        reporting_progress_by_id=R._by_indicator(rep_prog),
    )


def _relabel(fig, old: str, new: str):
    """Replace a legend word on a chart: the plots name their baseline "Toàn tỉnh" (the
    province report's total); here the baseline is the nation."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    for legend in legends:
        if legend is None:
            continue
        for text in legend.get_texts():
            text.set_text(text.get_text().replace(old, new))
    return fig


# --------------------------------------------------------------------------- title page
def title_page(ctx: NationalContext) -> HTML:
    """Title, resolution, the provinces covered, the data used, date, and the contents; carries
    the report's stylesheet."""
    from analysis.reproducible import build_datetime

    plan = params.plan()
    review = ctx.review
    years = [y for y in ctx.part.years if y in ctx.data_years]
    data_text = f"Các năm {R._years_text(years)} (năm gốc {ctx.baseline_year})"
    if ctx.partial_years:
        data_text += (
            f"; năm {R._years_text(ctx.partial_years)}: số liệu chưa đủ cả năm, chỉ để tham khảo"
        )
    source = f"{Path(str(review.source_name)).name} (mã kiểm tra dữ liệu {review.fingerprint})"
    rows = [
        ("Phạm vi", f"{ctx.unit_name}: {len(ctx.reporting_names)} tỉnh, thành phố"),
        ("Kỳ đánh giá", str(ctx.assessment.get("short_vi") or ctx.assessment["title_vi"])),
        ("Số liệu sử dụng", data_text),
        ("Nguồn số liệu", source),
        ("Ngày lập báo cáo", fmt_date(build_datetime().date())),
    ]
    meta = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    toc = "".join(f"<li>{html.escape(SECTION_TITLES[k])}</li>" for k in NATIONAL_SECTIONS)
    toc += "<li>Phụ lục</li>"
    body = (
        f"<style>\n{R._css()}</style>\n"
        '<header class="tccsd-report tccsd-title">\n'
        '<p class="tp-kicker">Báo cáo tổng hợp toàn quốc</p>\n'
        f"<h1>{html.escape(str(ctx.assessment['title_vi']))}</h1>\n"
        f'<p class="tp-resolution">{html.escape(str(plan["resolution_title_vi"]))}</p>\n'
        f'<p class="tp-unit">{html.escape(ctx.unit_name)}</p>\n'
        f'<table class="tp-meta avoid-break">{meta}</table>\n'
        f'<div class="tp-toc"><strong>Nội dung</strong><ol>{toc}</ol></div>\n'
        "</header>"
    )
    return R._display(body)


# --------------------------------------------------------------------------- reused sections
def scorecard_section(ctx: NationalContext) -> HTML:
    """T1–T7 of the national total (the province report's scorecard, one level up)."""
    return R.scorecard_section(ctx)


def process_section(ctx: NationalContext) -> HTML:
    """P1–P17 of the national total (the province report's section, one level up)."""
    return R.process_section(ctx)


# --------------------------------------------------------------------------- heat table
def heat_table_section(ctx: NationalContext) -> HTML:
    """Province × target: latest value with the verdict symbol on the verdict colour; the
    national total in the last row."""
    from analysis.present.tables import heat_table

    ids = [i.id for i in ctx.indicator_list(targets=True)]
    names = dict(ctx.reporting_names)
    names[ctx.review.province_code] = ctx.unit_name
    progress = ctx.part.progress.loc[ctx.part.progress["unit_code"].isin(list(names))]
    parts = [
        R._p(
            "Mỗi ô là giá trị năm mới nhất của tỉnh, tô màu và đánh dấu theo kết quả đánh giá "
            "tiến độ (cách đọc ở mục 1); ô “–” là chỉ tiêu không áp dụng hoặc không có số liệu. "
            f"Dòng cuối là {ctx.unit_name.lower()}."
        )
    ]
    if progress.empty:
        parts.append(R._p("Không có kết quả đánh giá của các tỉnh.", "note"))
    else:
        styler = heat_table(
            progress,
            names,
            ids,
            indicators=ctx.indicators,
            title_vi=ctx.table_title(
                "heat",
                f"Kết quả các mục tiêu theo tỉnh – {ctx.unit_name}"
                + (f" (số liệu đến năm {ctx.latest_year})" if ctx.latest_year else ""),
            ),
        )
        parts.append(R._styled(styler, wide="tbl-heat"))
    return R._section(ctx, "heat", "\n".join(parts))


# --------------------------------------------------------------------------- targets
def _trend(ctx: NationalContext, indicator) -> str:
    from analysis.present import plots

    rows = ctx.unit_by_id.get(indicator.id)
    if rows is None or rows.empty:
        return R._p("Không có số liệu toàn quốc cho chỉ tiêu này.", "note")
    fig = plots.trend_chart(
        rows,
        progress_row=ctx.progress_row(indicator.id),
        unit=indicator.unit,
        unit_label=ctx.unit_name,
        height_cm=7.0,
    )
    caption = (
        f"Diễn biến {indicator.id} – {indicator.name_vi}, {ctx.unit_name.lower()}: giá trị "
        "từng năm với khoảng tin cậy 95%, chỉ tiêu, dự báo đến năm "
        f"{ctx.target_year}."
    )
    return R._figure(fig, f"{indicator.id}: diễn biến theo năm", caption)


def _comparison(ctx: NationalContext, indicator) -> str:
    """Funnel plot (percent) or ranked dot plot (count) of the provinces."""
    from analysis.present import plots

    latest = ctx.latest_year
    total_word = L.labels()["province_total"]
    if indicator.unit == "percent":
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            return R._p("Không đủ số liệu để so sánh các tỉnh.", "note")
        # the provinces' rows are of level "province", which the funnel plot leaves out as
        # the total of a province report: pass them without their level
        fig = plots.funnel_plot(
            funnel.drop(columns=["level"], errors="ignore"),
            ctx.unit_names,
            highlight=None,
            height_cm=9.0,
        )
        caption = (
            f"So sánh các tỉnh năm {latest} (biểu đồ phễu): mỗi điểm là một tỉnh, trục ngang "
            "là số được đánh giá; điểm nằm ngoài đường giới hạn 95% hoặc 99,8% khác "
            f"{ctx.unit_name.lower()} nhiều hơn mức có thể do quy mô nhỏ."
        )
        fig = _relabel(fig, total_word, ctx.unit_name)
        return R._figure(fig, f"{indicator.id}: so sánh các tỉnh", caption)
    rows = R._comparison_rows(ctx, indicator.id)
    if rows.empty:
        return R._p("Không đủ số liệu để so sánh các tỉnh.", "note")
    # as on the province report, no baseline: a national count is the sum over the provinces,
    # not a level a province is compared with
    fig = plots.ranked_dot_plot(
        rows[["unit_code", "value", "lower_95", "upper_95", "unit"]],
        unit_names=ctx.unit_names,
    )
    noun = L.count_noun(indicator.id)
    caption = (
        f"Xếp hạng các tỉnh năm {latest} theo {indicator.name_vi[0].lower()}"
        f"{indicator.name_vi[1:]}" + (f" ({noun})" if noun else "") + ", với khoảng tin cậy 95%."
    )
    return R._figure(fig, f"{indicator.id}: xếp hạng các tỉnh", caption)


def target_sections(ctx: NationalContext) -> HTML:
    """Every target: heading, sentence, national trend chart, the provinces compared (funnel
    or ranked dots) and ranked in a table. No tile map: see the data notes."""
    parts = [
        R._p(
            "Mỗi mục tiêu gồm: nhận định, biểu đồ diễn biến toàn quốc theo năm (khoảng tin cậy "
            f"95%, chỉ tiêu, dự báo đến năm {ctx.target_year}, mốc thay đổi cách xếp loại năm "
            "2018), so sánh và xếp hạng các tỉnh."
        )
    ]
    for indicator in ctx.indicator_list(targets=True):
        head = (
            f'<h3 id="muc-tieu-{R._esc(indicator.id)}">{R._esc(indicator.id)}. '
            f"{R._esc(indicator.name_vi)}</h3>"
        )
        block = [
            f'<div class="keep">{head}'
            + R._p(R._sentence(ctx, indicator, with_projection=True), "sentence")
            + _trend(ctx, indicator)
            + "</div>",
            _comparison(ctx, indicator),
            R._ranking_table(
                ctx,
                indicator,
                unit_header="Tỉnh",
                area=ctx.unit_name.lower(),
                units_noun="các tỉnh",
                table_id=f"rank_national_{indicator.id}",
            ),
        ]
        parts.append('<div class="target-block">' + "\n".join(b for b in block if b) + "</div>")
    return R._section(ctx, "targets", "\n".join(parts))


# --------------------------------------------------------------------------- data notes
def _coverage(ctx: NationalContext) -> str:
    """Per province: reporting units and how many unit-years came as detail, summary, none."""
    completeness = ctx.review.completeness
    if completeness is None or completeness.empty or "unit_code" not in completeness.columns:
        return R._p("Không có thông tin về mức độ đầy đủ của số liệu.", "note")
    frame = completeness.loc[completeness["year"].isin(ctx.data_years)].copy()
    frame["province"] = frame["unit_code"].astype(object).map(ctx.review.unit_provinces)
    records = []
    for code, name in ctx.reporting_names.items():
        rows = frame.loc[frame["province"] == code]
        counts = rows["status"].value_counts()
        records.append(
            {
                "Tỉnh": R._esc(name),
                "Số đơn vị": fmt_number(rows["unit_code"].nunique()),
                **{
                    word: fmt_number(int(counts.get(status, 0)))
                    for status, word in R.COMPLETENESS_WORDS.items()
                },
            }
        )
    return R._table(
        pd.DataFrame(records),
        "national_coverage",
        "Số đơn vị – năm theo nguồn số liệu",
        numeric=["Số đơn vị", *R.COMPLETENESS_WORDS.values()],
    )


def _findings_by_province(ctx: NationalContext) -> str:
    findings = ctx.review.findings
    if findings is None or findings.empty:
        return R._p("Không có cảnh báo nào khi kiểm tra dữ liệu.")
    province = findings["unit_code"].astype(object).map(ctx.review.unit_provinces)
    counts = province.value_counts()
    records = [
        {"Tỉnh": R._esc(name), "Số cảnh báo": fmt_number(int(counts.get(code, 0)))}
        for code, name in ctx.reporting_names.items()
    ]
    other = int(province.isna().sum())
    text = R._p(
        f"Tổng cộng {fmt_number(len(findings))} cảnh báo"
        + (f", trong đó {fmt_number(other)} không gắn với tỉnh nào" if other else "")
        + ". Chi tiết từng cảnh báo có trong báo cáo của từng tỉnh và tệp findings.xlsx."
    )
    return text + R._table(
        pd.DataFrame(records), "national_findings", "Số cảnh báo theo tỉnh", numeric=["Số cảnh báo"]
    )


def data_notes_section(ctx: NationalContext) -> HTML:
    """Coverage and warnings per province, how the national totals and targets are formed, why
    there is no tile map, part-year and series-break notes, and the input fingerprint."""
    review = ctx.review
    n = len(ctx.reporting_names)
    parts = ["<h3>Mức độ đầy đủ của số liệu</h3>", _coverage(ctx)]
    parts.append("<h3>Cảnh báo khi kiểm tra dữ liệu</h3>")
    parts.append(_findings_by_province(ctx))
    parts.append("<h3>Phương pháp</h3>")
    count_targets = [
        i.id for i in ctx.indicator_list(targets=True) if i.unit == "count" and i.target_ref
    ]
    methods = [
        "Số liệu của mỗi tỉnh là tổng tử số và tổng mẫu số của các đơn vị trực thuộc tỉnh; số "
        f"liệu {ctx.unit_name.lower()} là tổng tử số và tổng mẫu số của {fmt_number(n)} tỉnh, "
        "không phải trung bình cộng các tỷ lệ.",
        "Chỉ tiêu của Nghị quyết được áp dụng như nhau cho mọi tỉnh (params/targets.yaml là "
        "chỉ tiêu của một tỉnh; chỉ tiêu giao cho từng huyện không áp dụng cho các tỉnh khác)."
        + (
            f" Với {ctx.unit_name.lower()}, chỉ tiêu tỷ lệ giữ nguyên; chỉ tiêu về số lượng "
            f"({', '.join(count_targets)}) là tổng chỉ tiêu của các tỉnh."
            if count_targets
            else ""
        ),
        "Số liệu là số liệu toàn bộ (không phải số liệu mẫu), nên khoảng tin cậy 95% chỉ dùng "
        "để so sánh các tỉnh có quy mô khác nhau và để đọc mức thay đổi qua các năm.",
        f"Kết quả đánh giá so sánh giá trị năm mới nhất với năm gốc {ctx.baseline_year} và với "
        f"chỉ tiêu; dự báo đến năm {ctx.target_year} kéo dài xu hướng của các năm đã có số "
        "liệu.",
    ]
    parts.append(" ".join(R._p(m) for m in methods))
    notes = [
        "Báo cáo toàn quốc không có bản đồ ô: dữ liệu và tham số không có vị trí của các tỉnh "
        "(params/units.yaml chỉ xếp các đơn vị trong một tỉnh); thứ tự các tỉnh trong các bảng "
        "là thứ tự mã tỉnh.",
        "Tính hợp lý của kết quả xếp loại và thôn chưa có đảng viên được đánh giá trong báo cáo "
        "của từng tỉnh (mô hình và so sánh trong phạm vi một tỉnh), không tổng hợp ở đây.",
    ]
    if ctx.partial_years:
        notes.append(
            f"Số liệu năm {R._years_text(ctx.partial_years)} mới có đến thời điểm đánh giá, "
            "chưa đủ cả năm: được trình bày để tham khảo (đánh dấu *), không dùng để đánh giá "
            "tiến độ."
        )
    notes += R._series_and_source_notes(ctx, review)
    parts.append("<h3>Ghi chú khác</h3>")
    parts.append(R._list(notes, "notes"))
    return R._section(ctx, "data_notes", "\n".join(parts))


# --------------------------------------------------------------------------- appendix
def _province_shaped(review: Review) -> Review:
    """A shallow copy of the national Review whose indicator levels read as a province's
    (provinces as ``district`` rows, the nation as the ``province`` total row), the shape the
    appendix tables (:func:`analysis.present.appendix.appendix_frame`) are built from."""
    import copy

    from analysis.measure.review import NATIONAL_LEVEL

    view = copy.copy(review)
    view.assessments = {}
    for assessment_id, part in review.assessments.items():
        part = copy.copy(part)
        ind = part.indicators.copy()
        level = ind["level"].astype(object)
        ind["level"] = level.where(level != PROVINCE_LEVEL, "district").where(
            level != NATIONAL_LEVEL, PROVINCE_LEVEL
        )
        part.indicators = ind
        view.assessments[assessment_id] = part
    return view


#: The national total as the appendix notes name it ("Số toàn quốc bằng …").
NATIONAL_TOTAL_LABEL = "toàn quốc"


def appendix_specs(review: Review, assessment_id: str, publish: bool = False) -> list[dict]:
    """:func:`analysis.present.appendix.appendix_specs` for the national Review: one row per
    province, the national total last (named as the nation, not "Toàn tỉnh")."""
    from analysis.present.appendix import NAME_COLUMN
    from analysis.present.appendix import appendix_specs as province_specs

    specs = province_specs(_province_shaped(review), assessment_id, publish=publish)
    for spec in specs:
        frame = spec["frame"]
        if review.province_code in frame.index:
            frame.loc[review.province_code, NAME_COLUMN] = review.province_name
        # the notes under the table (HTML and Excel) name the total's scope from this
        frame.attrs["total_label"] = NATIONAL_TOTAL_LABEL
    return specs


def write_appendix(review: Review, assessment_id: str, out: Path, publish: bool = False) -> Path:
    """Write the national ``appendix.xlsx`` of one assessment (``publish``: as
    :func:`analysis.run.publish.write_appendices`)."""
    from analysis.present.appendix import write_appendix_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    return write_appendix_xlsx(appendix_specs(review, assessment_id, publish=publish), out)


def _appendix_html(ctx: NationalContext) -> str:
    from analysis.present.appendix import appendix_html

    specs = appendix_specs(ctx.review, ctx.assessment_id)
    if not specs:
        return R._p("Không có bảng phụ lục.", "note")
    return "\n".join(
        appendix_html(
            spec["frame"],
            spec["number"],
            spec["title_vi"],
            spec["unit_label"],
            note_vi=spec.get("note_vi"),
            total_label=NATIONAL_TOTAL_LABEL,
        )
        for spec in specs
    )


def appendix_section(ctx: NationalContext) -> HTML:
    """The appendix tables with the provinces in rows and the national total last."""
    body = R._shared(
        ctx.review, f"appendix:{ctx.assessment_id}:national", lambda: _appendix_html(ctx)
    )
    intro = R._p(
        f"Phụ lục của báo cáo {ctx.unit_name.lower()}. Các bảng dưới đây trình bày số liệu của "
        f"từng tỉnh theo từng năm, dòng cuối là {ctx.unit_name.lower()}."
    )
    return R._display(
        '<section class="tccsd-report tccsd-section tccsd-appendices" id="muc-phu-luc">\n'
        f"<h2>Phụ lục</h2>\n{intro}\n{body}\n</section>"
    )
