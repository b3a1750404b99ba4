"""The demo generator: deterministic, schema-conformant, realistic sizes, the planted stories.

Expected figures come from the specification of the demo (domain-rules.md §3 and the brief of
``analysis/data/demo.py``), not from the generator's output.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.data import demo, schema

YEARS = list(range(2015, 2021))
MOUNTAIN = {"son_dong", "luc_ngan", "luc_nam", "yen_the"}
SECTORS = {"khoi_co_quan", "khoi_doanh_nghiep", "quan_su", "cong_an"}
SUMMARY_ONLY = {"luc_ngan"} | SECTORS
BOTH = {"tp_bac_giang", "viet_yen"}
# domain-rules.md §3: communes before and after the 2019 plan
COMMUNES_BEFORE = {"tp_bac_giang": 16, "yen_the": 21, "tan_yen": 24, "lang_giang": 23,
                   "luc_nam": 27, "luc_ngan": 30, "son_dong": 23, "yen_dung": 21,
                   "viet_yen": 19, "hiep_hoa": 26}
COMMUNES_AFTER = {"tp_bac_giang": 16, "yen_the": 19, "tan_yen": 22, "lang_giang": 21,
                  "luc_nam": 25, "luc_ngan": 29, "son_dong": 17, "yen_dung": 18,
                  "viet_yen": 17, "hiep_hoa": 25}
TERRAIN = {"son_dong": "vung_cao", "luc_ngan": "mien_nui", "luc_nam": "mien_nui",
           "yen_the": "mien_nui", "lang_giang": "mien_nui", "yen_dung": "mien_nui",
           "tan_yen": "mien_nui", "hiep_hoa": "trung_du", "viet_yen": "trung_du",
           "tp_bac_giang": "dong_bang"}
GOOD = {"xuat_sac", "trong_sach_vung_manh", "tot"}


@pytest.fixture(scope="module")
def demo_tables() -> dict[str, pd.DataFrame]:
    return demo.generate_demo()


@pytest.fixture(scope="module")
def district_of(demo_tables) -> dict[str, str]:
    u = demo_tables["units"]
    com = u.loc[u["level"] == "commune"]
    return dict(zip(com["code"], com["parent_code"], strict=True))


@pytest.fixture(scope="module")
def by_unit(demo_tables) -> pd.DataFrame:
    """Per unit-year counts: aggregated here from detail, plus the summary-only units' rows."""
    o = demo_tables["organizations"]
    rated = o["rating"] != "chua_xep_loai"
    f = pd.DataFrame({
        "unit_code": o["reporting_unit"], "year": o["year"].astype(int),
        "orgs_total": 1,
        "orgs_rated": rated.astype(int),
        "orgs_gp": o["rating"].isin(GOOD).astype(int),
        "members_total": o["members_total"].astype(int),
        "admissions": o["admissions"].astype(int),
        "cells_total": o["cells_total"].astype(int),
        "cells_monthly": o["cells_monthly"].astype(int),
        "cells_thematic": o["cells_thematic"].astype(int),
    })
    detail = f.groupby(["unit_code", "year"]).sum().reset_index()
    s = demo_tables["unit_summary"]
    s = s.loc[s["unit_code"].isin(SUMMARY_ONLY)]
    summ = pd.DataFrame({
        "unit_code": s["unit_code"], "year": s["year"].astype(int),
        "orgs_total": s["orgs_total"].astype(int),
        "orgs_rated": (s["orgs_total"] - s["orgs_not_rated"]).astype(int),
        "orgs_gp": (s["orgs_excellent"] + s["orgs_good"]).astype(int),
        "members_total": s["members_total"].astype(int),
        "admissions": s["admissions"].astype(int),
        "cells_total": s["cells_total"].astype(int),
        "cells_monthly": s["cells_monthly"].astype(int),
        "cells_thematic": s["cells_thematic"].astype(int),
    })
    return pd.concat([detail, summ], ignore_index=True)


@pytest.fixture(scope="module")
def villages_by_district(demo_tables, district_of) -> pd.DataFrame:
    """Village counts per district-year: detail villages plus luc_ngan's summary rows."""
    v = demo_tables["villages"]
    pm = v["party_members"].astype(int)
    f = pd.DataFrame({
        "unit_code": v["commune_code"].map(district_of), "year": v["year"].astype(int),
        "villages_total": 1, "villages_no_members": (pm == 0).astype(int),
        "villages_at_risk": pm.between(1, 2).astype(int),
        "villages_head_member": (v["head_is_member"] == "co").astype(int),
    })
    detail = f.groupby(["unit_code", "year"]).sum().reset_index()
    s = demo_tables["unit_summary"]
    s = s.loc[s["unit_code"] == "luc_ngan", ["unit_code", "year", *detail.columns[2:]]]
    return pd.concat([detail, s.astype({c: int for c in s.columns[1:]})], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Determinism and the committed files
# ---------------------------------------------------------------------------------------------


def test_write_demo_is_deterministic_and_matches_committed_files(tmp_path):
    a = demo.write_demo(tmp_path / "a")
    b = demo.write_demo(tmp_path / "b")
    names = sorted(p.name for p in a)
    assert names == sorted(p.name for p in b)
    assert {f"{t}.csv" for t in schema.tables()} | {"README.md"} == set(names)
    for pa, pb in zip(sorted(a), sorted(b), strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
        committed = config.DEMO_DATA_DIR / pa.name
        assert committed.exists(), f"{committed} missing: run python -m analysis.data.demo"
        assert committed.read_bytes() == pa.read_bytes(), (
            f"{pa.name} differs from a fresh generation: run python -m analysis.data.demo"
        )


def test_csv_encoding_and_line_endings():
    for name in schema.tables():
        raw = (config.DEMO_DATA_DIR / f"{name}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        text = raw.decode("utf-8")
        assert text == unicodedata.normalize("NFC", text)
        header = text.split("\n", 1)[0].split(",")
        assert header == schema.table(name).column_names


# ---------------------------------------------------------------------------------------------
# Schema conformance
# ---------------------------------------------------------------------------------------------


def test_every_table_has_exactly_the_schema_columns(demo_tables):
    assert set(demo_tables) == set(schema.tables())
    for name, df in demo_tables.items():
        assert list(df.columns) == schema.table(name).column_names, name


def test_values_conform_to_column_types(demo_tables):
    vocab = schema.vocabularies()
    for name, df in demo_tables.items():
        tab = schema.table(name)
        for col in tab.columns:
            s = df[col.name]
            present = s.dropna()
            if col.required:
                assert len(present) == len(s), f"{name}.{col.name} has empty required cells"
            if col.type == "code":
                bad = [v for v in present if not schema.CODE_PATTERN.match(str(v))]
                assert not bad, f"{name}.{col.name}: {bad[:3]}"
            elif col.type == "enum":
                assert set(present) <= set(vocab[col.vocabulary].codes), f"{name}.{col.name}"
            elif col.type == "bool":
                assert set(present) <= {"co", "khong"}, f"{name}.{col.name}"
            elif col.type in ("count", "year"):
                assert str(s.dtype) == "Int64", f"{name}.{col.name}: {s.dtype}"
                assert (present >= 0).all(), f"{name}.{col.name}"
                if col.type == "year":
                    assert present.between(2015, 2020).all(), f"{name}.{col.name}"
            elif col.type == "text":
                assert all(v == unicodedata.normalize("NFC", v) for v in present)
        assert not df.duplicated(list(tab.key)).any(), f"{name}: duplicate keys"
        assert df.equals(df.sort_values(list(tab.key)).reset_index(drop=True)), name


def test_codes_join(demo_tables):
    units = set(demo_tables["units"]["code"])
    o = demo_tables["organizations"]
    assert set(o["reporting_unit"]) <= units
    assert set(o["commune_code"].dropna()) <= units
    assert set(demo_tables["villages"]["village_code"]) <= units
    assert set(demo_tables["villages"]["commune_code"]) <= units
    assert set(demo_tables["officials"]["commune_code"]) <= units
    assert set(demo_tables["unit_summary"]["unit_code"]) <= units
    cw = demo_tables["crosswalk"]
    assert set(cw["old_code"]) <= units and set(cw["new_code"]) <= units


# ---------------------------------------------------------------------------------------------
# Units, sizes, mergers
# ---------------------------------------------------------------------------------------------


def test_units_hierarchy(demo_tables):
    u = demo_tables["units"].set_index("code")
    assert u.loc["bac_giang", "level"] == "province"
    assert u.loc["bac_giang", "kind"] == "tinh"
    for code, terrain in TERRAIN.items():
        assert u.loc[code, "level"] == "district"
        assert u.loc[code, "terrain"] == terrain
        assert u.loc[code, "kind"] == ("thanh_pho" if code == "tp_bac_giang" else "huyen")
    for code in SECTORS:
        assert u.loc[code, "level"] == "sector"
        assert u.loc[code, "kind"] == code
        assert u.loc[code, "parent_code"] == "bac_giang"
    com = demo_tables["units"].query("level == 'commune'")
    old = com.loc[com["first_year"].isna()]
    assert old.groupby("parent_code").size().to_dict() == COMMUNES_BEFORE
    now = com.loc[com["last_year"].isna()]
    assert now.groupby("parent_code").size().to_dict() == COMMUNES_AFTER
    tp = old.loc[old["parent_code"] == "tp_bac_giang", "kind"].value_counts().to_dict()
    assert tp == {"phuong": 10, "xa": 6}
    for d in COMMUNES_BEFORE:
        if d != "tp_bac_giang":
            n_tt = ((old["parent_code"] == d) & (old["kind"] == "thi_tran")).sum()
            assert 1 <= n_tt <= 2, d
    for d, names in com.groupby("parent_code")["name"]:
        assert names.is_unique, d
    assert com["name"].str.match(r"^(Xã|Phường|Thị trấn) \S").all()
    vil = demo_tables["units"].query("level == 'village'")
    assert vil["name"].str.match(r"^(Thôn|Bản|Tổ dân phố) \S").all()
    assert not vil["parent_code"].map(dict(zip(com["code"], com["parent_code"],
                                               strict=True))).eq("luc_ngan").any()


def test_commune_mergers(demo_tables, district_of):
    cw = demo_tables["crosswalk"]
    units = demo_tables["units"].set_index("code")
    communes = cw.loc[cw["old_code"].map(units["level"]) == "commune"]
    assert len(communes) == 40
    assert communes["new_code"].nunique() == 19
    assert (communes["effective_year"] == 2020).all()
    assert communes.groupby("new_code").size().isin([2, 3]).all()
    assert (units.loc[communes["old_code"], "last_year"] == 2019).all()
    assert (units.loc[communes["new_code"].unique(), "first_year"] == 2020).all()
    # 230 communes report before 2020, 209 in 2020 (detail + luc_ngan from the catalogue)
    v, o = demo_tables["villages"], demo_tables["organizations"]
    ln = demo_tables["units"].query("level == 'commune' and parent_code == 'luc_ngan'")
    for year, expected in ((2015, 230), (2019, 230), (2020, 209)):
        seen = set(v.loc[v["year"] == year, "commune_code"])
        seen |= set(o.loc[(o["year"] == year), "commune_code"].dropna())
        alive = ln.loc[(ln["first_year"].fillna(0) <= year)
                       & (ln["last_year"].fillna(9999) >= year)]
        assert len(seen) + len(alive) == expected, year
    merged_old = set(communes["old_code"])
    assert not (set(v.loc[v["year"] == 2020, "commune_code"]) & merged_old)
    assert set(v.loc[v["year"] == 2019, "commune_code"]) & merged_old


def _recoded(tables) -> pd.DataFrame:
    """Crosswalk rows that re-code a village under its merged commune (new code born then)."""
    cw = tables["crosswalk"]
    units = tables["units"].set_index("code")
    born = cw["new_code"].map(units["first_year"]) == cw["effective_year"]
    return cw.loc[born & (cw["old_code"].map(units["level"]) == "village")]


def _village_id(tables) -> pd.Series:
    """Village codes of the villages table mapped to the code the village started with."""
    rec = _recoded(tables)
    first = dict(zip(rec["new_code"], rec["old_code"], strict=True))
    codes = tables["villages"]["village_code"]
    return codes.map(first).fillna(codes)


def test_village_mergers(demo_tables):
    cw = demo_tables["crosswalk"]
    units = demo_tables["units"].set_index("code")
    vil = cw.loc[cw["old_code"].map(units["level"]) == "village"]
    rec = _recoded(demo_tables)
    absorbed = vil.drop(index=rec.index)
    # ~200 absorbed in the province; luc_ngan's (~1/6 of the villages) are not listed
    assert 120 <= len(absorbed) <= 220
    assert set(absorbed["effective_year"]) == {2019, 2020}
    assert (units.loc[vil["old_code"], "last_year"].to_numpy()
            == vil["effective_year"].to_numpy() - 1).all()
    v = demo_tables["villages"]
    for old, eff in zip(vil["old_code"], vil["effective_year"], strict=True):
        years = v.loc[v["village_code"] == old, "year"]
        assert years.max() == eff - 1 or (old.startswith("yen_dung") and years.max() < eff)
    # villages of merged communes continue under a code of the new commune
    commune_cw = cw.set_index("old_code")["new_code"]
    old_parent = units.loc[rec["old_code"], "parent_code"].to_numpy()
    new_parent = units.loc[rec["new_code"], "parent_code"].to_numpy()
    assert (commune_cw.loc[old_parent].to_numpy() == new_parent).all()
    assert set(rec["effective_year"]) == {2020}
    # every village row's commune is the village's parent in the catalogue
    assert (v["commune_code"] == v["village_code"].map(units["parent_code"])).all()


def test_sizes(demo_tables, by_unit, villages_by_district):
    prov = by_unit.groupby("year").sum(numeric_only=True)
    assert prov.index.tolist() == YEARS
    assert prov["orgs_total"].between(850, 950).all()
    full = prov.drop(index=2017)  # yen_dung sends nothing for 2017
    assert full["members_total"].between(90_000, 100_000).all()
    assert prov.loc[2020, "members_total"] > prov.loc[2015, "members_total"]
    vil = villages_by_district.groupby("year")["villages_total"].sum()
    assert 2250 <= vil[2015] <= 2450
    assert vil[2020] < vil[2015]  # village mergers
    o = demo_tables["organizations"]
    sector_orgs = demo_tables["unit_summary"].query("year == 2015").set_index("unit_code")
    assert 60 <= sector_orgs.loc["khoi_co_quan", "orgs_total"] <= 80
    assert 80 <= sector_orgs.loc["khoi_doanh_nghiep", "orgs_total"] <= 120
    assert 15 <= sector_orgs.loc["quan_su", "orgs_total"] <= 30
    assert 15 <= sector_orgs.loc["cong_an", "orgs_total"] <= 30
    # exactly one commune TCCSĐ per commune and year
    com = o.loc[o["commune_code"].notna()]
    assert not com.duplicated(["year", "commune_code"]).any()
    assert com["org_type"].isin(["xa", "phuong", "thi_tran"]).all()
    assert o.loc[o["commune_code"].isna(), "org_type"].isin(["xa", "phuong", "thi_tran"]).sum() == 0


# ---------------------------------------------------------------------------------------------
# Internal consistency and the rules of the period
# ---------------------------------------------------------------------------------------------


def test_organization_counts_are_consistent(demo_tables):
    o = demo_tables["organizations"].astype({c: "int64" for c in [
        "members_total", "members_not_rated", "members_excellent", "members_good",
        "members_completed", "members_failed", "members_active", "members_assigned",
        "members_disciplined", "admissions", "admissions_women", "admissions_youth",
        "admissions_ethnic", "admissions_religious", "admissions_nonstate", "new_members_due",
        "new_members_trained", "committee_members", "committee_trained", "cells_total",
        "cells_monthly", "cells_thematic", "supervision_checks"]})
    rated = o["members_total"] - o["members_not_rated"]
    ratings = (o["members_excellent"] + o["members_good"] + o["members_completed"]
               + o["members_failed"])
    assert (ratings == rated).all()
    assert (o["members_active"] <= rated).all()
    assert (o["members_assigned"] <= o["members_active"]).all()
    assert (o["members_disciplined"] <= o["members_failed"]).all()
    for c in ("admissions_women", "admissions_youth", "admissions_ethnic",
              "admissions_religious", "admissions_nonstate"):
        assert (o[c] <= o["admissions"]).all(), c
    assert (o["new_members_trained"] <= o["new_members_due"]).all()
    assert o["committee_members"].between(3, 15).all()
    assert (o["committee_trained"] <= o["committee_members"]).all()
    assert (o["cells_monthly"] <= o["cells_total"]).all()
    assert (o["cells_thematic"] <= o["cells_total"]).all()
    assert o["supervision_checks"].between(0, 2).all()
    assert ((o["members_total"] >= 30) == (o["org_form"] == "dang_bo_co_so")).all()
    assert (o.loc[o["org_form"] == "chi_bo_co_so", "cells_total"] == 1).all()
    # booleans only where applicable
    head_rule = {"co_quan_hanh_chinh", "don_vi_su_nghiep", "doanh_nghiep_nha_nuoc", "quan_doi",
                 "cong_an"}
    assert (o["head_is_secretary"].notna() == o["org_type"].isin(head_rule)).all()
    assert (o["owner_is_secretary"].notna()
            == (o["org_type"] == "doanh_nghiep_ngoai_nha_nuoc")).all()
    below = o["rating"].isin(["hoan_thanh", "khong_hoan_thanh", "yeu_kem"])
    assert (o["remediation_plan"].notna() == below).all()
    assert (o["admission_plan"].notna() == (o["candidate_pool"] == "co")).all()
    # commune TCCSĐ hold at least the members of their villages
    v = demo_tables["villages"]
    vs = v.groupby(["year", "commune_code"])["party_members"].sum()
    cm = o.loc[o["commune_code"].notna()].set_index(["year", "commune_code"])["members_total"]
    j = pd.concat([vs, cm], axis=1, join="inner")
    assert len(j) > 1000 and (j["party_members"] <= j["members_total"]).all()


def test_rating_schemes_and_rules(demo_tables, by_unit):
    o = demo_tables["organizations"]
    old = {"trong_sach_vung_manh", "tot", "hoan_thanh", "yeu_kem", "chua_xep_loai"}
    new = {"xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh", "chua_xep_loai"}
    assert set(o.loc[o["year"] <= 2017, "rating"]) <= old
    assert set(o.loc[o["year"] >= 2018, "rating"]) <= new
    share_unrated = (o["rating"] == "chua_xep_loai").mean()
    assert 0.005 <= share_unrated <= 0.035
    unrated = o.loc[o["rating"] == "chua_xep_loai"]
    assert unrated["members_total"].notna().all() and (unrated["members_total"] > 0).all()
    rated = (o["members_total"] - o["members_not_rated"]).astype(int)
    gp = o["rating"].isin(GOOD)
    assert not (gp & (o["members_failed"] > 0.2 * rated)).any()
    xs = o["rating"] == "xuat_sac"
    weak_xs = xs & (o["members_excellent"] + o["members_good"] < 0.8 * rated)
    assert 1 <= weak_xs.sum() <= 5
    cap = (o["year"] >= 2019) & (o["members_excellent"] > 0.2 * o["members_good"])
    assert 1 <= cap.sum() <= 10  # a handful break the 20% cap, so validation warns
    assert cap.sum() <= 0.01 * (o["year"] >= 2019).sum()
    # T1 (>= 90% good or better): missed in 2015 and one other year, met at the end
    prov = by_unit.groupby("year").sum(numeric_only=True)
    share = prov["orgs_gp"] / prov["orgs_rated"]
    assert share.between(0.88, 0.94).all()
    assert share[2015] < 0.90 and (share < 0.90).sum() == 2
    assert share[2019] >= 0.90 and share[2020] >= 0.90


def test_member_rating_distribution(demo_tables):
    o = demo_tables["organizations"]
    for _, g in o.groupby("year"):
        total = g["members_total"].sum()
        not_rated = g["members_not_rated"].sum()
        rated = total - not_rated
        assert 0.03 <= not_rated / total <= 0.06
        assert 0.003 <= g["members_failed"].sum() / rated <= 0.01
        assert 0.10 <= g["members_excellent"].sum() / g["members_good"].sum() <= 0.20
        assert 0.85 <= (g["members_excellent"].sum() + g["members_good"].sum()) / rated <= 0.90


def test_officials(demo_tables):
    f = demo_tables["officials"]
    assert set(f.loc[f["snapshot_year"] <= 2019, "term"]) == {"2015_2020"}
    assert set(f.loc[f["snapshot_year"] == 2020, "term"]) == {"2020_2025"}
    per = f.groupby(["snapshot_year", "commune_code", "position"]).size().unstack(fill_value=0)
    for p in ("bi_thu", "chu_tich_hdnd", "pho_chu_tich_hdnd", "chu_tich_ubnd", "chu_tich_mttq"):
        assert (per[p] == 1).all(), p
    for p in ("pho_bi_thu", "pho_chu_tich_ubnd"):
        assert per[p].between(1, 2).all(), p
    seq_ok = f.groupby(["snapshot_year", "commune_code", "position"])["seq"].apply(
        lambda s: sorted(s) == list(range(1, len(s) + 1)))
    assert seq_ok.all()
    univ = f["education"].isin(["dai_hoc", "sau_dai_hoc"]).groupby(f["snapshot_year"]).mean()
    assert 0.62 <= univ[2015] <= 0.76 and 0.90 <= univ[2020] < 1.0
    theory = f["theory"].isin(["trung_cap", "cao_cap"]).groupby(f["snapshot_year"]).mean()
    assert 0.80 <= theory[2015] <= 0.90 and 0.93 <= theory[2020] < 1.0
    rotated = f.loc[f["rotated"] == "co"]
    assert 0 < len(rotated) < 0.05 * len(f)


def test_villages_flags(demo_tables):
    v = demo_tables["villages"]
    pm = v["party_members"].astype(int)
    assert ((v["own_cell"] == "co") <= (pm >= 3)).all()
    assert (v.loc[pm.between(1, 2), "own_cell"] == "khong").all()
    assert (v.loc[pm.between(1, 2), "combined_cell"] == "co").all()
    assert v.loc[pm == 0, "combined_cell"].isna().all()
    assert (v.loc[pm == 0, "head_is_member"] == "khong").all()
    assert (v["secretary_is_head"].notna() == (v["own_cell"] == "co")).all()
    assert not ((v["secretary_is_head"] == "co") & (v["head_is_member"] == "khong")).any()
    own = v.loc[v["own_cell"] == "co"]
    sec = (own["secretary_is_head"] == "co").groupby(own["year"]).mean()
    assert 0.25 <= sec[2015] <= 0.35 and 0.55 <= sec[2020] <= 0.65


# ---------------------------------------------------------------------------------------------
# The stories
# ---------------------------------------------------------------------------------------------


def test_story_mountain_villages(demo_tables, villages_by_district):
    vd = villages_by_district
    vd = vd.assign(head=vd["villages_head_member"] / vd["villages_total"])
    head = vd.pivot(index="unit_code", columns="year", values="head")
    for d in head.index:
        if d in MOUNTAIN:
            assert 0.45 <= head.loc[d, 2015] <= 0.60, d
            assert 0.75 <= head.loc[d, 2020] <= 0.85, d
        else:
            assert 0.65 <= head.loc[d, 2015] <= 0.75, d
    white = vd.pivot(index="unit_code", columns="year", values="villages_no_members")
    total15 = white[2015].sum()
    assert 20 <= total15 <= 60  # a few dozen
    assert white.loc[list(MOUNTAIN), 2015].sum() >= 0.8 * total15
    assert white[2020].sum() <= 3
    risk = vd.groupby("year")["villages_at_risk"].sum()
    assert (risk > 0).all()
    # fates of the villages without members in 2015 (detail districts)
    v = demo_tables["villages"].assign(village_id=_village_id(demo_tables))
    series = v.pivot(index="village_id", columns="year", values="party_members").astype(float)
    w15 = series.loc[series[2015] == 0]
    fixed = (w15[2020] >= 1).sum()
    merged = w15[2020].isna().sum()
    m = w15.to_numpy()
    had_member = np.maximum.accumulate(np.nan_to_num(m) >= 1, axis=1)
    rewhite = ((m == 0) & np.roll(had_member, 1, axis=1) & (np.arange(m.shape[1]) > 0)).any(
        axis=1).sum()
    assert fixed >= 5 and merged >= 2 and 1 <= rewhite <= 2
    cw_old = set(demo_tables["crosswalk"]["old_code"])
    assert all(c in cw_old for c in w15.index[w15[2020].isna()])


def test_story_high_ratings_district(by_unit):
    pooled = by_unit.groupby("unit_code").sum(numeric_only=True)
    gp = pooled["orgs_gp"] / pooled["orgs_rated"]
    monthly = pooled["cells_monthly"] / pooled["cells_total"]
    thematic = pooled["cells_thematic"] / pooled["cells_total"]
    assert gp.idxmax() == "hiep_hoa" and gp["hiep_hoa"] >= 0.97
    assert monthly.idxmin() == "hiep_hoa"
    assert thematic.idxmin() == "hiep_hoa"
    yearly = by_unit.loc[by_unit["unit_code"] == "hiep_hoa"]
    assert (yearly["orgs_gp"] / yearly["orgs_rated"] >= 0.95).all()


def test_story_admissions(by_unit):
    adm = by_unit.groupby("year")["admissions"].sum()
    assert adm[2016] < 2300
    for y in YEARS:
        if y != 2016:
            assert 2300 <= adm[y] <= 2700, y
    assert 2000 <= adm[2016]


def test_story_missing_year(demo_tables, district_of):
    o = demo_tables["organizations"]
    v = demo_tables["villages"]
    f = demo_tables["officials"]
    s = demo_tables["unit_summary"]
    yd = o.loc[o["reporting_unit"] == "yen_dung", "year"]
    assert 2017 not in set(yd) and set(yd) == set(YEARS) - {2017}
    vy = v.loc[v["commune_code"].map(district_of) == "yen_dung", "year"]
    assert set(vy) == set(YEARS) - {2017}
    fy = f.loc[f["commune_code"].map(district_of) == "yen_dung", "snapshot_year"]
    assert set(fy) == set(YEARS) - {2017}
    assert "yen_dung" not in set(s["unit_code"])


def test_story_input_levels(demo_tables, district_of):
    o = demo_tables["organizations"]
    v = demo_tables["villages"]
    f = demo_tables["officials"]
    s = demo_tables["unit_summary"]
    assert not (set(o["reporting_unit"]) & SUMMARY_ONLY)
    assert not (set(v["commune_code"].map(district_of)) & SUMMARY_ONLY)
    assert not (set(f["commune_code"].map(district_of)) & SUMMARY_ONLY)
    assert set(s["unit_code"]) == SUMMARY_ONLY | BOTH
    assert len(s) == len(SUMMARY_ONLY | BOTH) * len(YEARS)
    ln = s.loc[s["unit_code"] == "luc_ngan"]
    assert ln["villages_total"].notna().all() and ln["officials_total"].notna().all()
    sec = s.loc[s["unit_code"].isin(SECTORS)]
    assert sec["villages_total"].isna().all() and sec["officials_total"].isna().all()


def test_summary_cross_check(demo_tables, district_of):
    """tp_bac_giang and viet_yen send summary rows equal to the aggregation of their detail."""
    agg = demo.summarize_detail(demo_tables)
    sent = demo_tables["unit_summary"]
    for unit in BOTH:
        a = agg.loc[agg["unit_code"] == unit].reset_index(drop=True)
        b = sent.loc[sent["unit_code"] == unit].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    # an independent check of a few columns, straight from the definitions
    o = demo_tables["organizations"]
    v = demo_tables["villages"]
    f = demo_tables["officials"]
    tp = sent.loc[sent["unit_code"] == "tp_bac_giang"].set_index("year")
    for y in YEARS:
        oy = o.loc[(o["reporting_unit"] == "tp_bac_giang") & (o["year"] == y)]
        assert tp.loc[y, "orgs_total"] == len(oy)
        assert tp.loc[y, "orgs_excellent"] == oy["rating"].isin(
            ["xuat_sac", "trong_sach_vung_manh"]).sum()
        assert tp.loc[y, "orgs_remediation"] == (
            oy["rating"].isin(["hoan_thanh", "khong_hoan_thanh", "yeu_kem"])
            & (oy["remediation_plan"] == "co")).sum()
        assert tp.loc[y, "orgs_supervised_twice"] == (oy["supervision_checks"] == 2).sum()
        assert tp.loc[y, "members_non_state"] == oy.loc[
            oy["org_type"] == "doanh_nghiep_ngoai_nha_nuoc", "members_total"].sum()
        assert tp.loc[y, "members_total"] == oy["members_total"].sum()
        assert tp.loc[y, "admissions"] == oy["admissions"].sum()
        vy = v.loc[(v["commune_code"].map(district_of) == "tp_bac_giang") & (v["year"] == y)]
        assert tp.loc[y, "villages_total"] == len(vy)
        assert tp.loc[y, "villages_no_members"] == (vy["party_members"] == 0).sum()
        assert tp.loc[y, "villages_head_member"] == (vy["head_is_member"] == "co").sum()
        fy = f.loc[(f["commune_code"].map(district_of) == "tp_bac_giang")
                   & (f["snapshot_year"] == y)]
        assert tp.loc[y, "officials_total"] == len(fy)
        assert tp.loc[y, "officials_university"] == fy["education"].isin(
            ["dai_hoc", "sau_dai_hoc"]).sum()


def test_readme_documents_stories_and_mapping():
    text = (config.DEMO_DATA_DIR / "README.md").read_text(encoding="utf-8")
    for word in ("hiep_hoa", "yen_dung", "luc_ngan", "2016", "crosswalk", "orgs_remediation",
                 "villages_no_members", "members_non_state"):
        assert word in text
    for col in schema.table("unit_summary").column_names[2:]:
        assert col in text or col.startswith(("members_", "admissions", "new_members",
                                              "committee", "cells_", "inspections")), col


# ---------------------------------------------------------------------------------------------
# The synthetic country
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def country() -> dict[str, pd.DataFrame]:
    return demo.generate_country(n_provinces=2, seed=3)


def test_country_shape_and_codes(country):
    vocab = schema.vocabularies()
    assert set(country) == set(schema.tables())
    for name, df in country.items():
        assert list(df.columns) == schema.table(name).column_names, name
        for col in schema.table(name).columns:
            present = df[col.name].dropna().astype(str)
            if col.type == "code":
                assert present.str.match(schema.CODE_PATTERN.pattern).all(), f"{name}.{col.name}"
            elif col.type == "enum":
                assert set(present) <= set(vocab[col.vocabulary].codes), f"{name}.{col.name}"
            elif col.type == "bool":
                assert set(present) <= {"co", "khong"}
        assert not df.duplicated(list(schema.table(name).key)).any(), name
    u = country["units"]
    levels = u.groupby("level")["code"]
    assert sorted(levels.get_group("province")) == ["p01", "p02"]
    units = levels.get_group("district").tolist() + levels.get_group("sector").tolist()
    assert all(re.fullmatch(r"p0[12]_[ds]\d\d", c) for c in units)
    assert 2 * 9 <= len(units) <= 2 * 13
    assert levels.get_group("commune").str.fullmatch(r"p0[12]_d\d\d_c\d{3}").all()
    assert levels.get_group("village").str.fullmatch(r"p0[12]_d\d\d_c\d{3}_v\d\d").all()
    n_com = len(levels.get_group("commune"))
    n_vil = len(levels.get_group("village"))
    assert 2 * 100 <= n_com <= 2 * 250
    assert 7 * n_com <= n_vil <= 13 * n_com
    o = country["organizations"]
    assert sorted(o["year"].unique()) == YEARS
    s = country["unit_summary"]
    per_year = (o.groupby("year").size()
                + s.loc[s["unit_code"].astype(str).str.contains("_s")].groupby("year")[
                    "orgs_total"].sum())
    assert per_year.between(2 * 600, 2 * 1200).all()  # ≈870 TCCSĐ per province
    assert len(country["crosswalk"]) == 0
    assert set(o["reporting_unit"].astype(str)) <= set(u["code"])
    assert not o["reporting_unit"].astype(str).str.contains("_s").any()


def test_country_summary_matches_detail(country):
    s = country["unit_summary"]
    d01 = s.loc[s["unit_code"].astype(str).str.endswith("_d01")]
    assert len(d01) == 2 * len(YEARS)
    agg = demo.summarize_detail(country)
    agg = agg.loc[agg["unit_code"].isin(set(d01["unit_code"].astype(str)))]
    agg = agg.sort_values(["year", "unit_code"])
    d01 = d01.sort_values(["year", "unit_code"])
    assert agg["unit_code"].tolist() == d01["unit_code"].astype(str).tolist()
    np.testing.assert_array_equal(
        agg.drop(columns="unit_code").to_numpy(dtype=float, na_value=np.nan),
        d01.drop(columns="unit_code").to_numpy(dtype=float, na_value=np.nan),
    )


def test_write_country(tmp_path):
    paths = demo.write_country(tmp_path, n_provinces=1, seed=5)
    assert {p.name for p in paths} == {f"{t}.csv" for t in schema.tables()}
    again = demo.write_country(tmp_path / "again", n_provinces=1, seed=5)
    for a, b in zip(sorted(paths), sorted(again), strict=True):
        assert a.read_bytes() == b.read_bytes()
