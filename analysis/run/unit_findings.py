"""One findings workbook per reporting unit: ``outputs/findings/<unit>.xlsx``.

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


def unit_file_name(unit_code: str) -> str:
    """The findings file of a unit, e.g. ``son_dong.xlsx`` (python-slugify of the code)."""
    from slugify import slugify

    return f"{slugify(str(unit_code), separator='_') or 'khong_ro'}.xlsx"


def write_unit_findings_of(data: Path, findings: pd.DataFrame, folder: Path) -> list[Path]:
    """:func:`write_unit_findings` when ``data`` is a folder of returned workbooks, else []."""
    from analysis.data.returns import is_returns_folder

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
    from analysis.reproducible import workbook_bytes
    from analysis.run.commands import findings_workbook
    from analysis.run.files import atomic_path

    wb = findings_workbook(findings, title=f"Kết quả kiểm tra — {unit}")
    with atomic_path(out) as tmp:
        tmp.write_bytes(workbook_bytes(wb))
