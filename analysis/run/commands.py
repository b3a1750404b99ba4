"""The command-line actions behind ``python -m analysis`` (validate, demo, build)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis import config, params
from analysis.atomic import atomic_write_bytes
from analysis.data.findings import FINDING_HEADERS_VI, SEVERITY_VI
from analysis.reproducible import workbook_bytes
from analysis.textsafe import cell_value, visible

#: How many findings the terminal shows; the workbook always has all of them.
MAX_PRINTED_FINDINGS = 40


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False, soft_wrap=False)


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
    from rich.markup import escape

    console = console or _console()
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


def resolve_data_path(path: Path | None) -> Path:
    """The input to use: the given path, or the bundled demo data."""
    return Path(path) if path else config.DEMO_DATA_DIR


def validate_command(path: Path | None, out: Path | None) -> int:
    """``python -m analysis validate``: print findings, save them, exit 1 on any error."""
    from analysis.data.validate import validate_input

    data_path = resolve_data_path(path)
    result = validate_input(data_path)
    frame = result.findings_frame()
    print_findings(frame, data_path.name)
    out = out or (config.outputs_dir() / "findings.xlsx")
    write_findings_xlsx(frame, out)
    from analysis.run.unit_findings import write_unit_findings_of

    per_unit = write_unit_findings_of(data_path, frame, out.parent / "findings")
    print(f"Đã ghi kết quả kiểm tra: {out}"
          + (f" (và {len(per_unit)} tệp theo đơn vị trong {out.parent / 'findings'})"
             if per_unit else ""))
    return 0 if result.ok else 1


def prefill_command(unit: str, year: int | None, data: Path | None, out: Path) -> int:
    """``python -m analysis template --unit CODE|all --year YEAR``: pre-filled workbooks."""
    from analysis.data import prefill
    from analysis.data.intake import read_input

    if year is None:
        return fail("Cần ghi năm số liệu: --year NĂM (ví dụ --year 2020).")
    plan = params.plan()
    if not int(plan["first_year"]) <= year <= int(plan["last_year"]) + 1:
        return fail(f"Năm {year} ngoài kỳ kế hoạch ({plan['first_year']}–{plan['last_year']}).")
    source = resolve_data_path(data)
    tables, findings = read_input(source)
    errors = [f for f in findings if f.is_error]
    if errors or tables.tables["units"].empty:
        from analysis.data.findings import findings_frame

        print_findings(findings_frame(errors), source.name)
        return fail(f"Không lập được mẫu: dữ liệu nguồn «{source.name}» có lỗi hoặc thiếu bảng "
                    "«Đơn vị». Sửa dữ liệu nguồn (lệnh validate) rồi chạy lại.")
    try:
        if unit == "all":
            paths = prefill.write_all(tables.tables, year, out)
            print(f"Đã ghi {len(paths)} mẫu nhập liệu năm {year} vào {out}")
        else:
            prefill.write_unit_workbook(tables.tables, unit, year, out)
            print(f"Đã ghi mẫu nhập liệu năm {year} của đơn vị {unit}: {out}")
    except prefill.PrefillError as exc:
        return fail(str(exc))
    return 0


def demo_command(out: Path | None, country: int | None, seed: int, xlsx: bool) -> int:
    """``python -m analysis demo``: (re)write the demo dataset or a synthetic country."""
    from analysis.data import demo

    if country:
        target = out or (config.outputs_dir() / f"country-{country}")
        demo.write_country(target, n_provinces=country, seed=seed)
        print(f"Đã ghi dữ liệu {country} tỉnh giả lập vào {target}")
        return 0
    target = out or config.DEMO_DATA_DIR
    demo.write_demo(target, seed=seed)
    if xlsx:
        from analysis.data.template import write_workbook

        book = target / "demo.xlsx" if out else config.outputs_dir() / "demo.xlsx"
        write_workbook(demo.generate_demo(seed=seed), book)
        print(f"Đã ghi sổ Excel: {book}")
    print(f"Đã ghi dữ liệu mẫu vào {target}")
    return 0


def build_command(args: argparse.Namespace) -> int:
    """``python -m analysis build``: see :func:`analysis.run.build.build`."""
    from analysis.run.build import build

    return build(
        data=resolve_data_path(args.data),
        assessment=args.assessment,
        unit=args.unit,
        jobs=args.jobs or None,
        formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        out=args.out,
        force=args.force,
        tables_only=args.tables_only,
        scheduler=getattr(args, "scheduler", None),
        publish=getattr(args, "publish", False),
    )


def fail(message: str) -> int:
    """Print a user-facing error and return exit status 2."""
    print(message, file=sys.stderr)
    return 2
