"""Guards around the build: one build per output folder, no personal names in any output."""

from __future__ import annotations

import csv
import io

from rich.console import Console

from analysis import config
from analysis.run.build import build
from analysis.run.files import BuildLock


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_a_second_build_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    console = quiet_console()
    with BuildLock(out):
        status = build(config.DEMO_DATA_DIR, out=out, tables_only=True, console=console)
    assert status == 2
    assert "đang chạy vào thư mục" in console.file.getvalue()
    assert not (out / "tables").exists()


def test_a_names_column_is_dropped_and_never_reaches_an_output(demo_copy, tmp_path):
    path = demo_copy / "officials.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("Họ và tên")
    for i, row in enumerate(rows[1:], start=1):
        row.append(f"Nguyễn Văn Thử{i}")
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    out = tmp_path / "out"
    console = quiet_console()
    status = build(demo_copy, out=out, tables_only=True, console=console)
    assert status == 0
    import openpyxl

    findings = openpyxl.load_workbook(out / "findings.xlsx").active
    messages = [str(r[6]) for r in findings.iter_rows(min_row=2, values_only=True)]
    assert any("họ tên" in m for m in messages)
    for produced in out.rglob("*"):
        if not produced.is_file():
            continue
        if produced.suffix == ".xlsx":  # zipped: read the cells
            book = openpyxl.load_workbook(produced)
            text = " ".join(str(v) for ws in book.worksheets
                            for row in ws.iter_rows(values_only=True) for v in row if v)
        else:
            text = produced.read_bytes().decode("utf-8", errors="replace")
        assert "Nguyễn Văn Thử" not in text, produced


def test_a_resumed_build_reuses_a_complete_review_and_recomputes_a_damaged_one(
    tmp_path, monkeypatch
):
    """The review bundle is named by every input of the review, so a second build of the same
    data (another unit, or a re-run after a crash) reuses it; a damaged file is recomputed
    and replaced, never handed to the notebooks."""
    import pickle

    import analysis.measure.review as review_module
    import analysis.run.build as build_module

    computed = []
    real = review_module.compute_build_review

    def counting(*args, **kwargs):
        computed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(review_module, "compute_build_review", counting)
    # No notebooks: only the review and its bundle are under test.
    monkeypatch.setattr(build_module, "_start_early_pool", lambda *a, **k: None)
    def pretend_built(todo, *args, **kwargs):
        for report in todo:
            report.status = "built"

    monkeypatch.setattr(build_module, "_run_reports", pretend_built)
    out = tmp_path / "out"

    def run(unit: str) -> int:
        return build(config.DEMO_DATA_DIR, assessment="final", unit=unit, formats=("html",),
                     out=out, console=quiet_console())

    assert run("son_dong") == 0
    assert len(computed) == 1
    (bundle,) = (out / ".cache").glob("review-*.pkl")
    first = bundle.read_bytes()
    assert run("yen_the") == 0
    assert len(computed) == 1, "the complete bundle of the same inputs was not reused"
    assert bundle.read_bytes() == first

    bundle.write_bytes(first[: len(first) // 2])  # as if cut short by another program
    assert run("viet_yen") == 0
    assert len(computed) == 2
    assert bundle.read_bytes() == first  # recomputed and rewritten whole
    assert pickle.loads(bundle.read_bytes()).province_code == "bac_giang"
