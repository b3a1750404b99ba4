"""The build's temporary-file sweep, the per-directory build lock and the "up to date" manifest.

Every product of a build (executed notebook, HTML, PDF, manifest) is written through
:func:`analysis.atomic.atomic_path`: a build that is killed leaves at most a
``.<name>.tmp-<pid>-<rand>`` file behind, which :func:`sweep_temp_files` removes at the start
of the next build.

A report directory is *up to date* when its ``.manifest.json`` records the digest of the
current inputs and every product it lists exists (:func:`is_up_to_date`). The manifest is
written last, after every product is in place, and :func:`invalidate_manifest` removes it
before a report is rebuilt, so a build interrupted half-way never looks finished.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.atomic import TMP_MARK, atomic_write_text

__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "BuildLock",
    "BuildLocked",
    "describe_os_error",
    "inputs_digest",
    "invalidate_manifest",
    "is_up_to_date",
    "read_manifest",
    "sweep_temp_files",
    "write_manifest",
]

LOCK_NAME = ".build.lock"
MANIFEST_NAME = ".manifest.json"
#: Manifest layout version; a manifest with another version is treated as absent.
MANIFEST_VERSION = 1


#: Why a write failed, in words a user can act on (``strerror`` is English and terse).
_OS_ERRORS_VI = {
    errno.EROFS: "ổ đĩa hoặc thư mục chỉ cho phép đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EDQUOT: "đã dùng hết hạn mức dung lượng được cấp",
    errno.EACCES: "không có quyền ghi",
    errno.EPERM: "không được phép ghi",
    errno.ENOENT: "thư mục không tồn tại",
    errno.ENOTDIR: "một phần của đường dẫn không phải là thư mục",
    errno.EIO: "lỗi đọc/ghi của ổ đĩa",
    errno.EMFILE: "mở quá nhiều tệp cùng lúc",
}


def describe_os_error(exc: OSError, *, what: str = "tệp", path: str | None = None) -> str:
    """One Vietnamese sentence for a failed write: what went wrong, where, what to do.

    Parameters
    ----------
    exc : OSError
        The error; its ``filename`` (set by :func:`atomic_path` to the target, not the
        temporary file) is named in the message unless ``path`` is given.
    what : str
        What could not be written, as the message names it (``"tệp"``, ``"vào thư mục"``).
    path : str, optional
        The path to show instead of ``exc.filename`` (e.g. relative to the working directory).

    Returns
    -------
    str
        E.g. ``"Không ghi được tệp outputs/findings.xlsx: ổ đĩa đã đầy (ENOSPC)."`` followed
        by advice for the common causes.
    """
    reason = _OS_ERRORS_VI.get(exc.errno or 0) or (exc.strerror or str(exc))
    code = errno.errorcode.get(exc.errno or 0)
    shown = path if path is not None else exc.filename
    where = f" {shown}" if shown else ""
    text = f"Không ghi được {what}{where}: {reason}" + (f" ({code})." if code else ".")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        text += " Hãy giải phóng dung lượng hoặc chọn thư mục khác (--out) rồi chạy lại."
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        text += " Hãy chọn một thư mục ghi được (--out) rồi chạy lại."
    return text


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def sweep_temp_files(
    out_dir: str | os.PathLike[str], *, recursive: bool = True, max_age: float = 6 * 3600
) -> list[Path]:
    """Remove ``.*.tmp-*`` files left behind by killed builds; return what was removed.

    A temporary file is removed when the process that wrote it (the pid in its name) is gone,
    or when it is older than ``max_age`` seconds (the pid may have been reused). Call it while
    holding the :class:`BuildLock` of ``out_dir``, before starting workers.
    """
    root = Path(out_dir)
    if not root.is_dir():
        return []
    pattern = f".*{TMP_MARK}*"
    candidates = root.rglob(pattern) if recursive else root.glob(pattern)
    removed: list[Path] = []
    now = time.time()
    for tmp in sorted(candidates):
        if not tmp.is_file() or tmp.is_symlink():
            continue
        pid_text = tmp.name.rsplit(TMP_MARK, 1)[-1].split("-", 1)[0]
        try:
            alive = _pid_alive(int(pid_text))  # our own pid counts: a write in flight
        except ValueError:
            alive = False
        try:
            old = now - tmp.stat().st_mtime > max_age
        except FileNotFoundError:
            continue
        if alive and not old:
            continue
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed.append(tmp)
    return removed


# --------------------------------------------------------------------------- build lock


class BuildLocked(RuntimeError):
    """Another build holds the lock on the same output directory."""


class BuildLock:
    """Exclusive, non-blocking lock on ``out_dir/.build.lock`` (``fcntl.flock``).

    ``with BuildLock(out_dir): ...`` raises :class:`BuildLocked` at once when another build
    (another process, or another open of the lock file) holds it. The lock belongs to the open
    file, so the kernel releases it when the process dies, however it dies; the file itself
    is left in place on purpose (deleting it would let two builds lock two different files).
    The descriptor is not inherited by child processes (PEP 446), so a kernel or worker that
    outlives its build cannot keep the lock.
    """

    def __init__(self, out_dir: str | os.PathLike[str]):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def message(self) -> str:
        return (
            f"Một lần dựng báo cáo khác đang chạy vào thư mục {self.out_dir}; "
            "hãy chờ nó xong."
        )

    def acquire(self) -> BuildLock:
        if self._fd is not None:
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BuildLocked(self.message()) from None
            raise
        # For a human looking at the file: who holds it. Not used for locking.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> BuildLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # pragma: no cover - safety net only
        with contextlib.suppress(Exception):
            self.release()


# --------------------------------------------------------------------------- digest + manifest


def _feed_path(h: Any, path: Path) -> None:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        h.update(b"D%d\0" % len(files))
        for f in files:
            rel = f.relative_to(path).as_posix().encode()
            h.update(b"N%d\0" % len(rel) + rel)
            _feed_path(h, f)
        return
    size = path.stat().st_size
    h.update(b"F%d\0" % size)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def inputs_digest(*parts: bytes | str | os.PathLike[str]) -> str:
    """sha256 (hex) of everything a report depends on.

    ``bytes`` and ``str`` are hashed as given (str as UTF-8); a ``Path`` is hashed by its
    *content* (a directory: every non-hidden file under it, with its relative name), not by
    its name, so moving the data folder does not invalidate reports. Each part is framed with
    its type and length, so ``("ab", "c")`` and ``("a", "bc")`` differ.
    """
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            h.update(b"B%d\0" % len(part) + part)
        elif isinstance(part, str):
            data = part.encode("utf-8")
            h.update(b"S%d\0" % len(data) + data)
        elif isinstance(part, os.PathLike):
            _feed_path(h, Path(part))
        else:
            raise TypeError(f"inputs_digest: unsupported part {type(part).__name__}")
    return h.hexdigest()


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of a report directory, or ``None`` when absent, unreadable or foreign."""
    path = Path(directory) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return None
    if not isinstance(data.get("digest"), str) or not isinstance(data.get("products"), list):
        return None
    return data


def _check_product_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"manifest product must be a non-empty relative path: {name!r}")
    p = Path(name)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError(f"manifest product must stay inside the report directory: {name!r}")
    return p.as_posix()


def write_manifest(directory: str | os.PathLike[str], data: Mapping[str, Any]) -> Path:
    """Write ``.manifest.json`` atomically. Call it LAST, once every product is in place.

    ``data`` must hold ``digest`` (see :func:`inputs_digest`) and ``products`` (file names
    relative to ``directory``); other JSON-serialisable keys are kept as given.
    """
    if not isinstance(data.get("digest"), str):
        raise ValueError("manifest needs a 'digest' string")
    products = [_check_product_name(p) for p in data.get("products", [])]
    missing = [p for p in products if not (Path(directory) / p).is_file()]
    if missing:
        raise FileNotFoundError(f"manifest lists products that do not exist: {missing}")
    body = {**data, "version": MANIFEST_VERSION, "products": products}
    text = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return atomic_write_text(Path(directory) / MANIFEST_NAME, text)


def invalidate_manifest(directory: str | os.PathLike[str]) -> None:
    """Remove the manifest before rebuilding a report (a crash then leaves it 'not built')."""
    with contextlib.suppress(FileNotFoundError):
        (Path(directory) / MANIFEST_NAME).unlink()


def is_up_to_date(directory: str | os.PathLike[str], digest: str) -> bool:
    """True iff the manifest records ``digest`` and every product it lists exists."""
    manifest = read_manifest(directory)
    if manifest is None or manifest["digest"] != digest:
        return False
    base = Path(directory)
    try:
        return all((base / _check_product_name(p)).is_file() for p in manifest["products"])
    except ValueError:
        return False
