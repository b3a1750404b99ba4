"""A country's reviews: one per province (Σ over its own units) and a national one (Σ over the
provinces), on a tiny hand-built two-province input whose totals are computed by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from analysis import params
from analysis.measure.review import (
    NATIONAL_LEVEL,
    compute_build_review,
    compute_country_review,
    is_country,
    province_of_units,
)

YEAR = 2019
NATIONAL = params.plan()["national_code"]

UNITS = pd.DataFrame(
    [
        ("pa", "Tỉnh A", "province", None),
        ("pb", "Tỉnh B", "province", None),
        ("pa_d1", "Huyện A1", "district", "pa"),
        ("pa_d2", "Huyện A2", "district", "pa"),
        ("pa_s1", "Đảng bộ Khối A", "sector", "pa"),
        ("pb_d1", "Huyện B1", "district", "pb"),
        ("pa_d1_c1", "Xã A1-1", "commune", "pa_d1"),
        ("pa_d1_c1_v1", "Thôn A1-1-1", "village", "pa_d1_c1"),
    ],
    columns=["code", "name", "level", "parent_code"],
)

# (unit, level, parent, orgs_total, orgs_not_rated, orgs_excellent, orgs_good, admissions)
ROWS = [
    ("pa_d1", "district", "pa", 10, 0, 2, 6, 100),     # T1 8/10
    ("pa_d2", "district", "pa", 20, 2, 3, 12, 50),     # T1 15/18
    ("pa_s1", "sector", "pa", 5, 0, 1, 3, 10),         # T1 4/5
    ("pb_d1", "district", "pb", 40, 0, 10, 26, 200),   # T1 36/40
    # a commune inside pa_d1: shown, never added to the province again
    ("pa_d1_c1", "commune", "pa_d1", 10, 0, 2, 6, 40),
]


def _summary() -> pd.DataFrame:
    df = pd.DataFrame(
        ROWS,
        columns=["unit_code", "level", "parent_code", "orgs_total", "orgs_not_rated",
                 "orgs_excellent", "orgs_good", "admissions"],
    )
    df.insert(3, "year", pd.array([YEAR] * len(df), dtype="Int64"))
    df["source"] = "summary"
    for col in ("orgs_total", "orgs_not_rated", "orgs_excellent", "orgs_good", "admissions"):
        df[col] = pd.array(df[col], dtype="Int64")
    df["orgs_completed"] = pd.array([0] * len(df), dtype="Int64")
    df["orgs_failed"] = pd.array([0] * len(df), dtype="Int64")
    return df


def _validation(units: pd.DataFrame = UNITS) -> SimpleNamespace:
    """What compute_country_review reads of a ValidationResult (no detail tables)."""
    findings = pd.DataFrame(
        {"severity": ["warning"], "rule": ["x"], "message": ["m"], "unit_code": ["pb_d1"],
         "year": [YEAR]}
    )
    data = SimpleNamespace(
        tables={"units": units.copy()},
        fingerprint="abc123",
        source=SimpleNamespace(name="country"),
    )
    return SimpleNamespace(
        data=data,
        summary=_summary(),
        completeness=None,
        findings_frame=lambda: findings,
    )


def _row(indicators: pd.DataFrame, indicator_id: str, unit_code: str) -> pd.Series:
    hit = indicators.loc[
        (indicators["indicator_id"] == indicator_id)
        & (indicators["unit_code"] == unit_code)
        & (indicators["year"] == YEAR)
    ]
    assert len(hit) == 1, (indicator_id, unit_code, len(hit))
    return hit.iloc[0]


@pytest.fixture(scope="module")
def country():
    return compute_country_review(_validation(), ["final"])


def test_province_of_units_follows_parents():
    owner = province_of_units(UNITS)
    assert owner.to_dict() == {
        "pa": "pa", "pb": "pb", "pa_d1": "pa", "pa_d2": "pa", "pa_s1": "pa", "pb_d1": "pb",
        "pa_d1_c1": "pa", "pa_d1_c1_v1": "pa",
    }


def test_is_country():
    assert is_country(UNITS)
    assert not is_country(UNITS.loc[UNITS["code"] != "pb"])


def test_one_province_input_keeps_the_province_review():
    one = UNITS.loc[~UNITS["code"].str.startswith("pb")]
    review = compute_build_review(_validation(one), ["final"])
    assert not review.is_country and review.province_code == "pa"


def test_each_province_total_is_the_sum_over_its_own_units(country):
    assert list(country.provinces) == ["pa", "pb"]
    pa = country.provinces["pa"].indicators
    t1 = _row(pa, "T1", "pa")
    # (8 + 15 + 4) / (10 + 18 + 5); the commune is inside pa_d1 and not added again
    assert (t1["numerator"], t1["denominator"]) == (27, 33)
    assert t1["value"] == pytest.approx(100 * 27 / 33)
    assert _row(pa, "T5", "pa")["numerator"] == 100 + 50 + 10
    pb = country.provinces["pb"].indicators
    assert (_row(pb, "T1", "pb")["numerator"], _row(pb, "T1", "pb")["denominator"]) == (36, 40)
    assert _row(pb, "T5", "pb")["value"] == 200
    # a province's review holds its own units only
    assert set(pb["unit_code"]) == {"pb", "pb_d1"}
    assert country.provinces["pb"].reporting_units["code"].tolist() == ["pb_d1"]


def test_national_total_is_the_sum_over_the_provinces(country):
    ind = country.national.indicators
    t1 = _row(ind, "T1", NATIONAL)
    assert t1["level"] == NATIONAL_LEVEL
    assert (t1["numerator"], t1["denominator"]) == (27 + 36, 33 + 40)
    assert t1["value"] == pytest.approx(100 * 63 / 73)
    assert _row(ind, "T5", NATIONAL)["numerator"] == 160 + 200
    # the provinces are the national review's reporting units, re-parented to the nation
    pa = _row(ind, "T1", "pa")
    assert (pa["level"], pa["parent_code"], pa["numerator"]) == ("province", NATIONAL, 27)
    assert set(ind["unit_code"]) == {NATIONAL, "pa", "pb"}
    assert country.national.reporting_units["code"].tolist() == ["pa", "pb"]
    assert country.national.province_name == params.plan()["national_name_vi"]


def test_targets_same_for_every_province_count_targets_summed_for_the_nation(country):
    targets = params.targets()["targets"]
    for code in ("pa", "pb"):
        ind = country.provinces[code].indicators
        assert _row(ind, "T1", code)["target_value"] == targets["T1"]["value"]
        assert _row(ind, "T5", code)["target_value"] == targets["T5"]["value"]
    ind = country.national.indicators
    assert _row(ind, "T1", NATIONAL)["target_value"] == targets["T1"]["value"]
    assert _row(ind, "T5", NATIONAL)["target_value"] == 2 * targets["T5"]["value"]


def test_national_verdicts_and_funnels_compare_provinces(country):
    part = country.national.assessments["final"]
    t1 = part.progress.loc[part.progress["indicator_id"] == "T1", "unit_code"]
    assert set(t1) == {NATIONAL, "pa", "pb"}
    funnel = part.funnels.loc[part.funnels["indicator_id"] == "T1"]
    assert sorted(funnel["unit_code"]) == ["pa", "pb"]
    # the funnel's baseline is the national value: Σ numerators / Σ denominators
    assert funnel["baseline"].iloc[0] == pytest.approx(100 * 63 / 73)


def test_review_for_and_names(country):
    assert country.review_for("pa_d2") is country.provinces["pa"]
    assert country.review_for("pb") is country.provinces["pb"]
    assert country.review_for(NATIONAL) is country.national
    names = country.unit_names()
    assert names["pa_s1"] == "Đảng bộ Khối A" and names["pb"] == "Tỉnh B"
    # warnings are counted per province in the national report
    assert country.national.unit_provinces == {"pb_d1": "pb"}


def test_national_code_must_not_be_a_province_code():
    units = UNITS.replace({"pb": NATIONAL, "pb_d1": "x_d1"})
    units.loc[units["code"] == "x_d1", "parent_code"] = NATIONAL
    with pytest.raises(ValueError, match="trùng mã một tỉnh"):
        compute_country_review(_validation(units), ["final"])
