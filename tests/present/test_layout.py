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
