"""The Bắc Giang demo: its districts and sector committees, the stories a review must find, and
its world (:func:`demo_world`); :func:`generate_demo`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data.synthetic.engine import World, simulate
from analysis.data.synthetic.helpers import ints, make_rng, nfc, plain, slug, sort_rows, table_of
from analysis.data.synthetic.names import (
    COMMUNE_A,
    COMMUNE_B,
    KIND_PREFIX,
    VILLAGE_A,
    VILLAGE_B,
    WARDS,
    name_combos,
)
from analysis.data.synthetic.rows import official_rows, org_rows, village_rows
from analysis.data.synthetic.summary import summarize_detail
from analysis.data.synthetic.vocab import SECTOR_KINDS, SECTOR_NAMES, org_type, type_param

# --------------------------------------------------------------------------------------------
# The Bắc Giang demo
# --------------------------------------------------------------------------------------------

# code, name, kind, terrain, communes before / after 2020, villages, members, TCCSĐ, thị trấn
# (domain-rules.md §3; [E] columns are estimates).
DISTRICTS = (
    ("tp_bac_giang", "Thành phố Bắc Giang", "thanh_pho", "dong_bang", 16, 16, 180, 13000, 110, 0),
    ("yen_the", "Huyện Yên Thế", "huyen", "mien_nui", 21, 19, 180, 7000, 60, 2),
    ("tan_yen", "Huyện Tân Yên", "huyen", "mien_nui", 24, 22, 260, 10000, 70, 2),
    ("lang_giang", "Huyện Lạng Giang", "huyen", "mien_nui", 23, 21, 230, 10000, 75, 2),
    ("luc_nam", "Huyện Lục Nam", "huyen", "mien_nui", 27, 25, 270, 9500, 75, 2),
    ("luc_ngan", "Huyện Lục Ngạn", "huyen", "mien_nui", 30, 29, 400, 9000, 80, 1),
    ("son_dong", "Huyện Sơn Động", "huyen", "vung_cao", 23, 17, 150, 5000, 55, 2),
    ("yen_dung", "Huyện Yên Dũng", "huyen", "mien_nui", 21, 18, 160, 8000, 60, 2),
    ("viet_yen", "Huyện Việt Yên", "huyen", "trung_du", 19, 17, 170, 9000, 65, 2),
    ("hiep_hoa", "Huyện Hiệp Hòa", "huyen", "trung_du", 26, 25, 250, 11000, 70, 1),
)
# sector committee: number of TCCSĐ, type mix, members scale
SECTORS = (
    ("khoi_co_quan", 66, {"co_quan_hanh_chinh": 0.6, "don_vi_su_nghiep": 0.4}, 2.0),
    ("khoi_doanh_nghiep", 100, {"doanh_nghiep_ngoai_nha_nuoc": 0.55, "doanh_nghiep_nha_nuoc": 0.35,
                                "hop_tac_xa": 0.05, "khac": 0.05}, 1.8),
    ("quan_su", 20, {"quan_doi": 1.0}, 1.6),
    ("cong_an", 20, {"cong_an": 1.0}, 1.7),
)
MEMBER_SCALE = 0.92  # district members of the table scaled so the province starts near 93k
MOUNTAIN_STORY = ("son_dong", "luc_ngan", "luc_nam", "yen_the")
HIGH_RATING_DISTRICT = "hiep_hoa"
MISSING_YEAR = ("yen_dung", 2017)
SUMMARY_ONLY = ("luc_ngan", "khoi_co_quan", "khoi_doanh_nghiep", "quan_su", "cong_an")
SUMMARY_AND_DETAIL = ("tp_bac_giang", "viet_yen")
LOW_ADMISSION_YEAR = 2016
MERGER_YEAR = 2020
WHITE_2015 = {"son_dong": 12, "luc_ngan": 9, "luc_nam": 6, "yen_the": 5, "lang_giang": 2,
              "yen_dung": 1}
AT_RISK_2015 = {"son_dong": 6, "luc_ngan": 5, "luc_nam": 4, "yen_the": 3, "lang_giang": 1,
                "tan_yen": 1}
HEAD_MEMBER_P = {  # P(village head is a party member), 2015 -> 2020
    "son_dong": (0.52, 0.78), "luc_ngan": (0.52, 0.79), "luc_nam": (0.55, 0.80),
    "yen_the": (0.57, 0.80), "tp_bac_giang": (0.74, 0.90), "lang_giang": (0.68, 0.87),
    "tan_yen": (0.69, 0.88), "yen_dung": (0.67, 0.86), "viet_yen": (0.71, 0.89),
    "hiep_hoa": (0.70, 0.88),
}
ETHNIC_SHARE = {"son_dong": 0.52, "luc_ngan": 0.34, "luc_nam": 0.22, "yen_the": 0.18,
                "lang_giang": 0.05, "tan_yen": 0.04, "yen_dung": 0.03, "viet_yen": 0.02,
                "hiep_hoa": 0.02, "tp_bac_giang": 0.02, "khoi_co_quan": 0.04,
                "khoi_doanh_nghiep": 0.03, "quan_su": 0.06, "cong_an": 0.05}
RELIGIOUS_SHARE = {"yen_dung": 0.06, "hiep_hoa": 0.04, "viet_yen": 0.04, "lang_giang": 0.03}
# Admissions: yearly factor on the quota, and published district figures fixed as given.
ADMISSION_FACTOR = {2015: 1.03, 2016: 0.90, 2017: 1.08, 2018: 1.04, 2019: 1.07, 2020: 1.02}
ADMISSION_FIXED = {("son_dong", 2017): 135, ("hiep_hoa", 2017): 195}
VILLAGE_MERGERS = 200


@dataclass
class DemoMeta:
    """Book-keeping the demo needs besides the world: names, kinds, the stories' members."""

    unit_rows: list[dict]
    crosswalk_rows: list[dict]
    whites: dict[str, list[str]]  # fate -> village codes


def _district_admissions(rng, codes: list[str], years: np.ndarray) -> np.ndarray:
    """Admission targets per unit-year from the quotas: 2016 short of 2,300, others above."""
    quotas = params.targets()["quotas"]["T5"]
    province_target = params.targets()["targets"]["T5"]["value"]
    q = np.array([quotas[c] for c in codes], dtype=float)
    adm = np.zeros((len(codes), len(years)), dtype=np.int64)
    for yi, y in enumerate(years):
        f = ADMISSION_FACTOR.get(int(y), 1.04)
        vals = np.rint(q * f * rng.uniform(0.92, 1.08, len(codes))).astype(np.int64)
        fixed = np.zeros(len(codes), dtype=bool)
        for (c, fy), v in ADMISSION_FIXED.items():
            if fy == y and c in codes:
                vals[codes.index(c)] = v
                fixed[codes.index(c)] = True
        counted = np.ones(len(codes), dtype=bool)
        if MISSING_YEAR[1] == y and MISSING_YEAR[0] in codes:
            counted[codes.index(MISSING_YEAR[0])] = False
        # the province total (of the units that report that year) is kept inside a band, with a
        # margin for the few admissions the village stories add on top
        if y == LOW_ADMISSION_YEAR:
            lo, hi = 2000, province_target - 60
        else:
            lo, hi = province_target + 30, 2680
        total = int(vals[counted].sum())
        target = int(np.clip(total, lo, hi))
        free = counted & ~fixed
        if target != total:
            scale = (target - vals[counted & fixed].sum()) / vals[free].sum()
            vals[free] = np.rint(vals[free] * scale).astype(np.int64)
            big = np.flatnonzero(free)[np.argmax(vals[free])]
            vals[big] += target - vals[counted].sum()
        adm[:, yi] = vals
    return adm


def _unique_names(rng, pool: list[str], n: int, taken: set[str]) -> list[str]:
    free = [p for p in pool if slug(p) not in taken]
    picked = [free[i] for i in rng.choice(len(free), size=n, replace=False)]
    taken.update(slug(p) for p in picked)
    return picked


def _demo_world(seed: int) -> tuple[World, DemoMeta]:
    plan = params.plan()
    years = np.arange(plan["first_year"], plan["last_year"] + 1)
    n_years = len(years)
    rng = make_rng(seed, "demo-structure")
    province = plan["province_code"]
    tiles = params.units()["tiles"]
    dist_codes = [d[0] for d in DISTRICTS]
    sector_codes = [s[0] for s in SECTORS]
    unit_codes = dist_codes + sector_codes
    missing = set(unit_codes) ^ set(tiles)
    if missing:
        raise ValueError(f"params/units.yaml and the demo disagree on units: {sorted(missing)}")
    merger_yi = int(np.searchsorted(years, MERGER_YEAR))
    commune_names = name_combos(COMMUNE_A, COMMUNE_B)
    village_names = name_combos(VILLAGE_A, VILLAGE_B)

    unit_rows = [dict(code=province, name="Tỉnh Bắc Giang", level="province", parent_code=None,
                      kind="tinh", terrain=None, first_year=None, last_year=None)]
    for code, name, kind, terrain, *_ in DISTRICTS:
        unit_rows.append(dict(code=code, name=name, level="district", parent_code=province,
                              kind=kind, terrain=terrain, first_year=None, last_year=None))
    for code, *_ in SECTORS:
        unit_rows.append(dict(code=code, name=SECTOR_NAMES[code], level="sector",
                              parent_code=province, kind=code, terrain=None, first_year=None,
                              last_year=None))

    # ---- communes, villages, commune mergers
    c_code, c_unit, c_kind, c_first, c_last, c_succ = [], [], [], [], [], []
    v_code, v_home, v_kind, v_w0, v_name = [], [], [], [], []
    crosswalk_rows: list[dict] = []
    commune_total: list[float] = []
    for di, (code, _, _, terrain, n_before, n_after, n_vil, _, _, n_tt) in enumerate(DISTRICTS):
        taken: set[str] = set()
        n_vil = int(round(n_vil * rng.uniform(1.0, 1.08)))
        if code == "tp_bac_giang":
            kinds = ["phuong"] * 10 + ["xa"] * (n_before - 10)
            names = _unique_names(rng, list(WARDS), 10, taken)
            names += _unique_names(rng, commune_names, n_before - 10, taken)
        else:
            kinds = ["thi_tran"] * n_tt + ["xa"] * (n_before - n_tt)
            names = _unique_names(rng, commune_names, n_before, taken)
        # villages per commune: at least 3, the rest spread unevenly
        per = 3 + rng.multinomial(n_vil - 3 * n_before, rng.dirichlet(np.full(n_before, 4.0)))
        first_c = len(c_code)
        for k, (kind, nm) in enumerate(zip(kinds, names, strict=True)):
            cc = f"{code}_{slug(nm)}"
            c_code.append(cc)
            c_unit.append(di)
            c_kind.append(kind)
            c_first.append(None)
            c_last.append(None)
            c_succ.append(-1)
            unit_rows.append(dict(code=cc, name=f"{KIND_PREFIX[kind]} {nm}", level="commune",
                                  parent_code=code, kind=kind, terrain=terrain, first_year=None,
                                  last_year=None))
            vtaken: set[str] = set()
            if kind in ("phuong", "thi_tran"):
                vk = ["to_dan_pho"] * per[k]
            else:
                p_ban = {"son_dong": 0.5, "luc_ngan": 0.25}.get(code, 0.0)
                vk = list(np.where(rng.random(per[k]) < p_ban, "ban", "thon"))
            vnames = _unique_names(rng, village_names, per[k], vtaken)
            for j in range(per[k]):
                kind_v = str(vk[j])
                v_code.append(f"{cc}_{j + 1:02d}")
                v_home.append(len(c_code) - 1)
                v_kind.append(kind_v)
                w0 = rng.gamma(3.0, 1 / 3.0) * (0.55 if kind_v == "ban" else 1.0)
                w0 *= 0.8 if terrain == "vung_cao" else 1.0
                v_w0.append(w0)
                v_name.append(f"Tổ dân phố số {j + 1}" if kind_v == "to_dan_pho"
                              else f"{KIND_PREFIX[kind_v]} {vnames[j]}")
            commune_total.append(per[k] * rng.lognormal(0, 0.2))
        # mergers: groups of 2 (removes one commune) or 3 (removes two)
        removed = n_before - n_after
        if removed:
            triples = {"son_dong": 1, "yen_dung": 1}.get(code, 0)
            sizes = [3] * triples + [2] * (removed - 2 * triples)
            local = np.arange(first_c, len(c_code))
            xa = [i for i in local if c_kind[i] == "xa"]
            nv = np.array([per[i - first_c] for i in xa])
            cand = [xa[i] for i in np.argsort(nv + rng.random(len(nv)), kind="stable")]
            need = sum(sizes)
            members_ = cand[:need]
            if code == "son_dong":  # one thị trấn absorbs two small communes
                members_ = [local[0]] + cand[: need - 1]
            pos = 0
            for size in sizes:
                group = members_[pos: pos + size]
                pos += size
                new_kind = "thi_tran" if any(c_kind[i] == "thi_tran" for i in group) else "xa"
                nm = _unique_names(rng, commune_names, 1, taken)[0]
                cc = f"{code}_{slug(nm)}"
                new_idx = len(c_code)
                c_code.append(cc)
                c_unit.append(di)
                c_kind.append(new_kind)
                c_first.append(MERGER_YEAR)
                c_last.append(None)
                c_succ.append(-1)
                commune_total.append(0.0)
                unit_rows.append(dict(code=cc, name=f"{KIND_PREFIX[new_kind]} {nm}",
                                      level="commune", parent_code=code, kind=new_kind,
                                      terrain=terrain, first_year=MERGER_YEAR, last_year=None))
                for i in group:
                    c_succ[i] = new_idx
                    c_last[i] = MERGER_YEAR - 1
                    crosswalk_rows.append(dict(old_code=c_code[i], new_code=cc,
                                               effective_year=MERGER_YEAR))
    for row in unit_rows:
        if row["level"] == "commune" and row["code"] in c_code:
            i = c_code.index(row["code"])
            row["last_year"] = c_last[i]
    n_c = len(c_code)
    c_unit_a = np.array(c_unit)
    c_succ_a = np.array(c_succ)
    c_active = np.ones((n_c, n_years), dtype=bool)
    for i in range(n_c):
        if c_first[i] is not None:
            c_active[i, years < c_first[i]] = False
        if c_last[i] is not None:
            c_active[i, years > c_last[i]] = False

    n_v = len(v_code)
    v_home_a = np.array(v_home)
    v_dist = np.array([DISTRICTS[c_unit[h]][0] for h in v_home])
    v_w0_a = np.array(v_w0)
    c_kind_a = np.array(c_kind)

    # ---- thôn trắng (villages without members) and their fates; villages at risk
    whites: dict[str, list[int]] = {"admission": [], "merger": [], "never": [],
                                    "rewhite": [], "rewhite_fixed": []}
    white_set: list[int] = []
    risk_set: list[int] = []
    for d, n_white in WHITE_2015.items():
        cand = np.flatnonzero((v_dist == d) & (c_kind_a[v_home_a] == "xa"))
        p = 1 / (v_w0_a[cand] + 0.05)
        chosen = list(rng.choice(cand, size=n_white, replace=False, p=p / p.sum()))
        white_set += chosen
        special = {"son_dong": ["never"], "luc_nam": ["rewhite"], "yen_the": ["rewhite_fixed"]}
        n_merge = {"son_dong": 3, "luc_ngan": 3, "luc_nam": 2, "yen_the": 1}.get(d, 0)
        fates = special.get(d, []) + ["merger"] * n_merge
        fates += ["admission"] * (n_white - len(fates))
        for v, fate in zip(chosen, fates, strict=True):
            whites[fate].append(int(v))
    for d, n_risk in AT_RISK_2015.items():
        cand = np.flatnonzero((v_dist == d) & (c_kind_a[v_home_a] == "xa"))
        cand = np.setdiff1d(cand, white_set)
        risk_set += list(rng.choice(cand, size=n_risk, replace=False))

    # ---- village mergers (absorbed into a neighbour of the same commune)
    v_absorber = np.full(n_v, -1)
    v_absorb_yi = np.full(n_v, -1)
    protected = set(white_set) - set(whites["merger"])
    per_district = {d[0]: d[6] for d in DISTRICTS}
    total_v = sum(per_district.values())
    absorbers: set[int] = set()
    for d, nv in per_district.items():
        quota = int(round(VILLAGE_MERGERS * nv / total_v))
        forced = [v for v in whites["merger"] if v_dist[v] == d]
        cand = np.array([v for v in np.flatnonzero(v_dist == d)
                         if v not in protected and v not in forced])
        p = 1 / (v_w0_a[cand] + 0.2)
        pick = list(forced) + list(rng.choice(cand, size=quota - len(forced), replace=False,
                                                p=p / p.sum()))
        for v in pick:
            home = v_home_a[v]
            same = np.flatnonzero(v_home_a == home)
            others = [x for x in same if x != v and x not in pick and x not in protected]
            if len(others) < 2:  # keep communes with at least a few villages
                if v in forced:
                    others = [x for x in same if x != v and x not in pick] or others
                else:
                    continue
            j = int(np.searchsorted(same, v))
            absorber = min(others, key=lambda x: (abs(int(np.searchsorted(same, x)) - j), x))
            v_absorber[v] = absorber
            absorbers.add(absorber)
            eff = MERGER_YEAR - 1 if rng.random() < 0.45 else MERGER_YEAR
            v_absorb_yi[v] = int(np.searchsorted(years, eff))

    # ---- village-year arrays
    v_commune = np.repeat(v_home_a[:, None], n_years, axis=1)
    succ_of_home = c_succ_a[v_home_a]
    moved = succ_of_home >= 0
    v_commune[moved, merger_yi:] = succ_of_home[moved][:, None]
    for v in np.flatnonzero(v_absorb_yi >= 0):
        v_commune[v, v_absorb_yi[v]:] = -1
    v_w = np.repeat(v_w0_a[:, None], n_years, axis=1)
    v_forced_adm = np.zeros((n_v, n_years), dtype=np.int64)
    v_forced_loss = np.zeros((n_v, n_years), dtype=bool)
    yi_of = {int(y): i for i, y in enumerate(years)}
    for v in whites["never"] + whites["merger"]:
        v_w[v] = 0.0
    for v in whites["admission"]:
        fix = int(rng.choice([2016, 2017, 2018, 2019, 2020], p=[0.15, 0.25, 0.25, 0.2, 0.15]))
        v_w[v, : yi_of[fix]] = 0.0
        v_w[v, yi_of[fix]:] = 0.3
        v_forced_adm[v, yi_of[fix]] = rng.integers(1, 4)
    for v in whites["rewhite"]:  # 0 -> 2 (2016) -> 0 from 2019
        v_w[v] = 0.0
        v_forced_adm[v, yi_of[2016]] = 2
        v_forced_loss[v, yi_of[2019]] = True
    for v in whites["rewhite_fixed"]:  # 0 -> 1 (2016) -> 0 (2018) -> 2 (2019)
        v_w[v] = 0.0
        v_forced_adm[v, yi_of[2016]] = 1
        v_forced_loss[v, yi_of[2018]] = True
        v_forced_adm[v, yi_of[2019]] = 2
        v_w[v, yi_of[2019] + 1:] = 0.3
    for v in risk_set:
        v_w[v] *= 0.25

    # ---- TCCSĐ
    o_code, o_unit, o_commune, o_type, o_first, o_last, o_m0, o_new = ([] for _ in range(8))
    rng_o = make_rng(seed, "demo-orgs")

    def add_org(code, unit, commune, typ, m0, first=None, last=None, new=False):
        o_code.append(code)
        o_unit.append(unit)
        o_commune.append(commune)
        o_type.append(typ)
        o_m0.append(m0)
        o_first.append(first)
        o_last.append(last)
        o_new.append(new)

    sizes_median = type_param(4)
    r_codes = unit_codes
    for ri, code in enumerate(r_codes):
        if ri < len(DISTRICTS):
            d = DISTRICTS[ri]
            n_non = d[8] - d[4]
            industrial = code in ("tp_bac_giang", "viet_yen", "yen_dung", "hiep_hoa")
            share_ns = 0.24 if industrial else 0.14
            mix = {"co_quan_hanh_chinh": 0.26, "don_vi_su_nghiep": 0.50 - share_ns + 0.14,
                   "doanh_nghiep_nha_nuoc": 0.03, "doanh_nghiep_ngoai_nha_nuoc": share_ns,
                   "hop_tac_xa": 0.04, "khac": 0.03}
            fixed_types = ["quan_doi", "cong_an"]
            scale = 1.0
        else:
            s = SECTORS[ri - len(DISTRICTS)]
            n_non, mix, scale = s[1], s[2], s[3]
            fixed_types = []
        names_t = list(mix)
        probs = np.array([mix[t] for t in names_t])
        drawn = list(rng_o.choice(names_t, size=n_non - len(fixed_types), p=probs / probs.sum()))
        types_ = fixed_types + [str(t) for t in drawn]
        n_new = rng_o.poisson(0.085 * n_non)
        new_years = rng_o.choice(years[1:], size=n_new)
        new_types = [str(t) for t in rng_o.choice(names_t, size=n_new, p=probs / probs.sum())]
        all_types = types_ + new_types
        for k, t in enumerate(all_types):
            ti = org_type(t)
            m0 = max(3, int(round(sizes_median[ti] * scale * rng_o.lognormal(0, 0.5))))
            if k < len(types_):
                dissolve = t not in ("quan_doi", "cong_an") and rng_o.random() < 0.085
                last = int(rng_o.choice(years[:-1])) if dissolve else None
                new = rng_o.random() < 0.018 and last is None
                add_org(f"{code}_t{k + 1:03d}", ri, -1, ti, m0, None, last, new)
            else:
                add_org(f"{code}_t{k + 1:03d}", ri, -1, ti, max(3, m0 // 2),
                        int(new_years[k - len(types_)]), None, True)
    # commune TCCSĐ: district members (scaled) minus the non-commune TCCSĐ, over communes
    o_unit_a = np.array(o_unit)
    o_m0_a = np.array(o_m0, dtype=float)
    commune_total_a = np.array(commune_total)
    v_m0 = np.zeros(n_v, dtype=np.int64)
    for di, d in enumerate(DISTRICTS):
        non_commune = o_m0_a[(o_unit_a == di)].sum()
        target = d[7] * MEMBER_SCALE - non_commune
        cs = np.flatnonzero((c_unit_a == di) & (commune_total_a > 0))
        tot = np.rint(target * commune_total_a[cs] / commune_total_a[cs].sum()).astype(np.int64)
        for c, t in zip(cs, tot, strict=True):
            rest = int(round(t * rng.uniform(0.10, 0.16)))
            vs = np.flatnonzero(v_home_a == c)
            fixed = np.zeros(len(vs), dtype=np.int64)
            normal = np.ones(len(vs), dtype=bool)
            for j, v in enumerate(vs):
                if v in white_set:
                    normal[j] = False
                elif v in risk_set:
                    fixed[j] = rng.integers(1, 3)
                    normal[j] = False
            fixed[normal] = 3
            left = max(0, t - rest - fixed.sum())
            wts = v_w0_a[vs] * normal
            fixed += rng.multinomial(left, wts / wts.sum())
            v_m0[vs] = fixed
            kind = c_kind[c]
            add_org(f"{c_code[c]}_db", di, int(c), org_type(kind), rest)
    for c in [i for i, f in enumerate(c_first) if f is not None]:
        add_org(f"{c_code[c]}_db", int(c_unit_a[c]), int(c), org_type(c_kind[c]), 0,
                MERGER_YEAR, None, False)
    n_o = len(o_code)
    o_unit_a = np.array(o_unit)
    o_active = np.ones((n_o, n_years), dtype=bool)
    o_commune_a = np.array(o_commune)
    for i in range(n_o):
        if o_commune_a[i] >= 0:
            o_active[i] = c_active[o_commune_a[i]]
        if o_first[i] is not None:
            o_active[i, years < o_first[i]] = False
        if o_last[i] is not None:
            o_active[i, years > o_last[i]] = False
    # a TCCSĐ formed inside the period is not rated in its first year
    o_new_a = np.array(o_new) | (np.array([f is not None for f in o_first]) & (o_commune_a < 0))

    ru_terrain = np.array([d[3] for d in DISTRICTS] + [""] * len(SECTORS))
    n_r = len(r_codes)
    s_curve = np.interp(years - 2015, [0, 1, 2, 3, 4, 5], [0, 0.15, 0.35, 0.6, 0.8, 1.0])
    head_p = np.zeros((n_r, n_years))
    for ri, code in enumerate(r_codes):
        if code in HEAD_MEMBER_P:
            a, b = HEAD_MEMBER_P[code]
            head_p[ri] = a + (b - a) * s_curve
    boost = np.zeros(n_r)
    top_boost = np.zeros(n_r)
    meet_m = np.zeros(n_r)
    meet_t = np.zeros(n_r)
    hh = r_codes.index(HIGH_RATING_DISTRICT)
    boost[hh], top_boost[hh], meet_m[hh], meet_t[hh] = 6.0, 2.5, -1.3, -1.2
    for code in MOUNTAIN_STORY:
        boost[r_codes.index(code)] -= 0.3
    for code in SECTOR_KINDS:
        meet_m[r_codes.index(code)] += 0.3
        meet_t[r_codes.index(code)] += 0.3
    world = World(
        years=years,
        ru_code=np.array(r_codes),
        ru_terrain=ru_terrain,
        ru_adm=_district_admissions(make_rng(seed, "demo-admissions"), r_codes, years),
        ru_head_p=head_p,
        ru_rating_boost=boost,
        ru_top_boost=top_boost,
        ru_meet_monthly=meet_m,
        ru_meet_thematic=meet_t,
        ru_ethnic=np.array([ETHNIC_SHARE.get(c, 0.02) for c in r_codes]),
        ru_religious=np.array([RELIGIOUS_SHARE.get(c, 0.02) for c in r_codes]),
        c_code=np.array(c_code),
        c_unit=c_unit_a,
        c_active=c_active,
        c_succ=c_succ_a,
        c_agency_cells=rng.integers(3, 6, n_c),
        v_code=np.array(v_code),
        v_commune=v_commune,
        v_m0=v_m0,
        v_w=v_w,
        v_absorber=v_absorber,
        v_absorb_yi=v_absorb_yi,
        v_forced_adm=v_forced_adm,
        v_forced_loss=v_forced_loss,
        o_code=np.array(o_code),
        o_unit=o_unit_a,
        o_commune=o_commune_a,
        o_type=np.array(o_type),
        o_active=o_active,
        o_m0=np.array(o_m0, dtype=np.int64),
        o_unrated_first=o_new_a,
    )
    # villages of merged communes get a code under the new commune from the merger year (so a
    # village code always has one parent commune); names stay, a clash gets a suffix " 2"
    v_recode = np.full(n_v, -1)
    code2: list[str] = []
    name2: list[str] = []
    for new_c in [i for i, f in enumerate(c_first) if f is not None]:
        names_seen: set[str] = set()
        vs = [v for v in range(n_v) if c_succ_a[v_home_a[v]] == new_c
              and not 0 <= v_absorb_yi[v] <= merger_yi]
        for k, v in enumerate(vs):
            name = v_name[v]
            suffix = 2
            while name in names_seen:
                name = f"{v_name[v]} {suffix}"
                suffix += 1
            names_seen.add(name)
            v_recode[v] = len(code2)
            code2.append(f"{c_code[new_c]}_{k + 1:02d}")
            name2.append(name)
    world.v_code2 = np.array(code2)
    world.v_recode = v_recode
    world.v_recode_yi = merger_yi

    def code_at(v: int, yi: int) -> str:
        return code2[v_recode[v]] if v_recode[v] >= 0 and yi >= merger_yi else v_code[v]

    # units rows and crosswalk rows of villages
    for v in range(n_v):
        last = None
        if v_absorb_yi[v] >= 0:
            yi = int(v_absorb_yi[v])
            last = int(years[yi]) - 1
            crosswalk_rows.append(dict(old_code=code_at(v, yi - 1),
                                       new_code=code_at(int(v_absorber[v]), yi),
                                       effective_year=int(years[yi])))
        if v_recode[v] >= 0:
            last = MERGER_YEAR - 1
            new_code = code2[v_recode[v]]
            crosswalk_rows.append(dict(old_code=v_code[v], new_code=new_code,
                                       effective_year=MERGER_YEAR))
            unit_rows.append(dict(code=new_code, name=name2[v_recode[v]], level="village",
                                  parent_code=c_code[c_succ_a[v_home_a[v]]], kind=v_kind[v],
                                  terrain=None, first_year=MERGER_YEAR, last_year=None))
        unit_rows.append(dict(code=v_code[v], name=v_name[v], level="village",
                              parent_code=c_code[v_home[v]], kind=v_kind[v], terrain=None,
                              first_year=None, last_year=last))
    meta = DemoMeta(
        unit_rows=unit_rows,
        crosswalk_rows=crosswalk_rows,
        whites={k: [v_code[i] for i in sorted(vs)] for k, vs in whites.items()},
    )
    return world, meta


def _units_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    cols = {}
    for col in schema.table("units").columns:
        s = df[col.name]
        if col.type == "year":
            ok = s.notna().to_numpy()
            cols[col.name] = ints(np.where(ok, s.fillna(0).to_numpy(), 0).astype(np.int64), ok)
        else:
            cols[col.name] = pd.Series(
                [None if v is None or (isinstance(v, float) and np.isnan(v)) else nfc(str(v))
                 for v in s], dtype="str")
    return pd.DataFrame(cols)


def demo_internal(seed: int):
    """All demo tables with full detail for every unit (before dropping what is not sent)."""
    world, meta = _demo_world(seed)
    sim = simulate(world, make_rng(seed, "demo-simulate"))
    villages, own_cells, comb = village_rows(world, sim, make_rng(seed, "demo-villages"))
    orgs = org_rows(
        world, sim, own_cells, comb, make_rng(seed, "demo-org-rows"), cap_breakers=6,
        breaker_units=~np.isin(world.ru_code, SUMMARY_ONLY),
        top_rule_breakers=(list(world.ru_code).index(HIGH_RATING_DISTRICT), 3),
    )
    officials = official_rows(world, sim, make_rng(seed, "demo-officials"))
    tables = {
        "units": _units_frame(meta.unit_rows),
        "crosswalk": pd.DataFrame(meta.crosswalk_rows),
        "organizations": plain(orgs),
        "villages": plain(villages),
        "officials": plain(officials),
    }
    tables["unit_summary"] = summarize_detail(tables)
    return tables, world, meta


def generate_demo(seed: int = 2016) -> dict[str, pd.DataFrame]:
    """The Bắc Giang demo dataset, 2015–2020, as it would arrive from the units.

    Returns one frame per table of ``tables.yaml`` (schema columns in schema order, rows sorted
    by key). Detail (organizations, villages, officials) comes from every district except
    ``luc_ngan``; ``luc_ngan`` and the four sector committees send only ``unit_summary``;
    ``tp_bac_giang`` and ``viet_yen`` send both (their summary equals their detail exactly);
    ``yen_dung`` sends nothing for 2017. See ``analysis/demo/README.md`` for the stories.
    """
    return demo_output(*demo_internal(seed))


def demo_output(tables, world: World, meta: DemoMeta) -> dict[str, pd.DataFrame]:
    """Drop from the full internal tables what the units do not send (see generate_demo)."""
    units = tables["units"]
    com = units.loc[units["level"] == "commune"]
    district_of = dict(zip(com["code"], com["parent_code"], strict=True))
    detail_units = set(world.ru_code) - set(SUMMARY_ONLY)
    skip_unit, skip_year = MISSING_YEAR

    def keep(unit_codes: pd.Series, year: pd.Series) -> np.ndarray:
        u = unit_codes.astype(object)
        y = year.to_numpy(dtype=np.int64)
        return (u.isin(detail_units).to_numpy() & ~((u == skip_unit).to_numpy() & (y == skip_year)))

    orgs = tables["organizations"]
    vil = tables["villages"]
    off = tables["officials"]
    vil_units = units.loc[units["level"] == "village"]
    hidden_villages = set(
        vil_units.loc[~vil_units["parent_code"].map(district_of).isin(detail_units), "code"]
    )
    out = {
        "units": units.loc[~units["code"].isin(hidden_villages)],
        "crosswalk": tables["crosswalk"].loc[~tables["crosswalk"]["old_code"].isin(
            hidden_villages)],
        "organizations": orgs.loc[keep(orgs["reporting_unit"], orgs["year"])],
        "villages": vil.loc[keep(vil["commune_code"].map(district_of), vil["year"])],
        "officials": off.loc[keep(off["commune_code"].map(district_of), off["snapshot_year"])],
        "unit_summary": tables["unit_summary"].loc[
            tables["unit_summary"]["unit_code"].isin(SUMMARY_ONLY + SUMMARY_AND_DETAIL)
        ],
    }
    crosswalk = out["crosswalk"]
    out["crosswalk"] = table_of(
        "crosswalk",
        {
            "old_code": crosswalk["old_code"].astype("str").to_numpy(),
            "new_code": crosswalk["new_code"].astype("str").to_numpy(),
            "effective_year": ints(crosswalk["effective_year"].to_numpy()),
        },
    )
    return {name: sort_rows(name, plain(df)) for name, df in out.items()}
