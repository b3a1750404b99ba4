"""``python -m analysis status [--store PATH] [--out PATH]``: which unit sent which year.

One table of reporting unit × year, read from the collection store
(:mod:`analysis.data.store`): received or missing; the latest file sent for that unit-year, its
version (1, 2, … in the order ``collect`` recorded them), whether it was accepted or rejected,
its numbers of errors and warnings, and the date the file carries itself (the workbook's
*modified* property; for a CSV folder the newest CSV's time), never the clock of ``collect``.
A unit-year whose latest file was rejected while an earlier one was accepted keeps using the
earlier one: the table says which version is in use.

Years run from the plan's ``first_year`` to the latest year any file covers (at most the
plan's ``last_year``), as the completeness check does; a unit whose ``first_year`` /
``last_year`` in the units table excludes a year is not expected that year.

Written three ways: printed with rich, the workbook ``outputs/status.xlsx`` (atomic, every
string a text cell) and the page ``outputs/status.html`` beside it, which names the units that
have not sent and is linked from ``index.html`` of the same folder when a build wrote one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from analysis import config, params
from analysis.atomic import atomic_write_bytes, atomic_write_text
from analysis.data import store
from analysis.data.intake import read_input
from analysis.data.units import REPORTING_LEVELS
from analysis.reproducible import workbook_bytes
from analysis.run.console import fail
from analysis.run.files import describe_os_error
from analysis.run.index_page import STATUS_LINK
from analysis.textsafe import cell_value, visible

#: States of a unit-year (column ``state``) and their Vietnamese labels.
STATES = {
    "accepted": "Đã nhận",
    "rejected_kept": "Bản mới có lỗi, dùng bản trước",
    "rejected": "Có lỗi, chưa nhận",
    "missing": "Chưa gửi",
}
#: Verdict of validation on the latest file (column ``status``).
STATUS_VI = {store.ACCEPTED: "Chấp nhận", store.REJECTED: "Không chấp nhận (có lỗi)"}
#: Columns of the table and their Vietnamese headers (workbook, page, terminal).
HEADERS = {
    "unit_name": "Đơn vị",
    "unit_code": "Mã đơn vị",
    "year": "Năm",
    "state_vi": "Tình trạng",
    "file": "Tệp gửi gần nhất",
    "version": "Bản",
    "status_vi": "Kết quả kiểm tra",
    "n_errors": "Số lỗi của tệp",
    "n_warnings": "Số cảnh báo của tệp",
    "file_date": "Ngày của tệp",
    "in_use": "Bản đang dùng",
}
_COLOURS = {"accepted": "E3F1E3", "rejected_kept": "FFF1CC", "rejected": "F8D7DA",
            "missing": "EEEEEE"}
_RICH = {"accepted": "green", "rejected_kept": "yellow", "rejected": "red", "missing": "dim"}


@dataclass
class Status:
    """The collection status: the table and what it was read from."""

    table: pd.DataFrame
    store_path: Path
    n_files: int
    #: Files that cover no unit-year (an archive, a file no unit could be read from): name,
    #: status and number of errors, in ingestion order.
    unplaced: list[dict] = field(default_factory=list)

    def missing(self) -> dict[int, list[str]]:
        """Per year (latest first), the names of the units that sent nothing."""
        t = self.table[self.table["state"] == "missing"]
        return {int(y): list(g["unit_name"]) for y, g in
                sorted(t.groupby("year"), key=lambda kv: -kv[0])}

    def counts(self) -> dict[str, int]:
        """Number of unit-years in each state (every state, zeros included)."""
        got = self.table["state"].value_counts().to_dict()
        return {s: int(got.get(s, 0)) for s in STATES}


# --- reading -----------------------------------------------------------------------------------
def _units(conn, expected: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reporting units, each code's row of the latest current file (else of any file),
    and the units of ``expected`` the store does not hold: a unit that never sent a file is
    in no file of the store, yet it is the one the status must name."""
    cols = "code, name, level, first_year, last_year"
    frame = pd.read_sql_query(f"SELECT {cols}, file_id FROM current_units", conn)
    if frame.empty:
        frame = pd.read_sql_query(
            f"SELECT {cols}, file_id FROM units t WHERE file_id = "
            "(SELECT MAX(file_id) FROM units t2 WHERE t2.code = t.code)", conn)
    frame = frame.drop_duplicates("code", keep="last")
    if expected is not None and len(expected):
        cols_list = [c.strip() for c in cols.split(",")]
        extra = expected[~expected["code"].astype(str).isin(set(frame["code"]))]
        extra = pd.DataFrame({c: extra[c] if c in extra else None for c in cols_list})
        frame = pd.concat([frame, extra.assign(file_id=None)], ignore_index=True)
    frame = frame[frame["level"].isin(REPORTING_LEVELS)]
    order = {lv: i for i, lv in enumerate(REPORTING_LEVELS)}
    return frame.assign(_o=frame["level"].map(order)).sort_values(["_o", "code"]).drop(
        columns=["_o", "file_id"]).reset_index(drop=True)


def _years(cov: pd.DataFrame) -> list[int]:
    if cov.empty:
        return []
    plan = params.plan()
    first = int(plan.get("first_year", cov["year"].min()))
    last = min(int(plan.get("last_year", cov["year"].max())), int(cov["year"].max()))
    return list(range(last, first - 1, -1))


def _alive(unit: dict, year: int) -> bool:
    """Whether a unit is expected to report ``year`` (its first_year / last_year)."""
    lo, hi = pd.to_numeric(pd.Series([unit.get("first_year"), unit.get("last_year")]),
                           errors="coerce")
    return not ((lo == lo and year < lo) or (hi == hi and year > hi))


def read_status(path: str | Path, expected_units: pd.DataFrame | None = None) -> Status:
    """The collection status of the store at ``path``.

    Parameters
    ----------
    path
        The store.
    expected_units
        The units table the workbooks were sent from (``template --data``): its reporting
        units are expected even when the store holds no file of theirs.

    Returns
    -------
    Status
        ``table``: one row per expected reporting unit × year, latest year first, columns
        ``unit_code, unit_name, level, year, state`` (a key of :data:`STATES`), ``state_vi``,
        ``file`` (name of the latest file covering it), ``version``, ``n_versions``,
        ``status``/``status_vi`` (of that file), ``n_errors``, ``n_warnings`` (of that file),
        ``file_date`` (ISO, from the file) and ``in_use`` (the version whose data are used).

    Raises
    ------
    analysis.data.store.StoreError
        No store at ``path``, or not a store of this suite (message in Vietnamese).
    """
    p = Path(path)
    conn = store.connect(p, create=False)
    try:
        units = _units(conn, expected_units)
        cov = store.coverage_frame(conn)
        files = store.files_frame(conn)
        n_files = len(files)
    finally:
        conn.close()
    cov = cov.assign(year=cov["year"].astype(int), version=cov["version"].astype(int))
    names = dict(zip(units["code"], units["name"], strict=True))
    known = set(units["code"])
    # a file for a unit the units table does not list is shown too (it was rejected for it)
    extra = sorted(set(cov["unit_code"]) - known)
    rows = []
    by_pair = {k: g.sort_values("version") for k, g in cov.groupby(["unit_code", "year"])}
    listed = [*units.to_dict("records"),
              *({"code": c, "name": c, "level": "", "first_year": None, "last_year": None}
                for c in extra)]
    for year in _years(cov):
        for u in listed:
            code = u["code"]
            versions = by_pair.get((code, year))
            if versions is None and (code in extra or not _alive(u, year)):
                continue
            row = {"unit_code": code, "unit_name": names.get(code, code), "level": u["level"],
                   "year": year, "file": None, "version": None, "n_versions": 0,
                   "status": None, "n_errors": None, "n_warnings": None, "file_date": None,
                   "in_use": None}
            if versions is None:
                row["state"] = "missing"
            else:
                last = versions.iloc[-1]
                current = versions[versions["current"].astype(bool)]
                row.update(file=str(last["name"]), version=int(last["version"]),
                           n_versions=len(versions), status=str(last["status"]),
                           n_errors=int(last["n_errors"]), n_warnings=int(last["n_warnings"]),
                           file_date=last["file_date"] if isinstance(last["file_date"], str)
                           else None,
                           in_use=int(current["version"].iloc[-1]) if len(current) else None)
                if last["status"] == store.ACCEPTED:
                    row["state"] = "accepted"
                else:
                    row["state"] = "rejected_kept" if len(current) else "rejected"
            rows.append(row)
    cols = ["unit_code", "unit_name", "level", "year", "state", "file", "version", "n_versions",
            "status", "n_errors", "n_warnings", "file_date", "in_use"]
    table = pd.DataFrame(rows, columns=cols)
    table["state_vi"] = table["state"].map(STATES)
    table["status_vi"] = table["status"].map(STATUS_VI)
    for c in ("version", "n_versions", "n_errors", "n_warnings", "in_use", "year"):
        table[c] = table[c].astype("Int64")
    for c in ("file", "status", "status_vi", "file_date"):
        table[c] = table[c].astype(object).where(table[c].notna(), None)
    unplaced = [{"name": str(f["name"]), "status": str(f["status"]),
                 "n_errors": int(f["n_errors"])}
                for _, f in files[~files["file_id"].isin(set(cov["file_id"]))].iterrows()]
    return Status(table=table, store_path=p, n_files=n_files, unplaced=unplaced)


# --- showing -----------------------------------------------------------------------------------
def shown_date(iso: object) -> str:
    """An ISO date-time as the file carries it, shown ``dd/mm/yyyy HH:MM`` ("" when unknown)."""
    if not isinstance(iso, str) or not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso


def _cell(row: pd.Series, col: str) -> str:
    v = row[col]
    if col == "file_date":
        return shown_date(v)
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def summary_lines(status: Status) -> list[str]:
    """The sentences printed under the table and shown on the page (Vietnamese)."""
    c = status.counts()
    total = len(status.table)
    lines = [f"{total} lượt đơn vị – năm: đã nhận {c['accepted']}, bản mới có lỗi (dùng bản "
             f"trước) {c['rejected_kept']}, có lỗi chưa nhận {c['rejected']}, chưa gửi "
             f"{c['missing']}."]
    for year, units in status.missing().items():
        lines.append(f"Năm {year}, {len(units)} đơn vị chưa gửi: " + ", ".join(units) + ".")
    if not c["missing"] and total:
        lines.append("Mọi đơn vị đã gửi số liệu các năm trên.")
    for f in status.unplaced:
        lines.append(f"Tệp «{f['name']}» không xác định được đơn vị, năm nào ("
                     f"{STATUS_VI.get(f['status'], f['status']).lower()}, {f['n_errors']} lỗi):"
                     " xem lỗi bằng lệnh collect, rồi đề nghị đơn vị gửi lại tệp .xlsx.")
    return lines


def print_status(status: Status, console) -> None:
    """The table and its summary in the terminal (rich)."""
    table = Table(title=f"Tình hình thu nhận số liệu ({visible(status.store_path.name)})")
    cols = ["unit_name", "year", "state_vi", "file", "version", "n_errors", "n_warnings",
            "file_date", "in_use"]
    for c in cols:
        table.add_column(HEADERS[c], justify="right" if c in (
            "year", "version", "n_errors", "n_warnings", "in_use") else "left")
    for _, row in status.table.iterrows():
        style = _RICH[row["state"]]
        table.add_row(*(Text(visible(_cell(row, c)), style=style if c == "state_vi" else "")
                      for c in cols))
    console.print(table)
    for line in summary_lines(status):
        console.print(Text(visible(line)))


def status_workbook(status: Status):
    """The status table as an openpyxl workbook (one sheet, header row, frozen, filters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Tình hình thu nhận"
    cols = list(HEADERS)
    ws.append([HEADERS[c] for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    for _, row in status.table.iterrows():
        values = []
        for c in cols:
            v = row[c]
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                values.append(None)
            elif c == "file_date":
                values.append(cell_value(shown_date(v)))
            elif c in ("year", "version", "n_errors", "n_warnings", "in_use"):
                values.append(int(v))
            else:
                values.append(cell_value(str(v)))
        ws.append(values)
        fill = PatternFill("solid", fgColor=_COLOURS[row["state"]])
        ws.cell(ws.max_row, cols.index("state_vi") + 1).fill = fill
    widths = {"unit_name": 32, "unit_code": 18, "state_vi": 30, "file": 30, "status_vi": 24,
              "file_date": 17, "in_use": 14}
    for j, c in enumerate(cols, start=1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = widths.get(c, 10)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    notes = wb.create_sheet("Ghi chú")
    for line in summary_lines(status):
        notes.append([cell_value(line)])
    notes.column_dimensions["A"].width = 120
    return wb


_CSS = """
body{font-family:"DejaVu Sans",sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#e8edf3}td.n{text-align:right}
.accepted{background:#e3f1e3}.rejected_kept{background:#fff1cc}.rejected{background:#f8d7da}
.missing{background:#eeeeee;color:#555}.muted{color:#666;font-size:.9em}
"""


def status_html(status: Status, index_exists: bool = False) -> str:
    """The status page (self-contained HTML): who has not sent, then the whole table."""
    esc = html.escape

    def text(s: object) -> str:
        return esc(visible(str(s)))

    parts = ["<!DOCTYPE html>", '<html lang="vi"><head><meta charset="utf-8">',
             "<title>Tình hình thu nhận số liệu</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>Tình hình thu nhận số liệu của các đơn vị</h1>",
             f"<p class='muted'>Kho số liệu: {text(status.store_path.name)}, "
             f"{status.n_files} tệp đã thu nhận. Ngày của tệp là ngày ghi trong tệp.</p>"]
    if index_exists:
        parts.append("<p><a href='index.html'>← Mục lục báo cáo</a></p>")
    lines = summary_lines(status)
    parts.append(f"<p>{text(lines[0])}</p>")
    parts.append("<h2>Đơn vị chưa gửi số liệu</h2>")
    missing = status.missing()
    if missing:
        parts.append("<ul>" + "".join(
            f"<li>Năm {year}: " + text(", ".join(units)) + "</li>"
            for year, units in missing.items()) + "</ul>")
    else:
        parts.append("<p>Mọi đơn vị đã gửi số liệu các năm trên.</p>")
    if status.unplaced:
        parts.append("<h2>Tệp chưa xác định được đơn vị</h2><ul>" + "".join(
            f"<li>{text(line)}</li>" for line in lines if line.startswith("Tệp «")) + "</ul>")
    parts.append("<h2>Từng đơn vị, từng năm</h2>")
    cols = list(HEADERS)
    numeric = {"year", "version", "n_errors", "n_warnings", "in_use"}
    parts.append("<table><tr>" + "".join(f"<th>{text(HEADERS[c])}</th>" for c in cols)
                 + "</tr>")
    for _, row in status.table.iterrows():
        cells = "".join(
            f"<td class='{'n' if c in numeric else row['state'] if c == 'state_vi' else ''}'>"
            f"{text(_cell(row, c))}</td>" for c in cols)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def link_from_index(index: Path) -> bool:
    """Add the link to ``status.html`` to an existing ``index.html`` (atomically) unless it is
    there; return whether the index links it."""
    try:
        page = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "href='status.html'" in page:
        return True
    lines = page.split("\n")
    at = next((k for k, line in enumerate(lines) if "</h1>" in line), None)
    if at is None:
        return False
    if at + 1 < len(lines) and lines[at + 1].startswith("<p class='muted'>"):
        at += 1  # after the data line
    lines.insert(at + 1, STATUS_LINK)
    atomic_write_text(index, "\n".join(lines))
    return True


def write_status(status: Status, out: Path) -> tuple[Path, Path]:
    """Write ``out`` (workbook) and the page beside it (``.html``), atomically; link the page
    from ``index.html`` in the same folder when there is one. Returns both paths."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, workbook_bytes(status_workbook(status)))
    page = out.with_suffix(".html")
    index = out.parent / "index.html"
    atomic_write_text(page, status_html(status, index_exists=index.is_file()))
    if index.is_file() and page.name == "status.html":
        link_from_index(index)
    return out, page


def status_command(store_path: Path | None, out: Path | None, data: Path | None = None) -> int:
    """CLI: print the status and write it; 0, or 2 when there is no usable store.

    ``data``: the source the workbooks were written from (``template --data``; default the
    bundled demo data, as for ``template``); its reporting units are the ones expected.
    """
    path = Path(store_path) if store_path else store.default_path()
    try:  # no store: say so before reading the data the workbooks came from
        store.connect(path, create=False).close()
    except store.StoreError as exc:
        return fail(str(exc))
    source = Path(data) if data else config.DEMO_DATA_DIR
    if not source.exists():
        return fail(f"Không tìm thấy «{visible(str(source))}»: --data là tệp hoặc thư mục số "
                    "liệu đã dùng để lập các tệp mẫu gửi đơn vị (lệnh template --data).")
    expected = read_input(source)[0].tables.get("units")
    try:
        status = read_status(path, expected)
    except store.StoreError as exc:
        return fail(str(exc))
    console = Console(highlight=False, soft_wrap=True)
    if status.table.empty:
        console.print(f"Kho {visible(str(path))} chưa có tệp nào: chưa có gì để báo cáo.")
        return 0
    print_status(status, console)
    target = Path(out) if out else config.outputs_dir() / "status.xlsx"
    try:
        xlsx, page = write_status(status, target)
    except OSError as exc:
        return fail(describe_os_error(exc, path=str(target)))
    console.print(f"Đã ghi: {visible(str(xlsx))} và {visible(str(page))}")
    return 0
