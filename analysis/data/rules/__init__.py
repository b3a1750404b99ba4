"""Checks across rows, tables and years: every problem a :class:`Finding`.

:func:`check_rules` runs them all; each family is a public function too, in the module of its
table family (``codes``, ``rows``, ``ratings``, ``detail``, ``years``; the findings machinery
they share is ``emit``, the rules that are data ``analysis.data.rule_config``):

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

from collections.abc import Iterable
from typing import Any

import pandas as pd

from analysis.data import schema
from analysis.data.aggregate import aggregate_detail, build_summary
from analysis.data.findings import Finding
from analysis.data.rule_config import RULES_FILE, rule_config
from analysis.data.rules.codes import check_codes
from analysis.data.rules.detail import check_rate_parts, check_summary_vs_detail
from analysis.data.rules.emit import TRUNCATED, fmt_int
from analysis.data.rules.ratings import check_period_rules, check_rating_scheme, period_rule_counts
from analysis.data.rules.rows import check_row_rules
from analysis.data.rules.years import (
    check_completeness,
    check_outliers,
    completeness_table,
    plan_or_default,
)
from analysis.data.schema import table_frame

__all__ = [
    "RULES_FILE",
    "TRUNCATED",
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


def check_rules(
    tables: Any,
    summary: pd.DataFrame | None = None,
    plan: dict[str, Any] | None = None,
    max_per_rule: int | None = None,
    detail: pd.DataFrame | None = None,
    refused: Iterable[tuple[str, str, int, str]] = (),
) -> list[Finding]:
    """Run every check of this package on the typed input tables.

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
    plan = plan_or_default(plan)
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

