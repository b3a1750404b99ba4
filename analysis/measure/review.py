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
from analysis.data.rules import period_rule_counts
from analysis.data.units import REPORTING_LEVELS
from analysis.data.villages import village_status_changes
from analysis.measure.catalogue import load_catalogue
from analysis.measure.indicators import compute_indicators, headline_mask, headline_rows
from analysis.measure.integrity import integrity_summary
from analysis.measure.progress import assess_all
from analysis.measure.stats import funnel_labels


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
    #: Indicator × unit → ``trend_direction`` over the assessment's FULL data years only (the
    #: partial reference year, e.g. 2020 in the final review, never sets an arrow).
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)


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
    #: Rating and size counts per reporting unit × year (``summary`` columns ``orgs_*`` and
    #: ``members_*`` of :data:`RATING_COLUMNS`), for the appendix tables of ratings by level.
    ratings: pd.DataFrame | None = None
    #: Units sending both summary and detail: ``unit_code, year, compared, differing`` cells
    #: (:func:`analysis.data.crosscheck.crosscheck_table`); None where not computed.
    crosscheck: pd.DataFrame | None = None
    #: National review only: unit code → province code, for the units named in
    #: ``completeness`` and ``findings`` (coverage and warnings counted per province).
    unit_provinces: dict[str, str] = field(default_factory=dict)

    def unit_names(self) -> dict[str, str]:
        """Unit code → Vietnamese name, the province included."""
        names = dict(zip(self.units["code"], self.units["name"], strict=False))
        names.setdefault(self.province_code, self.province_name)
        return names

    #: A one-province Review; :class:`CountryReview` says True.
    is_country = False

    def review_for(self, unit_code: str) -> Review:
        """The Review whose report covers ``unit_code``: this one (see CountryReview)."""
        return self


def targets_by_unit(indicators: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """Target dicts for :func:`analysis.measure.progress.assess_all`, per indicator and unit.

    The indicator engine already resolved each row's target (a quota for a unit, the value for
    the province); the last row of each indicator × unit carries it.
    """
    rows = indicators.loc[indicators["target_op"].notna() & headline_mask(indicators)]
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


def funnel_table(
    indicators: pd.DataFrame,
    year: int | None,
    levels: Iterable[str] = REPORTING_LEVELS,
) -> pd.DataFrame:
    """Funnel labels of the reporting units for every percent indicator in ``year``.

    The baseline is the province value (Σ numerators / Σ denominators of the units compared).
    ``levels`` are the levels compared: districts and sectors in a province, provinces in the
    national review.
    """

    if year is None:
        return pd.DataFrame()
    rows = indicators.loc[
        (indicators["year"] == year)
        & indicators["level"].isin(list(levels))
        & (indicators["unit"] == "percent")
        & headline_mask(indicators)
        & indicators["denominator"].gt(0)
    ]
    parts = []
    for (indicator_id, polarity), group in rows.groupby(["indicator_id", "polarity"], sort=True):
        labelled = funnel_labels(group, polarity=polarity)
        labelled["indicator_id"] = indicator_id
        parts.append(labelled)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def trend_directions(
    indicators: pd.DataFrame, data_years: Iterable[int], levels: Iterable[str] | None = None
) -> pd.DataFrame:
    """Direction of every indicator × unit over the full data years: the sign of the last
    full year's value minus the first's.

    Parameters
    ----------
    indicators : DataFrame
        Indicator rows (``indicator_id, unit_code, year, value``, optionally ``breakdown``
        and ``level``).
    data_years : iterable of int
        The assessment's full years; other years (a partial year) are ignored.
    levels : iterable of str, optional
        Keep only rows of these levels (default: every row).

    Returns
    -------
    DataFrame
        ``indicator_id, unit_code, trend_direction`` ("increasing" | "decreasing" |
        "no_change"); units with fewer than two full years are left out.
    """
    cols = ["indicator_id", "unit_code", "trend_direction"]
    rows = indicators.loc[indicators["year"].isin([int(y) for y in data_years])]
    rows = headline_rows(rows)
    if levels is not None and "level" in rows.columns:
        rows = rows.loc[rows["level"].isin(list(levels))]
    rows = rows.loc[pd.to_numeric(rows["value"], errors="coerce").notna()]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.sort_values(["indicator_id", "unit_code", "year"], kind="stable")
    grouped = rows.groupby(["indicator_id", "unit_code"], sort=False)["value"]
    ends = grouped.agg(first="first", last="last", n="size").reset_index()
    ends = ends.loc[ends["n"] > 1]
    change = pd.to_numeric(ends["last"]) - pd.to_numeric(ends["first"])
    ends["trend_direction"] = np.select(
        [change > 1e-12, change < -1e-12], ["increasing", "decreasing"], "no_change"
    )
    return ends[cols].reset_index(drop=True)


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
    *,
    total_level: str = "province",
    reporting_levels: Iterable[str] = REPORTING_LEVELS,
) -> AssessmentReview:
    """Results of one assessment from the all-years indicators.

    ``total_level`` and ``reporting_levels`` name the rows that get verdicts and the rows
    compared on the funnels: the province and its districts and sectors by default; the
    nation and its provinces in the national review (which has no TCCSĐ or village detail,
    so its integrity and village frames are empty).
    """

    data_years = [int(y) for y in assessment["data_years"]]
    shown_years = sorted(set(data_years) | {int(y) for y in assessment.get("partial_years", [])})
    ind = indicators.loc[indicators["year"].isin(shown_years)].copy()
    ind["partial_year"] = ~ind["year"].isin(data_years)
    latest = _latest_year(ind, data_years)
    # Verdicts for the units that get a report; communes are shown as values, not verdicts.
    reporting_levels = tuple(reporting_levels)
    verdict_rows = ind.loc[
        ind["year"].isin(data_years) & ind["level"].isin((total_level, *reporting_levels))
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
        funnels=funnel_table(ind, latest, reporting_levels),
        integrity=integrity,
        village_changes=changes,
        villages_latest=_villages_latest(tables, latest),
        heads_by_commune=_heads_by_commune(tables, latest),
        trends=trend_directions(ind, data_years, (total_level, *reporting_levels)),
    )


#: Summary columns kept on the Review: the size of each Đảng bộ and its ratings by level.
RATING_COLUMNS = tuple(
    f"{who}_{what}"
    for who in ("orgs", "members")
    for what in ("total", "not_rated", "excellent", "good", "completed", "failed")
)


def rating_counts(summary: pd.DataFrame | None) -> pd.DataFrame | None:
    """The reporting units' rows of ``summary`` with :data:`RATING_COLUMNS` (None if absent)."""
    if summary is None or summary.empty or "level" not in summary.columns:
        return None
    keep = [c for c in ("unit_code", "level", "year", *RATING_COLUMNS) if c in summary.columns]
    rows = summary.loc[summary["level"].isin(REPORTING_LEVELS), keep]
    return rows.reset_index(drop=True)


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
        One province (the first ``province`` row of the units table); for an input with
        several provinces use :func:`compute_country_review` (or :func:`compute_build_review`).
    """

    plan = params.plan()
    tables = validation.data.tables
    units = tables["units"].drop(columns=["_file", "_sheet", "_row"], errors="ignore")
    province_code = plan["province_code"]
    province_rows = units.loc[units["level"] == "province"]
    if not province_rows.empty:
        province_code = str(province_rows["code"].iloc[0])
    province_name = str(province_rows["name"].iloc[0]) if not province_rows.empty else province_code
    try:
        rule_counts = period_rule_counts(tables)
    except Exception:  # counts from the (capped) findings are the fallback
        rule_counts = None
    review = _scope_review(
        fingerprint=validation.data.fingerprint,
        source_name=validation.data.source.name,
        units=units,
        summary=validation.summary,
        tables=tables,
        findings=validation.findings_frame(),
        completeness=validation.completeness,
        rule_counts=rule_counts,
        province_code=province_code,
        province_name=province_name,
        assessment_ids=assessment_ids,
    )
    review.crosscheck = getattr(validation, "crosscheck", None)
    return review


def _scope_review(
    *,
    fingerprint: str,
    source_name: str,
    units: pd.DataFrame,
    summary: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    findings: pd.DataFrame,
    completeness: pd.DataFrame | None,
    rule_counts: pd.DataFrame | None,
    province_code: str,
    province_name: str,
    assessment_ids: Iterable[str] | None,
) -> Review:
    """The Review of one province from its own units, summary rows and detail tables."""

    indicators = compute_indicators(summary, province_code=province_code)
    reporting = units.loc[units["level"].isin(REPORTING_LEVELS)].copy()
    reporting["_order"] = reporting["level"].map({"district": 0, "sector": 1})
    reporting = reporting.sort_values(["_order", "code"]).drop(columns="_order")
    ids = list(assessment_ids) if assessment_ids is not None else list(params.assessments())
    review = Review(
        fingerprint=fingerprint,
        source_name=source_name,
        units=units,
        reporting_units=reporting.reset_index(drop=True),
        province_code=province_code,
        province_name=province_name,
        indicators=indicators,
        findings=findings,
        completeness=completeness,
        data_years=sorted(int(y) for y in np.unique(indicators["year"].dropna())),
        ratings=rating_counts(summary),
    )
    for assessment_id in ids:
        review.assessments[assessment_id] = assess(
            indicators, tables, findings, params.assessment(assessment_id), rule_counts
        )
    return review


# --------------------------------------------------------------------------------------------
# A country: one Review per province, and a national Review whose reporting units are the
# provinces
# --------------------------------------------------------------------------------------------

#: The column that ties each input table's rows to a unit (and so to a province).
TABLE_UNIT_COLUMNS = {
    "units": "code",
    "crosswalk": "old_code",
    "organizations": "reporting_unit",
    "villages": "commune_code",
    "officials": "commune_code",
    "unit_summary": "unit_code",
}
NATIONAL_LEVEL = "national"


@dataclass
class CountryReview:
    """The shared results of a build over several provinces.

    Each province has its own :class:`Review`, computed exactly as for a one-province input
    (its total is Σ numerators / Σ denominators over its own units, its integrity model and
    funnels use its own units only). The national :class:`Review` has the provinces as its
    reporting units (rows of level ``province``) and the nation as its total (level
    ``national``, Σ over every province). Each Review is pickled on its own, so a report
    loads only its province's (or the national) bundle.

    Attributes
    ----------
    national : Review
    provinces : dict
        Province code → :class:`Review`, in code order.
    """

    national: Review
    provinces: dict[str, Review]
    is_country = True

    @property
    def fingerprint(self) -> str:
        return self.national.fingerprint

    @property
    def source_name(self) -> str:
        return self.national.source_name

    @property
    def province_code(self) -> str:
        """The national code (the total of the national review)."""
        return self.national.province_code

    def unit_names(self) -> dict[str, str]:
        """Unit code → name over every province, the nation included."""
        names = self.national.unit_names()
        for review in self.provinces.values():
            names.update(review.unit_names())
        return names

    def province_of(self, unit_code: str) -> str | None:
        """The province of a reporting unit or province (``None`` for the national code)."""
        if unit_code in self.provinces:
            return unit_code
        owner = self.__dict__.get("_owner")
        if owner is None:
            owner = {
                str(u): code
                for code, review in self.provinces.items()
                for u in review.reporting_units["code"]
            }
            self.__dict__["_owner"] = owner
        return owner.get(unit_code)

    def review_for(self, unit_code: str) -> Review:
        """The Review whose report covers ``unit_code`` (its province's, or the national)."""
        province = self.province_of(unit_code)
        return self.national if province is None else self.provinces[province]

    def scopes(self) -> dict[str | None, Review]:
        """``None`` → the national Review, then province code → Review."""
        return {None: self.national, **self.provinces}

    @property
    def indicators(self) -> pd.DataFrame:
        """Every indicator row of every province, then the national rows."""
        national = self.national.indicators
        return pd.concat(
            [*(r.indicators for r in self.provinces.values()),
             national.loc[national["level"] == NATIONAL_LEVEL]],
            ignore_index=True,
        )

    def progress(self, assessment_id: str) -> pd.DataFrame:
        """Verdicts of one assessment: every province's units and total, then the nation."""
        national = self.national.assessments[assessment_id].progress
        parts = [r.assessments[assessment_id].progress for r in self.provinces.values()]
        if not national.empty and "unit_code" in national.columns:
            parts.append(national.loc[national["unit_code"] == self.national.province_code])
        return pd.concat(parts, ignore_index=True)


def is_country(units: pd.DataFrame) -> bool:
    """Whether a units table holds more than one province."""
    return int((units["level"] == "province").sum()) > 1


def province_of_units(units: pd.DataFrame) -> pd.Series:
    """Unit code → code of its province (following ``parent_code`` up; NA if none)."""
    code = units["code"].astype(str)
    parent = dict(zip(code, units["parent_code"].astype(object), strict=False))
    provinces = set(code[units["level"] == "province"])
    owner = pd.Series(np.where(units["level"] == "province", code, units["parent_code"]),
                      index=code.to_numpy(), dtype=object)
    for _ in range(5):  # village → commune → district → province, with room to spare
        climb = owner.notna() & ~owner.isin(provinces)
        if not climb.any():
            break
        owner[climb] = owner[climb].map(parent)
    return owner.where(owner.isin(provinces))


def _split_by_province(
    frame: pd.DataFrame | None, column: str, owner: pd.Series, provinces: list[str]
) -> dict[str, pd.DataFrame]:
    """Rows of ``frame`` per province (every province present, possibly empty)."""
    if frame is None or column not in getattr(frame, "columns", ()):
        return {p: frame for p in provinces}
    key = frame[column].astype(object).map(owner)
    groups = dict(iter(frame.groupby(key, sort=False, observed=True)))
    return {p: groups.get(p, frame.iloc[0:0]) for p in provinces}


def national_targets(n_provinces: int) -> dict[str, Any]:
    """Targets of the national total: provincial targets, count targets summed.

    ``params/targets.yaml`` holds the resolution's targets, set for one province; every
    province gets them as they are. For the nation a percent target applies as it is and a
    count target (e.g. T5 admissions per year) becomes the sum of the provinces' targets.
    District quotas do not apply.
    """

    doc = params.targets()
    count_refs = {i.target_ref for i in load_catalogue() if i.unit == "count" and i.target_ref}
    targets = {}
    for ref, spec in (doc.get("targets") or {}).items():
        spec = dict(spec)
        if ref in count_refs:
            spec["value"] = spec["value"] * n_provinces
        targets[ref] = spec
    return {"targets": targets, "quotas": {}}


def national_indicators(
    summary: pd.DataFrame, province_indicators: Mapping[str, pd.DataFrame], national_code: str
) -> pd.DataFrame:
    """Indicators of the national review: one row per province and one for the nation.

    Parameters
    ----------
    summary : DataFrame
        The whole country's Summary frame.
    province_indicators : mapping
        Province code → that province's indicators (``compute_indicators`` on its own units
        with ``province_code`` = the province).
    national_code : str
        Code of the national rows.

    Returns
    -------
    DataFrame
        The Indicators contract. Province rows are the province totals (re-parented to the
        nation, level ``province``); national rows (level ``national``) are Σ numerators /
        Σ denominators over every reporting unit of the country (equal to Σ over the
        provinces, which are themselves sums over their units), with
        :func:`national_targets`.
    """

    total = compute_indicators(
        summary, province_code=national_code, targets=national_targets(len(province_indicators))
    )
    total = total.loc[total["unit_code"] == national_code].copy()
    total["level"] = NATIONAL_LEVEL
    rows = []
    for code, ind in province_indicators.items():
        part = ind.loc[ind["unit_code"] == code].copy()
        part["parent_code"] = national_code
        rows.append(part)
    out = pd.concat([total, *rows], ignore_index=True)
    order = {i.id: k for k, i in enumerate(load_catalogue())}
    out["_ind"] = out["indicator_id"].map(order)
    out["_lvl"] = (out["level"] != NATIONAL_LEVEL).astype(int)
    out = out.sort_values(["_ind", "_lvl", "unit_code", "year"], kind="stable")
    return out.drop(columns=["_ind", "_lvl"]).reset_index(drop=True)


def compute_country_review(
    validation, assessment_ids: Iterable[str] | None = None
) -> CountryReview:
    """One Review per province and the national Review, from a multi-province input.

    Parameters
    ----------
    validation : analysis.data.validate.ValidationResult
        A result without errors whose units table has several ``province`` rows.
    assessment_ids : iterable of str, optional
        Assessments to compute; default all of ``params/assessments.yaml``.

    Returns
    -------
    CountryReview
        Unit codes must be unique across the country (they are the join keys of the input).
        Targets: see :func:`national_targets`. The national code and name come from
        ``params/plan.yaml`` (``national_code``, ``national_name_vi``).
    """

    plan = params.plan()
    national_code = str(plan.get("national_code") or NATIONAL_LEVEL)
    national_name = str(plan.get("national_name_vi") or "Toàn quốc")
    tables = validation.data.tables
    units = tables["units"].drop(columns=["_file", "_sheet", "_row"], errors="ignore")
    province_rows = units.loc[units["level"] == "province"].sort_values("code", kind="stable")
    provinces = [str(c) for c in province_rows["code"]]
    if national_code in provinces:
        raise ValueError(
            f"Mã toàn quốc “{national_code}” (params/plan.yaml national_code) trùng mã một tỉnh."
        )
    names = dict(zip(province_rows["code"].astype(str), province_rows["name"].astype(str),
                     strict=False))
    owner = province_of_units(units)
    findings = validation.findings_frame()
    try:
        rule_counts = period_rule_counts(tables)
    except Exception:  # counts from the (capped) findings are the fallback
        rule_counts = None
    split_tables = {
        name: _split_by_province(frame, TABLE_UNIT_COLUMNS.get(name, ""), owner, provinces)
        for name, frame in tables.items()
    }
    summary = _split_by_province(validation.summary, "unit_code", owner, provinces)
    split_findings = _split_by_province(findings, "unit_code", owner, provinces)
    # findings that name no unit (a sheet's structure, …) belong to every province
    unplaced = findings.loc[findings["unit_code"].astype(object).map(owner).isna()] \
        if "unit_code" in findings.columns else findings.iloc[0:0]
    completeness = _split_by_province(validation.completeness, "unit_code", owner, provinces)
    counts = _split_by_province(rule_counts, "unit_code", owner, provinces)
    reviews: dict[str, Review] = {}
    for code in provinces:
        own_findings = split_findings[code]
        if not unplaced.empty:
            own_findings = pd.concat([own_findings, unplaced], ignore_index=True)
        reviews[code] = _scope_review(
            fingerprint=validation.data.fingerprint,
            source_name=validation.data.source.name,
            units=split_tables["units"][code],
            summary=summary[code],
            tables={name: parts[code] for name, parts in split_tables.items()},
            findings=own_findings.reset_index(drop=True),
            completeness=completeness[code],
            rule_counts=counts[code],
            province_code=code,
            province_name=names[code],
            assessment_ids=assessment_ids,
        )
    indicators = national_indicators(
        validation.summary, {code: r.indicators for code, r in reviews.items()}, national_code
    )
    national_units = province_rows.assign(parent_code=national_code).reset_index(drop=True)
    national = Review(
        fingerprint=validation.data.fingerprint,
        source_name=validation.data.source.name,
        units=national_units,
        reporting_units=national_units,
        province_code=national_code,
        province_name=national_name,
        indicators=indicators,
        findings=findings,
        completeness=validation.completeness,
        data_years=sorted(int(y) for y in np.unique(indicators["year"].dropna())),
    )
    named = set(findings["unit_code"].dropna().astype(str)) if "unit_code" in findings else set()
    if validation.completeness is not None and "unit_code" in validation.completeness:
        named |= set(validation.completeness["unit_code"].dropna().astype(str))
    national.unit_provinces = {
        str(code): str(prov) for code, prov in owner.dropna().items() if code in named
    }
    ids = list(assessment_ids) if assessment_ids is not None else list(params.assessments())
    for assessment_id in ids:
        national.assessments[assessment_id] = assess(
            indicators,
            {},
            findings,
            params.assessment(assessment_id),
            total_level=NATIONAL_LEVEL,
            reporting_levels=("province",),
        )
    return CountryReview(national=national, provinces=reviews)


def compute_build_review(
    validation, assessment_ids: Iterable[str] | None = None
) -> Review | CountryReview:
    """:func:`compute_country_review` for a multi-province input, else :func:`compute_review`."""
    units = validation.data.tables["units"]
    if is_country(units):
        return compute_country_review(validation, assessment_ids)
    return compute_review(validation, assessment_ids)
