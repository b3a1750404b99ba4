"""Constants of the synthetic data derived from the vocabularies: positions, sector kinds,
TCCSĐ type parameters, rating trajectories and coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

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
class Voc:
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
def vocabulary_codes() -> Voc:
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
    return Voc(
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


def org_type(code: str) -> int:
    """Index of an org type code."""
    return vocabulary_codes().org_types.index(code)


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


def type_param(col: int) -> np.ndarray:
    return np.array([_TYPE_PARAMS[c][col] for c in vocabulary_codes().org_types], dtype=float)


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


def traj(name: str, years: np.ndarray) -> np.ndarray:
    base = np.asarray(_TRAJ[name], dtype=float)
    pos = (np.asarray(years) - 2015).astype(float)
    return np.interp(pos, np.arange(len(base)), base)
