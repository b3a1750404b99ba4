"""A large synthetic country in the input schema, fully vectorised (benchmarks):
:func:`generate_country`, :func:`write_country`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.synthetic.bac_giang import SECTORS
from analysis.data.synthetic.engine import World, simulate
from analysis.data.synthetic.helpers import (
    ints,
    make_rng,
    pos_in_group,
    sort_rows,
    table_of,
    write_tables,
)
from analysis.data.synthetic.names import COMMUNE_A, COMMUNE_B, VILLAGE_A, VILLAGE_B, name_combos
from analysis.data.synthetic.rows import official_rows, org_rows, village_rows
from analysis.data.synthetic.summary import summarize_detail
from analysis.data.synthetic.vocab import (
    SECTOR_KINDS,
    SECTOR_NAMES,
    org_type,
    type_param,
    vocabulary_codes,
)

# --------------------------------------------------------------------------------------------
# A synthetic country (benchmarks)
# --------------------------------------------------------------------------------------------


def _zpad(values, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(values).astype(str), width)


def _cat_str(*parts) -> np.ndarray:
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.strings.add(out, np.asarray(p).astype(str))
    return out


def _country_world(n_provinces: int, seed: int, years: np.ndarray):
    rng = make_rng(seed, "country-structure")
    voc = vocabulary_codes()
    years = np.asarray(years)
    n_years = len(years)
    n_p = n_provinces
    # reporting units: 6–8 districts + 4 sector committees per province
    nd = rng.integers(6, 9, n_p)
    n_units = nd + len(SECTOR_KINDS)
    ru_prov = np.repeat(np.arange(n_p), n_units)
    ru_pos = pos_in_group(ru_prov)
    is_sector = ru_pos >= nd[ru_prov]
    sector_k = np.where(is_sector, ru_pos - nd[ru_prov], -1)
    prov_code = _cat_str("p", _zpad(np.arange(n_p) + 1, 2))
    ru_code = _cat_str(
        prov_code[ru_prov], "_",
        np.where(is_sector, "s", "d"),
        _zpad(np.where(is_sector, sector_k + 1, ru_pos + 1), 2),
    )
    n_r = len(ru_code)
    terrains = np.array(["dong_bang", "trung_du", "mien_nui", "vung_cao"])
    ru_terrain_i = rng.choice(4, size=n_r, p=[0.35, 0.25, 0.25, 0.15])
    ru_terrain = np.where(is_sector, "", terrains[ru_terrain_i])
    district_kind = np.where(
        is_sector, "", rng.choice(["huyen", "thanh_pho", "thi_xa"], size=n_r, p=[0.86, 0.08, 0.06])
    )
    district_kind = np.where(ru_pos == 0, "thanh_pho", district_kind)  # each has a capital city
    district_kind = np.where(is_sector, np.array(SECTOR_KINDS)[np.maximum(sector_k, 0)],
                             district_kind)
    # communes
    dist_idx = np.flatnonzero(~is_sector)
    ncom = rng.poisson(18, len(dist_idx)) + 5
    c_unit = np.repeat(dist_idx, ncom)
    n_c = len(c_unit)
    c_pos = pos_in_group(np.repeat(np.arange(len(dist_idx)), ncom))
    c_code = _cat_str(ru_code[c_unit], "_c", _zpad(c_pos + 1, 3))
    urban = np.isin(district_kind[c_unit], ["thanh_pho", "thi_xa"])
    u = rng.random(n_c)
    c_kind = np.where(urban, np.where(u < 0.6, "phuong", "xa"),
                      np.where(c_pos < 1 + (u < 0.5), "thi_tran", "xa"))
    # villages
    nvil = 2 + rng.poisson(8, n_c)
    v_home = np.repeat(np.arange(n_c), nvil)
    n_v = len(v_home)
    v_pos = pos_in_group(v_home)
    v_code = _cat_str(c_code[v_home], "_v", _zpad(v_pos + 1, 2))
    v_terr = ru_terrain[c_unit[v_home]]
    p_ban = np.select([v_terr == "vung_cao", v_terr == "mien_nui"], [0.5, 0.2], 0.0)
    v_kind = np.where(np.isin(c_kind[v_home], ["phuong", "thi_tran"]), "to_dan_pho",
                      np.where(rng.random(n_v) < p_ban, "ban", "thon"))
    lam = np.select([v_terr == "dong_bang", v_terr == "trung_du", v_terr == "mien_nui"],
                    [32.0, 24.0, 17.0], 9.0) * rng.gamma(4.0, 0.25, n_v)
    v_m0 = 3 + rng.poisson(lam)
    white_p = np.select([v_terr == "vung_cao", v_terr == "mien_nui"], [0.03, 0.008], 0.0)
    white = (rng.random(n_v) < white_p) & (v_kind != "to_dan_pho")
    v_m0 = np.where(white, 0, v_m0)
    fix_yi = rng.integers(1, n_years + 2, n_v)  # n_years or later: never fixed
    yi_grid = np.arange(n_years)[None, :]
    v_w = np.where(white[:, None] & (yi_grid < fix_yi[:, None]), 0.0,
                   np.where(v_kind == "ban", 0.6, 1.0)[:, None] * np.ones((1, n_years)))
    v_forced_adm = np.where(white[:, None] & (yi_grid == fix_yi[:, None]),
                            rng.integers(1, 4, n_v)[:, None], 0)
    # TCCSĐ: one per commune + agencies/enterprises per district and sector
    n_non = np.where(is_sector, rng.poisson(48, n_r), rng.poisson(80, n_r))
    n_non = np.maximum(n_non, 3)
    no_unit = np.repeat(np.arange(n_r), n_non)
    n_no = len(no_unit)
    mix_names = voc.org_types
    mix = np.zeros((len(SECTOR_KINDS) + 1, len(mix_names)))
    district_mix = {"co_quan_hanh_chinh": 0.26, "don_vi_su_nghiep": 0.42,
                    "doanh_nghiep_nha_nuoc": 0.03, "doanh_nghiep_ngoai_nha_nuoc": 0.18,
                    "hop_tac_xa": 0.04, "quan_doi": 0.02, "cong_an": 0.02, "khac": 0.03}
    for t, p in district_mix.items():
        mix[0, org_type(t)] = p
    for k, (_, _, smix, _) in enumerate(SECTORS):
        for t, p in smix.items():
            mix[k + 1, org_type(t)] = p
    mix /= mix.sum(axis=1, keepdims=True)
    row = np.where(is_sector[no_unit], sector_k[no_unit] + 1, 0)
    cdf = np.cumsum(mix, axis=1)[row]
    no_type = np.minimum((rng.random(n_no)[:, None] > cdf).sum(axis=1), len(mix_names) - 1)
    scale = np.where(is_sector[no_unit], 1.8, 1.0)
    no_m0 = np.maximum(3, np.rint(type_param(4)[no_type] * scale
                                  * rng.lognormal(0, 0.5, n_no))).astype(np.int64)
    first_yi = np.where(rng.random(n_no) < 0.08, rng.integers(1, n_years, n_no), 0)
    last_yi = np.where(rng.random(n_no) < 0.08, rng.integers(0, n_years - 1, n_no), n_years - 1)
    last_yi = np.maximum(last_yi, first_yi)
    new_first = (first_yi > 0) | (rng.random(n_no) < 0.018)
    no_code = _cat_str(ru_code[no_unit], "_t", _zpad(pos_in_group(no_unit) + 1, 4))
    com_sum = np.bincount(v_home, weights=v_m0, minlength=n_c)
    o_code = np.concatenate([_cat_str(c_code, "_db"), no_code])
    o_unit = np.concatenate([c_unit, no_unit])
    o_commune = np.concatenate([np.arange(n_c), np.full(n_no, -1)])
    c_type = np.select([c_kind == "phuong", c_kind == "thi_tran"],
                       [org_type("phuong"), org_type("thi_tran")], org_type("xa"))
    o_type = np.concatenate([c_type, no_type])
    o_m0 = np.concatenate([np.rint(com_sum * rng.uniform(0.10, 0.16, n_c)).astype(np.int64),
                           no_m0])
    o_active = np.concatenate([
        np.ones((n_c, n_years), dtype=bool),
        (yi_grid >= first_yi[:, None]) & (yi_grid <= last_yi[:, None]),
    ])
    o_unrated = np.concatenate([np.zeros(n_c, dtype=bool), new_first])
    unit_members = (np.bincount(o_unit, weights=o_m0, minlength=n_r)
                    + np.bincount(c_unit[v_home], weights=v_m0, minlength=n_r))
    factor = rng.uniform(0.9, 1.1, (n_r, n_years))
    ru_adm = rng.poisson(0.027 * unit_members[:, None] * factor)
    prov_eff = rng.normal(0, 0.4, n_p)
    head15 = np.clip(rng.uniform(0.45, 0.80, n_r) - 0.08 * (ru_terrain == "vung_cao"), 0, 1)
    head20 = np.clip(head15 + rng.uniform(0.10, 0.25, n_r), 0, 0.97)
    s_curve = np.interp(years - years[0], [0, 1, 2, 3, 4, 5], [0, 0.15, 0.35, 0.6, 0.8, 1.0])
    world = World(
        years=years,
        ru_code=ru_code,
        ru_terrain=ru_terrain,
        ru_adm=ru_adm,
        ru_head_p=head15[:, None] + (head20 - head15)[:, None] * s_curve[None, :],
        ru_rating_boost=prov_eff[ru_prov] + rng.normal(0, 0.3, n_r),
        ru_top_boost=rng.normal(0, 0.3, n_r),
        ru_meet_monthly=0.5 * prov_eff[ru_prov] + rng.normal(0, 0.3, n_r),
        ru_meet_thematic=0.5 * prov_eff[ru_prov] + rng.normal(0, 0.3, n_r),
        ru_ethnic=np.select([ru_terrain == "vung_cao", ru_terrain == "mien_nui"], [0.45, 0.2],
                            0.03),
        ru_religious=rng.uniform(0.01, 0.06, n_r),
        c_code=c_code,
        c_unit=c_unit,
        c_active=np.ones((n_c, n_years), dtype=bool),
        c_succ=np.full(n_c, -1),
        c_agency_cells=rng.integers(3, 6, n_c),
        v_code=v_code,
        v_commune=np.repeat(v_home[:, None], n_years, axis=1),
        v_m0=v_m0,
        v_w=v_w,
        v_absorber=np.full(n_v, -1),
        v_absorb_yi=np.full(n_v, -1),
        v_forced_adm=v_forced_adm,
        v_forced_loss=np.zeros((n_v, n_years), dtype=bool),
        o_code=o_code,
        o_unit=o_unit,
        o_commune=o_commune,
        o_type=o_type,
        o_active=o_active,
        o_m0=o_m0,
        o_unrated_first=o_unrated,
    )
    # the units table (vectorised names from syllable combinations, unique within a parent)
    combos_c = np.array(name_combos(COMMUNE_A, COMMUNE_B))
    combos_v = np.array(name_combos(VILLAGE_A, VILLAGE_B))

    def names_within(parent, pos, combos):
        off = rng.integers(0, len(combos), int(parent.max()) + 1 if len(parent) else 1)
        return combos[(off[parent] + pos * 37) % len(combos)]

    prov_name = _cat_str("Tỉnh ", names_within(np.zeros(n_p, dtype=np.int64),
                                                np.arange(n_p), combos_c))
    dist_prefix = np.select([district_kind == "thanh_pho", district_kind == "thi_xa"],
                            ["Thành phố ", "Thị xã "], "Huyện ")
    ru_name = np.where(
        is_sector,
        np.array([SECTOR_NAMES[k] for k in SECTOR_KINDS])[np.maximum(sector_k, 0)],
        _cat_str(dist_prefix, names_within(ru_prov, ru_pos, combos_c)),
    )
    c_prefix = np.select([c_kind == "phuong", c_kind == "thi_tran"], ["Phường ", "Thị trấn "],
                         "Xã ")
    c_name = _cat_str(c_prefix, names_within(c_unit, c_pos, combos_c))
    v_prefix = np.select([v_kind == "ban", v_kind == "to_dan_pho"], ["Bản ", "Tổ dân phố "],
                         "Thôn ")
    v_name = np.where(v_kind == "to_dan_pho", _cat_str("Tổ dân phố số ", v_pos + 1),
                      _cat_str(v_prefix, names_within(v_home, v_pos, combos_v)))
    levels = np.concatenate([
        np.full(n_p, "province"), np.where(is_sector, "sector", "district"),
        np.full(n_c, "commune"), np.full(n_v, "village"),
    ])
    units = pd.DataFrame({
        "code": np.concatenate([prov_code, ru_code, c_code, v_code]),
        "name": np.concatenate([prov_name, ru_name, c_name, v_name]),
        "level": levels,
        "parent_code": np.concatenate([np.full(n_p, None, dtype=object), prov_code[ru_prov],
                                       ru_code[c_unit], c_code[v_home]]),
        "kind": np.concatenate([np.full(n_p, "tinh"), district_kind, c_kind, v_kind]),
        "terrain": np.concatenate([np.full(n_p, None, dtype=object),
                                   np.where(is_sector, None, ru_terrain).astype(object),
                                   ru_terrain[c_unit], np.full(n_v, None, dtype=object)]),
    })
    units = table_of("units", {
        **{c: units[c].astype("category") for c in ("level", "kind", "terrain")},
        "code": units["code"].to_numpy(),
        "name": units["name"].to_numpy(),
        "parent_code": units["parent_code"].to_numpy(),
    })
    return world, units, is_sector, ru_pos


def generate_country(
    n_provinces: int = 63, seed: int = 1, years=range(2015, 2021)
) -> dict[str, pd.DataFrame]:
    """A large synthetic country in the input schema (for benchmarks), fully vectorised.

    Per province ``pNN``: 6–8 districts ``pNN_dNN`` and 4 sector committees ``pNN_sNN``
    (≈11 reporting units), ≈160 communes ``pNN_dNN_cNNN``, ≈1,600 villages
    ``pNN_dNN_cNNN_vNN`` and ≈870 TCCSĐ. Districts send detail, sectors only ``unit_summary``,
    and district ``d01`` of each province also a summary (to exercise the cross-check). No
    mergers (``crosswalk`` is empty). Code, enum and bool columns are categoricals.
    """
    years = np.asarray(list(years))
    world, units, is_sector, ru_pos = _country_world(n_provinces, seed, years)
    sim = simulate(world, make_rng(seed, "country-simulate"))
    villages, own_cells, comb = village_rows(world, sim, make_rng(seed, "country-villages"))
    orgs = org_rows(world, sim, own_cells, comb, make_rng(seed, "country-org-rows"))
    officials = official_rows(world, sim, make_rng(seed, "country-officials"))
    summary = summarize_detail(
        {"units": units, "organizations": orgs, "villages": villages, "officials": officials}
    )
    summary_units = world.ru_code[is_sector | (ru_pos == 0)]
    detail = orgs["reporting_unit"].isin(world.ru_code[~is_sector]).to_numpy()
    return {
        "units": sort_rows("units", units),
        "crosswalk": table_of("crosswalk", {"old_code": np.array([], dtype=str),
                                          "new_code": np.array([], dtype=str),
                                          "effective_year": ints(np.array([], np.int64))}),
        "organizations": sort_rows("organizations", orgs.loc[detail]),
        "villages": sort_rows("villages", villages),
        "officials": sort_rows("officials", officials),
        "unit_summary": sort_rows(
            "unit_summary", summary.loc[summary["unit_code"].isin(summary_units)]
        ),
    }


def write_country(out_dir: Path | str, n_provinces: int = 63, seed: int = 1) -> list[Path]:
    """Write :func:`generate_country` as one CSV per table into ``out_dir``."""
    return write_tables(generate_country(n_provinces, seed), Path(out_dir))
