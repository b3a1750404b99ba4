"""Rules across rows, tables and years, on a small hand-made input that is clean to start with.

Each test breaks one thing and checks the finding: rule id, severity, Excel row, column header
and the key part of the Vietnamese message.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from analysis.data import schema
from analysis.data.findings import ERROR, WARNING
from analysis.data.rules import (
    TRUNCATED,
    check_codes,
    check_completeness,
    check_outliers,
    check_period_rules,
    check_rating_scheme,
    check_row_rules,
    check_rules,
    check_summary_vs_detail,
    completeness_table,
    fmt_int,
    period_rule_counts,
    rule_config,
)
from tests.data.frames import NA, org, typed

PLAN = {"first_year": 2019, "last_year": 2019}


BASE_ROWS = {
    "units": [
        dict(code="bg", name="Bắc Giang", level="province", kind="tinh"),                 # 2
        dict(code="d1", name="Huyện Một", level="district", parent_code="bg", kind="huyen"),
        dict(code="d2", name="Huyện Hai", level="district", parent_code="bg", kind="huyen"),
        dict(code="s1", name="Khối cơ quan", level="sector", parent_code="bg",             # 5
             kind="khoi_co_quan"),
        dict(code="c1", name="Xã Một", level="commune", parent_code="d1", kind="xa"),
        dict(code="c2", name="Phường Hai", level="commune", parent_code="d1", kind="phuong",
             last_year=2019),
        dict(code="c3", name="Xã Ba", level="commune", parent_code="d2", kind="xa"),
        dict(code="c4", name="Xã Bốn", level="commune", parent_code="d1", kind="xa",
             first_year=2020),
        dict(code="v1", name="Thôn 1", level="village", parent_code="c1", kind="thon"),   # 10
        dict(code="v2", name="Thôn 2", level="village", parent_code="c1", kind="thon"),
        dict(code="v3", name="Thôn 3", level="village", parent_code="c3", kind="thon"),
        dict(code="v4", name="Thôn 4", level="village", parent_code="c4", kind="thon"),
    ],
    "crosswalk": [dict(old_code="c2", new_code="c1", effective_year=2020)],
    "organizations": [
        org(org_code="o1", reporting_unit="d1", commune_code="c1", org_type="xa",  # row 2
            org_form="dang_bo_co_so", rating="tot", members_total=40, members_not_rated=2,
            members_excellent=4, members_good=30, members_completed=4, admissions=2,
            admissions_women=1, admissions_youth=1, admissions_ethnic=0,
            admissions_religious=0, admissions_nonstate=0, committee_members=9,
            committee_trained=9, cells_total=8,
            cells_monthly=8, cells_thematic=6, supervision_checks=2),
        org(org_code="o2", reporting_unit="d1", commune_code="c2", org_type="phuong",  # row 3
            rating="hoan_thanh", remediation_plan=True, members_total=20, members_good=15,
            members_completed=5),
        org(org_code="o3", reporting_unit="d2", commune_code="c3", org_type="xa",  # row 4
            rating="tot", members_total=25, members_excellent=2, members_good=20,
            members_completed=3),
        org(org_code="o4", reporting_unit="s1", org_type="co_quan_hanh_chinh",  # row 5
            rating="tot", members_total=10, members_excellent=1, members_good=8,
            members_completed=1, head_is_secretary=True),
    ],
    "villages": [
        dict(year=2019, village_code="v1", commune_code="c1", party_members=5, own_cell=True,
             head_is_member=True, secretary_is_head=True),
        dict(year=2019, village_code="v2", commune_code="c1", party_members=0, own_cell=False,
             head_is_member=False),
        dict(year=2019, village_code="v3", commune_code="c3", party_members=3, own_cell=True,
             head_is_member=True),
    ],
    "officials": [
        dict(snapshot_year=2019, term="2015_2020", commune_code="c1", position="bi_thu", seq=1,
             education="dai_hoc", theory="trung_cap"),
    ],
    "unit_summary": [  # agrees with the detail of d2
        dict(year=2019, unit_code="d2", orgs_total=1, orgs_not_rated=0, orgs_excellent=0,
             orgs_good=1, orgs_completed=0, orgs_failed=0, members_total=25,
             members_not_rated=0, members_excellent=2, members_good=20, members_completed=3,
             members_failed=0, admissions=0, villages_total=1, villages_no_members=0),
    ],
}


def rows() -> dict[str, list[dict]]:
    return copy.deepcopy(BASE_ROWS)


def tables(r: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    return {name: typed(name, table_rows) for name, table_rows in r.items()}


def only(findings, rule):
    return [f for f in findings if f.rule == rule]


def one(findings, rule):
    got = only(findings, rule)
    assert len(got) == 1, f"{rule}: {len(got)} findings; all: {[f.rule for f in findings]}"
    return got[0]


def header(table, column):
    return schema.table(table).column(column).header_vi


# --------------------------------------------------------------------------------------------
def test_clean_input_has_no_findings():
    assert check_rules(tables(rows()), plan=PLAN) == []


def test_fmt_int_uses_dots():
    assert fmt_int(1234567) == "1.234.567"
    assert fmt_int(0) == "0"
    assert fmt_int(NA) == ""


# ---- codes ---------------------------------------------------------------------------------
class TestCodes:
    def test_unknown_reporting_unit_in_organizations(self):
        r = rows()
        r["organizations"][3]["reporting_unit"] = "dx"
        f = one(check_codes(tables(r)), "unknown_reporting_unit")
        assert (f.severity, f.row, f.column, f.value) == (
            ERROR, 5, header("organizations", "reporting_unit"), "dx")
        assert "“dx” không có trong danh mục đơn vị" in f.message
        assert (f.sheet, f.file, f.year) == ("TCCSĐ", "input.xlsx", 2019)

    def test_commune_code_as_reporting_unit(self):
        r = rows()
        r["organizations"][3]["reporting_unit"] = "c1"
        f = one(check_codes(tables(r)), "unknown_reporting_unit")
        assert f.row == 5
        assert "là xã, phường, thị trấn, không phải đảng bộ trực thuộc Tỉnh ủy" in f.message

    def test_unit_summary_unknown_and_wrong_level(self):
        r = rows()
        r["unit_summary"] += [dict(year=2019, unit_code="zz", orgs_total=1),
                              dict(year=2019, unit_code="c3", orgs_total=1)]
        found = check_codes(tables(r))
        f = one(found, "unknown_reporting_unit")
        assert (f.row, f.column, f.sheet) == (3, header("unit_summary", "unit_code"), "Tổng hợp")
        g = one(found, "summary_unit_wrong_level")
        assert (g.row, g.value) == (4, "c3")
        assert "chỉ ghi đảng bộ trực thuộc Tỉnh ủy" in g.message

    def test_unknown_commune_and_not_a_commune(self):
        r = rows()
        r["villages"][1]["commune_code"] = "cx"
        r["officials"][0]["commune_code"] = "d1"
        found = check_codes(tables(r))
        f = one(found, "unknown_commune")
        assert (f.sheet, f.row, f.column, f.value) == (
            "Thôn", 3, header("villages", "commune_code"), "cx")
        assert "Mã xã “cx” không có trong danh mục đơn vị" in f.message
        g = one(found, "not_a_commune")
        assert (g.sheet, g.row, g.column) == ("Cán bộ chủ chốt xã", 2, "Mã xã")
        assert "“d1” là huyện, thành phố, không phải xã, phường, thị trấn" in g.message

    def test_commune_wrong_district(self):
        r = rows()
        r["organizations"][2]["commune_code"] = "c1"  # c1 belongs to d1, row says d2
        f = one(check_codes(tables(r)), "commune_wrong_district")
        assert (f.severity, f.row, f.column, f.value, f.unit_code) == (
            ERROR, 4, header("organizations", "commune_code"), "c1", "d2")
        assert "Xã “c1” thuộc “d1” theo danh mục đơn vị, nhưng dòng này ghi mã đảng bộ “d2”" \
            in f.message

    def test_village_unknown_or_under_another_commune(self):
        r = rows()
        r["villages"][0]["village_code"] = "v9"
        r["villages"][2]["commune_code"] = "c1"  # v3 belongs to c3
        found = check_codes(tables(r))
        f = one(found, "unknown_village")
        assert (f.row, f.column, f.value) == (2, header("villages", "village_code"), "v9")
        g = one(found, "village_wrong_commune")
        assert (g.row, g.column, g.value) == (4, header("villages", "commune_code"), "c1")
        assert "Thôn “v3” thuộc xã “c3”" in g.message

    def test_commune_not_existing_in_year(self):
        r = rows()
        r["villages"].append(dict(year=2019, village_code="v4", commune_code="c4",
                                  party_members=2, own_cell=False, head_is_member=False))
        f = one(check_codes(tables(r)), "commune_not_existing_in_year")
        assert (f.severity, f.sheet, f.row, f.value, f.year, f.unit_code) == (
            ERROR, "Thôn", 5, "c4", 2019, "d1")
        assert "Xã “c4” chỉ có từ năm 2020, nhưng dòng này là năm 2019" in f.message

    def test_merged_unit_still_reporting(self):
        r = rows()
        r["organizations"].append(org(year=2020, org_code="o2", reporting_unit="d1",
                                      commune_code="c2", org_type="phuong", rating="tot",
                                      members_total=21, members_good=21))
        found = check_codes(tables(r))
        f = one(found, "merged_unit_still_reporting")
        assert (f.row, f.column, f.value, f.year) == (
            6, header("organizations", "commune_code"), "c2", 2020)
        assert "đã sáp nhập vào “c1” từ năm 2020, nhưng vẫn có số liệu năm 2020" in f.message
        assert not only(found, "commune_not_existing_in_year")  # said once, not twice

    def test_absorbed_village_still_reporting(self):
        r = rows()
        r["crosswalk"].append(dict(old_code="v2", new_code="v1", effective_year=2019))
        f = one(check_codes(tables(r)), "merged_unit_still_reporting")
        assert (f.sheet, f.row, f.column, f.value, f.unit_code) == (
            "Thôn", 3, header("villages", "village_code"), "v2", "d1")
        assert "“v2” đã sáp nhập vào “v1” từ năm 2019" in f.message

    def test_unit_list_itself(self):
        r = rows()
        r["units"][9]["parent_code"] = "nowhere"   # v1 (row 11)
        r["units"][10]["parent_code"] = "d1"       # v2 under a district (row 12)
        r["units"][11]["parent_code"] = None       # v3 without parent (row 13)
        r["units"][3]["kind"] = "huyen"            # s1 (row 5): a sector of kind huyện
        found = check_codes(tables(r))
        f = one(found, "unknown_parent_unit")
        assert (f.sheet, f.row, f.column, f.value) == ("Đơn vị", 11, "Mã đơn vị cấp trên",
                                                       "nowhere")
        g = one(found, "parent_wrong_level")
        assert g.row == 12
        assert "cấp trên phải là xã, phường, thị trấn" in g.message
        h = one(found, "missing_parent_unit")
        assert h.row == 13 and "chưa ghi mã đơn vị cấp trên" in h.message
        k = one(found, "unit_kind_level_mismatch")
        assert (k.row, k.column, k.value) == (5, "Loại đơn vị", "Huyện")
        assert "thuộc cấp “Huyện, thành phố”" in k.message

    def test_commune_code_and_org_type_disagree(self):
        r = rows()
        r["organizations"][0]["commune_code"] = None
        r["organizations"][3]["commune_code"] = "c1"
        found = check_codes(tables(r))
        f = one(found, "commune_org_without_commune")
        assert (f.severity, f.row) == (WARNING, 2)
        g = one(found, "commune_code_on_other_org")
        assert (g.severity, g.row, g.value) == (WARNING, 5, "c1")


# ---- row rules -----------------------------------------------------------------------------
ROW_CASES = [
    # table, row index, changes, rule, severity, column, message part
    ("organizations", 0, {"members_total": 39}, "members_sum_exceeds_total", ERROR,
     "members_total", "là 40, lớn hơn Tổng số đảng viên (39)"),
    ("organizations", 0, {"members_total": 43}, "members_not_classified", WARNING,
     "members_total", "3 ĐV chưa được phân loại"),
    ("organizations", 0, {"admissions_women": 3}, "admissions_group_exceeds_total", ERROR,
     "admissions_women", "“Kết nạp: nữ” (3) nhiều hơn Số kết nạp (2)"),
    ("organizations", 0, {"committee_trained": 10}, "committee_trained_exceeds_members", ERROR,
     "committee_trained", "(10) nhiều hơn số cấp ủy viên (9)"),
    ("organizations", 0, {"cells_monthly": 9}, "cells_part_exceeds_total", ERROR,
     "cells_monthly", "nhiều hơn Số chi bộ (8)"),
    ("organizations", 0, {"cells_thematic": 9}, "cells_part_exceeds_total", ERROR,
     "cells_thematic", "“Chi bộ sinh hoạt chuyên đề hằng quý” (9)"),
    ("organizations", 0, {"supervision_checks": 3}, "supervision_checks_over_2", ERROR,
     "supervision_checks", "chỉ nhận 0, 1 hoặc 2"),
    ("organizations", 0, {"members_active": 38, "members_assigned": 39},
     "members_assigned_exceeds_active", ERROR, "members_assigned", "(39) nhiều hơn"),
    ("organizations", 0, {"members_active": 41}, "members_active_exceeds_total", ERROR,
     "members_active", "ĐV đang sinh hoạt (41)"),
    ("organizations", 0, {"new_members_due": 2, "new_members_trained": 3},
     "new_members_trained_exceeds_due", ERROR, "new_members_trained", "(3) nhiều hơn số"),
    ("organizations", 3, {"members_total": 2, "members_good": 1, "members_excellent": 0,
                          "members_completed": 1}, "org_fewer_than_3_members", WARNING,
     "members_total", "cần ít nhất 3 đảng viên"),
    ("unit_summary", 0, {"orgs_total": 2}, "orgs_rating_sum_mismatch", ERROR, "orgs_total",
     "là 1, khác Tổng số TCCSĐ (2)"),
    ("unit_summary", 0, {"villages_no_members": 1, "villages_at_risk": 1},
     "villages_part_exceeds_total", ERROR, "villages_no_members",
     "(2) nhiều hơn Tổng số thôn, tổ dân phố (1)"),
    ("unit_summary", 0, {"villages_head_member": 2}, "villages_part_exceeds_total", ERROR,
     "villages_head_member", "“Trưởng thôn là đảng viên” (2)"),
    ("unit_summary", 0, {"officials_total": 3, "officials_university": 4},
     "officials_part_exceeds_total", ERROR, "officials_university",
     "(4) nhiều hơn số cán bộ chủ chốt xã (3)"),
    ("unit_summary", 0, {"orgs_head_rule": 0, "orgs_head_is_secretary": 1},
     "orgs_part_exceeds_group", ERROR, "orgs_head_is_secretary", "bí thư là thủ trưởng (1)"),
    ("villages", 1, {"head_is_member": True}, "village_head_member_without_members", ERROR,
     "head_is_member", "Thôn “v2” năm 2019: ghi trưởng thôn là đảng viên"),
    ("villages", 2, {"secretary_is_head": True, "head_is_member": False},
     "village_secretary_head_not_member", ERROR, "secretary_is_head", "kiêm trưởng thôn"),
    ("villages", 2, {"party_members": 2}, "village_own_cell_few_members", WARNING, "own_cell",
     "chỉ có 2 đảng viên"),
]


@pytest.mark.parametrize(("table", "index", "changes", "rule", "severity", "column", "part"),
                         ROW_CASES, ids=[c[3] + "-" + next(iter(c[2])) for c in ROW_CASES])
def test_row_rule(table, index, changes, rule, severity, column, part):
    r = rows()
    r[table][index].update(changes)
    found = check_row_rules(tables(r))
    f = one(found, rule)
    assert f.severity == severity
    assert f.row == index + 2
    assert f.column == header(table, column)
    assert part in f.message, f.message
    subject = {"organizations": "TCCSĐ “", "unit_summary": "Đảng bộ “d2” năm 2019",
               "villages": "Thôn “"}[table]
    assert f.message.startswith(subject)


def test_row_rule_skips_rows_with_empty_terms():
    r = rows()
    r["organizations"][0]["committee_members"] = None  # trained 9, members unknown
    assert not only(check_row_rules(tables(r)), "committee_trained_exceeds_members")


def test_row_rules_name_real_columns():
    ops = {"<=", "<", "==", ">=", ">"}
    for rule in rule_config()["row_rules"]:
        assert rule["op"] in ops and rule["severity"] in (ERROR, WARNING), rule["id"]
        for table in rule["tables"]:
            names = set(schema.table(table).column_names)
            for term in [*rule["left"], *rule["right"]]:
                col = str(term).split("*")[-1]
                assert col.isdigit() or col in names, (rule["id"], table, term)
            if rule.get("column"):
                assert rule["column"] in names


def test_findings_are_capped_per_rule():
    r = rows()
    for o in r["organizations"]:
        o["supervision_checks"] = 5
    found = check_row_rules(tables(r), max_per_rule=2)
    assert [f.row for f in only(found, "supervision_checks_over_2")] == [2, 3]
    t = one(found, TRUNCATED)
    assert t.severity == ERROR and t.message.startswith("Còn 2 trường hợp tương tự")
    assert t.extra == {"rule": "supervision_checks_over_2", "total": 4, "omitted": 2}


# ---- rating scheme -------------------------------------------------------------------------
class TestRatingScheme:
    def test_2018_code_in_a_2016_rating(self):
        r = rows()
        r["organizations"][0].update(year=2016, rating="xuat_sac")
        f = one(check_rating_scheme(tables(r)), "rating_scheme_mismatch")
        assert (f.severity, f.row, f.column, f.value, f.year) == (
            WARNING, 2, header("organizations", "rating"), "Hoàn thành xuất sắc nhiệm vụ", 2016)
        assert "năm 2016 xếp loại theo Hướng dẫn 27-HD/BTCTW (2014); giá trị “Hoàn thành " \
               "xuất sắc nhiệm vụ” thuộc thang Quy định 132-QĐ/TW (2018)" in f.message

    def test_mixed_schemes_in_one_unit_year(self):
        r = rows()
        r["organizations"][0]["rating"] = "trong_sach_vung_manh"  # 2014 code in 2019
        r["organizations"][1]["rating"] = "khong_hoan_thanh"      # 2018 code
        found = check_rating_scheme(tables(r))
        assert len(only(found, "rating_scheme_mismatch")) == 1
        f = one(found, "rating_scheme_mixed")
        assert (f.unit_code, f.year, f.row) == ("d1", 2019, 2)  # first row of the minority
        assert "dùng lẫn hai thang xếp loại: 1 TCCSĐ theo thang Hướng dẫn 27-HD/BTCTW " \
               "(2014) và 1 TCCSĐ theo thang Quy định 132-QĐ/TW (2018)" in f.message

    def test_codes_of_both_schemes_are_fine(self):
        r = rows()  # "tot", "hoan_thanh" belong to both
        assert check_rating_scheme(tables(r)) == []


# ---- rules of the period -------------------------------------------------------------------
class TestPeriodRules:
    def test_excellent_cap_from_2019(self):
        r = rows()
        r["organizations"][0].update(members_excellent=7, members_good=30, members_completed=1)
        f = one(check_period_rules(tables(r)), "excellent_cap_20")
        assert (f.severity, f.row, f.column, f.value) == (
            WARNING, 2, header("organizations", "members_excellent"), "7")
        assert "7 ĐV hoàn thành xuất sắc nhiệm vụ, vượt 20% số ĐV hoàn thành tốt nhiệm vụ " \
               "(30 ĐV, tối đa 6)" in f.message
        r["organizations"][0]["year"] = 2018
        assert not only(check_period_rules(tables(r)), "excellent_cap_20")

    def test_excellent_cap_exactly_20_percent_is_fine(self):
        r = rows()
        r["organizations"][0].update(members_excellent=6, members_good=30, members_completed=2)
        assert check_period_rules(tables(r)) == []

    def test_good_org_with_failed_members(self):
        r = rows()
        r["organizations"][2].update(members_good=14, members_failed=6)  # 6 of 25 = 24%
        f = one(check_period_rules(tables(r)), "good_org_with_failed_members")
        assert (f.row, f.column, f.value, f.unit_code) == (
            4, header("organizations", "members_failed"), "6", "d2")
        assert "xếp loại “Hoàn thành tốt nhiệm vụ” nhưng có 6/25 ĐV" in f.message
        assert "(24,0%)" in f.message
        r["organizations"][2].update(members_good=15, members_failed=5)  # exactly 20%
        assert not only(check_period_rules(tables(r)), "good_org_with_failed_members")

    def test_excellent_org_low_member_quality(self):
        r = rows()
        r["organizations"][3].update(rating="xuat_sac", members_good=6, members_completed=3)
        f = one(check_period_rules(tables(r)), "excellent_org_low_member_quality")
        assert (f.row, f.column, f.value) == (5, header("organizations", "rating"),
                                              "Hoàn thành xuất sắc nhiệm vụ")
        assert "chỉ 7/10 ĐV được xếp loại (70,0%) hoàn thành tốt nhiệm vụ trở lên, dưới mức " \
               "80%" in f.message

    def test_counts_are_exact_beyond_the_cap(self):
        r = rows()
        for i in range(5):
            r["organizations"].append(org(org_code=f"x{i}", reporting_unit="s1",
                                          org_type="khac", rating="tot", members_total=10,
                                          members_excellent=3, members_good=7))
        tabs = tables(r)
        assert len(only(check_period_rules(tabs, max_per_rule=2), "excellent_cap_20")) == 2
        counts = period_rule_counts(tabs)
        s1 = counts[counts["unit_code"] == "s1"].iloc[0]
        assert (s1["year"], s1["excellent_cap_20"], s1["rule_warnings_total"]) == (2019, 5, 5)
        assert list(counts["unit_code"]) == ["s1"]


# ---- summary against detail ----------------------------------------------------------------
def test_summary_detail_mismatch_names_the_summary_cell():
    r = rows()
    r["unit_summary"][0].update(orgs_total=2, orgs_good=2, officials_total=30)
    found = check_summary_vs_detail(tables(r))
    got = {f.column: f for f in found}
    assert set(got) == {header("unit_summary", "orgs_total"), header("unit_summary",
                                                                     "orgs_good")}
    f = got[header("unit_summary", "orgs_total")]
    assert (f.rule, f.severity, f.sheet, f.row, f.value, f.unit_code, f.year) == (
        "summary_detail_mismatch", ERROR, "Tổng hợp", 2, "2", "d2", 2019)
    assert "ghi “Tổng số TCCSĐ” của “d2” năm 2019 là 2, nhưng cộng từ số liệu chi tiết " \
           "được 1" in f.message


# ---- completeness --------------------------------------------------------------------------
def test_completeness_table_and_missing_unit_years():
    r = rows()
    r["units"].append(dict(code="s2", name="Khối doanh nghiệp", level="sector",
                           parent_code="bg", kind="khoi_doanh_nghiep"))
    r["units"].append(dict(code="s3", name="Công an", level="sector", parent_code="bg",
                           kind="cong_an", first_year=2019))
    r["unit_summary"].append(dict(year=2019, unit_code="s2", orgs_total=3))
    tabs = tables(r)
    plan = {"first_year": 2018, "last_year": 2020}
    table = completeness_table(tabs, plan=plan)
    status = {(u, y): s for u, y, s in zip(table["unit_code"], table["year"], table["status"],
                                            strict=True)}
    # years 2018–2019: the data stop at 2019, so 2020 is not asked for
    assert status == {
        ("d1", 2018): "missing", ("d1", 2019): "detail",
        ("d2", 2018): "missing", ("d2", 2019): "detail",
        ("s1", 2018): "missing", ("s1", 2019): "detail",
        ("s2", 2018): "missing", ("s2", 2019): "summary",
        ("s3", 2019): "missing",  # exists from 2019 only
    }
    found = check_completeness(tabs, plan=plan)
    assert len(found) == 5
    f = [x for x in found if x.unit_code == "d1"][0]
    assert (f.rule, f.severity, f.year) == ("missing_unit_year", WARNING, 2018)
    assert f.message.startswith("Đơn vị Huyện Một (d1) không có số liệu năm 2018")


# ---- consistency over time -----------------------------------------------------------------
def summary_series(values: dict[str, list], column: str = "members_total",
                   years=range(2016, 2020)) -> pd.DataFrame:
    out = []
    for unit, series in values.items():
        for y, v in zip(years, series, strict=True):
            out.append({"unit_code": unit, "level": "district", "parent_code": "bg", "year": y,
                        "source": "summary", column: v})
    df = pd.DataFrame(out)
    df["year"] = df["year"].astype("Int64")
    df[column] = df[column].astype("Int64")
    return df


class TestOutliers:
    def test_extra_digit_flags_that_year_only(self):
        s = summary_series({"d1": [1200, 1210, 12100, 1190]})
        f = one(check_outliers(s, plan={}), "outlier_over_time")
        assert (f.severity, f.year, f.unit_code, f.value) == (WARNING, 2018, "d1", "12.100")
        assert f.column == header("unit_summary", "members_total")
        assert "“Tổng số đảng viên” năm 2018 là 12.100" in f.message
        assert "khoảng dự kiến 960–1.440" in f.message  # 1.200 ± max(3,5·10/0,6745; 20%)
        assert "2016: 1.200; 2017: 1.210; 2019: 1.190" in f.message

    def test_typed_zero(self):
        s = summary_series({"d1": [1200, 1210, 0, 1190], "d2": [300, 300, 300, 0]})
        found = check_outliers(s, plan={})
        assert {(f.unit_code, f.year) for f in found} == {("d1", 2018), ("d2", 2019)}

    def test_small_steady_counts_are_not_flagged(self):
        s = summary_series({"d1": [5, 5, 5, 0], "d2": [100, 104, 98, 101]})
        assert check_outliers(s, plan={}) == []

    def test_villages_without_members_falling_to_zero_is_not_an_outlier(self):
        s = summary_series({"d1": [9, 8, 8, 6, 3, 0]}, column="villages_no_members",
                           years=range(2015, 2021))
        assert check_outliers(s, plan={}) == []
        s = summary_series({"d1": [30, 31, 29, 30, 0, 30]}, column="villages_no_members",
                           years=range(2015, 2021))
        assert [(f.year, f.value) for f in check_outliers(s, plan={})] == [(2019, "0")]

    def test_partial_years_left_out(self):
        s = summary_series({"d1": [1200, 1210, 1190, 400]})
        assert len(check_outliers(s, plan={})) == 1
        assert check_outliers(s, plan={"partial_years": [2019]}) == []

    def test_points_at_the_summary_row(self):
        r = rows()
        r["unit_summary"] = [dict(year=y, unit_code="s1", orgs_total=t, members_total=m)
                             for y, t, m in [(2016, 40, 1200), (2017, 41, 1210),
                                             (2018, 40, 12100), (2019, 42, 1190)]]
        r["organizations"] = [o for o in r["organizations"] if o["reporting_unit"] != "s1"]
        tabs = tables(r)
        found = check_rules(tabs, plan={"first_year": 2016, "last_year": 2019})
        f = one(found, "outlier_over_time")
        assert (f.sheet, f.row, f.unit_code, f.year) == ("Tổng hợp", 4, "s1", 2018)
        assert f.message.startswith("Đơn vị Khối cơ quan (s1): “Tổng số đảng viên” năm 2018")
