"""Benchmark: intake + every indicator + every verdict, for the demo province and a country.

Prints wall time per stage and peak memory (RSS). Run: ``.venv/bin/python bench/bench_indicators.py
[--provinces 63]``. Goals (issue 3): the country under 10 s and 2 GB, the demo under 1 s.
The synthetic country is written once to ``outputs/bench/country-<N>`` and reused.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from analysis import config, params


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(path: Path, label: str, province_code: str | None) -> dict[str, float]:
    from analysis.data.aggregate import build_summary
    from analysis.data.intake import read_input
    from analysis.measure.indicators import compute_indicators
    from analysis.measure.progress import assess_all
    from analysis.measure.review import targets_by_unit

    times = {}
    t0 = time.perf_counter()
    data, findings = read_input(path)
    times["intake"] = time.perf_counter() - t0
    t = time.perf_counter()
    summary = build_summary(data.tables)
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    indicators = compute_indicators(summary, province_code=province_code)
    times["indicators"] = time.perf_counter() - t
    t = time.perf_counter()
    n_verdicts = 0
    for assessment in params.assessments().values():
        rows = indicators.loc[indicators["year"].isin(assessment["data_years"])
                              & indicators["level"].isin(["province", "district", "sector"])]
        progress = assess_all(rows, targets_by_unit(rows), assessment)
        n_verdicts += len(progress)
    times["verdicts"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    units = summary.loc[summary["level"].isin(["district", "sector"]), "unit_code"].nunique()
    print(f"{label}: {units} reporting units, {len(summary):,} summary rows, "
          f"{len(indicators):,} indicator rows, {n_verdicts:,} verdicts")
    for stage, seconds in times.items():
        print(f"  {stage:<11} {seconds:7.2f} s")
    print(f"  peak RSS    {peak_rss_mb():7.0f} MB")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--provinces", type=int, default=63)
    args = parser.parse_args()

    run(config.DEMO_DATA_DIR, "demo province", None)
    country = config.outputs_dir() / "bench" / f"country-{args.provinces}"
    if not (country / "units.csv").exists():
        from analysis.data.demo import write_country

        t = time.perf_counter()
        write_country(country, n_provinces=args.provinces, seed=1)
        print(f"(generated the country in {time.perf_counter() - t:.1f} s)")
    run(country, f"country ({args.provinces} provinces)", "vn")


if __name__ == "__main__":
    main()
