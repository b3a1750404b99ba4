"""Sentences and labels: exact Vietnamese texts for hand-made progress rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.present import labels as L
from analysis.present.report.sentences import flag_question, gap_clause, indicator_sentence

T1_NAME = "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"
T5_NAME = "Số đảng viên mới kết nạp"
T7_NAME = "Số thôn, bản “trắng” đảng viên"


def progress_row(**values) -> pd.Series:
    base = {
        "indicator_id": "T1",
        "unit_code": "son_dong",
        "verdict": "needs_acceleration",
        "baseline_year": 2015,
        "baseline_value": 86.3,
        "latest_year": 2017,
        "latest_value": 88.4,
        "target_op": ">=",
        "target_value": 90.0,
        "target_kind": "every_year",
        "target_year": 2020,
        "years_met": 1,
        "years_assessed": 3,
        "projected_value": np.nan,
        "projected_lower": np.nan,
        "projected_upper": np.nan,
        "trend_direction": "increasing",
        "note": "",
    }
    base.update(values)
    return pd.Series(base)


class TestIndicatorSentence:
    def test_percent_below_a_yearly_target(self):
        assert indicator_sentence(progress_row(), T1_NAME, "percent") == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2017 đạt 88,4%, thấp hơn chỉ tiêu "
            "1,6 điểm phần trăm; so với năm 2015 (86,3%) tăng 2,1 điểm phần trăm; "
            "đạt chỉ tiêu 1/3 năm; đánh giá: Cần đẩy nhanh."
        )

    def test_count_above_target(self):
        row = progress_row(
            indicator_id="T5",
            verdict="achieved",
            baseline_value=2362,
            latest_value=2412,
            target_value=2300,
            years_met=3,
        )
        assert indicator_sentence(row, T5_NAME, "count") == (
            "Số đảng viên mới kết nạp năm 2017 là 2.412 người, vượt chỉ tiêu 112 người; "
            "so với năm 2015 (2.362 người) tăng 50 người; đạt chỉ tiêu cả 3/3 năm; đánh giá: Đạt."
        )

    def test_villages_without_members_count_down_to_zero(self):
        row = progress_row(
            indicator_id="T7",
            verdict="on_track",
            baseline_value=15,
            latest_value=3,
            target_op="==",
            target_value=0,
            target_kind="by_year",
        )
        assert indicator_sentence(row, T7_NAME, "count") == (
            "Đến năm 2017, còn 3 thôn, bản chưa có đảng viên (chỉ tiêu đến năm 2020: 0 thôn); "
            "so với năm 2015 (15 thôn) giảm 12 thôn; đánh giá: Đúng tiến độ."
        )

    def test_villages_target_reached(self):
        row = progress_row(
            indicator_id="T7",
            verdict="achieved",
            baseline_value=15,
            latest_year=2019,
            latest_value=0,
            target_op="==",
            target_value=0,
            target_kind="by_year",
        )
        assert indicator_sentence(row, T7_NAME, "count") == (
            "Đến năm 2019, không còn thôn, bản chưa có đảng viên, đạt chỉ tiêu; "
            "so với năm 2015 (15 thôn) giảm 15 thôn; đánh giá: Đạt."
        )

    def test_by_year_target_not_yet_due(self):
        row = progress_row(
            indicator_id="T2",
            verdict="on_track",
            baseline_value=60.0,
            latest_value=96.5,
            target_op="==",
            target_value=100,
            target_kind="by_year",
        )
        assert indicator_sentence(row, "Tỷ lệ cấp ủy viên cơ sở được bồi dưỡng", "percent") == (
            "Tỷ lệ cấp ủy viên cơ sở được bồi dưỡng năm 2017 đạt 96,5%, thấp hơn 3,5 điểm "
            "phần trăm so với chỉ tiêu năm 2020 (100%); so với năm 2015 (60,0%) tăng 36,5 "
            "điểm phần trăm; đánh giá: Đúng tiến độ."
        )

    def test_strict_target_met_exactly_is_not_above(self):
        row = progress_row(
            indicator_id="T4",
            verdict="not_assessable",
            baseline_value=np.nan,
            latest_value=84.0,
            target_op=">",
            target_value=84,
            years_assessed=0,
            note="không có số liệu năm gốc 2015",
        )
        assert indicator_sentence(row, "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên") == (
            "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên năm 2017 đạt 84,0%, bằng mức chỉ "
            "tiêu nhưng chưa vượt như yêu cầu; đánh giá: Không đủ dữ liệu (không có số liệu "
            "năm gốc 2015)."
        )

    def test_not_assessable_without_baseline(self):
        # as measure.progress returns it: no baseline value, no latest value, English note
        row = progress_row(
            verdict="not_assessable",
            baseline_value=np.nan,
            latest_value=np.nan,
            latest_year=np.nan,
            note="No value for the baseline year 2015.",
        )
        assert indicator_sentence(row, T1_NAME) == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên: không có số liệu năm gốc 2015; "
            "đánh giá: Không đủ dữ liệu."
        )

    def test_not_assessable_with_the_baseline_only(self):
        row = progress_row(
            verdict="not_assessable",
            latest_value=np.nan,
            latest_year=np.nan,
            note="Fewer than two years of data.",
        )
        assert indicator_sentence(row, T1_NAME) == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2015 (năm gốc) đạt 86,3%; chưa có "
            "số liệu các năm sau; đánh giá: Không đủ dữ liệu."
        )

    def test_english_note_never_printed_and_reason_override(self):
        row = progress_row(verdict="not_assessable", note="Growth ratio R = 0.4")
        text = indicator_sentence(row, T1_NAME, reason_vi="chỉ tiêu chưa được giao")
        assert "Growth" not in text
        assert text.endswith("đánh giá: Không đủ dữ liệu (chỉ tiêu chưa được giao).")
        assert "Growth" not in indicator_sentence(progress_row(note="Growth ratio"), T1_NAME)

    def test_gap_that_rounds_to_zero_is_not_printed_as_zero(self):
        row = progress_row(latest_value=89.96, years_assessed=0, baseline_value=np.nan)
        assert indicator_sentence(row, T1_NAME) == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2017 đạt 90,0%, thấp hơn chỉ tiêu "
            "chưa đến 0,1 điểm phần trăm; đánh giá: Cần đẩy nhanh."
        )

    def test_partial_year_and_projection(self):
        row = progress_row(
            latest_year=2019,
            latest_value=89.5,
            projected_value=90.4,
            projected_lower=88.1,
            projected_upper=92.2,
            years_met=2,
            years_assessed=5,
        )
        text = indicator_sentence(row, T1_NAME, partial=True, with_projection=True)
        assert text == (
            "Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2019 (số liệu chưa đầy đủ) đạt "
            "89,5%, thấp hơn chỉ tiêu 0,5 điểm phần trăm; so với năm 2015 (86,3%) tăng 3,2 "
            "điểm phần trăm; đạt chỉ tiêu 2/5 năm; dự báo năm 2020: 90,4% (khoảng dự báo: "
            "88,1%–92,2%); đánh giá: Cần đẩy nhanh."
        )

    def test_accepts_a_plain_mapping(self):
        text = indicator_sentence(dict(progress_row()), T1_NAME, "percent")
        assert text.endswith("đánh giá: Cần đẩy nhanh.")

    def test_bad_unit(self):
        with pytest.raises(ValueError, match="percent"):
            indicator_sentence(progress_row(), T1_NAME, "ratio")


class TestGapClause:
    def test_ceiling(self):
        assert gap_clause(3, "<=", 5, "count", "thôn") == "trong giới hạn chỉ tiêu"
        assert gap_clause(7, "<=", 5, "count", "thôn") == ("cao hơn mức tối đa của chỉ tiêu 2 thôn")

    def test_equal(self):
        assert gap_clause(100, "==", 100) == "hoàn thành chỉ tiêu"
        assert gap_clause(90, ">=", 90) == "bằng chỉ tiêu"


class TestFlagQuestion:
    def test_wording_as_a_question(self):
        assert flag_question("rating_above_expected") == (
            "Tỷ lệ xếp loại tốt trở lên cao hơn mức dự kiến theo sinh hoạt chi bộ: "
            "đề nghị xem lại căn cứ đánh giá?"
        )

    def test_with_place_time_and_numbers(self):
        text = flag_question(
            "rating_above_expected",
            unit_name="Huyện Sơn Động",
            year=2017,
            observed=95.2,
            expected=88.0,
        )
        assert text == (
            "Huyện Sơn Động, năm 2017: Tỷ lệ xếp loại tốt trở lên (95,2%) cao hơn mức dự kiến "
            "theo sinh hoạt chi bộ (88,0%): đề nghị xem lại căn cứ đánh giá?"
        )

    def test_counts(self):
        text = flag_question("village_rewhitened", observed=2, unit="count", noun="thôn")
        assert text == (
            "Có thôn đã có đảng viên nay không còn đảng viên (tái trắng) (2 thôn): "
            "đề nghị xác minh nguyên nhân?"
        )

    def test_unknown_kind(self):
        with pytest.raises(ValueError, match="rating_above_expected"):
            flag_question("nope")


class TestLabels:
    def test_verdict_words(self):
        words = [L.verdict_word(v) for v in L.VERDICTS]
        assert words == [
            "Đạt", "Chưa đạt", "Đúng tiến độ", "Cần đẩy nhanh", "Đi lùi", "Không đủ dữ liệu"
        ]
        assert L.verdict_word(None) == "Không đủ dữ liệu"

    def test_verdict_symbols_and_colours_are_distinct(self):
        symbols = [L.verdict_symbol(v) for v in L.VERDICTS]
        colours = [L.verdict_colour(v) for v in L.VERDICTS]
        assert symbols == ["✓", "✗", "↗", "!", "↓", "?"]
        assert len(set(colours)) == 6
        assert L.verdict_label("moving_away") == "↓ Đi lùi"

    def test_unknown_verdict(self):
        with pytest.raises(ValueError, match="achieved"):
            L.verdict_word("great")

    def test_text_colour_contrast(self):
        assert L.text_colour("#000000") == "#FFFFFF"
        assert L.text_colour("#FFFFFF") == "#000000"
        assert L.tint("#000000", 0.5) == "#808080"

    def test_target_text(self):
        assert L.target_text(">=", 90) == "≥ 90%"
        assert L.target_text(">", 84) == "> 84%"
        assert L.target_text("==", 100) == "= 100%"
        assert L.target_text("==", 0, "count", "thôn") == "= 0 thôn"
        assert L.target_text(">=", 2300, "count", "người") == "≥ 2.300 người"
        assert L.target_text(">=", 84.5) == "≥ 84,5%"
        assert L.target_text("==", 100, bare_equal=True) == "100%"
        assert L.target_kind_text("by_year", 2020) == "đến năm 2020"
        assert L.target_kind_text("every_year") == "hằng năm"

    def test_funnel_words_follow_polarity(self):
        assert L.funnel_word("better_998") == "Cao hơn rõ rệt (99,8%)"
        assert L.funnel_word("worse_95") == "Thấp hơn (95%)"
        assert L.funnel_word("similar") == "Chênh lệch không có ý nghĩa thống kê"
        assert L.funnel_word("better_998", "lower") == "Thấp hơn rõ rệt (99,8%)"
        assert L.funnel_word("worse_998", "lower") == "Cao hơn rõ rệt (99,8%)"

    def test_direction_arrows_by_polarity(self):
        up_good = L.direction(2.1, "higher")
        assert (up_good.arrow, up_good.good) == ("↑", True)
        down_good = L.direction(-3, "lower")
        assert (down_good.arrow, down_good.good) == ("↓", True)
        up_bad = L.direction("increasing", "lower")
        assert (up_bad.arrow, up_bad.good) == ("↑", False)
        assert up_bad.colour != up_good.colour
        assert L.direction("stable").arrow == "→"
        assert L.direction(np.nan).arrow == ""

    def test_series_break_notes(self):
        assert L.series_break_note("rating_scheme_2018") == (
            "Từ 2018 xếp loại theo Quy định 132-QĐ/TW"
        )
        assert L.series_break_note("merger_2020") == "2020: sau sáp nhập xã, thôn"
        assert L.series_break_note("") == ""
        assert L.series_break_year("merger_2020") == 2020

    def test_short_names(self):
        assert L.short_name("Huyện Sơn Động") == "Sơn Động"
        assert L.short_name("Thành phố Bắc Giang") == "TP Bắc Giang"
        assert L.short_name("Đảng bộ Công an tỉnh") == "Công an tỉnh"


class TestProjectionMeaningful:
    def test_limits(self):
        from analysis.present.report.sentences import projection_meaningful as meaningful

        assert meaningful(91.9, 85.4, 95.7)  # ± 5,2 points
        assert not meaningful(88.0, 43.2, 98.6)  # ± 27,7 points
        assert meaningful(50.0, 35.1, 64.9)  # ± 14,9
        assert not meaningful(50.0, 34.9, 65.1)  # ± 15,1
        assert not meaningful(99.31, 99.30, 99.32)  # 99,3%–99,3%
        assert not meaningful(97.0, 80.0, 100.0)  # cut at 100%
        assert not meaningful(1954.7, 0.0, 9165.2, "count")  # cut at 0
        assert not meaningful(168.6, 53.1, 284.2, "count")  # ± 116 of 169 (69%)
        assert meaningful(2500.0, 2200.0, 2800.0, "count")  # ± 300 of 2.500 (12%)
        assert meaningful(4.7, 3.2, 6.2, "count")  # ± 1,5 thôn (under the floor of 2)
        assert not meaningful(90.0, None, 95.0)

    def test_sentence_says_no_basis(self):
        row = progress_row(
            latest_year=2019,
            latest_value=86.0,
            projected_value=88.0,
            projected_lower=43.2,
            projected_upper=98.6,
        )
        text = indicator_sentence(row, T1_NAME, with_projection=True)
        assert "dự báo năm 2020: không đủ cơ sở dự báo" in text
        assert "43,2" not in text
