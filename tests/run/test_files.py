"""Atomic writes, the build lock, temp-file sweeping, input digests and the manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from analysis.run.files import (
    LOCK_NAME,
    MANIFEST_NAME,
    BuildLock,
    BuildLocked,
    inputs_digest,
    invalidate_manifest,
    is_up_to_date,
    read_manifest,
    sweep_temp_files,
    write_manifest,
)


def _leftovers(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.tmp-*"))


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "report.html"
    atomic_write_text(target, "Báo cáo tổng kết\n")
    assert target.read_text(encoding="utf-8") == "Báo cáo tổng kết\n"
    atomic_write_bytes(target, b"v2")
    assert target.read_bytes() == b"v2"
    assert _leftovers(target.parent) == []


def test_atomic_write_keeps_old_file_when_writer_raises_midway(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"OLD CONTENT")
    with pytest.raises(RuntimeError, match="mid-way"), atomic_path(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp.name.startswith(".report.pdf.tmp-")
        with open(tmp, "wb") as fh:
            fh.write(b"NEW HALF")
            fh.flush()
            raise RuntimeError("writer died mid-way")
    assert target.read_bytes() == b"OLD CONTENT"
    assert _leftovers(tmp_path) == []


def test_atomic_write_cleans_up_on_keyboard_interrupt(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_requires_the_writer_to_write(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(FileNotFoundError), atomic_path(target):
        pass
    assert target.read_text() == "old"


# --------------------------------------------------------------------------- lock


def test_second_lock_on_same_dir_is_refused_in_vietnamese(tmp_path):
    with BuildLock(tmp_path) as first:
        assert first.held
        assert (tmp_path / LOCK_NAME).exists()
        with pytest.raises(BuildLocked) as info:
            BuildLock(tmp_path).acquire()  # a second open file description: flock conflicts
        message = str(info.value)
        assert "Một lần dựng báo cáo khác đang chạy vào thư mục" in message
        assert str(tmp_path) in message
        assert message.endswith("hãy chờ nó xong.")
    # released on exit: can be taken again
    with BuildLock(tmp_path):
        pass


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from analysis.run.files import BuildLock
    lock = BuildLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_lock_held_by_another_process_and_released_when_it_dies(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(BuildLocked, match="hãy chờ nó xong"):
            BuildLock(tmp_path).acquire()
        proc.send_signal(signal.SIGKILL)  # a crash: no cleanup code runs
        proc.wait(timeout=10)
        with BuildLock(tmp_path) as lock:  # the OS released the flock
            assert lock.held
    finally:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- sweep


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_temp_files_of_dead_builds_only(tmp_path):
    sub = tmp_path / "2020" / "d01"
    sub.mkdir(parents=True)
    dead = sub / f".report.pdf.tmp-{_dead_pid()}-abcd1234"
    mine = sub / f".report.html.tmp-{os.getpid()}-00ff00ff"  # a write in flight
    stale = tmp_path / f".index.html.tmp-{os.getpid()}-deadbeef"
    keep = sub / "report.pdf"
    for p in (dead, mine, stale, keep):
        p.write_bytes(b"x")
    old = time.time() - 7 * 3600
    os.utime(stale, (old, old))

    removed = sweep_temp_files(tmp_path)

    assert sorted(removed) == sorted([dead, stale])
    assert not dead.exists() and not stale.exists()
    assert mine.exists() and keep.exists()
    assert sweep_temp_files(tmp_path / "missing") == []


# --------------------------------------------------------------------------- digest


def test_inputs_digest_is_stable_and_framed(tmp_path):
    f = tmp_path / "data.csv"
    f.write_bytes(b"a,b\n1,2\n")
    d1 = inputs_digest(b"x", "vi", f)
    assert d1 == inputs_digest(b"x", "vi", f)
    assert len(d1) == 64 and int(d1, 16) >= 0
    assert inputs_digest("ab", "c") != inputs_digest("a", "bc")
    assert inputs_digest("x") != inputs_digest(b"x")  # typed
    assert inputs_digest("a", "b") != inputs_digest("b", "a")  # ordered
    # a Path is hashed by content, not by name
    g = tmp_path / "renamed.csv"
    g.write_bytes(f.read_bytes())
    assert inputs_digest(g) == inputs_digest(f)
    f.write_bytes(b"a,b\n1,3\n")
    assert inputs_digest(b"x", "vi", f) != d1
    with pytest.raises(TypeError):
        inputs_digest(1)  # type: ignore[arg-type]


def test_inputs_digest_of_a_folder(tmp_path):
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "a.csv").write_text("1")
    (tmp_path / "csv" / "b.csv").write_text("2")
    d = inputs_digest(tmp_path / "csv")
    (tmp_path / "csv" / ".hidden").write_text("ignored")
    assert inputs_digest(tmp_path / "csv") == d
    (tmp_path / "csv" / "b.csv").write_text("3")
    assert inputs_digest(tmp_path / "csv") != d


# --------------------------------------------------------------------------- manifest


def _build_report(directory: Path, digest: str) -> None:
    """What a build does for one report: invalidate, write products, manifest last."""
    invalidate_manifest(directory)
    atomic_write_text(directory / "report.html", "<html></html>")
    atomic_write_bytes(directory / "report.pdf", b"%PDF-1.7")
    write_manifest(
        directory, {"digest": digest, "products": ["report.html", "report.pdf"], "unit": "D01"}
    )


def test_manifest_skip_logic(tmp_path):
    d1 = inputs_digest("inputs v1")
    d2 = inputs_digest("inputs v2")
    assert not is_up_to_date(tmp_path, d1)  # never built
    _build_report(tmp_path, d1)
    manifest = read_manifest(tmp_path)
    assert manifest["digest"] == d1 and manifest["unit"] == "D01"
    assert manifest["products"] == ["report.html", "report.pdf"]
    assert is_up_to_date(tmp_path, d1)  # unchanged: skip
    assert not is_up_to_date(tmp_path, d2)  # inputs changed: rebuild
    (tmp_path / "report.pdf").unlink()
    assert not is_up_to_date(tmp_path, d1)  # a product is missing: rebuild
    _build_report(tmp_path, d1)
    invalidate_manifest(tmp_path)  # a rebuild started (and maybe crashed)
    assert not is_up_to_date(tmp_path, d1)


def test_manifest_rejects_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_manifest(tmp_path, {"digest": "x", "products": ["report.pdf"]})
    assert not (tmp_path / MANIFEST_NAME).exists()
    with pytest.raises(ValueError):
        write_manifest(tmp_path, {"digest": "x", "products": ["../escape.pdf"]})
    with pytest.raises(ValueError):
        write_manifest(tmp_path, {"products": []})
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    assert read_manifest(tmp_path) is None
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"digest": "x", "products": []}))
    assert read_manifest(tmp_path) is None  # no version: foreign
