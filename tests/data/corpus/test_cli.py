"""A few corpus cases through the command line users run: ``python -m analysis validate PATH``
exits 1 on an error and 0 on warnings only, and prints each finding on one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analysis import config

from . import test_logic, test_workbooks


def _validate(path, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "1000", "TERM": "dumb", "NO_COLOR": "1",
           "TCCSD_OUTPUTS": str(tmp_path / "outputs")}
    return subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(path), "--out",
         str(tmp_path / "ket_qua.xlsx")],
        capture_output=True, text=True, cwd=config.PROJ_ROOT, env=env, timeout=120)


def _line(stdout: str, *parts: str) -> str:
    hits = [line for line in stdout.splitlines() if all(p in line for p in parts)]
    assert len(hits) == 1, (parts, stdout[-3000:])
    return hits[0]


@pytest.mark.parametrize("module, case_id, status, parts", [
    (test_workbooks, "percent_in_count", 1,
     ("Lỗi ", "so_lieu.xlsx", "dòng 9", "cột «ĐV hoàn thành tốt nhiệm vụ»",
      "«90%» là tỷ lệ phần trăm; cột này cần số lượng (số nguyên), không phải tỷ lệ.")),
    (test_logic, "two_rating_schemes_in_one_year", 0,
     ("Cảnh báo ", "organizations.csv", "cột «Xếp loại chất lượng»",
      "dùng lẫn hai thang xếp loại")),
])
def test_cli_exit_status_and_printed_line(module, case_id, status, parts, tmp_path):
    built = module.CASES.build(case_id, tmp_path)
    out = _validate(built.path, tmp_path)
    assert out.returncode == status, out.stderr[-2000:]
    assert "Traceback" not in out.stdout + out.stderr
    _line(out.stdout, *parts)
    assert (tmp_path / "ket_qua.xlsx").exists()
    assert not (tmp_path / "outputs").exists()
