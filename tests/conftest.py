"""Shared fixtures: a copy of the demo data users can break, a fixed build date, and a guard
that the suite writes nothing into the repository's ``outputs/``.

Every generated file of a test goes to ``tmp_path`` or to the session's temporary outputs
folder: ``TCCSD_OUTPUTS`` (honoured by :func:`analysis.config.outputs_dir`) points there for
the whole session, subprocesses included. At the end of the session the repository's
``outputs/`` is listed again; a file that was not there at the start fails the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from analysis import config

#: 2020-07-01: every generated file carries this date, so outputs are comparable.
FIXED_EPOCH = "1593561600"
#: The repository's own outputs folder (not ``config.outputs_dir()``, which the session moves).
REPO_OUTPUTS = config.PROJ_ROOT / "outputs"
#: Files of the repository's outputs/ that are not outputs.
KEPT_FILES = {".gitkeep"}

_state: dict[str, object] = {}


def repo_output_files(root: Path = REPO_OUTPUTS) -> set[str]:
    """Relative paths of every file under ``root`` but ``.gitkeep`` (empty set if absent)."""
    if not root.is_dir():
        return set()
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name not in KEPT_FILES
    }


def pytest_configure(config):  # noqa: ARG001 - pytest hook signature
    # Set before any fixture of any scope runs, so session fixtures see the same date.
    os.environ["SOURCE_DATE_EPOCH"] = FIXED_EPOCH
    if "outputs_tmp" not in _state:
        _state["before"] = repo_output_files()
        tmp = Path(tempfile.mkdtemp(prefix="tccsd-test-outputs-"))
        _state["outputs_tmp"] = tmp
        _state["previous"] = os.environ.get("TCCSD_OUTPUTS")
        os.environ["TCCSD_OUTPUTS"] = str(tmp)


#: Files started first: each takes minutes (kill trials, end-to-end builds).
LONGEST_FIRST = ("tests/run/test_faults.py", "tests/run/test_collect_roundtrip.py",
                 "tests/run/test_collect.py", "tests/run/test_network.py",
                 "tests/run/test_distributed.py", "tests/run/test_reproducible.py")


def pytest_collection_modifyitems(config, items):
    # With pytest-xdist's --dist loadfile each file goes whole to the next free worker, in
    # this order (--no-loadscope-reorder: xdist's own order, most tests first, sent the
    # one-test kill trials last). A file of several minutes handed out last would run alone
    # while the other core idles, so the longest files go first, then every file holding a
    # slow test, then the rest (longest processing time first). Order inside a file is kept.
    root = config.rootpath
    first_index: dict[Path, int] = {}
    slow_files: set[Path] = set()
    for index, item in enumerate(items):
        first_index.setdefault(item.path, index)
        if item.get_closest_marker("slow"):
            slow_files.add(item.path)

    def rank(item) -> tuple[int, int]:
        rel = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if rel in LONGEST_FIRST:
            return (LONGEST_FIRST.index(rel), first_index[item.path])
        return (len(LONGEST_FIRST) + (item.path not in slow_files), first_index[item.path])

    items.sort(key=rank)


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 - pytest hook signature
    before = _state.get("before", set())
    gained = sorted(repo_output_files() - before)
    if gained:
        shown = ", ".join(gained[:10]) + (" …" if len(gained) > 10 else "")
        message = f"FAILED: the tests wrote {len(gained)} file(s) into {REPO_OUTPUTS}: {shown}"
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        else:
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    tmp = _state.get("outputs_tmp")
    if isinstance(tmp, Path):
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def layout_build(tmp_path_factory) -> Path:
    """One build of the demo's final assessment for Huyện Sơn Động and the province (HTML, PDF
    and appendix.xlsx) into a session temp folder; the layout tests read it (never all 30)."""
    import io

    from rich.console import Console

    from analysis.run.build import build

    out = tmp_path_factory.mktemp("layout-build")
    status = build(config.DEMO_DATA_DIR, assessment="final", unit="son_dong,province", jobs=2,
                   out=out, console=Console(file=io.StringIO(), width=200))
    assert status == 0
    return out


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A writable copy of the bundled demo CSV folder."""
    target = tmp_path / "data"
    shutil.copytree(config.DEMO_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target
