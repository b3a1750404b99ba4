"""Validation findings: one problem in the input, located as the user sees it in Excel."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

ERROR = "error"
WARNING = "warning"

#: Column headers of the findings table, as users read it in the terminal and in Excel.
FINDING_HEADERS_VI = {
    "severity": "Mức độ",
    "file": "Tệp",
    "sheet": "Bảng (sheet)",
    "row": "Dòng",
    "column": "Cột",
    "value": "Giá trị",
    "message": "Nội dung",
    "rule": "Mã kiểm tra",
    "unit_code": "Đơn vị",
    "year": "Năm",
}
SEVERITY_VI = {ERROR: "Lỗi", WARNING: "Cảnh báo"}


@dataclass(frozen=True)
class Finding:
    """One validation finding.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors stop a build before any report is written; warnings are listed in the reports.
    rule : str
        Stable identifier of the check (``missing_column``, ``rating_sum_exceeds_rated`` …);
        tests assert on it, users read ``message``.
    message : str
        Plain Vietnamese explanation, naming columns as the template does.
    file, sheet : str
        File name (no directory) and sheet (for CSV: the table name).
    row : int or None
        Row number as the user sees it in Excel (the header row is usually 1, data start at 2).
    column : str
        Column header as it appears in the file.
    value : str
        The offending cell value, as text.
    unit_code : str
        Reporting unit the finding concerns, when known (the reports list them per unit).
    year : int or None
        Year the finding concerns, when known.
    """

    severity: str
    rule: str
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    unit_code: str = ""
    year: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame (errors first, then by file, sheet, row)."""
    cols = list(FINDING_HEADERS_VI)
    if not findings:
        return pd.DataFrame(columns=cols)
    rows = [{k: v for k, v in asdict(f).items() if k != "extra"} for f in findings]
    df = pd.DataFrame(rows)[cols]
    df["_order"] = (df["severity"] != ERROR).astype(int)
    df = df.sort_values(["_order", "file", "sheet", "row"], na_position="first", kind="stable")
    return df.drop(columns="_order").reset_index(drop=True)


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.is_error for f in findings)
