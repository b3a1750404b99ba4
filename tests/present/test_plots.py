"""Charts: each returns a Figure with the expected artists; PNG/SVG bytes are reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.present import labels as L
from analysis.present import plots
from analysis.present.formats import fmt_number
from analysis.present.plots import funnel

NAMES = {
    "tp_bac_giang": "Thành phố Bắc Giang",
    "yen_the": "Huyện Yên Thế",
    "son_dong": "Huyện Sơn Động",
    "luc_ngan": "Huyện Lục Ngạn",
    "cong_an": "Đảng bộ Công an tỉnh",
}
TILES = {
    "yen_the": (0, 1),
    "luc_ngan": (0, 3),
    "son_dong": (1, 4),
    "tp_bac_giang": (2, 2),
    "cong_an": (4, 3),
}


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def series(years=(2015, 2016, 2017), values=(86.3, 87.0, 88.4), **extra) -> pd.DataFrame:
    n = len(years)
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame(
        {
            "indicator_id": "T1",
            "unit_code": "son_dong",
            "year": list(years),
            "value": values,
            "lower_95": values - 3,
            "upper_95": values + 3,
            "unit": "percent",
            "target_op": ">=",
            "target_value": 90.0,
            "target_kind": "every_year",
            "series_break": [""] * n,
            "partial": [False] * n,
        }
    )
    for key, value in extra.items():
        frame[key] = value
    return frame


class TestTrendChart:
    def test_values_interval_and_yearly_target(self):
        fig = plots.trend_chart(series(), title_vi="Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên")
        values = by_gid(fig, "values")[0]
        assert list(values.get_xdata()) == [2015, 2016, 2017]
        assert list(values.get_ydata()) == [86.3, 87.0, 88.4]
        target = by_gid(fig, "target")[0]
        assert set(target.get_ydata()) == {90.0}
        assert by_gid(fig, "ci_95")
        assert fig.axes[0].get_title(loc="left") == "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"

    def test_size_is_a4_text_width(self):
        fig = plots.trend_chart(series())
        assert fig.get_figwidth() == pytest.approx(16 / 2.54)

    def test_font_is_dejavu(self):
        plots.trend_chart(series())
        import matplotlib

        assert matplotlib.rcParams["font.family"] == ["DejaVu Sans"]

    def test_vietnamese_axis_and_year_ticks(self):
        fig = plots.trend_chart(
            series(years=(2015, 2016, 2017, 2018, 2019), values=(2100, 2250, 2362, 2412, 2500)),
            unit="count",
            target=2300,
        )
        fig.canvas.draw()
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "2015",
            "2016",
            "2017",
            "2018",
            "2019",
        ]
        ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert any("." in t for t in ylabels)  # thousands dot: "2.300"
        assert ax.get_ylabel() == "Số lượng (người)" or ax.get_ylabel().startswith("Số lượng")
        value_labels = [t.get_text() for t in by_gid(fig, "value_label")]
        assert "2.412" in value_labels

    def test_formatter_uses_comma_decimals(self):
        fmt = plots.vi_formatter("number")
        fmt.set_locs([87.5, 88.0, 88.5])
        assert [fmt(x) for x in (87.5, 88.0)] == ["87,5", "88,0"]
        fmt.set_locs([80, 85, 90])
        assert fmt(85) == "85"
        assert plots.vi_formatter("percent", 0)(90) == "90%"

    def test_by_year_target_and_projection(self):
        df = series(target_op="==", target_value=100.0, target_kind="by_year", target_year=2020)
        progress = {
            "latest_year": 2017,
            "latest_value": 88.4,
            "target_year": 2020,
            "projected_value": 95.0,
            "projected_lower": 91.0,
            "projected_upper": 98.0,
        }
        fig = plots.trend_chart(df, progress_row=progress)
        point = by_gid(fig, "target_point")[0]
        assert list(point.get_xdata()) == [2020] and list(point.get_ydata()) == [100.0]
        projection = by_gid(fig, "projection")[0]
        assert list(projection.get_xdata()) == [2017, 2020]
        assert list(projection.get_ydata()) == [88.4, 95.0]
        assert by_gid(fig, "projection_band")
        assert 2020 in fig.axes[0].get_xticks()

    def test_target_argument_overrides_frame(self):
        fig = plots.trend_chart(series(), target={"op": ">", "value": 84, "kind": "every_year"})
        assert set(by_gid(fig, "target")[0].get_ydata()) == {84.0}

    def test_series_breaks_marked(self):
        df = series(years=(2016, 2017, 2018, 2019, 2020), values=(87, 88, 89, 90, 91))
        df["series_break"] = ["", "", "rating_scheme_2018", "", "merger_2020"]
        fig = plots.trend_chart(df)
        rating = by_gid(fig, "break_rating_scheme_2018")[0]
        merger = by_gid(fig, "break_merger_2020")[0]
        assert set(rating.get_xdata()) == {2017.5}
        assert set(merger.get_xdata()) == {2019.5}

    def test_no_break_marker_without_break(self):
        fig = plots.trend_chart(series())
        assert not [a for a in fig.findobj() if str(a.get_gid()).startswith("break_")]

    def test_nan_intervals_and_single_year(self):
        df = series(years=(2017,), values=(88.4,))
        df["lower_95"] = np.nan
        df["upper_95"] = np.nan
        fig = plots.trend_chart(df, province_series=pd.Series({2017: 90.1}))
        plots.fig_to_png_bytes(fig, dpi=50)
        assert list(by_gid(fig, "values")[0].get_xdata()) == [2017]
        assert not by_gid(fig, "ci_95")

    def test_missing_values_and_partial_year(self):
        df = series(years=(2018, 2019, 2020), values=(89.1, np.nan, 90.2))
        df["partial"] = [False, False, True]
        fig = plots.trend_chart(df)
        # whole years on the solid line; the part year apart, hollow, joined by a dotted line
        assert list(by_gid(fig, "values")[0].get_xdata()) == [2018]
        assert list(by_gid(fig, "partial")[0].get_xdata()) == [2020]
        assert list(by_gid(fig, "partial_link")[0].get_xdata()) == [2018, 2020]
        assert "2020*" in [t.get_text() for t in fig.axes[0].get_xticklabels()]

    def test_partial_point_keeps_its_own_interval_apart_from_the_projection(self):
        """The final review's 2020 (part year) is observed AND is the projection's year: the
        point must carry its own Wilson interval (here 47/51 → 81,5–96,9%, Wilson 1927), and
        the projection's interval (43–99%) must not be drawn on it."""
        df = series(years=(2018, 2019, 2020), values=(87.5, 86.0, 47 / 51 * 100))
        df["lower_95"] = [76.4, 74.7, 81.5]
        df["upper_95"] = [93.8, 92.7, 96.9]
        progress = {
            "latest_year": 2019,
            "latest_value": 86.0,
            "target_year": 2020,
            "projected_value": 88.0,
            "projected_lower": 43.2,
            "projected_upper": 98.6,
        }
        fig = plots.trend_chart(df, progress_row=progress, partial_years=[2020])
        partial = by_gid(fig, "partial")[0]
        assert list(partial.get_xdata()) == [2020]
        assert partial.get_markerfacecolor() == "white"  # hollow

        def bars(gid):
            from matplotlib.collections import LineCollection

            return [a for a in by_gid(fig, gid) if isinstance(a, LineCollection)][0]

        (segment,) = bars("ci_95_partial").get_segments()
        assert segment[:, 0].tolist() == [2020, 2020]
        assert segment[:, 1] == pytest.approx([81.5, 96.9])
        assert all(seg[0, 0] != 2020 for seg in bars("ci_95").get_segments())
        (proj_segment,) = bars("projection_ci").get_segments()
        assert proj_segment[0, 0] > 2020  # set beside the observed point, not on it
        assert proj_segment[:, 1] == pytest.approx([43.2, 98.6])
        markers = {a.get_marker() for a in by_gid(fig, "projection_ci") if hasattr(a, "get_marker")}
        assert partial.get_marker() not in markers  # a diamond, not the point's circle
        texts = [t.get_text() for t in fig.axes[0].texts]
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert "92,2%*" in texts and "2020*" in ticks

    def test_all_missing(self):
        fig = plots.trend_chart(series(values=(np.nan, np.nan, np.nan)))
        assert by_gid(fig, "no_data")


def funnel_frame() -> pd.DataFrame:
    codes = ["tp_bac_giang", "yen_the", "son_dong", "luc_ngan", "cong_an", "bac_giang"]
    return pd.DataFrame(
        {
            "indicator_id": "T1",
            "unit_code": codes,
            "level": ["district"] * 4 + ["sector", "province"],
            "year": 2017,
            "denominator": [110, 60, 55, 80, 40, 345],
            "value": [95.0, 90.0, 80.0, 89.0, 97.5, 90.4],
            "baseline": 90.4,
            "funnel_95_lower": [84.9, 82.9, 82.6, 83.9, 81.3, 87.3],
            "funnel_95_upper": [95.9, 97.9, 98.2, 96.9, 99.5, 93.5],
            "funnel_998_lower": [81.7, 78.3, 77.7, 79.4, 76.0, 85.5],
            "funnel_998_upper": [99.1, 100.0, 100.0, 100.0, 100.0, 95.3],
            "assessment": [
                "similar",
                "similar",
                "worse_95",
                "similar",
                "similar",
                "not_assessable",
            ],
            "polarity": "higher",
        }
    )


class TestFunnelPlot:
    def test_points_limits_baseline(self):
        fig = plots.funnel_plot(funnel_frame(), NAMES, highlight="son_dong")
        points = sum(
            len(c.get_offsets()) for c in fig.findobj() if str(c.get_gid()).startswith("units_")
        )
        assert points == 5  # the province row is not a point
        assert set(by_gid(fig, "baseline")[0].get_ydata()) == {90.4}
        for gid in ("funnel_95_lower", "funnel_95_upper", "funnel_998_lower", "funnel_998_upper"):
            line = by_gid(fig, gid)[0]
            assert list(line.get_xdata()) == sorted(line.get_xdata())

    def test_highlight_and_labels(self):
        fig = plots.funnel_plot(funnel_frame(), NAMES, highlight="son_dong")
        label = by_gid(fig, "label_son_dong")[0]
        assert label.get_text() == "Sơn Động"
        assert label.get_fontweight() == "bold"
        assert by_gid(fig, "label_yen_the")[0].get_fontweight() == "normal"
        assert by_gid(fig, "highlight")

    def test_png_drawn_once_is_the_chart_of_every_unit(self, monkeypatch):
        """funnel_png draws the shared chart once and only each unit's labels and ring after:
        the bytes equal a full draw of funnel_plot with that unit highlighted."""
        monkeypatch.setattr(funnel, "_FUNNEL_CACHE", {})
        frame = funnel_frame()
        built = []
        original = funnel._FunnelCanvas.__init__

        def counting(self, *args, **kwargs):
            built.append(1)
            original(self, *args, **kwargs)

        monkeypatch.setattr(funnel._FunnelCanvas, "__init__", counting)
        for unit in ("son_dong", "yen_the", None, "son_dong"):
            expected = plots.fig_to_png_bytes(
                plots.funnel_plot(frame, NAMES, highlight=unit, height_cm=9.0), dpi=80
            )
            assert plots.funnel_png(frame, NAMES, highlight=unit, height_cm=9.0, dpi=80) == expected
        assert len(built) == 1
        one, other = (
            plots.funnel_png(frame, NAMES, unit, height_cm=9.0, dpi=80)
            for unit in ("son_dong", "yen_the")
        )
        assert one != other

    def test_smooth_limits_when_given(self):
        grid = pd.DataFrame(
            {
                "denominator": [20, 50, 100, 400],
                "funnel_95_lower": [77, 82, 85, 87.5],
                "funnel_95_upper": [100, 98, 96, 93.3],
            }
        )
        fig = plots.funnel_plot(funnel_frame(), NAMES, limits=grid)
        assert list(by_gid(fig, "funnel_95_lower")[0].get_xdata()) == [20, 50, 100, 400]
        legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
        assert L.funnel_word("worse_95") in legend_texts


class TestRankedDotPlot:
    def test_sorted_with_highlight(self):
        df = funnel_frame()
        df["lower_95"] = df["value"] - 4
        df["upper_95"] = np.minimum(df["value"] + 4, 100)
        fig = plots.ranked_dot_plot(df, "son_dong", NAMES)
        values = list(by_gid(fig, "values")[0].get_xdata())
        assert values == sorted(values) and len(values) == 5
        ticks = fig.axes[0].get_yticklabels()
        assert ticks[-1].get_text() == "Công an tỉnh"  # highest at the top
        bold = [t.get_text() for t in ticks if t.get_fontweight() == "bold"]
        assert bold == ["Sơn Động"]
        assert set(by_gid(fig, "baseline")[0].get_xdata()) == {90.4}


class TestTileMap:
    def test_tiles_colours_and_labels(self):
        values = pd.DataFrame(
            {"unit_code": list(TILES) + ["khoi_moi"], "value": [91.5, 87.1, 89.3, 92.3, 90.0, 88.0]}
        )
        verdicts = {
            "yen_the": "on_track",
            "luc_ngan": "achieved",
            "son_dong": "moving_away",
            "tp_bac_giang": "achieved",
        }
        fig = plots.tile_map(values, TILES, verdicts, NAMES)
        tiles = [
            a
            for a in fig.findobj()
            if str(a.get_gid()).startswith("tile_") and a.__class__.__name__ == "Rectangle"
        ]
        assert len(tiles) == 5
        from matplotlib.colors import to_hex

        son_dong = by_gid(fig, "tile_son_dong")[0]
        assert to_hex(son_dong.get_facecolor()) == L.verdict_colour("moving_away").lower()
        assert by_gid(fig, "tile_name_son_dong")[0].get_text() == "Sơn Động"
        assert by_gid(fig, "tile_value_son_dong")[0].get_text() == "89,3% ↓"
        assert by_gid(fig, "tile_value_cong_an")[0].get_text() == "90,0%"  # no verdict
        assert "khoi_moi" in by_gid(fig, "untiled")[0].get_text()

    def test_sector_row_below_a_gap(self):
        fig = plots.tile_map(
            {"yen_the": 1.0, "cong_an": 2.0},
            TILES,
            None,
            NAMES,
            value_fmt=lambda v: fmt_number(v),
        )
        y_district = by_gid(fig, "tile_tp_bac_giang")[0].get_y()
        y_sector = by_gid(fig, "tile_cong_an")[0].get_y()
        assert y_sector < y_district - 1  # a gap, but narrower than the empty row
        assert y_sector > y_district - 2


class TestSmallMultiples:
    def test_one_panel_per_indicator_with_arrows(self):
        rows = []
        for ident, unit, polarity, vals in [
            ("P1", "percent", "higher", [80, 82, 85]),
            ("P3", "count", "lower", [20, 18, 15]),
            ("P5", "percent", "higher", [90, 88, 86]),
        ]:
            for year, value in zip((2015, 2016, 2017), vals, strict=True):
                rows.append(
                    {
                        "indicator_id": ident,
                        "name_vi": f"Chỉ tiêu {ident}",
                        "unit_code": "son_dong",
                        "year": year,
                        "value": value,
                        "unit": unit,
                        "polarity": polarity,
                        "breakdown": "",
                    }
                )
        fig = plots.small_multiples(pd.DataFrame(rows), ["P1", "P3", "P5"], "son_dong", ncols=2)
        lines = [a for a in fig.findobj() if str(a.get_gid()).startswith("sm_P")]
        assert [a.get_gid() for a in lines] == ["sm_P1", "sm_P3", "sm_P5"]
        firsts = [t.get_text() for t in by_gid(fig, "first")]
        assert firsts == ["80,0%", "20", "90,0%"]
        latest = [t for t in fig.findobj() if t.get_gid() == "latest"]
        texts = [t.get_text() for t in latest]
        assert texts == ["85,0% ↑", "15 thôn ↓", "86,0% ↓"]
        good, bad = L.direction(1).colour, L.direction(-1).colour
        assert [t.get_color() for t in latest] == [good, good, bad]

    def test_missing_indicator_panel(self):
        frame = pd.DataFrame(
            {"indicator_id": ["P1"], "unit_code": ["son_dong"], "year": [2017], "value": [80.0]}
        )
        fig = plots.small_multiples(frame, ["P1", "P9"], "son_dong")
        assert by_gid(fig, "no_data")


class TestExport:
    def test_png_bytes_are_reproducible(self):
        fig = plots.trend_chart(series())
        first, second = plots.fig_to_png_bytes(fig, dpi=72), plots.fig_to_png_bytes(fig, dpi=72)
        assert first[:8] == b"\x89PNG\r\n\x1a\n"
        assert first == second
        assert plots.fig_to_png_bytes(plots.trend_chart(series()), dpi=72) == first
        assert b"Software" not in first

    def test_svg_bytes_are_reproducible(self):
        first = plots.fig_to_svg_bytes(plots.trend_chart(series()))
        second = plots.fig_to_svg_bytes(plots.trend_chart(series()))
        assert first == second
        assert b"<dc:date>" not in first

    def test_data_uri(self):
        fig = plots.trend_chart(series())
        assert plots.fig_to_data_uri(fig, dpi=50).startswith("data:image/png;base64,iVBORw0KGgo")
        assert plots.fig_to_data_uri(fig, "svg").startswith("data:image/svg+xml;base64,")
        with pytest.raises(ValueError):
            plots.fig_to_data_uri(fig, "gif")


class TestTrendTargets:
    def test_target_year_from_progress_row_and_changing_quota(self):
        df = series(target_op="==", target_value=0.0, target_kind="by_year", unit="count")
        fig = plots.trend_chart(df, progress_row={"target_year": 2020})
        assert list(by_gid(fig, "target_point")[0].get_xdata()) == [2020]
        quota = series()
        quota["target_value"] = [200.0, 200.0, 210.0]
        fig = plots.trend_chart(quota, unit="count")
        assert list(by_gid(fig, "target")[0].get_ydata()) == [200.0, 200.0, 210.0]


class TestReadability:
    def test_funnel_labels_of_coincident_points_do_not_overlap(self):
        df = funnel_frame()
        df.loc[df["unit_code"] == "yen_the", ["denominator", "value"]] = [110, 95.0]
        fig = plots.funnel_plot(df, NAMES)
        a = by_gid(fig, "label_tp_bac_giang")[0]
        b = by_gid(fig, "label_yen_the")[0]
        assert (a.xyann, a.get_ha()) != (b.xyann, b.get_ha())

    def test_partial_year_column_marks_the_year(self):
        df = series(years=(2018, 2019, 2020), values=(89.1, 89.5, 90.2))
        df["partial_year"] = [False, False, True]
        fig = plots.trend_chart(df)
        assert list(by_gid(fig, "partial")[0].get_xdata()) == [2020]

    def test_long_untiled_list_is_capped(self):
        values = {f"xa_{i}": 1.0 for i in range(10)}
        fig = plots.tile_map(values, TILES)
        assert by_gid(fig, "untiled")[0].get_text().endswith("và 4 đơn vị khác")

    def test_small_multiple_titles_show_a_cut(self):
        frame = pd.DataFrame(
            {
                "indicator_id": "P1",
                "name_vi": "Tỷ lệ " + "rất dài " * 60,  # > 3 lines of a 16 cm panel
                "unit_code": "son_dong",
                "year": [2015, 2016],
                "value": [99.0, 100.0],
                "unit": "percent",
            }
        )
        fig = plots.small_multiples(frame, ["P1"], "son_dong")
        (title,) = by_gid(fig, "sm_title_P1")
        assert title.get_text().endswith("…")
        assert title.get_text().count("\n") == 2  # three lines at most

    def test_titles_stay_inside_the_figure(self):
        """The right-hand column's titles ran off the figure's edge (issue 4)."""
        names = {
            f"P{i}": "Tỷ lệ đảng viên mới được bồi dưỡng lớp đảng viên mới kết nạp"
            for i in range(1, 9)
        }
        frame = pd.DataFrame(
            [
                {
                    "indicator_id": k,
                    "name_vi": v,
                    "unit_code": "son_dong",
                    "year": y,
                    "value": 50.0 + y - 2015,
                }
                for k, v in names.items()
                for y in (2015, 2016)
            ]
        )
        fig = plots.small_multiples(frame, list(names), "son_dong", ncols=4)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        right = fig.bbox.x1
        for ident in names:
            (title,) = by_gid(fig, f"sm_title_{ident}")
            assert title.get_window_extent(renderer).x1 < right
