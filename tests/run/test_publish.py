"""Publishing mode end to end: ``build --publish`` writes the published appendices only.

Expected numbers come from the raw demo CSV (officials of 2020 counted by hand with pandas):
Thành phố Bắc Giang has 1 key commune official without a university degree and Huyện Việt
Yên 2 without intermediate political theory. The published appendices (Excel, HTML, PDF) must
show "<3" for them and no 1–2 count of people anywhere in the people-count tables; no report,
notebook, cache or internal file may be written; the internal appendix of the same Review
shows the real numbers. No notebook runs, so the whole module takes seconds.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pypdf
import pytest

from analysis import config
from analysis.cli import main

UNIT = "tp_bac_giang"
#: The people-count tables (``people_counts: true`` in params/appendices.yaml), by number.
PEOPLE_TABLES = {
    3: "Số đảng viên được kết nạp",
    7: "Số cán bộ chủ chốt cấp xã chưa có trình độ đại học",
    8: "Số cán bộ chủ chốt cấp xã chưa có trình độ trung cấp lý luận chính trị",
}
PUBLISHED = {"index.html", "final/appendix.xlsx", "final/appendix.html", "final/appendix.pdf"}
#: tests/conftest.py pins SOURCE_DATE_EPOCH to 2020-07-01; the official Vietnamese date style
#: pads days below 10 and not months from March (Nghị định 30/2020/NĐ-CP).
BUILD_DATE_VI = "01 tháng 7 năm 2020"
A4_POINTS = (595.28, 841.89)  # 210 × 297 mm at 72 pt per inch


def officials_2020_without(column: str, good: set[str]) -> pd.Series:
    """Key commune officials of 2020 lacking ``column`` in ``good``, per district (raw CSV)."""
    officials = pd.read_csv(config.DEMO_DATA_DIR / "officials.csv")
    units = pd.read_csv(config.DEMO_DATA_DIR / "units.csv").set_index("code")
    rows = officials[officials["snapshot_year"] == 2020]
    district = rows["commune_code"].map(units["parent_code"])
    return (~rows[column].isin(good)).groupby(district).sum()


def summary_2020_without(numerator: str) -> pd.Series:
    """The same count for units that send only the summary table (raw CSV)."""
    summary = pd.read_csv(config.DEMO_DATA_DIR / "unit_summary.csv")
    rows = summary[(summary["year"] == 2020) & summary["officials_total"].notna()]
    return (rows["officials_total"] - rows[numerator]).set_axis(rows["unit_code"])


def run_cli(args: list[str]) -> tuple[int, str]:
    """``python -m analysis`` in-process: exit status and what it printed (spaces collapsed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(args)
    return status, " ".join(out.getvalue().split())


def files_under(folder: Path) -> set[str]:
    """Every file below ``folder``, relative, the build's own dot-files (lock, record) aside."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".build")
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """``build --publish`` through the CLI into the default folder; the Review is kept (by
    wrapping the writer the build calls) for the internal comparison."""
    import analysis.run.publish as publish_module

    root = tmp_path_factory.mktemp("outputs")
    seen = {}
    original = publish_module.write_published_appendices

    def keep_review(review, *args, **kwargs):
        seen["review"] = review
        return original(review, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TCCSD_OUTPUTS", str(root))
        mp.setattr(publish_module, "write_published_appendices", keep_review)
        status, printed = run_cli(["build", "--publish", "--assessment", "final"])
    return root, status, printed, seen


def sheet_rows(ws):
    """(label, values…) of the data rows under the header (row 3) up to the blank row."""
    rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(row[1:])
    return rows


def html_block(page: str, number: int) -> str:
    """Appendix table ``number`` of a page with the notes under it (one ``tccsd-appendix``)."""
    marker = f'id="phu-luc-{number}"'
    blocks = [b for b in page.split('<div class="tccsd-appendix">') if marker in b]
    assert len(blocks) == 1, number
    return blocks[0]


def html_rows(block: str) -> list[list[str]]:
    """The unit and total rows of one appendix table: [label, cells…]."""
    rows = []
    for tr in re.findall(r'<tr class="(?:unit|total)">(.*?)</tr>', block, re.S):
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        rows.append(cells[1:])
    return rows


def pdf_rows(text: str, number: int) -> dict[str, list[str]]:
    """Unit rows of appendix table ``number`` in the PDF text: unit name → value tokens.

    A row reads ``STT name values…``; the name is the run of words with letters.
    """
    start = re.search(rf"^Phụ lục {number}\. .*\nĐơn vị tính", text, re.M)
    assert start, number
    segment = text[start.end():text.index("Nguồn:", start.end())]
    rows = {}
    for line in segment.splitlines():
        tokens = line.split()
        if len(tokens) < 3 or not tokens[0].isdigit():
            continue
        name = [t for t in tokens[1:] if re.search(r"[^\W\d_]", t) and t != "x"]
        rows[" ".join(name)] = tokens[1 + len(name):]
    return rows


class TestPublishBuild:
    def test_writes_only_the_published_appendices(self, published):
        root, status, printed, _ = published
        assert status == 0, printed
        assert sorted(p.name for p in root.iterdir()) == ["publish"]  # the default folder
        out = root / "publish"
        assert files_under(out) == PUBLISHED
        assert not (out / ".cache").exists()
        assert "Bản công bố chỉ gồm các phụ lục số liệu" in printed
        assert "Báo cáo đầy đủ là tài liệu nội bộ" in printed
        index = (out / "index.html").read_text("utf-8")
        for rel in PUBLISHED - {"index.html"}:
            assert f"href='{rel}'" in index, rel
        assert "report.html" not in index

    def test_workbook_hides_small_counts_and_keeps_numbers(self, published):
        root, _, _, _ = published
        wb = openpyxl.load_workbook(root / "publish" / "final" / "appendix.xlsx")
        no_degree = officials_2020_without("education", {"dai_hoc", "sau_dai_hoc"})
        no_theory = officials_2020_without("theory", {"trung_cap", "cao_cap"})
        assert no_degree[UNIT] == 1 and no_theory["viet_yen"] == 2  # the demo's small groups
        for number, title in PEOPLE_TABLES.items():
            ws = wb[f"PL{number}"]
            assert ws["A1"].value == f"Phụ lục {number}. {title}"
            rows = sheet_rows(ws)
            for label, *values in rows:
                for v in values:
                    assert v is None or v in ("<3", "x") or (
                        isinstance(v, int | float) and v not in (1, 2)), (title, label, v)
            total = rows[-1]
            assert total[0] == "Toàn tỉnh"
            assert all(isinstance(v, int | float) for v in total[1:] if v is not None)
        degree = {r[0]: r[-1] for r in sheet_rows(wb["PL7"])}
        theory = {r[0]: r[-1] for r in sheet_rows(wb["PL8"])}
        assert degree["Thành phố Bắc Giang"] == "<3" and theory["Huyện Việt Yên"] == "<3"
        # totals are real: the province row is the sum over every district (raw CSV; detail
        # wins where a district sends both)
        summary_only = summary_2020_without("officials_university").drop(no_degree.index,
                                                                            errors="ignore")
        assert degree["Toàn tỉnh"] == no_degree.sum() + summary_only.sum()
        # a second cell per column is hidden, so the total minus the rest is not the count
        for column in (degree, theory):
            assert list(column.values()).count("x") >= 1
        # the rate tables hide the same districts
        rate = {r[0]: r[-1] for r in sheet_rows(wb["PL5"])}
        assert rate["Thành phố Bắc Giang"] == "x"
        assert isinstance(rate["Huyện Sơn Động"], float)

    def test_html_document_states_the_rule_and_hides_small_counts(self, published):
        root, _, _, seen = published
        page = (root / "publish" / "final" / "appendix.html").read_text("utf-8")
        assert "<h1>Phụ lục số liệu — Báo cáo tổng kết (2020)</h1>" in page
        assert "Tỉnh Bắc Giang" in page and BUILD_DATE_VI in page
        assert seen["review"].fingerprint in page
        rule = page.index("Bản công bố: để bảo vệ thông tin cá nhân")
        assert rule < page.index('id="phu-luc-1"')  # the rule comes before any table
        assert re.findall(r'id="phu-luc-(\d+)"', page) == [str(n) for n in range(1, 11)]
        assert not re.search(r"<script|<link|https?://", page)
        for number in PEOPLE_TABLES:
            block = html_block(page, number)
            assert "Bản công bố: “&lt;3” là ô có 1 hoặc 2 người" in block  # note under it
            rows = html_rows(block)
            assert len(rows) >= 11 and rows[-1][0] == "Toàn tỉnh"
            for label, *cells in rows:
                assert not {"1", "2"} & set(cells), (number, label)
        assert {r[0]: r[-1] for r in html_rows(html_block(page, 7))}[
            "Thành phố Bắc Giang"] == "<3"
        assert {r[0]: r[-1] for r in html_rows(html_block(page, 8))}["Huyện Việt Yên"] == "<3"
        assert "Bản công bố" not in html_block(page, 1)  # organizations: published in full

    def test_pdf_is_a4_with_vietnamese_text_and_no_small_counts(self, published):
        root, _, _, _ = published
        reader = pypdf.PdfReader(root / "publish" / "final" / "appendix.pdf")
        for page in reader.pages:
            box = page.mediabox
            assert float(box.width) == pytest.approx(A4_POINTS[0], abs=1)
            assert float(box.height) == pytest.approx(A4_POINTS[1], abs=1)
        text = "\n".join(page.extract_text() for page in reader.pages)
        first = reader.pages[0].extract_text()
        assert "Phụ lục số liệu — Báo cáo tổng kết (2020)" in first
        assert "Quy tắc công bố số liệu" in first and BUILD_DATE_VI in first
        for number in PEOPLE_TABLES:
            rows = pdf_rows(text, number)
            assert len(rows) >= 10, (number, rows)
            for name, values in rows.items():
                assert values and not {"1", "2"} & set(values), (number, name, values)
        no_degree = officials_2020_without("education", {"dai_hoc", "sau_dai_hoc"})
        assert no_degree["son_dong"] >= 3  # a cell shown as it is (hand count, raw CSV)
        assert pdf_rows(text, 7)["Huyện Sơn Động"][-1] == str(no_degree["son_dong"])
        assert pdf_rows(text, 7)["Thành phố Bắc Giang"][-1] == "<3"
        assert pdf_rows(text, 8)["Huyện Việt Yên"][-1] == "<3"

    def test_internal_appendix_of_the_same_review_keeps_the_real_numbers(self, published,
                                                                          tmp_path):
        from analysis.run.build_files import write_appendices

        _, _, _, seen = published
        path = write_appendices(seen["review"], "final", tmp_path / "appendix.xlsx",
                                publish=False)
        wb = openpyxl.load_workbook(path)
        assert {r[0]: r[-1] for r in sheet_rows(wb["PL7"])}["Thành phố Bắc Giang"] == 1
        assert {r[0]: r[-1] for r in sheet_rows(wb["PL8"])}["Huyện Việt Yên"] == 2
        cells = [v for ws in wb.worksheets[1:] for r in sheet_rows(ws) for v in r[1:]]
        assert "<3" not in cells and "x" not in cells

    def test_published_files_are_reproducible(self, published, tmp_path):
        from analysis.run.publish import write_published_appendices

        root, _, _, seen = published
        paths = write_published_appendices(seen["review"], "final", tmp_path,
                                           ("xlsx", "html", "pdf"))
        assert len(paths) == 3
        for path in paths:
            built = root / "publish" / "final" / path.name
            assert path.read_bytes() == built.read_bytes(), path.name

    def test_rebuild_with_nothing_changed_is_skipped(self, published, monkeypatch):
        root, _, _, _ = published
        out = root / "publish"
        before = {rel: (out / rel).stat().st_mtime_ns for rel in PUBLISHED}
        monkeypatch.setenv("TCCSD_OUTPUTS", str(root))
        status, printed = run_cli(["build", "--publish", "--assessment", "final"])
        assert status == 0
        assert "không đổi từ lần dựng trước: mọi phụ lục đã cập nhật" in printed
        assert {rel: (out / rel).stat().st_mtime_ns for rel in PUBLISHED} == before

    def test_an_internal_build_never_writes_into_a_publish_folder(self, published):
        root, _, _, _ = published
        out = root / "publish"
        status, printed = run_cli(["build", "--assessment", "final", "--out", str(out)])
        assert status == 2
        assert "đang chứa bản công bố" in printed and "final/appendix.html" in printed
        assert files_under(out) == PUBLISHED


def test_a_publish_build_never_writes_into_an_internal_folder(tmp_path):
    from analysis.data.findings import FINDING_HEADERS_VI
    from analysis.run.findings_files import write_findings_xlsx

    internal = tmp_path / "outputs"
    internal.mkdir()
    # what an internal build leaves first: the findings workbook (names units and rows)
    write_findings_xlsx(pd.DataFrame(columns=list(FINDING_HEADERS_VI)),
                        internal / "findings.xlsx")
    status, printed = run_cli(["build", "--publish", "--out", str(internal)])
    assert status == 2
    assert "đang chứa bản dựng nội bộ" in printed and "findings.xlsx" in printed
    assert files_under(internal) == {"findings.xlsx"}


def test_data_errors_stop_a_publish_build_without_saving_findings(demo_copy, tmp_path):
    officials = demo_copy / "officials.csv"
    with officials.open("a", encoding="utf-8") as handle:  # an unknown commune: an error
        handle.write("2020,2015_2020,khong_co_xa,bi_thu,1,dai_hoc,cao_cap,khong\n")
    out = tmp_path / "pub"
    status, printed = run_cli(["build", "--publish", "--data", str(demo_copy), "--out",
                               str(out)])
    assert status == 1
    assert "khong_co_xa" in printed  # the findings are printed
    assert "Bản công bố không lưu kết quả kiểm tra ra tệp" in printed
    assert "findings.xlsx" not in printed
    assert files_under(out) == set()


def test_publish_refuses_tables_only(tmp_path):
    status = main(["build", "--publish", "--tables-only", "--out", str(tmp_path / "pub")])
    assert status == 2
    assert not (tmp_path / "pub").exists()
