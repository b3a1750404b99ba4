"""Two builds of the same data and parameters, in two folders, with the same
``SOURCE_DATE_EPOCH``, give byte-identical files: HTML, PDF, both workbooks, the index page,
the CSV tables, the manifests and the cached indicator bundle. The build's timing record
(``.cache/build-times.json``) is only required to be present and complete in both.

Executed notebooks are compared without what records when and where they ran (papermill's
start and end times, durations and output path, nbclient's execution timestamps, the random
id papermill gives the injected parameters cell): they are the audit trail of one run, and
that run's timing is part of what they record. Parameters, code and every output must match.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest

from tests.run.fixtures import buildkit


def test_findings_workbook_does_not_depend_on_the_clock(tmp_path, monkeypatch):
    """openpyxl's own save stamps the wall clock into the properties and zip entries."""
    import time

    import pandas as pd

    from analysis.data.findings import FINDING_HEADERS_VI
    from analysis.run.findings_files import write_findings_xlsx

    findings = pd.DataFrame([{c: "giá trị" for c in FINDING_HEADERS_VI}])
    write_findings_xlsx(findings, tmp_path / "a.xlsx")
    later = time.time() + 3 * 3600 + 7
    monkeypatch.setattr(time, "time", lambda: later)
    write_findings_xlsx(findings, tmp_path / "b.xlsx")
    monkeypatch.undo()
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2020, 7, 1, 0, 0, 0)}


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    first = buildkit.reference(tmp_path_factory, "B")
    root = tmp_path_factory.mktemp("again")
    out, net_log, log = root / "out", root / "net.log", root / "build.log"
    net_log.touch()
    status, _ = buildkit.run_build(first.data, out, net_log, log)
    assert status == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    return first, out, buildkit.file_hashes(out)


@pytest.mark.slow
def test_every_file_is_byte_identical(twice):
    first, out, second = twice
    assert set(second) == set(first.hashes)
    kinds = {rel.rsplit(".", 1)[-1] for rel in second}
    assert {"html", "pdf", "xlsx", "csv", "ipynb", "json", "pkl"} <= kinds, kinds
    differing = sorted(rel for rel in second if second[rel] != first.hashes[rel])
    assert differing == []


@pytest.mark.slow
def test_dates_come_from_source_date_epoch(twice):
    """Not the clock: every date embedded in the outputs is 2020-07-01 (tests/conftest.py)."""
    _, out, _ = twice
    from pypdf import PdfReader

    info = PdfReader(out / "final" / "son_dong" / "report.pdf").metadata
    # WeasyPrint writes no creation date unless asked; if one appears it must be the epoch's
    assert info.creation_date is None or info.creation_date.date() == dt.date(2020, 7, 1)
    for report in ("son_dong", "bac_giang"):
        html = (out / "final" / report / "report.html").read_text(encoding="utf-8")
        assert "01 tháng 7 năm 2020" in html, report  # the title page's build date
    for book in ("findings.xlsx", "final/appendix.xlsx"):
        with zipfile.ZipFile(out / book) as zf:
            assert {i.date_time[:3] for i in zf.infolist()} == {(2020, 7, 1)}, book
            core = zf.read("docProps/core.xml").decode()
        assert core.count("2020-07-01T00:00:00Z") == 2, (book, core)  # created, modified
    assert "dựng ngày 01 tháng 7 năm 2020" in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_executed_notebooks_differ_only_in_run_records(twice):
    first, out, _ = twice
    for rel in ("final/son_dong/report.ipynb", "final/bac_giang/report.ipynb"):
        a = json.loads((first.out / rel).read_bytes())
        b = json.loads((out / rel).read_bytes())
        assert a["metadata"]["papermill"]["parameters"] == b["metadata"]["papermill"]["parameters"]
        assert [c["source"] for c in a["cells"]] == [c["source"] for c in b["cells"]]
        assert buildkit.normalised_notebook((first.out / rel).read_bytes()) \
            == buildkit.normalised_notebook((out / rel).read_bytes())
