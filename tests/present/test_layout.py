"""Layout and navigation of the built reports (issue 13, items 13, 14, 16, 17).

The reports are built once per session (``layout_build`` in ``tests/conftest.py``: the final
assessment for Huyện Sơn Động and the province) and read back as text: the HTML, the PDF's
outline and text (pypdf), the embedded charts where needed.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

DISTRICT = "son_dong"
PROVINCE = "bac_giang"


def report_html(root: Path, unit: str) -> str:
    return (root / "final" / unit / "report.html").read_text(encoding="utf-8")


def captions(page: str) -> list[str]:
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<figcaption>(.*?)</figcaption>", page, flags=re.S)]


# --------------------------------------------------------------------- item 13: own scale
class TestCountChartOwnScale:
    def test_district_count_chart_keeps_its_own_axis(self, layout_build):
        """son_dong T5 (135–183 people) is not drawn on the province's 0–2.500 axis."""
        from analysis.present import plots

        ind = pd.read_csv(layout_build / "tables" / "indicators.csv", encoding="utf-8-sig",
                          dtype={"breakdown": str, "series_break": str})
        t5 = ind[(ind["indicator_id"] == "T5")
                 & ind["breakdown"].fillna("").astype(str).isin(["", "total", "all"])]
        mine = t5[t5["unit_code"] == DISTRICT]
        prov = t5[t5["unit_code"] == PROVINCE]
        assert mine["value"].max() < 300 and prov["value"].min() > 2000  # the demo's scale
        fig = plots.trend_chart(mine, province_series=prov[["year", "value"]], unit="count")
        ax = fig.axes[0]
        bottom, top = ax.get_ylim()
        # the district's values and intervals end below 300 people; the axis ends near them
        assert top < 600, (bottom, top)
        assert not [ln for ln in ax.get_lines() if ln.get_gid() == "province"]

    def test_district_rate_chart_still_shows_the_province(self):
        from analysis.present import plots

        df = pd.DataFrame({"year": [2015, 2016], "value": [80.0, 82.0], "unit": "percent"})
        fig = plots.trend_chart(df, province_series=pd.Series({2015: 85.0, 2016: 86.0}))
        assert [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "province"]

    @pytest.mark.parametrize("target", ["T5", "T7"])
    def test_built_caption_says_the_axis_is_the_units(self, layout_build, target):
        caps = [c for c in captions(report_html(layout_build, DISTRICT))
                if c.startswith(f"Diễn biến {target} ")]
        assert len(caps) == 1, caps
        assert "trục dọc theo số liệu của đơn vị" in caps[0]
        assert "và toàn tỉnh" not in caps[0]


# --------------------------------------------------------------------- item 16: navigation
UNITS = (DISTRICT, PROVINCE)


def report_pdf(root: Path, unit: str) -> Path:
    return root / "final" / unit / "report.pdf"


def outline(path: Path) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every PDF bookmark, in order."""
    import pypdf

    reader = pypdf.PdfReader(path)
    out: list[tuple[int, str, int]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return out


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", "", markup))).strip()


class TestNavigation:
    @pytest.mark.parametrize("unit", UNITS)
    def test_pdf_bookmarks_cover_sections_and_appendix_tables(self, layout_build, unit):
        page = report_html(layout_build, unit)
        marks = outline(report_pdf(layout_build, unit))
        titles = [t for _, t, _ in marks]
        sections = [plain(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, flags=re.S)]
        assert len(sections) >= 6
        assert all(s in titles for s in sections), set(sections) - set(titles)
        tables = [plain(t) for t in re.findall(r'<div class="pl-title">(.*?)</div>', page,
                                               flags=re.S)]
        assert len(tables) >= 10
        assert all(t in titles for t in tables), set(tables) - set(titles)
        depth = {t: d for d, t, _ in marks}
        assert all(depth[t] == depth["Phụ lục"] + 1 for t in tables)  # under "Phụ lục"
        pages = [p for _, _, p in marks]
        assert pages == sorted(pages)  # in reading order

    @pytest.mark.parametrize("unit", UNITS)
    def test_contents_page_numbers_are_the_pages_of_the_sections(self, layout_build, unit):
        import pypdf

        first = pypdf.PdfReader(report_pdf(layout_build, unit)).pages[0].extract_text()
        entries = re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", first, flags=re.M)
        assert len(entries) >= 7, first
        starts = {t: p for _, t, p in outline(report_pdf(layout_build, unit))}
        for title, number in entries:
            title = title.strip(" .")
            assert title in starts, (title, sorted(starts))
            assert int(number) == starts[title], (title, number, starts[title])

    @pytest.mark.parametrize("unit", UNITS)
    def test_html_contents_are_links_to_the_sections(self, layout_build, unit):
        page = report_html(layout_build, unit)
        nav = re.search(r'<nav class="tp-toc">(.*?)</nav>', page, flags=re.S)
        assert nav
        links = re.findall(r'<a href="#([^"]+)">', nav.group(1))
        assert len(links) >= 7 and links[-1] == "muc-phu-luc"
        ids = set(re.findall(r'id="([^"]+)"', page))
        assert set(links) <= ids

    def test_index_is_a_matrix_of_units_and_targets(self, layout_build):
        """Each cell of the index is the unit's verdict on the target, as its report's
        scorecard says it."""
        index = (layout_build / "index.html").read_text(encoding="utf-8")
        table = re.search(r"<table class='matrix'>(.*?)</table>", index, flags=re.S).group(1)
        rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
        header = [plain(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", rows[0])]
        assert header[0] == "Đơn vị" and header[-1] == "Báo cáo"
        targets = header[1:-1]
        assert targets == ["T1", "T2", "T3a", "T3b", "T4", "T5", "T6", "T7"]
        page = report_html(layout_build, DISTRICT)
        card = page[page.index('id="T_scorecard_son_dong"'):]
        card = card[: card.index("</table>")]
        words = {}
        for row in re.findall(r"<tr>(.*?)</tr>", card, flags=re.S)[1:]:
            code = plain(re.search(r"<td[^>]*>(.*?)</td>", row, flags=re.S).group(1))
            badge = re.search(r'class="verdict [^"]*"[^>]*>([^<]*)</span>', row)
            words[code] = badge.group(1).strip()
        mine = next(r for r in rows[1:] if "Huyện Sơn Động" in r)
        cells = [plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", mine, flags=re.S)][1:-1]
        assert dict(zip(targets, cells, strict=True)) == {t: words[t] for t in targets}


# --------------------------------------------------------------------- item 17: cross-check
class TestCrossCheckReported:
    def test_province_report_says_the_units_sending_both_agree(self, layout_build):
        text = plain(report_html(layout_build, PROVINCE))
        assert "Đối chiếu số liệu tổng hợp với số liệu chi tiết" in text
        # the demo's tp_bac_giang and viet_yen send both and agree (analysis/demo/README.md)
        assert "2 đơn vị gửi cả số liệu tổng hợp và số liệu chi tiết" in text
        for name in ("Thành phố Bắc Giang", "Huyện Việt Yên"):
            assert re.search(rf"{name} \(năm 2015–2020\): đã đối chiếu [\d.]+ ô, tất cả đều "
                             "khớp", text), name

    def test_district_report_says_what_it_sent(self, layout_build):
        text = plain(report_html(layout_build, DISTRICT))
        assert ("Huyện Sơn Động chỉ gửi số liệu chi tiết (không có bảng tổng hợp), nên không có "
                "số liệu nào cần đối chiếu.") in text


# --------------------------------------------------------------------- item 14: page layout
def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page as ``pdftotext -layout`` lays it out (poppler-utils)."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, text=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def ink_bottoms(path: Path, tmp_path: Path) -> list[float]:
    """Per page, how far down (share of the page height) the lowest ink above the footer is."""
    import shutil
    import subprocess

    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "20", "-gray", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    bottoms = []
    for image in sorted(tmp_path.glob("p-*.png")):
        with Image.open(image) as im:
            gray = im.convert("L")
            w, h = gray.size
            px = gray.load()
            rows = [y for y in range(int(h * 0.92)) if min(px[x, y] for x in range(w)) < 200]
        bottoms.append(rows[-1] / h if rows else 0.0)
    return bottoms


class TestPageLayout:
    @pytest.mark.parametrize("unit", UNITS)
    def test_no_near_empty_page(self, layout_build, unit, tmp_path):
        """Every page but the last is filled at least a quarter of the way down (the demo build
        had pages holding only a table's source line or a lone heading)."""
        bottoms = ink_bottoms(report_pdf(layout_build, unit), tmp_path)
        assert len(bottoms) > 10
        thin = [(i + 1, round(b, 2)) for i, b in enumerate(bottoms[:-1]) if b < 0.25]
        assert not thin, thin

    @pytest.mark.parametrize("unit", UNITS)
    def test_no_heading_or_caption_last_on_a_page(self, layout_build, unit):
        page = report_html(layout_build, unit)
        headings = {plain(h) for h in re.findall(r"<h[234][^>]*>(.*?)</h[234]>", page,
                                                  flags=re.S)}
        for number, text in enumerate(pdf_pages_text(report_pdf(layout_build, unit)), start=1):
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            lines = [ln for ln in lines if not re.fullmatch(r"Trang \d+/\d+", ln)]
            if not lines:
                continue
            last = lines[-1]
            assert last not in headings, (number, last)
            assert not re.match(r"(Phụ lục|Bảng) \d+\.", last), (number, last)

    @pytest.mark.parametrize("unit", UNITS)
    def test_appendix_caption_on_the_page_of_its_table(self, layout_build, unit):
        pages = pdf_pages_text(report_pdf(layout_build, unit))
        seen = 0
        for number, text in enumerate(pages, start=1):
            for match in re.finditer(r"^\s*Phụ lục (\d+)\. ", text, flags=re.M):
                seen += 1
                rest = text[match.end():]
                assert re.search(r"^\s*STT\b", rest, flags=re.M), (number, match.group(0))
                # the table's notes and source end on the same page
                nxt = re.search(r"^\s*Phụ lục \d+\. ", rest, flags=re.M)
                assert "Nguồn:" in (rest[: nxt.start()] if nxt else rest), (number,
                                                                          match.group(0))
        assert seen >= 10

    @pytest.mark.parametrize("unit", UNITS)
    def test_chart_captions_on_a_page_with_a_chart(self, layout_build, unit):
        import pypdf

        reader = pypdf.PdfReader(report_pdf(layout_build, unit))
        texts = [re.sub(r"\s+", " ", t) for t in pdf_pages_text(report_pdf(layout_build, unit))]
        checked = 0
        for caption in captions(report_html(layout_build, unit)):
            start = re.sub(r"\s+", " ", caption)[:35]
            where = [i for i, t in enumerate(texts) if start in t]
            if not where:
                continue
            checked += 1
            assert all(len(reader.pages[i].images) > 0 for i in where), (start, where)
        assert checked >= 8


class TestChartLabels:
    @pytest.fixture
    def review(self, demo_review):
        return demo_review  # the session's Review of the demo (tests/present/conftest.py)

    @pytest.mark.parametrize("unit", UNITS)
    def test_funnel_labels_neither_overlap_nor_are_struck_through(self, review, unit):
        """The funnel charts of the target sections: no label box meets another label or a
        line of the chart (province line, 95% and 99,8% limits), at the report's size."""
        import itertools

        import matplotlib.pyplot as plt

        from analysis.present import plots, report

        ctx = report.context_from_review(review, unit, "final")
        highlight = None if ctx.is_province else unit
        targets = [t for t in ctx.funnels_by_id if str(t).startswith("T")]
        assert len(targets) >= 5
        problems = []
        for target in targets:
            fig = plots.funnel_plot(ctx.funnels_by_id[target], ctx.unit_names,
                                    highlight=highlight, height_cm=9.0)
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            ax = fig.axes[0]
            boxes = [(t.get_text(), t.get_window_extent(renderer).padded(-1)) for t in ax.texts
                     if t.get_text().strip()]
            assert len(boxes) >= 10
            for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
                if box_a.overlaps(box_b):
                    problems.append((target, a, b))
            for line in ax.get_lines():
                path = line.get_path().transformed(line.get_transform())
                problems += [(target, line.get_gid(), name) for name, box in boxes
                             if path.intersects_bbox(box, filled=False)]
            plt.close(fig)
        assert not problems, problems
