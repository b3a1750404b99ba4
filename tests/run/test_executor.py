"""Notebook execution: papermill, warm kernels, the worker pool."""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import nbformat
import pytest

from analysis.run.executor import KERNEL_NAME, WarmKernel, execute, load_notebook
from analysis.run.jobs import Job, JobResult
from analysis.run.pool import WarmKernelPool, run_many

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def warm():
    with WarmKernel() as kernel:
        yield kernel


def _code_outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


# --------------------------------------------------------------------------- loading


def test_load_notebook_converts_percent_script_and_caches_copies(tmp_path):
    src = tmp_path / "nb.py"
    shutil.copy(FIXTURES / "failing_nb.py", src)
    nb = load_notebook(src)
    assert nb.metadata.kernelspec.name == KERNEL_NAME
    assert nb.metadata.kernelspec.language == "python"
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    assert nb.cells[0].metadata.tags == ["parameters"]
    nb.cells.clear()  # callers get a copy: the cache is untouched
    assert len(load_notebook(src).cells) == 4
    src.write_text("# %%\nx = 1\n")  # changed file (size, mtime): converted again
    assert len(load_notebook(src).cells) == 1


# --------------------------------------------------------------------------- execute


def test_execute_records_parameters(tmp_path, warm):
    out = tmp_path / "exec" / "report.ipynb"
    params = {"unit_code": "H07", "assessment_id": "2019", "n": 21}
    res = execute(FIXTURES / "report_nb.py", params, out, kernel=warm)
    assert res.ok and res.error_name is None
    assert out.exists() and list(out.parent.glob(".*.tmp-*")) == []
    written = nbformat.read(out, as_version=4)
    assert written.metadata.papermill.parameters == params
    assert written.metadata.papermill.input_path == "tests/run/fixtures/report_nb.py"
    injected = [c for c in written.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'unit_code = "H07"' in injected[0].source
    texts = "".join(str(o.get("data", {}).get("text/markdown", "")) for o in _code_outputs(written))
    assert "Đơn vị H07" in texts and "**42**" in texts


def test_failing_notebook_gives_error_and_still_writes_notebook(tmp_path, warm):
    out = tmp_path / "failed.ipynb"
    res = execute(FIXTURES / "failing_nb.py", {"threshold": 4}, out, kernel=warm)
    assert not res.ok
    assert res.error_cell_index == 2  # third cell of the source notebook
    assert res.error_name == "ValueError"
    assert res.error_value == "Giá trị không hợp lệ: 5"
    assert "Traceback" not in res.error_value and "\x1b[" not in res.error_value
    assert out.exists()  # the audit trail of the failure
    written = nbformat.read(out, as_version=4)
    assert written.metadata.papermill.parameters == {"threshold": 4}
    errors = [o for o in _code_outputs(written) if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    assert not any("never reached" in str(o) for o in _code_outputs(written))


# --------------------------------------------------------------------------- warm kernels


def test_warm_kernel_reuse_does_not_leak_state(tmp_path, warm):
    pid = warm.km.provisioner.process.pid
    a = warm.execute(FIXTURES / "leak_a.py", {}, tmp_path / "a.ipynb")
    b = warm.execute(FIXTURES / "leak_b.py", {}, tmp_path / "b.ipynb", cwd=tmp_path)
    assert a.ok, a.error_value
    # leak_b asserts: no LEAK global, no open figure, matplotlib rcParams restored
    assert b.ok, f"{b.error_name}: {b.error_value}"
    assert warm.km.provisioner.process.pid == pid  # same kernel process
    printed = "".join(o.get("text", "") for o in _code_outputs(b.notebook))
    assert printed.strip() == str(tmp_path.resolve())  # cwd applied inside the kernel
    assert [c.execution_count for c in b.notebook.cells if c.cell_type == "code"] == [1]


def test_warm_kernel_is_faster_than_cold(tmp_path, warm):
    nb = FIXTURES / "chart_nb.py"
    cold = execute(nb, {"seed": 2}, tmp_path / "cold.ipynb")  # papermill starts its own kernel
    assert nbformat.read(tmp_path / "cold.ipynb", as_version=4).metadata.papermill.parameters == {
        "seed": 2
    }
    first = warm.execute(nb, {"seed": 3}, tmp_path / "w1.ipynb")
    second = warm.execute(nb, {"seed": 4}, tmp_path / "w2.ipynb")
    print(
        f"\nchart notebook: cold {cold.seconds:.2f} s, warm {first.seconds:.2f} s, "
        f"warm again {second.seconds:.2f} s (kernel start {warm.start_seconds:.2f} s)"
    )
    assert cold.ok and first.ok and second.ok
    for res in (first, second):
        pngs = [o for o in _code_outputs(res.notebook) if "image/png" in o.get("data", {})]
        assert len(pngs) == 1  # the inline backend still works after resets
    assert second.seconds < cold.seconds


def test_warm_kernel_replaced_after_death(tmp_path, warm):
    restarts = warm.restarts
    dead = warm.execute(FIXTURES / "crash_nb.py", {}, tmp_path / "crash.ipynb")
    assert not dead.ok and dead.kernel_broken
    assert dead.error_name == "DeadKernelError" and dead.error_cell_index == 0
    assert (tmp_path / "crash.ipynb").exists()
    after = warm.execute(FIXTURES / "leak_b.py", {}, tmp_path / "after.ipynb")
    assert after.ok and warm.restarts == restarts + 1


@pytest.mark.slow
def test_warm_kernel_replaced_after_timeout(tmp_path, warm):
    t0 = time.perf_counter()
    res = warm.execute(FIXTURES / "sleep_nb.py", {}, tmp_path / "sleep.ipynb", timeout=1)
    assert time.perf_counter() - t0 < 30
    assert not res.ok and res.error_name == "CellTimeoutError" and res.error_cell_index == 0
    assert "1 seconds" in res.error_value and "time.sleep" not in res.error_value
    after = warm.execute(FIXTURES / "leak_b.py", {}, tmp_path / "after.ipynb")
    assert after.ok


# --------------------------------------------------------------------------- run_many


def record_post(job: Job, result) -> dict:
    """A post step (module level: picklable) that proves it ran in the worker."""
    marker = job.output_ipynb.with_suffix(".post")
    marker.write_text(f"{os.getpid()} {len(result.notebook.cells)}")
    return {"pid": os.getpid(), "key": job.key}


def render_post(job: Job, result) -> dict:
    """The real use: render HTML + PDF in the worker from the executed notebook."""
    from analysis.run.products import write_report_files

    rendered = write_report_files(result.notebook, job.output_ipynb.parent / job.key, "Báo cáo")
    return {fmt: path.name for fmt, path in rendered.paths.items()}


def failing_post(job: Job, result) -> None:
    raise OSError("không ghi được tệp")


@pytest.mark.slow
def test_run_many_one_failure_does_not_stop_the_others(tmp_path):
    jobs = [
        Job("ok-1", FIXTURES / "report_nb.py", {"unit_code": "A"}, tmp_path / "1.ipynb",
            post=record_post),
        Job("bad", FIXTURES / "failing_nb.py", {"threshold": 1}, tmp_path / "2.ipynb",
            post=record_post),
        Job("ok-2", FIXTURES / "chart_nb.py", {"seed": 5}, tmp_path / "3.ipynb",
            post=render_post),
        Job("post-fails", FIXTURES / "leak_a.py", {}, tmp_path / "4.ipynb", post=failing_post),
        Job("unpicklable", FIXTURES / "leak_a.py", {}, tmp_path / "5.ipynb",
            post=lambda job, res: None),
    ]
    seen: list[JobResult] = []
    t0 = time.perf_counter()
    results = run_many(jobs, workers=2, on_done=seen.append)  # default warm-up: renderer
    print(f"\nrun_many 5 jobs on 2 workers: {time.perf_counter() - t0:.2f} s")
    assert [r.key for r in results] == [j.key for j in jobs]
    assert sorted(r.key for r in seen) == sorted(j.key for j in jobs)
    by = {r.key: r for r in results}
    assert by["ok-1"].ok and by["ok-2"].ok
    assert by["ok-1"].post_value["key"] == "ok-1"
    assert by["ok-1"].post_value["pid"] != os.getpid()  # ran in a worker
    assert (tmp_path / "1.post").exists()
    assert by["ok-2"].post_value == {"html": "report.html", "pdf": "report.pdf"}
    assert (tmp_path / "ok-2" / "report.pdf").read_bytes().startswith(b"%PDF-")
    bad = by["bad"]
    assert not bad.ok and bad.stage == "execute" and bad.error_name == "ValueError"
    assert bad.error_cell_index == 2 and not (tmp_path / "2.post").exists()
    assert (tmp_path / "2.ipynb").exists()
    assert by["post-fails"].stage == "post" and "không ghi được" in by["post-fails"].error_value
    assert by["unpicklable"].stage == "submit"
    assert multiprocessing.active_children() == []


def test_run_many_in_process(tmp_path):
    jobs = [
        Job("a", FIXTURES / "leak_a.py", {}, tmp_path / "a.ipynb"),
        Job("b", FIXTURES / "leak_b.py", {}, tmp_path / "b.ipynb", post=record_post),
        Job("c", FIXTURES / "leak_b.py", {}, tmp_path / "c.ipynb",
            post=functools.partial(record_post)),
    ]
    done = []
    results = run_many(jobs, workers=0, on_done=lambda r: done.append(r.key))
    assert done == ["a", "b", "c"] and all(r.ok for r in results)
    assert results[1].post_value["pid"] == os.getpid()
    assert results[2].post_value["key"] == "c"


@pytest.mark.slow
def test_run_many_ctrl_c_stops_workers_and_kernels(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # kernels' private dirs land here
    jobs = [Job("quick", FIXTURES / "leak_a.py", {}, tmp_path / "q.ipynb")] + [
        Job(f"s{i}", FIXTURES / "sleep_nb.py", {}, tmp_path / f"s{i}.ipynb") for i in range(3)
    ]
    done: list[str] = []

    def ctrl_c_soon(result: JobResult) -> None:
        # once the worker has moved on to a 60 s notebook, the user presses Ctrl-C
        done.append(result.key)
        threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT)).start()

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_many(jobs, workers=1, on_done=ctrl_c_soon, warmup=None)
    assert done == ["quick"]
    assert time.perf_counter() - t0 < 50  # the sleeping notebook (60 s) was not awaited
    assert multiprocessing.active_children() == []
    assert list(tmp_path.glob("tccsd-kernel-*")) == []  # the busy worker's kernel is gone
    assert not (tmp_path / "s0.ipynb").exists()  # nothing half-written


def test_pool_started_ahead_runs_jobs_and_reports_cpu(tmp_path, monkeypatch):
    """A pool started before the jobs are known (the build starts it before validating) is
    used by run_many; each result carries the CPU seconds of the notebook's kernel, which
    a CPU-bound cell makes at least its own duration."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # kernels' private dirs land here
    nb = tmp_path / "busy.py"
    # 0.5 s of pure CPU in the kernel (not sleep: sleeping costs no CPU)
    nb.write_text(
        "# %%\nimport time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n"
        "    pass\n"
    )
    pool = WarmKernelPool(1, preload=(), warmup=None).start()
    jobs = [Job(k, nb, {}, tmp_path / f"{k}.ipynb") for k in ("a", "b")]
    results = run_many(jobs, pool=pool)
    assert [r.key for r in results] == ["a", "b"] and all(r.ok for r in results)
    assert results[0].worker_pid == results[1].worker_pid  # the one pre-started worker
    for r in results:
        assert r.cpu_seconds is not None and 0.5 <= r.cpu_seconds < 0.5 + r.exec_seconds + 1
    pool.close()  # nothing left to stop: run() took the workers over
    assert multiprocessing.active_children() == []


def test_pool_started_ahead_and_never_used_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with WarmKernelPool(1, preload=(), warmup=None) as pool:  # e.g. data errors: no report
        (worker,) = pool._started
        assert worker.proc.is_alive()
    assert not worker.proc.is_alive()
    assert multiprocessing.active_children() == []
    assert list(tmp_path.glob("tccsd-kernel-*")) == []


def test_kernel_preload_stays_light():
    """The warm-up imports every module a report notebook needs, but not scipy or
    statsmodels (~2 s of CPU per kernel): the review is computed by the build, and the
    modules a pickled Review brings (analysis.measure.integrity) import scipy lazily."""
    import subprocess
    import sys

    from analysis.run.executor import DEFAULT_PRELOAD

    code = (
        "import importlib, sys\n"
        f"for name in {list(DEFAULT_PRELOAD)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in ('scipy', 'statsmodels', 'weasyprint') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
