"""Loading ``params/``: plan period, assessments, targets and quotas, unit tiles.

Kept at the top level because every wing reads parameters; it imports nothing of the wings.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from analysis import config


def _load(name: str, params_dir: Path | None = None) -> dict[str, Any]:
    path = (params_dir or config.PARAMS_DIR) / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def plan() -> dict[str, Any]:
    """The plan period (``params/plan.yaml``)."""
    return _load("plan.yaml")


@cache
def assessments() -> dict[str, dict[str, Any]]:
    """Assessments by id (``params/assessments.yaml``)."""
    return {a["id"]: a for a in _load("assessments.yaml")["assessments"]}


def assessment(assessment_id: str) -> dict[str, Any]:
    """One assessment; a clear error names the ones that exist."""
    found = assessments()
    if assessment_id not in found:
        raise KeyError(
            f"Không có kỳ đánh giá '{assessment_id}'. Các kỳ hiện có: {', '.join(found)}"
        )
    return found[assessment_id]


@cache
def targets() -> dict[str, Any]:
    """Targets and quotas (``params/targets.yaml``)."""
    return _load("targets.yaml")


@cache
def units() -> dict[str, Any]:
    """Reporting-unit display parameters (``params/units.yaml``)."""
    return _load("units.yaml")


@cache
def appendices() -> list[dict[str, Any]]:
    """Appendix tables in publishing order (``params/appendices.yaml``)."""
    return list(_load("appendices.yaml")["appendices"])


def params_digest_parts() -> list[Path]:
    """The parameter files every report depends on (for the rebuild check)."""
    return sorted(config.PARAMS_DIR.glob("*.yaml"))


@cache
def collection() -> dict[str, Any]:
    """Collecting data from the units: recipient, deadline (``params/collection.yaml``)."""
    return _load("collection.yaml")
