"""Everything a review report needs, computed once per build and shared by every report.

:func:`compute_review` turns a validated input into a :class:`Review`: the indicators of every
unit and year, and for each assessment the progress verdicts, the funnel comparison of the
reporting units, rating integrity and the village changes. Reports only select and format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import params

REPORTING_LEVELS = ("district", "sector")


@dataclass
class AssessmentReview:
    """One assessment's results (all units)."""

    assessment: dict[str, Any]
    years: list[int]
    latest_year: int | None
    indicators: pd.DataFrame
    progress: pd.DataFrame
    funnels: pd.DataFrame
    integrity: pd.DataFrame
    village_changes: pd.DataFrame
    villages_latest: pd.DataFrame
    heads_by_commune: pd.DataFrame


@dataclass
class Review:
    """The shared results of one build.

    Attributes
    ----------
    fingerprint : str
        Short digest of the input files; printed on every report.
    source_name : str
        Input file or folder name (never a full path: reports must not leak machine paths).
    units : DataFrame
        The ``units`` table (code, name, level, parent_code, kind, …).
    reporting_units : DataFrame
        District and sector committees that appear in the data, in report order.
    province_code, province_name : str
    indicators : DataFrame
        Every indicator, unit and year (``analysis.measure.indicators``).
    findings : DataFrame
        Validation findings (``analysis.data.findings.findings_frame``).
    completeness : DataFrame
        Reporting unit × year → ``detail`` / ``summary`` / ``missing``.
    assessments : dict
        Assessment id → :class:`AssessmentReview`.
    """

    fingerprint: str
    source_name: str
    units: pd.DataFrame
    reporting_units: pd.DataFrame
    province_code: str
    province_name: str
    indicators: pd.DataFrame
    findings: pd.DataFrame
    completeness: pd.DataFrame | None
    data_years: list[int]
    assessments: dict[str, AssessmentReview] = field(default_factory=dict)

    def unit_names(self) -> dict[str, str]:
        """Unit code → Vietnamese name, the province included."""
        names = dict(zip(self.units["code"], self.units["name"], strict=False))
        names.setdefault(self.province_code, self.province_name)
        return names


def targets_by_unit(indicators: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """Target dicts for :func:`analysis.measure.progress.assess_all`, per indicator and unit.

    The indicator engine already resolved each row's target (a quota for a unit, the value for
    the province); the last row of each indicator × unit carries it.
    """
    rows = indicators.loc[indicators["target_op"].notna() & (indicators["breakdown"] == "")]
    rows = rows.sort_values("year").drop_duplicates(["indicator_id", "unit_code"], keep="last")
    out: dict[Any, dict[str, Any]] = {}
    for r in rows[
        ["indicator_id", "unit_code", "target_op", "target_value", "target_kind", "target_year"]
    ].itertuples(index=False):
        target = {"op": r.target_op, "value": float(r.target_value), "kind": r.target_kind}
        if pd.notna(r.target_year):
            target["year"] = int(r.target_year)
        out[(r.indicator_id, r.unit_code)] = target
    return out


def funnel_table(indicators: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """Funnel labels of the reporting units for every percent indicator in ``year``.

    The baseline is the province value (Σ numerators / Σ denominators of the units compared).
    """
    from analysis.measure.stats import funnel_labels

    if year is None:
        return pd.DataFrame()
    rows = indicators.loc[
        (indicators["year"] == year)
        & indicators["level"].isin(REPORTING_LEVELS)
        & (indicators["unit"] == "percent")
        & (indicators["breakdown"] == "")
        & indicators["denominator"].gt(0)
    ]
    parts = []
    for (indicator_id, polarity), group in rows.groupby(["indicator_id", "polarity"], sort=True):
        labelled = funnel_labels(group, polarity=polarity)
        labelled["indicator_id"] = indicator_id
        parts.append(labelled)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _latest_year(indicators: pd.DataFrame, years: Iterable[int]) -> int | None:
    present = set(indicators["year"].dropna().astype(int)) & set(years)
    return max(present) if present else None


def _villages_latest(tables: Mapping[str, pd.DataFrame], year: int | None) -> pd.DataFrame:
    villages = tables.get("villages")
    if villages is None or villages.empty or year is None:
        return pd.DataFrame(columns=["village_code", "commune_code", "party_members"])
    latest = villages.loc[
        villages["year"] == year,
        ["village_code", "commune_code", "party_members", "head_is_member"],
    ]
    return latest.loc[latest["party_members"].fillna(-1) <= 2].reset_index(drop=True)


def _heads_by_commune(tables: Mapping[str, pd.DataFrame], year: int | None) -> pd.DataFrame:
    villages = tables.get("villages")
    if villages is None or villages.empty or year is None:
        return pd.DataFrame(columns=["commune_code", "villages", "heads_members"])
    latest = villages.loc[villages["year"] == year]
    grouped = latest.groupby("commune_code", sort=True).agg(
        villages=("village_code", "size"),
        heads_members=("head_is_member", lambda s: int(s.fillna(False).sum())),
    )
    grouped["share"] = grouped["heads_members"] * 100.0 / grouped["villages"]
    return grouped.reset_index()


def assess(
    indicators: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame,
    assessment: dict[str, Any],
    rule_counts: pd.DataFrame | None = None,
) -> AssessmentReview:
    """Results of one assessment from the all-years indicators."""
    from analysis.data.aggregate import village_status_changes
    from analysis.measure.integrity import integrity_summary
    from analysis.measure.progress import assess_all

    data_years = [int(y) for y in assessment["data_years"]]
    shown_years = sorted(set(data_years) | {int(y) for y in assessment.get("partial_years", [])})
    ind = indicators.loc[indicators["year"].isin(shown_years)].copy()
    ind["partial_year"] = ~ind["year"].isin(data_years)
    latest = _latest_year(ind, data_years)
    # Verdicts for the units that get a report; communes are shown as values, not verdicts.
    verdict_rows = ind.loc[
        ind["year"].isin(data_years) & ind["level"].isin(("province", *REPORTING_LEVELS))
    ]
    progress = assess_all(verdict_rows, targets_by_unit(verdict_rows), assessment)

    organizations = tables.get("organizations")
    integrity = pd.DataFrame()
    if organizations is not None and not organizations.empty:
        # Bernoulli (Poisson-binomial) limits: with expected shares near 90% the Poisson
        # limits lie above the largest possible O/E and could never flag an inflated unit.
        integrity = integrity_summary(
            organizations,
            findings,
            years=data_years,
            rule_counts=rule_counts,
            distribution="bernoulli",
        )
    villages = tables.get("villages")
    changes = pd.DataFrame()
    if villages is not None and not villages.empty and latest is not None:
        changes = village_status_changes(
            villages,
            tables.get("crosswalk"),
            int(assessment["baseline_year"]),
            latest,
            units=tables.get("units"),
        )
    return AssessmentReview(
        assessment=assessment,
        years=shown_years,
        latest_year=latest,
        indicators=ind,
        progress=progress,
        funnels=funnel_table(ind, latest),
        integrity=integrity,
        village_changes=changes,
        villages_latest=_villages_latest(tables, latest),
        heads_by_commune=_heads_by_commune(tables, latest),
    )


def compute_review(validation, assessment_ids: Iterable[str] | None = None) -> Review:
    """Compute the shared results of a build from a validation result.

    Parameters
    ----------
    validation : analysis.data.validate.ValidationResult
        A result without errors (the build stops before this on errors).
    assessment_ids : iterable of str, optional
        Assessments to compute; default all of ``params/assessments.yaml``.

    Returns
    -------
    Review
    """
    from analysis.data.rules import period_rule_counts
    from analysis.measure.indicators import compute_indicators

    plan = params.plan()
    tables = validation.data.tables
    units = tables["units"].drop(columns=["_file", "_sheet", "_row"], errors="ignore")
    province_code = plan["province_code"]
    province_rows = units.loc[units["level"] == "province"]
    if not province_rows.empty:
        province_code = str(province_rows["code"].iloc[0])
    province_name = str(province_rows["name"].iloc[0]) if not province_rows.empty else province_code
    indicators = compute_indicators(validation.summary, province_code=province_code)
    reporting = units.loc[units["level"].isin(REPORTING_LEVELS)].copy()
    reporting["_order"] = reporting["level"].map({"district": 0, "sector": 1})
    reporting = reporting.sort_values(["_order", "code"]).drop(columns="_order")
    findings = validation.findings_frame()
    try:
        rule_counts = period_rule_counts(tables)
    except Exception:  # counts from the (capped) findings are the fallback
        rule_counts = None
    ids = list(assessment_ids) if assessment_ids is not None else list(params.assessments())
    review = Review(
        fingerprint=validation.data.fingerprint,
        source_name=validation.data.source.name,
        units=units,
        reporting_units=reporting.reset_index(drop=True),
        province_code=province_code,
        province_name=province_name,
        indicators=indicators,
        findings=findings,
        completeness=validation.completeness,
        data_years=sorted(int(y) for y in np.unique(indicators["year"].dropna())),
    )
    for assessment_id in ids:
        review.assessments[assessment_id] = assess(
            indicators, tables, findings, params.assessment(assessment_id), rule_counts
        )
    return review
