"""Shared fixtures of the report tests: a small real build, and the demo Review in memory."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest

from analysis import config

#: The reports the text scans read: a district and the province, both assessments.
BUILT_UNITS = "son_dong,province"
PROVINCE = "bac_giang"
_DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory) -> Path:
    """``python -m analysis build`` of son_dong and the province, midterm and final, HTML and
    Excel, into a temporary folder (about 30 s on 2 cores). Returns the output folder."""
    from rich.console import Console

    from analysis.run.build import build

    out = tmp_path_factory.mktemp("built")
    console = Console(file=io.StringIO(), width=120, color_system=None)
    status = build(
        config.DEMO_DATA_DIR,
        assessment="all",
        unit=BUILT_UNITS,
        jobs=2,
        formats=("html", "xlsx"),
        out=out,
        console=console,
    )
    assert status == 0, console.file.getvalue()
    return out


def visible_text(markup: str) -> str:
    """The text a reader sees: styles, tags and data URIs removed, entities decoded, runs of
    white space (non-breaking spaces included) collapsed to one space."""
    markup = re.sub(r"<style.*?</style>", " ", markup, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", _DATA_URI.sub("", markup)))
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def report_html(out: Path, assessment: str, unit: str) -> str:
    return (out / assessment / unit / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def demo_review():
    """The demo data's Review, computed once for the session (reports rendered in memory)."""
    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_review

    validation = validate_input(config.DEMO_DATA_DIR)
    assert validation.ok
    return compute_review(validation)


def render_report(review, unit_code: str, assessment_id: str) -> str:
    """Every section of one report rendered in memory (the notebook's cells, in order)."""
    from analysis.present import report

    ctx = report.context_from_review(review, unit_code, assessment_id)
    names = ["title_page", "leader_summary_section", "scorecard_section"]
    if ctx.is_province:
        names.append("heat_table_section")
    names += [
        "target_sections",
        "process_section",
        "integrity_section",
        "villages_section",
        "data_notes_section",
        "appendix_section",
    ]
    return "\n".join(getattr(report, n)(ctx).data for n in names)
