"""Sizes and shapes: empty and header-only files, a zip bomb dressed as a real workbook, a
CSV with a 10 MB cell, and the whole demo a hundred times over with memory kept bounded."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from analysis import config
from analysis.data.findings import ERROR, WARNING

from .build import LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
MISMATCH = frozenset({"summary_detail_mismatch"})


@CASES.add("empty_csv_file")
def _(inp: Input, tmp: Path) -> Built:
    folder = inp.csv_folder(tmp / "csv")
    (folder / "organizations.csv").write_bytes(b"")
    return Built(folder, [Expect(WARNING, "empty_sheet", "organizations.csv", "organizations",
                                 None, "", "Bảng «organizations» trống, không có số liệu.")])


@CASES.add("whitespace_only_csv_file")
def _(inp: Input, tmp: Path) -> Built:
    folder = inp.csv_folder(tmp / "csv")
    (folder / "organizations.csv").write_bytes(b"\r\n  \r\n\t\r\n,,,\r\n")
    return Built(folder, [Expect(WARNING, "empty_sheet", "organizations.csv", "organizations",
                                 None, "", "Bảng «organizations» trống, không có số liệu.")])


@CASES.add("organizations_header_only")
def _(inp: Input, tmp: Path) -> Built:
    """Detail header without rows: the unit's numbers come from its summary sheet rows."""
    folder = inp.csv_folder(tmp / "csv")
    path = folder / "organizations.csv"
    path.write_bytes(path.read_bytes().split(b"\r\n", 1)[0] + b"\r\n")
    return Built(folder, [])


@CASES.add("every_table_header_only")
def _(inp: Input, tmp: Path) -> Built:
    for name in inp.rows:
        inp.rows[name] = []
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        WARNING, "no_data", "csv", "", None, "", "Chưa có dòng số liệu nào")])


@CASES.add("zip_bomb_inside_a_real_workbook")
def _(inp: Input, tmp: Path) -> Built:
    """A genuine workbook plus one member of 64 MiB of zeros (64 KiB packed)."""
    path = inp.xlsx(tmp / "so_lieu.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("xl/media/image1.png", "w") as fh:
        chunk = b"\0" * (1 << 20)
        for _ in range(64):
            fh.write(chunk)
    return Built(path, [Expect(ERROR, "zip_bomb", "so_lieu.xlsx", "", None, "",
                               "có thể là tệp hỏng hoặc tệp độc hại, nên không được đọc")])


@CASES.add("csv_with_a_10_mb_cell")
def _(inp: Input, tmp: Path) -> Built:
    """A notes column whose last cell holds 10 MB: the line is refused, rows above are read."""
    inp.header["organizations"].append("ghi_chu")
    for r in inp.rows["organizations"]:
        r["ghi_chu"] = ""
    last = len(inp.rows["organizations"]) - 1
    inp.rows["organizations"][last]["ghi_chu"] = "x" * 10_000_000
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "corrupt_file", "organizations.csv", "organizations",
               inp.excel_row(last), "",
               f"Tệp «organizations.csv» có dòng không đọc được (dòng {inp.excel_row(last)}: có "
               "một ô dài quá 1.048.576 ký tự); dòng này bị bỏ qua, các dòng khác vẫn được "
               "đọc."),
        Expect(WARNING, "unknown_column", "organizations.csv", "organizations", 1, "ghi_chu",
               "Cột «ghi_chu» không có trong mẫu, bỏ qua."),
    ], allow=MISMATCH)


@pytest.mark.parametrize("case_id", CASES.ids())
def test_size_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    start = time.perf_counter()
    result = check(built)
    elapsed = time.perf_counter() - start
    if case_id == "zip_bomb_inside_a_real_workbook":
        assert elapsed < 1.0
    if case_id == "csv_with_a_10_mb_cell":
        assert elapsed < 10.0
        assert all(len(f.value) <= 100 and len(f.message) < 1000 for f in result.findings)
    if case_id in ("empty_csv_file", "whitespace_only_csv_file", "organizations_header_only"):
        # no detail: the summary sheet's own rows give the organization counts
        inp = Input(LIGHT)
        summ = result.summary.set_index("year")
        for r in inp.rows["unit_summary"]:
            row = summ.loc[int(r["year"])]
            assert row["source"] == "summary"
            for col in ("orgs_total", "orgs_good", "members_total", "admissions"):
                assert int(row[col]) == int(r[col]), (col, r["year"])
    if case_id == "every_table_header_only":
        assert result.summary is None


def _copies(tmp: Path, k: int) -> tuple[Path, int]:
    """The demo folder with the rows of every detail table repeated ``k`` times."""
    folder = tmp / "gap_100"
    folder.mkdir()
    for src in sorted(config.DEMO_DATA_DIR.glob("*.csv")):
        data = src.read_bytes()
        with open(folder / src.name, "wb") as fh:
            if src.stem in ("organizations", "villages", "officials"):
                head, _, body = data.partition(b"\n")
                fh.write(head + b"\n")
                for _ in range(k):
                    fh.write(body)
            else:
                fh.write(data)
    return folder, sum(p.stat().st_size for p in folder.iterdir())


_CHILD = """
import json, resource, sys
from analysis.data.validate import validate_input
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = validate_input(sys.argv[1])
s = res.summary
son = s[(s["unit_code"] == "son_dong") & (s["year"] == 2019)].iloc[0]
print(json.dumps({"base_kib": base,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rules": sorted({f.rule for f in res.findings}),
                  "dup": sum(f.rule == "duplicate_key" for f in res.findings),
                  "crash": [f.message for f in res.findings if f.rule == "read_failed"],
                  "orgs": int(son["orgs_total"]), "members": int(son["members_total"])}))
"""


@pytest.mark.slow
def test_hundred_times_the_demo_in_bounded_memory(tmp_path):
    """~200 MB of CSV (every detail row 100 times): validated in a child process whose peak
    resident memory grows by less than 5× the input plus the interpreter; duplicate keys are listed
    50 per table and counted, and every count is exactly 100× the demo's."""
    k = 100
    folder, size = _copies(tmp_path, k)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder)], capture_output=True,
                         text=True, cwd=config.PROJ_ROOT, timeout=300,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert not got["crash"]
    growth = (got["peak_kib"] - got["base_kib"]) * 1024
    assert growth < 5 * size, (growth / 1e6, size / 1e6)
    assert got["dup"] == 3 * 50 + 3  # 50 listed per table, then one "… và N dòng khác"
    # the demo's son_dong 2019, counted by hand from its CSV text, times 100
    header, *orgs = [line.split(",") for line in (config.DEMO_DATA_DIR / "organizations.csv")
                     .read_text(encoding="utf-8").splitlines()]
    year, unit, members = (header.index(c) for c in ("year", "reporting_unit", "members_total"))
    mine = [r for r in orgs if r[year] == "2019" and r[unit] == "son_dong"]
    assert got["orgs"] == k * len(mine)
    assert got["members"] == k * sum(int(r[members]) for r in mine)
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < 2 * 1024**3
