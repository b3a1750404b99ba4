"""Ratings of the organizations: the rating scheme of each year, and the rules of the period."""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.findings import WARNING, Finding
from analysis.data.rule_config import as_fraction, rule_config
from analysis.data.rules.emit import (
    cap_of,
    column_header,
    emit,
    fmt_int,
    fmt_pct,
    hit_rows,
    vocabulary_labels,
)
from analysis.data.schema import table_frame
from analysis.data.units import map_codes

PERIOD_RULES = ("excellent_cap_20", "good_org_with_failed_members",
                "excellent_org_low_member_quality")


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
    cap = cap_of(max_per_rule)
    orgs = table_frame(tables, "organizations")
    scheme_of_rating = map_codes(orgs["rating"],
        {e["code"]: str(e["scheme"]) for e in schema.vocabularies()["org_rating"].entries}
    ).astype("str")
    specific = scheme_of_rating.notna() & (scheme_of_rating != "any")
    year_scheme = _scheme_of_year(orgs["year"])
    wrong = specific & year_scheme.notna() & (scheme_of_rating != year_scheme)
    header = column_header("organizations", "rating")
    labels = _scheme_labels()
    out = emit(
        hit_rows(orgs, wrong, column=header,
                 value=map_codes(orgs["rating"], vocabulary_labels("org_rating")),
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
        out += emit(
            hit_rows(first, np.ones(len(first), dtype=bool), column=header,
                  value=map_codes(first["rating"], vocabulary_labels("org_rating")),
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
def _period_masks(orgs: pd.DataFrame) -> dict[str, pd.Series]:
    """Row masks of the three rules of the period (integer arithmetic, no rounding)."""
    cfg = rule_config()["period_rules"]
    ratings = schema.vocabularies()["org_rating"].entries
    good_or_better = {e["code"] for e in ratings if e.get("good_or_better")}
    exc, good = orgs["members_excellent"], orgs["members_good"]
    failed = orgs["members_failed"]
    rated = exc + good + orgs["members_completed"] + failed

    c = cfg["excellent_cap_20"]
    cap = as_fraction(c["max_share"])
    from_year = c.get("from_year")
    in_years = orgs["year"].ge(from_year) if from_year is not None else True
    excellent_cap = in_years & (exc * cap.denominator > good * cap.numerator)

    c = cfg["good_org_with_failed_members"]
    share = as_fraction(c["max_share"])
    from_year = c.get("from_year")
    in_years = orgs["year"].ge(from_year) if from_year is not None else True
    good_failed = (in_years & orgs["rating"].isin(good_or_better)
                   & (failed * share.denominator > rated * share.numerator))

    c = cfg["excellent_org_low_member_quality"]
    share = as_fraction(c["min_share"])
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
    cap = cap_of(max_per_rule)
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
                  rating=map_codes(orgs["rating"], vocabulary_labels("org_rating")))
    cap20 = as_fraction(cfg["excellent_cap_20"]["max_share"])
    fail_share = as_fraction(cfg["good_org_with_failed_members"]["max_share"])
    min_share = as_fraction(cfg["excellent_org_low_member_quality"]["min_share"])
    out = emit(
        hit_rows(orgs, masks["excellent_cap_20"], column=column_header("organizations",
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
    out += emit(
        hit_rows(orgs, masks["good_org_with_failed_members"], column=column_header("organizations",
              "members_failed"), value=orgs["members_failed"], **common),
        "good_org_with_failed_members", cfg["good_org_with_failed_members"]["severity"],
        lambda r: (
            f"TCCSĐ “{r['subject']}” năm {r['year']} xếp loại “{r['rating']}” nhưng có "
            f"{fmt_int(r['failed'])}/{fmt_int(r['rated'])} ĐV được xếp loại không hoàn thành "
            f"nhiệm vụ ({fmt_pct(r['failed'], r['rated'])}), quá {_pct_text(fail_share)}; chi "
            f"bộ có trên {_pct_text(fail_share)} ĐV không hoàn thành nhiệm vụ thì bị xếp loại "
            "không hoàn thành nhiệm vụ."
        ),
        cap,
    )
    out += emit(
        hit_rows(orgs, masks["excellent_org_low_member_quality"],
              column=column_header("organizations", "rating"),
              value=map_codes(orgs["rating"], vocabulary_labels("org_rating")), **common),
        "excellent_org_low_member_quality",
        cfg["excellent_org_low_member_quality"]["severity"],
        lambda r: (
            f"TCCSĐ “{r['subject']}” năm {r['year']} xếp loại “{r['rating']}” nhưng chỉ "
            f"{fmt_int(int(r['exc']) + int(r['good']))}/{fmt_int(r['rated'])} ĐV được xếp loại "
            f"({fmt_pct(int(r['exc']) + int(r['good']), r['rated'])}) hoàn thành tốt nhiệm vụ "
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
