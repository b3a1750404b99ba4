"""Codes against the unit list: levels, parents, communes, villages, years and mergers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from analysis.data import schema
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.rules.emit import (
    cap_of,
    cell_text,
    column_header,
    emit,
    hit_rows,
    vocabulary_label,
    vocabulary_labels,
)
from analysis.data.schema import table_frame
from analysis.data.units import (
    REPORTING_LEVELS,
    code_mapper,
    crosswalk_cycles,
    map_codes,
    merged_codes,
    unit_lookup,
)

_EXPECTED_PARENT = {
    "district": ("province",),
    "sector": ("province",),
    "commune": ("district",),
    "village": ("commune",),
}


# --------------------------------------------------------------------------------------------
# codes
# --------------------------------------------------------------------------------------------
def check_codes(tables: Any, max_per_rule: int | None = None) -> list[Finding]:
    """Codes that do not match the unit list, its levels, its years or the mergers."""
    cap = cap_of(max_per_rule)
    units = unit_lookup(tables)
    unit_rows = table_frame(tables, "units")
    level_of = units["level"]
    parent_of = units["parent_code"]
    commune_parent = units.loc[units["level"] == "commune", "parent_code"]
    merged = merged_codes(tables)
    lvl = lambda code: vocabulary_label("unit_level", code)  # noqa: E731
    out: list[Finding] = []
    hits: dict[str, list[pd.DataFrame]] = {}

    def add(rule: str, frame: pd.DataFrame) -> None:
        hits.setdefault(rule, []).append(frame)

    # ---- units ---------------------------------------------------------------------------
    u = unit_rows
    parent_level = map_codes(u["parent_code"], level_of)
    add("unknown_parent_unit", hit_rows(
        u, u["parent_code"].notna() & parent_level.isna(),
        column=column_header("units", "parent_code"), value=u["parent_code"], unit=u["code"],
        subject=u["code"]))
    add("missing_parent_unit", hit_rows(
        u, u["parent_code"].isna() & u["level"].notna() & (u["level"] != "province"),
        column=column_header("units", "parent_code"), value=u["parent_code"], unit=u["code"],
        subject=u["code"], level=u["level"]))
    wrong_parent = parent_level.notna() & _not_in(parent_level, u["level"])
    add("parent_wrong_level", hit_rows(
        u, wrong_parent, column=column_header("units", "parent_code"), value=u["parent_code"],
        unit=u["code"], subject=u["code"], level=u["level"], parent_level=parent_level))
    kind_level = map_codes(u["kind"],
        {e["code"]: e.get("level") for e in schema.vocabularies()["unit_kind"].entries})
    add("unit_kind_level_mismatch", hit_rows(
        u, kind_level.notna() & u["level"].notna() & (kind_level != u["level"]),
        column=column_header("units", "kind"),
        value=map_codes(u["kind"], vocabulary_labels("unit_kind")), unit=u["code"],
        subject=u["code"], level=u["level"], kind_level=kind_level, kind=u["kind"]))

    # ---- crosswalk: codes the unit list knows, and no merger chain that loops -----------
    cw = table_frame(tables, "crosswalk")
    for col in ("old_code", "new_code"):
        add("crosswalk_unknown_code", hit_rows(
            cw, cw[col].notna() & map_codes(cw[col], level_of).isna(),
            column=column_header("crosswalk", col), value=cw[col], year=cw["effective_year"]))
    add("crosswalk_cycle", hit_rows(
        cw, cw["old_code"].isin(crosswalk_cycles(cw)),
        column=column_header("crosswalk", "new_code"), value=cw["new_code"],
        year=cw["effective_year"], subject=cw["old_code"]))

    # ---- reporting units -----------------------------------------------------------------
    orgs = table_frame(tables, "organizations")
    summ = table_frame(tables, "unit_summary")
    villages = table_frame(tables, "villages")
    officials = table_frame(tables, "officials")
    # each code column is hashed once, then looked up in units, crosswalk … (code_mapper)
    org_unit = code_mapper(orgs["reporting_unit"])
    org_commune = code_mapper(orgs["commune_code"])
    summ_unit = code_mapper(summ["unit_code"])
    vil_commune = code_mapper(villages["commune_code"])
    vil_code = code_mapper(villages["village_code"])
    off_commune = code_mapper(officials["commune_code"])

    ru_level = org_unit(level_of)
    add("unknown_reporting_unit", hit_rows(
        orgs, orgs["reporting_unit"].notna() & ~ru_level.isin(REPORTING_LEVELS),
        column=column_header("organizations", "reporting_unit"), value=orgs["reporting_unit"],
        unit=orgs["reporting_unit"], year=orgs["year"], level=ru_level, table="organizations"))
    su_level = summ_unit(level_of)
    add("unknown_reporting_unit", hit_rows(
        summ, summ["unit_code"].notna() & su_level.isna(),
        column=column_header("unit_summary", "unit_code"), value=summ["unit_code"],
        unit=summ["unit_code"], year=summ["year"], level=su_level, table="unit_summary"))
    add("summary_unit_wrong_level", hit_rows(
        summ, su_level.notna() & ~su_level.isin(REPORTING_LEVELS),
        column=column_header("unit_summary", "unit_code"), value=summ["unit_code"],
        unit=summ["unit_code"], year=summ["year"], level=su_level))

    # ---- communes in organizations, villages, officials ----------------------------------
    v_unit = vil_commune(commune_parent)
    located = [
        ("organizations", orgs, orgs["year"], orgs["reporting_unit"], org_commune),
        ("villages", villages, villages["year"], v_unit, vil_commune),
        ("officials", officials, officials["snapshot_year"], off_commune(commune_parent),
         off_commune),
    ]
    for table, df, year, unit, lookup in located:
        code = df["commune_code"]
        level = lookup(level_of)
        header = column_header(table, "commune_code")
        add("unknown_commune", hit_rows(df, code.notna() & level.isna(), column=header, value=code,
                                     unit=unit, year=year, table=table))
        add("not_a_commune", hit_rows(df, level.notna() & (level != "commune"), column=header,
                                   value=code, unit=unit, year=year, level=level))
        effective = lookup(merged["effective_year"]).astype("Int64")
        is_merged = effective.le(year).fillna(False)
        add("merged_unit_still_reporting", hit_rows(
            df, is_merged, column=header, value=code, unit=unit, year=year,
            new_code=lookup(merged["new_code"]), effective=effective))
        first = lookup(units["first_year"]).astype("Int64")
        last = lookup(units["last_year"]).astype("Int64")
        too_early, too_late = year.lt(first).fillna(False), year.gt(last).fillna(False)
        outside = (level == "commune").fillna(False) & (too_early | too_late)
        add("commune_not_existing_in_year", hit_rows(
            df, outside & ~is_merged, column=header, value=code, unit=unit, year=year,
            first=first, last=last))
    for table, df, code, year, lookup, unit in (
        ("organizations", orgs, orgs["reporting_unit"], orgs["year"], org_unit,
         orgs["reporting_unit"]),
        ("unit_summary", summ, summ["unit_code"], summ["year"], summ_unit, summ["unit_code"]),
        ("villages", villages, villages["village_code"], villages["year"], vil_code, v_unit),
    ):
        effective = lookup(merged["effective_year"]).astype("Int64")
        is_merged = effective.le(year).fillna(False)
        add("merged_unit_still_reporting", hit_rows(
            df, is_merged, column=column_header(table, code.name), value=code, unit=unit, year=year,
            new_code=lookup(merged["new_code"]), effective=effective))

    com_parent = org_commune(commune_parent)
    add("commune_wrong_district", hit_rows(
        orgs, com_parent.notna() & orgs["reporting_unit"].notna()
        & (com_parent != orgs["reporting_unit"]),
        column=column_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], parent=com_parent,
        reporting_unit=orgs["reporting_unit"]))
    commune_types = ["xa", "phuong", "thi_tran"]
    is_commune_org = orgs["org_type"].isin(commune_types)
    add("commune_org_without_commune", hit_rows(
        orgs, is_commune_org & orgs["commune_code"].isna(),
        column=column_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
        org_type=orgs["org_type"]))
    add("commune_code_on_other_org", hit_rows(
        orgs, orgs["org_type"].notna() & ~is_commune_org & orgs["commune_code"].notna(),
        column=column_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
        org_type=orgs["org_type"]))

    # ---- villages against the unit list --------------------------------------------------
    v_level = vil_code(level_of)
    v_parent = vil_code(parent_of)
    add("unknown_village", hit_rows(
        villages, villages["village_code"].notna() & (v_level != "village").fillna(True),
        column=column_header("villages", "village_code"), value=villages["village_code"],
        unit=v_unit, year=villages["year"], level=v_level))
    add("village_wrong_commune", hit_rows(
        villages, (v_level == "village").fillna(False) & villages["commune_code"].notna()
        & (v_parent != villages["commune_code"]).fillna(True),
        column=column_header("villages", "commune_code"), value=villages["commune_code"],
        unit=v_unit, year=villages["year"], village=villages["village_code"], parent=v_parent))

    messages: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
        "unknown_parent_unit": (ERROR, lambda r: (
            f"Mã đơn vị cấp trên “{r['value']}” của đơn vị “{r['subject']}” không có trong "
            "danh mục đơn vị.")),
        "missing_parent_unit": (ERROR, lambda r: (
            f"Đơn vị “{r['subject']}” ({lvl(r['level']).lower()}) chưa ghi mã đơn vị cấp "
            "trên.")),
        "parent_wrong_level": (ERROR, lambda r: (
            f"Đơn vị “{r['subject']}” là {lvl(r['level']).lower()}, nhưng đơn vị cấp trên "
            f"“{r['value']}” là {lvl(r['parent_level']).lower()}; cấp trên phải là "
            f"{' hoặc '.join(lvl(x).lower() for x in _EXPECTED_PARENT[r['level']])}.")),
        "unit_kind_level_mismatch": (ERROR, lambda r: (
            f"Đơn vị “{r['subject']}”: loại “{r['value']}” thuộc cấp "
            f"“{lvl(r['kind_level'])}”, nhưng cột Cấp ghi “{lvl(r['level'])}”.")),
        "unknown_reporting_unit": (ERROR, lambda r: (
            f"Mã đảng bộ “{r['value']}” không có trong danh mục đơn vị (bảng Đơn vị)."
            if cell_text(r["level"]) == "" else
            f"Mã “{r['value']}” là {lvl(r['level']).lower()}, không phải đảng bộ trực thuộc "
            "Tỉnh ủy (huyện, thành phố hoặc đảng bộ khối).")),
        "summary_unit_wrong_level": (ERROR, lambda r: (
            f"Bảng Tổng hợp có dòng của “{r['value']}”, là {lvl(r['level']).lower()}; bảng này "
            "chỉ ghi đảng bộ trực thuộc Tỉnh ủy (huyện, thành phố hoặc đảng bộ khối).")),
        "unknown_commune": (ERROR, lambda r: (
            f"Mã xã “{r['value']}” không có trong danh mục đơn vị (bảng Đơn vị).")),
        "not_a_commune": (ERROR, lambda r: (
            f"Mã “{r['value']}” là {lvl(r['level']).lower()}, không phải xã, phường, thị "
            "trấn.")),
        "merged_unit_still_reporting": (ERROR, lambda r: (
            f"Đơn vị “{r['value']}” đã sáp nhập vào “{cell_text(r['new_code'])}” từ năm "
            f"{cell_text(r['effective'])}, nhưng vẫn có số liệu năm {cell_text(r['year'])} theo mã "
            "cũ.")),
        "commune_not_existing_in_year": (ERROR, lambda r: (
            f"Xã “{r['value']}” {_lifetime(r['first'], r['last'])}, nhưng dòng này là năm "
            f"{cell_text(r['year'])}.")),
        "commune_wrong_district": (ERROR, lambda r: (
            f"Xã “{r['value']}” thuộc “{r['parent']}” theo danh mục đơn vị, nhưng dòng này "
            f"ghi mã đảng bộ “{r['reporting_unit']}”.")),
        "commune_org_without_commune": (WARNING, lambda r: (
            f"TCCSĐ “{r['subject']}” là TCCSĐ "
            f"{vocabulary_label('org_type', r['org_type']).lower()} nhưng chưa ghi mã xã, "
            "phường, thị trấn; số liệu của TCCSĐ này không vào được bảng theo xã.")),
        "commune_code_on_other_org": (WARNING, lambda r: (
            f"TCCSĐ “{r['subject']}” thuộc loại hình "
            f"“{vocabulary_label('org_type', r['org_type'])}”; cột mã xã chỉ ghi với TCCSĐ xã, "
            "phường, thị trấn, nên TCCSĐ này sẽ được cộng vào số liệu của xã.")),
        "unknown_village": (ERROR, lambda r: (
            f"Mã thôn “{r['value']}” không có trong danh mục đơn vị (bảng Đơn vị)."
            if cell_text(r["level"]) == "" else
            f"Mã “{r['value']}” là {lvl(r['level']).lower()}, không phải thôn, bản, tổ dân "
            "phố.")),
        "village_wrong_commune": (ERROR, lambda r: (
            f"Thôn “{r['village']}” thuộc xã “{cell_text(r['parent'])}” theo danh mục đơn vị, "
            f"nhưng dòng này ghi mã xã “{r['value']}”.")),
        "crosswalk_unknown_code": (ERROR, lambda r: (
            f"Mã “{r['value']}” trong bảng Sáp nhập không có trong danh mục đơn vị (bảng Đơn "
            "vị).")),
        "crosswalk_cycle": (ERROR, lambda r: (
            f"Bảng Sáp nhập ghi “{r['subject']}” sáp nhập vào “{r['value']}”, nhưng theo các "
            f"dòng khác “{r['value']}” lại sáp nhập (trực tiếp hoặc qua mã khác) vào "
            f"“{r['subject']}”: các dòng này tạo thành vòng lặp, không biết mã nào còn hiệu lực. "
            "Hãy sửa lại cho đúng chiều: mã cũ → mã mới.")),
    }
    for rule, (severity, message) in messages.items():
        out += emit(hits.get(rule, []), rule, severity, message, cap)
    return out


def _not_in(parent_level: pd.Series, level: pd.Series) -> pd.Series:
    """parent level is not one the level allows (vectorised over the few level pairs)."""
    allowed = pd.Series(False, index=level.index)
    for lv, parents in _EXPECTED_PARENT.items():
        allowed |= (level == lv).fillna(False) & parent_level.isin(parents)
    has_rule = level.isin(list(_EXPECTED_PARENT))
    return has_rule & ~allowed


def _lifetime(first: Any, last: Any) -> str:
    f, la = cell_text(first), cell_text(last)
    if f and la:
        return f"chỉ có từ năm {f} đến năm {la}"
    if f:
        return f"chỉ có từ năm {f}"
    return f"chỉ có đến năm {la}"
