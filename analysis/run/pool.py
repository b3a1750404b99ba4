"""The local pool: report jobs on ``workers`` processes, each with its own warm kernel.

:func:`run_many` runs a list of :class:`~analysis.run.jobs.Job` on ``workers`` processes, each
with its own :class:`~analysis.run.executor.WarmKernel`, calls ``on_done`` in the parent as
each job finishes, isolates failures (a failing notebook, a failing ``post`` step, even a
crashed worker fail only their own job) and shuts every kernel down on Ctrl-C before
re-raising ``KeyboardInterrupt``. The cluster runner with the same contract is
:func:`analysis.run.distributed.run_on_cluster`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analysis.run.executor import (
    DEFAULT_PRELOAD,
    WarmKernel,
    clean_text,
    import_notebook_stack,
)
from analysis.run.jobs import Job, JobResult, call_quietly, default_warmup, run_job

__all__ = ["WarmKernelPool", "run_many"]


def _safe_send(conn: Any, result: JobResult) -> None:
    try:
        conn.send(("done", result))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # unpicklable post_value
        conn.send(
            (
                "done",
                replace(
                    result,
                    ok=False,
                    stage="post",
                    post_value=None,
                    error_name=type(exc).__name__,
                    error_value=f"post result cannot be sent back: {clean_text(exc)}",
                ),
            )
        )


def _worker_main(
    conn: Any,
    kernel_kwargs: dict[str, Any],
    log_level: int,
    warmup: Callable[[], Any] | None = None,
) -> None:
    """Body of a worker process: one warm kernel, jobs from ``conn`` until ``None``."""
    logging.basicConfig(level=log_level)
    if log_level > logging.DEBUG:
        # Failures reach the parent as JobResult; papermill/nbclient would also log them (and
        # WeasyPrint its CSS notes) on the terminal, across the parent's progress bar.
        logging.getLogger("papermill").setLevel(logging.CRITICAL)
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # Ctrl-C is the parent's business: it cancels, then stops us (SIGTERM) if we are busy.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kernel = WarmKernel(**kernel_kwargs)

    def on_term(signum: int, frame: Any) -> None:
        kernel.kill_now()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    warm_thread = None
    if warmup is not None:  # overlaps with the kernel start (which mostly waits on the kernel)
        warm_thread = threading.Thread(target=call_quietly, args=(warmup,), daemon=True)
        warm_thread.start()
    try:
        try:
            kernel.start()
        except Exception as exc:
            conn.send(("fatal", f"{type(exc).__name__}: {clean_text(exc)}"))
            return
        if warm_thread is not None:
            warm_thread.join()
        import_notebook_stack()
        conn.send(("ready", os.getpid(), kernel.start_seconds))
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # parent gone
                break
            if job is None:
                break
            _safe_send(conn, run_job(kernel, job))
    finally:
        kernel.shutdown()
        with contextlib.suppress(Exception):
            conn.close()


@dataclass
class _Worker:
    proc: Any
    conn: Any
    current: tuple[int, Job] | None = None
    ready: bool = False
    retiring: bool = False


class WarmKernelPool:
    """``workers`` processes, each with one :class:`WarmKernel`; see :func:`run_many`.

    Jobs are handed out one at a time to whichever worker is free, so the parent always knows
    which job each worker holds: a worker that dies fails only that job and is replaced.
    Workers are started with the ``spawn`` method (no fork of a parent that may run threads,
    e.g. a progress bar).

    :meth:`start` launches the workers ahead of :meth:`run`, so that their kernel start and
    warm-up (several CPU seconds each) overlap with work the caller does before it knows the
    jobs (the build validates the data and computes the indicators meanwhile). :meth:`close`
    stops workers that :meth:`run` never used (e.g. the data had errors). Without
    :meth:`start`, :meth:`run` starts the workers itself.
    """

    #: Replacement workers started after crashes, at most, per run.
    max_respawns = 8

    def __init__(
        self,
        workers: int | None = None,
        *,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        cwd: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60,
        warmup: Callable[[], Any] | None = default_warmup,
    ):
        self.workers = workers if workers and workers > 0 else (os.cpu_count() or 1)
        self.warmup = warmup
        self.kernel_kwargs = dict(
            preload=tuple(preload),
            cwd=str(cwd) if cwd is not None else None,
            startup_timeout=startup_timeout,
        )
        self._ctx = multiprocessing.get_context("spawn")
        self._started: list[_Worker] = []

    def start(self) -> WarmKernelPool:
        """Start the worker processes (and their kernels) now; :meth:`run` uses them."""
        while len(self._started) < self.workers:
            self._started.append(self._spawn())
        return self

    def close(self) -> None:
        """Stop the workers started by :meth:`start` that :meth:`run` did not take over."""
        started, self._started = self._started, []
        self._stop(started)

    def __enter__(self) -> WarmKernelPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main,
            args=(
                child_conn,
                self.kernel_kwargs,
                logging.getLogger().getEffectiveLevel(),
                self.warmup,
            ),
            name="tccsd-worker",
            daemon=False,
        )
        proc.start()
        child_conn.close()
        return _Worker(proc=proc, conn=parent_conn)

    def run(
        self,
        jobs: Sequence[Job],
        on_done: Callable[[JobResult], None] | None = None,
    ) -> list[JobResult]:
        jobs = list(jobs)
        results: dict[int, JobResult] = {}
        if not jobs:
            self.close()
            return []
        pending: deque[tuple[int, Job]] = deque(enumerate(jobs))
        workers: list[_Worker] = []
        respawns = 0
        fatal: str | None = None

        def finish(index: int, result: JobResult) -> None:
            results[index] = result
            if on_done is not None:
                on_done(result)

        def dispatch(w: _Worker) -> None:
            while pending:
                index, job = pending.popleft()
                try:
                    w.conn.send(job)
                except (pickle.PicklingError, TypeError, AttributeError) as exc:
                    finish(
                        index,
                        JobResult(
                            key=job.key,
                            ok=False,
                            stage="submit",
                            error_name=type(exc).__name__,
                            error_value=f"job cannot be sent to a worker: {clean_text(exc)}",
                            output_ipynb=job.output_ipynb,
                        ),
                    )
                    continue
                w.current = (index, job)
                return
            w.current = None
            w.retiring = True
            with contextlib.suppress(OSError):
                w.conn.send(None)

        def bury(w: _Worker, why: str) -> None:
            nonlocal respawns
            workers.remove(w)
            with contextlib.suppress(Exception):
                w.conn.close()
            w.proc.join(timeout=5)
            if w.current is not None:
                index, job = w.current
                w.current = None
                finish(
                    index,
                    JobResult(
                        key=job.key,
                        ok=False,
                        stage="worker",
                        error_name="WorkerDied",
                        error_value=why,
                        output_ipynb=job.output_ipynb,
                        worker_pid=w.proc.pid,
                    ),
                )
            if pending and not w.retiring and respawns < self.max_respawns:
                respawns += 1
                workers.append(self._spawn())

        try:
            # take over the workers started ahead (spare ones are told to exit at their first
            # dispatch); start the others now
            workers.extend(self._started)
            self._started = []
            for _ in range(min(self.workers, len(jobs)) - len(workers)):
                workers.append(self._spawn())
            while workers:
                by_conn = {w.conn: w for w in workers}
                by_sentinel = {w.proc.sentinel: w for w in workers}
                ready = multiprocessing.connection.wait(list(by_conn) + list(by_sentinel))
                died: list[_Worker] = []
                for obj in ready:
                    w = by_conn.get(obj)
                    if w is None:
                        continue
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        died.append(w)
                        continue
                    kind = msg[0]
                    if kind == "ready":
                        w.ready = True
                        dispatch(w)
                    elif kind == "done":
                        index, _job = w.current  # type: ignore[misc]
                        w.current = None
                        finish(index, msg[1])
                        dispatch(w)
                    elif kind == "fatal":
                        w.retiring = True  # a worker that cannot start a kernel is not replaced
                        fatal = msg[1]
                        died.append(w)
                for obj in ready:
                    w = by_sentinel.get(obj)
                    if w is not None and w not in died:
                        died.append(w)
                for w in died:
                    if w in workers:
                        bury(w, f"worker process exited (code {w.proc.exitcode})")
            while pending:  # no worker left: none could start a kernel, or too many crashes
                index, job = pending.popleft()
                finish(
                    index,
                    JobResult(
                        key=job.key,
                        ok=False,
                        stage="worker",
                        error_name="KernelUnavailable" if fatal else "WorkerDied",
                        error_value=fatal or "too many worker crashes",
                        output_ipynb=job.output_ipynb,
                    ),
                )
        except BaseException:
            pending.clear()
            self._stop(workers)
            raise
        return [results[i] for i in range(len(jobs))]

    @staticmethod
    def _stop(workers: Iterable[_Worker]) -> None:
        """Cancel: idle workers are told to exit, busy ones get SIGTERM (their handler kills
        the kernel); anything still alive after a grace period is SIGKILLed."""
        workers = list(workers)
        for w in workers:
            if w.current is None and w.ready:
                with contextlib.suppress(Exception):
                    w.conn.send(None)
            else:
                with contextlib.suppress(Exception):
                    w.proc.terminate()
        deadline = time.monotonic() + 10
        for w in workers:
            w.proc.join(timeout=max(0.1, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(timeout=5)
            with contextlib.suppress(Exception):
                w.conn.close()


def _run_in_process(
    jobs: Sequence[Job], on_done: Callable[[JobResult], None] | None, **kernel_kwargs: Any
) -> list[JobResult]:
    out: list[JobResult] = []
    with WarmKernel(**kernel_kwargs) as kernel:
        for job in jobs:
            res = run_job(kernel, job)
            out.append(res)
            if on_done is not None:
                on_done(res)
    return out


def run_many(
    jobs: Sequence[Job],
    workers: int | None = None,
    on_done: Callable[[JobResult], None] | None = None,
    *,
    preload: Sequence[str] = DEFAULT_PRELOAD,
    cwd: str | os.PathLike[str] | None = None,
    warmup: Callable[[], Any] | None = default_warmup,
    pool: WarmKernelPool | None = None,
) -> list[JobResult]:
    """Run ``jobs`` on ``workers`` processes with warm kernels; results in ``jobs`` order.

    ``workers=None`` uses ``os.cpu_count()``; ``workers=0`` runs in this process on one warm
    kernel (debugging). ``on_done`` is called in the calling process as each job finishes. A
    failing job never stops the others. On Ctrl-C pending jobs are cancelled, every worker and
    kernel is stopped, and ``KeyboardInterrupt`` is re-raised. ``preload`` are modules each
    kernel imports once; ``warmup`` is a picklable callable each worker runs (in a thread,
    while its kernel starts), by default the renderer's warm-up; ``None`` disables it.
    ``pool`` is a :class:`WarmKernelPool` already started by the caller (its own ``workers``,
    ``preload``, ``cwd`` and ``warmup`` then apply); it is used up by this run.
    """
    if pool is not None:
        return pool.run(jobs, on_done)
    if workers == 0:
        return _run_in_process(jobs, on_done, preload=preload, cwd=cwd)
    pool = WarmKernelPool(workers, preload=preload, cwd=cwd, warmup=warmup)
    return pool.run(jobs, on_done)
