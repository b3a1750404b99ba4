"""The sections of a review report, one call per notebook cell.

A report notebook (``notebooks/unit_report.py``, ``notebooks/province_report.py``) calls
:func:`load_context` once, then one section function per cell. Each section function returns ONE
``IPython.display.HTML`` whose HTML is self-contained:

- charts are PNG ``data:`` URIs (:func:`analysis.present.plots.fig_to_data_uri`), 16 cm wide;
- tables are pandas Styler HTML (:mod:`analysis.present.tables` or the small tables built here);
- every string that comes from data (unit, village and indicator names, codes, messages) goes
  through :func:`html.escape`; the markup added here is built from fixed texts;
- numbers are Vietnamese (:mod:`analysis.present.formats`): ``1.234``, ``90,5%``;
- no path, URL or code leaves this module: the input is named by its file or folder name and
  its fingerprint only.

Headings: the title page holds the only ``<h1>``; every section starts with an ``<h2>``; targets
and sub-parts are ``<h3>``. Sections are numbered (province reports have one more section, the
heat table), the appendix tables are "Phụ lục 1 …" as ``params/appendices.yaml`` numbers them.

Nothing here computes a statistic: intervals, verdicts, projections, funnel limits, O/E ratios
and village changes all come from the :class:`analysis.measure.review.Review`, computed once per
build, pickled, and loaded here through ``bundle_path`` (cached per process, so a warm kernel
loads it once for all reports of a build).
"""

from __future__ import annotations

import html
import re
import threading
import weakref
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import config, params
from analysis.present import labels as L
from analysis.present.formats import (
    MISSING,
    fmt_count,
    fmt_date,
    fmt_number,
    fmt_percent,
    fmt_value,
    is_missing,
)

if TYPE_CHECKING:  # pragma: no cover
    from IPython.display import HTML
    from matplotlib.figure import Figure

    from analysis.measure.review import AssessmentReview, Review

__all__ = [
    "CHART_DPI",
    "ReportContext",
    "appendix_section",
    "clear_cache",
    "data_notes_section",
    "heat_table_section",
    "integrity_section",
    "leader_summary_section",
    "load_context",
    "load_review",
    "process_section",
    "scorecard_section",
    "target_sections",
    "title_page",
    "villages_section",
]

#: Resolution of the embedded charts (16 cm at 110 dpi ≈ 690 px: sharp on screen and paper).
CHART_DPI = 110
CSS_FILE = Path(__file__).with_name("report.css")
REPORTING_LEVELS = ("district", "sector")
TARGET_SECTION = "Mục tiêu"

# Words the reports print that no other module holds yet (candidates for labels_vi.yaml).
VERDICT_MEANINGS = {
    "achieved": "giá trị năm mới nhất đạt chỉ tiêu (chỉ tiêu hằng năm: đạt tất cả các năm).",
    "not_achieved": "chỉ tiêu hằng năm có năm chưa đạt, dù năm mới nhất đạt: chỉ tiêu hằng năm "
    "chỉ được coi là đạt khi năm nào cũng đạt.",
    "on_track": "chưa đạt nhưng tốc độ thay đổi từ năm gốc đủ để đạt chỉ tiêu đúng hạn.",
    "needs_acceleration": "thay đổi đúng hướng nhưng chậm hơn mức cần để đạt chỉ tiêu đúng hạn.",
    "moving_away": "thay đổi ngược hướng chỉ tiêu so với năm gốc.",
    "not_assessable": "thiếu số liệu năm gốc hoặc các năm sau năm gốc.",
}
OE_FLAG_WORDS = {
    "above_998": "Cao hơn mức dự kiến rõ rệt (vượt giới hạn 99,8%)",
    "above_95": "Cao hơn mức dự kiến (vượt giới hạn 95%)",
    "within": "Trong giới hạn kiểm soát",
    "below_95": "Thấp hơn mức dự kiến (dưới giới hạn 95%)",
    "below_998": "Thấp hơn mức dự kiến rõ rệt (dưới giới hạn 99,8%)",
}
OE_FLAG_ORDER = {"above_998": 0, "above_95": 1, "below_998": 3, "below_95": 4, "within": 5}
VILLAGE_CHANGES = {
    "gained_member": "Đã có đảng viên (kết nạp hoặc chuyển đến)",
    "merged_away": "Sáp nhập vào thôn khác",
    "rewhitened": "“Tái trắng” (đã có đảng viên rồi lại không còn)",
    "still_without": "Vẫn chưa có đảng viên",
    "became_empty": "Mới trở thành thôn chưa có đảng viên",
    "missing": "Không có số liệu năm cuối",
}
COMPLETENESS_WORDS = {
    "detail": "Chi tiết từng TCCSĐ",
    "summary": "Số liệu tổng hợp",
    "missing": "Thiếu số liệu",
}
COMPLETENESS_COLOURS = {"detail": "#D9F0E8", "summary": "#E8F1FA", "missing": "#F8D9C5"}
SEVERITY_WORDS = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
MAX_FINDINGS = 30
MAX_VILLAGE_ROWS = 60
MAX_COMMUNE_ROWS = 20

SECTION_TITLES = {
    "scorecard": "Tóm tắt kết quả thực hiện các mục tiêu",
    "heat": "So sánh các đơn vị theo từng mục tiêu",
    "targets": "Kết quả thực hiện từng mục tiêu",
    "process": "Các chỉ tiêu về nhiệm vụ, giải pháp",
    "integrity": "Tính hợp lý của kết quả xếp loại chất lượng",
    "villages": "Thôn, bản chưa có đảng viên và trưởng thôn là đảng viên",
    "data_notes": "Ghi chú về số liệu và phương pháp",
}
UNIT_SECTIONS = ("scorecard", "targets", "process", "integrity", "villages", "data_notes")
PROVINCE_SECTIONS = (
    "scorecard",
    "heat",
    "targets",
    "process",
    "integrity",
    "villages",
    "data_notes",
)


# --------------------------------------------------------------------------- loading
_BUNDLE_CACHE: dict[tuple, Review] = {}
_COMPUTED_CACHE: dict[tuple, Review] = {}
_CACHE_SIZE = 2
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the Reviews loaded or computed in this process."""
    with _LOCK:
        _BUNDLE_CACHE.clear()
        _COMPUTED_CACHE.clear()
        _SHARED.clear()
        _SPECS.clear()


def _remember(cache_dict: dict, key: tuple, value: Review) -> None:
    with _LOCK:
        cache_dict[key] = value
        while len(cache_dict) > _CACHE_SIZE:
            cache_dict.pop(next(iter(cache_dict)))


def _resolve(path_text: str, what: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and not path.exists():
        in_project = config.PROJ_ROOT / path
        if in_project.exists():
            path = in_project
    if not path.exists():
        raise FileNotFoundError(f"Không tìm thấy {what}: {Path(path_text).name}")
    return path.resolve()


def _input_stamp(path: Path) -> tuple:
    """What identifies an input's content cheaply: name, mtime and size of every file."""
    if path.is_file():
        stat = path.stat()
        return ((path.name, stat.st_mtime_ns, stat.st_size),)
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(path.iterdir())
        if p.is_file()
    )


def load_review(data_path: str = "", bundle_path: str = "") -> Review:
    """The build's :class:`Review`: unpickled from ``bundle_path``, or computed from the input.

    ``bundle_path`` (relative to the current directory, i.e. the notebook's) is cached per
    process by (resolved path, mtime, size): the next report on a warm kernel reuses it. With
    ``bundle_path=""`` the input ``data_path`` (``""`` = the bundled demo data) is validated and
    the Review computed (cached by the input files' names, mtimes and sizes).

    Raises
    ------
    ValueError
        The input has validation errors (the message, in Vietnamese, counts them and tells to
        run ``python -m analysis validate``).
    """
    if bundle_path:
        import pickle

        path = _resolve(bundle_path, "tệp kết quả tính sẵn (bundle_path)")
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with _LOCK:
            found = _BUNDLE_CACHE.get(key)
        if found is not None:
            return found
        with open(path, "rb") as handle:
            review = pickle.load(handle)  # noqa: S301 - the build's own file
        _remember(_BUNDLE_CACHE, key, review)
        return review

    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_review

    path = _resolve(data_path, "dữ liệu đầu vào") if data_path else config.DEMO_DATA_DIR
    key = (str(path), _input_stamp(path))
    with _LOCK:
        found = _COMPUTED_CACHE.get(key)
    if found is not None:
        return found
    validation = validate_input(path)
    if not validation.ok:
        n_errors = len(validation.errors)
        raise ValueError(
            f"Dữ liệu đầu vào “{path.name}” có {fmt_number(n_errors)} lỗi nên chưa lập được báo "
            "cáo. Hãy chạy lệnh `python -m analysis validate` để xem danh sách lỗi, sửa dữ liệu "
            "rồi chạy lại."
        )
    review = compute_review(validation)
    _remember(_COMPUTED_CACHE, key, review)
    return review


# --------------------------------------------------------------------------- context
@cache
def _catalogue() -> tuple:
    from analysis.measure.catalogue import load_catalogue

    return tuple(load_catalogue())


def _no_breakdown(frame: pd.DataFrame) -> pd.DataFrame:
    if "breakdown" not in frame.columns:
        return frame
    return frame.loc[frame["breakdown"].fillna("").astype(str).isin(["", "total", "all"])]


def _by_indicator(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame is None or frame.empty:
        return {}
    return {str(k): g for k, g in frame.groupby("indicator_id", sort=False)}


@dataclass
class ReportContext:
    """What every section of one report needs: the Review, the assessment and the unit.

    Frames whose name starts with ``unit_`` are filtered for the report's unit (the province
    on the province report); ``reporting_`` frames hold the district and sector committees.
    ``*_by_id`` dicts split them by ``indicator_id``.
    """

    review: Review
    part: AssessmentReview
    assessment: dict[str, Any]
    assessment_id: str
    unit_code: str
    unit_name: str
    level: str
    is_province: bool
    unit_names: dict[str, str]
    reporting_names: dict[str, str]
    output_lang: str = "vi"
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unit_indicators: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    province_indicators: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reporting_indicators: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unit_progress: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reporting_progress: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unit_by_id: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    province_by_id: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    reporting_by_id: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    funnels_by_id: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    reporting_progress_by_id: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def is_sector(self) -> bool:
        return self.level == "sector"

    @property
    def baseline_year(self) -> int:
        return int(self.assessment["baseline_year"])

    @property
    def target_year(self) -> int:
        return int(self.assessment.get("target_year") or params.plan()["target_year"])

    @property
    def data_years(self) -> list[int]:
        return [int(y) for y in self.assessment["data_years"]]

    @property
    def partial_years(self) -> list[int]:
        return [int(y) for y in self.assessment.get("partial_years") or []]

    @property
    def latest_year(self) -> int | None:
        return self.part.latest_year

    @property
    def unit_latest_year(self) -> int | None:
        """The unit's own latest full data year (older than :attr:`latest_year` when the unit
        did not report the assessment's last year)."""
        frame = self.unit_indicators
        if frame is None or frame.empty:
            return None
        years = pd.to_numeric(
            frame.loc[frame["value"].notna(), "year"], errors="coerce"
        ).dropna()
        years = [int(y) for y in years if int(y) in self.data_years]
        return max(years) if years else None

    @property
    def short_name(self) -> str:
        return L.short_name(self.unit_name)

    def progress_row(self, indicator_id: str) -> pd.Series | None:
        rows = self.unit_progress.loc[self.unit_progress["indicator_id"] == indicator_id]
        return None if rows.empty else rows.iloc[0]

    def indicator_list(self, targets: bool) -> list:
        """Catalogue entries of the targets (``targets=True``) or the process indicators."""
        return [i for i in _catalogue() if (i.section == TARGET_SECTION) == targets]

    def applies(self, indicator) -> bool:
        """Whether the catalogue computes ``indicator`` at the report unit's level."""
        return self.level in indicator.levels

    def section_number(self, key: str) -> int | None:
        """Number of a section in this kind of report (None: not one of its sections)."""
        order = PROVINCE_SECTIONS if self.is_province else UNIT_SECTIONS
        return order.index(key) + 1 if key in order else None

    def section_title(self, key: str) -> str:
        number = self.section_number(key)
        return f"{number}. {SECTION_TITLES[key]}" if number else SECTION_TITLES[key]

    def table_title(self, key: str, text: str) -> str:
        """``"Bảng 3. <text>"`` (the section's number), or the text alone."""
        number = self.section_number(key)
        return f"Bảng {number}. {text}" if number else text


def load_context(
    unit_code: str,
    assessment_id: str,
    data_path: str = "",
    bundle_path: str = "",
    output_lang: str = "vi",
) -> ReportContext:
    """Everything one report needs (see :class:`ReportContext`).

    Parameters are the notebook's: ``unit_code`` (a district or sector committee, or the
    province code), ``assessment_id`` (``params/assessments.yaml``), ``data_path`` (input,
    ``""`` = demo), ``bundle_path`` (the build's pickled Review; ``""`` = compute it here) and
    ``output_lang`` (only ``"vi"``).

    Raises
    ------
    ValueError
        Unknown unit or assessment (in Vietnamese, listing the valid codes), another language,
        or an input with validation errors.
    """
    if (output_lang or "vi") != "vi":
        raise ValueError(
            f"Ngôn ngữ báo cáo “{output_lang}” chưa được hỗ trợ; báo cáo chỉ có tiếng Việt "
            '(output_lang = "vi").'
        )
    review = load_review(data_path, bundle_path)
    return context_from_review(review, unit_code, assessment_id)


def context_from_review(review: Review, unit_code: str, assessment_id: str) -> ReportContext:
    """A :class:`ReportContext` for a Review already in memory (tests, explore notebook)."""
    if assessment_id not in review.assessments:
        raise ValueError(
            f"Không có kỳ đánh giá “{assessment_id}”. Các kỳ hiện có: "
            f"{', '.join(review.assessments)}."
        )
    unit_code = str(unit_code)
    reporting = review.reporting_units
    codes = [*reporting["code"].astype(str), review.province_code]
    if unit_code not in codes:
        raise ValueError(
            f"Không có đơn vị báo cáo có mã “{unit_code}”. Các mã hợp lệ: {', '.join(codes)}."
        )
    part = review.assessments[assessment_id]
    names = review.unit_names()
    is_province = unit_code == review.province_code
    level = (
        "province"
        if is_province
        else str(reporting.loc[reporting["code"].astype(str) == unit_code, "level"].iloc[0])
    )
    reporting_names = {str(c): names.get(str(c), str(c)) for c in reporting["code"]}

    ind = _no_breakdown(part.indicators)
    unit_ind = ind.loc[ind["unit_code"] == unit_code]
    prov_ind = ind.loc[ind["unit_code"] == review.province_code]
    rep_ind = ind.loc[ind["level"].isin(REPORTING_LEVELS)]
    progress = part.progress
    unit_prog = progress.loc[progress["unit_code"] == unit_code]
    rep_prog = progress.loc[progress["unit_code"].isin(list(reporting_names))]
    return ReportContext(
        review=review,
        part=part,
        assessment=dict(part.assessment),
        assessment_id=assessment_id,
        unit_code=unit_code,
        unit_name=names.get(unit_code, unit_code),
        level=level,
        is_province=is_province,
        unit_names=names,
        reporting_names=reporting_names,
        indicators=ind,
        unit_indicators=unit_ind,
        province_indicators=prov_ind,
        reporting_indicators=rep_ind,
        unit_progress=unit_prog,
        reporting_progress=rep_prog,
        unit_by_id=_by_indicator(unit_ind),
        province_by_id=_by_indicator(prov_ind),
        reporting_by_id=_by_indicator(rep_ind),
        funnels_by_id=_by_indicator(part.funnels),
        reporting_progress_by_id=_by_indicator(rep_prog),
    )


# --------------------------------------------------------------------------- HTML helpers
def _esc(value: Any) -> str:
    return MISSING if is_missing(value) else html.escape(str(value), quote=True)


def _display(markup: str) -> HTML:
    from IPython.display import HTML

    return HTML(markup)


@cache
def _css() -> str:
    return CSS_FILE.read_text(encoding="utf-8")


def _section(ctx: ReportContext, key: str, body: str) -> HTML:
    return _display(
        f'<section class="tccsd-report tccsd-section" id="muc-{key}">\n'
        f"<h2>{html.escape(ctx.section_title(key))}</h2>\n{body}\n</section>"
    )


def _text(text: str) -> str:
    """Escaped text; a number and its "điểm phần trăm" never break across lines."""
    return html.escape(text).replace(" điểm phần trăm", "&nbsp;điểm&nbsp;phần&nbsp;trăm")


def _p(text: str, css: str = "") -> str:
    """A paragraph of plain text (escaped here)."""
    cls = f' class="{css}"' if css else ""
    return f"<p{cls}>{_text(text)}</p>"


def _release(fig: Figure) -> None:
    """Free a figure's pixel buffer now; the artists go with the last reference. (Not
    ``fig.clear()``: it clears every Axes one by one, ~10 ms each, for nothing.)"""
    canvas = fig.canvas
    if getattr(canvas, "renderer", None) is not None:
        canvas.renderer = None
        canvas._lastKey = None


def _figure(fig: Figure, alt: str, caption: str = "") -> str:
    """The figure as an embedded PNG (then freed), with an escaped alt text and caption."""
    from analysis.present import plots

    try:
        uri = plots.fig_to_data_uri(fig, dpi=CHART_DPI)
    finally:
        _release(fig)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart"><img src="{uri}" alt="{html.escape(alt)}">{cap}</figure>'


def _figure_png(png: bytes, alt: str, caption: str = "") -> str:
    """Like :func:`_figure` for a chart already encoded as PNG bytes."""
    import base64

    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart"><img src="{uri}" alt="{html.escape(alt)}">{cap}</figure>'


def _styled(styler, css: str = "avoid-break", wide: str = "tbl-wide") -> str:
    """Styler HTML with the print class (``avoid-break`` for small tables, ``long`` else),
    in a ``<div>`` of the same class (so that the caption stays with its table) and of class
    ``wide`` (smaller type, wrapping cells: the table fits the 18 cm text width)."""
    styler.set_table_attributes(f'class="{css}"')
    return f'<div class="{wide} {css}">{styler.to_html()}</div>'


def _table(
    frame: pd.DataFrame,
    uuid: str,
    caption: str = "",
    numeric: tuple[str, ...] | list[str] = (),
    centre: tuple[str, ...] | list[str] = (),
    css: str = "avoid-break",
    cell_css: pd.DataFrame | None = None,
) -> str:
    """A small table whose cells are ALREADY safe HTML (escape data before calling)."""
    from analysis.present.tables import cell_classes

    styler = frame.style
    styler.set_uuid(re.sub(r"[^A-Za-z0-9_]", "_", uuid))
    styler.cell_ids = False
    styler.hide(axis="index")
    styler.set_table_attributes(f'class="tccsd-table {css}"')
    if caption:
        styler.set_caption(html.escape(caption))
    classes, rules = cell_classes(frame, numeric, centre, cell_css)
    styler.set_td_classes(classes)
    if rules:
        styler.set_table_styles(rules)
    return f'<div class="{css}">{styler.to_html()}</div>'


def _list(items: list[str], css: str = "") -> str:
    """A bullet list of plain texts (escaped here)."""
    if not items:
        return ""
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>" + "".join(f"<li>{_text(t)}</li>" for t in items) + "</ul>"


def _years_text(years: list[int]) -> str:
    years = sorted(years)
    if not years:
        return MISSING
    if years == list(range(years[0], years[-1] + 1)) and len(years) > 2:
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def _level_phrase(indicator) -> str:
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


def _not_applicable(ctx: ReportContext, indicator) -> str:
    return _p(
        f"Chỉ tiêu này không áp dụng cho {ctx.unit_name}: chỉ tính cho {_level_phrase(indicator)}.",
        "not-applicable",
    )


def _value_of(row: Any, key: str) -> Any:
    if row is None:
        return None
    value = row.get(key) if hasattr(row, "get") else None
    return None if is_missing(value) else value


def _is_partial_latest(ctx: ReportContext, indicator_id: str, latest_year: Any) -> bool:
    rows = ctx.unit_by_id.get(indicator_id)
    if rows is None or latest_year is None:
        return False
    hit = rows.loc[rows["year"] == int(latest_year)]
    if hit.empty:
        return False
    flags = [c for c in ("partial", "partial_year") if c in hit.columns]
    return any(bool(hit[c].astype("boolean").fillna(False).iloc[0]) for c in flags)


def _sentence(ctx: ReportContext, indicator, with_projection: bool) -> str:
    from analysis.present.sentences import indicator_sentence

    row = ctx.progress_row(indicator.id)
    if row is None:
        return "Chưa có số liệu để đánh giá chỉ tiêu này."
    partial = _is_partial_latest(ctx, indicator.id, _value_of(row, "latest_year"))
    text = indicator_sentence(
        row,
        indicator.name_vi,
        indicator.unit,
        partial=partial,
        with_projection=with_projection,
        yearly_values=_assessed_values(ctx, indicator.id),
        expected_year=ctx.latest_year,
    )
    return _with_cohort(ctx, indicator.id, text)


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
        text = L.text("officials.cohort", years=_years_text(inside), term=term["term"])
        if inside and all(y in partial for y in inside):
            text = text.replace(f"năm {_years_text(inside)}", f"năm {_years_text(inside)} "
                                "(chưa đủ cả năm)")
        cohorts.append(text)
    if target_term not in seen:
        cohorts.append(L.text("officials.no_target_term_yet", target_term=target_term))
    return L.text("officials.clause", target_term=target_term, cohorts=", ".join(cohorts))


def _with_cohort(ctx: ReportContext, indicator_id: str, sentence: str) -> str:
    """A T3a/T3b sentence with the officials' terms put before its verdict."""
    if indicator_id not in (params.plan().get("officials_targets") or []):
        return sentence
    clause = officials_cohort_clause(list(ctx.part.years), ctx.partial_years)
    at = sentence.rfind("; đánh giá:")
    if not clause or at < 0:
        return sentence
    return f"{sentence[:at]}; {clause}{sentence[at:]}"


def _assessed_values(ctx: ReportContext, indicator_id: str) -> dict[int, float]:
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


# --------------------------------------------------------------------------- title page
def title_page(ctx: ReportContext) -> HTML:
    """Title, resolution, unit, the data used (years, source name, fingerprint), date, and the
    list of sections. Carries the report's stylesheet (``report.css``)."""
    from analysis.reproducible import build_datetime

    plan = params.plan()
    review = ctx.review
    years = [y for y in ctx.part.years if y in ctx.data_years]
    data_text = f"Các năm {_years_text(years)} (năm gốc {ctx.baseline_year})"
    if ctx.partial_years:
        data_text += (
            f"; năm {_years_text(ctx.partial_years)}: số liệu chưa đủ cả năm, chỉ để tham khảo"
        )
    source = f"{Path(str(review.source_name)).name} (mã kiểm tra dữ liệu {review.fingerprint})"
    # who the report is about (never "Báo cáo của huyện": the district did not write it)
    kind = L.text(f"title.about_{ctx.level}", unit=ctx.unit_name)
    rows = [
        (L.text("title.unit_row"), ctx.unit_name),
        ("Kỳ đánh giá", str(ctx.assessment.get("short_vi") or ctx.assessment["title_vi"])),
        ("Số liệu sử dụng", data_text),
        ("Nguồn số liệu", source),
        ("Ngày lập báo cáo", fmt_date(build_datetime().date())),
    ]
    meta = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    order = PROVINCE_SECTIONS if ctx.is_province else UNIT_SECTIONS
    toc = f'<li><a href="#muc-tom-tat-lanh-dao">{html.escape(L.text("leader.title"))}</a></li>'
    toc += "".join(
        f'<li><a href="#muc-{k}">{html.escape(ctx.section_title(k))}</a></li>' for k in order
    )
    toc += '<li><a href="#muc-phu-luc">Phụ lục</a></li>'  # PDF: page numbers (report.css)
    body = (
        f"<style>\n{_css()}</style>\n"
        '<header class="tccsd-report tccsd-title">\n'
        f'<p class="tp-kicker">{html.escape(kind)}</p>\n'
        f"<h1>{html.escape(str(ctx.assessment['title_vi']))}</h1>\n"
        f'<p class="tp-resolution">{html.escape(str(plan["resolution_title_vi"]))}</p>\n'
        f'<p class="tp-unit">{html.escape(ctx.unit_name)}</p>\n'
        f'<table class="tp-meta avoid-break">{meta}</table>\n'
        f'<nav class="tp-toc"><strong>Nội dung</strong><ul>{toc}</ul></nav>\n'
        "</header>"
    )
    return _display(body)


# --------------------------------------------------------------------------- scorecard
def _verdict_legend(verdicts: list[str] | None = None) -> str:
    items = []
    for code in verdicts or L.VERDICTS:
        items.append(f"<li>{L.verdict_badge_html(code)} {html.escape(VERDICT_MEANINGS[code])}</li>")
    return '<ul class="verdict-legend">' + "".join(items) + "</ul>"


def scorecard_section(ctx: ReportContext) -> HTML:
    """T1–T7 of the unit: baseline, each year, latest, target, verdict badge, and one generated
    sentence per target; the verdicts explained."""
    from analysis.present.sentences import latest_year_note
    from analysis.present.tables import scorecard_table

    targets = ctx.indicator_list(targets=True)
    applicable = [i for i in targets if ctx.applies(i)]
    ids = [i.id for i in applicable]
    parts = []
    verdicts = [str(_value_of(ctx.progress_row(i), "verdict") or "not_assessable") for i in ids]
    counts = [(v, verdicts.count(v)) for v in L.VERDICTS if verdicts.count(v)]
    latest = ctx.latest_year
    own = ctx.unit_latest_year
    older = own is not None and latest is not None and own < latest
    summary = (
        f"Đánh giá {len(ids)} chỉ tiêu mục tiêu của Nghị quyết đối với {ctx.unit_name}"
        + (f", số liệu đến năm {latest}" if latest and not older else "")
        + (
            f", {latest_year_note(own)} (đơn vị chưa có số liệu năm {latest}, các chỉ tiêu "
            f"được đánh giá theo số liệu năm {own})"
            if older
            else ""
        )
        + f", so với năm gốc {ctx.baseline_year}: "
        + "; ".join(f"{n} chỉ tiêu “{L.verdict_word(v)}”" for v, n in counts)
        + "."
    )
    if not ids:
        summary = f"Không có chỉ tiêu mục tiêu nào của Nghị quyết tính cho {ctx.unit_name}."
    parts.append(_p(summary))
    styler = scorecard_table(
        ctx.indicators,
        ctx.part.progress,
        ctx.unit_code,
        ctx.part.years,
        indicator_ids=ids,
        baseline_year=ctx.baseline_year,
        title_vi=ctx.table_title("scorecard", f"Kết quả thực hiện các mục tiêu – {ctx.unit_name}"),
    )
    parts.append(_styled(styler))
    skipped = [i for i in targets if not ctx.applies(i)]
    for phrase in dict.fromkeys(_level_phrase(i) for i in skipped):
        same = [i.id for i in skipped if _level_phrase(i) == phrase]
        parts.append(
            _p(
                f"{'Các chỉ tiêu' if len(same) > 1 else 'Chỉ tiêu'} {', '.join(same)} không áp "
                f"dụng cho {ctx.unit_name} (chỉ tính cho {phrase}).",
                "note",
            )
        )
    sentences = [f"{i.id}. {_sentence(ctx, i, with_projection=False)}" for i in applicable]
    rating = set(params.plan().get("rating_targets") or [])
    caveat = "" if ctx.is_province else rating_caveat(ctx, ctx.unit_code)
    if caveat:
        sentences = [
            f"{t} {caveat}" if i.id in rating else t
            for i, t in zip(applicable, sentences, strict=True)
        ]
    parts.append("<h3>Nhận định từng chỉ tiêu</h3>")
    parts.append(_list(sentences, "sentences"))
    parts.append("<h3>Cách đọc kết quả đánh giá</h3>")
    parts.append(_verdict_legend())
    return _section(ctx, "scorecard", "\n".join(parts))


# --------------------------------------------------------------------------- heat table
def heat_table_section(ctx: ReportContext) -> HTML:
    """Province report: reporting unit × target, latest value with the verdict symbol on the
    verdict colour; the province in the last row."""
    from analysis.present.tables import heat_table

    ids = [i.id for i in ctx.indicator_list(targets=True)]
    names = dict(ctx.reporting_names)
    names[ctx.review.province_code] = L.labels()["province_total"]
    progress = ctx.part.progress.loc[ctx.part.progress["unit_code"].isin(list(names))]
    parts = [
        _p(
            "Mỗi ô là giá trị năm mới nhất của đơn vị, tô màu và đánh dấu theo kết quả đánh giá "
            "tiến độ (cách đọc ở mục 1); ô “–” là chỉ tiêu không áp dụng hoặc không có số liệu."
        )
    ]
    if progress.empty:
        parts.append(_p("Không có kết quả đánh giá của các đơn vị.", "note"))
    else:
        styler = heat_table(
            progress,
            names,
            ids,
            indicators=ctx.indicators,
            expected_year=ctx.latest_year,
            title_vi=ctx.table_title(
                "heat",
                f"Kết quả các mục tiêu theo đơn vị – {ctx.unit_name}"
                + (f" (số liệu đến năm {ctx.latest_year})" if ctx.latest_year else ""),
            ),
        )
        parts.append(_styled(styler, wide="tbl-heat"))
    return _section(ctx, "heat", "\n".join(parts))


# --------------------------------------------------------------------------- targets
def _trend(ctx: ReportContext, indicator) -> str:
    from analysis.present import plots

    rows = ctx.unit_by_id.get(indicator.id)
    if rows is None or rows.empty:
        return _p("Không có số liệu của đơn vị cho chỉ tiêu này.", "note")
    from analysis.present.sentences import projection_meaningful

    province = None if ctx.is_province else ctx.province_by_id.get(indicator.id)
    progress_row = ctx.progress_row(indicator.id)
    projected = progress_row is not None and not is_missing(progress_row.get("projected_value"))
    meaningful = projected and projection_meaningful(
        progress_row.get("projected_value"),
        progress_row.get("projected_lower"),
        progress_row.get("projected_upper"),
        indicator.unit,
    )
    if projected and not meaningful:
        # a projection that means nothing is neither said nor drawn
        progress_row = progress_row.copy()
        progress_row[["projected_value", "projected_lower", "projected_upper"]] = np.nan
    fig = plots.trend_chart(
        rows,
        progress_row=progress_row,
        province_series=province[["year", "value"]] if province is not None else None,
        unit=indicator.unit,
        unit_label=ctx.short_name if not ctx.is_province else L.labels()["province_total"],
        partial_years=ctx.partial_years,
        height_cm=7.0,
    )
    caption = (
        f"Diễn biến {indicator.id} – {indicator.name_vi}, {ctx.unit_name}"
        + ("" if ctx.is_province else " và toàn tỉnh" if indicator.unit != "count"
           else " (trục dọc theo số liệu của đơn vị; toàn tỉnh xem báo cáo toàn tỉnh)")
        + ": giá trị từng năm với khoảng tin cậy 95%, chỉ tiêu, "
        + (
            f"dự báo đến năm {ctx.target_year}."
            if meaningful or not projected
            else L.text("projection.none_caption", year=ctx.target_year) + "."
        )
    )
    return _figure(fig, f"{indicator.id}: diễn biến theo năm", caption)


def _comparison_rows(ctx: ReportContext, indicator_id: str) -> pd.DataFrame:
    rows = ctx.reporting_by_id.get(indicator_id)
    if rows is None or ctx.latest_year is None:
        return pd.DataFrame()
    rows = rows.loc[(rows["year"] == ctx.latest_year) & rows["value"].notna()]
    return rows


def _comparison(ctx: ReportContext, indicator) -> str:
    """Funnel plot (percent) or ranked dot plot (count) of the reporting units."""
    from analysis.present import plots

    highlight = None if ctx.is_province else ctx.unit_code
    latest = ctx.latest_year
    parts = []
    if indicator.unit == "percent":
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            return _p("Không đủ số liệu để so sánh các đơn vị.", "note")
        # the funnel is the same in every unit's report but for the highlight: drawn once
        png = plots.funnel_png(
            funnel, ctx.unit_names, highlight=highlight, height_cm=9.0, dpi=CHART_DPI
        )
        caption = (
            f"So sánh các đơn vị năm {latest} (biểu đồ phễu): mỗi điểm là một đơn vị, trục "
            "ngang là số được đánh giá; điểm nằm ngoài đường giới hạn 95% hoặc 99,8% khác toàn "
            "tỉnh nhiều hơn mức có thể do quy mô nhỏ."
        )
        parts.append(_figure_png(png, f"{indicator.id}: so sánh các đơn vị", caption))
        if highlight is not None:
            mine = funnel.loc[funnel["unit_code"] == highlight]
            if not mine.empty:
                row = mine.iloc[0]
                word = L.funnel_word(_value_of(row, "assessment"), indicator.polarity)
                parts.append(
                    _p(
                        f"Năm {latest}, {ctx.unit_name} đạt {fmt_percent(row['value'])}, toàn "
                        f"tỉnh {fmt_percent(row['baseline'])}: {word.lower()}."
                        if word != L.labels()["funnel"]["not_assessable"]
                        else f"Năm {latest}: không đủ số liệu để so sánh {ctx.unit_name} với "
                        "toàn tỉnh.",
                    )
                )
        return "\n".join(parts)
    rows = _comparison_rows(ctx, indicator.id)
    if rows.empty:
        return _p("Không đủ số liệu để so sánh các đơn vị.", "note")
    fig = plots.ranked_dot_plot(
        rows[["unit_code", "value", "lower_95", "upper_95", "unit"]],
        highlight=highlight,
        unit_names=ctx.unit_names,
    )
    noun = L.count_noun(indicator.id)
    caption = (
        f"Xếp hạng các đơn vị năm {latest} theo {indicator.name_vi[0].lower()}"
        f"{indicator.name_vi[1:]}" + (f" ({noun})" if noun else "") + ", với khoảng tin cậy 95%."
    )
    return _figure(fig, f"{indicator.id}: xếp hạng các đơn vị", caption)


def _tile_map(ctx: ReportContext, indicator) -> str:
    from analysis.present import plots

    rows = _comparison_rows(ctx, indicator.id)
    if rows.empty:
        return ""
    layout = params.units()
    # the tiles place one province's units (params/units.yaml): another province's review
    # (country builds, synthetic data) would get an empty or wrong map
    if str(layout.get("province", "")) != str(ctx.review.province_code):
        return _p(
            f"Chưa có sơ đồ vị trí các đơn vị của {ctx.review.province_name} nên báo cáo "
            "không có bản đồ ô.",
            "note",
        )
    verdicts = ctx.reporting_progress_by_id.get(indicator.id)
    fmt = fmt_percent if indicator.unit == "percent" else fmt_number
    fig = plots.tile_map(
        rows[["unit_code", "value", "unit"]],
        layout["tiles"],
        verdicts=verdicts[["unit_code", "verdict"]] if verdicts is not None else None,
        unit_names=ctx.unit_names,
        value_fmt=fmt,
    )
    caption = (
        f"Bản đồ ô: mỗi ô là một đơn vị đặt gần đúng vị trí trên địa bàn tỉnh (các đảng bộ "
        f"khối, lực lượng vũ trang ở hàng riêng), ghi giá trị năm {ctx.latest_year} và tô màu "
        "theo kết quả đánh giá."
    )
    return _figure(fig, f"{indicator.id}: bản đồ các đơn vị", caption)


def _ranking_table(
    ctx: ReportContext,
    indicator,
    *,
    unit_header: str = "Đơn vị",
    area: str = "toàn tỉnh",
    units_noun: str = "các đơn vị",
    table_id: str | None = None,
) -> str:
    """The reporting units ranked by their latest value, with target, verdict and the funnel
    word against ``area`` (the national report ranks provinces against "toàn quốc")."""
    rows = _comparison_rows(ctx, indicator.id)
    if rows.empty:
        return ""
    ascending = indicator.polarity == "lower"
    rows = rows.sort_values(["value", "unit_code"], ascending=[ascending, True], kind="mergesort")
    progress = ctx.reporting_progress_by_id.get(indicator.id)
    verdict_of = (
        dict(zip(progress["unit_code"], progress["verdict"], strict=False))
        if progress is not None
        else {}
    )
    funnel = ctx.funnels_by_id.get(indicator.id)
    funnel_of = (
        dict(zip(funnel["unit_code"], funnel["assessment"], strict=False))
        if funnel is not None
        else {}
    )
    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    value_col = f"Năm {ctx.latest_year}"
    records = []
    rank, previous = 0, None
    for i, row in enumerate(rows.itertuples(index=False), start=1):
        if row.value != previous:
            rank, previous = i, row.value
        target = (
            L.target_text(str(row.target_op), row.target_value, indicator.unit, noun)
            if not is_missing(row.target_op) and not is_missing(row.target_value)
            else MISSING
        )
        record = {
            "Hạng": str(rank),
            unit_header: _esc(ctx.unit_names.get(row.unit_code, row.unit_code)),
            value_col: html.escape(fmt_value(row.value, indicator.unit)),
            "Chỉ tiêu": html.escape(target),
            "Đánh giá": L.verdict_badge_html(verdict_of.get(row.unit_code)),
        }
        if indicator.unit == "percent":
            word = L.funnel_word(funnel_of.get(row.unit_code), indicator.polarity)
            record[f"So với {area}"] = html.escape(word.replace("toàn tỉnh", area))
        records.append(record)
    frame = pd.DataFrame(records)
    return _table(
        frame,
        table_id or f"rank_{indicator.id}",
        f"Xếp hạng {units_noun} năm {ctx.latest_year} – {indicator.id}",
        numeric=[value_col],
        centre=["Hạng"],
    )


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
    text += _top_level_share(ctx, unit_code)
    catalogue = {i.id: i for i in _catalogue()}
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
        province = _indicator_value(ctx, indicator_id, ctx.review.province_code, ctx.latest_year)
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


def _top_level_share(ctx: ReportContext, unit_code: str) -> str:
    """``"; năm 2019, 50,7% số TCCSĐ được xếp loại «Hoàn thành xuất sắc nhiệm vụ» (toàn tỉnh
    21,0%)"``: the top rating level's share among the TCCSĐ rated in the latest year, the unit's
    beside the sum of every reporting unit; ``""`` without rating counts."""
    from analysis.data.schema import scheme_for_year, vocabularies

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


def units_behind_text(ctx: ReportContext, indicator) -> str:
    """The units behind one target, named: who has not met it (value and verdict), who is
    significantly worse than the province on the funnel, and the group they share."""
    found = units_behind(ctx, indicator)
    if not found["assessed"] and not found["not_assessable"]:
        return ""
    names = ctx.unit_names
    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    year = ctx.latest_year
    sentences = []
    if found["not_met"]:
        listed = [
            f"{L.short_name(names.get(c, c))} "
            f"{fmt_value(found['values'].get(c), indicator.unit, noun)}"
            f" ({L.verdict_word(found['verdicts'][c])})"
            for c in found["not_met"]
        ]
        sentences.append(
            L.text(
                "behind.not_met",
                year=year,
                count=len(found["not_met"]),
                total=found["assessed"],
                units=", ".join(listed),
            )
        )
    elif found["assessed"]:
        sentences.append(L.text("behind.all_met", year=year, total=found["assessed"]))
    for group, hit, size in found["groups"]:
        sentences.append(
            L.text(
                "behind.group_all" if len(hit) == size else "behind.group",
                count=len(hit),
                size=size,
                group=group,
                members=", ".join(L.short_name(names.get(c, c)) for c in hit),
            )
        )
    if found["worse"]:
        listed = [
            f"{L.short_name(names.get(c, c))}: "
            f"{L.funnel_word(a, indicator.polarity)[:1].lower()}"
            f"{L.funnel_word(a, indicator.polarity)[1:]}"
            for c, a in found["worse"]
        ]
        sentences.append(L.text("behind.worse", units="; ".join(listed)))
    if found["not_assessable"]:
        sentences.append(
            L.text(
                "behind.not_assessable",
                units=", ".join(L.short_name(names.get(c, c)) for c in found["not_assessable"]),
            )
        )
    return " ".join(sentences)


def target_sections(ctx: ReportContext) -> HTML:
    """Every target: heading, sentence, trend chart, the unit among the others (funnel plot or
    ranked dots); on the province report also the tile map and the ranking."""
    parts = [
        _p(
            "Mỗi mục tiêu gồm: nhận định, biểu đồ diễn biến theo năm (khoảng tin cậy 95%, chỉ "
            f"tiêu, dự báo đến năm {ctx.target_year}, mốc thay đổi cách xếp loại năm 2018) và "
            "so sánh giữa các đơn vị. " + L.text("targets.funnel_similar_explained")
        )
    ]
    for indicator in ctx.indicator_list(targets=True):
        block = [
            f'<h3 id="muc-tieu-{_esc(indicator.id)}">{_esc(indicator.id)}. '
            f"{_esc(indicator.name_vi)}</h3>"
        ]
        if not ctx.applies(indicator):
            block.append(_not_applicable(ctx, indicator))
            parts.append('<div class="target-block">' + "\n".join(block) + "</div>")
            continue
        # heading, sentence and trend chart on one page
        block[0] = (
            f'<div class="keep">{block[0]}'
            + _p(_sentence(ctx, indicator, with_projection=True), "sentence")
            + _trend(ctx, indicator)
            + "</div>"
        )
        if ctx.is_province:
            behind = units_behind_text(ctx, indicator)
            if behind:
                block.append(_p(behind, "units-behind"))
        block.append(_comparison(ctx, indicator))
        if ctx.is_province:
            block.append(_tile_map(ctx, indicator))
            block.append(_ranking_table(ctx, indicator))
        if indicator.id in (params.plan().get("rating_targets") or []):
            codes = list(ctx.reporting_names) if ctx.is_province else [ctx.unit_code]
            for code in codes:
                caveat = rating_caveat(ctx, code)
                if caveat:
                    block.append(_p(caveat, "caveat"))
        parts.append('<div class="target-block">' + "\n".join(b for b in block if b) + "</div>")
    return _section(ctx, "targets", "\n".join(parts))


# --------------------------------------------------------------------------- process
def _trend_progress(ctx: ReportContext) -> pd.DataFrame:
    """The unit's progress rows, plus a ``trend_direction`` row for every indicator without a
    target: arrows and sparklines read the assessment's full years only, never the partial
    reference year (the tables' own fallback, last minus first shown year, would)."""
    progress = ctx.unit_progress
    trends = getattr(ctx.part, "trends", None)
    if trends is None or trends.empty:
        return progress
    mine = trends.loc[
        (trends["unit_code"] == ctx.unit_code)
        & ~trends["indicator_id"].isin(set(progress["indicator_id"]))
    ]
    if mine.empty:
        return progress
    return pd.concat([progress, mine], ignore_index=True)


def process_section(ctx: ReportContext) -> HTML:
    """P1–P17: values by year, direction arrow (coloured good/bad by polarity), target and
    verdict where there is one; small multiples of the same series."""
    from analysis.present import plots
    from analysis.present.tables import process_table

    indicators = ctx.indicator_list(targets=False)
    ids = [i.id for i in indicators if ctx.applies(i) and i.id in ctx.unit_by_id]
    skipped = [i.id for i in indicators if not ctx.applies(i)]
    parts = [
        _p(
            "Các chỉ tiêu theo dõi việc thực hiện nhiệm vụ, giải pháp của Nghị quyết. Mũi tên "
            "chỉ xu hướng của chuỗi số liệu qua các năm: màu xanh là thay đổi theo hướng tốt, "
            "màu cam là theo hướng chưa tốt, màu xám là không đổi."
        )
    ]
    if not ids:
        parts.append(_p("Không có số liệu các chỉ tiêu nhiệm vụ, giải pháp.", "note"))
        return _section(ctx, "process", "\n".join(parts))
    trends = _trend_progress(ctx)
    styler = process_table(
        ctx.indicators,
        trends,
        ctx.unit_code,
        years=ctx.part.years,
        indicator_ids=ids,
        title_vi=ctx.table_title("process", f"Các chỉ tiêu nhiệm vụ, giải pháp – {ctx.unit_name}"),
    )
    parts.append(_styled(styler, "long"))
    if skipped:
        parts.append(_p(f"Không áp dụng cho {ctx.unit_name}: {', '.join(skipped)}.", "note"))
    fig = plots.small_multiples(
        ctx.unit_indicators,
        ids,
        ctx.unit_code,
        progress=trends,
        ncols=4,
    )
    parts.append(
        _figure(
            fig,
            "Diễn biến các chỉ tiêu nhiệm vụ, giải pháp",
            "Diễn biến từng chỉ tiêu nhiệm vụ, giải pháp (mỗi ô một chỉ tiêu; số màu xám là giá "
            "trị năm đầu, số in đậm là giá trị năm mới nhất, mũi tên là xu hướng).",
        )
    )
    return _section(ctx, "process", "\n".join(parts))


# --------------------------------------------------------------------------- integrity
def _integrity_frame(ctx: ReportContext, rows: pd.DataFrame, with_unit: bool) -> str:
    from analysis.measure.integrity import RULE_TOTAL

    records = []
    for row in rows.itertuples(index=False):
        lo, hi = row.lower_95, row.upper_95
        record = {}
        if with_unit:
            record["Đơn vị"] = _esc(ctx.unit_names.get(row.reporting_unit, row.reporting_unit))
        flag = row.flag
        warnings = getattr(row, RULE_TOTAL)
        record.update(
            {
                "Giai đoạn": _esc(row.period),
                "TCCSĐ được xếp loại": html.escape(fmt_number(row.n)),
                "Xếp loại tốt trở lên (O)": html.escape(fmt_number(row.O)),
                "Dự kiến theo hồ sơ (E)": html.escape(fmt_number(row.E, 1)),
                "O/E": html.escape(fmt_number(row.ratio, 2)),
                "Giới hạn 95%": html.escape(
                    f"{fmt_number(lo, 2)}–{fmt_number(hi, 2)}"
                    if not is_missing(lo) and not is_missing(hi)
                    else MISSING
                ),
                "Đánh dấu": html.escape(OE_FLAG_WORDS.get(str(flag), MISSING))
                if not is_missing(flag)
                else MISSING,
                "Cảnh báo quy định xếp loại": html.escape(fmt_number(warnings))
                if not is_missing(warnings)
                else MISSING,
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    css = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for i, row in enumerate(rows.itertuples(index=False)):
        flag = str(row.flag)
        if flag.startswith("above"):
            css.loc[i, "Đánh dấu"] = f"background-color:{L.tint('#D55E00', 0.3)};"
    numeric = [
        "TCCSĐ được xếp loại",
        "Xếp loại tốt trở lên (O)",
        "Dự kiến theo hồ sơ (E)",
        "O/E",
        "Giới hạn 95%",
        "Cảnh báo quy định xếp loại",
    ]
    return _table(
        frame,
        f"integrity_{ctx.unit_code}",
        ctx.table_title(
            "integrity",
            f"Kết quả xếp loại TCCSĐ so với mức dự kiến theo hồ sơ – {ctx.unit_name}",
        ),
        numeric=numeric,
        css="avoid-break",
        cell_css=css,
    )


def _oe_chart(ctx: ReportContext, rows: pd.DataFrame) -> str:
    """Units' O/E ratios with their 95% and 99,8% control limits (a cheap dot chart)."""
    from analysis.present import plots

    data = rows.loc[pd.to_numeric(rows["ratio"], errors="coerce").notna()].copy()
    if data.empty:
        return ""
    data["_r"] = pd.to_numeric(data["ratio"]).astype(float)
    data = data.sort_values("_r", kind="mergesort").reset_index(drop=True)
    n = len(data)
    fig = plots.chart_figure(max(4.5, 1.8 + 0.6 * n))
    ax = fig.add_subplot()
    pos = np.arange(n)
    for level, colour, width, label in (
        ("998", "#E3E3E3", 7, "Giới hạn kiểm soát 99,8%"),
        ("95", "#BDBDBD", 7, "Giới hạn kiểm soát 95%"),
    ):
        lo = pd.to_numeric(data[f"lower_{level}"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(data[f"upper_{level}"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(
            pos[ok], lo[ok], hi[ok], colors=colour, lw=width, label=label, gid=f"limits_{level}"
        )
    colours = (
        data["flag"]
        .astype(str)
        .map(
            lambda f: (
                "#D55E00"
                if f.startswith("above")
                else "#0072B2"
                if f.startswith("below")
                else "#555555"
            )
        )
    )
    ax.scatter(data["_r"], pos, c=list(colours), s=26, zorder=3, gid="ratios")
    ax.axvline(1.0, color="#333333", lw=0.9, ls="--", label="Bằng mức dự kiến (O/E = 1)")
    ax.set_yticks(pos)
    ax.set_yticklabels([L.short_name(ctx.unit_names.get(c, c)) for c in data["reporting_unit"]])
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.xaxis.set_major_formatter(plots.vi_formatter("number"))
    ax.set_xlabel("Tỷ số O/E (số xếp loại tốt trở lên thực tế / dự kiến)")
    plots.legend_below(fig, ax, ncol=3)
    caption = (
        "Tỷ số O/E của từng đơn vị và giới hạn kiểm soát (ô xám); điểm màu cam nằm trên giới "
        "hạn: xếp loại tốt trở lên nhiều hơn mức hồ sơ dự báo."
    )
    return _figure(fig, "Tỷ số O/E của các đơn vị", caption)


def integrity_section(ctx: ReportContext) -> HTML:
    """Rating plausibility: the unit's O/E flag and rule-warning counts as questions for the
    reviewer, with the disclaimer; the province gets every unit (flagged first) and a chart."""
    from analysis.measure.integrity import RULE_TOTAL, RULES
    from analysis.present import integrity_words

    integrity = ctx.part.integrity
    parts = [
        _p(
            "Phần này đặt kết quả xếp loại chất lượng TCCSĐ bên cạnh các hồ sơ không phụ thuộc "
            "vào việc xếp loại (sinh hoạt chi bộ, kiểm tra, kỷ luật, đánh giá đảng viên) và "
            "nêu những điểm cần người thẩm định xem xét."
        )
    ]
    has_data = integrity is not None and not integrity.empty
    if ctx.is_province:
        if not has_data:
            parts.append(
                _p(
                    "Dữ liệu không có kết quả xếp loại chi tiết của từng TCCSĐ thuộc "
                    f"{ctx.unit_name} nên chưa xem xét được phần này.",
                    "note",
                )
            )
        else:
            rows = integrity.copy()
            rows["_order"] = rows["flag"].map(OE_FLAG_ORDER).astype("Float64").fillna(6)
            warned = pd.to_numeric(rows[RULE_TOTAL], errors="coerce").fillna(0) > 0
            rows.loc[warned & (rows["_order"] > 1), "_order"] = 2
            rows["_ratio"] = pd.to_numeric(rows["ratio"], errors="coerce").fillna(0)
            rows = rows.sort_values(
                ["_order", "_ratio"], ascending=[True, False], kind="mergesort"
            ).reset_index(drop=True)
            parts.append(_integrity_frame(ctx, rows, with_unit=True))
            questions = []
            for row in rows.itertuples(index=False):
                name = ctx.unit_names.get(row.reporting_unit, row.reporting_unit)
                questions += [f"{name}: {q}" for q in integrity_words.questions(row)]
            if questions:
                parts.append("<h3>Câu hỏi gợi ý cho người thẩm định</h3>")
                parts.append(_list(questions, "questions"))
            else:
                parts.append(_p("Không có đơn vị nào cần đặt câu hỏi về kết quả xếp loại."))
            parts.append(_oe_chart(ctx, rows))
            missing = [
                c
                for c in ctx.reporting_names
                if c not in set(integrity["reporting_unit"].astype(str))
            ]
            if missing:
                parts.append(
                    _p(
                        "Chưa xem xét được (không có số liệu chi tiết của từng TCCSĐ): "
                        + ", ".join(ctx.reporting_names[c] for c in missing)
                        + ".",
                        "note",
                    )
                )
    else:
        row = None
        if has_data:
            mine = integrity.loc[integrity["reporting_unit"].astype(str) == ctx.unit_code]
            row = mine.iloc[0] if not mine.empty else None
        if row is None:
            parts.append(
                _p(
                    "Dữ liệu không có kết quả xếp loại chi tiết của từng TCCSĐ thuộc "
                    f"{ctx.unit_name} (chỉ có số liệu tổng hợp) nên chưa xem xét được phần này.",
                    "note",
                )
            )
        else:
            parts.append(_integrity_frame(ctx, integrity.loc[[row.name]], with_unit=False))
            questions = integrity_words.questions(row)
            flag = row["flag"]
            if not is_missing(flag) and str(flag).startswith("below"):
                questions.append(
                    "Số TCCSĐ xếp loại tốt trở lên thấp hơn mức hồ sơ dự báo: đơn vị có đánh "
                    "giá chặt chẽ hơn mặt bằng chung của tỉnh không?"
                )
            rule_rows = [
                f"{fmt_number(row[r])} cảnh báo: {integrity_words.rule_label(r)}"
                for r in RULES
                if not is_missing(row[r]) and int(row[r]) > 0
            ]
            parts.append("<h3>Câu hỏi gợi ý cho người thẩm định</h3>")
            if questions:
                parts.append(_list(questions, "questions"))
            else:
                parts.append(
                    _p(
                        "Không có điểm cần hỏi: số TCCSĐ xếp loại tốt trở lên nằm trong giới "
                        "hạn kiểm soát so với mức hồ sơ dự báo và không có cảnh báo khi áp dụng "
                        "quy định xếp loại."
                    )
                )
            if rule_rows:
                parts.append("<h4>Cảnh báo khi áp dụng quy định xếp loại</h4>")
                parts.append(_list(rule_rows))
    scope = _partial_rule_warnings(ctx) if has_data else ""
    if scope:
        parts.append(_p(scope, "note"))
    truncated = integrity.attrs.get("rule_counts_truncated") if has_data else None
    if truncated:
        parts.append(
            _p(
                "Số cảnh báo của một số quy định là số tối thiểu (danh sách cảnh báo "
                "đã bị rút gọn khi kiểm tra dữ liệu).",
                "note",
            )
        )
    parts.append(f'<p class="disclaimer">{html.escape(integrity_words.disclaimer())}</p>')
    return _section(ctx, "integrity", "\n".join(parts))


def _partial_rule_findings(ctx: ReportContext) -> pd.DataFrame:
    """The rating-rule findings of the partial years (listed in the data notes, not counted
    in the integrity table, which covers the full years) of the units the report covers."""
    from analysis.measure.integrity import RULES

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


def _partial_rule_warnings(ctx: ReportContext) -> str:
    """The note that reconciles the integrity table's warning counts with the data notes."""
    rows = _partial_rule_findings(ctx)
    if rows.empty:
        return ""
    integrity = ctx.part.integrity
    period = str(integrity["period"].dropna().iloc[0]) if "period" in integrity else ""
    years = _years_text(sorted({int(y) for y in rows["year"]}))
    words = {
        "period": period,
        "section": ctx.section_number("data_notes"),
        "count": fmt_count(len(rows), "cảnh báo"),
        "years": years,
    }
    if not ctx.is_province:
        return L.text("integrity.warnings_scope_unit", **words)
    counts = rows["unit_code"].astype(str).value_counts()
    order = [c for c in ctx.reporting_names if c in counts.index]
    units = ", ".join(f"{ctx.reporting_names[c]} {fmt_number(int(counts[c]))}" for c in order)
    return L.text("integrity.warnings_scope", units=units, **words)


# --------------------------------------------------------------------------- villages
def _communes(ctx: ReportContext) -> pd.DataFrame:
    units = ctx.review.units
    communes = units.loc[units["level"] == "commune", ["code", "name", "parent_code"]]
    if ctx.is_province:
        return communes.loc[communes["parent_code"].isin(list(ctx.reporting_names))]
    return communes.loc[communes["parent_code"] == ctx.unit_code]


def _village_table(ctx: ReportContext, rows: pd.DataFrame, communes: dict[str, str]) -> str:
    names = ctx.unit_names
    rows = rows.sort_values(["party_members", "commune_code", "village_code"], kind="mergesort")
    shown = rows.head(MAX_VILLAGE_ROWS)
    records = []
    for row in shown.itertuples(index=False):
        members = row.party_members
        head = getattr(row, "head_is_member", None)
        record = {
            "Thôn, bản": _esc(names.get(row.village_code, row.village_code)),
            "Xã, phường, thị trấn": _esc(communes.get(row.commune_code, row.commune_code)),
        }
        if ctx.is_province:
            parent = ctx.review.units.loc[
                ctx.review.units["code"] == row.commune_code, "parent_code"
            ]
            unit = str(parent.iloc[0]) if len(parent) else ""
            record["Đơn vị"] = _esc(L.short_name(names.get(unit, unit)))
        record.update(
            {
                "Số đảng viên": html.escape(fmt_number(members)),
                "Tình trạng": "Chưa có đảng viên"
                if not is_missing(members) and int(members) == 0
                else "Nguy cơ “tái trắng”",
                "Trưởng thôn là đảng viên": MISSING
                if head is None or is_missing(head)
                else ("Có" if bool(head) else "Không"),
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    table = _table(
        frame,
        f"villages_{ctx.unit_code}",
        f"Thôn, bản chưa có đảng viên hoặc chỉ có 1–2 đảng viên năm {ctx.latest_year}",
        numeric=["Số đảng viên"],
        centre=["Trưởng thôn là đảng viên"],
        css="long" if len(frame) > 15 else "avoid-break",
    )
    if len(rows) > len(shown):
        table += _p(f"… và {fmt_number(len(rows) - len(shown))} thôn khác.", "note")
    return table


def _change_tables(ctx: ReportContext, changes: pd.DataFrame, communes: dict[str, str]) -> str:
    names = ctx.unit_names
    latest = ctx.latest_year
    counts = changes["change"].value_counts()
    order = [c for c in VILLAGE_CHANGES if c in counts.index]
    order += sorted(c for c in counts.index if c not in VILLAGE_CHANGES)
    summary = pd.DataFrame(
        {
            "Tình hình đến năm " + str(latest): [
                html.escape(VILLAGE_CHANGES.get(c, str(c))) for c in order
            ],
            "Số thôn": [html.escape(fmt_number(int(counts[c]))) for c in order],
        }
    )
    parts = [
        _table(
            summary,
            f"village_changes_{ctx.unit_code}",
            f"Thôn, bản chưa có đảng viên từ năm {ctx.baseline_year} đến năm {latest}: "
            "tình hình đến năm cuối",
            numeric=["Số thôn"],
        )
    ]
    details = changes.sort_values(["change", "village_code"], kind="mergesort")
    shown = details.head(MAX_VILLAGE_ROWS)
    records = []
    for row in shown.itertuples(index=False):
        merged = getattr(row, "merged_into", None)
        note = ""
        if not is_missing(merged) and merged:
            note = "Sáp nhập vào " + str(names.get(merged, merged))
        records.append(
            {
                "Thôn, bản": _esc(names.get(row.village_code, row.village_code)),
                "Xã, phường, thị trấn": _esc(communes.get(row.commune_code, row.commune_code)),
                f"Đảng viên năm {ctx.baseline_year}": html.escape(fmt_number(row.members_from)),
                f"Đảng viên năm {latest}": html.escape(fmt_number(row.members_to)),
                "Tình hình": html.escape(VILLAGE_CHANGES.get(str(row.change), str(row.change))),
                "Ghi chú": html.escape(note),
            }
        )
    frame = pd.DataFrame(records)
    parts.append(
        _table(
            frame,
            f"village_change_list_{ctx.unit_code}",
            "Danh sách các thôn, bản",
            numeric=[f"Đảng viên năm {ctx.baseline_year}", f"Đảng viên năm {latest}"],
            css="long" if len(frame) > 15 else "avoid-break",
        )
    )
    if len(details) > len(shown):
        parts.append(_p(f"… và {fmt_number(len(details) - len(shown))} thôn khác.", "note"))
    return "\n".join(parts)


def _commune_heads_table(
    ctx: ReportContext, rows: pd.DataFrame, communes: pd.DataFrame, caption: str
) -> str:
    """Communes (lowest share first) with their villages, heads who are members and share."""
    names = dict(zip(communes["code"], communes["name"], strict=False))
    parents = dict(zip(communes["code"], communes["parent_code"], strict=False))
    records = []
    for row in rows.itertuples(index=False):
        record = {"Xã, phường, thị trấn": _esc(names.get(row.commune_code, row.commune_code))}
        if ctx.is_province:
            unit = parents.get(row.commune_code, "")
            record["Đơn vị"] = _esc(L.short_name(ctx.unit_names.get(unit, unit)))
        record.update(
            {
                "Số thôn": html.escape(fmt_number(row.villages)),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(row.heads_members)),
                "Tỷ lệ": html.escape(fmt_percent(row.share)),
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    return _table(
        frame,
        f"heads_communes_{ctx.unit_code}",
        caption,
        numeric=["Số thôn", "Trưởng thôn là đảng viên", "Tỷ lệ"],
        css="long" if len(frame) > 15 else "avoid-break",
    )


def _heads_table(
    ctx: ReportContext,
    heads: pd.DataFrame,
    communes: pd.DataFrame,
    summary_units: list[str] | tuple[str, ...] = (),
) -> str:
    target = params.targets()["targets"].get("T6", {})
    target_text = (
        L.target_text(target["op"], target["value"], "percent")
        + " "
        + L.target_kind_text(target.get("kind"), target.get("year"))
        if target
        else ""
    ).strip()
    rows = heads.sort_values(["share", "commune_code"], kind="mergesort")
    if not ctx.is_province:
        caption = (
            f"Trưởng thôn, bản là đảng viên năm {ctx.latest_year}, theo xã (tỷ lệ thấp trước)"
            + (f"; chỉ tiêu {target_text}" if target_text else "")
        )
        return _commune_heads_table(ctx, rows, communes, caption)
    merged = heads.merge(communes[["code", "parent_code"]], left_on="commune_code", right_on="code")
    below_target = merged["share"] < float(target.get("value", 0))
    grouped = (
        merged.assign(_below=below_target)
        .groupby("parent_code", sort=False)
        .agg(
            communes=("commune_code", "size"),
            villages=("villages", "sum"),
            heads=("heads_members", "sum"),
            below=("_below", "sum"),
        )
    )
    records = []
    for code in [c for c in ctx.reporting_names if c in grouped.index]:
        g = grouped.loc[code]
        records.append(
            {
                "Đơn vị": _esc(ctx.reporting_names[code]),
                "Số xã": html.escape(fmt_number(g["communes"])),
                "Số thôn": html.escape(fmt_number(g["villages"])),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(g["heads"])),
                "Tỷ lệ": html.escape(fmt_percent(100.0 * g["heads"] / g["villages"]))
                if g["villages"]
                else MISSING,
                "Số xã có tỷ lệ dưới chỉ tiêu": html.escape(fmt_number(g["below"])),
            }
        )
    for code in summary_units:
        row = _indicator_row(ctx, "T6", code, ctx.latest_year)
        if row is None:
            continue
        records.append(
            {
                "Đơn vị": _esc(
                    L.text("villages.heads_summary_row", unit=ctx.reporting_names[code])
                ),
                "Số xã": MISSING,
                "Số thôn": html.escape(fmt_number(row["denominator"])),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(row["numerator"])),
                "Tỷ lệ": html.escape(fmt_percent(row["value"])),
                "Số xã có tỷ lệ dưới chỉ tiêu": MISSING,
            }
        )
    frame = pd.DataFrame(records)
    caption = f"Trưởng thôn, bản là đảng viên năm {ctx.latest_year}, theo đơn vị" + (
        f" (chỉ tiêu {target_text})" if target_text else ""
    )
    parts = [_table(frame, f"heads_{ctx.unit_code}", caption, numeric=list(frame.columns[1:]))]
    lowest = rows.head(MAX_COMMUNE_ROWS)
    parts.append(
        _commune_heads_table(
            ctx,
            lowest,
            communes,
            f"{fmt_number(len(lowest))} xã, phường, thị trấn có tỷ lệ trưởng thôn là đảng viên "
            f"thấp nhất năm {ctx.latest_year}",
        )
    )
    if len(rows) > len(lowest):
        parts.append(
            _p(
                f"Trong {fmt_number(len(rows))} xã, phường, thị trấn có số liệu, "
                f"{fmt_number(int(below_target.sum()))} xã có tỷ lệ dưới chỉ tiêu; danh sách "
                "đầy đủ theo xã có trong báo cáo của từng huyện, thành phố.",
                "note",
            )
        )
    return "\n".join(parts)


def _indicator_row(ctx: ReportContext, indicator_id: str, unit_code: str, year: Any):
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


def _indicator_value(ctx: ReportContext, indicator_id: str, unit_code: str, year: Any):
    row = _indicator_row(ctx, indicator_id, unit_code, year)
    return None if row is None else float(row["value"])


def village_counts_sentence(unit: str, year: int, none: Any, risk: Any) -> str:
    """``"Năm 2019, Huyện Lục Ngạn có 3 thôn, bản chưa có đảng viên và 10 thôn, bản chỉ có
    1–2 đảng viên (có nguy cơ “tái trắng”)"``; a count of 0 is said in words, never
    "có 0 thôn" (``none``/``risk``: the counts, None when unknown)."""
    noun = "thôn, bản"
    n_none = None if is_missing(none) else int(round(float(none)))
    n_risk = None if is_missing(risk) else int(round(float(risk)))
    words = {"year": year, "unit": unit, "none": fmt_count(n_none, noun),
             "risk": fmt_count(n_risk, noun)}
    if n_none == 0 and n_risk == 0:
        return L.text("villages.neither", **words)
    if n_none == 0 and n_risk is not None:
        return L.text("villages.risk_only", **words)
    if n_risk == 0 and n_none is not None:
        return L.text("villages.none_only", **words)
    return L.text("villages.both", **words)


def _village_units(ctx: ReportContext, listed: set[str]) -> tuple[list[str], list[str]]:
    """Province report: the districts without village rows in the latest year, split into
    those with summary figures (T7 of the year) and those with no figure at all."""
    reporting = ctx.review.reporting_units
    districts = [
        str(c) for c in reporting.loc[reporting["level"] == "district", "code"]
        if str(c) not in listed
    ]
    summary = [c for c in districts if _indicator_value(ctx, "T7", c, ctx.latest_year) is not None]
    missing = [c for c in districts if c not in summary]
    return summary, missing


def _summary_villages_section(ctx: ReportContext) -> list[str]:
    """The village section of a unit that sent summary figures only: its own T7, P13 and T6
    (the numbers of Bảng 1), and that no village list is available."""
    latest, base = ctx.latest_year, ctx.baseline_year
    code = ctx.unit_code
    none = _indicator_value(ctx, "T7", code, latest)
    risk = _indicator_value(ctx, "P13", code, latest)
    parts = ["<h3>Thôn, bản chưa có đảng viên và có nguy cơ “tái trắng”</h3>"]
    parts.append(
        _p(
            village_counts_sentence(ctx.unit_name, latest, none, risk)
            + L.text("villages.from_summary")
            + ". "
            + L.text("villages.summary_only", unit=ctx.unit_name)
        )
    )
    from analysis.present.sentences import change_clause

    parts.append(f"<h3>Thay đổi so với năm {base}</h3>")
    before = _indicator_value(ctx, "T7", code, base)
    if before is not None and none is not None:
        change = change_clause(none, before, base, "count", "thôn, bản")
        parts.append(_p(L.text("villages.summary_change", change=change)))
    else:
        parts.append(_p("Không có số liệu thôn, bản năm gốc.", "note"))
    parts.append("<h3>Trưởng thôn, bản là đảng viên</h3>")
    heads = _indicator_row(ctx, "T6", code, latest)
    heads_base = _indicator_value(ctx, "T6", code, base)
    if heads is None:
        parts.append(_p("Không có số liệu trưởng thôn, bản.", "note"))
    else:
        change = (
            change_clause(float(heads["value"]), heads_base, base, "percent")
            if heads_base is not None
            else ""
        )
        parts.append(
            _p(
                L.text(
                    "villages.summary_heads",
                    year=latest,
                    unit=ctx.unit_name,
                    share=fmt_percent(heads["value"]),
                    heads=fmt_number(heads["numerator"]),
                    villages=fmt_number(heads["denominator"]),
                    change=change,
                ).replace(",  (", " (")
            )
        )
    return parts


def villages_section(ctx: ReportContext) -> HTML:
    """Villages without members and at risk (1–2 members) in the latest year, the change since
    the baseline (admission / merger / re-whitening …), village heads who are members by
    commune. Sector committees have no villages: said plainly.

    The counts said are the report's one number per fact (Bảng 1's T7 and P13): a unit that
    sent summary figures only gets them from its summary, with the words that no village list
    is available; the province report says which units its village list leaves out."""
    if ctx.is_sector:
        return _section(
            ctx,
            "villages",
            _p(
                f"{ctx.unit_name} là đảng bộ khối, lực lượng vũ trang trực thuộc Tỉnh ủy, không "
                "quản lý thôn, bản, tổ dân phố: phần thôn, bản không áp dụng cho đơn vị này.",
                "not-applicable",
            ),
        )
    part = ctx.part
    communes = _communes(ctx)
    commune_codes = set(communes["code"].astype(str))
    commune_names = dict(zip(communes["code"], communes["name"], strict=False))
    commune_parent = dict(zip(communes["code"].astype(str), communes["parent_code"].astype(str),
                              strict=False))
    latest = ctx.latest_year
    parts = []
    latest_rows = part.villages_latest
    if latest_rows is not None and not latest_rows.empty:
        latest_rows = latest_rows.loc[latest_rows["commune_code"].isin(commune_codes)]
    heads = part.heads_by_commune
    if heads is not None and not heads.empty:
        heads = heads.loc[heads["commune_code"].isin(commune_codes)]
    # villages_latest lists only villages with 0–2 members: heads_by_commune (every village of
    # the latest year) tells "no village data" from "no village at risk"
    has_villages = (heads is not None and not heads.empty) or (
        latest_rows is not None and not latest_rows.empty
    )
    if (
        not ctx.is_province
        and latest is not None
        and not has_villages
        and _indicator_value(ctx, "T7", ctx.unit_code, latest) is not None
    ):
        return _section(ctx, "villages", "\n".join(_summary_villages_section(ctx)))
    listed = set()
    for frame in (heads, latest_rows):
        if frame is not None and not frame.empty:
            listed |= {commune_parent.get(str(c), "") for c in frame["commune_code"]}
    summary_units, missing_units = (
        _village_units(ctx, listed) if ctx.is_province else ([], [])
    )
    if latest is None or not has_villages or "party_members" not in latest_rows.columns:
        parts.append(_p("Dữ liệu không có số liệu chi tiết từng thôn, bản.", "note"))
    else:
        members = pd.to_numeric(latest_rows["party_members"], errors="coerce")
        n_none, n_risk = int((members == 0).sum()), int(members.between(1, 2).sum())
        parts.append("<h3>Thôn, bản chưa có đảng viên và có nguy cơ “tái trắng”</h3>")
        none, risk = n_none, n_risk
        if summary_units or missing_units:
            # the province's own figures (Bảng 1), not the count of the listed villages
            none = _indicator_value(ctx, "T7", ctx.unit_code, latest)
            risk = _indicator_value(ctx, "P13", ctx.unit_code, latest)
            none = n_none if none is None else none
            risk = n_risk if risk is None else risk
        text = village_counts_sentence(ctx.unit_name, latest, none, risk) + "."
        if summary_units or missing_units:
            others = [
                L.text(
                    "villages.summary_unit",
                    unit=ctx.unit_names.get(c, c),
                    none=fmt_count(_indicator_value(ctx, "T7", c, latest), "thôn"),
                    risk=fmt_count(_indicator_value(ctx, "P13", c, latest), "thôn"),
                )
                for c in summary_units
            ] + [
                L.text("villages.missing_unit", unit=ctx.unit_names.get(c, c), year=latest)
                for c in missing_units
            ]
            text += " " + L.text(
                "villages.list_covers",
                none=fmt_count(n_none, "thôn"),
                risk=fmt_count(n_risk, "thôn"),
                others="; ".join(others),
            )
        parts.append(_p(text))
        if len(latest_rows):
            parts.append(_village_table(ctx, latest_rows, commune_names))
    changes = part.village_changes
    parts.append(f"<h3>Thay đổi so với năm {ctx.baseline_year}</h3>")
    if changes is not None and not changes.empty:
        changes = changes.loc[changes["commune_code"].isin(commune_codes)]
    if changes is None or changes.empty:
        parts.append(
            _p(
                f"Không có thôn, bản nào chưa có đảng viên trong giai đoạn {ctx.baseline_year}–"
                f"{latest}."
                if latest
                else "Không có số liệu thôn, bản."
            )
        )
    else:
        parts.append(
            _p(
                "Các thôn, bản chưa có đảng viên trong giai đoạn, chia theo cách ra khỏi danh "
                "sách: có đảng viên (kết nạp hoặc chuyển đến), sáp nhập vào thôn khác, hoặc "
                "“tái trắng”; sáp nhập làm giảm số thôn “trắng” mà không phải do kết nạp."
            )
        )
        parts.append(_change_tables(ctx, changes, commune_names))
    if summary_units:
        parts.append(
            _p(
                L.text(
                    "villages.changes_cover",
                    others="; ".join(
                        L.text(
                            "villages.summary_unit_change",
                            unit=ctx.unit_names.get(c, c),
                            baseline_year=ctx.baseline_year,
                            year=latest,
                            before=fmt_count(
                                _indicator_value(ctx, "T7", c, ctx.baseline_year), "thôn"
                            ),
                            after=fmt_count(_indicator_value(ctx, "T7", c, latest), "thôn"),
                        )
                        for c in summary_units
                    ),
                ),
                "note",
            )
        )
    parts.append("<h3>Trưởng thôn, bản là đảng viên</h3>")
    if heads is None or heads.empty:
        parts.append(_p("Không có số liệu trưởng thôn, bản.", "note"))
    else:
        parts.append(_heads_table(ctx, heads, communes, summary_units))
    return _section(ctx, "villages", "\n".join(parts))


# --------------------------------------------------------------------------- leader summary
def _target_entry(ctx: ReportContext, indicator, row) -> str:
    """``"T1 – Tỷ lệ … (90,1%; đạt chỉ tiêu 3/4 năm, chưa đạt năm 2018: 87,5%)"``."""
    from analysis.present.sentences import yearly_clause

    noun = L.count_noun(indicator.id) if indicator.unit == "count" else ""
    latest = _value_of(row, "latest_value")
    inside = [fmt_value(latest, indicator.unit, noun)] if latest is not None else []
    if str(_value_of(row, "verdict")) == "not_achieved":
        years = yearly_clause(row, indicator.unit, noun, _assessed_values(ctx, indicator.id))
        if years:
            inside.append(years)
    text = f"{indicator.id} – {indicator.name_vi}"
    return text + (f" ({'; '.join(inside)})" if inside else "")


def _leader_units_behind(ctx: ReportContext, targets: list) -> list[str]:
    """Province: per target, the units behind it (all of them named when they are at most
    half of the units assessed, else how many), and the units significantly worse than the
    province on the funnel, with their targets."""
    lines, worse_by_unit = [], {}
    names = ctx.unit_names
    for indicator in targets:
        found = units_behind(ctx, indicator)
        for code, _ in found["worse"]:
            worse_by_unit.setdefault(code, []).append(indicator.id)
        behind, assessed = found["not_met"], found["assessed"]
        if not behind or not assessed:
            continue
        if 2 * len(behind) <= assessed:
            text = f"{indicator.id}: " + ", ".join(L.short_name(names.get(c, c)) for c in behind)
            for group, hit, size in found["groups"]:
                text += f" ({len(hit)}/{size} {group})"
        else:
            text = L.text("leader.most_behind", target=indicator.id, count=len(behind),
                          total=assessed)
        lines.append(text)
    if worse_by_unit:
        order = sorted(worse_by_unit, key=lambda c: (-len(worse_by_unit[c]), c))
        lines.append(
            L.text(
                "leader.worse",
                units="; ".join(
                    f"{L.short_name(names.get(c, c))} ({', '.join(worse_by_unit[c])})"
                    for c in order
                ),
            )
        )
    return lines


def _leader_unit_vs_province(ctx: ReportContext, targets: list) -> list[str]:
    """A unit's report: the targets where the unit is significantly worse than the province."""
    lines = []
    for indicator in targets:
        funnel = ctx.funnels_by_id.get(indicator.id)
        if funnel is None or funnel.empty:
            continue
        mine = funnel.loc[funnel["unit_code"] == ctx.unit_code]
        if mine.empty or str(mine.iloc[0]["assessment"]) not in ("worse_95", "worse_998"):
            continue
        row = mine.iloc[0]
        lines.append(
            L.text(
                "leader.unit_worse",
                target=indicator.id,
                value=fmt_percent(row["value"]),
                province=fmt_percent(row["baseline"]),
                word=L.funnel_word(row["assessment"], indicator.polarity).lower(),
            )
        )
    return lines


def _leader_integrity(ctx: ReportContext) -> list[str]:
    """The integrity questions in one line per unit: O/E above or below the expected, and the
    rating-rule warnings of the period."""
    from analysis.measure.integrity import RULE_TOTAL

    integrity = ctx.part.integrity
    if integrity is None or integrity.empty:
        return []
    rows = integrity
    if not ctx.is_province:
        rows = rows.loc[rows["reporting_unit"].astype(str) == ctx.unit_code]
    lines = []
    for row in rows.itertuples(index=False):
        parts = []
        flag = "" if is_missing(row.flag) else str(row.flag)
        if flag.startswith(("above", "below")):
            parts.append(
                L.text(
                    "leader.oe_above" if flag.startswith("above") else "leader.oe_below",
                    ratio=fmt_number(row.ratio, 2),
                )
            )
        warnings = getattr(row, RULE_TOTAL)
        if not is_missing(warnings) and int(warnings) > 0:
            parts.append(L.text("leader.rule_warnings", count=fmt_number(int(warnings))))
        if parts:
            name = ctx.unit_names.get(row.reporting_unit, row.reporting_unit)
            line = f"{L.short_name(name) if ctx.is_province else name}: " + "; ".join(parts)
            caveat = rating_caveat(ctx, str(row.reporting_unit))
            top = _top_level_share(ctx, str(row.reporting_unit))
            if caveat and top:
                line += top
            if caveat and ", trong khi " in caveat:
                line += " – " + caveat[caveat.index(", trong khi ") + 2 :].rstrip(".")
            lines.append(line)
    return lines


def leader_summary_section(ctx: ReportContext) -> HTML:
    """The one-page summary for leaders (:func:`leader_summary`), the notebook's cell after the
    title page."""
    return _display(leader_summary(ctx))


def leader_summary(ctx: ReportContext) -> str:
    """The one-page summary for leaders at the front of every report (after the title page):
    targets by verdict with the years a yearly target was missed, the units behind (province)
    or the targets where the unit is significantly worse than the province, and the
    integrity questions. Every number is one the report prints again in its section."""
    from analysis.present.sentences import latest_year_note

    targets = [i for i in ctx.indicator_list(targets=True) if ctx.applies(i)]
    groups: dict[str, list[str]] = {}
    for indicator in targets:
        row = ctx.progress_row(indicator.id)
        verdict = str(_value_of(row, "verdict") or "not_assessable")
        groups.setdefault(verdict, []).append(_target_entry(ctx, indicator, row))
    latest, own = ctx.latest_year, ctx.unit_latest_year
    year_text = str(latest) if latest else MISSING
    if own is not None and latest is not None and own < latest:
        year_text = f"{own} ({latest_year_note(own)})"
    counts = ", ".join(
        f"{len(groups[v])} “{L.verdict_word(v)}”" for v in L.VERDICTS if v in groups
    )
    parts = [
        "<h2>" + html.escape(L.text("leader.title")) + "</h2>",
        _p(L.text("leader.lead", unit=ctx.unit_name, year=year_text, total=len(targets),
                  counts=counts)),
    ]
    items = [
        f"{L.verdict_badge_html(v)} " + html.escape("; ".join(groups[v]) + ".")
        for v in L.VERDICTS
        if v in groups
    ]
    parts.append('<ul class="leader-verdicts">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    behind = (
        _leader_units_behind(ctx, targets)
        if ctx.is_province
        else _leader_unit_vs_province(ctx, targets)
    )
    parts.append(
        "<h3>"
        + html.escape(L.text("leader.behind_title" if ctx.is_province else "leader.vs_title"))
        + "</h3>"
    )
    parts.append(
        _list(behind) if behind else _p(L.text(
            "leader.none_behind" if ctx.is_province else "leader.none_worse"))
    )
    parts.append("<h3>" + html.escape(L.text("leader.integrity_title")) + "</h3>")
    questions = _leader_integrity(ctx)
    has_integrity = ctx.part.integrity is not None and not ctx.part.integrity.empty and (
        ctx.is_province
        or (ctx.part.integrity["reporting_unit"].astype(str) == ctx.unit_code).any()
    )
    if questions:
        parts.append(_list(questions))
        parts.append(_p(L.text("leader.integrity_see", section=ctx.section_number("integrity")),
                        "note"))
    elif has_integrity:
        parts.append(_p(L.text("leader.no_questions")))
    else:
        parts.append(_p(L.text("leader.no_integrity"), "note"))
    return (
        '<section class="tccsd-report tccsd-leader-summary" id="muc-tom-tat-lanh-dao">\n'
        + "\n".join(parts)
        + "\n</section>"
    )


# --------------------------------------------------------------------------- data notes
def _completeness(ctx: ReportContext) -> str:
    comp = ctx.review.completeness
    years = list(ctx.part.years)
    if comp is None or comp.empty:
        return _p("Không có bảng mức độ đầy đủ của số liệu.", "note")
    comp = comp.loc[comp["year"].isin(years)]
    codes = list(ctx.reporting_names) if ctx.is_province else [ctx.unit_code]
    status = {(str(r.unit_code), int(r.year)): str(r.status) for r in comp.itertuples()}
    records, styles = [], []
    for code in codes:
        record = {"Đơn vị": _esc(ctx.unit_names.get(code, code))}
        style = {"Đơn vị": ""}
        for year in years:
            s = status.get((code, year), "missing")
            label = str(year) + ("*" if year in ctx.partial_years else "")
            record[label] = html.escape(COMPLETENESS_WORDS.get(s, s))
            style[label] = f"background-color:{COMPLETENESS_COLOURS.get(s, '#FFFFFF')};"
        records.append(record)
        styles.append(style)
    frame = pd.DataFrame(records)
    css = pd.DataFrame(styles, index=frame.index)[frame.columns]
    return _table(
        frame,
        f"completeness_{ctx.unit_code}",
        ctx.table_title("data_notes", f"Mức độ đầy đủ của số liệu theo năm – {ctx.unit_name}"),
        centre=list(frame.columns[1:]),
        css="avoid-break",
        cell_css=css,
    )


_OTHER_YEARS = re.compile(r"(?:khoảng dự kiến [^;()]*; )?các năm khác: ([^()]*?)\)")
_YEAR_VALUE = re.compile(r"(?:;\s*)?\b((?:19|20)\d\d): [0-9][0-9.,]*")


def period_message(message: str, years: list[int]) -> str:
    """A validation message cut to the assessment's years: no number of another year.

    The time-consistency check compares a value with the unit's other years, all years of
    the input; a midterm report must not quote 2018–2020. ``"(khoảng dự kiến 138–216; các
    năm khác: 2015: 183; 2016: 143; 2018: 175)"`` with years 2015–2017 becomes ``"(các năm
    khác trong kỳ đánh giá: 2015: 183; 2016: 143)"`` (the expected range, computed from every
    year, goes); with no year left the parenthesis goes. Any other ``"<year>: <number>"`` of
    a year outside ``years`` is removed.
    """
    keep = {int(y) for y in years}

    def other_years(match: re.Match) -> str:
        entries = [e.strip() for e in match.group(1).split(";") if e.strip()]
        inside = [e for e in entries if int(e[:4]) in keep] if all(
            re.match(r"\d{4}: ", e) for e in entries
        ) else entries
        if len(inside) == len(entries):
            return match.group(0)
        if not inside:
            return "\x00"
        return "các năm khác trong kỳ đánh giá: " + "; ".join(inside) + ")"

    text = _OTHER_YEARS.sub(other_years, message)
    text = re.sub(r"\s*\(\x00", "", text).replace("\x00", "")
    text = _YEAR_VALUE.sub(lambda m: m.group(0) if int(m.group(1)) in keep else "", text)
    return text


_ORG_CODE = re.compile(r"TCCSĐ “([A-Za-z0-9_.-]+)”")
_UNIT_CODE = re.compile(r" \(([a-z0-9_]+)\)")
# "Đã tìm trong: tệp «organizations.csv»; …." (where the reader looked: files, for the terminal)
_LOOKED_IN = re.compile(r"\s*Đã tìm trong: .*?(?:»|khác)\.(?=\s|$)")


def plain_message(message: str, units: pd.DataFrame, unit_code: Any = None) -> str:
    """A validation message as report prose: codes replaced by names.

    The messages of ``python -m analysis validate`` name rows by their codes (useful at the
    terminal); a report names them as a reader does: ``TCCSĐ “hiep_hoa_thai_xa_db”`` (the
    TCCSĐ of a commune, ``<commune>_db``) → ``Đảng bộ xã Thái Xá``, another TCCSĐ → ``Một
    TCCSĐ trực thuộc Huyện Hiệp Hòa``; ``Huyện Sơn Động (son_dong)`` → ``Huyện Sơn Động``.
    The file and row stay in the table's "Vị trí" column (so does the list of files the
    reader looked in, "Đã tìm trong: tệp «…»", which is dropped).
    """
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=False))
    levels = dict(zip(units["code"].astype(str), units["level"].astype(str), strict=False))

    def org(match: re.Match) -> str:
        code = match.group(1)
        commune = code[:-3] if code.endswith("_db") else ""
        if levels.get(commune) == "commune":
            name = names[commune]
            return L.text("messages.commune_org", commune=name[:1].lower() + name[1:])
        owner = "" if is_missing(unit_code) else str(unit_code)
        if owner in names:
            return L.text("messages.other_org", unit=names[owner])
        return match.group(0)

    text = _ORG_CODE.sub(org, message)
    text = _UNIT_CODE.sub(lambda m: "" if m.group(1) in names else m.group(0), text)
    return _LOOKED_IN.sub("", text)


def _findings(ctx: ReportContext) -> str:
    findings = ctx.review.findings
    if findings is None or findings.empty:
        return _p("Khi kiểm tra dữ liệu không có cảnh báo nào.")
    rows = findings
    if not ctx.is_province:
        rows = rows.loc[rows["unit_code"].astype("string").fillna("") == ctx.unit_code]
    years = pd.to_numeric(rows["year"], errors="coerce")
    rows = rows.loc[years.isna() | years.isin(ctx.part.years)]
    who = f"các đơn vị thuộc {ctx.unit_name}" if ctx.is_province else ctx.unit_name
    if rows.empty:
        return _p(f"Khi kiểm tra dữ liệu không có cảnh báo nào liên quan đến {who}.")
    shown = rows.head(MAX_FINDINGS)
    records = []
    for row in shown.itertuples(index=False):
        where = [Path(str(row.file)).name if not is_missing(row.file) and row.file else ""]
        if not is_missing(row.sheet) and row.sheet:
            where.append(f"bảng {row.sheet}")
        if not is_missing(row.row):
            where.append(f"dòng {fmt_number(row.row)}")
        record = {
            "Mức": html.escape(SEVERITY_WORDS.get(str(row.severity), str(row.severity))),
            "Năm": _esc(int(row.year)) if not is_missing(row.year) else MISSING,
        }
        if ctx.is_province:
            unit = "" if is_missing(row.unit_code) else str(row.unit_code)
            record["Đơn vị"] = (
                _esc(L.short_name(ctx.unit_names.get(unit, unit))) if unit else (MISSING)
            )
        record["Vị trí"] = _esc(", ".join(w for w in where if w) or MISSING)
        message = plain_message(str(row.message), ctx.review.units, row.unit_code)
        record["Nội dung"] = _esc(period_message(message, list(ctx.part.years)))
        records.append(record)
    frame = pd.DataFrame(records)
    parts = [
        _p(
            f"Khi kiểm tra dữ liệu có {fmt_number(len(rows))} cảnh báo liên quan đến {who}"
            + (
                f"; dưới đây là {fmt_number(len(shown))} cảnh báo đầu tiên."
                if len(rows) > len(shown)
                else "."
            )

            + _partial_share(ctx)
        ),
        _table(
            frame,
            f"findings_{ctx.unit_code}",
            "Cảnh báo khi kiểm tra dữ liệu",
            centre=["Mức", "Năm"],
            css="long",
        ),
    ]
    if len(rows) > len(shown):
        parts.append(
            _p(
                f"… và {fmt_number(len(rows) - len(shown))} cảnh báo khác (xem kết quả lệnh "
                "`python -m analysis validate`).",
                "note",
            )
        )
    return "\n".join(parts)


def _partial_share(ctx: ReportContext) -> str:
    """" Trong đó 6 cảnh báo năm 2020 … không tính vào bảng ở mục 5." (or "")."""
    rows = _partial_rule_findings(ctx)
    integrity = ctx.part.integrity
    if rows.empty or integrity is None or integrity.empty:
        return ""
    return L.text(
        "findings.partial_share",
        count=fmt_count(len(rows), "cảnh báo"),
        years=_years_text(sorted({int(y) for y in rows["year"]})),
        section=ctx.section_number("integrity"),
    )


def _series_and_source_notes(ctx: ReportContext, review) -> list[str]:
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
        f"Dữ liệu đầu vào: {Path(str(review.source_name)).name}; mã kiểm tra (dấu vân tay) "
        f"{review.fingerprint}. Cùng mã kiểm tra là cùng một bộ số liệu."
    ]


def data_notes_section(ctx: ReportContext) -> HTML:
    """Completeness, the validation warnings that touched the unit (≤ 30 + a count), methods in
    three plain sentences, the input fingerprint, part-year and series-break notes. (Reports
    are internal and keep every number: publish mode writes the appendix documents only, see
    :mod:`analysis.run.publish`.)"""
    review = ctx.review
    parts = ["<h3>Mức độ đầy đủ của số liệu</h3>", _completeness(ctx)]
    parts.append(
        _p(
            "“Chi tiết từng TCCSĐ”: số liệu được cộng từ từng tổ chức cơ sở đảng, thôn, bản; "
            "“Số liệu tổng hợp”: chỉ có số tổng hợp của đơn vị; “Thiếu số liệu”: đơn vị không "
            "báo cáo năm đó.",
            "note",
        )
    )
    from analysis.present.crosscheck import report_crosscheck

    parts.append(report_crosscheck(ctx))  # summary vs detail: "khớp" or the differences
    parts.append("<h3>Cảnh báo khi kiểm tra dữ liệu</h3>")
    parts.append(_findings(ctx))
    parts.append("<h3>Phương pháp</h3>")
    methods = [
        "Các chỉ tiêu được tính từ số liệu báo cáo của các đơn vị theo danh mục chỉ tiêu của "
        "Nghị quyết; tỷ lệ của toàn tỉnh tính từ tổng tử số và tổng mẫu số của các đơn vị, "
        "không phải trung bình cộng các tỷ lệ.",
        "Số liệu là số liệu toàn bộ (không phải số liệu mẫu), nên khoảng tin cậy 95% chỉ dùng "
        "để so sánh các đơn vị có quy mô khác nhau và để đọc mức thay đổi qua các năm, không "
        "dùng để hiệu chỉnh kết quả.",
        f"Kết quả đánh giá so sánh giá trị năm mới nhất với năm gốc {ctx.baseline_year} và với "
        f"chỉ tiêu; dự báo đến năm {ctx.target_year} kéo dài xu hướng của các năm đã có số "
        "liệu.",
    ]
    parts.append(" ".join([_p(m) for m in methods]))
    notes = []
    if ctx.partial_years:
        notes.append(
            f"Số liệu năm {_years_text(ctx.partial_years)} mới có đến thời điểm "
            f"{'tổng kết' if ctx.assessment_id == 'final' else 'đánh giá'}, chưa đủ cả năm: "
            "được trình bày để tham khảo (đánh dấu *), không dùng để đánh giá tiến độ."
        )
    notes += _series_and_source_notes(ctx, review)
    parts.append("<h3>Ghi chú khác</h3>")
    parts.append(_list(notes, "notes"))
    return _section(ctx, "data_notes", "\n".join(parts))


# --------------------------------------------------------------------------- appendix
_SHARED: dict[tuple, tuple[weakref.ref, str]] = {}


def _shared(review: Review, key: str, build) -> str:
    """A text shared by every report of one Review (e.g. the appendix tables), computed once
    per process while that Review object lives."""
    with _LOCK:
        entry = _SHARED.get((id(review), key))
    if entry is not None and entry[0]() is review:
        return entry[1]
    value = build()
    with _LOCK:
        for k in [k for k, (ref, _) in _SHARED.items() if ref() is None]:
            del _SHARED[k]
        _SHARED[(id(review), key)] = (weakref.ref(review), value)
    return value


_SPECS: dict[tuple, tuple[weakref.ref, list]] = {}


def _appendix_specs(review: Review, assessment_id: str) -> list[dict]:
    """The appendix tables of one Review and assessment, built once per process while that
    Review object lives (every report of the build reuses them)."""
    from analysis.present.appendix import appendix_specs

    key = (id(review), assessment_id)
    with _LOCK:
        entry = _SPECS.get(key)
    if entry is not None and entry[0]() is review:
        return entry[1]
    specs = appendix_specs(review, assessment_id, publish=False)  # internal: every number
    with _LOCK:
        for k in [k for k, (ref, _) in _SPECS.items() if ref() is None]:
            del _SPECS[k]
        _SPECS[key] = (weakref.ref(review), specs)
    return specs


def _appendix_html(ctx: ReportContext) -> str:
    """The appendix tables: every unit on the province report; a unit's report shows its own
    row and the province's (the full tables are the province report's and appendix.xlsx)."""
    from analysis.present.appendix.html import report_appendix_html

    specs = _appendix_specs(ctx.review, ctx.assessment_id)
    if not specs:
        return _p("Không có bảng phụ lục.", "note")
    own = None if ctx.is_province else ctx.unit_code
    return report_appendix_html(ctx.review, ctx.assessment_id, specs, own, ctx.unit_name)


def appendix_section(ctx: ReportContext) -> HTML:
    """The appendix tables ("Phụ lục 1 …"): units in rows, years in columns, totals row.

    The province report has every reporting unit; a unit's report has the unit's row and the
    province's (the full tables are in the province report and in ``appendix.xlsx``: reprinting
    them in every unit's report would add pages nobody there reads). The report is internal
    and keeps every number (published appendices: :mod:`analysis.run.publish`).
    """
    if ctx.is_province:
        body = _shared(
            ctx.review,
            f"appendix:{ctx.assessment_id}",
            lambda: _appendix_html(ctx),
        )
        scope = (
            f"Các bảng dưới đây trình bày số liệu của tất cả các đơn vị thuộc "
            f"{ctx.review.province_name} theo từng năm, dòng cuối là toàn tỉnh."
        )
    else:
        body = _appendix_html(ctx)
        scope = (
            f"Các bảng dưới đây trình bày số liệu của {ctx.unit_name} theo từng năm, dòng cuối "
            "ghi số liệu toàn tỉnh để so sánh; số liệu của tất cả các đơn vị có trong phụ lục "
            "của báo cáo toàn tỉnh "
            "và trong tệp Excel phụ lục của kỳ đánh giá."
        )
    intro = _p(f"Phụ lục của báo cáo {ctx.unit_name}. {scope}")
    return _display(
        '<section class="tccsd-report tccsd-section tccsd-appendices" id="muc-phu-luc">\n'
        f"<h2>Phụ lục</h2>\n{intro}\n{body}\n</section>"
    )
