"""Crash-safe file writes: the one home of every atomic write in the package.

Every generated file (report, workbook, template, manifest, store export) is written through
:func:`atomic_path` (or its two shortcuts): the bytes go to a temporary file in the *same*
directory, are fsync'ed, and only then renamed over the target with :func:`os.replace`, which
is atomic on POSIX. A reader therefore sees either the old file or the new one, never half of
one; a writer that is killed leaves at most a ``.<name>.tmp-<pid>-<rand>`` file behind, which
:func:`analysis.run.files.sweep_temp_files` removes at the start of the next build.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["TMP_MARK", "atomic_path", "atomic_write_bytes", "atomic_write_text"]

#: The mark in a temporary file's name (``.<name>.tmp-<pid>-<rand>``).
TMP_MARK = ".tmp-"


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (best effort: some file systems refuse fsync on a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The caller writes the complete content to the yielded path (any writer: ``open``,
    ``DataFrame.to_excel``, a library that only accepts file names). When the block exits
    normally the file is fsync'ed and renamed over ``path``; when it raises (including
    ``KeyboardInterrupt``) the temporary file is removed and ``path`` is left untouched.
    Parent directories are created.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(target)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(
                errno.ENOENT, "the writer did not create the temporary file", str(tmp)
            )
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp), tmp):
            # Name the file the user knows, not the hidden temporary one.
            exc.filename = str(target)
        raise
    _fsync_dir(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); return the path."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, UTF-8 by default, ``\\n`` line ends."""
    return atomic_write_bytes(path, text.encode(encoding))
