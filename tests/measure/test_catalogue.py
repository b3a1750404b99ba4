"""The indicator catalogue: coverage of the resolution, validation, expressions, generated docs."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import config, params
from analysis.measure.catalogue import (
    get_indicator,
    load_catalogue,
    parse_expression,
    summary_count_columns,
)
from analysis.present.catalogue_doc import catalogue_markdown, target_text

EXPECTED_IDS = {
    "T1", "T2", "T3a", "T3b", "T4", "T5", "T6", "T7",
    "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9a", "P9b", "P10a", "P10b", "P11",
    "P12a", "P12b", "P12c", "P12d", "P12e", "P13", "P14", "P15", "P16", "P17a", "P17b",
}
VILLAGE_OR_COMMUNE_OFFICIALS = {"T3a", "T3b", "T6", "T7", "P3", "P9a", "P9b", "P13", "P14"}

GOOD_ENTRY = {
    "id": "X1",
    "name_vi": "Chỉ tiêu thử",
    "name_en": "Test indicator",
    "numerator": "cells_thematic",
    "denominator": "cells_total",
    "excluded": None,
    "unit": "percent",
    "polarity": "higher",
    "target_ref": None,
    "levels": ["province", "district"],
    "section": "1.2",
    "source_vi": "Câu thử.",
    "break_years": [],
    "breakdowns": [],
    "description_vi": "Một câu.",
}


def write_catalogue(tmp_path: Path, *entries: dict, breaks: dict | None = None) -> Path:
    path = tmp_path / "catalogue.yaml"
    doc = {"series_breaks": breaks or {2018: {"label": "rating_scheme_2018"}},
           "indicators": list(entries)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


class TestLoadCatalogue:
    def test_every_target_and_process_indicator_is_present(self):
        ids = [i.id for i in load_catalogue()]
        assert set(ids) == EXPECTED_IDS
        assert len(ids) == len(set(ids))

    def test_every_target_in_params_belongs_to_an_indicator(self):
        refs = {i.target_ref for i in load_catalogue()}
        assert set(params.targets()["targets"]) <= refs

    def test_targets_are_referenced_by_their_own_ids(self):
        for ind in load_catalogue():
            if ind.id.startswith("T"):
                assert ind.target_ref == ind.id

    def test_vietnamese_text_is_nfc_with_diacritics(self):
        for ind in load_catalogue():
            for text in (ind.name_vi, ind.source_vi, ind.description_vi):
                assert text == unicodedata.normalize("NFC", text)
            assert any(ord(ch) > 127 for ch in ind.name_vi), ind.id

    def test_units_and_denominators_agree(self):
        for ind in load_catalogue():
            assert (ind.unit == "percent") == (ind.denominator is not None), ind.id

    def test_definitions_from_the_brief(self):
        t1 = get_indicator("T1")
        assert str(t1.numerator) == "orgs_excellent + orgs_good"
        assert str(t1.denominator) == "orgs_total − orgs_not_rated"
        assert str(t1.excluded) == "orgs_not_rated"
        t2 = get_indicator("T2")
        assert str(t2.numerator) == "committee_trained"
        assert str(t2.denominator) == "committee_members"
        t5 = get_indicator("T5")
        assert (t5.unit, t5.denominator, t5.target_ref) == ("count", None, "T5")
        t6 = get_indicator("T6")
        assert str(t6.numerator) == "villages_head_member"
        assert str(t6.denominator) == "villages_total"
        for ind_id, col in (("T7", "villages_no_members"), ("P3", "villages_combined_cell"),
                            ("P13", "villages_at_risk")):
            ind = get_indicator(ind_id)
            assert (str(ind.numerator), ind.unit, ind.polarity) == (col, "count", "lower")

    def test_village_and_commune_official_indicators_do_not_exist_for_sectors(self):
        for ind in load_catalogue():
            if ind.id in VILLAGE_OR_COMMUNE_OFFICIALS:
                assert "sector" not in ind.levels, ind.id
                assert "district" in ind.levels and "province" in ind.levels

    def test_series_breaks(self):
        for ind_id in ("T1", "T4", "P4"):
            ind = get_indicator(ind_id)
            assert ind.break_years == (2018,)
            assert ind.break_label(2018) == "rating_scheme_2018"
            assert ind.break_label(2017) == ""
        for ind_id in ("T6", "T7", "P3", "P13", "P14"):
            assert get_indicator(ind_id).break_label(2020) == "merger_2020"
        assert get_indicator("T5").break_years == ()

    def test_unknown_column_names_indicator_and_column(self, tmp_path):
        bad = {**GOOD_ENTRY, "id": "X9", "denominator": "cells_total + cels_monthly"}
        with pytest.raises(ValueError, match=r"X9.*cels_monthly"):
            load_catalogue(write_catalogue(tmp_path, bad))

    def test_missing_field(self, tmp_path):
        bad = {k: v for k, v in GOOD_ENTRY.items() if k != "polarity"}
        with pytest.raises(ValueError, match=r"X1.*polarity"):
            load_catalogue(write_catalogue(tmp_path, bad))

    def test_unknown_field(self, tmp_path):
        with pytest.raises(ValueError, match=r"X1.*colour"):
            load_catalogue(write_catalogue(tmp_path, {**GOOD_ENTRY, "colour": "red"}))

    @pytest.mark.parametrize(("field", "value", "message"), [
        ("unit", "ratio", "unit 'ratio'"),
        ("polarity", "up", "polarity 'up'"),
        ("levels", ["province", "village"], "levels"),
        ("levels", ["district"], "province"),
        ("break_years", [2019], "2019"),
        ("breakdowns", ["org_type"], "org_type"),
        ("target_ref", "T99", "T99"),
        ("denominator", None, "mẫu số"),
        ("numerator", "cells_total * 2", "\\*"),
        ("numerator", "2", "cột"),
    ])
    def test_bad_values(self, tmp_path, field, value, message):
        with pytest.raises(ValueError, match=message):
            load_catalogue(write_catalogue(tmp_path, {**GOOD_ENTRY, field: value}))

    def test_count_with_denominator_is_rejected(self, tmp_path):
        with pytest.raises(ValueError, match="count"):
            load_catalogue(write_catalogue(tmp_path, {**GOOD_ENTRY, "unit": "count"}))

    def test_duplicate_id(self, tmp_path):
        with pytest.raises(ValueError, match="X1"):
            load_catalogue(write_catalogue(tmp_path, GOOD_ENTRY, GOOD_ENTRY))

    def test_a_new_ratio_needs_only_an_entry(self, tmp_path):
        entry = {**GOOD_ENTRY, "numerator": "villages_own_cell",
                 "denominator": "villages_total - villages_no_members"}
        (ind,) = load_catalogue(write_catalogue(tmp_path, entry))
        assert ind.columns == ("villages_own_cell", "villages_total", "villages_no_members")

    def test_every_summary_count_column_is_usable(self):
        for col in summary_count_columns():
            assert parse_expression(col).columns == (col,)


class TestParseExpression:
    def test_terms_and_signs(self):
        expr = parse_expression("orgs_total - orgs_not_rated + 2")
        assert expr.terms == ((1, "orgs_total"), (-1, "orgs_not_rated"), (1, 2))
        assert parse_expression("a−b").terms == ((1, "a"), (-1, "b"))  # U+2212 minus
        assert parse_expression("-a + b").terms == ((-1, "a"), (1, "b"))
        assert parse_expression("a-b").terms == ((1, "a"), (-1, "b"))

    @pytest.mark.parametrize("text", [
        "", "a * b", "a / b", "a + + b", "a b", "a +", "__import__('os')", "a.b", "(a)", "1a",
        "- - a",
    ])
    def test_rejected(self, text):
        with pytest.raises(ValueError):
            parse_expression(text)

    def test_evaluate_on_columns_with_missing_values(self):
        frame = pd.DataFrame({
            "a": pd.array([10, 5, None], dtype="Int64"),
            "b": pd.array([3, 5, 1], dtype="Int64"),
        })
        got = parse_expression("a - b + 1").evaluate(frame)
        assert got[0] == 8 and got[1] == 1 and np.isnan(got[2])


class TestMarkdown:
    def test_docs_are_up_to_date(self):
        committed = (config.DOCS_DIR / "indicators.md").read_text(encoding="utf-8")
        assert catalogue_markdown() == committed, (
            "docs/indicators.md is stale: run "
            "`python -c 'from analysis.present.catalogue_doc import write_catalogue_docs as w; "
            "w()'`"
        )

    def test_every_indicator_has_a_row(self):
        text = catalogue_markdown()
        for ind_id in EXPECTED_IDS:
            assert f"\n| {ind_id} | " in text

    def test_target_texts(self):
        targets = {
            "targets": {
                "T1": {"op": ">=", "value": 90, "kind": "every_year"},
                "T4": {"op": ">", "value": 84, "kind": "every_year"},
                "T5": {"op": ">=", "value": 2300, "kind": "every_year"},
                "T7": {"op": "==", "value": 0, "kind": "by_year", "year": 2020},
            },
            "quotas": {"T5": {"a": 1, "b": 2}},
        }
        assert target_text(get_indicator("T1"), targets) == "≥ 90% mỗi năm"
        assert target_text(get_indicator("T4"), targets) == "> 84% mỗi năm"
        assert target_text(get_indicator("T7"), targets) == "= 0 đến 2020"
        t5 = target_text(get_indicator("T5"), targets)
        assert t5.startswith("≥ 2.300 mỗi năm (toàn tỉnh; 2 ")
        assert target_text(get_indicator("P2"), targets) == ""
