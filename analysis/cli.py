"""The one command line: ``python -m analysis <command>``.

Commands
--------
validate PATH      check an input workbook or CSV folder, print and save the findings
template OUT.xlsx  write the blank fill-in workbook
template --unit CODE|all --year YEAR [--data SOURCE] OUT
                   pre-filled workbook of one reporting unit (OUT.xlsx), or of every unit
                   (all: one file per unit into the folder OUT, e.g. OUT/2020_son_dong.xlsx)
demo [--out DIR]   (re)write the bundled demo dataset, or a synthetic country
build              validate, compute indicators and build every report
collect PATH [--store STORE]
                   validate returned workbooks (a file or a folder) and record them in the
                   store (default outputs/store.sqlite); prints what a resubmission changed
status [--store STORE] [--data SOURCE]
                   which unit sent which year: received, accepted, rejected, missing
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.data.template import write_template
from analysis.run.collect import collect_command
from analysis.run.commands import build_command, demo_command, prefill_command, validate_command
from analysis.run.status import status_command


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analysis",
        description="tccsd-review: review reports of the 2016–2020 TCCSĐ resolution",
    )
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check an input (.xlsx or a folder of CSV)")
    v.add_argument("path", type=Path, nargs="?", help="input; default: the bundled demo data")
    v.add_argument("--out", type=Path, help="findings workbook (default outputs/findings.xlsx)")

    t = sub.add_parser(
        "template",
        help="write the Excel fill-in template (blank, or pre-filled for a reporting unit)",
        description="Without --unit: the blank fill-in workbook OUT.xlsx. With --unit CODE "
        "--year YEAR: the workbook of one reporting unit, its communes, villages, TCCSĐ and "
        "official positions listed (codes locked), the previous year's values beside each row, "
        "and a cover sheet (recipient and deadline from params/collection.yaml). --unit all "
        "writes one workbook per district and sector committee into the folder OUT.",
    )
    t.add_argument("out", type=Path, help="the .xlsx to write (--unit all: a folder)")
    t.add_argument("--unit", help="reporting unit code, or 'all'")
    t.add_argument("--year", type=int, help="data year to collect (required with --unit)")
    t.add_argument("--data", type=Path,
                   help="units, TCCSĐ and previous year's values; default: the bundled demo data")

    d = sub.add_parser("demo", help="write the demo dataset (or a synthetic country)")
    d.add_argument("--out", type=Path, help="folder (default: the bundled demo folder)")
    d.add_argument("--country", type=int, metavar="N", help="write N synthetic provinces instead")
    d.add_argument("--seed", type=int, default=2016)
    d.add_argument("--xlsx", action="store_true", help="also write the data as one .xlsx workbook")

    b = sub.add_parser("build", help="validate, compute, and build the reports")
    b.add_argument("--data", type=Path, help="input; default: the bundled demo data")
    b.add_argument("--assessment", default="all", help="assessment id or 'all'")
    b.add_argument("--unit", default="all", help="reporting unit code, 'province' or 'all'")
    b.add_argument("--jobs", type=int, default=0, help="parallel workers (default: one per core)")
    b.add_argument("--formats", default="html,pdf,xlsx", help="comma list of html,pdf,xlsx")
    b.add_argument(
        "--out", type=Path, help="output folder (default outputs/; outputs/publish/ if --publish)"
    )
    b.add_argument(
        "--publish",
        action="store_true",
        help="publishing mode: write only the published appendices (xlsx, html, pdf), counts of "
        "1-2 people shown as '<3' and the cells that would give them away as 'x'; no report "
        "(its charts and rankings show the rates behind the hidden cells), no internal file",
    )
    b.add_argument(
        "--force", action="store_true", help="rebuild reports whose inputs are unchanged"
    )
    b.add_argument(
        "--tables-only",
        action="store_true",
        help="validate and write the summary and indicator tables, no reports",
    )
    b.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the reports on a Dask cluster, e.g. tcp://10.0.0.5:8786 (docs/distributed.md)",
    )
    c = sub.add_parser("collect", help="validate returned workbooks and record them in the store")
    c.add_argument("path", type=Path, help="a returned workbook, or a folder of them")
    c.add_argument("--store", type=Path, help="the store (default outputs/store.sqlite)")
    s = sub.add_parser("status", help="collection status: unit × year received or missing")
    s.add_argument("--store", type=Path, help="the store (default outputs/store.sqlite)")
    s.add_argument("--out", type=Path, help="status workbook (default outputs/status.xlsx)")
    s.add_argument("--data", type=Path,
                   help="the data the workbooks were written from (template --data): its "
                   "reporting units are expected; default: the bundled demo data")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return validate_command(args.path, args.out)
        if args.command == "template":
            if args.unit:
                return prefill_command(args.unit, args.year, args.data, args.out)
            write_template(args.out)
            print(f"Đã ghi mẫu nhập liệu: {args.out}")
            return 0
        if args.command == "demo":
            return demo_command(args.out, args.country, args.seed, args.xlsx)
        if args.command == "build":
            return build_command(args)
        if args.command == "collect":
            return collect_command(args.path, args.store)
        if args.command == "status":
            return status_command(args.store, args.out, args.data)
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu. Các báo cáo đã ghi trước đó vẫn nguyên vẹn.", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
