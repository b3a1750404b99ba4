"""A read-only or full output disk: a clear Vietnamese error naming the path, a non-zero exit
status, earlier outputs untouched and no temporary file left.

We run as root, so ``chmod`` cannot make a folder read-only and ``mount`` is not available:
the faults are injected in-process at the write layer instead. Read-only: every call that
would create, open for writing, rename or remove something under the output folder raises
``OSError(EROFS)``, as a read-only mount does. Full disk: writes and ``fsync`` of files under the
output folder raise ``OSError(ENOSPC)`` from the n-th file on, as a disk that fills up
half-way does (the files written before it are complete, the one being written is not).
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import os
import re
from pathlib import Path

import pytest
from rich.console import Console

from analysis import config
from analysis.run.build import build

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=400)


def printed(console: Console) -> str:
    return re.sub(r"\s+", " ", console.file.getvalue())


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An output folder holding an earlier build's files (content we can recognise)."""
    out = tmp_path / "out"
    files = {
        "index.html": "<html>mục lục cũ</html>",
        "findings.xlsx": "sổ kết quả kiểm tra cũ",
        "tables/summary.csv": "bảng cũ",
        "tables/indicators.csv": "chỉ tiêu cũ",
        "final/son_dong/report.html": "<html>báo cáo cũ</html>",
        "final/son_dong/report.pdf": "%PDF báo cáo cũ",
        "final/son_dong/.manifest.json": '{"digest": "cũ"}',
        ".build.lock": "",
    }
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    return out


def _under(path, root: Path) -> bool:
    if isinstance(path, int) or path is None:
        return False
    try:
        return Path(os.fsdecode(path)).resolve().is_relative_to(root.resolve())
    except (TypeError, ValueError):
        return False


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def read_only(monkeypatch, root: Path) -> None:
    """Make ``root`` behave like a read-only mount for this process."""
    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    real_open, real_os_open = builtins.open, os.open
    real_mkdir, real_replace, real_unlink = os.mkdir, os.replace, os.unlink

    def open_(file, mode="r", *args, **kwargs):
        if _under(file, root) and any(c in mode for c in "wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def os_open(path, flags, *args, **kwargs):
        if _under(path, root) and flags & WRITE_FLAGS:
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        if _under(path, root) and not os.path.exists(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def replace(src, dst, *args, **kwargs):
        if _under(dst, root):
            refuse(dst)
        return real_replace(src, dst, *args, **kwargs)

    def unlink(path, *args, **kwargs):
        if _under(path, root):
            refuse(path)
        return real_unlink(path, *args, **kwargs)

    for target, name, fn in ((builtins, "open", open_), (io, "open", open_),
                             (os, "open", os_open), (os, "mkdir", mkdir),
                             (os, "replace", replace), (os, "rename", replace),
                             (os, "unlink", unlink), (os, "remove", unlink)):
        monkeypatch.setattr(target, name, fn)


def disk_full_from(monkeypatch, root: Path, nth: int) -> list[str]:
    """From the ``nth`` file written under ``root`` on, ``fsync`` raises ENOSPC (delayed
    allocation: the kernel finds no free block when it flushes). Returns the files seen."""
    seen: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        path = _fd_path(fd if isinstance(fd, int) else fd.fileno())
        if path and _under(path, root) and not os.path.isdir(path):
            seen.append(path)
            if len(seen) >= nth:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


def test_read_only_output_folder(earlier, monkeypatch):
    before = hashes(earlier)
    read_only(monkeypatch, earlier)
    console = quiet_console()
    status = build(config.DEMO_DATA_DIR, out=earlier, assessment="final", unit="son_dong",
                   console=console)
    monkeypatch.undo()
    text = printed(console)
    assert status != 0
    assert "Không ghi được vào thư mục kết quả" in text, text
    assert "chỉ cho phép đọc" in text and str(earlier) in text, text
    assert "Read-only" not in text  # the OS's English words are not the message
    assert hashes(earlier) == before


@pytest.mark.parametrize(
    ("nth", "failing"),
    [(1, "findings.xlsx"), (3, "tables/indicators.csv")],
    ids=["first-file", "third-file"],
)
def test_disk_full_while_writing(earlier, monkeypatch, nth, failing):
    before = hashes(earlier)
    seen = disk_full_from(monkeypatch, earlier, nth)
    console = quiet_console()
    status = build(config.DEMO_DATA_DIR, out=earlier, tables_only=True, console=console)
    monkeypatch.undo()
    text = printed(console)
    assert status == 1
    assert len(seen) == nth, seen
    assert f"Không ghi được tệp {earlier / failing}: ổ đĩa đã đầy (ENOSPC)" in text, text
    assert "giải phóng dung lượng" in text and "vẫn giữ nguyên" in text
    after = hashes(earlier)
    # the file being written and every file not reached keep their earlier bytes
    assert after[failing] == before[failing]
    assert after["index.html"] == before["index.html"]
    for rel in ("final/son_dong/report.html", "final/son_dong/report.pdf",
                "final/son_dong/.manifest.json"):
        assert after[rel] == before[rel]
    # the files written before the disk filled are complete new versions
    for path in seen[:-1]:
        tmp = Path(path).relative_to(earlier.resolve())
        target = tmp.with_name(tmp.name[1:].split(".tmp-", 1)[0])  # ".a.csv.tmp-1-2" → a.csv
        assert after[target.as_posix()] != before[target.as_posix()]
        if target.suffix == ".xlsx":
            import openpyxl

            assert openpyxl.load_workbook(earlier / target).active.title == "Kết quả kiểm tra"
        else:
            assert (earlier / target).read_bytes().startswith(b"\xef\xbb\xbfunit_code")
    assert not [rel for rel in after if ".tmp-" in rel], after


def test_a_failed_atomic_write_names_the_target_and_leaves_nothing(tmp_path, monkeypatch):
    from analysis.atomic import atomic_write_bytes
    from analysis.run.files import describe_os_error

    target = tmp_path / "báo cáo.html"
    target.write_bytes(b"old")
    disk_full_from(monkeypatch, tmp_path, 1)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert caught.value.filename == str(target)  # not the hidden temporary file
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["báo cáo.html"]
    assert describe_os_error(caught.value) == (
        f"Không ghi được tệp {target}: ổ đĩa đã đầy (ENOSPC). "
        "Hãy giải phóng dung lượng hoặc chọn thư mục khác (--out) rồi chạy lại."
    )
    ro = OSError(errno.EROFS, "Read-only file system", "/x/y.pdf")
    assert describe_os_error(ro, what="vào thư mục", path="y") == (
        "Không ghi được vào thư mục y: ổ đĩa hoặc thư mục chỉ cho phép đọc (EROFS). "
        "Hãy chọn một thư mục ghi được (--out) rồi chạy lại."
    )
