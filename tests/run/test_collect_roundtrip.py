"""The collection round trip on the demo data: workbooks out, filled, back in, same tables.

``template --unit all`` for 2020 and 2019 (28 workbooks); each filled from the demo CSV as a
unit types it (values only, into the pre-filled rows: tests/data/fillin.py); Sơn Động 2020
saved again by LibreOffice (a real spreadsheet application's file); ``collect`` the folder into
a new store. Every file is accepted without an error, and the summary and indicator tables of
``build --tables-only --data store.sqlite`` are the same files as those of a build from the
demo CSV restricted to 2019 and 2020 (the years collected).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from analysis import config
from analysis.cli import main
from analysis.data.intake import read_input
from analysis.run.build import build
from analysis.run.collect import collect

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from fillin import fill_workbook  # noqa: E402

pytestmark = pytest.mark.slow

YEARS = (2020, 2019)
YEAR_COLUMN = {"organizations": "year", "villages": "year", "officials": "snapshot_year",
               "unit_summary": "year"}


def demo_years(target: Path, years: tuple[int, ...]) -> Path:
    """The demo CSV folder with only the rows of ``years`` (units and crosswalk whole)."""
    target.mkdir()
    for src in sorted(config.DEMO_DATA_DIR.glob("*.csv")):
        with src.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        if src.stem in YEAR_COLUMN:
            j = rows[0].index(YEAR_COLUMN[src.stem])
            rows = [rows[0], *(r for r in rows[1:] if r[j] and int(r[j]) in years)]
        with (target / src.name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return target


def tables_of(data: Path, out: Path) -> dict[str, bytes]:
    console = Console(file=io.StringIO(), width=200)
    status = build(data, assessment="final", out=out, tables_only=True, console=console)
    assert status == 0, console.file.getvalue()
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_demo_round_trip_through_the_store(tmp_path, capsys):
    demo = read_input(config.DEMO_DATA_DIR)[0].tables
    returns = tmp_path / "returns"
    returns.mkdir()
    for year in YEARS:
        blank = tmp_path / f"blank{year}"
        assert main(["template", "--unit", "all", "--year", str(year), str(blank)]) == 0
        paths = sorted(blank.glob("*.xlsx"))
        assert len(paths) == 14
        for p in paths:
            fill_workbook(p, demo, returns / p.name)
    # one returned file saved by LibreOffice, as a unit working in Calc would send it
    lo = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/prof",
                    "--convert-to", "xlsx", "--outdir", str(lo),
                    str(returns / "2020_son_dong.xlsx")], check=True, timeout=300,
                   capture_output=True)
    assert (lo / "2020_son_dong.xlsx").read_bytes() != (returns / "2020_son_dong.xlsx"
                                                         ).read_bytes()
    shutil.copy(lo / "2020_son_dong.xlsx", returns / "2020_son_dong.xlsx")

    db = tmp_path / "store.sqlite"
    capsys.readouterr()
    report = collect(returns, db)
    assert len(report.files) == 28
    errors = [(f.name, x.rule, x.message) for f in report.files
              for x in f.submission.findings if x.is_error]
    assert errors == []
    assert [f.name for f in report.files if f.status != "accepted"] == []
    assert "nhận 28 tệp, không nhận 0 tệp" in capsys.readouterr().out

    from_store = tables_of(db, tmp_path / "out_store")
    from_csv = tables_of(demo_years(tmp_path / "demo_2019_2020", YEARS), tmp_path / "out_csv")
    assert {"summary.csv", "indicators.csv"} <= set(from_csv)
    assert set(from_store) == set(from_csv)
    for name in from_csv:
        assert from_store[name] == from_csv[name], name
    # not vacuous: both years of every reporting unit are in the summary
    rows = list(csv.DictReader(io.StringIO(from_store["summary.csv"].decode("utf-8-sig"))))
    got = {(r["unit_code"], r["year"]) for r in rows if r["level"] in ("district", "sector")}
    assert len(got) == 14 * 2
