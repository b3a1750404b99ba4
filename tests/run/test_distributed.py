"""``build --scheduler``: the same reports on a Dask cluster (a 2-worker ``LocalCluster``).

Expected values come from the local pool: a cluster build must write the same files with the
same bytes (the executed notebooks differ only in papermill's timings and their own path), and
a worker killed in the middle of a report must not lose or duplicate anything.
"""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from analysis import config
from analysis.cli import main
from analysis.run import distributed as cluster_run
from analysis.run.build import build
from analysis.run.files import read_manifest

#: Province + one district + one sector committee, final review only, HTML: small but every
#: kind of report (the province notebook and the unit notebook).
UNITS = "province,son_dong,cong_an"
REPORT_DIRS = {"final/bac_giang", "final/son_dong", "final/cong_an"}
BUILD_ARGS = ["--unit", UNITS, "--assessment", "final", "--formats", "html"]
#: Files whose bytes depend on where or when they were built, not on what was built.
NOT_COMPARED = {".build.lock", ".code"}


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as lc:
        yield lc


@pytest.fixture(scope="module")
def local_build(tmp_path_factory) -> Path:
    """The reference: the same reports built by the local warm-kernel pool."""
    out = tmp_path_factory.mktemp("local")
    (out / ".code").write_text(cluster_run.code_digest())
    status = build(config.DEMO_DATA_DIR, assessment="final", unit=UNITS, jobs=2,
                   formats=("html",), out=out, console=Console(file=io.StringIO(), width=200))
    assert status == 0
    return out


def _normal_notebook(path: Path) -> dict:
    """An executed notebook without papermill's clock readings and its own output path."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    timing = ("start_time", "end_time", "duration")
    pm = nb["metadata"]["papermill"]
    for key in (*timing, "output_path"):
        pm.pop(key, None)
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell.pop("id", None)  # papermill gives the cell it adds a random id
        for key in timing:
            cell["metadata"].get("papermill", {}).pop(key, None)
    return nb


def _files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in root.rglob("*")
        if p.is_file() and ".cache" not in p.parts and p.name not in NOT_COMPARED
    }


def assert_same_outputs(local: Path, remote: Path) -> None:
    if (local / ".code").read_text() != cluster_run.code_digest():
        # Only in a work tree being edited while the test runs: the manifests' digests (and
        # maybe the reports) then differ for a reason that has nothing to do with Dask.
        pytest.skip("package sources or notebooks changed between the two builds")
    a, b = _files(local), _files(remote)
    assert sorted(a) == sorted(b)
    for rel, path in a.items():
        if rel.endswith(".ipynb"):
            assert _normal_notebook(path) == _normal_notebook(b[rel]), rel
        else:
            assert path.read_bytes() == b[rel].read_bytes(), rel


def assert_reports_complete(out: Path) -> None:
    """Every planned report exactly once, with a valid manifest whose products all exist,
    and no temporary file anywhere."""
    dirs = {p.parent.relative_to(out).as_posix() for p in out.rglob(".manifest.json")}
    assert dirs == REPORT_DIRS
    for rel in REPORT_DIRS:
        manifest = read_manifest(out / rel)
        assert manifest is not None, rel
        assert set(manifest["products"]) == {"report.ipynb", "report.html"}
        for name in manifest["products"]:
            assert (out / rel / name).stat().st_size > 0
        assert sorted(p.name for p in (out / rel).iterdir()) == [
            ".manifest.json", "report.html", "report.ipynb"
        ]
        html = (out / rel / "report.html").read_text(encoding="utf-8")
        assert html.rstrip().endswith("</html>")
    assert [p for p in out.rglob("*") if ".tmp-" in p.name] == []


class TestScratchMirror:
    """In scatter mode a worker runs the notebook in its scratch folder, where the report's
    own relative ``bundle_path`` must lead to the bundle copy (paths worked out by hand)."""

    def test_province_layout(self, tmp_path):
        cwd, bundle = cluster_run._mirror(
            tmp_path, Path("/shared/out/final/son_dong"), "../../.cache/review-ab.pkl"
        )
        assert cwd == tmp_path / "run" / "final" / "son_dong"
        assert bundle == tmp_path / "run" / ".cache" / "review-ab.pkl"

    def test_country_layout_reaches_the_same_bundle_folder(self, tmp_path):
        cwd, bundle = cluster_run._mirror(
            tmp_path, Path("/shared/out/final/p01/p01_d01"), "../../../.cache/review-ab-p01.pkl"
        )
        assert cwd == tmp_path / "run" / "final" / "p01" / "p01_d01"
        assert bundle == tmp_path / "run" / ".cache" / "review-ab-p01.pkl"

    def test_a_path_leaving_the_scratch_folder_is_refused(self, tmp_path):
        with pytest.raises(ValueError):
            cluster_run._mirror(tmp_path, Path("/out/final/x"), "../.cache/../../../x.pkl")


def test_unreachable_scheduler_fails_every_job_without_raising(monkeypatch):
    from analysis.run.jobs import Job

    monkeypatch.setattr(cluster_run, "CONNECT_TIMEOUT", 0.5)
    jobs = [Job(key=f"final/u{i}", nb_path=Path("nb.py"), parameters={},
                output_ipynb=Path(f"u{i}/report.ipynb")) for i in range(2)]
    seen = []
    results = cluster_run.run_on_cluster(jobs, "tcp://127.0.0.1:9", on_done=seen.append)
    assert [(r.key, r.ok, r.stage) for r in results] == [
        ("final/u0", False, "submit"), ("final/u1", False, "submit")
    ]
    assert "tcp://127.0.0.1:9" in results[0].error_value
    assert seen == results


def test_unreachable_scheduler_is_refused_before_anything_is_written(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(cluster_run, "CONNECT_TIMEOUT", 1.0)
    out = tmp_path / "out"
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    status = main(["build", *BUILD_ARGS, "--out", str(out), "--scheduler", address])
    assert status == 2
    printed = capsys.readouterr().out
    assert f"Không kết nối được bộ điều phối Dask tại {address}" in printed
    assert not out.exists()


def _running_on(dask_scheduler) -> list[tuple[str, int]]:
    """(task key, worker pid) of every report task a worker holds (runs on the scheduler)."""
    return [
        (str(ts.key), ts.processing_on.pid)
        for ts in dask_scheduler.tasks.values()
        if ts.processing_on is not None and "/" in str(ts.key)
    ]


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_cluster_build_equals_a_local_build_even_when_a_worker_is_killed(
    dask_cluster, local_build, tmp_path, capsys
):
    """One cluster build checks both promises (one build, to keep the suite fast): the files
    are those of the local pool, byte for byte, and a worker SIGKILLed in the middle of a
    report loses nothing and duplicates nothing (the scheduler reruns the report elsewhere;
    atomic writes, manifest last, leftovers of the dead attempt removed)."""
    from distributed import Client

    out = tmp_path / "cluster"
    killed: dict[str, object] = {}
    build_over = threading.Event()

    def kill_a_busy_worker() -> None:
        """Once the first report is in, SIGKILL a worker that holds an unfinished report."""
        with Client(dask_cluster.scheduler_address, set_as_default=False) as spy:
            while not build_over.is_set() and "pid" not in killed:
                done = list(out.glob("final/*/.manifest.json"))
                if done:
                    for key, pid in spy.run_on_scheduler(_running_on):
                        report = key.rsplit("-", 1)[0]  # "final/son_dong-<token>"
                        if not (out / report / ".manifest.json").exists():
                            killed.update(pid=pid, report=report)
                            os.kill(pid, signal.SIGKILL)
                            break
                time.sleep(0.05)

    spy = threading.Thread(target=kill_a_busy_worker, daemon=True)
    spy.start()
    status = main(["build", *BUILD_ARGS, "--out", str(out),
                   "--scheduler", dask_cluster.scheduler_address])
    build_over.set()
    spy.join(timeout=30)
    printed = capsys.readouterr().out
    assert "pid" in killed, "no worker was busy with an unfinished report"
    assert not _alive(killed["pid"])
    assert status == 0, printed
    assert "Đã dựng 3, không đổi 0, lỗi 0" in printed  # the same progress and summary
    # The killed report had no manifest when its worker died: it was written by the retry.
    assert_reports_complete(out)
    assert_same_outputs(local_build, out)


@pytest.mark.slow
def test_a_multi_province_build_runs_on_the_cluster(dask_cluster, tmp_path, capsys):
    """A synthetic 2-province country: the national report, a province report and a unit
    report of the other province, i.e. three review bundles sent to the workers; the files
    equal those of the same build on the local pool."""
    from analysis.data.demo import write_country

    data = tmp_path / "country"
    write_country(data, n_provinces=2, seed=7)
    args = ["build", "--data", str(data), "--unit", "national,p01,p02_s04",
            "--assessment", "final", "--formats", "html"]
    local = tmp_path / "local"
    local.mkdir()
    (local / ".code").write_text(cluster_run.code_digest())
    assert main([*args, "--out", str(local), "--jobs", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "cluster"
    status = main([*args, "--out", str(out), "--scheduler", dask_cluster.scheduler_address])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "Đã dựng 3, không đổi 0, lỗi 0" in printed
    dirs = {p.parent.relative_to(out).as_posix() for p in out.rglob(".manifest.json")}
    assert dirs == {"final/national", "final/p01/p01", "final/p02/p02_s04"}
    assert len(list((out / ".cache").glob("review-*.pkl"))) == 3  # national + 2 provinces
    for rel in dirs:
        manifest = read_manifest(out / rel)
        assert manifest is not None and manifest["assessment_id"] == "final"
        assert (out / rel / "report.html").read_text(encoding="utf-8").rstrip().endswith(
            "</html>"
        )
    assert [p for p in out.rglob("*") if ".tmp-" in p.name] == []
    (out / ".code").write_text(cluster_run.code_digest())
    assert_same_outputs(local, out)
