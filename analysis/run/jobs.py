"""One report job, as the local pool (:mod:`analysis.run.pool`) and the cluster
(:mod:`analysis.run.distributed`) both run it on a warm kernel: :class:`Job` in,
:class:`JobResult` out, failures isolated (a failing notebook or ``post`` step fails only its
own job).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.run import render
from analysis.run.executor import ExecResult, WarmKernel, clean_text

__all__ = [
    "Job",
    "JobResult",
    "call_quietly",
    "default_warmup",
    "kernel_pid",
    "process_cpu_seconds",
    "run_job",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One notebook to run. ``post(job, exec_result)`` runs in the worker after a successful
    execution (e.g. rendering HTML/PDF from ``exec_result.notebook``); it must be picklable
    (a module-level function or a ``functools.partial`` of one) and its return value must be
    picklable too (it comes back as ``JobResult.post_value``)."""

    key: str
    nb_path: Path
    parameters: Mapping[str, Any]
    output_ipynb: Path
    post: Callable[[Job, ExecResult], Any] | None = None
    cwd: Path | None = None
    timeout: int | None = 600


@dataclass
class JobResult:
    """What the parent learns about a job. ``stage`` tells where it failed:
    ``"execute"`` (a cell raised, timed out, or the kernel died), ``"post"`` (the post step
    raised), ``"worker"`` (the worker process died or could not start a kernel),
    ``"submit"`` (the job could not be sent to a worker, e.g. not picklable)."""

    key: str
    ok: bool
    stage: str | None = None
    error_cell_index: int | None = None
    error_name: str | None = None
    error_value: str | None = None
    exec_seconds: float = 0.0
    post_seconds: float = 0.0
    output_ipynb: Path | None = None
    post_value: Any = None
    worker_pid: int | None = None
    kernel_restarts: int = 0
    #: CPU seconds the job used: the kernel's (the notebook's cells) plus the worker's own
    #: (papermill's client side and the ``post`` step). Unlike the wall times above it does
    #: not grow when other processes load the machine. ``None`` when it could not be read.
    cpu_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``), else None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # fields after the parenthesised command name; utime and stime are fields 14 and 15
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError, OSError):
        return None


def kernel_pid(kernel: WarmKernel) -> int | None:
    proc = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    return getattr(proc, "pid", None)


def run_job(kernel: WarmKernel, job: Job) -> JobResult:
    res = JobResult(key=job.key, ok=False, output_ipynb=job.output_ipynb, worker_pid=os.getpid())
    own0 = time.process_time()
    pid0 = kernel_pid(kernel)
    kernel_cpu0 = process_cpu_seconds(pid0)
    try:
        return _run_job_steps(kernel, job, res)
    finally:
        # the kernel's CPU counts only when the same kernel ran the whole job (a replaced
        # kernel took its CPU seconds with it)
        pid1 = kernel_pid(kernel)
        kernel_cpu1 = process_cpu_seconds(pid1)
        if pid0 is not None and pid1 == pid0 and None not in (kernel_cpu0, kernel_cpu1):
            res.cpu_seconds = time.process_time() - own0 + (kernel_cpu1 - kernel_cpu0)


def _run_job_steps(kernel: WarmKernel, job: Job, res: JobResult) -> JobResult:
    restarts0 = kernel.restarts
    try:
        ex = kernel.execute(
            job.nb_path, job.parameters, job.output_ipynb, cwd=job.cwd, timeout=job.timeout
        )
    except Exception as exc:
        res.stage = "execute"
        res.error_name, res.error_value = type(exc).__name__, clean_text(exc)
        log.debug("job %s failed outside the notebook:\n%s", job.key, traceback.format_exc())
        res.kernel_restarts = kernel.restarts - restarts0
        return res
    res.exec_seconds = ex.seconds
    res.kernel_restarts = kernel.restarts - restarts0
    if not ex.ok:
        res.stage = "execute"
        res.error_cell_index, res.error_name, res.error_value = (
            ex.error_cell_index,
            ex.error_name,
            ex.error_value,
        )
        return res
    if job.post is not None:
        t0 = time.perf_counter()
        try:
            res.post_value = job.post(job, ex)
        except Exception as exc:
            res.post_seconds = time.perf_counter() - t0
            res.stage = "post"
            res.error_name, res.error_value = type(exc).__name__, clean_text(exc)
            log.debug("post step of %s failed:\n%s", job.key, traceback.format_exc())
            return res
        res.post_seconds = time.perf_counter() - t0
    res.ok = True
    return res


def default_warmup() -> None:
    """Worker-side warm-up: import and initialise the renderer (nbconvert template, WeasyPrint,
    fontconfig) while the kernel starts, instead of during the first job's ``post`` step."""
    render.warm_up()


def call_quietly(fn: Callable[[], Any]) -> None:
    """Run a warm-up; a failure is logged (debug), never raised."""
    try:
        fn()
    except Exception:  # a warm-up is an optimisation: never fatal
        log.debug("worker warm-up failed:\n%s", traceback.format_exc())
