"""analysis.measure.review.trend_directions: arrows over the full data years only."""

import pandas as pd

from analysis.measure.review import trend_directions


def test_partial_year_is_ignored():
    rows = pd.DataFrame({
        "indicator_id": ["P9b"] * 6 + ["P17a"] * 3,
        "unit_code": ["bac_giang"] * 6 + ["son_dong"] * 3,
        "year": [2015, 2016, 2017, 2018, 2019, 2020, 2015, 2019, 2020],
        "value": [30, 31, 29, 30, 30, 23, 27, 28, 27],
        "breakdown": "",
        "level": ["province"] * 6 + ["district"] * 3,
    })
    out = trend_directions(rows, [2015, 2016, 2017, 2018, 2019])
    got = dict(zip(out["indicator_id"], out["trend_direction"], strict=True))
    # 30 → 30 (2020's 23 ignored): flat; 27 → 28: up
    assert got == {"P9b": "no_change", "P17a": "increasing"}


def test_breakdowns_levels_and_single_years_left_out():
    rows = pd.DataFrame({
        "indicator_id": ["P3", "P3", "P3", "P3", "P5"],
        "unit_code": ["a", "a", "a", "a", "b"],
        "year": [2015, 2017, 2015, 2017, 2015],
        "value": [10, 8, 1, 5, 50],
        "breakdown": ["", "", "women", "women", ""],
        "level": ["district"] * 4 + ["commune"],
    })
    out = trend_directions(rows, [2015, 2016, 2017], levels=["district"])
    assert out.to_dict("records") == [
        {"indicator_id": "P3", "unit_code": "a", "trend_direction": "decreasing"}
    ]
