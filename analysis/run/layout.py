"""Where a build's files go, and what the reports are built from.

The output folder of an internal build holds ``<assessment>/<unit-slug>/`` per report (country
data: ``<assessment>/<province>/<unit>/`` and ``<assessment>/national/``), each with the
executed notebook, ``report.html``, ``report.pdf`` and ``.manifest.json``; ``index.html``,
``findings.xlsx``, ``tables/`` and the review bundles under ``.cache/``.
"""

from __future__ import annotations

from pathlib import Path

from slugify import slugify

from analysis import config

#: The notebook of each kind of report, in ``notebooks/``.
REPORT_NOTEBOOKS = {
    "unit": "unit_report.py",
    "province": "province_report.py",
    "national": "national_report.py",
}
#: Folder of the national report of a country build (``<out>/<assessment>/national/``).
NATIONAL_DIR = "national"
#: The files of one report, by format (the executed notebook is always kept).
PRODUCT_NAMES = {"html": "report.html", "pdf": "report.pdf"}
EXECUTED_NOTEBOOK = "report.ipynb"
#: The build's private folder (review bundles, timings).
CACHE_DIR = ".cache"
#: Per-report timings of the last build, in :data:`CACHE_DIR` (read by ``bench/``).
TIMINGS_FILE = "build-times.json"
#: The record of the last fully successful build, in the output folder.
BUILD_MANIFEST = ".build-manifest.json"


def unit_slug(code: str) -> str:
    """Folder name of a unit's reports (codes are validated ASCII; slugify is the safety net)."""
    return slugify(code, separator="_", lowercase=True) or "unit"


def scope_bundle(out_dir: Path, data_digest: str, scope: str | None = None) -> Path:
    """Where the build pickles a Review: one file, or one per province and the national one."""
    suffix = f"-{unit_slug(scope)}" if scope else ""
    return out_dir / CACHE_DIR / f"review-{data_digest[:16]}{suffix}.pkl"


def package_digest_parts() -> list[Path]:
    """Source files whose change must rebuild every report."""
    files = [
        p
        for p in config.PACKAGE_DIR.rglob("*")
        if p.suffix in {".py", ".yaml", ".j2", ".css", ".html"}
        and "__pycache__" not in p.parts
        and config.DEMO_DATA_DIR not in p.parents
    ]
    return sorted(files)


def relative_or_name(path: Path) -> str:
    """A path fit to be recorded in outputs: relative to the project, else the bare name."""
    try:
        return Path(path).resolve().relative_to(config.PROJ_ROOT).as_posix()
    except ValueError:
        return Path(path).name
