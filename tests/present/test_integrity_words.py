"""Tests for ``analysis.present.integrity_words``: the questions worded from the codes and numbers
of ``analysis.measure.integrity`` (the frames of its own tests, in tests/measure/test_integrity.py).
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.measure.integrity import integrity_summary, observed_vs_expected
from analysis.present import integrity_words
from analysis.present.integrity_words import DISCLAIMER_VI
from tests.measure import test_integrity as measure_tests


@pytest.fixture(scope="module")
def forced() -> pd.DataFrame:
    return measure_tests.make_orgs(forced="u5")


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return measure_tests.make_orgs()


def summary_findings() -> pd.DataFrame:
    return measure_tests.TestIntegritySummary().findings()


def questions_by_unit(frame: pd.DataFrame) -> dict[str, str | None]:
    """The questions of each unit joined by a space, ``None`` when it raises none."""
    return {
        str(row.reporting_unit): " ".join(integrity_words.questions(row)) or None
        for row in frame.itertuples(index=False)
    }


class TestFunnelQuestion:
    def test_questions_only_for_units_above(self):
        out = observed_vs_expected(measure_tests.stub_frame(), measure_tests.StubModel())
        out = out.set_index("reporting_unit")
        question = {u: integrity_words.funnel_question(row) for u, row in out.iterrows()}
        has_question = {u: q is not None for u, q in question.items()}
        assert has_question == {"a": True, "b": False, "c": False, "d": True, "e": False}
        q = question["d"]
        assert q.startswith("Năm 2019:")
        assert "30/100 (O)" in q and "E = 10,0" in q and "O/E = 3,00" in q and "99,8%" in q
        assert "đề nghị xem lại căn cứ xếp loại?" in q
        assert "95%" in question["a"]

    def test_whole_sentence(self):
        row = {"flag": "above_998", "period": "2019", "O": 30, "n": 100, "E": 10.0, "ratio": 3.0}
        assert integrity_words.funnel_question(row) == (
            "Năm 2019: số TCCSĐ xếp loại hoàn thành tốt nhiệm vụ trở lên là 30/100 (O), cao hơn "
            "mức dự kiến theo hồ sơ sinh hoạt chi bộ, kiểm tra, kỷ luật (E = 10,0; O/E = 3,00, "
            "vượt giới hạn kiểm soát 99,8%): đề nghị xem lại căn cứ xếp loại?"
        )
        pooled = {**row, "flag": "above_95", "period": "2016–2020", "O": 1234, "n": 1300,
                  "E": 1100.25, "ratio": 1.121563}  # fmt: skip
        assert integrity_words.funnel_question(pooled).startswith(
            "Giai đoạn 2016–2020: số TCCSĐ xếp loại hoàn thành tốt nhiệm vụ trở lên là "
            "1.234/1.300 (O)"
        )
        assert "(E = 1.100,2; O/E = 1,12, vượt giới hạn kiểm soát 95%)" in (
            integrity_words.funnel_question(pooled)
        )
        listed = integrity_words.funnel_question({**row, "period": "2016, 2018"})
        assert listed.startswith("Các năm 2016, 2018: ")
        for flag in ("within", "below_95", "below_998", None, pd.NA):
            assert integrity_words.funnel_question({**row, "flag": flag}) is None

    def test_forced_unit_has_a_question(self, forced):
        model = measure_tests.evidence_model(forced)
        out = observed_vs_expected(forced, model, by=("reporting_unit",))
        u5 = out.loc[out["reporting_unit"] == "u5"].iloc[0]
        assert integrity_words.funnel_question(u5) is not None


class TestSummaryQuestions:
    def test_forced_unit_funnel_and_rule_questions(self, forced):
        out = integrity_summary(forced, summary_findings(), years=measure_tests.YEARS)
        question = questions_by_unit(out)
        # questions: funnel + rule for u5, rule only for u2, none for the others
        assert "đề nghị xem lại căn cứ xếp loại?" in question["u5"]
        assert "1 cảnh báo" in question["u5"]
        assert question["u2"].startswith("Có 2 cảnh báo")
        assert [question[u] for u in ("u1", "u3", "u4")] == [None, None, None]
        u5 = integrity_words.questions(out.set_index("reporting_unit").loc["u5"])
        assert len(u5) == 2 and u5[0].startswith("Giai đoạn 2016–2020: ")
        assert u5[1] == (
            "Có 1 cảnh báo khi áp dụng quy định xếp loại của kỳ (TCCSĐ xếp loại hoàn thành tốt "
            "nhiệm vụ trở lên nhưng có trên 20% đảng viên không hoàn thành nhiệm vụ: 1 trường "
            "hợp): đề nghị đối chiếu hồ sơ xếp loại?"
        )

    def test_unit_only_in_findings(self, clean):
        findings = summary_findings().assign(unit_code="u9")
        out = integrity_summary(clean, findings, years=measure_tests.YEARS)
        assert questions_by_unit(out)["u9"].startswith("Có 3 cảnh báo")

    def test_rules_not_checked_raise_no_question(self, clean):
        out = integrity_summary(clean)
        assert all(integrity_words.rule_question(row) is None for _, row in out.iterrows())


def test_rule_labels():
    assert integrity_words.rule_label("excellent_cap_20") == (
        "số đảng viên hoàn thành xuất sắc nhiệm vụ vượt 20% số đảng viên hoàn thành tốt nhiệm vụ"
    )
    for rule in measure_tests.RULES:
        assert integrity_words.rule_label(rule)


def test_disclaimer_says_question_not_finding():
    assert integrity_words.disclaimer() == DISCLAIMER_VI
    assert "câu hỏi" in DISCLAIMER_VI and "không phải kết luận" in DISCLAIMER_VI
