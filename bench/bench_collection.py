"""Collection round trip timings: writing the 14 pre-filled workbooks, reading them back.

Prints (seconds, best of ``--repeat``; wall clock, and in brackets the process CPU time, the
figure to compare on a machine other work is loading):

* writing the 14 pre-filled workbooks of one year (``template --unit all``);
* reading a folder of the 14 returned workbooks (filled from the demo data, values only) with
  ``read_input``, and validating it (``validate_input``: reading + rules);
* collecting the folder of the 14 returned workbooks into a new store
  (:func:`analysis.run.collect.collect`: reading, the rules in the store's context, recording);
* validating the demo CSV folder once, the reference of issue 10's target for ``collect``
  (≤ 2× the CSV validation), and the ratio.

Run: ``.venv/bin/python bench/bench_collection.py [--year 2020] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "data"))

from fillin import fill_workbook  # noqa: E402
from rich.console import Console  # noqa: E402

from analysis import config  # noqa: E402
from analysis.data import prefill  # noqa: E402
from analysis.data.intake import read_input  # noqa: E402
from analysis.data.validate import validate_input  # noqa: E402
from analysis.run.collect import collect  # noqa: E402


def _best(fn, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best process-CPU seconds of ``repeat`` runs of ``fn``."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def _shown(t: tuple[float, float]) -> str:
    return f"{t[0]:6.2f} s ({t[1]:5.2f} s CPU)"


def _ratio(a: tuple[float, float], b: tuple[float, float]) -> str:
    return f"{a[0] / b[0]:6.2f} x ({a[1] / b[1]:5.2f} x CPU)"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--year", type=int, default=2020)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    tables = read_input(config.DEMO_DATA_DIR)[0].tables
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        back = Path(tmp) / "returns"
        back.mkdir()
        t_write = _best(lambda: prefill.write_all(tables, args.year, out), args.repeat)
        for path in sorted(out.glob("*.xlsx")):
            fill_workbook(path, tables, back / path.name)
        t_read = _best(lambda: read_input(back), args.repeat)
        t_valid = _best(lambda: validate_input(back), args.repeat)
        stores = iter(Path(tmp) / f"store{i}.sqlite" for i in range(args.repeat))
        quiet = Console(file=io.StringIO())

        def collect_once() -> None:
            report = collect(back, next(stores), console=quiet)
            assert len(report.accepted) == 14, [f.name for f in report.rejected]

        t_collect = _best(collect_once, args.repeat)
        t_csv = _best(lambda: validate_input(config.DEMO_DATA_DIR), args.repeat)
        t_csv_read = _best(lambda: read_input(config.DEMO_DATA_DIR), args.repeat)
    print(f"write 14 pre-filled workbooks ({args.year}): {_shown(t_write)}")
    print(f"read 14 returned workbooks:               {_shown(t_read)}")
    print(f"validate 14 returned workbooks:           {_shown(t_valid)}")
    print(f"read demo CSV folder (all years):         {_shown(t_csv_read)}")
    print(f"validate demo CSV folder (all years):     {_shown(t_csv)}")
    print(f"collect 14 returned workbooks (new store): {_shown(t_collect)}")
    print(f"returns validation / CSV validation:      {_ratio(t_valid, t_csv)}")
    print(f"collect / CSV validation (target <= 2):    {_ratio(t_collect, t_csv)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
