"""Benchmark: the full build against the naive CLI chain over the same notebooks.

Prints: the full build's wall time (both assessments, every unit and the province, HTML + PDF
+ Excel) into a fresh folder; a rebuild with nothing changed; and the naive chain
(``papermill`` CLI, ``jupyter nbconvert --to html --no-input``, ``weasyprint`` CLI, one process
each, one report after another) on a sample of reports, scaled to the same number of reports.
Goals (issue 4): ≥ 6× faster than the naive chain, under 60 s; the rebuild under 3 s.

Run: ``.venv/bin/python bench/bench_build.py [--sample 3] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import config

BIN = Path(sys.executable).parent


def run_build(out: Path, jobs: int) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "build", "--out", str(out),
                    "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def naive_chain(work: Path, bundle: Path, units: list[tuple[str, str]]) -> float:
    """papermill CLI → nbconvert CLI → weasyprint CLI for each (unit, assessment)."""
    import jupytext

    notebooks = {}
    for kind in ("unit_report", "province_report"):
        nb = jupytext.read(config.NOTEBOOKS_DIR / f"{kind}.py")
        nb.metadata["kernelspec"] = {"name": "tccsd-review", "display_name": "tccsd-review",
                                     "language": "python"}
        path = work / f"{kind}.ipynb"
        jupytext.write(nb, path)
        notebooks[kind] = path
    t = time.perf_counter()
    for unit, assessment in units:
        kind = "province_report" if unit == "bac_giang" else "unit_report"
        executed = work / f"{assessment}-{unit}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(notebooks[kind]), str(executed),
                        "-p", "unit_code", unit, "-p", "assessment_id", assessment,
                        "-p", "bundle_path", str(bundle), "-k", "tccsd-review",
                        "--cwd", str(work)], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], check=True, capture_output=True)
        subprocess.run([str(BIN / "weasyprint"), str(executed.with_suffix(".html")),
                        str(executed.with_suffix(".pdf"))], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=3, help="reports timed on the naive chain")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        full = run_build(out, args.jobs)
        reports = sorted(out.glob("*/*/report.html"))
        print(f"full build: {len(reports)} reports (HTML + PDF) + appendices + index "
              f"in {full:.1f} s ({len(reports) / full * 60:.0f} reports/min)")
        again = run_build(out, args.jobs)
        print(f"rebuild with nothing changed: {again:.1f} s")

        bundle = next((out / ".cache").glob("review-*.pkl"))
        sample = [("bac_giang", "final"), ("son_dong", "final"), ("hiep_hoa", "midterm"),
                  ("luc_nam", "final"), ("khoi_co_quan", "midterm")][: args.sample]
        work = Path(tmp) / "naive"
        work.mkdir()
        shutil.copy(bundle, work / bundle.name)
        naive = naive_chain(work, work / bundle.name, sample)
        per_report = naive / len(sample)
        scaled = per_report * len(reports)
        print(f"naive CLI chain: {per_report:.1f} s per report on {len(sample)} reports; "
              f"{scaled:.0f} s for {len(reports)} reports (scaled)")
        print(f"speed-up: {scaled / full:.1f}x")


if __name__ == "__main__":
    main()
