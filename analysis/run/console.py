"""What the commands print: the terminal, paths as shown, findings, usage errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape

from analysis.data.findings import SEVERITY_VI
from analysis.textsafe import visible

#: How many findings the terminal shows; the workbook always has all of them.
MAX_PRINTED_FINDINGS = 40


def make_console() -> Console:
    """The terminal of a command (no highlighting of numbers and paths in the messages)."""
    return Console(highlight=False)


def shown(path: Path) -> str:
    """A path for the terminal: relative to the working directory when inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def fail(message: str) -> int:
    """Print a user-facing error and return exit status 2."""
    print(message, file=sys.stderr)
    return 2


def finding_line(f: dict) -> str:
    """One finding as one readable line: where (file, sheet, row, column, value), then what.

    Control characters from the data (an ESC sequence, a NUL byte) are shown as ``\\xHH``:
    printed raw they would drive the terminal.
    """
    where = [str(f["file"])] if f.get("file") else []
    if f.get("sheet") and f.get("sheet") != Path(str(f.get("file", ""))).stem:
        where.append(f"bảng {f['sheet']}")
    if f.get("row") is not None and not pd.isna(f.get("row")):
        where.append(f"dòng {int(f['row'])}")
    if f.get("column"):
        where.append(f"cột «{f['column']}»")
    if f.get("value") not in (None, "") and not pd.isna(f.get("value")):
        where.append(f"giá trị «{visible(str(f['value']))[:40]}»")
    line = f"{', '.join(where)}: {f['message']}" if where else str(f["message"])
    return visible(line)


def print_findings(findings: pd.DataFrame, source: str, console=None) -> None:
    """Print the findings (errors first), one line each, and the counts, in Vietnamese."""
    console = console or make_console()
    source = visible(source)
    if findings.empty:
        console.print(f"[green]Không có lỗi hay cảnh báo nào[/] trong {escape(source)}.")
        return
    n_err = int((findings["severity"] == "error").sum())
    n_warn = len(findings) - n_err
    console.print(f"Kết quả kiểm tra {escape(source)}:")
    for f in findings.head(MAX_PRINTED_FINDINGS).to_dict("records"):
        style = "red" if f["severity"] == "error" else "yellow"
        label = SEVERITY_VI.get(f["severity"], f["severity"])
        console.print(f"[{style}]{label}[/] {escape(finding_line(f))}")
    if len(findings) > MAX_PRINTED_FINDINGS:
        console.print(f"… và {len(findings) - MAX_PRINTED_FINDINGS} dòng khác (xem tệp kết quả).")
    console.print(f"Tổng cộng: [red]{n_err} lỗi[/], [yellow]{n_warn} cảnh báo[/].")
