"""Issue 13, item 17: the summary/detail cross-check of units that send both, as the report
tells it ("khớp", or the cells that differ)."""

from __future__ import annotations

import pandas as pd

from analysis.present.report.crosscheck import crosscheck_sentences

NAMES = {"viet_yen": "Huyện Việt Yên", "tp_bac_giang": "Thành phố Bắc Giang",
         "son_dong": "Huyện Sơn Động", "luc_ngan": "Huyện Lục Ngạn"}


def crosscheck(differing_2018: int = 0) -> pd.DataFrame:
    rows = [("tp_bac_giang", y, 50, 0) for y in (2015, 2016, 2017, 2018)]
    rows += [("viet_yen", y, 50, differing_2018 if y == 2018 else 0)
             for y in (2015, 2016, 2017, 2018)]
    return pd.DataFrame(rows, columns=["unit_code", "year", "compared", "differing"])


def mismatch() -> pd.DataFrame:
    return pd.DataFrame([{
        "severity": "error", "rule": "summary_detail_mismatch", "unit_code": "viet_yen",
        "year": 2018, "column": "Tổng số TCCSĐ", "value": 1235,
        "message": "Bảng Tổng hợp ghi “Tổng số TCCSĐ” của “viet_yen” năm 2018 là 1.235, nhưng "
                   "cộng từ số liệu chi tiết được 1.234.",
    }])


class TestSentences:
    def test_province_names_each_unit_and_says_they_agree(self):
        text = crosscheck_sentences(crosscheck(), None, list(NAMES), NAMES,
                                    [2015, 2016, 2017, 2018])
        assert text[0].startswith("2 đơn vị gửi cả số liệu tổng hợp và số liệu chi tiết")
        # 4 years × 50 cells
        assert "Thành phố Bắc Giang (năm 2015–2018): đã đối chiếu 200 ô, tất cả đều khớp." in text
        assert "Huyện Việt Yên (năm 2015–2018): đã đối chiếu 200 ô, tất cả đều khớp." in text

    def test_differences_are_listed(self):
        text = crosscheck_sentences(crosscheck(differing_2018=1), mismatch(), ["viet_yen"],
                                    NAMES, [2015, 2016, 2017, 2018])
        assert text == [
            "Huyện Việt Yên gửi cả số liệu tổng hợp và số liệu chi tiết (năm 2015–2018): đã đối "
            "chiếu 200 ô của bảng tổng hợp với số cộng từ số liệu chi tiết, 1 ô không khớp: "
            "“Tổng số TCCSĐ” năm 2018: tổng hợp 1.235, chi tiết 1.234."
        ]

    def test_only_the_assessment_years(self):
        text = crosscheck_sentences(crosscheck(differing_2018=1), mismatch(), ["viet_yen"],
                                    NAMES, [2015, 2016, 2017])
        assert "năm 2015–2017" in text[0] and "150 ô" in text[0] and "tất cả đều khớp" in text[0]

    def test_a_unit_that_sends_one_kind(self):
        [detail] = crosscheck_sentences(crosscheck(), None, ["son_dong"], NAMES, [2015],
                                        {"son_dong": {"detail"}})
        assert detail == ("Huyện Sơn Động chỉ gửi số liệu chi tiết (không có bảng tổng hợp), "
                          "nên không có số liệu nào cần đối chiếu.")
        [summary] = crosscheck_sentences(crosscheck(), None, ["luc_ngan"], NAMES, [2015],
                                         {"luc_ngan": {"summary"}})
        assert "chỉ gửi số liệu tổng hợp (không có số liệu chi tiết)" in summary

    def test_nobody_sends_both(self):
        empty = crosscheck().iloc[0:0]
        [text] = crosscheck_sentences(empty, None, list(NAMES), NAMES, [2015])
        assert text.startswith("Không có đơn vị nào gửi cả số liệu tổng hợp và số liệu chi tiết")
        assert crosscheck_sentences(None, None, list(NAMES), NAMES, [2015]) == []


def test_validation_counts_the_cells_compared_and_a_changed_cell(demo_copy):
    """The demo's tp_bac_giang and viet_yen send both (demo README); one summary cell of
    viet_yen 2018 raised by 1 is one differing cell, and an error of validation."""
    from analysis.data.validate import validate_input

    path = demo_copy / "unit_summary.csv"
    summary = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = (summary["unit_code"] == "viet_yen") & (summary["year"] == "2018")
    assert row.sum() == 1
    summary.loc[row, "orgs_total"] = str(int(summary.loc[row, "orgs_total"].iloc[0]) + 1)
    summary.to_csv(path, index=False)
    result = validate_input(demo_copy)
    table = result.crosscheck
    assert sorted(set(table["unit_code"])) == ["tp_bac_giang", "viet_yen"]
    assert list(table["year"].unique()) == [2015, 2016, 2017, 2018, 2019, 2020]
    differing = table.loc[table["differing"] > 0]
    assert differing[["unit_code", "year", "differing"]].values.tolist() == [["viet_yen", 2018, 1]]
    assert (table["compared"] > 0).all()
    assert any(f.rule == "summary_detail_mismatch" and f.unit_code == "viet_yen"
               for f in result.errors)
