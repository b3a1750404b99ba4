"""A build killed with SIGKILL at random points never leaves a mixed or half-written output.

Start from the complete outputs of data version A (the demo), build data version B (a
corrected copy) into the same folder and kill the whole process group at a random point; the
next trial resumes from what the kill left. After every kill each file under the output
folder is absent, A's complete version or B's complete version (temporary ``.*.tmp-*`` files
may remain: the next build sweeps them). A final uninterrupted build then gives exactly the
files of an uninterrupted build of B.

Kill points. Wall-clock times do not transfer from one run to the next on a loaded machine
(the same build takes 30 s or 120 s), so a kill point is drawn relative to what the running
build does, seen by watching its output folder (every 30 ms): "when file F (or its temporary
file) appears or changes, then a random delay". Phases, in this order:

- *prefix* (12 kills): a random file among those every run rewrites before its reports
  (findings workbook, tables, cached indicators), killed 0–0.3 s after its temporary file
  or its new version appears.
- *reports* (3 kills): once a report product (notebook, HTML, PDF, manifest) appears, a
  random delay of up to 4 s: the window where products and manifests are being replaced.
- *any* (5 kills): as *prefix*, the files written after the reports (appendix, index, build
  manifest) included once the reports are done.

A run that ends before its kill point does not count; trials go on until 20 kills.
Cost: a resumed build repeats validation and the indicators before writing anything, and a
report-phase kill costs a kernel start and a notebook run, so the file takes ~2.5 reference
builds plus ~15 short runs.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.run.fixtures import buildkit

pytestmark = pytest.mark.slow

SEED = 20200701
PLAN = ["prefix"] * 12 + ["reports"] * 3 + ["any"] * 5
MAX_RUNS = 40
TMP_MARK = ".tmp-"
POLL = 0.03


def is_report_product(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lstrip(".")
    return rel.startswith("final/") and name.startswith(("report.", "manifest.json"))


def target_of(rel: str) -> str:
    """The file an event is about: ``tables/.a.csv.tmp-1-2`` → ``tables/a.csv``."""
    head, _, name = rel.rpartition("/")
    if name.startswith(".") and TMP_MARK in name:
        name = name[1:].split(TMP_MARK, 1)[0]
    return f"{head}/{name}" if head else name


def check_state(out: Path, ref_a, ref_b, trial: str) -> dict[str, str]:
    """Every file is A's, B's, or a leftover temporary file; return the hashes."""
    now = buildkit.file_hashes(out)
    for rel, digest in now.items():
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(".") and TMP_MARK in name:
            continue
        allowed = {ref_a.hashes.get(rel), ref_b.hashes.get(rel)} - {None}
        assert allowed, f"{trial}: unexpected file {rel}"
        assert digest in allowed, f"{trial}: {rel} is neither A's nor B's complete version"
    return now


def reports_done(out: Path, ref_b) -> bool:
    """B's manifests are in place: a resumed build skips the reports."""
    manifests = [rel for rel in ref_b.hashes if rel.endswith(".manifest.json")]
    return all((out / rel).is_file() and buildkit.file_digest(out / rel) == ref_b.hashes[rel]
               for rel in manifests)


def folder_state(out: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for f in out.rglob("*"):
        try:
            st = f.stat()
        except FileNotFoundError:
            continue
        state[f.relative_to(out).as_posix()] = (st.st_mtime_ns, st.st_size)
    return state


def run_until(proc: subprocess.Popen, out: Path, before: dict, arm) -> tuple[bool, list[str]]:
    """Watch ``out`` (whose state before the build started is ``before``) while ``proc``
    runs. ``arm(rel, n)`` is called for the n-th file event (1-based) and returns a delay in
    seconds to kill after, or ``None``. Returns whether the kill point was reached while the
    build still ran, and the events seen."""
    seen = dict(before)
    events: list[str] = []
    deadline = None
    while proc.poll() is None:
        if deadline is not None and time.monotonic() >= deadline:
            return True, events
        for rel, state in folder_state(out).items():
            if seen.get(rel) != state:
                seen[rel] = state
                events.append(rel)
                if deadline is None and (delay := arm(rel, len(events))) is not None:
                    deadline = time.monotonic() + delay
        time.sleep(POLL)
    return False, events


def test_sigkill_at_random_points_leaves_old_or_new_files(tmp_path_factory, tmp_path):
    ref_a = buildkit.reference(tmp_path_factory, "A")
    ref_b = buildkit.reference(tmp_path_factory, "B")
    # The correction must change the district's and the province's reports, or the test
    # could not tell A from B.
    changed = {rel for rel in ref_b.hashes if ref_a.hashes.get(rel) != ref_b.hashes[rel]}
    assert {"final/son_dong/report.html", "final/bac_giang/report.html",
            "final/son_dong/report.pdf", "tables/indicators.csv"} <= changed, changed

    # Files every run rewrites before its reports, and those it writes after them.
    prefix_files = sorted(rel for rel in ref_b.hashes if rel == "findings.xlsx"
                          or rel.startswith(("tables/", ".cache/review-")))
    # B's review bundle is written once: a resumed build finds it complete and reuses it.
    bundle_files = [rel for rel in prefix_files if rel.startswith(".cache/review-")]
    tail_files = ["final/appendix.xlsx", "index.html", ".build-manifest.json"]
    rng = random.Random(SEED)
    out, net_log, log = tmp_path / "out", tmp_path / "net.log", tmp_path / "build.log"
    shutil.copytree(ref_a.out, out)
    net_log.touch()
    temps_seen: set[str] = set()
    record: list[str] = []
    kills = runs = 0
    t_start = time.perf_counter()
    while kills < len(PLAN):
        runs += 1
        assert runs <= MAX_RUNS, f"only {kills} kills in {MAX_RUNS} runs: {record}"
        phase = PLAN[kills]
        done = reports_done(out, ref_b)
        if phase == "reports" and not done:
            delay = rng.uniform(0.0, 4.0)

            def arm(rel, n, delay=delay):
                return delay if is_report_product(rel) else None
        else:
            pool = prefix_files if phase == "prefix" or not done else prefix_files + tail_files
            pool = [rel for rel in pool if rel not in bundle_files or not (out / rel).is_file()]
            target, delay = rng.choice(pool), rng.uniform(0.0, 0.3)

            def arm(rel, n, target=target, delay=delay):
                return delay if target_of(rel) == target else None
        before = folder_state(out)
        # One worker: a run killed before its reports then starts one kernel, not two.
        proc, marker = buildkit.start_build(ref_b.data, out, net_log, log, jobs=1)
        killed, events = run_until(proc, out, before, arm)
        stragglers = buildkit.kill_build(proc, marker)
        assert stragglers == [], f"run {runs}: processes outlived the kill: {stragglers}"
        label = f"{phase}@{events[-1] if events else '-'}+{len(events)}ev"
        try:
            now = check_state(out, ref_a, ref_b, f"run {runs} ({label})")
        except AssertionError:
            print("runs so far:", " ".join(record))
            raise
        temps_seen |= {rel for rel in now if TMP_MARK in rel}
        record.append(label if killed else f"({label}: finished first)")
        kills += killed

    status, _ = buildkit.run_build(ref_b.data, out, net_log, log)
    assert status == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    final = buildkit.file_hashes(out)
    assert not [rel for rel in final if TMP_MARK in rel], "temporary files were not swept"
    # A's cached indicator bundle may stay (its name carries A's data digest); nothing else.
    extra = set(final) - set(ref_b.hashes)
    assert all(rel.startswith(".cache/") for rel in extra), extra
    differing = [rel for rel in ref_b.hashes if final.get(rel) != ref_b.hashes[rel]]
    assert differing == [], differing
    assert net_log.read_text() == ""
    print(f"\nreference builds A {ref_a.seconds:.0f} s, B {ref_b.seconds:.0f} s; {kills} kills "
          f"in {runs} runs, {time.perf_counter() - t_start:.0f} s; temporary files left by "
          f"kills: {len(temps_seen)}; {' '.join(record)}")
