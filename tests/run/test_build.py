"""The build command end to end: stops on errors, writes tables, builds reports, skips, fails
cleanly for one unit."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from analysis import config
from analysis.cli import main
from analysis.run.build import build


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=200)


def set_cell(csv_path: Path, row_index: int, column: str, value: str) -> int:
    """Change one cell of a CSV; return the Excel row number users would see (header = 1)."""
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fh.seek(0)
        header = next(csv.reader(fh))
    rows[row_index][column] = value
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return row_index + 2


class TestBuildStopsOnErrors:
    def test_error_finding_stops_before_any_report(self, demo_copy, tmp_path, capsys):
        excel_row = set_cell(demo_copy / "organizations.csv", 4, "members_total", "-5")
        out = tmp_path / "out"
        status = main(["build", "--data", str(demo_copy), "--out", str(out)])
        assert status == 1
        printed = capsys.readouterr().out
        assert "chưa báo cáo nào được ghi" in printed
        assert f"dòng {excel_row}" in printed
        assert (out / "findings.xlsx").is_file()
        assert not (out / "final").exists() and not (out / "midterm").exists()
        assert not (out / "index.html").exists()

    def test_unknown_assessment_is_a_usage_error(self, tmp_path):
        status = build(config.DEMO_DATA_DIR, assessment="ex_post", out=tmp_path,
                       console=quiet_console())
        assert status == 2


class TestTablesOnly:
    def test_writes_summary_and_indicator_tables(self, tmp_path):
        status = build(config.DEMO_DATA_DIR, out=tmp_path, tables_only=True,
                       console=quiet_console())
        assert status == 0
        for name in ("summary.csv", "indicators.csv", "progress_midterm.csv",
                     "progress_final.csv"):
            assert (tmp_path / "tables" / name).is_file()
        text = (tmp_path / "tables" / "summary.csv").read_text(encoding="utf-8-sig")
        header = text.splitlines()[0].split(",")
        assert {"unit_code", "year", "orgs_total", "admissions"} <= set(header)
        # one row per reporting unit and year: 14 units × 6 years, less yen_dung 2017
        rows = [r for r in csv.DictReader(io.StringIO(text))
                if r["level"] in ("district", "sector")]
        assert len(rows) == 14 * 6 - 1


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.mark.slow
def assert_province_block_is_the_sum(title, rows):
    """Rows of a block sheet: a block header (no STT, a name), then numbered rows."""
    blocks: dict[str, dict[str, tuple]] = {}
    current = None
    for r in rows[3:]:
        if r[0] is None and r[1] and not str(r[1]).startswith(("-", "Nguồn")):
            current = str(r[1])
            blocks[current] = {}
        elif current and isinstance(r[0], int):
            blocks[current][r[1]] = r[2:]
    assert blocks, title
    province_name, province = next(iter(blocks.items()))
    assert province_name.startswith("Tỉnh "), (title, province_name)
    units = [b for name, b in blocks.items() if name != province_name]
    assert len(units) == 14, (title, len(units))
    first_label = next(iter(province))
    for year_col, total in enumerate(province[first_label]):
        if not isinstance(total, int):
            continue  # a rate column, or a year without data
        parts = [u[first_label][year_col] for u in units if first_label in u]
        assert total == sum(p for p in parts if isinstance(p, int)), (title, year_col)


class TestFullBuildOfOneUnit:
    """One district and the province, final assessment, every format."""

    @pytest.fixture(scope="class")
    @classmethod
    def built(cls, tmp_path_factory):
        out = tmp_path_factory.mktemp("out")
        console = quiet_console()
        status = build(config.DEMO_DATA_DIR, assessment="final", unit="son_dong,province",
                       jobs=2, out=out, console=console)
        return out, status, console.file.getvalue()

    def test_exit_status_and_products(self, built):
        out, status, log = built
        assert status == 0, log
        for unit in ("son_dong", "bac_giang"):
            for name in ("report.html", "report.pdf", "report.ipynb", ".manifest.json"):
                assert (out / "final" / unit / name).is_file(), (unit, name)
        assert (out / "final" / "appendix.xlsx").is_file()
        assert (out / "index.html").is_file()

    def test_html_is_offline_and_clean(self, built):
        out, _, _ = built
        html = (out / "final" / "son_dong" / "report.html").read_text(encoding="utf-8")
        assert "Sơn Động" in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "Traceback" not in html and "In&nbsp;[" not in html
        assert "from analysis" not in html  # no code cells
        for machine_path in ("/root/", "/work/", "/tmp/", "/home/"):
            assert machine_path not in html

    def test_pdf_has_vietnamese_text_and_verdict_words(self, built):
        import pandas as pd

        out, _, _ = built
        text = pdf_text(out / "final" / "son_dong" / "report.pdf")
        assert "Sơn Động" in text
        assert "Báo cáo tổng kết" in text
        progress = pd.read_csv(out / "tables" / "progress_final.csv")
        shown = progress[(progress.unit_code == "son_dong")
                         & progress.indicator_id.str.match(r"^T\d")]
        words = {"achieved": "Đạt", "on_track": "Đúng tiến độ",
                 "needs_acceleration": "Cần đẩy nhanh", "moving_away": "Đi lùi",
                 "not_assessable": "Không đủ dữ liệu",
                 "not_achieved": "Chưa đạt"}
        flat = re.sub(r"\s+", " ", text)
        for verdict in shown["verdict"].unique():
            assert words[verdict] in flat, verdict

    def test_appendix_numbers_and_totals(self, built):
        import openpyxl

        out, _, _ = built
        wb = openpyxl.load_workbook(out / "final" / "appendix.xlsx")
        counts_checked = 0
        block_sheets = 0
        for ws in wb.worksheets[1:]:
            rows = [r for r in ws.iter_rows(values_only=True)]
            total_row = next((r for r in rows if r and any(c == "Toàn tỉnh" for c in r if c)),
                             None)
            if total_row is None:
                # a sheet of blocks (the province, then each unit: Phụ lục 11-13): the
                # province's counts are the sums of the units' blocks, year by year
                assert_province_block_is_the_sum(ws.title, rows)
                block_sheets += 1
                continue
            label_at = total_row.index("Toàn tỉnh")
            numeric = [c for c in total_row[label_at + 1:] if c is not None]
            assert numeric and all(isinstance(c, int | float) for c in numeric), ws.title
            if "người" in str(rows[1]) or "thôn" in str(rows[1]):
                counts_checked += 1
        assert counts_checked >= 1
        assert block_sheets >= 1

    def test_rebuild_with_nothing_changed_skips_everything(self, built):
        import time

        out, _, _ = built
        console = quiet_console()
        t0 = time.perf_counter()
        status = build(config.DEMO_DATA_DIR, assessment="final", unit="son_dong,province",
                       jobs=2, out=out, console=console)
        assert status == 0
        log = console.file.getvalue()
        assert "mọi báo cáo đã cập nhật" in log.replace("\n", " "), log
        print(f"rebuild with nothing changed: {time.perf_counter() - t0:.1f} s")
        # --force, or any change, goes back to the per-report check
        console = quiet_console()
        status = build(config.DEMO_DATA_DIR, assessment="final", unit="son_dong,province",
                       jobs=2, out=out, console=console, formats=("html", "pdf", "xlsx"),
                       force=False, tables_only=False)
        assert status == 0


@pytest.mark.slow
def test_a_failing_report_leaves_the_others_built(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("unit_report.py", "province_report.py"):
        text = (config.NOTEBOOKS_DIR / name).read_text(encoding="utf-8")
        if name == "unit_report.py":
            text += ('\n# %%\nif unit_code == "yen_the":\n'
                     '    raise RuntimeError("lỗi thử nghiệm cho một đơn vị")\n')
        (notebooks / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    import jupytext

    # the raising cell is the last one of the notebook (cells counted from 0)
    failing_cell = len(jupytext.read(notebooks / "unit_report.py", fmt="py:percent").cells) - 1
    console = quiet_console()
    # the whole matrix of two units × both assessments: Yên Thế fails in each assessment
    status = build(config.DEMO_DATA_DIR, assessment="all", unit="yen_the,son_dong",
                   jobs=2, out=tmp_path / "out", formats=("html",), console=console)
    log = console.file.getvalue().replace("\\", "/")
    flat = " ".join(log.split())
    assert status == 1
    out = tmp_path / "out"
    for assessment in ("midterm", "final"):
        assert (f"Lỗi {assessment}/yen_the: ô {failing_cell}: RuntimeError: lỗi thử nghiệm "
                "cho một đơn vị") in flat, log
        assert f"{assessment}/yen_the/report.ipynb" in log
        executed = (out / assessment / "yen_the" / "report.ipynb").read_text(encoding="utf-8")
        assert "lỗi thử nghiệm cho một đơn vị" in executed  # the audit trail of the failure
        assert not (out / assessment / "yen_the" / ".manifest.json").exists()
        assert not (out / assessment / "yen_the" / "report.html").exists()
        assert (out / assessment / "son_dong" / "report.html").is_file()
        assert (out / assessment / "son_dong" / ".manifest.json").is_file()
    assert "Đã dựng 2, không đổi 0, lỗi 2" in flat
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("báo cáo chưa được cập nhật") == 2
    assert "midterm/son_dong/report.html" in index and "final/son_dong/report.html" in index
    assert "yen_the/report.html" not in index


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is installed by make test")
def test_pages_load_offline_in_chromium(tmp_path):
    """index.html and a report load from disk with no console error and no failed request."""
    from playwright.sync_api import sync_playwright

    out = tmp_path / "out"
    status = build(config.DEMO_DATA_DIR, assessment="midterm", unit="luc_nam",
                   jobs=1, out=out, formats=("html", "xlsx"), console=quiet_console())
    assert status == 0
    artefacts = tmp_path / "screenshots"
    artefacts.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            for page_path, shot in ((out / "index.html", "index.png"),
                                    (out / "midterm" / "luc_nam" / "report.html", "report.png")):
                page = browser.new_page(viewport={"width": 1200, "height": 1600})
                errors: list[str] = []
                failed: list[str] = []
                remote: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error"
                        else None)
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.on("requestfailed", lambda r, f=failed: f.append(r.url))
                page.on("request", lambda r, rem=remote: rem.append(r.url)
                        if not r.url.startswith(("file:", "data:")) else None)
                page.goto(page_path.as_uri(), wait_until="load")
                assert page.title()
                page.screenshot(path=str(artefacts / shot), full_page=False)
                assert errors == [], errors
                assert failed == [], failed
                assert remote == [], remote
                page.close()
        finally:
            browser.close()
