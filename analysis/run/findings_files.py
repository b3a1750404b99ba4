"""The findings as workbooks users open in Excel: ``findings.xlsx`` (every finding) and one
workbook per reporting unit, ``findings/<unit>.xlsx``.

Staff send each district or sector committee its own list. They are written when the input
is a folder of returned workbooks (:func:`write_unit_findings_of`: a collection); a single
workbook or a CSV folder keeps just ``findings.xlsx``, so the demo build is unchanged. A
finding goes to the workbook of its ``unit_code`` (a returned workbook's findings carry the
unit of its cover sheet); a finding without a unit is only in the general ``findings.xlsx``.
Each file is written atomically with reproducible bytes; every text is written as text (a
message or value starting with «=» is never a formula). Workbooks of units that no longer have
findings are removed, so the folder never shows a stale list as current.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from slugify import slugify

from analysis.atomic import atomic_path, atomic_write_bytes
from analysis.data.findings import FINDING_HEADERS_VI, SEVERITY_VI
from analysis.data.returns import is_returns_folder
from analysis.reproducible import workbook_bytes
from analysis.textsafe import cell_value


def findings_workbook(findings: pd.DataFrame, title: str | None = None):
    """The findings as an openpyxl workbook, one sheet with Vietnamese headers.

    Every text (message, value, file, sheet, column…) is a text cell: a value such as
    ``=HYPERLINK(…)`` stays text, control characters are shown as ``\\xHH``
    (:mod:`analysis.textsafe`). Rows and years are numbers.

    Parameters
    ----------
    findings : DataFrame
        As :func:`analysis.data.findings.findings_frame` returns it.
    title : str, optional
        The document title (workbook properties).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Kết quả kiểm tra"
    cols = list(FINDING_HEADERS_VI)
    for j, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j, value=FINDING_HEADERS_VI[c])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, rec in enumerate(findings.to_dict("records"), start=2):
        for j, c in enumerate(cols, start=1):
            v = rec.get(c)
            if c == "severity":
                v = SEVERITY_VI.get(v, v)
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            if c in ("row", "year"):
                try:
                    ws.cell(row=i, column=j, value=int(v))
                    continue
                except (TypeError, ValueError):
                    pass
            ws.cell(row=i, column=j, value=cell_value(str(v)))
    widths = {"message": 80, "value": 20, "file": 22, "sheet": 18, "column": 28}
    for j, c in enumerate(cols, start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = widths.get(c, 12)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    if title:
        wb.properties.title = title
    return wb


def write_findings_xlsx(findings: pd.DataFrame, out: Path) -> Path:
    """Write the findings to a workbook users open in Excel (:func:`findings_workbook`)."""
    atomic_write_bytes(out, workbook_bytes(findings_workbook(findings)))
    return out


def unit_file_name(unit_code: str) -> str:
    """The findings file of a unit, e.g. ``son_dong.xlsx`` (python-slugify of the code)."""
    return f"{slugify(str(unit_code), separator='_') or 'khong_ro'}.xlsx"


def write_unit_findings_of(data: Path, findings: pd.DataFrame, folder: Path) -> list[Path]:
    """:func:`write_unit_findings` when ``data`` is a folder of returned workbooks, else []."""
    data = Path(data)
    if not (data.is_dir() and is_returns_folder(data)):
        return []
    return write_unit_findings(findings, folder)


def write_unit_findings(findings: pd.DataFrame, folder: Path) -> list[Path]:
    """Write one workbook per ``unit_code`` of ``findings`` into ``folder``; return the paths.

    Parameters
    ----------
    findings : DataFrame
        As :func:`analysis.data.findings.findings_frame` returns it.
    folder : Path
        Usually ``outputs/findings``; created when needed. ``.xlsx`` files in it that belong
        to no unit of ``findings`` are removed.
    """
    folder = Path(folder)
    written: list[Path] = []
    if len(findings) and "unit_code" in findings:
        units = findings["unit_code"].fillna("").astype(str)
        for unit in sorted(set(units) - {""}):
            out = folder / unit_file_name(unit)
            _write(findings[units == unit], out, unit)
            written.append(out)
    if folder.is_dir():
        keep = {p.name for p in written}
        for old in folder.glob("*.xlsx"):
            if old.name not in keep:
                old.unlink()
    return written


def _write(findings: pd.DataFrame, out: Path, unit: str) -> None:
    wb = findings_workbook(findings, title=f"Kết quả kiểm tra — {unit}")
    with atomic_path(out) as tmp:
        tmp.write_bytes(workbook_bytes(wb))
