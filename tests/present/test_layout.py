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
