"""Validation of one input: reading, per-table structure, then rules across rows, tables and years.

``validate_input`` is what the CLI, the build and the notebooks call; it never raises on bad
input: every problem is a :class:`~analysis.data.findings.Finding`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data.aggregate import aggregate_detail, build_summary
from analysis.data.crosscheck import crosscheck_table
from analysis.data.findings import ERROR, Finding, findings_frame, has_errors
from analysis.data.intake import read_input
from analysis.data.rules import check_rules, completeness_table


@dataclass
class ValidationResult:
    """What validation learned about an input.

    Attributes
    ----------
    data : InputData
        The typed tables (see ``analysis.data.intake``).
    findings : list of Finding
        Errors and warnings, in the order found.
    summary : DataFrame or None
        One row per unit and year (``analysis.data.aggregate.build_summary``); None when the
        input could not be read far enough to build it.
    completeness : DataFrame or None
        Reporting unit × year → ``detail`` / ``summary`` / ``missing``.
    crosscheck : DataFrame or None
        Units sending both summary and detail: cells compared and differing per unit × year
        (``analysis.data.crosscheck.crosscheck_table``).
    """

    data: object
    findings: list[Finding] = field(default_factory=list)
    summary: pd.DataFrame | None = None
    completeness: pd.DataFrame | None = None
    crosscheck: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not has_errors(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings)


def validate_input(path: str | Path) -> ValidationResult:
    """Read and check an input workbook or CSV folder.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook or a folder of ``<table>.csv`` files.

    Returns
    -------
    ValidationResult
        Findings always; summary and completeness when the tables could be read.
    """
    data, findings = read_input(path)
    result = ValidationResult(data=data, findings=list(findings))
    if not data.tables or all(t.empty for t in data.tables.values()):
        return result
    try:
        # aggregated once: the summary and the summary-vs-detail rule both need it
        detail = aggregate_detail(data.tables)
        summary = build_summary(data.tables, detail=detail)
    except Exception as exc:  # defensive: rules below still report what they can
        result.findings.append(
            Finding(ERROR, "summary_failed", f"Không tổng hợp được số liệu: {exc}",
                    file=Path(path).name)
        )
        return result
    result.summary = summary
    plan = params.plan()
    refused = [(f.file, f.sheet, f.row, f.column) for f in findings
               if f.severity == ERROR and f.row is not None and f.column]
    found = check_rules(data.tables, summary=summary, plan=plan, detail=detail, refused=refused)
    result.findings.extend(_without_follow_ons(found, refused))
    result.completeness = completeness_table(data.tables, summary, plan)
    result.crosscheck = crosscheck_table(data.tables, detail)
    return result


def _column_names(header: str) -> frozenset[str]:
    """Schema column names a header of a file stands for (its code or Vietnamese header)."""
    return _header_index().get(schema.match_key(header), frozenset())


@cache
def _header_index() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for table in schema.tables().values():
        for c in table.columns:
            for label in (c.name, c.header_vi):
                out.setdefault(schema.match_key(label), set()).add(c.name)
    return {k: frozenset(v) for k, v in out.items()}


def _without_follow_ons(found: list[Finding], refused: list[tuple[str, str, int, str]]
                        ) -> list[Finding]:
    """``found`` without the warnings about a cell the reader refused with an error.

    A refused cell reads as empty: a rule would then warn that it is empty («chưa ghi mã
    xã» after «=HYPERLINK(…)» was refused as a commune code). The reader's error says it all.
    Errors of the rules are kept.
    """
    if not refused:
        return found
    cells: dict[tuple[str, str, int], set[str]] = {}
    for file, sheet, row, column in refused:
        cells.setdefault((file, sheet, row), set()).update(_column_names(column))

    def follow_on(f: Finding) -> bool:
        names = cells.get((f.file, f.sheet, f.row)) if f.row is not None else None
        return (f.severity != ERROR and bool(names) and bool(f.column)
                and bool(names & _column_names(f.column)))

    return [f for f in found if not follow_on(f)]
