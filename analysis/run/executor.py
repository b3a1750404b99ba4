"""Run one report notebook with papermill, fast.

Two layers (the third, many notebooks on a pool of workers, is :mod:`analysis.run.pool`):

* :func:`execute` runs one notebook (a jupytext percent script) with papermill and writes the
  executed ``.ipynb`` atomically, also when a cell fails: it is the audit trail of the failure.
  Without ``kernel=`` papermill starts and stops a kernel per notebook ("cold", ~2 s of
  kernel start and imports per notebook on the reference machine).
* :class:`WarmKernel` keeps ONE started kernel and runs successive notebooks on it. Papermill
  (2.7) forwards a ``km=`` keyword through its nbclient engine to ``NotebookClient(km=...)``;
  nbclient then neither starts nor shuts the kernel down (``owns_km`` is false). Before each
  notebook the namespace is reset (``%reset -f``, figures closed, matplotlib rcParams restored,
  working directory set, execution counter back to 1); imported modules stay in
  ``sys.modules``, so the notebook's imports are nearly free. A kernel that died or timed out
  is replaced before the next notebook.

The kernel is the ``tccsd-review`` kernelspec (registered by ``tools/bootstrap.sh``;
:func:`ensure_kernelspec` registers it in ``sys.prefix`` when missing). nbformat, like
papermill, is imported where it is used: its schema validators take ~1 s to import, which
the build's parent process and the other commands do not need.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import config
from analysis.atomic import atomic_write_text

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "DEFAULT_PRELOAD",
    "KERNEL_NAME",
    "ExecResult",
    "KernelUnavailable",
    "WarmKernel",
    "clean_text",
    "ensure_kernelspec",
    "execute",
    "load_notebook",
]

log = logging.getLogger(__name__)

KERNEL_NAME = "tccsd-review"
#: Modules imported once when a warm kernel starts (missing ones are skipped): everything a
#: report notebook imports, so that the first report on each kernel is not slower than the
#: next ones. Nothing here may pull scipy or statsmodels (~2 s of CPU per kernel): the review
#: is computed once by the build, and ``analysis.measure.integrity`` imports scipy lazily.
DEFAULT_PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.patheffects",
    "PIL.PngImagePlugin",
    "babel.numbers",
    "babel.dates",
    "pandas.io.formats.style",
    "IPython.display",
    "analysis.measure.review",
    "analysis.measure.integrity",
    "analysis.present.report",
    "analysis.present.plots",
    "analysis.present.tables",
    "analysis.present.report.sentences",
    "analysis.present.appendix",
)
ENGINE_NAME = "tccsd"
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


# --------------------------------------------------------------------------- kernelspec


def ensure_kernelspec(name: str = KERNEL_NAME) -> None:
    """Register the ``tccsd-review`` kernel in ``sys.prefix`` if it is not registered."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
        return
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    log.info("registering kernelspec %s in %s", name, sys.prefix)
    install(kernel_name=name, display_name=name, prefix=sys.prefix)


# --------------------------------------------------------------------------- notebooks


_NB_CACHE: dict[Path, tuple[tuple[int, int], nbformat.NotebookNode]] = {}
_NB_CACHE_LOCK = threading.Lock()


def load_notebook(path: str | os.PathLike[str]) -> nbformat.NotebookNode:
    """Read a jupytext percent script (or an ``.ipynb``) as a notebook, ready for papermill.

    The kernelspec is set to ``tccsd-review`` (python) and cell ids are made deterministic
    (``cell-<n>``) so that two builds of the same notebook produce the same document. The
    conversion is cached per path and (mtime, size); every call returns a fresh deep copy
    (papermill modifies the notebook it executes).
    """
    import nbformat

    p = Path(path).resolve()
    st = p.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    with _NB_CACHE_LOCK:
        hit = _NB_CACHE.get(p)
    if hit is None or hit[0] != stamp:
        if p.suffix == ".ipynb":
            nb = nbformat.read(p, as_version=4)
        else:
            import jupytext

            nb = jupytext.read(p, fmt="py:percent")
        nb.metadata["kernelspec"] = {
            "name": KERNEL_NAME,
            "display_name": KERNEL_NAME,
            "language": "python",
        }
        nb.metadata.setdefault("language_info", {"name": "python"})
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i}"
        hit = (stamp, nb)
        with _NB_CACHE_LOCK:
            _NB_CACHE[p] = hit
    return copy.deepcopy(hit[1])


def _display_path(path: Path) -> str:
    """A path for metadata: relative to the project when inside it."""
    try:
        return path.resolve().relative_to(config.PROJ_ROOT).as_posix()
    except ValueError:
        return str(path)


def clean_text(text: object) -> str:
    """``text`` as a string without terminal colour codes or surrounding blanks."""
    return _ANSI.sub("", str(text)).strip()


# --------------------------------------------------------------------------- papermill engine


def import_notebook_stack() -> None:
    """Import nbformat and papermill (and register the engine) now, in a worker's start-up.

    Both are imported where used (about 1-2 s), so a worker that did not do this would count
    that import in its first report's CPU seconds and time.
    """
    import nbformat  # noqa: F401

    _register_engine()


def _register_engine() -> None:
    """Register the ``tccsd`` papermill engine (idempotent).

    It is papermill's nbclient engine plus three things papermill's own does not do:
    it hands the executed notebook back even when papermill raises, it closes the channels of
    the kernel client it opened on a kernel it does not own (papermill leaves them open, one
    set of ZMQ sockets per notebook), and it turns a cell timeout or a dead kernel into an
    error output on the running cell (papermill only catches ``CellExecutionError``), so the
    executed notebook still records where it stopped.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException
    from papermill.log import logger as pm_logger
    from papermill.utils import merge_kwargs, remove_args

    try:
        papermill_engines.get_engine(ENGINE_NAME)
        return
    except PapermillException:
        pass

    class TccsdEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            from nbclient.exceptions import CellTimeoutError, DeadKernelError

            capture = kwargs.pop("capture", None)
            if capture is None:
                capture = {}
            capture["nb"] = nb_man.nb
            warm = kwargs.pop("warm", None)
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=pm_logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = PapermillNotebookClient(nb_man, **final_kwargs)
            if warm is not None:
                # Hand nbclient a client that is already connected and whose IOPub
                # subscription is proven live, on a kernel whose namespace was just reset:
                # nbclient then skips its own client start (and its 0.2 s IOPub flush).
                client.kc = _connect_and_reset(client.km, *warm)
            try:
                return client.execute()
            except (CellTimeoutError, DeadKernelError, RuntimeError) as exc:
                capture["kernel_broken"] = True
                capture["error"] = (type(exc).__name__, _first_line(exc))
                _mark_running_cell(nb_man, exc)
                return nb_man.nb
            finally:
                if not client.owns_km and client.kc is not None:
                    with contextlib.suppress(Exception):
                        client.kc.stop_channels()
                    client.kc = None

    papermill_engines.register(ENGINE_NAME, TccsdEngine)


def _first_line(exc: BaseException) -> str:
    text = clean_text(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _mark_running_cell(nb_man: Any, exc: BaseException) -> None:
    """Record a timeout / dead kernel as an error output on the cell that was running.

    Papermill marks every cell ``pending`` before the run and completes a cell even when
    nbclient raises out of it, so the running cell is the last code cell that left
    ``pending`` (or the first code cell when the kernel died before running any).
    """
    import nbformat

    nb = nb_man.nb
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = [
        i
        for i in code
        if nb.cells[i].get("metadata", {}).get("papermill", {}).get("status", "pending")
        != "pending"
    ]
    index = started[-1] if started else (code[0] if code else None)
    if index is None:
        return
    cell = nb.cells[index]
    cell.setdefault("outputs", []).append(
        nbformat.v4.new_output(
            "error", ename=type(exc).__name__, evalue=_first_line(exc), traceback=[]
        )
    )
    with contextlib.suppress(Exception):
        nb_man.cell_exception(cell, cell_index=index, exception=exc)


async def _async_reply(kc: Any, msg_id: str, deadline: float) -> dict[str, Any]:
    from queue import Empty

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise KernelUnavailable("the kernel did not answer in time")
        try:
            msg = await kc.get_shell_msg(timeout=remaining)
        except Empty:
            continue
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def _async_iopub_seen(kc: Any, msg_id: str, wait: float) -> bool:
    """True once an IOPub message answering ``msg_id`` arrives within ``wait`` seconds."""
    from queue import Empty

    deadline = time.monotonic() + wait
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            msg = await kc.get_iopub_msg(timeout=remaining)
        except Empty:
            return False
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return True
    return False


async def _async_run_control(kc: Any, code: str, timeout: float, need_iopub: bool) -> None:
    """Run ``code`` silently; raise :class:`KernelUnavailable` if it fails. With
    ``need_iopub`` also make sure the client's IOPub subscription is live (ZMQ "slow joiner":
    a SUB socket misses what is published before it is connected), the way
    ``wait_for_ready`` does but without its fixed 0.2 s flush."""
    deadline = time.monotonic() + timeout
    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    reply = await _async_reply(kc, msg_id, deadline)
    content = reply.get("content", {})
    if content.get("status") != "ok":
        raise KernelUnavailable(
            f"{content.get('ename', 'Error')}: {clean_text(content.get('evalue', ''))}"
        )
    if not need_iopub or await _async_iopub_seen(kc, msg_id, 1.0):
        return
    while time.monotonic() < deadline:
        probe = kc.kernel_info()
        if await _async_iopub_seen(kc, probe, 0.5):
            return
    raise KernelUnavailable("no IOPub traffic from the kernel")


def _connect_and_reset(km: Any, code: str, timeout: float) -> Any:
    from jupyter_core.utils import run_sync

    kc = km.client()
    kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)
    try:
        run_sync(_async_run_control)(kc, code, timeout, True)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            kc.stop_channels()
        if isinstance(exc, KernelUnavailable):
            raise
        if isinstance(exc, Exception):
            raise KernelUnavailable(_first_line(exc)) from exc
        raise
    kc.allow_stdin = False
    return kc


class KernelUnavailable(RuntimeError):
    """The warm kernel could not be started or reset."""


# --------------------------------------------------------------------------- execute


@dataclass
class ExecResult:
    """Outcome of one notebook execution.

    ``error_cell_index`` counts cells of the *source* notebook (as :func:`load_notebook`
    returns it; the cell papermill injects for the parameters is not counted). ``error_name``
    / ``error_value`` are the exception class and message as the kernel reported them, without
    traceback or terminal colour codes. ``notebook`` is the executed notebook (also written to
    ``output_ipynb``), ``None`` only when execution could not start at all.
    """

    ok: bool
    error_cell_index: int | None = None
    error_name: str | None = None
    error_value: str | None = None
    seconds: float = 0.0
    notebook: nbformat.NotebookNode | None = None
    output_ipynb: Path | None = None
    #: The kernel is unusable afterwards (timeout, death): a warm kernel must be replaced.
    kernel_broken: bool = False


def _source_index(nb: nbformat.NotebookNode, executed_index: int) -> int:
    """Map a cell index of the executed notebook (before error markers) to the source one."""
    skipped = sum(
        1
        for c in nb.cells[:executed_index]
        if INJECTED_TAG in c.get("metadata", {}).get("tags", [])
    )
    return executed_index - skipped


def _finish_metadata(nb: nbformat.NotebookNode, nb_path: Path, output_ipynb: Path) -> None:
    pm = nb.metadata.setdefault("papermill", {})
    pm["input_path"] = _display_path(nb_path)
    pm["output_path"] = _display_path(output_ipynb)


def execute(
    nb_path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None,
    output_ipynb: str | os.PathLike[str],
    cwd: str | os.PathLike[str] | None = None,
    timeout: int | None = 600,
    kernel: WarmKernel | None = None,
) -> ExecResult:
    """Execute one notebook with papermill and write the executed notebook atomically.

    ``parameters`` are injected after the cell tagged ``parameters`` and recorded by papermill
    in ``metadata.papermill.parameters``. ``timeout`` is nbclient's per-cell limit in seconds.
    With ``kernel=`` (a started :class:`WarmKernel`) the notebook runs on that kernel after a
    namespace reset; ``cwd`` is then applied inside the kernel. A failing cell gives
    ``ok=False`` with the cell's error; the executed notebook (with papermill's error markers)
    is written all the same. Only a problem outside the notebook (missing file, kernelspec,
    unwritable output) raises.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    nb_path = Path(nb_path)
    output_ipynb = Path(output_ipynb)
    nb = load_notebook(nb_path)
    capture: dict[str, Any] = {}
    params = dict(parameters or {})
    t0 = time.perf_counter()

    kwargs: dict[str, Any] = dict(
        parameters=params,
        engine_name=ENGINE_NAME,
        kernel_name=KERNEL_NAME,
        report_mode=True,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        execution_timeout=timeout,
        capture=capture,
    )
    if kernel is not None:
        kwargs["km"] = kernel.ensure_alive()
        kwargs["warm"] = (kernel.reset_code(cwd), kernel.reset_timeout)
    else:
        ensure_kernelspec()
        kwargs["cwd"] = str(cwd) if cwd is not None else None

    result = ExecResult(ok=True, output_ipynb=output_ipynb)
    try:
        executed = papermill.execute_notebook(nb, None, **kwargs)
    except PapermillExecutionError as exc:
        executed = capture.get("nb")
        result.ok = False
        base_nb = executed if executed is not None else nb
        unmarked = [
            c
            for c in base_nb.cells
            if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])
        ]
        result.error_cell_index = _source_index(
            nbformat.from_dict({"cells": unmarked}), exc.cell_index
        )
        result.error_name = clean_text(exc.ename)
        result.error_value = clean_text(exc.evalue)
    result.kernel_broken = bool(capture.get("kernel_broken"))
    if result.ok and result.kernel_broken:  # broke where no cell could carry the error
        result.ok = False
        result.error_name, result.error_value = capture.get("error", ("DeadKernelError", ""))
    if executed is None:  # pragma: no cover - papermill always hands the notebook to the engine
        raise RuntimeError("papermill returned no notebook")
    _finish_metadata(executed, nb_path, output_ipynb)
    atomic_write_text(output_ipynb, nbformat.writes(executed))
    result.notebook = executed
    result.seconds = time.perf_counter() - t0
    return result


# --------------------------------------------------------------------------- warm kernels


_RESET_CODE = """\
import sys as _tccsd_sys
if "matplotlib.pyplot" in _tccsd_sys.modules:
    _tccsd_sys.modules["matplotlib.pyplot"].close("all")
get_ipython().reset(new_session=False)  # what %reset -f does, minus its 2nd gc.collect()
import os as _tccsd_os, sys as _tccsd_sys, warnings as _tccsd_warnings
_tccsd_mod = _tccsd_sys.modules.get("_tccsd_warm")
_tccsd_os.chdir({cwd!r})
if _tccsd_mod is not None and getattr(_tccsd_mod, "rc0", None) is not None:
    with _tccsd_warnings.catch_warnings():
        _tccsd_warnings.simplefilter("ignore")
        _tccsd_sys.modules["matplotlib"].rcParams.update(_tccsd_mod.rc0)
get_ipython().execution_count = 1
del _tccsd_os, _tccsd_sys, _tccsd_warnings, _tccsd_mod
"""

_PRELOAD_CODE = """\
import importlib as _tccsd_il, sys as _tccsd_sys, types as _tccsd_types
_tccsd_mod = _tccsd_sys.modules.setdefault("_tccsd_warm", _tccsd_types.ModuleType("_tccsd_warm"))
_tccsd_mod.missing = []
_tccsd_name = None  # defined even when there is nothing to preload (it is deleted below)
for _tccsd_name in {modules!r}:
    try:
        _tccsd_il.import_module(_tccsd_name)
    except Exception as _tccsd_exc:
        _tccsd_mod.missing.append((_tccsd_name, repr(_tccsd_exc)))
if "matplotlib" in _tccsd_sys.modules:
    import matplotlib.pyplot as _tccsd_plt
    _tccsd_mod.rc0 = {{k: v for k, v in _tccsd_sys.modules["matplotlib"].rcParams.items()
                      if k != "backend"}}
    del _tccsd_plt
else:
    _tccsd_mod.rc0 = None
del _tccsd_il, _tccsd_sys, _tccsd_types, _tccsd_mod, _tccsd_name
# What is loaded now stays for the kernel's life: out of the cyclic GC, whose full collections
# would otherwise walk it again and again during every report (~0.2 s of CPU per report).
import gc as _tccsd_gc
_tccsd_gc.collect()
_tccsd_gc.freeze()
del _tccsd_gc
"""


class WarmKernel:
    """One started ``tccsd-review`` kernel that runs successive notebooks.

    ``start()`` launches the kernel over IPC sockets in a private temp directory (no TCP ports
    to collide between parallel workers), with an in-memory IPython history (no SQLite file
    shared between kernels), imports ``preload`` and freezes what is loaded out of the cyclic
    garbage collector (``gc.freeze``). ``execute()`` resets the namespace then
    runs the notebook; when the kernel died or a cell timed out it is stopped at once and
    replaced when the next notebook needs it (``restarts`` counts replacements). Use as a
    context manager or call ``shutdown()``.

    What the reset does NOT undo (by design, it is what makes a warm kernel fast): module-level
    state of imported modules (caches, registries, options set at import time), environment
    variables, ``sys.path`` changes, pandas options, random generator state. Notebooks must set
    what they rely on explicitly (e.g. apply the chart style by calling a function, not as an
    import side effect).
    """

    def __init__(
        self,
        kernel_name: str = KERNEL_NAME,
        *,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        cwd: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60,
        reset_timeout: float = 60,
        stderr_log: str | os.PathLike[str] | None = None,
    ):
        self.kernel_name = kernel_name
        self.preload = tuple(preload)
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.startup_timeout = startup_timeout
        self.reset_timeout = reset_timeout
        self.stderr_log = Path(stderr_log) if stderr_log is not None else None
        self.km: Any = None
        self.runs = 0
        self.restarts = 0
        self.start_seconds = 0.0
        self._tmpdir: str | None = None
        self._replace = False  # the next start replaces a broken kernel (counted in restarts)

    # -- lifecycle
    def start(self) -> WarmKernel:
        from jupyter_client import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.km is not None:
            return self
        ensure_kernelspec(self.kernel_name)
        t0 = time.perf_counter()
        self._tmpdir = tempfile.mkdtemp(prefix="tccsd-kernel-")
        km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=os.path.join(self._tmpdir, "k"),
            connection_file=os.path.join(self._tmpdir, "kernel.json"),
        )
        err = open(self.stderr_log, "ab") if self.stderr_log else subprocess.DEVNULL  # noqa: SIM115
        self.km = km  # visible to kill_now() (SIGTERM handler) while the kernel starts
        try:
            run_sync(km.start_kernel)(
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
                cwd=str(self.cwd),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        except BaseException:
            self.km = None
            self._kill(km)
            self._remove_tmpdir()
            raise
        finally:
            if err is not subprocess.DEVNULL:
                err.close()
        try:
            self._run_code(_PRELOAD_CODE.format(modules=list(self.preload)), self.startup_timeout)
        except BaseException:
            self.shutdown()
            raise
        self.start_seconds = time.perf_counter() - t0
        return self

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        if self.km is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def restart(self) -> None:
        """Replace the kernel by a fresh one now."""
        self.shutdown()
        self._replace = True
        self.ensure_alive()

    def shutdown(self) -> None:
        """Stop the kernel (quickly: it holds no state worth a graceful goodbye)."""
        from jupyter_core.utils import run_sync

        km, self.km = self.km, None
        if km is not None:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # already dead, or the loop is gone: make sure of it
                self._kill(km)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()
        self._remove_tmpdir()

    def kill_now(self) -> None:
        """Async-signal-tolerant hard stop (used from a SIGTERM handler): SIGKILL, clean files."""
        km, self.km = self.km, None
        if km is not None:
            self._kill(km)
        self._remove_tmpdir()

    @staticmethod
    def _kill(km: Any) -> None:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(proc, "pid", None)
        if pid:
            # jupyter_client starts kernels in a new session: the kernel is its group leader.
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)

    def _remove_tmpdir(self) -> None:
        tmp, self._tmpdir = self._tmpdir, None
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- running code
    def _run_code(self, code: str, timeout: float) -> None:
        """Run control code on a fresh shell-only client; :class:`KernelUnavailable` if it
        fails. (A client kept across notebooks is fragile: its asyncio sockets belong to the
        event loop that was current when it was made.)"""
        from jupyter_core.utils import run_sync

        if self.km is None:
            raise KernelUnavailable("kernel not started")
        kc = self.km.client()
        kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            run_sync(_async_run_control)(kc, code, timeout, False)
        except KernelUnavailable:
            raise
        except Exception as exc:
            raise KernelUnavailable(f"kernel did not answer: {_first_line(exc)}") from exc
        finally:
            with contextlib.suppress(Exception):
                kc.stop_channels()

    def ensure_alive(self) -> Any:
        """Start or replace the kernel if needed; return its kernel manager."""
        if self.km is not None and not self.is_alive():
            self.shutdown()
            self._replace = True
        if self.km is None:
            if self._replace:
                self.restarts += 1
            self._replace = False
            self.start()
        return self.km

    def reset_code(self, cwd: str | os.PathLike[str] | None = None) -> str:
        """The code run before each notebook (namespace, figures, rcParams, cwd, counter)."""
        target = Path(cwd).resolve() if cwd is not None else self.cwd.resolve()
        return _RESET_CODE.format(cwd=str(target))

    def reset(self, cwd: str | os.PathLike[str] | None = None) -> None:
        """Reset the namespace now (``execute`` does it by itself before each notebook)."""
        self.ensure_alive()
        self._run_code(self.reset_code(cwd), self.reset_timeout)

    def execute(
        self,
        nb_path: str | os.PathLike[str],
        parameters: Mapping[str, Any] | None,
        output_ipynb: str | os.PathLike[str],
        cwd: str | os.PathLike[str] | None = None,
        timeout: int | None = 600,
    ) -> ExecResult:
        """:func:`execute` on this kernel (after a reset); replaces the kernel if it broke.

        If the reset itself fails (kernel wedged or died in between), the kernel is replaced
        and the notebook tried once more on the fresh kernel.
        """
        for attempt in (1, 2):
            try:
                result = execute(
                    nb_path, parameters, output_ipynb, cwd=cwd, timeout=timeout, kernel=self
                )
            except KernelUnavailable:
                self.shutdown()
                self._replace = True
                if attempt == 2:
                    raise
                continue
            except BaseException:
                # papermill/nbclient failed outside a cell (or we were interrupted): the
                # kernel may be mid-cell or gone; never hand it to the next notebook as is.
                with contextlib.suppress(Exception):
                    self.shutdown()
                raise
            break
        self.runs += 1
        if result.kernel_broken or not self.is_alive():
            # Stop it now (a timed-out cell may still be running); the replacement is started
            # when the next notebook needs it, so the result is reported without waiting.
            self.shutdown()
            self._replace = True
        return result
