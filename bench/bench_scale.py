"""Benchmark: reports per minute, local pool against a Dask cluster, 1 province against 5.

For each data set (synthetic countries written by ``python -m analysis demo --country N``;
``--demo`` uses the bundled Bắc Giang data instead) and each runner (the local warm-kernel pool
with ``--jobs W``; a ``distributed.LocalCluster`` of W single-thread worker processes through
``--scheduler``) it runs one full ``python -m analysis build --force`` into a fresh folder and
prints the wall time, the number of reports and reports per minute. Then:

- cost per report (worker-seconds per report) for the largest data set against the smallest,
  per runner: the ratio should stay near 1 (flat) as provinces are added;
- a paper estimate for the whole country (63 provinces, ~1,500 reports per round) on N machines
  of W workers each, from the measured cost per report of the largest cluster run plus its
  fixed part (validation and indicators, scaled by the number of provinces).

Run: ``.venv/bin/python bench/bench_scale.py [--provinces 1,5] [--workers 2]
[--assessment final] [--formats html,pdf] [--modes local,cluster] [--demo]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import config

COUNTRY_PROVINCES = 63
COUNTRY_REPORTS = 1500


def make_data(work: Path, provinces: int, demo: bool) -> Path:
    if demo:
        return config.DEMO_DATA_DIR
    target = work / f"country-{provinces}"
    subprocess.run([sys.executable, "-m", "analysis", "demo", "--country", str(provinces),
                    "--out", str(target)], check=True, stdout=subprocess.DEVNULL)
    return target


def count_reports(out: Path) -> int:
    return sum(1 for _ in out.rglob(".manifest.json"))


def tables_seconds(data: Path, out: Path, assessment: str) -> float:
    """The fixed part of a build: validation, indicators, tables (no report)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis", "build", "--data", str(data), "--out",
                    str(out), "--assessment", assessment, "--tables-only"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def run_build(data: Path, out: Path, args, scheduler: str | None) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "analysis", "build", "--data", str(data), "--out", str(out),
           "--assessment", args.assessment, "--formats", args.formats, "--force",
           "--jobs", str(args.workers)]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"build failed ({proc.returncode}): {' '.join(cmd)}")
    return seconds, count_reports(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provinces", default="1,5", help="comma list of country sizes")
    ap.add_argument("--workers", type=int, default=2, help="local jobs = cluster workers")
    ap.add_argument("--assessment", default="final", help="assessment id or 'all'")
    ap.add_argument("--formats", default="html,pdf")
    ap.add_argument("--modes", default="local,cluster")
    ap.add_argument("--demo", action="store_true",
                    help="one province only: the bundled demo data (when countries cannot build)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    sizes = [1] if args.demo else [int(p) for p in args.provinces.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    rows = []
    with tempfile.TemporaryDirectory(prefix="tccsd-bench-scale-") as tmp:
        work = Path(tmp)
        cluster = None
        if "cluster" in modes:
            from distributed import LocalCluster

            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                   processes=True, dashboard_address=":0")
        try:
            for n in sizes:
                data = make_data(work, n, args.demo)
                fixed = tables_seconds(data, work / f"tables-{n}", args.assessment)
                for mode in modes:
                    scheduler = cluster.scheduler_address if mode == "cluster" else None
                    seconds, reports = run_build(data, work / f"{mode}-{n}", args, scheduler)
                    rows.append({
                        "provinces": n, "mode": mode, "seconds": seconds, "reports": reports,
                        "fixed_seconds": fixed,
                        "per_minute": 60 * reports / seconds,
                        # worker-seconds per report, the fixed part left out
                        "cost": (seconds - fixed) * args.workers / reports,
                    })
                    r = rows[-1]
                    print(f"{n} province(s), {mode:7s}: {reports:4d} reports in "
                          f"{seconds:7.1f} s = {r['per_minute']:6.1f} reports/min "
                          f"(fixed part {fixed:.1f} s; {r['cost']:.2f} worker-s/report)",
                          flush=True)
        finally:
            if cluster is not None:
                cluster.close()

    print()
    if len(sizes) > 1:
        for mode in modes:
            small = next(r for r in rows if r["mode"] == mode and r["provinces"] == sizes[0])
            large = next(r for r in rows if r["mode"] == mode and r["provinces"] == sizes[-1])
            print(f"cost per report, {mode}: {sizes[-1]} vs {sizes[0]} province(s) = "
                  f"{large['cost'] / small['cost']:.2f} (flat = 1.00)")
    ref = [r for r in rows if r["mode"] == ("cluster" if "cluster" in modes else modes[0])][-1]
    fixed = {r["provinces"]: r["fixed_seconds"] for r in rows}
    if len(fixed) > 1:  # a + b × provinces through the smallest and largest runs
        lo, hi = min(fixed), max(fixed)
        slope = (fixed[hi] - fixed[lo]) / (hi - lo)
        fixed_country = fixed[lo] + slope * (COUNTRY_PROVINCES - lo)
    else:  # proportional: an upper bound (process start and imports scale too)
        fixed_country = ref["fixed_seconds"] * COUNTRY_PROVINCES / ref["provinces"]
    print(f"\nWhole country on paper ({COUNTRY_PROVINCES} provinces, {COUNTRY_REPORTS} reports, "
          f"{ref['cost']:.1f} worker-s/report, fixed part ≈ {fixed_country / 60:.1f} min on the "
          "client):")
    for machines in (1, 2, 4, 8, 16):
        workers = machines * args.workers
        minutes = (fixed_country + COUNTRY_REPORTS * ref["cost"] / workers) / 60
        print(f"  {machines:2d} machine(s) × {args.workers} workers: ≈ {minutes:6.1f} min")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
