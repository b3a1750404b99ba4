"""``collect`` killed with SIGKILL at random points leaves the store old or new, never half a file.

The store starts with two accepted returns (Sơn Động and Công an, 2020). A folder of three new
files is collected into it: Sơn Động corrected (supersedes), Công an with an error (rejected,
recorded with its findings) and Quân sự (a new unit-year). An uninterrupted run of the same
command gives the reference; since ``collect`` records each file in its own transaction and
only ever inserts, the states the store may be in are the reference *prefixes*: the old store
plus the first k of the new files (k = 0…3), obtained from the reference by deleting the rows
of the later files.

Each trial starts ``python -m analysis collect`` in a subprocess (its own process group) and
kills the group with SIGKILL:

- *commit* (7 kills): inside the k-th file's transaction (k drawn among the files still to be
  recorded), 0–0.3 s after its rollback journal ``store.sqlite-journal`` appears. The kill
  trials widen each transaction with ``TCCSD_STORE_PAUSE`` (a sleep between its statements).
- *any* (3 kills): a random time from the start of the run (reading, validation, recording).

After each kill the store, opened by the standard ``sqlite3`` module (which rolls back a
journal left by the kill), must be one of the prefixes; the next trial resumes from it (the
files already recorded are recognised by their hash). A run that ends before its kill point
does not count. Once complete, the store is reset to the old state. A last uninterrupted run
completes whatever the last kill left: exactly the reference.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from analysis import config
from analysis.data import prefill, schema, store
from analysis.data.intake import read_input
from analysis.run.collect import PAUSE_ENV, collect

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from fillin import fill_workbook  # noqa: E402

pytestmark = pytest.mark.slow

SEED = 20201204
PLAN = ["commit"] * 4 + ["any"] + ["commit"] * 2 + ["any"] + ["commit", "any"]
MAX_RUNS = 24
PAUSE = "0.04"
POLL = 0.005


def set_value(path: Path, out: Path, sheet: str, code_col: str, code: str, column: str,
              value, year_shift: int = 0) -> None:
    """Copy ``path`` to ``out`` with one value cell changed (and the file's date moved)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[2]]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, header.index(code_col) + 1).value == code:
            ws.cell(r, header.index(column) + 1, value=value)
            break
    else:
        raise AssertionError(code)
    if year_shift:
        wb.properties.modified = wb.properties.modified.replace(
            year=wb.properties.modified.year + year_shift)
    wb.save(out)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    demo = read_input(config.DEMO_DATA_DIR)[0].tables
    blank = tmp_path_factory.mktemp("blank")
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    for u in ("son_dong", "cong_an", "quan_su"):
        p = prefill.write_unit_workbook(demo, u, 2020, blank / prefill.file_name(u, 2020))
        fill_workbook(p, demo, (first if u != "quan_su" else second) / p.name)
    set_value(first / "2020_son_dong.xlsx", second / "2020_son_dong.xlsx", "TCCSĐ",
              "org_code", "son_dong_an_minh_db", "inspections", 4, year_shift=1)
    set_value(first / "2020_cong_an.xlsx", second / "2020_cong_an.xlsx", "Tổng hợp",
              "unit_code", "cong_an", "members_total", -1, year_shift=1)
    return first, second


def prefix_state(ref: Path, keep_upto: int, work: Path) -> str:
    """dump_state of ``ref`` without the files whose id is above ``keep_upto``."""
    shutil.copy(ref, work)
    conn = sqlite3.connect(work)
    with conn:
        for name in ["findings", "coverage", *schema.tables()]:
            conn.execute(f'DELETE FROM "{name}" WHERE file_id > ?', (keep_upto,))
        conn.execute("DELETE FROM files WHERE file_id > ?", (keep_upto,))
    conn.close()
    return store.dump_state(work)


def start(source: Path, db: Path, outputs: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env[PAUSE_ENV] = PAUSE
    env["TCCSD_OUTPUTS"] = str(outputs)
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "collect", str(source), "--store", str(db)],
        cwd=config.PROJ_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)


def run_until(proc: subprocess.Popen, journal: Path, nth: int | None, delay: float
              ) -> tuple[bool, float, bool]:
    """Kill ``proc`` ``delay`` s after the ``nth`` appearance of ``journal`` (``nth`` None:
    ``delay`` s after the start). Returns (killed while running, seconds the run lasted,
    journal present at the kill)."""
    t0 = time.monotonic()
    deadline = t0 + delay if nth is None else None
    seen, present = 0, False
    while proc.poll() is None:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            hot = journal.exists()
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True, now - t0, hot
        exists = journal.exists()
        if exists and not present:
            seen += 1
            if nth is not None and seen == nth and deadline is None:
                deadline = now + delay
        present = exists
        time.sleep(POLL)
    return False, time.monotonic() - t0, False


def test_sigkill_at_random_points_leaves_the_store_old_or_new(folders, tmp_path):
    first, second = folders
    old = tmp_path / "old.sqlite"
    collect(first, old)
    ref = tmp_path / "ref.sqlite"
    shutil.copy(old, ref)
    report = collect(second, ref)
    # the new files: the corrected one supersedes, the one with an error is rejected
    assert sorted((f.name, f.status) for f in report.files) == [
        ("2020_cong_an.xlsx", "rejected"), ("2020_quan_su.xlsx", "accepted"),
        ("2020_son_dong.xlsx", "accepted")]
    n_old = 2
    states = [prefix_state(ref, n_old + k, tmp_path / "prefix.sqlite") for k in range(4)]
    assert len(set(states)) == 4
    assert states[0] == store.dump_state(old)

    rng = random.Random(SEED)
    db, outputs = tmp_path / "trial.sqlite", tmp_path / "outputs"
    journal = db.with_name(db.name + "-journal")
    shutil.copy(old, db)
    record: list[str] = []
    kills = runs = 0
    longest = 3.0
    hot_kills, partial = 0, 0
    while kills < len(PLAN):
        runs += 1
        assert runs <= MAX_RUNS, f"only {kills} kills in {MAX_RUNS} runs: {record}"
        level = states.index(store.dump_state(db))
        if level == len(states) - 1:
            shutil.copy(old, db)
            level = 0
        phase = PLAN[kills]
        if phase == "commit":
            nth, delay = rng.randint(1, len(states) - 1 - level), rng.uniform(0.0, 0.3)
        else:
            nth, delay = None, rng.uniform(0.0, longest)
        proc = start(second, db, outputs)
        killed, seconds, hot = run_until(proc, journal, nth, delay)
        if not killed:
            assert proc.returncode in (0, 1), proc.stderr.read().decode()[-2000:]
            longest = max(longest, seconds)
        proc.stderr.close()
        state = store.dump_state(db)  # the standard module rolls a hot journal back
        assert state in states, (f"run {runs} ({phase}, file {nth}, +{delay:.2f} s): the "
                                 f"store is not a whole number of files; runs: {record}")
        after = states.index(state)
        assert after >= level, f"run {runs}: files recorded earlier were lost"
        label = f"{phase}:{nth or '-'}+{delay:.2f}s:{level}->{after}" + ("(hot)" if hot else "")
        record.append(label if killed else f"({label}: finished first)")
        kills += killed
        hot_kills += killed and hot
        partial += killed and 0 < after < len(states) - 1
    # the trials did kill inside transactions and did leave some files recorded, some not
    assert hot_kills >= 3 and partial >= 1, record
    # a re-run completes what the last kill left
    proc = start(second, db, outputs)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), stderr.decode()[-2000:]  # 1: Công an rejected again
    assert store.dump_state(db) == states[-1]
    assert not outputs.exists() or not list(outputs.iterdir())  # collect wrote only the store
    print(f"\n{kills} kills in {runs} runs: {' '.join(record)}")
