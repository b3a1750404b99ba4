"""Detail → ``unit_summary``: :func:`summarize_detail`, so that a unit that sends only summary
rows gets exactly what its detail would have given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.synthetic.helpers import ints
from analysis.data.synthetic.vocab import vocabulary_codes

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
    voc = vocabulary_codes()
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
            cols[col.name] = ints(np.where(ok, values, 0).astype(np.int64), ok)
    return pd.DataFrame(cols)
