"""The detail rows (villages, TCCSĐ, officials) derived from the simulated counts and a few
latent variables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.synthetic.engine import Sim, World
from analysis.data.synthetic.helpers import (
    bools,
    cats,
    ints,
    logistic,
    logit,
    stratified_uniform,
    table_of,
    top_k,
)
from analysis.data.synthetic.vocab import (
    LEADER_POSITIONS,
    POSITIONS,
    RATING_COEF,
    ROTATION_POSITIONS,
    TOP_COEF,
    traj,
    type_param,
    vocabulary_codes,
)

# --------------------------------------------------------------------------------------------
# Detail rows derived from the simulation
# --------------------------------------------------------------------------------------------


def village_rows(w: World, sim: Sim, rng: np.random.Generator):
    """The villages table and per commune-year cell counts (own cells, combined villages)."""
    n_v = len(w.v_code)
    v_idx, y_idx = np.nonzero(w.v_commune >= 0)
    com = w.v_commune[v_idx, y_idx]
    pm = sim.v_members[v_idx, y_idx]
    active = w.v_commune >= 0
    home = w.v_commune[np.arange(n_v), np.argmax(active, axis=1)]
    home_unit = w.c_unit[np.maximum(home, 0)]
    u_small = rng.random(n_v)
    u_head = stratified_uniform(rng, home_unit)
    u_sec = stratified_uniform(rng, home_unit)
    own = (pm >= 3) & ~((pm <= 4) & (u_small[v_idx] < 0.3))
    combined = ~own
    head_p = w.ru_head_p[w.c_unit[com], y_idx]
    head = (pm >= 1) & (u_head[v_idx] < head_p)
    sec_p = traj("secretary_head", w.years)[y_idx] / np.maximum(head_p, 0.05)
    sec = head & (u_sec[v_idx] < sec_p)
    shape = (len(w.c_code), len(w.years))
    own_cells = np.zeros(shape, np.int64)
    comb_villages = np.zeros(shape, np.int64)
    np.add.at(own_cells, (com, y_idx), own)
    np.add.at(comb_villages, (com, y_idx), combined & (pm > 0))
    frame = table_of(
        "villages",
        {
            "year": ints(w.years[y_idx]),
            "village_code": cats(w.village_labels, w.village_code_index(v_idx, y_idx)),
            "commune_code": cats(w.c_code, com),
            "party_members": ints(pm),
            "own_cell": bools(own),
            "combined_cell": bools(combined, pm > 0),
            "head_is_member": bools(head),
            "secretary_is_head": bools(sec, own),
        },
    )
    return frame, own_cells, comb_villages


def org_rows(
    w: World,
    sim: Sim,
    own_cells: np.ndarray,
    comb_villages: np.ndarray,
    rng: np.random.Generator,
    cap_breakers: int = 0,
    top_rule_breakers: tuple[int, int] | None = None,
    breaker_units: np.ndarray | None = None,
) -> pd.DataFrame:
    """The organizations table: one row per TCCSĐ-year, every column derived from the counts.

    ``cap_breakers`` org-years of 2019+ get more excellent members than the 20% cap allows;
    ``top_rule_breakers = (unit index, n)`` gives n rank-1 org-years (2018+) of that unit fewer
    than 80% good-or-better members. Both are planted so that validation has something to find;
    cap breakers are drawn among the units where ``breaker_units`` is true (default: all).
    """
    voc = vocabulary_codes()
    years = w.years
    n_o = len(w.o_code)
    o_idx, y_idx = np.nonzero(w.o_active)
    n = len(o_idx)
    typ = w.o_type[o_idx]
    unit = w.o_unit[o_idx]
    is_c = w.o_commune[o_idx] >= 0
    members = sim.o_members[o_idx, y_idx]
    adm = sim.o_adm[o_idx, y_idx]
    first_yi = np.argmax(w.o_active, axis=1)
    unrated = w.o_unrated_first[o_idx] & (y_idx == first_yi[o_idx])

    # persistent per-TCCSĐ latents
    quality = rng.normal(0, 1, n_o)
    meet_re = rng.normal(0, 0.6, n_o)
    them_re = rng.normal(0, 0.6, n_o)
    u_head, u_owner, u_pool, u_plan, u_dial, u_ctr = rng.random((6, n_o))
    committee_o = np.where(
        w.o_commune >= 0,
        rng.integers(11, 16, n_o),
        np.where(sim.o_members.max(axis=1) >= 30, rng.integers(5, 10, n_o), 3),
    )
    q = quality[o_idx]

    # member ratings
    exempt_p = type_param(5)[typ] * rng.lognormal(0, 0.25, n)
    not_rated = rng.binomial(members, np.clip(exempt_p, 0, 0.5))
    rated = members - not_rated
    fail_p = np.where(voc.non_state[typ], 0.010, 0.005) * rng.lognormal(0, 0.5, n)
    failed = rng.binomial(rated, np.clip(fail_p, 0, 0.2))
    disciplined = rng.binomial(failed, 0.45)
    gp_logit = logit(0.872) + 0.25 * q + traj("member_good_logit_shift", years)[y_idx]
    completed = rng.binomial(rated - failed, 1 - logistic(gp_logit))
    ratio = rng.uniform(0.08, 0.20, n)
    good_plus = rated - failed - completed
    excellent = rng.binomial(good_plus, ratio / (1 + ratio))

    # cells and party life
    form_db = members >= 30
    c_of = np.maximum(w.o_commune[o_idx], 0)
    cells_commune = (
        own_cells[c_of, y_idx]
        + (comb_villages[c_of, y_idx] + 1) // 2
        + w.c_agency_cells[c_of]
    )
    cells = np.where(
        ~form_db, 1, np.where(is_c, cells_commune, np.maximum(2, np.rint(members / 22)))
    ).astype(np.int64)
    meet_off = type_param(3)[typ]
    p_month = logistic(
        traj("meet_monthly", years)[y_idx] + w.ru_meet_monthly[unit] + meet_off + meet_re[o_idx]
    )
    p_them = logistic(
        traj("meet_thematic", years)[y_idx] + w.ru_meet_thematic[unit] + meet_off
        + them_re[o_idx]
    )
    monthly = rng.binomial(cells, p_month)
    thematic = rng.binomial(cells, p_them)
    p2 = traj("checks_two", years)[y_idx]
    u = rng.random(n)
    checks = np.where(u < p2, 2, np.where(u < p2 + (1 - p2) * 0.75, 1, 0))

    # TCCSĐ rating: logistic latent score, province-wide yearly share by top-k selection
    x_month = monthly / cells
    x_them = thematic / cells
    score = (
        type_param(2)[typ]
        + w.ru_rating_boost[unit]
        + RATING_COEF["monthly"] * x_month
        + RATING_COEF["thematic"] * x_them
        + RATING_COEF["disciplined"] * (disciplined > 0)
        + RATING_COEF["checks"] * checks
        + RATING_COEF["quality"] * q
        + rng.logistic(0, 1, n)
    )
    forced_fail = ~unrated & (failed > 0.2 * np.maximum(rated, 1))
    is_rated = ~unrated
    n_rated = np.bincount(y_idx, weights=is_rated, minlength=len(years))
    k_good = np.rint(traj("org_good", years) * n_rated)
    k_top = np.rint(traj("org_top", years) * n_rated)
    k_r4 = np.rint(traj("org_rank4", years) * n_rated)
    k_r4 = k_r4 - np.bincount(y_idx, weights=forced_fail, minlength=len(years))
    eligible = is_rated & ~forced_fail
    good_sel = top_k(score, eligible, y_idx, k_good)
    top_score = (
        w.ru_top_boost[unit]
        + TOP_COEF["monthly"] * x_month
        + TOP_COEF["thematic"] * x_them
        + TOP_COEF["quality"] * q
        + rng.logistic(0, 1, n)
    )
    top_sel = top_k(top_score, good_sel, y_idx, k_top)
    r4_sel = top_k(-score, eligible & ~good_sel, y_idx, k_r4) | forced_fail
    rank = np.where(unrated, 0, np.where(top_sel, 1, np.where(good_sel, 2, np.where(r4_sel, 4, 3))))

    # rules of the period: rank 1 needs >= 80% of rated members good or better
    need = np.ceil(0.8 * rated).astype(np.int64)
    short = (rank == 1) & (good_plus < need)
    move = np.where(short, np.minimum(need - good_plus, completed), 0)
    completed = completed - move
    good_plus = good_plus + move
    if top_rule_breakers is not None:
        bu, nb = top_rule_breakers
        cand = np.flatnonzero((rank == 1) & (unit == bu) & (years[y_idx] >= 2018) & (rated >= 8))
        pick = rng.choice(cand, size=min(nb, len(cand)), replace=False) if len(cand) else cand
        new_completed = np.ceil(0.3 * rated[pick]).astype(np.int64)
        good_plus[pick] = rated[pick] - failed[pick] - new_completed
        completed[pick] = new_completed
    excellent = np.minimum(excellent, good_plus)
    # from 2019: excellent members <= 20% of good members in each TCCSĐ (ex <= G/6)
    capped = years[y_idx] >= 2019
    excellent = np.where(capped, np.minimum(excellent, good_plus // 6), excellent)
    if cap_breakers:
        in_units = np.ones(n, dtype=bool) if breaker_units is None else breaker_units[unit]
        cand = np.flatnonzero(capped & (good_plus >= 40) & ~unrated & in_units)
        pick = rng.choice(cand, size=min(cap_breakers, len(cand)), replace=False)
        excellent[pick] = np.ceil(0.3 * good_plus[pick]).astype(np.int64)
    good = good_plus - excellent

    active = rated - rng.binomial(rated, 0.01)
    assigned = rng.binomial(active, traj("assigned", years)[y_idx])
    inspections = rng.poisson(0.6 + members / 150)

    # admissions breakdown
    women = rng.binomial(adm, 0.43)
    youth = rng.binomial(adm, 0.62)
    ethnic = rng.binomial(adm, w.ru_ethnic[unit])
    religious = rng.binomial(adm, w.ru_religious[unit])
    nonstate = np.where(voc.non_state[typ], adm, rng.binomial(adm, np.where(is_c, 0.02, 0.0)))
    due = sim.o_due[o_idx, y_idx]
    trained = rng.binomial(due, traj("trained_new", years)[y_idx])
    committee = committee_o[o_idx]
    ctr_share = np.clip(traj("committee_trained", years)[y_idx] + (u_ctr[o_idx] - 0.5) * 0.3, 0, 1)
    committee_trained = np.rint(committee * ctr_share).astype(np.int64)

    # flags
    head_rule = voc.head_rule[typ]
    non_state = voc.non_state[typ]
    below_good = (rank == 3) | (rank == 4)
    remediation = rng.random(n) < traj("remediation", years)[y_idx]
    pool_p = traj("candidate_pool", years)[y_idx] + np.where(is_c, 0.05, -0.03)
    pool = u_pool[o_idx] < pool_p
    plan = u_plan[o_idx] < traj("admission_plan", years)[y_idx]

    scheme = np.array([schema.scheme_for_year(int(y)) for y in years])[y_idx]
    rating_labels = [
        "chua_xep_loai",
        voc.rating_code[("2014", 1)], voc.rating_code[("2018", 1)],
        voc.rating_code[("2014", 2)], voc.rating_code[("2014", 3)],
        voc.rating_code[("2014", 4)], voc.rating_code[("2018", 4)],
    ]
    new_scheme = scheme == "2018"
    rating_idx = np.select(
        [rank == 0, rank == 1, rank == 2, rank == 3, rank == 4],
        [0, np.where(new_scheme, 2, 1), 3, 4, np.where(new_scheme, 6, 5)],
    )
    return table_of(
        "organizations",
        {
            "year": ints(years[y_idx]),
            "org_code": cats(w.o_code, o_idx),
            "reporting_unit": cats(w.ru_code, unit),
            "commune_code": cats(w.c_code, np.where(is_c, w.o_commune[o_idx], -1)),
            "org_type": cats(np.array(voc.org_types), typ),
            "org_form": cats(np.array(["dang_bo_co_so", "chi_bo_co_so"]), np.where(form_db, 0, 1)),
            "rating": cats(np.array(rating_labels), rating_idx),
            "remediation_plan": bools(remediation, below_good),
            "members_total": ints(members),
            "members_not_rated": ints(not_rated),
            "members_excellent": ints(excellent),
            "members_good": ints(good),
            "members_completed": ints(completed),
            "members_failed": ints(failed),
            "members_active": ints(active),
            "members_assigned": ints(assigned),
            "members_disciplined": ints(disciplined),
            "inspections": ints(inspections),
            "admissions": ints(adm),
            "admissions_women": ints(women),
            "admissions_youth": ints(youth),
            "admissions_ethnic": ints(ethnic),
            "admissions_religious": ints(religious),
            "admissions_nonstate": ints(nonstate),
            "new_members_due": ints(due),
            "new_members_trained": ints(trained),
            "committee_members": ints(committee),
            "committee_trained": ints(committee_trained),
            "cells_total": ints(cells),
            "cells_monthly": ints(monthly),
            "cells_thematic": ints(thematic),
            "supervision_checks": ints(checks),
            "head_is_secretary": bools(
                u_head[o_idx] < traj("head_is_secretary", years)[y_idx], head_rule
            ),
            "owner_is_secretary": bools(
                u_owner[o_idx] < traj("owner_is_secretary", years)[y_idx], non_state
            ),
            "candidate_pool": bools(pool),
            "admission_plan": bools(plan, pool),
            "dialogue_held": bools(u_dial[o_idx] < traj("dialogue", years)[y_idx]),
        },
    )


def official_rows(
    w: World, sim: Sim, rng: np.random.Generator, rotation_p: float = 0.08
) -> pd.DataFrame:
    """Key commune officials, one row per post and snapshot year (no names)."""
    voc = vocabulary_codes()
    years = w.years
    n_c = len(w.c_code)
    org_of_c = w.org_of_commune
    big = sim.o_members[org_of_c].max(axis=1) >= 350
    counts = np.ones((n_c, len(POSITIONS)), dtype=np.int64)
    counts[:, POSITIONS.index("pho_bi_thu")] += big & (rng.random(n_c) < 0.7)
    counts[:, POSITIONS.index("pho_chu_tich_ubnd")] += rng.random(n_c) < 0.55
    flat = counts.ravel()
    slot_commune = np.repeat(np.repeat(np.arange(n_c), len(POSITIONS)), flat)
    slot_pos = np.repeat(np.tile(np.arange(len(POSITIONS)), n_c), flat)
    starts = np.cumsum(flat) - flat
    slot_seq = np.arange(len(slot_pos)) - np.repeat(starts, flat) + 1
    n_s = len(slot_pos)
    lat = rng.random((10, n_s))
    s_idx, y_idx = np.nonzero(w.c_active[slot_commune])
    com = slot_commune[s_idx]
    pos = slot_pos[s_idx]
    term2 = years[y_idx] >= 2020
    leader = np.isin(pos, [POSITIONS.index(p) for p in LEADER_POSITIONS])
    terrain_off = pd.Series(w.ru_terrain[w.c_unit[com]]).map(
        {"vung_cao": -0.10, "mien_nui": -0.04, "trung_du": 0.0, "dong_bang": 0.04}
    ).fillna(0.0).to_numpy()

    def pick(i1, i2):
        return np.where(term2, lat[i2, s_idx], lat[i1, s_idx])

    univ = pick(0, 1) < traj("university", years)[y_idx] + terrain_off + 0.04 * leader
    sub = pick(2, 3)
    edu_code = np.where(
        univ,
        np.where(sub < np.where(leader, 0.14, 0.06), "sau_dai_hoc", "dai_hoc"),
        np.where(sub < 0.45, "trung_cap", np.where(sub < 0.8, "cao_dang", "thpt")),
    )
    theo = pick(4, 5) < traj("theory", years)[y_idx] + 0.5 * terrain_off + 0.04 * leader
    sub_t = pick(8, 9)
    theo_code = np.where(
        theo,
        np.where(sub_t < np.where(leader, 0.25, 0.06), "cao_cap", "trung_cap"),
        np.where(leader | (sub_t < 0.8), "so_cap", "chua_qua_dao_tao"),
    )
    rot_pos = np.isin(pos, [POSITIONS.index(p) for p in ROTATION_POSITIONS])
    rotated = rot_pos & (pick(6, 7) < rotation_p)
    edu_labels = np.array(voc.education)
    theo_labels = np.array(voc.theory)
    return table_of(
        "officials",
        {
            "snapshot_year": ints(years[y_idx]),
            "term": cats(np.array(["2015_2020", "2020_2025"]), term2.astype(np.int64)),
            "commune_code": cats(w.c_code, com),
            "position": cats(np.array(POSITIONS), pos),
            "seq": ints(slot_seq[s_idx]),
            "education": cats(edu_labels, _index_of(edu_labels, edu_code)),
            "theory": cats(theo_labels, _index_of(theo_labels, theo_code)),
            "rotated": bools(rotated),
        },
    )


def _index_of(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    order = np.argsort(labels)
    pos = np.searchsorted(labels[order], values)
    return order[pos]
