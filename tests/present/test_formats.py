"""Vietnamese number and date formats (expected strings written by hand from CLDR vi rules:
dot groups thousands, comma marks decimals)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from analysis.present.formats import (
    MISSING,
    auto_decimals,
    fmt_count,
    fmt_date,
    fmt_number,
    fmt_percent,
    fmt_points,
    fmt_value,
    is_missing,
)


class TestFmtNumber:
    def test_thousands_dot(self):
        assert fmt_number(1234) == "1.234"
        assert fmt_number(1234567) == "1.234.567"
        assert fmt_number(999) == "999"

    def test_decimal_comma(self):
        assert fmt_number(90.5, 1) == "90,5"
        assert fmt_number(1234.5, 2) == "1.234,50"
        assert fmt_number(-1234.5, 1) == "-1.234,5"

    def test_rounds_half_away_from_zero_like_excel(self):
        assert fmt_number(88.45, 1) == "88,5"
        assert fmt_number(0.125, 2) == "0,13"
        assert fmt_number(2.5) == "3"
        assert fmt_number(-2.5) == "-3"

    def test_no_negative_zero(self):
        assert fmt_number(-0.04, 1) == "0,0"
        assert fmt_number(-0.4) == "0"

    def test_numpy_and_decimal_inputs(self):
        assert fmt_number(np.int64(2412)) == "2.412"
        assert fmt_number(np.float64(90.5), 1) == "90,5"
        assert fmt_number(Decimal("1234.56"), 1) == "1.234,6"

    @pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, np.inf, -np.inf])
    def test_missing_is_en_dash(self, missing):
        assert fmt_number(missing) == "–"
        assert fmt_percent(missing) == "–"
        assert fmt_points(missing) == "–"
        assert fmt_count(missing, "người") == "–"
        assert MISSING == "–"

    def test_text_is_refused(self):
        with pytest.raises(TypeError):
            fmt_number("12")
        with pytest.raises(TypeError):
            fmt_number(True)


class TestFmtPercent:
    def test_one_decimal_by_default(self):
        assert fmt_percent(90.5) == "90,5%"
        assert fmt_percent(88.4) == "88,4%"
        assert fmt_percent(90) == "90,0%"

    def test_decimals(self):
        assert fmt_percent(100, 0) == "100%"
        assert fmt_percent(84.25, 2) == "84,25%"

    def test_value_is_already_0_to_100(self):
        assert fmt_percent(0.5) == "0,5%"

    def test_half_up(self):
        assert fmt_percent(88.45) == "88,5%"


class TestFmtPoints:
    def test_points(self):
        assert fmt_points(1.6) == "1,6 điểm phần trăm"
        assert fmt_points(-2.1) == "-2,1 điểm phần trăm"

    def test_signed(self):
        assert fmt_points(2.1, signed=True) == "+2,1 điểm phần trăm"
        assert fmt_points(-2.1, signed=True) == "-2,1 điểm phần trăm"
        assert fmt_points(0, signed=True) == "0,0 điểm phần trăm"

    def test_tiny_negative_is_zero(self):
        assert fmt_points(-0.04) == "0,0 điểm phần trăm"


class TestCountsAndValues:
    def test_count_with_noun(self):
        assert fmt_count(2412, "người") == "2.412 người"
        assert fmt_count(3, "thôn") == "3 thôn"
        assert fmt_count(112, "người", signed=True) == "+112 người"

    def test_value_by_unit(self):
        assert fmt_value(88.4, "percent") == "88,4%"
        assert fmt_value(2412, "count", "người") == "2.412 người"
        assert fmt_value(np.nan, "count", "người") == "–"
        with pytest.raises(ValueError, match="percent"):
            fmt_value(1, "ratio")

    def test_auto_decimals(self):
        assert auto_decimals(84) == 0
        assert auto_decimals(84.5) == 1
        assert auto_decimals(84.25) == 2
        assert auto_decimals(np.nan) == 0

    def test_is_missing(self):
        assert is_missing(pd.NaT)
        assert is_missing(pd.NA)
        assert not is_missing(0)
        assert not is_missing("")


class TestFmtDate:
    def test_official_style(self):
        assert fmt_date(dt.date(2026, 11, 26)) == "26 tháng 11 năm 2026"

    def test_official_leading_zeros(self):
        # Nghị định 30/2020/NĐ-CP: days below 10 and months 1 and 2 take a leading zero
        assert fmt_date(dt.date(2026, 1, 5)) == "05 tháng 01 năm 2026"
        assert fmt_date(dt.date(2026, 2, 14)) == "14 tháng 02 năm 2026"
        assert fmt_date(dt.date(2026, 3, 5)) == "05 tháng 3 năm 2026"

    def test_accepts_datetime_timestamp_and_iso_text(self):
        assert fmt_date(dt.datetime(2020, 6, 30, 15, 0)) == "30 tháng 6 năm 2020"
        assert fmt_date(pd.Timestamp("2020-06-30")) == "30 tháng 6 năm 2020"
        assert fmt_date("2020-06-30") == "30 tháng 6 năm 2020"

    def test_babel_long_format_as_babel_gives_it(self):
        # CLDR's vi "long" date (Babel 2.19) has a comma, not "năm": hence the official default
        assert fmt_date(dt.date(2026, 11, 26), format="long") == "26 tháng 11, 2026"

    def test_missing(self):
        assert fmt_date(None) == "–"
        assert fmt_date(pd.NaT) == "–"
