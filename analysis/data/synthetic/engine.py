"""The world (reporting units, communes, villages, TCCSĐ and the years each exists, mergers,
admissions) and the simulation engine that runs the years (:func:`simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.data.synthetic.helpers import group_multinomial
from analysis.data.synthetic.vocab import type_param

# --------------------------------------------------------------------------------------------
# The world and the simulation engine
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    """Everything the engine needs; arrays indexed by entity (and year index where 2-D)."""

    years: np.ndarray
    # reporting units (districts and sectors)
    ru_code: np.ndarray
    ru_terrain: np.ndarray  # terrain code per unit ("" for sectors)
    ru_adm: np.ndarray  # (R, Y) admissions target
    ru_head_p: np.ndarray  # (R, Y) P(village head is a member)
    ru_rating_boost: np.ndarray
    ru_top_boost: np.ndarray
    ru_meet_monthly: np.ndarray  # logit offsets
    ru_meet_thematic: np.ndarray
    ru_ethnic: np.ndarray  # share of admissions from ethnic minorities
    ru_religious: np.ndarray
    # communes
    c_code: np.ndarray
    c_unit: np.ndarray
    c_active: np.ndarray  # (C, Y)
    c_succ: np.ndarray  # successor commune after a merger, -1
    c_agency_cells: np.ndarray
    # villages
    v_code: np.ndarray
    v_commune: np.ndarray  # (V, Y) commune index, -1 when the village does not exist
    v_m0: np.ndarray  # members before the first year
    v_w: np.ndarray  # (V, Y) admission weight multiplier
    v_absorber: np.ndarray  # village that absorbs this one, -1
    v_absorb_yi: np.ndarray  # year index from which it is absorbed, -1
    v_forced_adm: np.ndarray  # (V, Y) admissions planted by a story
    v_forced_loss: np.ndarray  # (V, Y) bool: all members lost that year (re-whitening)
    # TCCSĐ
    o_code: np.ndarray
    o_unit: np.ndarray
    o_commune: np.ndarray  # -1 for non-commune TCCSĐ
    o_type: np.ndarray  # index into org_type codes
    o_active: np.ndarray  # (O, Y)
    o_m0: np.ndarray  # members at start (commune TCCSĐ: members outside the villages)
    o_unrated_first: np.ndarray  # chua_xep_loai in its first year (newly formed)
    # villages re-coded when their commune merges: index into v_code2 (-1) from year v_recode_yi
    v_code2: np.ndarray | None = None
    v_recode: np.ndarray | None = None
    v_recode_yi: int = -1

    def village_code_index(self, v_idx: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
        """Index into ``village_labels`` of the code a village reports under in a year."""
        if self.v_recode is None:
            return v_idx
        rec = self.v_recode[v_idx]
        late = (rec >= 0) & (y_idx >= self.v_recode_yi)
        return np.where(late, len(self.v_code) + rec, v_idx)

    @property
    def village_labels(self) -> np.ndarray:
        if self.v_code2 is None:
            return self.v_code
        return np.concatenate([self.v_code, self.v_code2])

    @property
    def org_of_commune(self) -> np.ndarray:
        out = np.full(len(self.c_code), -1, dtype=np.int64)
        is_c = self.o_commune >= 0
        out[self.o_commune[is_c]] = np.flatnonzero(is_c)
        return out


@dataclass
class Sim:
    v_members: np.ndarray  # (V, Y)
    v_adm: np.ndarray
    o_members: np.ndarray  # (O, Y)
    o_adm: np.ndarray
    o_due: np.ndarray


P_LOSS_VILLAGE = 0.019


def simulate(w: World, rng: np.random.Generator) -> Sim:
    """Members and admissions of every village and TCCSĐ, year by year (vectorised per year)."""
    n_years = len(w.years)
    n_v, n_o, n_c, n_r = len(w.v_code), len(w.o_code), len(w.c_code), len(w.ru_code)
    is_c = w.o_commune >= 0
    org_of_c = w.org_of_commune
    adm_w = type_param(0)[w.o_type]
    loss_p = type_param(1)[w.o_type]

    m = w.v_m0.astype(np.int64).copy()
    s = w.o_m0.astype(np.int64).copy()  # commune TCCSĐ: members outside the villages
    vm = np.zeros((n_v, n_years), np.int64)
    va = np.zeros((n_v, n_years), np.int64)
    om = np.zeros((n_o, n_years), np.int64)
    oa = np.zeros((n_o, n_years), np.int64)
    due = np.zeros((n_o, n_years), np.int64)
    for yi in range(n_years):
        if yi:
            ab = w.v_absorb_yi == yi
            if ab.any():
                np.add.at(m, w.v_absorber[ab], m[ab])
                m[ab] = 0
            prev_adm = oa[:, yi - 1].copy()
            gone = w.c_active[:, yi - 1] & ~w.c_active[:, yi] & (w.c_succ >= 0)
            if gone.any():
                src = org_of_c[gone]
                dst = org_of_c[w.c_succ[gone]]
                np.add.at(s, dst, s[src])
                s[src] = 0
                np.add.at(prev_adm, dst, prev_adm[src])
            due[:, yi] = prev_adm
        com = w.v_commune[:, yi]
        act_v = com >= 0
        act_o = w.o_active[:, yi]
        act_c = w.c_active[:, yi]
        # losses (deaths, transfers out); a village with 3 or fewer members loses none by chance
        lv = rng.binomial(m, P_LOSS_VILLAGE)
        lv[(m <= 3) | ~act_v] = 0
        fl = w.v_forced_loss[:, yi]
        lv[fl] = m[fl]
        lo = rng.binomial(s, loss_p)
        lo[~act_o] = 0
        lo = np.where(is_c, lo, np.minimum(lo, np.maximum(s - 3, 0)))
        # admissions: unit target -> TCCSĐ -> (villages | rest of the commune)
        vsum = np.bincount(com[act_v], weights=m[act_v], minlength=n_c)
        size = s.astype(float)
        size[is_c] += vsum[w.o_commune[is_c]]
        adm_o = group_multinomial(rng, w.ru_adm[:, yi], w.o_unit, (size + 3) * adm_w * act_o, n_r)
        # admissions planted by a story come out of the commune's share (the commune admits
        # more only if its share is smaller than what the story needs)
        forced = w.v_forced_adm[:, yi] * act_v
        forced_c = np.bincount(com[act_v], weights=forced[act_v], minlength=n_c).astype(np.int64)
        n_c_adm = np.zeros(n_c, np.int64)
        n_c_adm[act_c] = np.maximum(adm_o[org_of_c[act_c]] - forced_c[act_c], 0)
        vw = (m + 1.0) * w.v_w[:, yi] * act_v
        cw = (s[org_of_c] * 0.5 + 1.0) * act_c
        split = group_multinomial(
            rng,
            n_c_adm,
            np.concatenate([np.where(act_v, com, 0), np.arange(n_c)]),
            np.concatenate([vw, cw]),
            n_c,
        )
        adm_v = split[:n_v] + forced
        adm_rest = split[n_v:]
        adm_o[org_of_c[act_c]] = n_c_adm[act_c] + forced_c[act_c]
        m = m + adm_v - lv
        s = s - lo
        s[is_c] += adm_rest[w.o_commune[is_c]]
        s[~is_c] += adm_o[~is_c]
        vsum = np.bincount(com[act_v], weights=m[act_v], minlength=n_c).astype(np.int64)
        tot = s.copy()
        tot[is_c] += vsum[w.o_commune[is_c]]
        om[:, yi] = tot * act_o
        oa[:, yi] = adm_o * act_o
        vm[:, yi] = m * act_v
        va[:, yi] = adm_v * act_v
    due[:, 0] = rng.poisson(oa[:, 0] * 0.97)
    return Sim(v_members=vm, v_adm=va, o_members=om, o_adm=oa, o_due=due * w.o_active)
