"""The report's context: the build's Review (loaded once per process) and one report's view.

A notebook calls :func:`load_context` (:func:`load_national_context` for the national report)
once; every section then reads the :class:`ReportContext`. The Review is pickled by the build
and loaded here through ``bundle_path``, cached per process, so a warm kernel loads it once for
all reports of a build; :func:`per_review` keeps what every report of one Review shares (the
appendix tables) while that Review object lives.
"""

from __future__ import annotations

import pickle
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis import config, params
from analysis.data import validate
from analysis.data.units import PROVINCE_LEVEL, REPORTING_LEVELS
from analysis.measure.catalogue import load_catalogue
from analysis.measure.indicators import headline_rows
from analysis.measure.review import compute_country_review, compute_review, is_country
from analysis.present import labels as L
from analysis.present.formats import fmt_number
from analysis.present.report.scope import NATIONAL, PROVINCE, UNIT, Scope

if TYPE_CHECKING:  # pragma: no cover
    from analysis.measure.review import AssessmentReview, Review


__all__ = [
    "ReportContext",
    "catalogue_entries",
    "clear_cache",
    "context_from_review",
    "load_context",
    "load_national_context",
    "load_review",
    "national_context",
    "per_review",
]

TARGET_SECTION = "Mục tiêu"

_BUNDLE_CACHE: dict[tuple, Review] = {}
_COMPUTED_CACHE: dict[tuple, Review] = {}
_PER_REVIEW: dict[tuple, tuple[weakref.ref, Any]] = {}
_CACHE_SIZE = 2
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the Reviews loaded or computed in this process."""
    with _LOCK:
        _BUNDLE_CACHE.clear()
        _COMPUTED_CACHE.clear()
        _PER_REVIEW.clear()


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

    path = _resolve(data_path, "dữ liệu đầu vào") if data_path else config.DEMO_DATA_DIR
    key = (str(path), _input_stamp(path))
    with _LOCK:
        found = _COMPUTED_CACHE.get(key)
    if found is not None:
        return found
    validation = validate.validate_input(path)
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


def per_review(review: Review, key: Any, build: Callable[[], Any]) -> Any:
    """A value shared by every report of one Review (e.g. the appendix tables), built once per
    process while that Review object lives."""
    with _LOCK:
        entry = _PER_REVIEW.get((id(review), key))
    if entry is not None and entry[0]() is review:
        return entry[1]
    value = build()
    with _LOCK:
        for k in [k for k, (ref, _) in _PER_REVIEW.items() if ref() is None]:
            del _PER_REVIEW[k]
        _PER_REVIEW[(id(review), key)] = (weakref.ref(review), value)
    return value


@cache
def catalogue_entries() -> tuple:
    return tuple(load_catalogue())


def _by_indicator(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame is None or frame.empty:
        return {}
    return {str(k): g for k, g in frame.groupby("indicator_id", sort=False)}


@dataclass
class ReportContext:
    """What every section of one report needs: the Review, the assessment and the unit.

    Frames whose name starts with ``unit_`` are filtered for the report's unit (the province
    on the province report, the nation on the national one); ``reporting_`` frames hold the
    district and sector committees (the provinces). ``*_by_id`` dicts split them by
    ``indicator_id``. ``scope`` (:class:`~analysis.present.report.scope.Scope`) is the kind of
    report: its sections, their numbers and the words for its reporting units.
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
    scope: Scope = UNIT
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
        return [i for i in catalogue_entries() if (i.section == TARGET_SECTION) == targets]

    def applies(self, indicator) -> bool:
        """Whether the catalogue computes ``indicator`` at the report unit's level."""
        return self.level in indicator.levels

    @property
    def total_name(self) -> str:
        """The total's name in tables and charts: ``"Toàn tỉnh"``, or the nation's name."""
        return self.unit_name if self.scope.is_national else L.labels()["province_total"]

    def section_number(self, key: str) -> int | None:
        """Number of a section in this kind of report (None: not one of its sections)."""
        return self.scope.number(key)

    def section_title(self, key: str) -> str:
        return self.scope.title(key)

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


def _assemble(review: Review, part: Any, assessment_id: str, *, unit_code: str,
              unit_name: str, level: str, is_province: bool, scope: Scope,
              reporting_names: dict[str, str],
              reporting_levels: tuple[str, ...]) -> ReportContext:
    """The context of one report: the review's rows split into the unit's, the total's and the
    reporting units' (districts and sectors; provinces in the national report)."""
    names = review.unit_names()
    ind = headline_rows(part.indicators)
    unit_ind = ind.loc[ind["unit_code"] == unit_code]
    total_ind = ind.loc[ind["unit_code"] == review.province_code]
    rep_ind = ind.loc[ind["level"].isin(reporting_levels)]
    progress = part.progress
    unit_prog = progress.loc[progress["unit_code"] == unit_code]
    rep_prog = progress.loc[progress["unit_code"].isin(list(reporting_names))]
    return ReportContext(
        review=review,
        part=part,
        assessment=dict(part.assessment),
        assessment_id=assessment_id,
        unit_code=unit_code,
        unit_name=unit_name,
        level=level,
        is_province=is_province,
        scope=scope,
        unit_names=names,
        reporting_names=reporting_names,
        indicators=ind,
        unit_indicators=unit_ind,
        province_indicators=total_ind,
        reporting_indicators=rep_ind,
        unit_progress=unit_prog,
        reporting_progress=rep_prog,
        unit_by_id=_by_indicator(unit_ind),
        province_by_id=_by_indicator(total_ind),
        reporting_by_id=_by_indicator(rep_ind),
        funnels_by_id=_by_indicator(part.funnels),
        reporting_progress_by_id=_by_indicator(rep_prog),
    )


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

    return _assemble(review, part, assessment_id, unit_code=unit_code,
                     unit_name=names.get(unit_code, unit_code), level=level,
                     is_province=is_province, scope=PROVINCE if is_province else UNIT,
                     reporting_names=reporting_names, reporting_levels=REPORTING_LEVELS)


def _national_review(data_path: str, bundle_path: str) -> Review:
    """The national Review: from the build's bundle, or computed from a country input."""
    if bundle_path:
        return load_review("", bundle_path)
    path = _resolve(data_path, "dữ liệu đầu vào") if data_path else None
    if path is None:
        raise ValueError(
            "Báo cáo toàn quốc cần dữ liệu của nhiều tỉnh: hãy đặt data_path (thư mục hoặc tệp "
            "dữ liệu cả nước) hoặc bundle_path."
        )
    validation = validate.validate_input(path)
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
) -> ReportContext:
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


def national_context(review: Review, unit_code: str, assessment_id: str) -> ReportContext:
    """The national report's :class:`ReportContext` (scope :data:`~.scope.NATIONAL`) for a
    national Review already in memory.

    ``unit_*`` frames hold the national total, ``reporting_*`` frames the provinces. ``level``
    is ``"province"`` so that the catalogue's levels (where an indicator exists) read as for
    a province total, which the national total is the sum of.
    """
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
    return _assemble(review, part, assessment_id, unit_code=review.province_code,
                     unit_name=review.province_name, level=PROVINCE_LEVEL, is_province=True,
                     scope=NATIONAL, reporting_names=provinces,
                     reporting_levels=(PROVINCE_LEVEL,))
