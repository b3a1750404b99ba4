"""Benchmark: the full build against the naive CLI chain over the same notebooks.

Prints, for the demo data (both assessments, every unit and the province, HTML + PDF + Excel):

- the full build's wall time into a fresh folder, with its total CPU seconds (the build and
  every worker and kernel it started) and the load average around it: on a shared machine
  the wall time depends on the other processes, the CPU seconds much less;
- per-report CPU seconds, median by kind (province, district, sector committee), from the
  build's own record (``.cache/build-times.json``: the kernel's CPU plus the worker's);
- the serial phases, in this process (``time.process_time``): validation, indicators and
  review, and one worker's warm-up (kernel start with its imports, renderer warm-up);
- a rebuild with nothing changed;
- the naive chain (``papermill`` CLI, ``jupyter nbconvert --to html --no-input``,
  ``weasyprint`` CLI, one process each, one report after another) on a sample of reports,
  scaled to the same number of reports, and the speed-up ratio.

Goals (issue 4): under 60 s wall on 2 cores and ≥ 6× faster than the naive chain; the
rebuild under 3 s.

Run: ``.venv/bin/python bench/bench_build.py [--sample 3] [--jobs 2] [--skip-naive]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import config

BIN = Path(sys.executable).parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _bytecode_note() -> str:
    """Whether the processes of a build find compiled bytecode: without it (a venv installed
    without ``--compile-bytecode`` and ``PYTHONDONTWRITEBYTECODE`` set) every process compiles
    numpy, pandas, matplotlib … from source, ~2.5 s of CPU per process (~12 s per build)."""
    import importlib.util

    import pandas

    source = Path(pandas.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    if cached.exists():
        return "site-packages bytecode: compiled"
    if sys.flags.dont_write_bytecode:
        return ("site-packages bytecode: MISSING and PYTHONDONTWRITEBYTECODE is set: every "
                "process compiles its imports (install with uv --compile-bytecode)")
    return "site-packages bytecode: missing (written by this first run)"


def run_build(out: Path, jobs: int | None, force: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m analysis build`` (CPU: it and its children)."""
    cmd = [sys.executable, "-m", "analysis", "build", "--out", str(out)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if force:
        cmd.append("--force")
    cpu0, t = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=config.PROJ_ROOT)
    return time.perf_counter() - t, _children_cpu() - cpu0


def per_report_cpu(out: Path) -> dict[str, list[float]]:
    """CPU seconds of each built report, by kind, from the build's own record."""
    record = json.loads((out / ".cache" / "build-times.json").read_text(encoding="utf-8"))
    kinds: dict[str, list[float]] = {}
    for row in record.values():
        if row.get("cpu_seconds") is not None:
            kinds.setdefault(row["kind"], []).append(row["cpu_seconds"])
    return kinds


def serial_phases() -> dict[str, float]:
    """CPU seconds of the phases that run before the reports, measured in this process."""
    from analysis.data.validate import validate_input
    from analysis.measure import review as review_module

    phases = {}
    t = time.process_time()
    validation = validate_input(config.DEMO_DATA_DIR)
    phases["validation"] = time.process_time() - t
    compute = getattr(review_module, "compute_build_review", review_module.compute_review)
    t = time.process_time()
    compute(validation)
    phases["indicators + review"] = time.process_time() - t

    from analysis.run import executor, jobs

    t = time.process_time()
    kernel = executor.WarmKernel(cwd=config.PROJ_ROOT).start()
    try:
        kernel_cpu = jobs.process_cpu_seconds(jobs.kernel_pid(kernel)) or 0.0
    finally:
        kernel.shutdown()
    phases["worker warm-up: kernel start + preload"] = time.process_time() - t + kernel_cpu
    t = time.process_time()
    from analysis.run import render

    render.warm_up()
    phases["worker warm-up: renderer"] = time.process_time() - t
    return phases


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
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: the build's)")
    parser.add_argument("--skip-naive", action="store_true", help="do not time the naive chain")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        load_before = _load()
        full, full_cpu = run_build(out, args.jobs, force=True)
        reports = sorted(out.glob("*/*/report.html"))
        print(f"full build: {len(reports)} reports (HTML + PDF) + appendices + index in "
              f"{full:.1f} s wall, {full_cpu:.0f} s CPU (load average before {load_before}, "
              f"after {_load()}; {os.cpu_count()} cores)")
        print(f"  {_bytecode_note()}")
        for kind, values in sorted(per_report_cpu(out).items()):
            print(f"  per report CPU, {kind}: median {statistics.median(values):.2f} s "
                  f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")
        again, _ = run_build(out, args.jobs)
        print(f"rebuild with nothing changed: {again:.2f} s wall")
        for name, seconds in serial_phases().items():
            print(f"  serial phase CPU, {name}: {seconds:.2f} s")
        if args.skip_naive:
            return
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
        print(f"speed-up: {scaled / full:.1f}x (load average now {_load()})")


if __name__ == "__main__":
    main()
