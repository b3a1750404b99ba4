"""Where the report jobs run: the local pool of warm kernels, or a Dask cluster.

Both runners have one contract (:class:`Runner`): ``run(jobs, on_done)`` takes a list of
:class:`~analysis.run.jobs.Job` and returns one :class:`~analysis.run.jobs.JobResult` per job,
in job order, calling ``on_done`` in this process as each job finishes; a failing job never
stops the others. :func:`select_runner` is the one place that picks between them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from analysis.run.jobs import Job, JobResult
from analysis.run.pool import WarmKernelPool, run_many

__all__ = ["ClusterRunner", "LocalRunner", "Runner", "scheduler_problem", "select_runner"]


class Runner(Protocol):
    """Runs report jobs; see the module docstring for the contract."""

    def run(
        self, jobs: Sequence[Job], on_done: Callable[[JobResult], None] | None = None
    ) -> list[JobResult]: ...


@dataclass
class LocalRunner:
    """The jobs on ``workers`` local processes (:func:`analysis.run.pool.run_many`), or on
    ``pool``, a :class:`~analysis.run.pool.WarmKernelPool` started ahead (used up by the run)."""

    workers: int | None = None
    cwd: str | os.PathLike[str] | None = None
    pool: WarmKernelPool | None = None

    def run(
        self, jobs: Sequence[Job], on_done: Callable[[JobResult], None] | None = None
    ) -> list[JobResult]:
        return run_many(jobs, workers=self.workers, on_done=on_done, cwd=self.cwd, pool=self.pool)


@dataclass
class ClusterRunner:
    """The jobs on the Dask cluster whose scheduler is at ``scheduler``
    (:func:`analysis.run.distributed.run_on_cluster`)."""

    scheduler: str
    cwd: str | os.PathLike[str] | None = None

    def run(
        self, jobs: Sequence[Job], on_done: Callable[[JobResult], None] | None = None
    ) -> list[JobResult]:
        from analysis.run.distributed import run_on_cluster  # dask: heavy, only when asked

        return run_on_cluster(jobs, self.scheduler, on_done=on_done, cwd=self.cwd)


def select_runner(
    scheduler: str | None,
    workers: int | None,
    cwd: str | os.PathLike[str] | None = None,
    pool: WarmKernelPool | None = None,
) -> Runner:
    """The cluster when a scheduler address is given, else the local pool."""
    if scheduler:
        return ClusterRunner(scheduler, cwd=cwd)
    return LocalRunner(workers, cwd=cwd, pool=pool)


def scheduler_problem(scheduler: str) -> str | None:
    """``None`` when the cluster at ``scheduler`` can run reports, else why not (Vietnamese,
    for the user; :func:`analysis.run.distributed.check_scheduler`)."""
    from analysis.run.distributed import check_scheduler  # dask: heavy, only when asked

    return check_scheduler(scheduler)
