"""Checks across rows, tables and years: every problem a :class:`Finding`.

:func:`check_rules` runs them all; each family is a public function too:

=============================== ============================================================
function                        rules (severity)
=============================== ============================================================
:func:`check_codes`             ``unknown_parent_unit``, ``missing_parent_unit``,
                                ``parent_wrong_level``, ``unit_kind_level_mismatch``,
                                ``unknown_reporting_unit``, ``summary_unit_wrong_level``,
                                ``unknown_commune``, ``not_a_commune``,
                                ``commune_wrong_district``, ``unknown_village``,
                                ``village_wrong_commune``, ``commune_not_existing_in_year``,
                                ``merged_unit_still_reporting``,
                                ``crosswalk_unknown_code``, ``crosswalk_cycle`` (errors);
                                ``commune_org_without_commune``,
                                ``commune_code_on_other_org`` (warnings)
:func:`check_row_rules`         the ``row_rules`` of ``rules.yaml`` (sums of columns compared
                                within a row, DHIS2 style; severity per rule)
:func:`check_rating_scheme`     ``rating_scheme_mismatch``, ``rating_scheme_mixed`` (warnings)
:func:`check_period_rules`      ``excellent_cap_20``, ``good_org_with_failed_members``,
                                ``excellent_org_low_member_quality`` (warnings)
:func:`check_summary_vs_detail` ``summary_detail_mismatch`` (error)
:func:`check_rate_parts`        ``rate_part_blank`` (warning): a rate's numerator blank and
                                its denominator filled, or the reverse (``rate_parts``)
:func:`check_completeness`      ``missing_unit_year`` (warning)
:func:`check_outliers`          ``outlier_over_time`` (warning)
=============================== ============================================================

Every check is vectorised (masks over whole columns, ``groupby``, ``merge``); Python loops
run only over the findings that are kept. At most ``max_findings_per_rule`` findings are
listed per rule (``rules.yaml``, 200); then one ``findings_truncated`` finding, of the same
severity, says how many more there are. Exact counts of the rules of the period per unit and
year, without the cap, come from :func:`period_rule_counts`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis import config
from analysis.data import schema
from analysis.data.aggregate import (
    REPORTING_LEVELS,
    aggregate_detail,
    build_summary,
    code_mapper,
    column_groups,
    map_codes,
    rate_incomplete,
    rate_parts,
    table_frame,
    unit_lookup,
)
from analysis.data.findings import ERROR, WARNING, Finding

__all__ = [
    "RULES_FILE",
    "check_codes",
    "check_completeness",
    "check_outliers",
    "check_period_rules",
    "check_rate_parts",
    "check_rating_scheme",
    "check_row_rules",
    "check_rules",
    "check_summary_vs_detail",
    "completeness_table",
    "fmt_int",
    "period_rule_counts",
    "rule_config",
]

#: The rules that are data (row rules, thresholds of the period rules and of the outliers).
RULES_FILE = config.SCHEMA_FILE.with_name("rules.yaml")
TRUNCATED = "findings_truncated"
PERIOD_RULES = ("excellent_cap_20", "good_org_with_failed_members",
                "excellent_org_low_member_quality")
_EXPECTED_PARENT = {
    "district": ("province",),
    "sector": ("province",),
    "commune": ("district",),
    "village": ("commune",),
}
_SUBJECT = {
    "organizations": ("TCCSĐ", "org_code"),
    "unit_summary": ("Đảng bộ", "unit_code"),
    "villages": ("Thôn", "village_code"),
    "officials": ("Xã", "commune_code"),
}


@cache
def rule_config() -> dict[str, Any]:
    """``rules.yaml`` as a dict."""
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def _cap(max_per_rule: int | None) -> int:
    return int(max_per_rule if max_per_rule is not None else rule_config()["max_findings_per_rule"])


# --------------------------------------------------------------------------------------------
# formatting and the findings machinery
# --------------------------------------------------------------------------------------------
def fmt_int(value: Any) -> str:
    """A whole number the Vietnamese way: ``1234567`` → ``"1.234.567"``; empty → ``""``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"{int(round(float(value))):,}".replace(",", ".")


def _fmt_pct(num: float, den: float) -> str:
    return f"{100 * num / den:.1f}".replace(".", ",") + "%" if den else "—"


def _header(table: str, column: str) -> str:
    return schema.table(table).column(column).header_vi


@cache
def _labels(vocabulary: str) -> dict[str, str]:
    return {e["code"]: e["label_vi"] for e in schema.vocabularies()[vocabulary].entries}


def _label(vocabulary: str, code: Any) -> str:
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return ""
    return _labels(vocabulary).get(code, str(code))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) and pd.isna(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Có" if value else "Không"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _int_or_none(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)


def _hits(
    df: pd.DataFrame,
    mask: Any,
    *,
    column: str = "",
    value: pd.Series | None = None,
    unit: pd.Series | None = None,
    year: pd.Series | None = None,
    **extra: Any,
) -> pd.DataFrame:
    """The rows of ``df`` where ``mask`` holds, as a frame of finding fields."""
    mask = np.asarray(pd.Series(mask, index=df.index).fillna(False), dtype=bool)
    n = int(mask.sum())
    if n == 0:  # the usual case: skip building every field of no row (most of a clean run)
        return pd.DataFrame(columns=["_file", "_sheet", "_row", "column", "value", "unit_code",
                                     "year", *extra])

    def pick(v: Any, default: Any = "") -> np.ndarray:
        if v is None:
            return np.array([default] * n, dtype=object)
        if np.isscalar(v):
            return np.array([v] * n, dtype=object)
        return pd.Series(v, index=df.index)[mask].astype(object).to_numpy()

    out: dict[str, Any] = {
        "_file": pick(df["_file"] if "_file" in df else None),
        "_sheet": pick(df["_sheet"] if "_sheet" in df else None),
        "_row": pick(df["_row"] if "_row" in df else None, None),
        "column": pick(column),
        "value": pick(value),
        "unit_code": pick(unit),
        "year": pick(year, None),
    }
    for k, v in extra.items():
        out[k] = pick(v)
    return pd.DataFrame(out)


def _emit(
    hits: pd.DataFrame | Iterable[pd.DataFrame],
    rule: str,
    severity: str,
    message: Callable[[dict[str, Any]], str],
    cap: int,
) -> list[Finding]:
    """Findings for the first ``cap`` hits (by file, sheet, row) and one for the rest."""
    if not isinstance(hits, pd.DataFrame):
        parts = [h for h in hits if len(h)]
        hits = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if hits.empty:
        return []
    total = len(hits)
    order = hits.assign(__r=pd.to_numeric(hits["_row"], errors="coerce"))
    order = order.sort_values(["_file", "_sheet", "__r"], na_position="last", kind="stable")
    found = [
        Finding(
            severity=severity,
            rule=rule,
            message=message(r),
            file=_text(r["_file"]),
            sheet=_text(r["_sheet"]),
            row=_int_or_none(r["_row"]),
            column=_text(r["column"]),
            value=_text(r["value"]),
            unit_code=_text(r["unit_code"]),
            year=_int_or_none(r["year"]),
        )
        for r in order.head(cap).to_dict("records")
    ]
    if total > cap:
        found.append(Finding(
            severity=severity,
            rule=TRUNCATED,
            message=(
                f"Còn {fmt_int(total - cap)} trường hợp tương tự (mã kiểm tra {rule}) không "
                f"liệt kê ở đây; tổng cộng {fmt_int(total)} trường hợp."
            ),
            value=str(total),
            extra={"rule": rule, "total": total, "omitted": total - cap},
        ))
    return found


def _subject(table: str, r: dict[str, Any]) -> str:
    """"TCCSĐ “o1” năm 2019" — who a row is about, to start a message."""
    noun, key = _SUBJECT[table]
    year = r.get("year")
    when = f" năm {int(year)}" if year is not None and not pd.isna(year) else ""
    return f"{noun} “{_text(r.get('subject'))}”{when}"


# --------------------------------------------------------------------------------------------
# codes
# --------------------------------------------------------------------------------------------
def _merged_codes(tables: Any) -> pd.DataFrame:
    cw = table_frame(tables, "crosswalk")
    cw = cw[cw["old_code"].notna() & cw["effective_year"].notna()]
    return cw.drop_duplicates("old_code").set_index("old_code")[["new_code", "effective_year"]]


def check_codes(tables: Any, max_per_rule: int | None = None) -> list[Finding]:
    """Codes that do not match the unit list, its levels, its years or the mergers."""
    cap = _cap(max_per_rule)
    units = unit_lookup(tables)
    unit_rows = table_frame(tables, "units")
    level_of = units["level"]
    parent_of = units["parent_code"]
    commune_parent = units.loc[units["level"] == "commune", "parent_code"]
    merged = _merged_codes(tables)
    lvl = lambda code: _label("unit_level", code)  # noqa: E731
    out: list[Finding] = []
    hits: dict[str, list[pd.DataFrame]] = {}

    def add(rule: str, frame: pd.DataFrame) -> None:
        hits.setdefault(rule, []).append(frame)

    # ---- units ---------------------------------------------------------------------------
    u = unit_rows
    parent_level = map_codes(u["parent_code"], level_of)
    add("unknown_parent_unit", _hits(
        u, u["parent_code"].notna() & parent_level.isna(), column=_header("units", "parent_code"),
        value=u["parent_code"], unit=u["code"], subject=u["code"]))
    add("missing_parent_unit", _hits(
        u, u["parent_code"].isna() & u["level"].notna() & (u["level"] != "province"),
        column=_header("units", "parent_code"), value=u["parent_code"], unit=u["code"],
        subject=u["code"], level=u["level"]))
    wrong_parent = parent_level.notna() & _not_in(parent_level, u["level"])
    add("parent_wrong_level", _hits(
        u, wrong_parent, column=_header("units", "parent_code"), value=u["parent_code"],
        unit=u["code"], subject=u["code"], level=u["level"], parent_level=parent_level))
    kind_level = map_codes(u["kind"],
        {e["code"]: e.get("level") for e in schema.vocabularies()["unit_kind"].entries})
    add("unit_kind_level_mismatch", _hits(
        u, kind_level.notna() & u["level"].notna() & (kind_level != u["level"]),
        column=_header("units", "kind"), value=map_codes(u["kind"], _labels("unit_kind")),
        unit=u["code"], subject=u["code"], level=u["level"], kind_level=kind_level,
        kind=u["kind"]))

    # ---- crosswalk: codes the unit list knows, and no merger chain that loops -----------
    cw = table_frame(tables, "crosswalk")
    for col in ("old_code", "new_code"):
        add("crosswalk_unknown_code", _hits(
            cw, cw[col].notna() & map_codes(cw[col], level_of).isna(),
            column=_header("crosswalk", col), value=cw[col], year=cw["effective_year"]))
    add("crosswalk_cycle", _hits(
        cw, cw["old_code"].isin(_crosswalk_cycles(cw)), column=_header("crosswalk", "new_code"),
        value=cw["new_code"], year=cw["effective_year"], subject=cw["old_code"]))

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
    add("unknown_reporting_unit", _hits(
        orgs, orgs["reporting_unit"].notna() & ~ru_level.isin(REPORTING_LEVELS),
        column=_header("organizations", "reporting_unit"), value=orgs["reporting_unit"],
        unit=orgs["reporting_unit"], year=orgs["year"], level=ru_level, table="organizations"))
    su_level = summ_unit(level_of)
    add("unknown_reporting_unit", _hits(
        summ, summ["unit_code"].notna() & su_level.isna(),
        column=_header("unit_summary", "unit_code"), value=summ["unit_code"],
        unit=summ["unit_code"], year=summ["year"], level=su_level, table="unit_summary"))
    add("summary_unit_wrong_level", _hits(
        summ, su_level.notna() & ~su_level.isin(REPORTING_LEVELS),
        column=_header("unit_summary", "unit_code"), value=summ["unit_code"],
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
        header = _header(table, "commune_code")
        add("unknown_commune", _hits(df, code.notna() & level.isna(), column=header, value=code,
                                     unit=unit, year=year, table=table))
        add("not_a_commune", _hits(df, level.notna() & (level != "commune"), column=header,
                                   value=code, unit=unit, year=year, level=level))
        effective = lookup(merged["effective_year"]).astype("Int64")
        is_merged = effective.le(year).fillna(False)
        add("merged_unit_still_reporting", _hits(
            df, is_merged, column=header, value=code, unit=unit, year=year,
            new_code=lookup(merged["new_code"]), effective=effective))
        first = lookup(units["first_year"]).astype("Int64")
        last = lookup(units["last_year"]).astype("Int64")
        too_early, too_late = year.lt(first).fillna(False), year.gt(last).fillna(False)
        outside = (level == "commune").fillna(False) & (too_early | too_late)
        add("commune_not_existing_in_year", _hits(
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
        add("merged_unit_still_reporting", _hits(
            df, is_merged, column=_header(table, code.name), value=code, unit=unit, year=year,
            new_code=lookup(merged["new_code"]), effective=effective))

    com_parent = org_commune(commune_parent)
    add("commune_wrong_district", _hits(
        orgs, com_parent.notna() & orgs["reporting_unit"].notna()
        & (com_parent != orgs["reporting_unit"]),
        column=_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], parent=com_parent,
        reporting_unit=orgs["reporting_unit"]))
    commune_types = ["xa", "phuong", "thi_tran"]
    is_commune_org = orgs["org_type"].isin(commune_types)
    add("commune_org_without_commune", _hits(
        orgs, is_commune_org & orgs["commune_code"].isna(),
        column=_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
        org_type=orgs["org_type"]))
    add("commune_code_on_other_org", _hits(
        orgs, orgs["org_type"].notna() & ~is_commune_org & orgs["commune_code"].notna(),
        column=_header("organizations", "commune_code"), value=orgs["commune_code"],
        unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
        org_type=orgs["org_type"]))

    # ---- villages against the unit list --------------------------------------------------
    v_level = vil_code(level_of)
    v_parent = vil_code(parent_of)
    add("unknown_village", _hits(
        villages, villages["village_code"].notna() & (v_level != "village").fillna(True),
        column=_header("villages", "village_code"), value=villages["village_code"], unit=v_unit,
        year=villages["year"], level=v_level))
    add("village_wrong_commune", _hits(
        villages, (v_level == "village").fillna(False) & villages["commune_code"].notna()
        & (v_parent != villages["commune_code"]).fillna(True),
        column=_header("villages", "commune_code"), value=villages["commune_code"], unit=v_unit,
        year=villages["year"], village=villages["village_code"], parent=v_parent))

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
            if _text(r["level"]) == "" else
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
            f"Đơn vị “{r['value']}” đã sáp nhập vào “{_text(r['new_code'])}” từ năm "
            f"{_text(r['effective'])}, nhưng vẫn có số liệu năm {_text(r['year'])} theo mã "
            "cũ.")),
        "commune_not_existing_in_year": (ERROR, lambda r: (
            f"Xã “{r['value']}” {_lifetime(r['first'], r['last'])}, nhưng dòng này là năm "
            f"{_text(r['year'])}.")),
        "commune_wrong_district": (ERROR, lambda r: (
            f"Xã “{r['value']}” thuộc “{r['parent']}” theo danh mục đơn vị, nhưng dòng này "
            f"ghi mã đảng bộ “{r['reporting_unit']}”.")),
        "commune_org_without_commune": (WARNING, lambda r: (
            f"TCCSĐ “{r['subject']}” là TCCSĐ {_label('org_type', r['org_type']).lower()} "
            "nhưng chưa ghi mã xã, phường, thị trấn; số liệu của TCCSĐ này không vào được "
            "bảng theo xã.")),
        "commune_code_on_other_org": (WARNING, lambda r: (
            f"TCCSĐ “{r['subject']}” thuộc loại hình "
            f"“{_label('org_type', r['org_type'])}”; cột mã xã chỉ ghi với TCCSĐ xã, phường, "
            "thị trấn, nên TCCSĐ này sẽ được cộng vào số liệu của xã.")),
        "unknown_village": (ERROR, lambda r: (
            f"Mã thôn “{r['value']}” không có trong danh mục đơn vị (bảng Đơn vị)."
            if _text(r["level"]) == "" else
            f"Mã “{r['value']}” là {lvl(r['level']).lower()}, không phải thôn, bản, tổ dân "
            "phố.")),
        "village_wrong_commune": (ERROR, lambda r: (
            f"Thôn “{r['village']}” thuộc xã “{_text(r['parent'])}” theo danh mục đơn vị, "
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
        out += _emit(hits.get(rule, []), rule, severity, message, cap)
    return out


def _crosswalk_cycles(cw: pd.DataFrame) -> set[str]:
    """Old codes whose merger chain (old → new → newer …) comes back to themselves.

    Loops over the crosswalk (hundreds of codes, not data rows), as
    ``aggregate._resolved_crosswalk`` does when it follows the chains.
    """
    both = cw[cw["old_code"].notna() & cw["new_code"].notna()].drop_duplicates("old_code")
    step = dict(zip(both["old_code"], both["new_code"], strict=True))
    cycles: set[str] = set()
    for old in step:
        seen = {old}
        code = step[old]
        while code in step and code not in seen:
            seen.add(code)
            code = step[code]
        if code == old:
            cycles.add(old)
    return cycles


def _not_in(parent_level: pd.Series, level: pd.Series) -> pd.Series:
    """parent level is not one the level allows (vectorised over the few level pairs)."""
    allowed = pd.Series(False, index=level.index)
    for lv, parents in _EXPECTED_PARENT.items():
        allowed |= (level == lv).fillna(False) & parent_level.isin(parents)
    has_rule = level.isin(list(_EXPECTED_PARENT))
    return has_rule & ~allowed


def _lifetime(first: Any, last: Any) -> str:
    f, la = _text(first), _text(last)
    if f and la:
        return f"chỉ có từ năm {f} đến năm {la}"
    if f:
        return f"chỉ có từ năm {f}"
    return f"chỉ có đến năm {la}"


# --------------------------------------------------------------------------------------------
# row rules (rules.yaml)
# --------------------------------------------------------------------------------------------
def _term(df: pd.DataFrame, term: Any) -> pd.Series:
    """A term of a row rule as Int64: column, whole number or ``k*column``."""
    if isinstance(term, int | np.integer):
        return pd.Series(int(term), index=df.index, dtype="Int64")
    text = str(term).replace(" ", "")
    factor = 1
    if "*" in text:
        k, text = text.split("*", 1)
        factor = int(k)
    if text.lstrip("-").isdigit():
        return pd.Series(factor * int(text), index=df.index, dtype="Int64")
    return df[text].astype("Int64") * factor


def _side(df: pd.DataFrame, terms: list[Any]) -> pd.Series:
    total = _term(df, terms[0])
    for t in terms[1:]:
        total = total + _term(df, t)
    return total


_OPS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


def _unit_of(table: str, df: pd.DataFrame, tables: Any) -> pd.Series:
    if table == "organizations":
        return df["reporting_unit"]
    if table == "unit_summary":
        return df["unit_code"]
    units = unit_lookup(tables)
    parents = units.loc[units["level"] == "commune", "parent_code"]
    return map_codes(df["commune_code"], parents)


def check_row_rules(
    tables: Any, rules: list[dict[str, Any]] | None = None, max_per_rule: int | None = None
) -> list[Finding]:
    """Check every ``row_rules`` entry of ``rules.yaml`` (or ``rules``) on its tables."""
    cap = _cap(max_per_rule)
    rules = rule_config()["row_rules"] if rules is None else rules
    hits: dict[str, list[pd.DataFrame]] = {}
    meta: dict[str, str] = {}
    frames = {t: table_frame(tables, t) for t in {t for rule in rules for t in rule["tables"]}}
    units_of: dict[str, pd.Series] = {}
    for rule in rules:
        for table in rule["tables"]:
            df = frames[table]
            if df.empty:
                continue
            left, right = _side(df, rule["left"]), _side(df, rule["right"])
            broken = ~_OPS[rule["op"]](left, right).fillna(True)
            if not broken.any():
                continue
            column = rule.get("column") or str(rule["left"][0]).split("*")[-1]
            year_col = "snapshot_year" if table == "officials" else "year"
            subject_col = _SUBJECT[table][1]
            if table not in units_of:
                units_of[table] = _unit_of(table, df, tables)
            frame = _hits(
                df, broken, column=_header(table, column), value=df[column],
                unit=units_of[table], year=df[year_col], left=left, right=right,
                subject=df[subject_col], table=table, template=rule["message_vi"],
            )
            hits.setdefault(rule["id"], []).append(frame)
            meta[rule["id"]] = rule["severity"]

    def message(r: dict[str, Any]) -> str:
        left, right = r["left"], r["right"]
        body = r["template"].format(
            left=fmt_int(left), right=fmt_int(right), diff=fmt_int(abs(int(left) - int(right))),
            column_vi=r["column"],
        )
        return f"{_subject(r['table'], r)}: {body}"

    out: list[Finding] = []
    for rule_id, frames in hits.items():
        out += _emit(frames, rule_id, meta[rule_id], message, cap)
    return out


# --------------------------------------------------------------------------------------------
# rating scheme
# --------------------------------------------------------------------------------------------
def _scheme_of_year(years: pd.Series) -> pd.Series:
    mapping = {}
    for y in years.dropna().unique():
        try:
            mapping[y] = schema.scheme_for_year(int(y))
        except ValueError:
            continue
    return map_codes(years, mapping).astype("str")


@cache
def _scheme_labels() -> dict[str, str]:
    return {s["code"]: s["label_vi"] for s in schema.rating_schemes()}


def check_rating_scheme(tables: Any, max_per_rule: int | None = None) -> list[Finding]:
    """Ratings of the other scheme than the year's, and unit-years that mix the two."""
    cap = _cap(max_per_rule)
    orgs = table_frame(tables, "organizations")
    scheme_of_rating = map_codes(orgs["rating"],
        {e["code"]: str(e["scheme"]) for e in schema.vocabularies()["org_rating"].entries}
    ).astype("str")
    specific = scheme_of_rating.notna() & (scheme_of_rating != "any")
    year_scheme = _scheme_of_year(orgs["year"])
    wrong = specific & year_scheme.notna() & (scheme_of_rating != year_scheme)
    header = _header("organizations", "rating")
    labels = _scheme_labels()
    out = _emit(
        _hits(orgs, wrong, column=header, value=map_codes(orgs["rating"], _labels("org_rating")),
              unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
              year_scheme=year_scheme, rating_scheme=scheme_of_rating),
        "rating_scheme_mismatch", WARNING,
        lambda r: (
            f"TCCSĐ “{r['subject']}”: năm {r['year']} xếp loại theo "
            f"{labels[r['year_scheme']]}; giá trị “{r['value']}” thuộc thang "
            f"{labels[r['rating_scheme']]}."
        ),
        cap,
    )

    # one warning per reporting unit-year where ratings of more than one scheme occur
    sub = orgs.loc[specific, ["reporting_unit", "year", "_file", "_sheet", "_row", "rating"]]
    sub = sub.assign(scheme=scheme_of_rating[specific])
    counts = sub.groupby(["reporting_unit", "year", "scheme"]).size().unstack(fill_value=0)
    mixed = counts[(counts > 0).sum(axis=1) > 1]
    if len(mixed):
        schemes = list(mixed.columns)
        text = mixed.apply(
            lambda row: " và ".join(f"{fmt_int(row[c])} TCCSĐ theo thang {labels[c]}"
                                    for c in schemes if row[c] > 0), axis=1)
        # the finding points at the first row of the least used scheme
        minority = mixed.where(mixed > 0).idxmin(axis=1)
        keys = pd.DataFrame({"minority": minority, "text": text}).reset_index()
        first = sub.merge(keys, on=["reporting_unit", "year"])
        first = first[first["scheme"] == first["minority"]]
        first = first.sort_values("_row", kind="stable").drop_duplicates(
            ["reporting_unit", "year"])
        out += _emit(
            _hits(first, np.ones(len(first), dtype=bool), column=header,
                  value=map_codes(first["rating"], _labels("org_rating")),
                  unit=first["reporting_unit"], year=first["year"], text=first["text"]),
            "rating_scheme_mixed", WARNING,
            lambda r: (
                f"Đảng bộ “{r['unit_code']}” năm {r['year']} dùng lẫn hai thang xếp loại: "
                f"{r['text']}."
            ),
            cap,
        )
    return out


# --------------------------------------------------------------------------------------------
# rules of the rating period
# --------------------------------------------------------------------------------------------
def _share(text: Any) -> Fraction:
    return Fraction(str(text))


def _period_masks(orgs: pd.DataFrame) -> dict[str, pd.Series]:
    """Row masks of the three rules of the period (integer arithmetic, no rounding)."""
    cfg = rule_config()["period_rules"]
    ratings = schema.vocabularies()["org_rating"].entries
    good_or_better = {e["code"] for e in ratings if e.get("good_or_better")}
    exc, good = orgs["members_excellent"], orgs["members_good"]
    failed = orgs["members_failed"]
    rated = exc + good + orgs["members_completed"] + failed

    c = cfg["excellent_cap_20"]
    cap = _share(c["max_share"])
    from_year = c.get("from_year")
    in_years = orgs["year"].ge(from_year) if from_year is not None else True
    excellent_cap = in_years & (exc * cap.denominator > good * cap.numerator)

    c = cfg["good_org_with_failed_members"]
    share = _share(c["max_share"])
    from_year = c.get("from_year")
    in_years = orgs["year"].ge(from_year) if from_year is not None else True
    good_failed = (in_years & orgs["rating"].isin(good_or_better)
                   & (failed * share.denominator > rated * share.numerator))

    c = cfg["excellent_org_low_member_quality"]
    share = _share(c["min_share"])
    low = (orgs["rating"].isin(c["ratings"]) & (rated > 0)
           & ((exc + good) * share.denominator < rated * share.numerator))
    masks = {
        "excellent_cap_20": excellent_cap,
        "good_org_with_failed_members": good_failed,
        "excellent_org_low_member_quality": low,
    }
    return {k: pd.Series(v, index=orgs.index).fillna(False).astype(bool) for k, v in masks.items()}


def check_period_rules(tables: Any, max_per_rule: int | None = None) -> list[Finding]:
    """Warnings where members' ratings sit badly with the rules of 2016–2020 (§1.2)."""
    cap = _cap(max_per_rule)
    cfg = rule_config()["period_rules"]
    orgs = table_frame(tables, "organizations")
    if orgs.empty:
        return []
    masks = _period_masks(orgs)
    rated = (orgs["members_excellent"] + orgs["members_good"] + orgs["members_completed"]
             + orgs["members_failed"])
    common = dict(unit=orgs["reporting_unit"], year=orgs["year"], subject=orgs["org_code"],
                  exc=orgs["members_excellent"], good=orgs["members_good"],
                  failed=orgs["members_failed"], rated=rated,
                  rating=map_codes(orgs["rating"], _labels("org_rating")))
    cap20 = _share(cfg["excellent_cap_20"]["max_share"])
    fail_share = _share(cfg["good_org_with_failed_members"]["max_share"])
    min_share = _share(cfg["excellent_org_low_member_quality"]["min_share"])
    out = _emit(
        _hits(orgs, masks["excellent_cap_20"], column=_header("organizations",
              "members_excellent"), value=orgs["members_excellent"], **common),
        "excellent_cap_20", cfg["excellent_cap_20"]["severity"],
        lambda r: (
            f"TCCSĐ “{r['subject']}” năm {r['year']}: {fmt_int(r['exc'])} ĐV hoàn thành xuất "
            f"sắc nhiệm vụ, vượt {_pct_text(cap20)} số ĐV hoàn thành tốt nhiệm vụ "
            f"({fmt_int(r['good'])} ĐV, tối đa {fmt_int(int(r['good']) * cap20.numerator // cap20.denominator)}) "  # noqa: E501
            "theo Hướng dẫn 21-HD/BTCTW."
        ),
        cap,
    )
    out += _emit(
        _hits(orgs, masks["good_org_with_failed_members"], column=_header("organizations",
              "members_failed"), value=orgs["members_failed"], **common),
        "good_org_with_failed_members", cfg["good_org_with_failed_members"]["severity"],
        lambda r: (
            f"TCCSĐ “{r['subject']}” năm {r['year']} xếp loại “{r['rating']}” nhưng có "
            f"{fmt_int(r['failed'])}/{fmt_int(r['rated'])} ĐV được xếp loại không hoàn thành "
            f"nhiệm vụ ({_fmt_pct(r['failed'], r['rated'])}), quá {_pct_text(fail_share)}; chi "
            f"bộ có trên {_pct_text(fail_share)} ĐV không hoàn thành nhiệm vụ thì bị xếp loại "
            "không hoàn thành nhiệm vụ."
        ),
        cap,
    )
    out += _emit(
        _hits(orgs, masks["excellent_org_low_member_quality"],
              column=_header("organizations", "rating"),
              value=map_codes(orgs["rating"], _labels("org_rating")), **common),
        "excellent_org_low_member_quality",
        cfg["excellent_org_low_member_quality"]["severity"],
        lambda r: (
            f"TCCSĐ “{r['subject']}” năm {r['year']} xếp loại “{r['rating']}” nhưng chỉ "
            f"{fmt_int(int(r['exc']) + int(r['good']))}/{fmt_int(r['rated'])} ĐV được xếp loại "
            f"({_fmt_pct(int(r['exc']) + int(r['good']), r['rated'])}) hoàn thành tốt nhiệm vụ "
            f"trở lên, dưới mức {_pct_text(min_share)} cần có."
        ),
        cap,
    )
    return out


def _pct_text(share: Fraction) -> str:
    value = 100 * share.numerator / share.denominator
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def period_rule_counts(tables: Any) -> pd.DataFrame:
    """Exact counts of the rules of the period per reporting unit and year (no cap).

    Same shape as ``analysis.measure.integrity.rule_warning_counts``: ``unit_code, year``,
    one ``Int64`` column per rule and ``rule_warnings_total``; unit-years with no hit are
    left out.
    """
    orgs = table_frame(tables, "organizations")
    columns = ["unit_code", "year", *PERIOD_RULES, "rule_warnings_total"]
    if orgs.empty:
        out = pd.DataFrame({c: pd.Series(dtype="Int64") for c in columns})
        out["unit_code"] = out["unit_code"].astype("str")
        return out
    masks = _period_masks(orgs)
    frame = pd.DataFrame({"unit_code": orgs["reporting_unit"], "year": orgs["year"],
                          **{k: masks[k].astype(np.int64) for k in PERIOD_RULES}})
    g = frame.groupby(["unit_code", "year"], sort=True).sum()
    g["rule_warnings_total"] = g[list(PERIOD_RULES)].sum(axis=1)
    g = g[g["rule_warnings_total"] > 0].astype("Int64").reset_index()
    return g[columns]


# --------------------------------------------------------------------------------------------
# summary rows against the detail
# --------------------------------------------------------------------------------------------
def check_summary_vs_detail(
    tables: Any, max_per_rule: int | None = None, detail: pd.DataFrame | None = None,
    refused: Iterable[tuple[str, str, int, str]] = (),
) -> list[Finding]:
    """Each ``unit_summary`` cell that differs from the aggregate of the unit's detail.

    Only the column groups the unit-year has detail for are compared (see
    ``analysis.data.aggregate``): a summary row's officials counts are not checked against a
    year without an officials snapshot. The message says how many TCCSĐ left the column
    blank (cells the reader refused, ``refused`` as in :func:`check_rate_parts`, have an
    error of their own and are not called blank).
    """
    cap = _cap(max_per_rule)
    summ = table_frame(tables, "unit_summary")
    summ = summ[summ["unit_code"].notna() & summ["year"].notna()]
    if summ.empty:
        return []
    detail = aggregate_detail(tables) if detail is None else detail
    detail = detail[~detail["level"].eq("commune").fillna(False)]
    if detail.empty:
        return []
    both = summ.merge(detail, on=["unit_code", "year"], suffixes=("", "__d"))
    if both.empty:
        return []
    orgs = table_frame(tables, "organizations")
    refused_at = _refused_columns(orgs, refused)
    keys = pd.MultiIndex.from_arrays([both["unit_code"].astype(object),
                                      both["year"].astype(object)])
    found = []
    for group, cols in column_groups().items():
        has = both["detail_tables"].str.contains(group, regex=False).fillna(False)
        for c in cols:
            # the full sum: rate_parts leave rows out of the summary, not of the sheet's total
            s, d = both[c], both[f"{c}__all"] if f"{c}__all" in both else both[f"{c}__d"]
            differ = has & s.notna() & d.notna() & (s != d).fillna(False)
            if differ.any():
                blank = pd.Series(0, index=both.index)
                if group == "organizations" and c in orgs.columns:  # blanks the sum skipped
                    empty = orgs[c].isna() & ~refused_at.get(c, False)
                    n = empty.groupby([orgs["reporting_unit"].astype(object),
                                                orgs["year"].astype(object)]).sum()
                    blank = pd.Series(n.reindex(keys).fillna(0).to_numpy(dtype=int),
                                      index=both.index)
                found.append(_hits(both, differ, column=_header("unit_summary", c), value=s,
                                   unit=both["unit_code"], year=both["year"], detail=d,
                                   blank=blank, org_header=_org_header(c)))

    def message(r: dict[str, Any]) -> str:
        text = (f"Bảng Tổng hợp ghi “{r['column']}” của “{r['unit_code']}” năm {r['year']} là "
                f"{fmt_int(r['value'])}, nhưng cộng từ số liệu chi tiết được "
                f"{fmt_int(r['detail'])}.")
        if r["blank"]:
            text += (f" Ở bảng TCCSĐ có {fmt_int(r['blank'])} TCCSĐ để trống ô "
                     f"«{r['org_header']}» (không được cộng): nếu là 0, hãy ghi số 0; nếu "
                     "chưa biết, hãy bổ sung.")
        return text

    return _emit(found, "summary_detail_mismatch", ERROR, message, cap)


def _org_header(column: str) -> str:
    spec = schema.table("organizations")
    return spec.column(column).header_vi if column in spec.column_names else ""


# --------------------------------------------------------------------------------------------
# rates from the detail: a blank numerator or denominator is not a 0
# --------------------------------------------------------------------------------------------
def check_rate_parts(tables: Any, max_per_rule: int | None = None,
                     refused: Iterable[tuple[str, str, int, str]] = ()) -> list[Finding]:
    """TCCSĐ rows with a rate's numerator blank and its denominator filled, or the reverse.

    ``rate_parts`` of ``rules.yaml``; :func:`analysis.data.aggregate.rate_incomplete` says which
    rows. Where the entry has ``exclude: true`` the summary leaves those rows out of the whole
    and its parts (``analysis.data.aggregate``); each finding says so and how many TCCSĐ of the
    unit and year were left out. Where ``exclude: false`` the blank part is counted as 0, and
    the finding says that.

    Parameters
    ----------
    tables : dict of DataFrame or InputData
        Typed input tables.
    max_per_rule : int, optional
        Findings listed (default ``rules.yaml`` ``max_findings_per_rule``).
    refused : iterable of (file, sheet, row, column)
        Cells the reader refused (an error of their own, read as empty): no finding says such
        a cell was left blank. ``column`` is the header as in the file (the column's code or
        its Vietnamese header); the rows still count among those left out.
    """
    cap = _cap(max_per_rule)
    orgs = table_frame(tables, "organizations")
    if orgs.empty:
        return []
    unit = _unit_of("organizations", orgs, tables)
    refused_at = _refused_columns(orgs, refused)
    frames = []
    for whole, parts, exclude in rate_parts():
        masks = rate_incomplete(orgs, whole, parts)
        if not masks:
            continue
        any_out = np.logical_or.reduce(list(masks.values()))
        if not any_out.any():
            continue
        # a row whose whole or part was refused by the reader: that error says it all
        involved = [refused_at[c] for c in (whole, *masks) if c in refused_at]
        said = np.logical_or.reduce(involved) if involved else np.zeros(len(orgs), dtype=bool)
        masks = {p: m & ~said for p, m in masks.items()}
        key = pd.DataFrame({"u": unit.astype(object), "y": orgs["year"].astype(object)})
        n_out = key.assign(o=any_out).groupby(["u", "y"], dropna=False)["o"].transform("sum")
        whole_blank = orgs[whole].isna().to_numpy(dtype=bool)
        # the part left blank: one finding per blank cell; the whole left blank: one per row,
        # naming the first part that is filled
        first_part = pd.Series("", index=orgs.index, dtype=object)
        for part, mask in reversed(list(masks.items())):
            first_part[mask & whole_blank] = _header("organizations", part)
        shown = np.logical_or.reduce(list(masks.values()))
        for part, mask in [*masks.items(), (None, shown & whole_blank)]:
            if part is not None:
                mask = mask & ~whole_blank
            if not mask.any():
                continue
            frames.append(_hits(
                orgs, mask,
                column=_header("organizations", whole if part is None else part), value="",
                unit=unit, year=orgs["year"], subject=orgs["org_code"], table="organizations",
                whole=_header("organizations", whole),
                part=first_part if part is None else _header("organizations", part),
                blank_is_whole=part is None, n_out=n_out, exclude=exclude,
            ))

    def message(r: dict[str, Any]) -> str:
        filled, blank = (r["part"], r["whole"]) if r["blank_is_whole"] else (r["whole"], r["part"])
        head = f"{_subject('organizations', r)}: ghi «{filled}» nhưng để trống «{blank}»"
        where = f"đảng bộ “{_text(r['unit_code'])}” năm {_int_or_none(r['year'])}"
        if r["exclude"]:
            return (f"{head}. TCCSĐ này không được tính vào các tỷ lệ có mẫu số «{r['whole']}» "
                    f"(cả tử số lẫn mẫu số); {where} có {fmt_int(r['n_out'])} TCCSĐ không được "
                    "tính như vậy. Nếu ô trống nghĩa là 0, hãy ghi số 0.")
        return (f"{head}. Trong tỷ lệ «{r['part']}» trên «{r['whole']}», ô trống được tính là 0 "
                f"({where} có {fmt_int(r['n_out'])} TCCSĐ như vậy). Nếu đúng là 0, hãy ghi số "
                "0; nếu chưa biết, hãy bổ sung.")

    return _emit(frames, "rate_part_blank", WARNING, message, cap)


def _refused_columns(orgs: pd.DataFrame, refused: Iterable[tuple[str, str, int, str]]
                     ) -> dict[str, np.ndarray]:
    """Column → rows of ``orgs`` whose cell in that column is among ``refused``."""
    refused = set(refused)
    if not refused or "_row" not in orgs.columns:
        return {}
    spec = schema.table("organizations")
    key = list(zip(orgs["_file"].astype(object), orgs["_sheet"].astype(object),
                   pd.to_numeric(orgs["_row"], errors="coerce"), strict=True))
    out = {}
    for c in spec.column_names:
        names = {c, spec.column(c).header_vi}
        cells = {(f, s, r) for f, s, r, col in refused if col in names}
        if cells:
            out[c] = np.array([k in cells for k in key], dtype=bool)
    return out


# --------------------------------------------------------------------------------------------
# completeness
# --------------------------------------------------------------------------------------------
def _plan(plan: dict[str, Any] | None) -> dict[str, Any]:
    if plan is None:
        from analysis import params

        plan = params.plan()
    return plan


def completeness_table(
    tables: Any, summary: pd.DataFrame | None = None, plan: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Reporting unit × year → ``detail`` / ``summary`` / ``missing``.

    Years run from the plan's ``first_year`` to the last year any unit reported (at most the
    plan's ``last_year``), so a mid-term input is not asked for years still to come. A unit
    whose ``first_year``/``last_year`` in ``units`` exclude a year is not expected that year.

    Returns
    -------
    DataFrame
        ``unit_code, name, level, year, status``, sorted by unit and year.
    """
    plan = _plan(plan)
    summary = build_summary(tables) if summary is None else summary
    units = unit_lookup(tables)
    rep = units[units["level"].isin(REPORTING_LEVELS)]
    cols = ["unit_code", "name", "level", "year", "status"]
    rep_rows = summary[summary["level"].isin(REPORTING_LEVELS)] if len(summary) else summary
    years_seen = pd.to_numeric(rep_rows["year"], errors="coerce").dropna() if len(
        rep_rows) else pd.Series(dtype=float)
    first = int(plan.get("first_year", years_seen.min() if len(years_seen) else 0))
    last_plan = int(plan.get("last_year", years_seen.max() if len(years_seen) else first))
    last = min(last_plan, int(years_seen.max())) if len(years_seen) else last_plan
    if rep.empty or last < first:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
        out["year"] = out["year"].astype("Int64")
        return out
    grid = pd.MultiIndex.from_product([rep.index, range(first, last + 1)],
                                      names=["unit_code", "year"]).to_frame(index=False)
    grid["year"] = grid["year"].astype("Int64")
    f_year = grid["unit_code"].map(rep["first_year"]).astype("Int64")
    l_year = grid["unit_code"].map(rep["last_year"]).astype("Int64")
    alive = ~(grid["year"].lt(f_year).fillna(False) | grid["year"].gt(l_year).fillna(False))
    grid = grid[alive]
    got = rep_rows[["unit_code", "year", "source"]].drop_duplicates(["unit_code", "year"])
    got = got.assign(year=got["year"].astype("Int64"), unit_code=got["unit_code"].astype("str"))
    grid = grid.merge(got, on=["unit_code", "year"], how="left")
    grid["status"] = grid["source"].fillna("missing").astype("str")
    grid["name"] = grid["unit_code"].map(rep["name"]).astype("str")
    grid["level"] = grid["unit_code"].map(rep["level"]).astype("str")
    return grid[cols].sort_values(["unit_code", "year"]).reset_index(drop=True)


def check_completeness(
    tables: Any,
    summary: pd.DataFrame | None = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
) -> list[Finding]:
    """A ``missing_unit_year`` warning per reporting unit-year without any data."""
    table = completeness_table(tables, summary, plan)
    missing = table[table["status"] == "missing"]
    # point at the summary sheet, where a missing unit-year would be added
    summ = table_frame(tables, "unit_summary")
    sheet = schema.table("unit_summary").title_vi
    file, sheet_name = ("", sheet) if summ.empty else (summ["_file"].iloc[0],
                                                       summ["_sheet"].iloc[0])
    hits = _hits(missing.assign(_file=file, _sheet=sheet_name, _row=pd.NA),
                 np.ones(len(missing), bool), unit=missing["unit_code"], year=missing["year"],
                 name=missing["name"])
    looked = _looked_in(tables) if len(missing) else ""
    return _emit(
        hits, "missing_unit_year", WARNING,
        lambda r: (
            f"Đơn vị {_text(r['name']) or r['unit_code']} ({r['unit_code']}) không có số liệu "
            f"năm {r['year']}: không có số liệu chi tiết, cũng không có dòng trong bảng "
            f"{sheet}. {looked}"
        ),
        _cap(max_per_rule),
    )


def _looked_in(tables: Any) -> str:
    """Where the reader found the tables a reporting unit's year comes from, as a sentence:
    "Đã tìm trong: bảng «TCCSĐ» của tệp «a.xlsx»; …" (or that a table was found nowhere)."""
    found, absent = [], []
    for name in ("organizations", "unit_summary"):
        title = schema.table(name).title_vi
        frame = table_frame(tables, name)
        if frame.empty or "_file" not in frame.columns:
            absent.append(f"«{title}»")
            continue
        places = frame[["_file", "_sheet"]].astype(str).drop_duplicates()
        found += [f"bảng «{sh}» của tệp «{f}»" if sh != name else f"tệp «{f}»"
                  for f, sh in places.itertuples(index=False)]
    if len(found) > 6:  # one folder per year: the first few, and how many more
        found = [*found[:5], f"và {fmt_int(len(found) - 5)} tệp, bảng khác"]
    out = f"Đã tìm trong: {'; '.join(found)}." if found else ""
    if absent:
        out += (f" Không tìm thấy bảng {' hay '.join(absent)} có số liệu (bảng có thể bị đặt "
                "tên khác, hoặc số liệu nằm ở bảng khác: xem các cảnh báo về bảng không được "
                "đọc).")
    return out.strip()


# --------------------------------------------------------------------------------------------
# consistency over time
# --------------------------------------------------------------------------------------------
def check_outliers(
    summary: pd.DataFrame,
    tables: Any = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
) -> list[Finding]:
    """Years of a reporting unit far from the unit's other years (WHO DQR consistency).

    For each reporting unit and each count of ``rules.yaml`` ``outliers.columns``, each year
    *x* is compared with the unit's other years (at least ``min_other_years`` of them):

    - modified z-score ``|0.6745·(x − m)/MAD| > z_limit`` where *m* and MAD are the median and
      the median absolute deviation of the other years (when MAD = 0, as when the other years
      are nearly all equal, the usual fallback ``|x − m|/(1.2533·meanAD)``), and the gap is
      material: ``|x − m|`` above both ``z_min_relative · m`` (20 %) and
      ``z_min_poisson · √m`` (3 √m, the chance variation of a count). With five other years
      the MAD is small and noisy: without these floors a 6–10 % wobble of a large count, or
      a count of villages without members falling 8, 6, 3 → 0 as the resolution wants, is
      "3.5 MADs". The test is after typing errors (an extra digit, a lost one, a stray zero);
    - or, when the reference *m* is at least ``ratio_min_level``,
      ``|x − m| > ratio_limit · m``.

    The reference of the second test is the median of the other years, not their mean: with
    one wrong year among four, the mean of the others of every *good* year includes the wrong
    one and would flag them all. With two other years, median and mean are the same.
    Partial years (``plan["partial_years"]``) are left out on both sides. The finding gives
    the range of values neither test would flag and the other years' values.
    """
    cfg = rule_config()["outliers"]
    plan = plan or {}
    if summary is None or summary.empty:
        return []
    s = summary[summary["level"].isin(REPORTING_LEVELS)]
    partial = [int(y) for y in plan.get("partial_years", []) or []]
    s = s[~s["year"].isin(partial)]
    if s.empty:
        return []
    z_limit = float(cfg["z_limit"])
    ratio = float(_share(cfg["ratio_limit"]))
    min_level = float(cfg["ratio_min_level"])
    min_other = int(cfg["min_other_years"])
    if s["year"].nunique() <= min_other:  # no unit-year can have enough other years
        return []
    min_relative = float(_share(cfg.get("z_min_relative", 0)))
    poisson_k = float(cfg.get("z_min_poisson", 0))
    summ_rows = table_frame(tables, "unit_summary") if tables is not None else None
    units = unit_lookup(tables) if tables is not None else None
    found = []
    for col in cfg["columns"]:
        if col not in s.columns:
            continue
        wide = s.pivot_table(index="unit_code", columns="year", values=col, aggfunc="first")
        if wide.empty:
            continue
        x_all = wide.to_numpy(dtype=float, na_value=np.nan)
        years = [int(y) for y in wide.columns]
        for j, year in enumerate(years):
            others = x_all.copy()
            others[:, j] = np.nan
            x = x_all[:, j]
            n_other = (~np.isnan(others)).sum(axis=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(others, axis=1)
                dev = np.abs(others - med[:, None])
                mad = np.nanmedian(dev, axis=1)
                mean_ad = np.nanmean(dev, axis=1)
            ok = ~np.isnan(x) & (n_other >= min_other)
            # spread of the other years: MAD/0.6745, or 1.2533·meanAD when MAD = 0
            scale = np.where(mad > 0, mad / 0.6745, 1.253314 * mean_ad)
            gap = np.abs(x - med)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0),
                             np.where(gap > 0, np.inf, 0.0))
            floor = np.maximum(min_relative * np.abs(med),
                               poisson_k * np.sqrt(np.maximum(med, 1.0)))
            flag_z = ok & (z > z_limit) & (gap > floor)
            level_ok = ok & (med >= min_level)
            flag_r = level_ok & (np.abs(x - med) > ratio * med)
            flag = flag_z | flag_r
            if not flag.any():
                continue
            half_z = np.where(ok, np.maximum(z_limit * scale, floor), np.inf)
            half_r = np.where(level_ok, ratio * med, np.inf)
            half = np.minimum(half_z, half_r)
            lo = np.maximum(np.ceil(med - half), 0)
            hi = np.floor(med + half)
            idx = np.flatnonzero(flag)
            codes = wide.index.to_numpy()[idx]
            other_text = [
                "; ".join(f"{y}: {fmt_int(v)}" for y, v in zip(years, others[i], strict=True)
                          if not np.isnan(v))
                for i in idx
            ]
            frame = pd.DataFrame({
                "unit_code": codes, "year": year, "value": [fmt_int(v) for v in x[idx]],
                "lo": lo[idx], "hi": hi[idx], "others": other_text,
                "column": _header("unit_summary", col),
            })
            found.append(frame)
    if not found:
        return []
    hits = pd.concat(found, ignore_index=True)
    # provenance: the unit_summary row when the unit-year came from it
    src = s[["unit_code", "year", "source"]].assign(year=s["year"].astype("Int64"))
    hits = hits.assign(year=hits["year"].astype("Int64")).merge(src, on=["unit_code", "year"],
                                                                how="left")
    if summ_rows is not None and len(summ_rows):
        prov = summ_rows[["unit_code", "year", "_file", "_sheet", "_row"]].drop_duplicates(
            ["unit_code", "year"])
        hits = hits.merge(prov, on=["unit_code", "year"], how="left")
        from_detail = hits["source"].eq("detail").fillna(False)
        for c in ("_file", "_sheet"):
            hits[c] = hits[c].astype("str").where(~from_detail, "")
        hits["_row"] = hits["_row"].astype("Int64").where(~from_detail)
    else:
        hits["_file"], hits["_sheet"], hits["_row"] = "", "", pd.NA
    names = units["name"] if units is not None else pd.Series(dtype="str")
    hits["name"] = hits["unit_code"].map(names)

    def message(r: dict[str, Any]) -> str:
        name = _text(r["name"])
        who = f"{name} ({r['unit_code']})" if name else r["unit_code"]
        how = " (cộng từ số liệu chi tiết)" if r.get("source") == "detail" else ""
        return (
            f"Đơn vị {who}: “{r['column']}” năm {r['year']} là {r['value']}{how}, khác thường "
            f"so với các năm khác của đơn vị (khoảng dự kiến {fmt_int(r['lo'])}–"
            f"{fmt_int(r['hi'])}; các năm khác: {r['others']}). Đề nghị kiểm tra lại số liệu."
        )

    return _emit(hits, "outlier_over_time", cfg["severity"], message, _cap(max_per_rule))


# --------------------------------------------------------------------------------------------
# everything
# --------------------------------------------------------------------------------------------
def check_rules(
    tables: Any,
    summary: pd.DataFrame | None = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
    detail: pd.DataFrame | None = None,
    refused: Iterable[tuple[str, str, int, str]] = (),
) -> list[Finding]:
    """Run every check of this module on the typed input tables.

    Parameters
    ----------
    tables : dict of DataFrame or InputData
        Typed tables (``analysis.data.intake``).
    summary : DataFrame, optional
        ``build_summary(tables)``, computed when not given.
    plan : dict, optional
        ``params.plan()`` (``first_year``, ``last_year``; optional ``partial_years``), loaded
        when not given.
    max_per_rule : int, optional
        Findings listed per rule (default ``rules.yaml`` ``max_findings_per_rule``).
    detail : DataFrame, optional
        ``aggregate_detail(tables)`` when the caller has it already (validation does).
    refused : iterable of (file, sheet, row, column)
        Cells the reader refused with an error (:func:`check_rate_parts` does not call them
        blank too).
    """
    plan = _plan(plan)
    typed = {name: table_frame(tables, name) for name in schema.tables()}
    detail = aggregate_detail(typed) if detail is None else detail
    summary = build_summary(typed, detail=detail) if summary is None else summary
    out: list[Finding] = []
    out += check_codes(typed, max_per_rule)
    out += check_row_rules(typed, max_per_rule=max_per_rule)
    out += check_rating_scheme(typed, max_per_rule)
    out += check_period_rules(typed, max_per_rule)
    out += check_summary_vs_detail(typed, max_per_rule, detail=detail, refused=refused)
    out += check_rate_parts(typed, max_per_rule, refused=refused)
    out += check_completeness(typed, summary, plan, max_per_rule)
    out += check_outliers(summary, typed, plan, max_per_rule)
    return out
