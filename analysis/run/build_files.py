"""The build's own files besides the reports: the indicator tables (``tables/*.csv``), the
internal appendix workbooks (``<assessment>/appendix.xlsx``, per scope for a country) and the
per-report timings (``.cache/build-times.json``)."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.atomic import atomic_write_bytes, atomic_write_text
from analysis.present.appendix import appendix_specs, write_appendix_xlsx
from analysis.present.appendix.national import write_national_appendix
from analysis.run.layout import CACHE_DIR, NATIONAL_DIR, TIMINGS_FILE, unit_slug
from analysis.run.planning import PlannedReport
from analysis.textsafe import csv_frame


def write_tables(review, validation, out_dir: Path) -> None:
    """The indicator input tables and results as CSV (UTF-8 with BOM, so Excel reads it)."""
    tables = {"summary.csv": validation.summary, "indicators.csv": review.indicators}
    if getattr(review, "is_country", False):
        for assessment_id in review.national.assessments:
            tables[f"progress_{assessment_id}.csv"] = review.progress(assessment_id)
    for assessment_id, part in getattr(review, "assessments", {}).items():
        tables[f"progress_{assessment_id}.csv"] = part.progress
    for name, frame in tables.items():
        if frame is None:
            continue
        text = csv_frame(frame).to_csv(index=False, lineterminator="\n")  # «=…» stays text
        atomic_write_bytes(out_dir / "tables" / name, ("\ufeff" + text).encode("utf-8"))


def write_appendices(review, assessment_id: str, out: Path, publish: bool = False) -> Path:
    """Write ``appendix.xlsx`` of one assessment (real numbers, one sheet per table).

    ``publish=True``: small counts of people hidden as ``"<3"``/``"x"`` text cells, every other
    cell still a number (:mod:`analysis.present.appendix`).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_appendix_xlsx(appendix_specs(review, assessment_id, publish=publish), out)


def write_internal_appendices(review, assessment_ids, out_dir: Path) -> None:
    """``appendix.xlsx`` of every assessment (real numbers): one per assessment, or for a
    country one per province and the national one, in the reports' folders."""
    for assessment_id in assessment_ids:
        if getattr(review, "is_country", False):
            for scope, part in review.scopes().items():
                folder = unit_slug(scope) if scope else NATIONAL_DIR
                (write_appendices if scope else write_national_appendix)(
                    part,
                    assessment_id,
                    out_dir / assessment_id / folder / "appendix.xlsx",
                )
            continue
        write_appendices(review, assessment_id, out_dir / assessment_id / "appendix.xlsx")


def write_timings(out_dir: Path, reports: list[PlannedReport]) -> None:
    """Per-report wall and CPU seconds of this build (``.cache/build-times.json``; read by
    ``bench/bench_build.py``)."""
    rows = {
        r.key: {
            "kind": r.extra.get("level", "province" if r.is_province else "unit"),
            "status": r.status,
            **{
                k: r.extra[k]
                for k in ("exec_seconds", "post_seconds", "cpu_seconds")
                if k in r.extra
            },
        }
        for r in reports
    }
    text = json.dumps(rows, indent=1, sort_keys=True) + "\n"
    atomic_write_text(out_dir / CACHE_DIR / TIMINGS_FILE, text)
