"""Deterministic synthetic input data: the bundled Bắc Giang demo and a large synthetic country.

Both generators write the input schema of ``tables.yaml`` (one frame per table, schema column
names in schema order, vocabulary *codes*, booleans as ``co``/``khong``, counts as integers,
empty = not applicable) and share one vectorised simulation engine:

1. a *world* (reporting units, communes, villages, TCCSĐ with the years each exists, merger
   links, admissions per unit-year) is built by :func:`_demo_world` or :func:`_country_world`;
2. :func:`_simulate` runs the years: structural changes (mergers), member losses, admissions
   allocated unit → TCCSĐ → village by multinomial draws (numpy, no loop over rows);
3. :func:`_village_rows`, :func:`_org_rows` and :func:`_official_rows` derive every column of
   the detail tables from the simulated counts and a few latent variables;
4. :func:`summarize_detail` aggregates detail to ``unit_summary`` rows, so a unit that sends
   only summary rows gets exactly what its detail would have given.

The demo (``generate_demo``) plants the stories a review must find; they are listed, with the
summary-column mapping, in ``analysis/demo/README.md`` (written by :func:`write_demo`).
No person's name appears anywhere; commune and village names are invented from syllables so that
no fabricated figure is attached to a real commune (an invented name may still exist somewhere).
"""

from __future__ import annotations

import io
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config, params
from analysis.data import schema

# --------------------------------------------------------------------------------------------
# Vocabulary-derived constants
# --------------------------------------------------------------------------------------------

POSITIONS = (
    "bi_thu", "pho_bi_thu", "chu_tich_hdnd", "pho_chu_tich_hdnd",
    "chu_tich_ubnd", "pho_chu_tich_ubnd", "chu_tich_mttq",
)
LEADER_POSITIONS = ("bi_thu", "chu_tich_hdnd", "chu_tich_ubnd")
ROTATION_POSITIONS = ("bi_thu", "chu_tich_ubnd")
SECTOR_KINDS = ("khoi_co_quan", "khoi_doanh_nghiep", "quan_su", "cong_an")
SECTOR_NAMES = {
    "khoi_co_quan": "Đảng bộ Khối các cơ quan tỉnh",
    "khoi_doanh_nghiep": "Đảng bộ Khối doanh nghiệp tỉnh",
    "quan_su": "Đảng bộ Quân sự tỉnh",
    "cong_an": "Đảng bộ Công an tỉnh",
}


@dataclass(frozen=True)
class _Voc:
    org_types: tuple[str, ...]
    head_rule: np.ndarray  # bool per org type
    non_state: np.ndarray  # bool per org type
    rating_rank: dict[str, int]
    rating_code: dict[tuple[str, int], str]
    education: tuple[str, ...]
    university: frozenset[str]
    theory: tuple[str, ...]
    intermediate: frozenset[str]


@cache
def _voc() -> _Voc:
    v = schema.vocabularies()
    org_types = tuple(v["org_type"].codes)
    head_rule = np.array([bool(e.get("head_rule")) for e in v["org_type"].entries])
    non_state = np.array([bool(e.get("non_state")) for e in v["org_type"].entries])
    rank: dict[str, int] = {}
    code: dict[tuple[str, int], str] = {}
    for e in v["org_rating"].entries:
        if e.get("rank") is None:
            continue
        rank[e["code"]] = int(e["rank"])
        for s in ("2014", "2018"):
            if str(e["scheme"]) in (s, "any"):
                code[(s, int(e["rank"]))] = e["code"]
    return _Voc(
        org_types=org_types,
        head_rule=head_rule,
        non_state=non_state,
        rating_rank=rank,
        rating_code=code,
        education=tuple(v["education"].codes),
        university=frozenset(e["code"] for e in v["education"].entries if e.get("university")),
        theory=tuple(v["theory"].codes),
        intermediate=frozenset(
            e["code"] for e in v["theory"].entries if e.get("intermediate_or_higher")
        ),
    )


def _t(code: str) -> int:
    """Index of an org type code."""
    return _voc().org_types.index(code)


# Per org type (index = vocabulary order): admission weight, yearly loss rate (transfers, deaths),
# rating intercept, meeting offset, median size, share exempt from rating.
_TYPE_PARAMS = {
    #                          adm_w  loss   rate   meet  size  exempt
    "xa":                     (1.00, 0.026, 0.00, -0.10, 0,   0.060),
    "phuong":                 (0.80, 0.026, 0.10, 0.00,  0,   0.070),
    "thi_tran":               (0.90, 0.026, 0.05, -0.05, 0,   0.065),
    "co_quan_hanh_chinh":     (0.50, 0.030, 0.40, 0.40,  22,  0.010),
    "don_vi_su_nghiep":       (0.70, 0.030, 0.40, 0.30,  16,  0.012),
    "doanh_nghiep_nha_nuoc":  (0.60, 0.035, 0.00, 0.10,  25,  0.015),
    "doanh_nghiep_ngoai_nha_nuoc": (1.30, 0.045, -0.70, -0.30, 9, 0.010),
    "hop_tac_xa":             (0.50, 0.030, -0.90, -0.40, 6,  0.030),
    "quan_doi":               (1.20, 0.050, 0.50, 0.60,  45,  0.000),
    "cong_an":                (1.20, 0.050, 0.50, 0.60,  55,  0.000),
    "khac":                   (0.50, 0.030, -0.30, 0.00, 8,   0.020),
}


def _type_param(col: int) -> np.ndarray:
    return np.array([_TYPE_PARAMS[c][col] for c in _voc().org_types], dtype=float)


# Yearly trajectories for the six years 2015–2020 (index = year - 2015; longer or shorter
# periods are interpolated by :func:`_traj`).
_TRAJ = {
    "meet_monthly": [1.45, 1.75, 2.05, 2.35, 2.65, 2.95],  # logit, province ~81% -> ~95%
    "meet_thematic": [0.15, 0.45, 0.75, 1.05, 1.35, 1.65],  # logit, ~54% -> ~84%
    "checks_two": [0.58, 0.64, 0.70, 0.76, 0.82, 0.88],  # P(two supervision checks)
    "assigned": [0.905, 0.925, 0.940, 0.955, 0.968, 0.978],
    "trained_new": [0.86, 0.89, 0.91, 0.93, 0.95, 0.965],
    "committee_trained": [0.42, 0.58, 0.71, 0.82, 0.91, 0.985],
    "head_is_secretary": [0.70, 0.75, 0.80, 0.85, 0.89, 0.93],
    "owner_is_secretary": [0.34, 0.38, 0.42, 0.46, 0.50, 0.54],
    "remediation": [0.78, 0.82, 0.86, 0.89, 0.92, 0.95],
    "candidate_pool": [0.76, 0.80, 0.84, 0.87, 0.90, 0.93],
    "admission_plan": [0.80, 0.85, 0.89, 0.92, 0.95, 0.97],
    "dialogue": [0.68, 0.73, 0.78, 0.83, 0.88, 0.92],
    "secretary_head": [0.30, 0.36, 0.43, 0.50, 0.56, 0.61],  # among villages with own cell
    "university": [0.70, 0.75, 0.80, 0.84, 0.88, 0.95],
    "theory": [0.85, 0.875, 0.90, 0.915, 0.93, 0.97],
    "member_good_logit_shift": [0.0, 0.03, 0.06, 0.09, 0.12, 0.15],
    # rating targets (share of rated TCCSĐ): good or better, rank 1, rank 4
    "org_good": [0.885, 0.906, 0.914, 0.893, 0.919, 0.928],
    "org_top": [0.50, 0.53, 0.56, 0.19, 0.21, 0.23],
    "org_rank4": [0.007, 0.006, 0.006, 0.008, 0.006, 0.004],
}

# The logistic model of a TCCSĐ's rating (stage 1: good or better vs not), on evidence a review
# can see. P(good+) = logistic(a_year + type + unit_boost + 3.0*monthly_share + 2.0*thematic_share
#                      - 1.2*[any member disciplined] + 0.4*supervision_checks + 0.6*quality)
# where a_year is set so that the province hits the yearly target share, quality ~ N(0,1) is a
# persistent per-TCCSĐ effect. Stage 2 (rank 1 among good+) adds 1.5*monthly + 1.0*thematic.
RATING_COEF = {"monthly": 3.0, "thematic": 2.0, "disciplined": -1.2, "checks": 0.4,
               "quality": 0.6}
TOP_COEF = {"monthly": 1.5, "thematic": 1.0, "quality": 0.8}


def _traj(name: str, years: np.ndarray) -> np.ndarray:
    base = np.asarray(_TRAJ[name], dtype=float)
    pos = (np.asarray(years) - 2015).astype(float)
    return np.interp(pos, np.arange(len(base)), base)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _rng(seed: int, name: str) -> np.random.Generator:
    """An independent, stable random stream per component (so one change does not shift all)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


@cache
def _slug(s: str) -> str:
    text = unicodedata.normalize("NFD", s).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    out = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1.0 - p))


def _group_multinomial(
    rng: np.random.Generator,
    totals: np.ndarray,
    group: np.ndarray,
    weights: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Split ``totals[g]`` among the items of each group ``g`` by one multinomial draw per group.

    Vectorised: items are laid out in a padded (groups × max items) matrix and numpy draws all
    groups at once. A group whose weights are all zero receives nothing.
    """
    n_items = len(group)
    out = np.zeros(n_items, dtype=np.int64)
    if n_items == 0:
        return out
    order = np.argsort(group, kind="stable")
    g = group[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    pos = np.arange(n_items) - starts[g]
    p = np.zeros((n_groups, max(int(counts.max()), 1)))
    p[g, pos] = weights[order]
    s = p.sum(axis=1)
    empty = s <= 0
    totals = np.where(empty, 0, totals).astype(np.int64)
    p[empty, 0] = 1.0
    s[empty] = 1.0
    p /= s[:, None]
    draws = rng.multinomial(totals, p)
    out[order] = draws[g, pos]
    return out


def _top_k(score: np.ndarray, eligible: np.ndarray, year_idx: np.ndarray, k: np.ndarray):
    """Mask of the ``k[y]`` highest scores among eligible rows of each year."""
    sel = np.zeros(len(score), dtype=bool)
    for yi, kk in enumerate(k):
        idx = np.flatnonzero(eligible & (year_idx == yi))
        kk = int(np.clip(kk, 0, len(idx)))
        if kk:
            sel[idx[np.argsort(-score[idx], kind="stable")[:kk]]] = True
    return sel


def _stratified_uniform(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) latents spread evenly within each group (so shares hit their target).

    Within a group of n items the values are a random permutation of (k + U_k) / n, k < n.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((rng.random(n), group))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = _pos_in_group(group[order])
    counts = np.bincount(group)
    return (pos + rng.random(n)) / counts[group]


def _pos_in_group(group: np.ndarray) -> np.ndarray:
    """0-based position of each item within its group (groups must be contiguous)."""
    counts = np.bincount(group)
    starts = np.cumsum(counts) - counts
    return np.arange(len(group)) - starts[group]


def _cat(labels, idx) -> pd.Categorical:
    """``labels[idx]`` as a categorical (``idx`` -1 = missing) with lexically sorted categories."""
    labels = np.asarray(labels, dtype=str)
    idx = np.asarray(idx, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    codes = np.where(idx >= 0, rank[np.maximum(idx, 0)] if len(labels) else -1, -1)
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels[order], dtype=object))


def _bool(flag, applicable=None) -> pd.Categorical:
    """co / khong from a boolean array; empty where not applicable."""
    flag = np.asarray(flag, dtype=bool)
    idx = np.where(flag, 0, 1)
    if applicable is not None:
        idx = np.where(np.asarray(applicable, dtype=bool), idx, -1)
    return _cat(np.array(["co", "khong"]), idx)


def _ints(values, applicable=None) -> pd.arrays.IntegerArray:
    values = np.asarray(values, dtype=np.int64)
    mask = np.zeros(len(values), dtype=bool) if applicable is None else ~np.asarray(applicable)
    return pd.arrays.IntegerArray(np.where(mask, 0, values), mask)


def _table(name: str, columns: dict) -> pd.DataFrame:
    """A frame with exactly the schema columns of ``name`` in schema order."""
    tab = schema.table(name)
    unknown = set(columns) - set(tab.column_names)
    if unknown:
        raise KeyError(f"{name}: not schema columns: {sorted(unknown)}")
    n = len(next(iter(columns.values()))) if columns else 0
    out = {}
    for col in tab.columns:
        if col.name in columns:
            out[col.name] = columns[col.name]
        elif col.type in ("count", "year"):
            out[col.name] = _ints(np.zeros(n), np.zeros(n, dtype=bool))
        else:
            out[col.name] = _cat(np.array([], dtype=str), np.full(n, -1))
    return pd.DataFrame(out)


def _sort(name: str, df: pd.DataFrame) -> pd.DataFrame:
    key = list(schema.table(name).key)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings (the demo frames are small)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("str")
    return out


# --------------------------------------------------------------------------------------------
# The world and the simulation engine
# --------------------------------------------------------------------------------------------


@dataclass
class _World:
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
class _Sim:
    v_members: np.ndarray  # (V, Y)
    v_adm: np.ndarray
    o_members: np.ndarray  # (O, Y)
    o_adm: np.ndarray
    o_due: np.ndarray


P_LOSS_VILLAGE = 0.019


def _simulate(w: _World, rng: np.random.Generator) -> _Sim:
    """Members and admissions of every village and TCCSĐ, year by year (vectorised per year)."""
    n_years = len(w.years)
    n_v, n_o, n_c, n_r = len(w.v_code), len(w.o_code), len(w.c_code), len(w.ru_code)
    is_c = w.o_commune >= 0
    org_of_c = w.org_of_commune
    adm_w = _type_param(0)[w.o_type]
    loss_p = _type_param(1)[w.o_type]

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
        adm_o = _group_multinomial(rng, w.ru_adm[:, yi], w.o_unit, (size + 3) * adm_w * act_o, n_r)
        # admissions planted by a story come out of the commune's share (the commune admits
        # more only if its share is smaller than what the story needs)
        forced = w.v_forced_adm[:, yi] * act_v
        forced_c = np.bincount(com[act_v], weights=forced[act_v], minlength=n_c).astype(np.int64)
        n_c_adm = np.zeros(n_c, np.int64)
        n_c_adm[act_c] = np.maximum(adm_o[org_of_c[act_c]] - forced_c[act_c], 0)
        vw = (m + 1.0) * w.v_w[:, yi] * act_v
        cw = (s[org_of_c] * 0.5 + 1.0) * act_c
        split = _group_multinomial(
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
    return _Sim(v_members=vm, v_adm=va, o_members=om, o_adm=oa, o_due=due * w.o_active)


# --------------------------------------------------------------------------------------------
# Detail rows derived from the simulation
# --------------------------------------------------------------------------------------------


def _village_rows(w: _World, sim: _Sim, rng: np.random.Generator):
    """The villages table and per commune-year cell counts (own cells, combined villages)."""
    n_v = len(w.v_code)
    v_idx, y_idx = np.nonzero(w.v_commune >= 0)
    com = w.v_commune[v_idx, y_idx]
    pm = sim.v_members[v_idx, y_idx]
    active = w.v_commune >= 0
    home = w.v_commune[np.arange(n_v), np.argmax(active, axis=1)]
    home_unit = w.c_unit[np.maximum(home, 0)]
    u_small = rng.random(n_v)
    u_head = _stratified_uniform(rng, home_unit)
    u_sec = _stratified_uniform(rng, home_unit)
    own = (pm >= 3) & ~((pm <= 4) & (u_small[v_idx] < 0.3))
    combined = ~own
    head_p = w.ru_head_p[w.c_unit[com], y_idx]
    head = (pm >= 1) & (u_head[v_idx] < head_p)
    sec_p = _traj("secretary_head", w.years)[y_idx] / np.maximum(head_p, 0.05)
    sec = head & (u_sec[v_idx] < sec_p)
    shape = (len(w.c_code), len(w.years))
    own_cells = np.zeros(shape, np.int64)
    comb_villages = np.zeros(shape, np.int64)
    np.add.at(own_cells, (com, y_idx), own)
    np.add.at(comb_villages, (com, y_idx), combined & (pm > 0))
    frame = _table(
        "villages",
        {
            "year": _ints(w.years[y_idx]),
            "village_code": _cat(w.village_labels, w.village_code_index(v_idx, y_idx)),
            "commune_code": _cat(w.c_code, com),
            "party_members": _ints(pm),
            "own_cell": _bool(own),
            "combined_cell": _bool(combined, pm > 0),
            "head_is_member": _bool(head),
            "secretary_is_head": _bool(sec, own),
        },
    )
    return frame, own_cells, comb_villages


def _org_rows(
    w: _World,
    sim: _Sim,
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
    voc = _voc()
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
    exempt_p = _type_param(5)[typ] * rng.lognormal(0, 0.25, n)
    not_rated = rng.binomial(members, np.clip(exempt_p, 0, 0.5))
    rated = members - not_rated
    fail_p = np.where(voc.non_state[typ], 0.010, 0.005) * rng.lognormal(0, 0.5, n)
    failed = rng.binomial(rated, np.clip(fail_p, 0, 0.2))
    disciplined = rng.binomial(failed, 0.45)
    gp_logit = _logit(0.872) + 0.25 * q + _traj("member_good_logit_shift", years)[y_idx]
    completed = rng.binomial(rated - failed, 1 - _logistic(gp_logit))
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
    meet_off = _type_param(3)[typ]
    p_month = _logistic(
        _traj("meet_monthly", years)[y_idx] + w.ru_meet_monthly[unit] + meet_off + meet_re[o_idx]
    )
    p_them = _logistic(
        _traj("meet_thematic", years)[y_idx] + w.ru_meet_thematic[unit] + meet_off
        + them_re[o_idx]
    )
    monthly = rng.binomial(cells, p_month)
    thematic = rng.binomial(cells, p_them)
    p2 = _traj("checks_two", years)[y_idx]
    u = rng.random(n)
    checks = np.where(u < p2, 2, np.where(u < p2 + (1 - p2) * 0.75, 1, 0))

    # TCCSĐ rating: logistic latent score, province-wide yearly share by top-k selection
    x_month = monthly / cells
    x_them = thematic / cells
    score = (
        _type_param(2)[typ]
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
    k_good = np.rint(_traj("org_good", years) * n_rated)
    k_top = np.rint(_traj("org_top", years) * n_rated)
    k_r4 = np.rint(_traj("org_rank4", years) * n_rated)
    k_r4 = k_r4 - np.bincount(y_idx, weights=forced_fail, minlength=len(years))
    eligible = is_rated & ~forced_fail
    good_sel = _top_k(score, eligible, y_idx, k_good)
    top_score = (
        w.ru_top_boost[unit]
        + TOP_COEF["monthly"] * x_month
        + TOP_COEF["thematic"] * x_them
        + TOP_COEF["quality"] * q
        + rng.logistic(0, 1, n)
    )
    top_sel = _top_k(top_score, good_sel, y_idx, k_top)
    r4_sel = _top_k(-score, eligible & ~good_sel, y_idx, k_r4) | forced_fail
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
    assigned = rng.binomial(active, _traj("assigned", years)[y_idx])
    inspections = rng.poisson(0.6 + members / 150)

    # admissions breakdown
    women = rng.binomial(adm, 0.43)
    youth = rng.binomial(adm, 0.62)
    ethnic = rng.binomial(adm, w.ru_ethnic[unit])
    religious = rng.binomial(adm, w.ru_religious[unit])
    nonstate = np.where(voc.non_state[typ], adm, rng.binomial(adm, np.where(is_c, 0.02, 0.0)))
    due = sim.o_due[o_idx, y_idx]
    trained = rng.binomial(due, _traj("trained_new", years)[y_idx])
    committee = committee_o[o_idx]
    ctr_share = np.clip(_traj("committee_trained", years)[y_idx] + (u_ctr[o_idx] - 0.5) * 0.3, 0, 1)
    committee_trained = np.rint(committee * ctr_share).astype(np.int64)

    # flags
    head_rule = voc.head_rule[typ]
    non_state = voc.non_state[typ]
    below_good = (rank == 3) | (rank == 4)
    remediation = rng.random(n) < _traj("remediation", years)[y_idx]
    pool_p = _traj("candidate_pool", years)[y_idx] + np.where(is_c, 0.05, -0.03)
    pool = u_pool[o_idx] < pool_p
    plan = u_plan[o_idx] < _traj("admission_plan", years)[y_idx]

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
    return _table(
        "organizations",
        {
            "year": _ints(years[y_idx]),
            "org_code": _cat(w.o_code, o_idx),
            "reporting_unit": _cat(w.ru_code, unit),
            "commune_code": _cat(w.c_code, np.where(is_c, w.o_commune[o_idx], -1)),
            "org_type": _cat(np.array(voc.org_types), typ),
            "org_form": _cat(np.array(["dang_bo_co_so", "chi_bo_co_so"]), np.where(form_db, 0, 1)),
            "rating": _cat(np.array(rating_labels), rating_idx),
            "remediation_plan": _bool(remediation, below_good),
            "members_total": _ints(members),
            "members_not_rated": _ints(not_rated),
            "members_excellent": _ints(excellent),
            "members_good": _ints(good),
            "members_completed": _ints(completed),
            "members_failed": _ints(failed),
            "members_active": _ints(active),
            "members_assigned": _ints(assigned),
            "members_disciplined": _ints(disciplined),
            "inspections": _ints(inspections),
            "admissions": _ints(adm),
            "admissions_women": _ints(women),
            "admissions_youth": _ints(youth),
            "admissions_ethnic": _ints(ethnic),
            "admissions_religious": _ints(religious),
            "admissions_nonstate": _ints(nonstate),
            "new_members_due": _ints(due),
            "new_members_trained": _ints(trained),
            "committee_members": _ints(committee),
            "committee_trained": _ints(committee_trained),
            "cells_total": _ints(cells),
            "cells_monthly": _ints(monthly),
            "cells_thematic": _ints(thematic),
            "supervision_checks": _ints(checks),
            "head_is_secretary": _bool(
                u_head[o_idx] < _traj("head_is_secretary", years)[y_idx], head_rule
            ),
            "owner_is_secretary": _bool(
                u_owner[o_idx] < _traj("owner_is_secretary", years)[y_idx], non_state
            ),
            "candidate_pool": _bool(pool),
            "admission_plan": _bool(plan, pool),
            "dialogue_held": _bool(u_dial[o_idx] < _traj("dialogue", years)[y_idx]),
        },
    )


def _official_rows(
    w: _World, sim: _Sim, rng: np.random.Generator, rotation_p: float = 0.08
) -> pd.DataFrame:
    """Key commune officials, one row per post and snapshot year (no names)."""
    voc = _voc()
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

    univ = pick(0, 1) < _traj("university", years)[y_idx] + terrain_off + 0.04 * leader
    sub = pick(2, 3)
    edu_code = np.where(
        univ,
        np.where(sub < np.where(leader, 0.14, 0.06), "sau_dai_hoc", "dai_hoc"),
        np.where(sub < 0.45, "trung_cap", np.where(sub < 0.8, "cao_dang", "thpt")),
    )
    theo = pick(4, 5) < _traj("theory", years)[y_idx] + 0.5 * terrain_off + 0.04 * leader
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
    return _table(
        "officials",
        {
            "snapshot_year": _ints(years[y_idx]),
            "term": _cat(np.array(["2015_2020", "2020_2025"]), term2.astype(np.int64)),
            "commune_code": _cat(w.c_code, com),
            "position": _cat(np.array(POSITIONS), pos),
            "seq": _ints(slot_seq[s_idx]),
            "education": _cat(edu_labels, _index_of(edu_labels, edu_code)),
            "theory": _cat(theo_labels, _index_of(theo_labels, theo_code)),
            "rotated": _bool(rotated),
        },
    )


def _index_of(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    order = np.argsort(labels)
    pos = np.searchsorted(labels[order], values)
    return order[pos]


# --------------------------------------------------------------------------------------------
# Detail -> unit_summary
# --------------------------------------------------------------------------------------------

_SUM_COLUMNS = (
    "members_total", "members_not_rated", "members_excellent", "members_good",
    "members_completed", "members_failed", "members_active", "members_assigned",
    "members_disciplined", "inspections", "admissions", "admissions_women", "admissions_youth",
    "admissions_ethnic", "admissions_religious", "admissions_nonstate", "new_members_due",
    "new_members_trained", "committee_members", "committee_trained", "cells_total",
    "cells_monthly", "cells_thematic",
)
#: How each ``unit_summary`` column is computed from detail, per reporting unit and year.
#: (Documented in analysis/demo/README.md; :func:`summarize_detail` is the implementation.)
SUMMARY_MAPPING = {
    "orgs_total": "number of organizations rows (reporting_unit = unit, year)",
    "orgs_not_rated": "rating = chua_xep_loai",
    "orgs_excellent": "rating of rank 1: xuat_sac (2018+) or trong_sach_vung_manh (2015–2017)",
    "orgs_good": "rating = tot (rank 2)",
    "orgs_completed": "rating = hoan_thanh (rank 3)",
    "orgs_failed": "rating of rank 4: khong_hoan_thanh or yeu_kem",
    "orgs_remediation": "rank 3–4 and remediation_plan = co",
    "orgs_head_rule": "org_type with head_rule in vocabularies.yaml",
    "orgs_head_is_secretary": "head_is_secretary = co",
    "orgs_non_state": "org_type with non_state (doanh_nghiep_ngoai_nha_nuoc)",
    "orgs_owner_is_secretary": "owner_is_secretary = co",
    "members_non_state": "sum of members_total over non_state organizations",
    "orgs_candidate_pool": "candidate_pool = co",
    "orgs_admission_plan": "candidate_pool = co and admission_plan = co",
    "orgs_dialogue": "dialogue_held = co",
    "orgs_supervised_twice": "supervision_checks >= 2",
    ", ".join(_SUM_COLUMNS): "sum of the same-named organizations column",
    "villages_total": "villages rows of the year whose commune_code has the unit as parent",
    "villages_no_members": "party_members = 0",
    "villages_at_risk": "party_members 1 or 2",
    "villages_own_cell": "own_cell = co",
    "villages_combined_cell": "combined_cell = co",
    "villages_head_member": "head_is_member = co",
    "villages_secretary_head": "secretary_is_head = co",
    "officials_total": "officials rows with snapshot_year = year in the unit's communes",
    "officials_university": "education with university: true (dai_hoc, sau_dai_hoc)",
    "officials_theory": "theory with intermediate_or_higher: true (trung_cap, cao_cap)",
    "officials_rotated": "rotated = co",
}



def summarize_detail(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``unit_summary`` rows (one per reporting unit × year) aggregated from detail tables.

    ``tables`` needs ``units`` (commune rows give each commune's reporting unit),
    ``organizations``, ``villages`` and ``officials`` in the schema's form. Villages and
    officials columns are empty for units that have no communes (sector committees).
    See :data:`SUMMARY_MAPPING` for the definition of every column.
    """
    voc = _voc()
    units = tables["units"]
    orgs = tables["organizations"]
    vil = tables["villages"]
    off = tables["officials"]
    com_units = units.loc[units["level"].astype(str) == "commune"]
    parent = dict(zip(com_units["code"].astype(str), com_units["parent_code"].astype(str),
                      strict=True))

    def yes(s):
        return s.astype(object).eq("co").to_numpy()

    rating = orgs["rating"].astype(object)
    rank = rating.map(voc.rating_rank).to_numpy(dtype=float, na_value=np.nan)
    otype = orgs["org_type"].astype(object)
    head_rule = otype.isin([t for t, h in zip(voc.org_types, voc.head_rule, strict=True) if h])
    non_state = otype.isin([t for t, h in zip(voc.org_types, voc.non_state, strict=True) if h])
    pool = yes(orgs["candidate_pool"])
    f = pd.DataFrame(
        {
            "unit_code": orgs["reporting_unit"].astype(object).to_numpy(),
            "year": orgs["year"].to_numpy(dtype=np.int64),
            "orgs_total": 1,
            "orgs_not_rated": (rating == "chua_xep_loai").to_numpy(),
            "orgs_excellent": rank == 1,
            "orgs_good": rank == 2,
            "orgs_completed": rank == 3,
            "orgs_failed": rank == 4,
            "orgs_remediation": (rank >= 3) & yes(orgs["remediation_plan"]),
            "orgs_head_rule": head_rule.to_numpy(),
            "orgs_head_is_secretary": yes(orgs["head_is_secretary"]),
            "orgs_non_state": non_state.to_numpy(),
            "orgs_owner_is_secretary": yes(orgs["owner_is_secretary"]),
            "members_non_state": np.where(
                non_state, orgs["members_total"].to_numpy(dtype=np.int64, na_value=0), 0
            ),
            "orgs_candidate_pool": pool,
            "orgs_admission_plan": pool & yes(orgs["admission_plan"]),
            "orgs_dialogue": yes(orgs["dialogue_held"]),
            "orgs_supervised_twice": orgs["supervision_checks"].to_numpy(
                dtype=np.int64, na_value=0
            ) >= 2,
        }
    )
    for c in _SUM_COLUMNS:
        f[c] = orgs[c].to_numpy(dtype=np.int64, na_value=0)
    out = f.groupby(["unit_code", "year"], sort=True).sum()

    pm = vil["party_members"].to_numpy(dtype=np.int64, na_value=0)
    v = pd.DataFrame(
        {
            "unit_code": vil["commune_code"].astype(object).map(parent).to_numpy(),
            "year": vil["year"].to_numpy(dtype=np.int64),
            "villages_total": 1,
            "villages_no_members": pm == 0,
            "villages_at_risk": (pm >= 1) & (pm <= 2),
            "villages_own_cell": yes(vil["own_cell"]),
            "villages_combined_cell": yes(vil["combined_cell"]),
            "villages_head_member": yes(vil["head_is_member"]),
            "villages_secretary_head": yes(vil["secretary_is_head"]),
        }
    )
    o = pd.DataFrame(
        {
            "unit_code": off["commune_code"].astype(object).map(parent).to_numpy(),
            "year": off["snapshot_year"].to_numpy(dtype=np.int64),
            "officials_total": 1,
            "officials_university": off["education"].astype(object).isin(voc.university)
            .to_numpy(),
            "officials_theory": off["theory"].astype(object).isin(voc.intermediate).to_numpy(),
            "officials_rotated": yes(off["rotated"]),
        }
    )
    out = out.join(v.groupby(["unit_code", "year"]).sum(), how="left")
    out = out.join(o.groupby(["unit_code", "year"]).sum(), how="left")
    out = out.reset_index()
    cols = {}
    for col in schema.table("unit_summary").columns:
        if col.name == "unit_code":
            cols[col.name] = out["unit_code"].astype(str).to_numpy()
        else:
            values = out[col.name].to_numpy(dtype=float)
            ok = ~np.isnan(values)
            cols[col.name] = _ints(np.where(ok, values, 0).astype(np.int64), ok)
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_COMMUNE_A = (
    "An Bảo Bình Cẩm Cao Chu Dương Đại Đông Đồng Đức Hòa Hồng Hương Hợp Khánh Lam Lan Liên Long "
    "Minh Mỹ Nam Nghĩa Ngọc Nhã Phúc Phú Phượng Quang Quế Song Tân Thái Thanh Thượng Tiên Trung "
    "Tuấn Vân Việt Xuân Yên Hữu Kim Lương Mai Vĩnh"
).split()
_COMMUNE_B = (
    "Sơn Lộc Hưng Thịnh Châu Mậu Bình Hà Phong Lạc Trung Đạo Tiến Thành Xá Lâm Khê Động Hòa Lĩnh "
    "Nghĩa Phú Quang Tân Thắng Thọ Thuận Tiên Trường Vượng Xuyên Yên Linh Đình Kỳ Lương Mai Minh "
    "Hợp Cương"
).split()
_VILLAGE_A = (
    "Đồng Khe Nà Bãi Làng Gốc Hố Đá Trại Cầu Núi Suối Chằm Đèo Lòng Mỏ Ao Bến Dốc Nương Cây Khuôn "
    "Tân Hạ Thượng Trung Đông Nam Bắc Na"
).split()
_VILLAGE_B = (
    "Bài Nghè Cạn Vàng Thị Mít Sim Gạo Lim Đình Chùa Trám Cọ Mai Lở Sâu Dài Non Tre Bưởi Vải Chè "
    "Dẻ Ngõa Ràng Pheo Rẽo Cốc Quẫn Luông Mới"
).split()
_WARDS = (
    "Lý Thái Tổ", "Trần Hưng Đạo", "Quang Trung", "Nguyễn Trãi", "Lê Hồng Phong",
    "Phan Đình Phùng", "Hai Bà Trưng", "Lý Thường Kiệt", "Nguyễn Du", "Hùng Vương", "Tô Hiệu",
    "Võ Thị Sáu", "Chu Văn An", "Lê Quý Đôn",
)


def _combos(first, second) -> list[str]:
    return [_nfc(f"{a} {b}") for a in first for b in second if a != b]


_KIND_PREFIX = {"xa": "Xã", "phuong": "Phường", "thi_tran": "Thị trấn", "thon": "Thôn",
                "ban": "Bản", "to_dan_pho": "Tổ dân phố"}


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
class _DemoMeta:
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
    free = [p for p in pool if _slug(p) not in taken]
    picked = [free[i] for i in rng.choice(len(free), size=n, replace=False)]
    taken.update(_slug(p) for p in picked)
    return picked


def _demo_world(seed: int) -> tuple[_World, _DemoMeta]:
    plan = params.plan()
    years = np.arange(plan["first_year"], plan["last_year"] + 1)
    n_years = len(years)
    rng = _rng(seed, "demo-structure")
    province = plan["province_code"]
    tiles = params.units()["tiles"]
    dist_codes = [d[0] for d in DISTRICTS]
    sector_codes = [s[0] for s in SECTORS]
    unit_codes = dist_codes + sector_codes
    missing = set(unit_codes) ^ set(tiles)
    if missing:
        raise ValueError(f"params/units.yaml and the demo disagree on units: {sorted(missing)}")
    merger_yi = int(np.searchsorted(years, MERGER_YEAR))
    commune_names = _combos(_COMMUNE_A, _COMMUNE_B)
    village_names = _combos(_VILLAGE_A, _VILLAGE_B)

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
            names = _unique_names(rng, list(_WARDS), 10, taken)
            names += _unique_names(rng, commune_names, n_before - 10, taken)
        else:
            kinds = ["thi_tran"] * n_tt + ["xa"] * (n_before - n_tt)
            names = _unique_names(rng, commune_names, n_before, taken)
        # villages per commune: at least 3, the rest spread unevenly
        per = 3 + rng.multinomial(n_vil - 3 * n_before, rng.dirichlet(np.full(n_before, 4.0)))
        first_c = len(c_code)
        for k, (kind, nm) in enumerate(zip(kinds, names, strict=True)):
            cc = f"{code}_{_slug(nm)}"
            c_code.append(cc)
            c_unit.append(di)
            c_kind.append(kind)
            c_first.append(None)
            c_last.append(None)
            c_succ.append(-1)
            unit_rows.append(dict(code=cc, name=f"{_KIND_PREFIX[kind]} {nm}", level="commune",
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
                              else f"{_KIND_PREFIX[kind_v]} {vnames[j]}")
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
                cc = f"{code}_{_slug(nm)}"
                new_idx = len(c_code)
                c_code.append(cc)
                c_unit.append(di)
                c_kind.append(new_kind)
                c_first.append(MERGER_YEAR)
                c_last.append(None)
                c_succ.append(-1)
                commune_total.append(0.0)
                unit_rows.append(dict(code=cc, name=f"{_KIND_PREFIX[new_kind]} {nm}",
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
    rng_o = _rng(seed, "demo-orgs")

    def add_org(code, unit, commune, typ, m0, first=None, last=None, new=False):
        o_code.append(code)
        o_unit.append(unit)
        o_commune.append(commune)
        o_type.append(typ)
        o_m0.append(m0)
        o_first.append(first)
        o_last.append(last)
        o_new.append(new)

    sizes_median = _type_param(4)
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
            ti = _t(t)
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
            add_org(f"{c_code[c]}_db", di, int(c), _t(kind), rest)
    for c in [i for i, f in enumerate(c_first) if f is not None]:
        add_org(f"{c_code[c]}_db", int(c_unit_a[c]), int(c), _t(c_kind[c]), 0,
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
    world = _World(
        years=years,
        ru_code=np.array(r_codes),
        ru_terrain=ru_terrain,
        ru_adm=_district_admissions(_rng(seed, "demo-admissions"), r_codes, years),
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
    meta = _DemoMeta(
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
            cols[col.name] = _ints(np.where(ok, s.fillna(0).to_numpy(), 0).astype(np.int64), ok)
        else:
            cols[col.name] = pd.Series(
                [None if v is None or (isinstance(v, float) and np.isnan(v)) else _nfc(str(v))
                 for v in s], dtype="str")
    return pd.DataFrame(cols)


def _demo_internal(seed: int):
    """All demo tables with full detail for every unit (before dropping what is not sent)."""
    world, meta = _demo_world(seed)
    sim = _simulate(world, _rng(seed, "demo-simulate"))
    villages, own_cells, comb = _village_rows(world, sim, _rng(seed, "demo-villages"))
    orgs = _org_rows(
        world, sim, own_cells, comb, _rng(seed, "demo-org-rows"), cap_breakers=6,
        breaker_units=~np.isin(world.ru_code, SUMMARY_ONLY),
        top_rule_breakers=(list(world.ru_code).index(HIGH_RATING_DISTRICT), 3),
    )
    officials = _official_rows(world, sim, _rng(seed, "demo-officials"))
    tables = {
        "units": _units_frame(meta.unit_rows),
        "crosswalk": pd.DataFrame(meta.crosswalk_rows),
        "organizations": _plain(orgs),
        "villages": _plain(villages),
        "officials": _plain(officials),
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
    return _demo_output(*_demo_internal(seed))


def _demo_output(tables, world: _World, meta: _DemoMeta) -> dict[str, pd.DataFrame]:
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
    out["crosswalk"] = _table(
        "crosswalk",
        {
            "old_code": crosswalk["old_code"].astype("str").to_numpy(),
            "new_code": crosswalk["new_code"].astype("str").to_numpy(),
            "effective_year": _ints(crosswalk["effective_year"].to_numpy()),
        },
    )
    return {name: _sort(name, _plain(df)) for name, df in out.items()}


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in schema.tables():
        path = out_dir / f"{name}.csv"
        path.write_bytes(_csv_bytes(tables[name]))
        paths.append(path)
    return paths


def write_demo(out_dir: Path | str = config.DEMO_DATA_DIR, seed: int = 2016) -> list[Path]:
    """Write the demo as one UTF-8 CSV per table (plus README.md) and return the paths.

    The bytes depend only on ``seed`` (and the schema and params): two runs give identical files.
    """
    internal, world, meta = _demo_internal(seed)
    tables = _demo_output(internal, world, meta)
    paths = _write_tables(tables, Path(out_dir))
    readme = Path(out_dir) / "README.md"
    readme.write_bytes(demo_readme(tables, meta, seed).encode("utf-8"))
    return [*paths, readme]


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
    rng = _rng(seed, "country-structure")
    voc = _voc()
    years = np.asarray(years)
    n_years = len(years)
    n_p = n_provinces
    # reporting units: 6–8 districts + 4 sector committees per province
    nd = rng.integers(6, 9, n_p)
    n_units = nd + len(SECTOR_KINDS)
    ru_prov = np.repeat(np.arange(n_p), n_units)
    ru_pos = _pos_in_group(ru_prov)
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
    c_pos = _pos_in_group(np.repeat(np.arange(len(dist_idx)), ncom))
    c_code = _cat_str(ru_code[c_unit], "_c", _zpad(c_pos + 1, 3))
    urban = np.isin(district_kind[c_unit], ["thanh_pho", "thi_xa"])
    u = rng.random(n_c)
    c_kind = np.where(urban, np.where(u < 0.6, "phuong", "xa"),
                      np.where(c_pos < 1 + (u < 0.5), "thi_tran", "xa"))
    # villages
    nvil = 2 + rng.poisson(8, n_c)
    v_home = np.repeat(np.arange(n_c), nvil)
    n_v = len(v_home)
    v_pos = _pos_in_group(v_home)
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
        mix[0, _t(t)] = p
    for k, (_, _, smix, _) in enumerate(SECTORS):
        for t, p in smix.items():
            mix[k + 1, _t(t)] = p
    mix /= mix.sum(axis=1, keepdims=True)
    row = np.where(is_sector[no_unit], sector_k[no_unit] + 1, 0)
    cdf = np.cumsum(mix, axis=1)[row]
    no_type = np.minimum((rng.random(n_no)[:, None] > cdf).sum(axis=1), len(mix_names) - 1)
    scale = np.where(is_sector[no_unit], 1.8, 1.0)
    no_m0 = np.maximum(3, np.rint(_type_param(4)[no_type] * scale
                                  * rng.lognormal(0, 0.5, n_no))).astype(np.int64)
    first_yi = np.where(rng.random(n_no) < 0.08, rng.integers(1, n_years, n_no), 0)
    last_yi = np.where(rng.random(n_no) < 0.08, rng.integers(0, n_years - 1, n_no), n_years - 1)
    last_yi = np.maximum(last_yi, first_yi)
    new_first = (first_yi > 0) | (rng.random(n_no) < 0.018)
    no_code = _cat_str(ru_code[no_unit], "_t", _zpad(_pos_in_group(no_unit) + 1, 4))
    com_sum = np.bincount(v_home, weights=v_m0, minlength=n_c)
    o_code = np.concatenate([_cat_str(c_code, "_db"), no_code])
    o_unit = np.concatenate([c_unit, no_unit])
    o_commune = np.concatenate([np.arange(n_c), np.full(n_no, -1)])
    c_type = np.select([c_kind == "phuong", c_kind == "thi_tran"],
                       [_t("phuong"), _t("thi_tran")], _t("xa"))
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
    world = _World(
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
    combos_c = np.array(_combos(_COMMUNE_A, _COMMUNE_B))
    combos_v = np.array(_combos(_VILLAGE_A, _VILLAGE_B))

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
    units = _table("units", {
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
    sim = _simulate(world, _rng(seed, "country-simulate"))
    villages, own_cells, comb = _village_rows(world, sim, _rng(seed, "country-villages"))
    orgs = _org_rows(world, sim, own_cells, comb, _rng(seed, "country-org-rows"))
    officials = _official_rows(world, sim, _rng(seed, "country-officials"))
    summary = summarize_detail(
        {"units": units, "organizations": orgs, "villages": villages, "officials": officials}
    )
    summary_units = world.ru_code[is_sector | (ru_pos == 0)]
    detail = orgs["reporting_unit"].isin(world.ru_code[~is_sector]).to_numpy()
    return {
        "units": _sort("units", units),
        "crosswalk": _table("crosswalk", {"old_code": np.array([], dtype=str),
                                          "new_code": np.array([], dtype=str),
                                          "effective_year": _ints(np.array([], np.int64))}),
        "organizations": _sort("organizations", orgs.loc[detail]),
        "villages": _sort("villages", villages),
        "officials": _sort("officials", officials),
        "unit_summary": _sort(
            "unit_summary", summary.loc[summary["unit_code"].isin(summary_units)]
        ),
    }


def write_country(out_dir: Path | str, n_provinces: int = 63, seed: int = 1) -> list[Path]:
    """Write :func:`generate_country` as one CSV per table into ``out_dir``."""
    return _write_tables(generate_country(n_provinces, seed), Path(out_dir))


# --------------------------------------------------------------------------------------------
# README of the demo folder
# --------------------------------------------------------------------------------------------


def province_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``unit_summary`` rows of every reporting unit: from detail where sent, else as sent."""
    detail = summarize_detail(tables)
    sent = tables["unit_summary"]
    only = sorted(set(sent["unit_code"]) - set(detail["unit_code"]))
    out = pd.concat([detail, sent.loc[sent["unit_code"].isin(only)]], ignore_index=True)
    return _sort("unit_summary", out)


def _pct(num, den) -> str:
    return "–" if not den else f"{100 * num / den:.1f}"


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def demo_readme(tables: dict[str, pd.DataFrame], meta: _DemoMeta, seed: int) -> str:
    """The README.md written next to the demo CSV files (stories, mapping, figures)."""
    s = province_summary(tables)
    s = s.assign(
        gp=s["orgs_excellent"] + s["orgs_good"],
        rated=s["orgs_total"] - s["orgs_not_rated"],
        m_gp=s["members_excellent"] + s["members_good"],
        m_rated=s["members_total"] - s["members_not_rated"],
    )
    prov = s.groupby("year").sum(numeric_only=True)
    orgs = tables["organizations"]
    vil = tables["villages"]
    years = [int(y) for y in prov.index]
    fig_rows = []
    for y in years:
        r = prov.loc[y]
        fig_rows.append([
            y, int(r.orgs_total), int(r.members_total), int(r.admissions),
            _pct(r.gp, r.rated), _pct(r.m_gp, r.m_rated), int(r.villages_total),
            int(r.villages_no_members), int(r.villages_at_risk),
            _pct(r.villages_head_member, r.villages_total),
            _pct(r.cells_monthly, r.cells_total),
        ])
    pooled = s.groupby("unit_code").sum(numeric_only=True)
    unit_rows = []
    for u in pooled.index:
        r = pooled.loc[u]
        first = s.loc[(s["unit_code"] == u) & (s["year"] == years[0])]
        last = s.loc[(s["unit_code"] == u) & (s["year"] == years[-1])]

        def at(df, col):
            v = df[col].iloc[0] if len(df) else pd.NA
            return "–" if pd.isna(v) else int(v)

        def share(df, num, den):
            if not len(df) or pd.isna(df[den].iloc[0]):
                return "–"
            return _pct(df[num].iloc[0], df[den].iloc[0])

        unit_rows.append([
            f"`{u}`", "summary" if u in SUMMARY_ONLY else (
                "detail + summary" if u in SUMMARY_AND_DETAIL else "detail"),
            _pct(r.gp, r.rated), _pct(r.orgs_excellent, r.rated),
            _pct(r.cells_monthly, r.cells_total), _pct(r.cells_thematic, r.cells_total),
            share(first, "villages_head_member", "villages_total"),
            share(last, "villages_head_member", "villages_total"),
            at(first, "villages_no_members"), at(last, "villages_no_members"),
        ])
    rated = orgs["members_total"] - orgs["members_not_rated"]
    cap = orgs.loc[(orgs["year"] >= 2019)
                   & (orgs["members_excellent"] > 0.2 * orgs["members_good"])]
    xs = orgs.loc[(orgs["rating"] == "xuat_sac")
                  & (orgs["members_excellent"] + orgs["members_good"] < 0.8 * rated)]
    white = meta.whites
    shown = set(vil["village_code"])

    def codes(vs):
        return ", ".join(f"`{v}`" for v in vs if v in shown) or "–"

    adm = {y: int(prov.loc[y, "admissions"]) for y in years}
    head = s.assign(h=100 * s["villages_head_member"] / s["villages_total"]).dropna(subset="h")

    def head_range(year, mountain):
        h = head.loc[(head["year"] == year) & (head["unit_code"].isin(MOUNTAIN_STORY) == mountain)]
        return f"{h['h'].min():.0f}–{h['h'].max():.0f}%"

    late = s.loc[s["year"] >= 2018]
    late_hh = late.loc[late["unit_code"] == HIGH_RATING_DISTRICT]
    hh_top = _pct(late_hh["orgs_excellent"].sum(), late_hh["rated"].sum())
    prov_top = _pct(late["orgs_excellent"].sum(), late["rated"].sum())
    hh_gp = s.loc[s["unit_code"] == HIGH_RATING_DISTRICT]
    hh_gp = _pct(hh_gp["gp"].sum(), hh_gp["rated"].sum())
    target = params.targets()["targets"]["T5"]["value"]
    lines = [
        "# Demo data: Bắc Giang 2015–2020 (synthetic)",
        "",
        "Written by `analysis/data/demo.py` (`python -m analysis.data.demo`, or "
        f"`write_demo()`), seed {seed}. Do not edit by hand: a test checks that these files equal "
        "a fresh generation. **Every figure is invented**; district names are real, commune and "
        "village names are made up from syllable lists (any match with a real place is chance), "
        "and no person is named anywhere.",
        "",
        "## Files",
        "",
    ]
    lines += _md_table(
        ["file", "rows", "content"],
        [[f"`{n}.csv`", len(tables[n]), schema.table(n).description_vi] for n in schema.tables()],
    )
    lines += [
        "",
        "UTF-8 without BOM, `\\n` line ends, rows sorted by the table key; codes and enum values "
        "are vocabulary codes, booleans `co`/`khong`, empty = not applicable.",
        "",
        "## Who sends what (input levels)",
        "",
        "- **Summary only** (`unit_summary`, no detail): "
        f"{', '.join(f'`{u}`' for u in SUMMARY_ONLY)}. `luc_ngan` therefore has no village or "
        "officials detail; its village and officials "
        "counts are in its summary rows. Its communes are in `units.csv` (they are the "
        "province's catalogue), its villages are not.",
        f"- **Detail and summary**: {', '.join(f'`{u}`' for u in SUMMARY_AND_DETAIL)}. Their "
        "summary rows equal the aggregation of their detail exactly (the cross-check passes).",
        "- **Detail only**: the other districts.",
        f"- **A missing year**: `{MISSING_YEAR[0]}` sends nothing for {MISSING_YEAR[1]} "
        "(no organizations, villages, officials or summary rows).",
        "",
        "## Codes and mergers",
        "",
        "- Districts and sector committees use the codes of `params/units.yaml`; the province is "
        f"`{params.plan()['province_code']}`.",
        "- Commune: `<district>_<ascii name>` (e.g. `son_dong_...`); village: "
        "`<commune>_<NN>`; TCCSĐ of a commune: `<commune>_db`; other TCCSĐ: "
        "`<unit>_tNNN`.",
        f"- **Commune mergers, effective {MERGER_YEAR}**: 40 communes merged into 19 "
        "(230 → 209; removed per district = before − after of domain-rules §3). Each group of "
        "2–3 old communes gets a NEW commune with a new code and name (`first_year` "
        f"{MERGER_YEAR}); the old ones have `last_year` {MERGER_YEAR - 1}; `crosswalk.csv` maps "
        f"old → new with `effective_year` {MERGER_YEAR}. From {MERGER_YEAR} the TCCSĐ, villages "
        "and officials of those communes report under the new commune code (new TCCSĐ code "
        "`<new commune>_db`).",
        "- **Village mergers, effective 2019 or 2020** (about 200 in the province, fewer listed "
        "because `luc_ngan` sends no village detail): a small village is *absorbed into an "
        "existing neighbour of the same commune*, which keeps its code; `crosswalk.csv` maps "
        "old village → absorbing village with the first year reported under it, and the old "
        "village's `last_year` is the year before.",
        f"- **Villages of merged communes are re-coded in {MERGER_YEAR}** under the new commune "
        f"(`<new commune>_<NN>`, same name, `first_year` {MERGER_YEAR}); `crosswalk.csv` maps "
        f"old → new with `effective_year` {MERGER_YEAR} and the old code ends in "
        f"{MERGER_YEAR - 1}. So every village code has one parent commune, and `commune_code` "
        "in `villages.csv` always equals the village's `parent_code` in `units.csv`. Follow "
        "the crosswalk (it chains: absorbed in 2019, then re-coded in 2020) to join a "
        "village's years.",
        "",
        "## Stories a review should find",
        "",
        "1. **Mountain districts behind on villages** (`son_dong`, `luc_ngan`, `luc_nam`, "
        f"`yen_the`): fewer village heads who are members ({head_range(years[0], True)} in "
        f"{years[0]} against {head_range(years[0], False)} elsewhere; "
        f"{head_range(years[-1], True)} against {head_range(years[-1], False)} in {years[-1]}) "
        "and nearly all villages without members "
        f"(thôn trắng: {int(prov.loc[years[0], 'villages_no_members'])} in {years[0]}, "
        f"{int(prov.loc[years[-1], 'villages_no_members'])} in {years[-1]}; T7 = 0 is missed). "
        f"Fixed by admission (0 → ≥1): {len(white['admission'])} villages, e.g. "
        f"{codes(white['admission'][:4])}; merged away: {len(white['merger'])}, e.g. "
        f"{codes(white['merger'][:3])}; never fixed: {codes(white['never'])}; re-whitened "
        f"(0 → 2 in 2016 → 0 from 2019): {codes(white['rewhite'])}; re-whitened and fixed again "
        f"(0 → 1 in 2016 → 0 in 2018 → 2 in 2019): {codes(white['rewhite_fixed'])}. Villages "
        "at risk (1–2 members) are a few dozen, and rise as former thôn trắng get their first "
        "one or two members.",
        f"2. **Implausibly high ratings in `{HIGH_RATING_DISTRICT}`**: {hh_gp}% of its TCCSĐ "
        f"good or better over 2015–2020 and {hh_top}% at rank 1 (`xuat_sac`) from 2018 "
        f"(province {prov_top}%), while its monthly and thematic meeting records are the worst "
        f"in the province. {len(xs)} of its `xuat_sac` org-years have fewer than 80% of rated "
        "members good or better "
        f"({', '.join(f'`{c}` {y}' for y, c in zip(xs['year'], xs['org_code'], strict=True))}).",
        f"3. **Admissions short of the target in {LOW_ADMISSION_YEAR}**: "
        + ", ".join(f"{y}: {adm[y]:,}" for y in years)
        + f" (target ≥ {target:,}; {MISSING_YEAR[1]} without `{MISSING_YEAR[0]}`). Published "
        "district figures are kept: `son_dong` 135 and `hiep_hoa` 195 in 2017.",
        f"4. **A district missing one year**: `{MISSING_YEAR[0]}` has no rows for "
        f"{MISSING_YEAR[1]}.",
        "5. **Mixed input levels** as listed above; the summary rows of `tp_bac_giang` and "
        "`viet_yen` cross-check exactly against their detail.",
        "",
        "Also planted: the province misses T1 (TCCSĐ good or better ≥ 90%) in 2015 and 2018 (the "
        "first year of the stricter 2018 scheme) and meets it in the other years; the 20% cap on "
        "excellent members (from 2019) is broken by "
        f"{', '.join(f'`{c}` {y}' for y, c in zip(cap['year'], cap['org_code'], strict=True))}; "
        "T2, T3a, T3b, P1, P4, P11, P15, P16 approach but do not reach 100%. Ratings follow the "
        "2014 scheme (`trong_sach_vung_manh`, `tot`, `hoan_thanh`, `yeu_kem`) for 2015–2017 and "
        "the 2018 scheme (`xuat_sac`, `tot`, `hoan_thanh`, `khong_hoan_thanh`) from 2018; about "
        "1–2% of TCCSĐ (formed during the year) are `chua_xep_loai`.",
        "",
        "**Rating model.** Stage 1 (good or better): logit = year intercept + org-type effect + "
        f"unit effect + {RATING_COEF['monthly']}·(cells_monthly/cells_total) + "
        f"{RATING_COEF['thematic']}·(cells_thematic/cells_total) "
        f"{RATING_COEF['disciplined']:+}·[members_disciplined > 0] + "
        f"{RATING_COEF['checks']}·supervision_checks + {RATING_COEF['quality']}·N(0,1) "
        "persistent TCCSĐ effect; the year intercept is set so the province hits its yearly "
        "share. A logistic fit with year and org-type effects and a `hiep_hoa` indicator "
        "recovers the slopes (attenuated slightly by the persistent effect). Remediation plans "
        "exist only for TCCSĐ rated below good. TCCSĐ with more than 20% of rated members failed "
        "are rated rank 4.",
        "",
        "## Province figures (detail aggregated + summary-only units)",
        "",
    ]
    lines += _md_table(
        ["year", "TCCSĐ", "members", "admissions", "% TCCSĐ good+", "% members good+",
         "villages", "thôn trắng", "at risk", "% heads members", "% cells monthly"],
        fig_rows,
    )
    lines += ["", "## By reporting unit (rates pooled over the years sent)", ""]
    lines += _md_table(
        ["unit", "sends", "% TCCSĐ good+", "% rank 1", "% monthly", "% thematic",
         f"% heads {years[0]}", f"% heads {years[-1]}", f"thôn trắng {years[0]}",
         f"thôn trắng {years[-1]}"],
        unit_rows,
    )
    lines += [
        "",
        "## `unit_summary` columns ← detail",
        "",
        "One row per reporting unit and year; `analysis.data.demo.summarize_detail` is the "
        "implementation (organizations by `reporting_unit`; villages and officials by the "
        "`parent_code` of their `commune_code` in `units.csv`). Villages and officials columns "
        "are empty for sector committees.",
        "",
    ]
    lines += _md_table(
        ["column", "from detail"],
        [[", ".join(f"`{c}`" for c in k.split(", ")), v] for k, v in SUMMARY_MAPPING.items()],
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    write_demo()
