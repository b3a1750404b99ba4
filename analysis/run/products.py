"""What a report writes once its notebook ran, in the worker: HTML, PDF, then the manifest.

:func:`render_report` is the ``post`` step of every report job (local pool and cluster alike);
:func:`write_report_files` is its rendering part, the one path from an executed notebook to
``report.html`` and ``report.pdf``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.atomic import atomic_write_text
from analysis.run import render
from analysis.run.files import write_manifest
from analysis.run.layout import EXECUTED_NOTEBOOK, PRODUCT_NAMES
from analysis.run.planning import PlannedReport

if TYPE_CHECKING:
    import nbformat


@dataclass
class RenderResult:
    """Paths written by :func:`write_report_files` and the time each format took (seconds)."""

    paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def write_report_files(
    executed: str | os.PathLike[str] | nbformat.NotebookNode,
    out_dir: str | os.PathLike[str],
    title: str,
    formats: Iterable[str] = ("html", "pdf"),
) -> RenderResult:
    """Write ``out_dir/report.html`` and/or ``out_dir/report.pdf`` atomically.

    ``executed`` is the executed notebook file or the notebook itself (e.g.
    ``ExecResult.notebook``, which saves re-reading it).
    """
    formats = tuple(formats)
    unknown = set(formats) - set(PRODUCT_NAMES)
    if unknown:
        raise ValueError(f"unknown formats: {sorted(unknown)}")
    if isinstance(executed, (str, os.PathLike)):
        import nbformat  # heavy: its schema validators take ~1 s to import

        nb = nbformat.read(Path(executed), as_version=4)
    else:
        nb = executed
    out = Path(out_dir)
    result = RenderResult()
    t0 = time.perf_counter()
    html = render.notebook_to_html(nb, title=title)
    result.seconds["html"] = time.perf_counter() - t0
    if "html" in formats:
        result.paths["html"] = atomic_write_text(out / PRODUCT_NAMES["html"], html)
    if "pdf" in formats:
        t0 = time.perf_counter()
        render.html_to_pdf(html, out / PRODUCT_NAMES["pdf"])
        result.seconds["pdf"] = time.perf_counter() - t0
        result.paths["pdf"] = out / PRODUCT_NAMES["pdf"]
    return result


def render_report(
    report: PlannedReport, formats: Sequence[str], title: str, job, result
) -> dict:
    """Worker-side step after a notebook ran: HTML, PDF, then the manifest (last)."""
    rendered = write_report_files(
        result.notebook, report.report_dir, title, [f for f in formats if f in PRODUCT_NAMES]
    )
    products = [EXECUTED_NOTEBOOK, *(path.name for path in rendered.paths.values())]
    write_manifest(
        report.report_dir,
        {
            "digest": report.digest,
            "products": products,
            "unit_code": report.unit_code,
            "assessment_id": report.assessment_id,
        },
    )
    return {"products": products}
