"""Run report jobs on a Dask ``distributed`` cluster, with the contract of ``run_many``.

:func:`run_on_cluster` is what ``python -m analysis build --scheduler ADDRESS`` uses instead of
:func:`analysis.run.pool.run_many` (both behind :mod:`analysis.run.runner`). Same input (a list
of :class:`~analysis.run.jobs.Job`), same output (one :class:`~analysis.run.jobs.JobResult`
per job, in job order), same
``on_done`` callback in the calling process as each report finishes, so the progress bar and
the summary table of the build do not change.

How the work is laid out on the cluster:

* **One report = one Dask task** (``client.submit(..., pure=False, retries=...)``, keyed by
  the report key plus a per-build token, e.g. ``final/son_dong-3f2a9c1e``, so two builds
  sharing a scheduler never share a task).
* **The review bundle is sent once.** The build pickles the computed review to one file; its
  bytes are scattered to every worker (``client.scatter(..., broadcast=True)``) and each task
  depends on that one future, so a worker receives the bytes once and keeps them; a worker
  that joins later (or replaces a dead one) fetches them from a peer. (A country build has one
  bundle per province and a national one: each is scattered to one worker and copied by Dask
  to the workers whose reports need it.) The worker writes them
  once into its own scratch directory and runs the notebooks there, so workers need no disk
  in common for *inputs* (``bundle="shared"`` instead lets workers read the bundle from the
  output folder). *Outputs* are written by the workers straight into the output folder, which
  must therefore be shared storage mounted at the same path everywhere (see
  ``docs/distributed.md``).
* **One warm kernel per worker.** :class:`WarmKernelPlugin` (a ``WorkerPlugin``) starts one
  :class:`~analysis.run.executor.WarmKernel` when it is registered (the kernel start, the
  module preload and the renderer warm-up are paid once per worker and per build) and every
  task of that worker runs on it, with the same namespace reset between notebooks as the
  local pool. Kernel calls go through one thread per worker, so a worker started with several
  threads still uses its one kernel one notebook at a time (start workers with
  ``--nthreads 1`` and use ``--nworkers`` for more kernels per machine).
* **Failures.** A failing notebook or a failing render step comes back as a failed
  ``JobResult`` (the task itself succeeds). A worker that dies mid-report is noticed by the
  scheduler, which runs the task again on another worker (up to
  ``distributed.scheduler.allowed-failures`` times, 3 by default); ``retries`` covers errors
  raised outside the notebook (e.g. a kernel that cannot start on one machine). Every product
  is written atomically (temporary file + rename) and the manifest last, so a report whose
  first attempt was killed is written once, complete; temporary files of killed attempts are
  removed when the run ends.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import secrets
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from analysis import config
from analysis.atomic import atomic_write_bytes
from analysis.run.executor import DEFAULT_PRELOAD, WarmKernel, clean_text
from analysis.run.files import inputs_digest, sweep_temp_files
from analysis.run.jobs import Job, JobResult, call_quietly, default_warmup, run_job
from analysis.run.layout import package_digest_parts

__all__ = [
    "PLUGIN_NAME",
    "SchedulerUnavailable",
    "WarmKernelPlugin",
    "check_scheduler",
    "connect",
    "run_on_cluster",
]

log = logging.getLogger(__name__)

PLUGIN_NAME = "tccsd-warm-kernel"
#: Environment variables the workers' kernels must share with the build (the build date is
#: printed in the reports: without it two machines would not write the same bytes).
FORWARDED_ENV = ("SOURCE_DATE_EPOCH",)
BUNDLE_MODES = ("scatter", "shared")


class SchedulerUnavailable(RuntimeError):
    """The Dask scheduler cannot be reached (the message is for the user, in Vietnamese)."""


#: Seconds to wait for the scheduler before giving up (read at each call).
CONNECT_TIMEOUT = 10.0


def _unreachable(scheduler: str, why: str) -> SchedulerUnavailable:
    return SchedulerUnavailable(
        f"Không kết nối được bộ điều phối Dask tại {scheduler} ({why}). Hãy kiểm tra "
        "`dask scheduler` đang chạy, địa chỉ và cổng (ví dụ tcp://10.0.0.5:8786) và tường "
        "lửa; chưa có tệp nào được ghi."
    )


def connect(scheduler: str, timeout: float | None = None):
    """A ``distributed.Client`` connected to ``scheduler``.

    Parameters
    ----------
    scheduler : str
        Scheduler address, e.g. ``tcp://10.0.0.5:8786`` (``dask scheduler`` prints it).
    timeout : float, optional
        Seconds to wait for the connection; default :data:`CONNECT_TIMEOUT`.

    Raises
    ------
    SchedulerUnavailable
        No scheduler answers at that address (the message names it).
    """
    from distributed import Client

    try:
        return Client(scheduler, timeout=timeout or CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError (bad address), ...
        raise _unreachable(scheduler, clean_text(exc)) from exc


async def _identity(scheduler: str, timeout: float) -> dict[str, Any]:
    import asyncio

    from distributed.comm import connect as comm_connect

    comm = await comm_connect(scheduler, timeout=timeout)
    try:
        await comm.write({"op": "identity"})
        return await asyncio.wait_for(comm.read(), timeout)
    finally:
        await comm.close()


def check_scheduler(scheduler: str, timeout: float | None = None) -> str | None:
    """``None`` when a Dask scheduler with at least one worker answers at ``scheduler``,
    else the reason, in Vietnamese, naming the address.

    A bare handshake (no ``Client``): nothing is registered on the scheduler, and a failed
    attempt leaves no half-built client behind.
    """
    import asyncio

    wait = timeout or CONNECT_TIMEOUT
    try:
        # In a thread of its own: the caller may already run an event loop (JupyterLab).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            reply = pool.submit(asyncio.run, _identity(scheduler, wait)).result()
    except Exception as exc:  # refused, timed out, bad address, not a Dask endpoint, ...
        return str(_unreachable(scheduler, clean_text(exc)[:200]))
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        return str(_unreachable(scheduler, "địa chỉ này không phải một bộ điều phối Dask"))
    if not reply.get("n_workers"):
        return (
            f"Bộ điều phối Dask tại {scheduler} chưa có máy trạm nào: hãy chạy "
            f"`dask worker {scheduler} --nthreads 1` trên các máy trạm rồi chạy lại; chưa có "
            "tệp nào được ghi."
        )
    return None


def code_digest() -> str:
    """Digest of the package sources and report notebooks this process would run.

    The client and every worker compare it: a worker running other code would write reports
    that the build's manifests describe wrongly.
    """
    return inputs_digest(*package_digest_parts(), *sorted(config.NOTEBOOKS_DIR.glob("*.py")))


# --------------------------------------------------------------------------- worker side


def _quiet_worker_logs() -> None:
    # Failures reach the client as JobResult; papermill would also log them on the worker.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


class WarmKernelPlugin(WorkerPlugin):
    """One warm kernel per Dask worker, started when the plugin is registered.

    Registered again by every build (not idempotent): the previous build's kernel is shut
    down and a fresh one started with this build's environment (``SOURCE_DATE_EPOCH``),
    as the local pool does with its worker processes. Hence one build at a time per cluster:
    a second build registering meanwhile would replace the kernels under the first one's
    reports.
    """

    name = PLUGIN_NAME
    idempotent = False

    def __init__(
        self,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        warmup: Callable[[], Any] | None = default_warmup,
        env: dict[str, str] | None = None,
        startup_timeout: float = 60,
    ):
        self.preload = tuple(preload)
        self.warmup = warmup
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout

    def setup(self, worker) -> None:
        _quiet_worker_logs()
        os.environ.update(self.env)  # inherited by the kernel started below
        self.code_digest = ""
        self.address = worker.address
        self.scratch = Path(worker.local_directory) / "tccsd"
        self.kernel = WarmKernel(
            preload=self.preload, cwd=config.PROJ_ROOT, startup_timeout=self.startup_timeout
        )
        self._bundles: set[Path] = set()
        self._bundle_lock = threading.Lock()
        # Every kernel call happens on this one thread: the kernel is used by one notebook
        # at a time, and its event-loop plumbing always sees the same thread.
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tccsd")
        self.started = self.pool.submit(self._start)

    def _start(self) -> None:
        # Off the worker's event loop (hashing the sources takes a moment); as the kernel
        # imports the package now, this is the code the worker's reports will run.
        self.code_digest = code_digest()
        warm = None
        if self.warmup is not None:  # overlaps with the kernel start, as in the local pool
            warm = threading.Thread(target=call_quietly, args=(self.warmup,), daemon=True)
            warm.start()
        try:
            self.kernel.start()
        finally:
            if warm is not None:
                warm.join()

    def teardown(self, worker) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.kernel.kill_now()

    def materialize_bundle(self, target: Path, data: bytes) -> None:
        """Write the scattered bundle to ``target`` once per worker (atomically)."""
        with self._bundle_lock:
            if target in self._bundles and target.is_file():
                return
            atomic_write_bytes(target, data)
            self._bundles.add(target)

    def wait_ready(self) -> None:
        """Wait for the kernel start; raise (the task is then retried) if it failed."""
        try:
            self.started.result()
        except Exception as exc:
            raise RuntimeError(
                f"máy trạm {self.address} không khởi động được nhân Jupyter: "
                f"{type(exc).__name__}: {clean_text(exc)}"
            ) from exc

    def run(self, job: Job) -> JobResult:
        """Run ``job`` on this worker's kernel, one notebook at a time."""
        self.wait_ready()
        return self.pool.submit(run_job, self.kernel, job).result()


def _mirror(root: Path, cwd: Path, bundle_rel: str) -> tuple[Path, Path]:
    """A scratch working directory and bundle location in ``root`` such that ``bundle_rel``
    (relative to the working directory, as in the report's parameters) still points at the
    bundle: the notebook and its recorded parameters stay exactly those of a local build."""
    rel = Path(bundle_rel)
    ups = 0
    for part in rel.parts:
        if part != "..":
            break
        ups += 1
    tail = rel.parts[ups:]
    names = [p for p in cwd.parts[-ups:] if p not in ("/", "")] if ups else []
    names += ["_"] * (ups - len(names))
    local_cwd = root.joinpath("run", *names)
    bundle = Path(os.path.normpath(local_cwd.joinpath(rel)))
    if not tail or root not in bundle.parents:
        raise ValueError(f"bundle_path {bundle_rel!r} leaves the worker's scratch directory")
    return local_cwd, bundle


def _on_worker_path(path: Path | None, client_root: str) -> Path | None:
    """A path under the client's project folder, moved under this machine's project folder
    (a worker may have the package installed elsewhere). Other paths are kept as they are:
    the output folder must be mounted at the same path on every machine."""
    if path is None:
        return None
    try:
        rel = Path(path).relative_to(client_root)
    except ValueError:
        return Path(path)
    return config.PROJ_ROOT / rel


def _report_task(job: Job, bundle: bytes | None, spec: dict[str, Any]) -> JobResult:
    """Body of one Dask task (runs on a worker): one report on the worker's warm kernel."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None:  # registration races a worker that has just joined: retried
        raise RuntimeError(f"máy trạm {worker.address} chưa có nhân Jupyter ấm")
    plugin.wait_ready()
    if plugin.code_digest != spec["code_digest"]:
        return JobResult(
            key=job.key,
            ok=False,
            stage="worker",
            error_name="CodeMismatch",
            error_value=(
                f"máy trạm {worker.address} chạy mã chương trình hoặc sổ tay khác với máy "
                "dựng báo cáo; cài cùng phiên bản (requirements.lock) rồi khởi động lại "
                "`dask worker`"
            ),
            output_ipynb=job.output_ipynb,
            worker_pid=os.getpid(),
        )
    root = spec["client_root"]
    job = replace(
        job, nb_path=_on_worker_path(job.nb_path, root), cwd=_on_worker_path(job.cwd, root)
    )
    bundle_rel = str(job.parameters.get("bundle_path") or "")
    if bundle is not None and bundle_rel and not Path(bundle_rel).is_absolute() and job.cwd:
        local_cwd, target = _mirror(plugin.scratch / spec["bundle_id"], job.cwd, bundle_rel)
        plugin.materialize_bundle(target, bundle)
        local_cwd.mkdir(parents=True, exist_ok=True)
        job = replace(job, cwd=local_cwd)
    return plugin.run(job)


# --------------------------------------------------------------------------- client side


def _bundle_file(job: Job) -> Path | None:
    rel = job.parameters.get("bundle_path") if job.parameters else None
    if not rel:
        return None
    path = Path(str(rel))
    if not path.is_absolute():
        if job.cwd is None:
            return None
        path = Path(job.cwd) / path
    return Path(os.path.normpath(path))


def _failed(job: Job, name: str, value: str) -> JobResult:
    return JobResult(
        key=job.key,
        ok=False,
        stage="worker",
        error_name=name,
        error_value=value,
        output_ipynb=job.output_ipynb,
    )


def _result_of(future, job: Job) -> JobResult:
    """The task's JobResult, or a failed one when the task itself failed."""
    if future.status == "finished":
        try:
            return future.result()
        except Exception as exc:  # lost between completion and gathering
            return _failed(job, type(exc).__name__, clean_text(exc))
    if future.status == "cancelled":
        return _failed(job, "Cancelled", "tác vụ bị hủy trên cụm Dask")
    exc = future.exception()
    name = type(exc).__name__
    if name == "KilledWorker":
        value = (
            "máy trạm chạy báo cáo này bị dừng đột ngột nhiều lần "
            "(distributed.scheduler.allowed-failures)"
        )
        return _failed(job, "WorkerDied", value)
    return _failed(job, name, clean_text(exc))


def _remove_leftovers(directories: set[Path]) -> None:
    """Temporary files of attempts killed mid-write. Every task has ended when this runs,
    so any temporary file left in a report folder belongs to a dead attempt."""
    for directory in sorted(directories):
        with contextlib.suppress(OSError):
            sweep_temp_files(directory, recursive=False, max_age=0)


def run_on_cluster(
    jobs: Sequence[Job],
    scheduler,
    on_done: Callable[[JobResult], None] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    bundle: str = "scatter",
    retries: int = 2,
    preload: Sequence[str] = DEFAULT_PRELOAD,
    warmup: Callable[[], Any] | None = default_warmup,
    connect_timeout: float | None = None,
) -> list[JobResult]:
    """Run ``jobs`` on a Dask cluster, one task each; results in ``jobs`` order.

    Parameters
    ----------
    jobs : sequence of Job
        As for :func:`~analysis.run.pool.run_many`. A job whose parameters carry a relative
        ``bundle_path`` reads that file; it is sent to the workers as described below.
    scheduler : str or distributed.Client
        Scheduler address (``tcp://host:8786``), or a connected client (left open).
    on_done : callable, optional
        Called in this process with each :class:`JobResult` as it arrives (completion order).
    cwd : path, optional
        Accepted for compatibility with ``run_many``; the workers' kernels start in their own
        project folder.
    bundle : {"scatter", "shared"}
        ``"scatter"`` (default): the bundle bytes go to every worker once through Dask and the
        workers need no shared input disk. ``"shared"``: workers read the bundle from its path
        (it lives in the output folder, which the workers share anyway).
    retries : int
        Extra attempts of a task that raised (outside the notebook). Worker deaths are retried
        by the scheduler itself (``distributed.scheduler.allowed-failures``).
    preload, warmup
        As for ``run_many``: modules each kernel imports once, and the worker-side warm-up.
    connect_timeout : float, optional
        Seconds to wait for the scheduler; default :data:`CONNECT_TIMEOUT`.

    Returns
    -------
    list of JobResult
        One per job. A failing notebook, a failing render step, a worker that died more often
        than allowed, or a worker running other code gives a failed result, never an exception.

    A scheduler that cannot be reached fails every job (stage ``"submit"``, nothing sent);
    :func:`check_scheduler` tells it beforehand.
    """
    del cwd  # the kernels' start folder is each worker's project folder
    if bundle not in BUNDLE_MODES:
        raise ValueError(f"bundle must be one of {BUNDLE_MODES}, not {bundle!r}")
    jobs = list(jobs)
    if not jobs:
        return []
    from distributed import as_completed

    own_client = isinstance(scheduler, str)
    try:
        # The bare handshake first: a Client that fails to connect lingers and blocks for
        # seconds when it is garbage-collected.
        problem = check_scheduler(scheduler, connect_timeout) if own_client else None
        if problem is not None:
            raise SchedulerUnavailable(problem)
        client = connect(scheduler, timeout=connect_timeout) if own_client else scheduler
    except SchedulerUnavailable as exc:  # gone since the build checked it: every job fails
        out = [replace(_failed(job, "SchedulerUnavailable", str(exc)), stage="submit")
               for job in jobs]
        for result in out:
            if on_done is not None:
                on_done(result)
        return out
    futures: dict[Any, int] = {}
    try:
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        client.register_plugin(WarmKernelPlugin(preload, warmup, env), name=PLUGIN_NAME)
        token = secrets.token_hex(4)
        spec = {"code_digest": code_digest(), "client_root": str(config.PROJ_ROOT)}
        scattered: dict[Path, tuple[Any, str]] = {}
        results: dict[int, JobResult] = {}
        bundles = {p for p in map(_bundle_file, jobs) if p is not None}
        # One bundle (a province build): every task needs it, so every worker gets it now.
        # Several (a country: one per province and a national one): each is sent once to one
        # worker and Dask copies it to the workers whose reports need it, where the scheduler
        # then prefers to run that province's other reports.
        broadcast = len(bundles) == 1
        for index, job in enumerate(jobs):
            data_future, job_spec = None, spec
            path = _bundle_file(job)
            if bundle == "scatter" and path is not None:
                if path not in scattered:
                    [fut] = client.scatter([path.read_bytes()], broadcast=broadcast, hash=False)
                    scattered[path] = (fut, f"{token}-{len(scattered)}")
                data_future, bundle_id = scattered[path]
                job_spec = {**spec, "bundle_id": bundle_id}
            try:
                fut = client.submit(
                    _report_task,
                    job,
                    data_future,
                    job_spec,
                    key=f"{job.key}-{token}",
                    pure=False,
                    retries=retries,
                )
            except Exception as exc:  # e.g. a post step that cannot be pickled
                results[index] = JobResult(
                    key=job.key,
                    ok=False,
                    stage="submit",
                    error_name=type(exc).__name__,
                    error_value=f"job cannot be sent to the cluster: {clean_text(exc)}",
                    output_ipynb=job.output_ipynb,
                )
                if on_done is not None:
                    on_done(results[index])
                continue
            futures[fut] = index
        for fut in as_completed(list(futures), loop=client.loop):
            index = futures[fut]
            result = _result_of(fut, jobs[index])
            if not result.ok and result.stage == "worker":
                log.debug("task %s failed on the cluster: %s", fut.key, result.error_value)
            results[index] = result
            fut.release()
            if on_done is not None:
                on_done(result)
        _remove_leftovers({Path(j.output_ipynb).parent for j in jobs})
        return [results[i] for i in range(len(jobs))]
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(list(futures), force=True)
        log.debug("cluster run interrupted:\n%s", traceback.format_exc())
        raise
    finally:
        if own_client:
            with contextlib.suppress(Exception):
                client.close()
