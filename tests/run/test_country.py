"""A multi-province build: the reports planned (counted by hand from the units table), the
province totals against sums of the raw summary, and a small build that writes the national
and a province report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from analysis import params
from analysis.run.build import build
from analysis.run.layout import NATIONAL_DIR
from analysis.run.planning import plan_reports

N_PROVINCES = 2
NATIONAL = params.plan()["national_code"]


@pytest.fixture(scope="module")
def country_dir(tmp_path_factory) -> Path:
    from analysis.data.demo import write_country

    path = tmp_path_factory.mktemp("country") / "c2"
    write_country(path, n_provinces=N_PROVINCES, seed=1)
    return path


@pytest.fixture(scope="module")
def validation(country_dir):
    from analysis.data.validate import validate_input

    result = validate_input(country_dir)
    assert result.ok
    return result


@pytest.fixture(scope="module")
def country(validation):
    from analysis.measure.review import compute_build_review

    review = compute_build_review(validation, ["final"])
    assert review.is_country
    return review


def _units_by_province(validation) -> dict[str, list[str]]:
    """From the input's units table: province code → its districts and sector committees."""
    units = validation.data.tables["units"]
    provinces = sorted(units.loc[units["level"] == "province", "code"])
    reporting = units.loc[units["level"].isin(["district", "sector"])]
    return {p: sorted(reporting.loc[reporting["parent_code"] == p, "code"]) for p in provinces}


def test_unit_codes_are_unique_across_provinces(validation):
    codes = validation.data.tables["units"]["code"]
    assert codes.is_unique


def test_province_totals_are_sums_of_the_raw_summary(validation, country):
    summary = validation.summary
    by_province = _units_by_province(validation)
    assert list(country.provinces) == list(by_province)
    national_num = national_den = 0
    for province, units in by_province.items():
        rows = summary.loc[summary["unit_code"].isin(units) & (summary["year"] == 2019)]
        num = int((rows["orgs_excellent"] + rows["orgs_good"]).sum())
        den = int((rows["orgs_total"] - rows["orgs_not_rated"]).sum())
        ind = country.provinces[province].indicators
        t1 = ind.loc[(ind["indicator_id"] == "T1") & (ind["unit_code"] == province)
                     & (ind["year"] == 2019)].iloc[0]
        assert (t1["numerator"], t1["denominator"]) == (num, den)
        national_num, national_den = national_num + num, national_den + den
    ind = country.national.indicators
    total = ind.loc[(ind["indicator_id"] == "T1") & (ind["unit_code"] == NATIONAL)
                    & (ind["year"] == 2019)].iloc[0]
    assert (total["numerator"], total["denominator"]) == (national_num, national_den)


def test_plan_lists_every_unit_every_province_and_the_nation(validation, country, tmp_path):
    by_province = _units_by_province(validation)
    n_units = sum(len(u) for u in by_province.values())
    assessments = ["midterm", "final"]
    planned = plan_reports(country, assessments, "all", ["html"], tmp_path, "d" * 64)
    # per assessment: every reporting unit + one report per province + one national
    assert len(planned) == len(assessments) * (n_units + N_PROVINCES + 1)
    assert len({r.report_dir for r in planned}) == len(planned)
    final = [r for r in planned if r.assessment_id == "final"]
    assert final[0].unit_code == NATIONAL
    assert final[0].report_dir == tmp_path / "final" / NATIONAL_DIR
    assert final[0].notebook.name == "national_report.py"
    first, units = next(iter(by_province.items()))
    assert final[1].unit_code == first and final[1].notebook.name == "province_report.py"
    assert final[1].report_dir == tmp_path / "final" / first / first
    unit = next(r for r in final if r.unit_code == units[0])
    assert unit.report_dir == tmp_path / "final" / first / units[0]
    assert unit.notebook.name == "unit_report.py"
    # each report loads only its own scope's bundle
    assert unit.bundle == final[1].bundle != final[0].bundle
    selected = plan_reports(country, ["final"], "national,province", ["html"], tmp_path, "d" * 64)
    assert [r.unit_code for r in selected] == [NATIONAL, *by_province]


def test_unknown_unit_is_refused(country, tmp_path):
    with pytest.raises(ValueError, match="Không có đơn vị"):
        plan_reports(country, ["final"], "nowhere", ["html"], tmp_path, "d" * 64)


def _text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.slow
def test_small_country_build_writes_national_and_province_reports(
    country_dir, validation, tmp_path
):
    out = tmp_path / "out"
    first = _units_by_province(validation)
    province = next(iter(first))
    status = build(
        country_dir,
        assessment="final",
        unit=f"national,{province}",
        formats=("html",),
        out=out,
        jobs=2,
        console=Console(file=io.StringIO(), width=200),
    )
    assert status == 0
    units = validation.data.tables["units"]
    names = dict(zip(units["code"], units["name"], strict=False))
    national = _text((out / "final" / NATIONAL_DIR / "report.html").read_text(encoding="utf-8"))
    assert params.plan()["national_name_vi"] in national
    for code in first:  # every province, side by side
        assert names[code] in national
    assert "So sánh các tỉnh theo từng mục tiêu" in national
    report = _text((out / "final" / province / province / "report.html").read_text("utf-8"))
    assert names[province] in report
    for code in first[province][:3]:
        assert names[code] in report
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"final/{NATIONAL_DIR}/report.html" in index
    assert f"final/{province}/{province}/report.html" in index
    assert f"<h3>{names[province]}</h3>" in index


def test_national_sections_name_every_province(validation, country):
    from analysis.present import report as national

    ctx = national.national_context(country.national, NATIONAL, "final")
    units = validation.data.tables["units"]
    names = dict(zip(units["code"], units["name"], strict=False))
    heat = _text(national.heat_table_section(ctx).data)
    notes = _text(national.data_notes_section(ctx).data)
    for code in country.provinces:
        assert names[code] in heat and names[code] in notes
    assert "2. So sánh các tỉnh theo từng mục tiêu" in heat
    assert "Toàn tỉnh" not in heat  # the total row is the nation
    assert params.plan()["national_name_vi"] in heat
    # the targets note: the same targets for every province, count targets summed
    assert "áp dụng như nhau cho mọi tỉnh" in notes and "T5" in notes
    assert "không có bản đồ ô" in notes
