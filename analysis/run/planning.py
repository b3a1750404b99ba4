"""Which reports a build should have: one :class:`PlannedReport` per unit and assessment,
each with the digest of its inputs (an up-to-date report is skipped), in the order of cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import __version__, config, params
from analysis.run.files import inputs_digest
from analysis.run.layout import (
    NATIONAL_DIR,
    REPORT_NOTEBOOKS,
    package_digest_parts,
    scope_bundle,
    unit_slug,
)


@dataclass
class PlannedReport:
    """One report of the build: which unit, which assessment, where, and its inputs digest."""

    assessment_id: str
    unit_code: str
    unit_name: str
    is_province: bool
    report_dir: Path
    notebook: Path
    digest: str
    status: str = "pending"
    seconds: float = 0.0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: Country builds: the unit's province ("" for the national report and one-province data)
    #: and the pickled Review of its scope, the only bundle its notebook loads.
    province_code: str = ""
    bundle: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.assessment_id}/{self.unit_code}"


def select(values: list[str], wanted: str, what: str) -> list[str]:
    """The values named in ``wanted`` (a comma list, or ``"all"``); ValueError naming the
    unknown ones and the valid values."""
    if wanted in ("all", "", None):
        return values
    chosen = [v.strip() for v in wanted.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in values]
    if unknown:
        raise ValueError(
            f"Không có {what} {', '.join(unknown)}. Các giá trị hợp lệ: {', '.join(values)}"
        )
    return chosen


def plan_reports(
    review,
    assessment_ids: list[str],
    unit: str,
    formats: Sequence[str],
    out_dir: Path,
    data_digest: str,
) -> list[PlannedReport]:
    """Every report the build should have, with its inputs digest."""
    if getattr(review, "is_country", False):
        return plan_country_reports(review, assessment_ids, unit, formats, out_dir, data_digest)
    names = review.unit_names()
    unit_codes = [review.province_code, *review.reporting_units["code"].tolist()]
    if unit not in ("all", "", None):
        aliases = {"province": review.province_code}
        unit = ",".join(aliases.get(u.strip(), u.strip()) for u in unit.split(","))
    chosen = select(unit_codes, unit, "đơn vị")
    shared = inputs_digest(
        data_digest,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(sorted(formats)),
    )
    planned = []
    for assessment_id in assessment_ids:
        for code in chosen:
            is_province = code == review.province_code
            notebook = (
                config.NOTEBOOKS_DIR / REPORT_NOTEBOOKS["province" if is_province else "unit"]
            )
            digest = inputs_digest(shared, notebook, assessment_id, code)
            planned.append(
                PlannedReport(
                    assessment_id=assessment_id,
                    unit_code=code,
                    unit_name=names.get(code, code),
                    is_province=is_province,
                    report_dir=out_dir / assessment_id / unit_slug(code),
                    notebook=notebook,
                    digest=digest,
                )
            )
    return planned


def plan_country_reports(
    review, assessment_ids, unit, formats, out_dir: Path, data_digest: str
) -> list[PlannedReport]:
    """A country's reports: per assessment the national report, then for each province its
    report and its units' reports, under ``<assessment>/<province>/<unit>/``."""
    national = review.national
    names = review.unit_names()
    order: list[tuple[str, str]] = [(national.province_code, "")]
    for code, province in review.provinces.items():
        order.append((code, code))
        order += [(str(u), code) for u in province.reporting_units["code"]]
    if unit not in ("all", "", None):
        aliases = {"national": [national.province_code], "province": list(review.provinces)}
        unit = ",".join(c for u in unit.split(",") for c in aliases.get(u.strip(), [u.strip()]))
    chosen = set(select([code for code, _ in order], unit, "đơn vị"))
    if NATIONAL_DIR in {unit_slug(code) for code in review.provinces}:
        raise ValueError(f"Mã tỉnh trùng tên thư mục dành cho báo cáo toàn quốc: {NATIONAL_DIR}")
    shared = inputs_digest(
        data_digest,
        __version__,
        *params.params_digest_parts(),
        *package_digest_parts(),
        ",".join(sorted(formats)),
    )
    planned = []
    for assessment_id in assessment_ids:
        for code, province in order:
            if code not in chosen:
                continue
            kind = "national" if not province else "province" if code == province else "unit"
            notebook = config.NOTEBOOKS_DIR / REPORT_NOTEBOOKS[kind]
            if kind == "national":
                report_dir = out_dir / assessment_id / NATIONAL_DIR
            else:
                report_dir = out_dir / assessment_id / unit_slug(province) / unit_slug(code)
            planned.append(
                PlannedReport(
                    assessment_id=assessment_id,
                    unit_code=code,
                    unit_name=names.get(code, code),
                    is_province=kind != "unit",
                    report_dir=report_dir,
                    notebook=notebook,
                    digest=inputs_digest(shared, notebook, assessment_id, code),
                    province_code=province,
                    bundle=scope_bundle(out_dir, data_digest, province or NATIONAL_DIR),
                )
            )
    return planned


def cost_rank(review):
    """Sort key of a report by its expected cost, longest first (the province report, then
    districts, then sector committees): the last reports to start are the short ones, so the
    workers finish close together."""
    units = getattr(review, "reporting_units", None)
    levels = (
        dict(zip(units["code"], units["level"], strict=False))
        if units is not None and {"code", "level"} <= set(units.columns)
        else {}
    )

    def key(report: PlannedReport) -> int:
        if report.is_province:
            return 0
        return 2 if levels.get(report.unit_code) == "sector" else 1

    return key
