"""Detail → summary, boundary harmonisation and village status changes, on hand-made frames.

Expected values are counted by hand from the rows written out here.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis.data import schema
from analysis.data.aggregate import (
    KEY_COLUMNS,
    aggregate_detail,
    build_summary,
    count_columns,
)
from analysis.data.units import harmonise_to
from analysis.data.villages import village_status_changes
from tests.data.frames import NA, org, typed


def unit_table() -> pd.DataFrame:
    return typed("units", [
        dict(code="bg", name="Bắc Giang", level="province", kind="tinh"),
        dict(code="d1", name="Huyện Một", level="district", parent_code="bg", kind="huyen"),
        dict(code="d2", name="Huyện Hai", level="district", parent_code="bg", kind="huyen"),
        dict(code="s1", name="Khối cơ quan", level="sector", parent_code="bg",
             kind="khoi_co_quan"),
        dict(code="c1", name="Xã Một", level="commune", parent_code="d1", kind="xa"),
        dict(code="c2", name="Phường Hai", level="commune", parent_code="d1", kind="phuong"),
        dict(code="c3", name="Xã Ba", level="commune", parent_code="d2", kind="xa"),
        dict(code="v1", name="Thôn 1", level="village", parent_code="c1", kind="thon"),
        dict(code="v2", name="Thôn 2", level="village", parent_code="c1", kind="thon"),
        dict(code="v3", name="Thôn 3", level="village", parent_code="c1", kind="thon"),
        dict(code="v4", name="Tổ 4", level="village", parent_code="c2", kind="to_dan_pho"),
        dict(code="v5", name="Thôn 5", level="village", parent_code="c3", kind="thon"),
    ])




def three_orgs() -> pd.DataFrame:
    return typed("organizations", [
        # a commune committee, rated excellent, with every optional flag filled
        org(org_code="o1", reporting_unit="d1", commune_code="c1", org_type="xa",
            org_form="dang_bo_co_so", rating="xuat_sac", members_total=50, members_not_rated=2,
            members_excellent=5, members_good=35, members_completed=7, members_failed=1,
            admissions=3, admissions_women=1, committee_members=9, committee_trained=7,
            cells_total=10, cells_monthly=10, cells_thematic=8, candidate_pool=True,
            admission_plan=True, dialogue_held=True, supervision_checks=2),
        # a school (head rule), rated "completed", with a remediation plan
        org(org_code="o2", reporting_unit="d1", org_type="don_vi_su_nghiep",
            rating="hoan_thanh", remediation_plan=True, members_total=12, members_good=8,
            members_completed=3, members_failed=1, admissions=1, inspections=2,
            head_is_secretary=True, candidate_pool=False, supervision_checks=1),
        # a private firm, not rated, optional flags empty
        org(org_code="o3", reporting_unit="d1", org_type="doanh_nghiep_ngoai_nha_nuoc",
            rating="chua_xep_loai", members_total=4, members_not_rated=4),
    ])


def row_of(frame: pd.DataFrame, unit: str, year: int) -> pd.Series:
    got = frame[(frame["unit_code"] == unit) & (frame["year"] == year)]
    assert len(got) == 1, f"{unit} {year}: {len(got)} rows"
    return got.iloc[0]


class TestBuildSummary:
    def test_three_orgs_counted_by_hand(self):
        s = build_summary({"units": unit_table(), "organizations": three_orgs()})
        d1 = row_of(s, "d1", 2019)
        expected = {
            "orgs_total": 3, "orgs_not_rated": 1, "orgs_excellent": 1, "orgs_good": 0,
            "orgs_completed": 1, "orgs_failed": 0,
            "orgs_remediation": 1,            # o2 (rank 3, plan = Có)
            "orgs_head_rule": 1, "orgs_head_is_secretary": 1,
            "orgs_non_state": 1,
            "orgs_owner_is_secretary": NA,    # applies to o3, left empty there
            "members_non_state": 4,
            "orgs_candidate_pool": 1,         # o1 Có, o2 Không, o3 empty
            "orgs_admission_plan": 1,
            "orgs_dialogue": 1, "orgs_supervised_twice": 1,
            "members_total": 66, "members_not_rated": 6, "members_excellent": 5,
            "members_good": 43, "members_completed": 10, "members_failed": 2,
            "admissions": 4, "admissions_women": 1,
            "admissions_youth": NA,           # empty everywhere
            "inspections": 2, "committee_members": 9, "committee_trained": 7,
            "cells_total": 10, "cells_monthly": 10, "cells_thematic": 8,
            "villages_total": NA, "officials_total": NA,
        }
        for col, want in expected.items():
            got = d1[col]
            if want is NA:
                assert pd.isna(got), col
            else:
                assert got == want, f"{col}: {got} != {want}"
        assert d1["level"] == "district" and d1["parent_code"] == "bg"
        assert d1["source"] == "detail"

    def test_commune_row_from_its_own_organization(self):
        s = build_summary({"units": unit_table(), "organizations": three_orgs()})
        c1 = row_of(s, "c1", 2019)
        assert (c1["level"], c1["parent_code"], c1["source"]) == ("commune", "d1", "detail")
        assert c1["orgs_total"] == 1 and c1["members_total"] == 50
        assert c1["orgs_head_is_secretary"] == 0  # no head-rule organization: known zero
        assert set(s["unit_code"]) == {"d1", "c1"}  # reporting units first, then communes
        assert list(s["unit_code"]) == ["d1", "c1"]

    def test_columns_and_dtypes_follow_the_contract(self):
        s = build_summary({"units": unit_table(), "organizations": three_orgs()})
        assert list(s.columns) == [*KEY_COLUMNS, *count_columns()]
        assert set(count_columns()) == {
            c.name for c in schema.table("unit_summary").columns if c.type == "count"}
        assert all(s[c].dtype == "Int64" for c in count_columns())
        assert s["year"].dtype == "Int64"

    def test_villages_and_officials(self):
        villages = typed("villages", [
            dict(year=2019, village_code="v1", commune_code="c1", party_members=0,
                 own_cell=False, head_is_member=False),
            dict(year=2019, village_code="v2", commune_code="c1", party_members=2,
                 own_cell=False, combined_cell=True, head_is_member=True,
                 secretary_is_head=False),
            dict(year=2019, village_code="v3", commune_code="c1", party_members=12,
                 own_cell=True, head_is_member=True, secretary_is_head=True),
            dict(year=2019, village_code="v4", commune_code="c2", party_members=1,
                 own_cell=False, head_is_member=False),
            dict(year=2019, village_code="v5", commune_code="c3", party_members=30,
                 own_cell=True, head_is_member=True),
        ])
        officials = typed("officials", [
            dict(snapshot_year=2019, term="2015_2020", commune_code="c1", position="bi_thu",
                 seq=1, education="dai_hoc", theory="trung_cap", rotated=True),
            dict(snapshot_year=2019, term="2015_2020", commune_code="c1",
                 position="chu_tich_ubnd", seq=1, education="cao_dang", theory="cao_cap"),
            dict(snapshot_year=2019, term="2015_2020", commune_code="c2",
                 position="chu_tich_ubnd", seq=1, education="sau_dai_hoc", theory="so_cap"),
            dict(snapshot_year=2018, term="2015_2020", commune_code="c2",
                 position="chu_tich_ubnd", seq=1, education="thpt", theory="so_cap"),
        ])
        s = build_summary({"units": unit_table(), "villages": villages, "officials": officials})
        d1 = row_of(s, "d1", 2019)
        assert d1["villages_total"] == 4
        assert d1["villages_no_members"] == 1      # v1
        assert d1["villages_at_risk"] == 2         # v2 (2), v4 (1)
        assert d1["villages_own_cell"] == 1        # v3
        assert d1["villages_combined_cell"] == 1   # v2; empty elsewhere counts as "not Có"
        assert d1["villages_head_member"] == 2     # v2, v3
        assert d1["villages_secretary_head"] == 1  # v3
        assert d1["officials_total"] == 3          # snapshot 2019 only
        assert d1["officials_university"] == 2     # dai_hoc, sau_dai_hoc
        assert d1["officials_theory"] == 2         # trung_cap, cao_cap
        assert d1["officials_rotated"] == 1
        assert pd.isna(d1["orgs_total"])           # no organization detail
        assert row_of(s, "d1", 2018)["officials_total"] == 1
        d2 = row_of(s, "d2", 2019)
        assert (d2["villages_total"], d2["villages_no_members"]) == (1, 0)
        assert pd.isna(d2["villages_combined_cell"])  # applies to v5, left empty
        assert row_of(s, "c2", 2019)["villages_at_risk"] == 1

    def test_detail_wins_summary_fills_groups_without_detail(self):
        summary_rows = typed("unit_summary", [
            dict(year=2019, unit_code="d1", orgs_total=99, members_total=999,
                 officials_total=20, officials_university=15),
            dict(year=2019, unit_code="s1", orgs_total=7, members_total=300, admissions=12),
        ])
        s = build_summary({"units": unit_table(), "organizations": three_orgs(),
                           "unit_summary": summary_rows})
        d1 = row_of(s, "d1", 2019)
        assert d1["source"] == "detail"
        assert (d1["orgs_total"], d1["members_total"]) == (3, 66)
        # no officials detail for d1 in 2019: that group comes from the summary row
        assert (d1["officials_total"], d1["officials_university"]) == (20, 15)
        # the organizations group is all detail, even where the detail is empty
        assert pd.isna(d1["members_active"])
        s1 = row_of(s, "s1", 2019)
        assert (s1["source"], s1["level"], s1["parent_code"]) == ("summary", "sector", "bg")
        assert (s1["orgs_total"], s1["members_total"], s1["admissions"]) == (7, 300, 12)
        assert pd.isna(s1["villages_total"])  # not applicable to a sector unit

    def test_summary_with_village_detail_only_stays_summary(self):
        summary_rows = typed("unit_summary", [dict(year=2019, unit_code="d1", orgs_total=40,
                                                   villages_total=50)])
        villages = typed("villages", [dict(year=2019, village_code="v1", commune_code="c1",
                                           party_members=4, own_cell=True,
                                           head_is_member=True)])
        s = build_summary({"units": unit_table(), "unit_summary": summary_rows,
                           "villages": villages})
        d1 = row_of(s, "d1", 2019)
        assert d1["source"] == "summary"
        assert (d1["orgs_total"], d1["villages_total"]) == (40, 1)

    def test_codes_units_does_not_know_or_places_elsewhere(self):
        orgs = typed("organizations", [
            org(org_code="a", reporting_unit="nowhere", org_type="khac", rating="tot",
                members_total=5, members_good=5),
            org(org_code="b", reporting_unit="c1", org_type="khac", rating="tot",
                members_total=5, members_good=5),
        ])
        s = build_summary({"units": unit_table(), "organizations": orgs})
        assert list(s["unit_code"]) == ["nowhere"]
        assert pd.isna(s.iloc[0]["level"])

    def test_duplicate_summary_rows_do_not_multiply(self):
        summary_rows = typed("unit_summary", [
            dict(year=2019, unit_code="s1", orgs_total=7),
            dict(year=2019, unit_code="s1", orgs_total=8),
        ])
        s = build_summary({"units": unit_table(), "unit_summary": summary_rows})
        assert len(s) == 1 and s.iloc[0]["orgs_total"] == 7

    def test_empty_input(self):
        s = build_summary({})
        assert s.empty and list(s.columns) == [*KEY_COLUMNS, *count_columns()]

    def test_aggregate_detail_names_its_tables(self):
        d = aggregate_detail({"units": unit_table(), "organizations": three_orgs()})
        assert set(d["detail_tables"]) == {"organizations"}

    @pytest.mark.slow
    def test_country_scale_is_fast(self):
        rng = np.random.default_rng(1)
        n_units, n_communes = 700, 11_000
        d_codes = np.char.add("d", np.arange(n_units).astype(str))
        c_codes = np.char.add("c", np.arange(n_communes).astype(str))
        units = pd.DataFrame({
            "code": pd.Series(np.concatenate([d_codes, c_codes]), dtype="str"),
            "level": pd.Series(["district"] * n_units + ["commune"] * n_communes, dtype="str"),
            "parent_code": pd.Series(np.concatenate([["vn"] * n_units,
                                                     d_codes[np.arange(n_communes) % n_units]]),
                                     dtype="str"),
        })
        years = np.repeat(np.arange(2015, 2021), 55_000)
        n = len(years)
        ratings = np.array(["xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh",
                            "chua_xep_loai"])
        members = rng.integers(3, 200, n)
        orgs = pd.DataFrame({
            "year": pd.array(years, dtype="Int64"),
            "org_code": pd.Series(np.char.add("o", (np.arange(n) % 55_000).astype(str)),
                                  dtype="str"),
            "reporting_unit": pd.Series(np.char.add("d", (np.arange(n) % n_units).astype(str)),
                                        dtype="str"),
            "commune_code": pd.Series(np.char.add("c", (np.arange(n) % n_communes)
                                                  .astype(str)), dtype="str"),
            "org_type": pd.Series(np.where(np.arange(n) % 5 == 0, "xa", "don_vi_su_nghiep"),
                                  dtype="str"),
            "rating": pd.Series(ratings[rng.integers(0, 5, n)], dtype="str"),
            "members_total": pd.array(members, dtype="Int64"),
            "members_good": pd.array(members, dtype="Int64"),
            "admissions": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "head_is_secretary": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        })
        vyears = np.repeat(np.arange(2015, 2021), 100_000)
        villages = pd.DataFrame({
            "year": pd.array(vyears, dtype="Int64"),
            "village_code": pd.Series(np.char.add("v", (np.arange(len(vyears)) % 100_000)
                                                  .astype(str)), dtype="str"),
            "commune_code": pd.Series(np.char.add("c", (np.arange(len(vyears)) % n_communes)
                                                  .astype(str)), dtype="str"),
            "party_members": pd.array(rng.integers(0, 40, len(vyears)), dtype="Int64"),
            "own_cell": pd.array(rng.random(len(vyears)) < 0.8, dtype="boolean"),
        })
        oyears = np.repeat(np.arange(2015, 2021), 70_000)
        officials = pd.DataFrame({
            "snapshot_year": pd.array(oyears, dtype="Int64"),
            "commune_code": pd.Series(np.char.add("c", (np.arange(len(oyears)) % n_communes)
                                                  .astype(str)), dtype="str"),
            "education": pd.Series(np.where(rng.random(len(oyears)) < 0.6, "dai_hoc", "thpt"),
                                   dtype="str"),
        })
        tables = {"units": units, "organizations": orgs, "villages": villages,
                  "officials": officials}
        start = time.process_time()  # CPU time: other jobs on the machine do not count
        s = build_summary(tables)
        elapsed = time.process_time() - start
        assert len(s) == 6 * (n_units + n_communes)
        assert s.loc[s["level"] == "district", "orgs_total"].sum() == n
        assert s.loc[s["level"] == "district", "villages_total"].sum() == len(vyears)
        assert elapsed < 5, f"build_summary took {elapsed:.1f} s of CPU"


class TestHarmoniseTo:
    @staticmethod
    def crosswalk() -> pd.DataFrame:
        return typed("crosswalk", [
            dict(old_code="a", new_code="b", effective_year=2019),
            dict(old_code="b", new_code="c", effective_year=2020),
            dict(old_code="x", new_code="y", effective_year=2021),
        ])

    def test_follows_the_chain_to_the_boundary_year(self):
        frame = pd.DataFrame({"commune_code": pd.Series(["a", "b", "c", "x", "z"], dtype="str"),
                              "year": pd.array([2016, 2019, 2020, 2018, 2018], dtype="Int64")})
        out = harmonise_to(frame, self.crosswalk(), "commune_code", "year", 2020)
        assert list(out["commune_code"]) == ["c", "c", "c", "x", "z"]  # x→y only from 2021
        assert list(out["original_code"]) == ["a", "b", "c", "x", "z"]
        assert list(frame["commune_code"]) == ["a", "b", "c", "x", "z"]  # input untouched

    def test_earlier_boundary_stops_the_chain(self):
        frame = pd.DataFrame({"code": pd.Series(["a", "b"], dtype="str"),
                              "year": pd.array([2016, 2016], dtype="Int64")})
        out = harmonise_to(frame, self.crosswalk(), "code", "year", 2019)
        assert list(out["code"]) == ["b", "b"]
        twice = harmonise_to(out, self.crosswalk(), "code", "year", 2020)
        assert list(twice["code"]) == ["c", "c"]
        assert list(twice["original_code"]) == ["a", "b"]

    def test_cycle_does_not_hang(self):
        cw = typed("crosswalk", [dict(old_code="p", new_code="q", effective_year=2016),
                                 dict(old_code="q", new_code="p", effective_year=2017)])
        frame = pd.DataFrame({"code": pd.Series(["p"], dtype="str"),
                              "year": pd.array([2016], dtype="Int64")})
        out = harmonise_to(frame, cw, "code", "year", 2020)
        assert out["code"].iloc[0] in {"p", "q"}


class TestVillageStatusChanges:
    @staticmethod
    def history() -> pd.DataFrame:
        series = {
            # village: members 2016..2020 (None = no row that year)
            "va": [0, 0, 0, 0, 1],             # gained_member
            "vb": [0, 0, 0, None, None],       # merged into vx from 2019: merged_away
            "vc": [0, 1, 1, 1, 0],             # rewhitened
            "vd": [0, 0, 0, 0, 0],             # still_without
            "ve": [0, 0, None, None, None],    # missing (no crosswalk)
            "vf": [3, 3, 2, 1, 0],             # became_empty
            "vg": [5, 5, 5, 5, 5],             # never without members: not listed
            "vh": [2, 0, 1, 1, 1],             # 0 in between, members again: gained_member
            "vi": [0, 0, 0, 0, None],          # re-coded vj in 2020 …
            "vj": [None, None, None, None, 1],  # … where it has a member: gained_member
        }
        rows = []
        for code, values in series.items():
            for year, m in zip(range(2016, 2021), values, strict=True):
                if m is not None:
                    rows.append(dict(year=year, village_code=code, commune_code="c1",
                                     party_members=m, own_cell=False, head_is_member=False))
        return typed("villages", rows)

    @staticmethod
    def crosswalk() -> pd.DataFrame:
        return typed("crosswalk", [
            dict(old_code="vb", new_code="va", effective_year=2019),  # absorbed by neighbour
            dict(old_code="vi", new_code="vj", effective_year=2020),  # a new code, nothing else
        ])

    def test_every_label(self):
        out = village_status_changes(self.history(), self.crosswalk(), 2016, 2020,
                                     units=unit_table())
        got = dict(zip(out["village_code"], out["change"], strict=True))
        assert got == {
            "va": "gained_member", "vb": "merged_away", "vc": "rewhitened",
            "vd": "still_without", "ve": "missing", "vf": "became_empty",
            "vh": "gained_member", "vi": "gained_member",
        }
        by = out.set_index("village_code")
        assert (by.loc["va", "status_from"], by.loc["va", "status_to"]) == (
            "no_members", "has_members")
        assert (by.loc["vb", "status_to"], by.loc["vb", "merged_into"]) == ("absent", "va")
        assert pd.isna(by.loc["vb", "code_to"])
        assert (by.loc["vi", "code_to"], by.loc["vi", "members_to"]) == ("vj", 1)
        assert by.loc["vh", "status_from"] == "has_members"
        assert (by.loc["vf", "members_from"], by.loc["vf", "members_to"]) == (3, 0)
        assert set(out["commune_code"]) == {"c1"} and set(out["unit_code"]) == {"d1"}
        assert list(out.columns[:6]) == ["village_code", "commune_code", "unit_code",
                                         "status_from", "status_to", "change"]

    def test_chain_absorbed_then_recoded(self):
        cw = typed("crosswalk", [dict(old_code="vb", new_code="va", effective_year=2019),
                                 dict(old_code="va", new_code="vz", effective_year=2020)])
        history = self.history()
        history.loc[(history["village_code"] == "va") & (history["year"] == 2020),
                    "village_code"] = "vz"
        out = village_status_changes(history, cw, 2016, 2020).set_index("village_code")
        assert (out.loc["va", "change"], out.loc["va", "code_to"]) == ("gained_member", "vz")
        assert (out.loc["vb", "change"], out.loc["vb", "merged_into"]) == ("merged_away", "vz")

    def test_without_crosswalk_a_vanished_village_is_missing(self):
        out = village_status_changes(self.history(), None, 2016, 2020)
        by = dict(zip(out["village_code"], out["change"], strict=True))
        assert (by["vb"], by["vi"]) == ("missing", "missing")
        assert out["unit_code"].isna().all()

    def test_window_is_respected(self):
        # 2018 → 2020: va is 0 in 2018 and 2019, 1 in 2020; vc had 1 in 2018 and 2019
        out = village_status_changes(self.history(), None, 2018, 2020)
        by = dict(zip(out["village_code"], out["change"], strict=True))
        assert by["va"] == "gained_member"
        assert by["vc"] == "became_empty"
        assert "vh" not in by

    def test_years_must_be_in_order(self):
        with pytest.raises(ValueError):
            village_status_changes(self.history(), None, 2020, 2020)
