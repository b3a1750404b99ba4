"""Reading a folder of returned workbooks (the pre-filled ones of :mod:`analysis.data.prefill`).

``read_returns(folder)`` reads each ``.xlsx`` with the single-workbook reader of
:mod:`analysis.data.intake` (same typing, same findings, provenance ``_file``/``_sheet``/``_row``
naming the file), then stacks the tables. The copies of the units and crosswalk tables every
workbook carries are merged when identical. Findings only a set of returns can have:

``return_duplicate_unit_year``
    error: two files carry the cover of the same unit and year (both files named; the later
    file's rows are not read).
``return_foreign_rows``
    error: rows of a unit other than the one on the file's cover (TCCSĐ of another reporting
    unit, a commune or village that is not the unit's).
``return_old_template``
    a file from an older template version (stamp on the cover): warning when all its columns
    are still read, error (with what to do) when columns are missing.
``return_code_changed`` / ``return_code_deleted``
    error: a pre-filled code (row identity) was changed or its row deleted.
``return_empty``
    warning: a file in which nothing was filled in; its rows and its "required cell empty"
    findings are dropped (the unit counts as not having sent).
``return_unknown_unit``
    error: the cover names a unit that is not a reporting unit of the units table.
``return_duplicate_row``
    error: the same key (e.g. one TCCSĐ and year) in two files.
``return_mixed_folder``
    error: a folder holding both ``.csv`` and ``.xlsx`` files (which is the data?); nothing read.

Every finding of a file with a cover carries the cover's ``unit_code`` (and year), so the
per-unit findings workbooks (:func:`analysis.run.findings_files.write_unit_findings`) can be
sent to each unit.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.data import prefill, schema, workbook_values
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.common import InputData, empty_frame
from analysis.data.reading.files import content_fingerprint, read_path
from analysis.data.reading.workbooks import ARCHIVE_SUFFIXES, WORKBOOK_SUFFIXES, archive_finding
from analysis.data.template import sheet_name, unescape_text

#: Rows named per file and rule before one summary finding.
ROWS_CAP = 20


@dataclass
class Cover:
    """What the cover sheet of a returned workbook says."""

    file: str
    unit_code: str
    unit_name: str
    year: int | None
    stamp: str
    #: (sheet, Excel row) -> identity text of each pre-filled row
    prefilled: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def current(self) -> bool:
        """True when written by the current template version."""
        return self.stamp == prefill.template_stamp()


def read_cover(path: Path) -> Cover | None:
    """The cover of a pre-filled workbook, or None when the file has no cover sheet.

    Read with calamine when it gives the values openpyxl gives
    (:func:`analysis.data.workbook_values.open_fast`), else with openpyxl.
    """
    book = workbook_values.open_fast(path)
    if book is not None:
        try:
            return _cover(path, book.titles, book.rows)
        except workbook_values.NeedOpenpyxl:
            pass
        finally:
            book.close()
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception:  # noqa: BLE001 - intake reports the unreadable file
            return None
    try:
        def rows(title: str, max_col: int) -> Iterable[tuple]:
            return wb[title].iter_rows(max_col=max_col, values_only=True)

        return _cover(path, wb.sheetnames, rows)
    finally:
        wb.close()


def _cover(path: Path, sheetnames: list[str],
           rows: Callable[[str, int], Iterable[tuple]]) -> Cover | None:
    """The cover from a workbook's sheet names and ``rows(sheet, max_col)``."""
    names = {schema.match_key(n): n for n in sheetnames}
    cover_name = names.get(schema.match_key(prefill.COVER_SHEET))
    if cover_name is None:
        return None
    labels = {schema.match_key(v): k for k, v in prefill.COVER_LABELS.items()}
    got: dict[str, Any] = {}
    for i, row in enumerate(rows(cover_name, 2)):
        if i > 40:
            break
        if row and row[0] is not None:
            key = labels.get(schema.match_key(str(row[0])))
            if key and len(row) > 1:
                got[key] = row[1]
    codes: dict[tuple[str, int], str] = {}
    list_name = names.get(schema.match_key(prefill.PREFILLED_SHEET))
    if list_name is not None:
        for i, row in enumerate(rows(list_name, 3)):
            if i == 0 or not row or row[0] is None or row[1] is None:
                continue
            codes[(str(row[0]), int(row[1]))] = unescape_text(str(row[2] or ""))
    try:
        year = int(got.get("year")) if got.get("year") is not None else None
    except (TypeError, ValueError):
        year = None
    return Cover(file=path.name, unit_code=str(got.get("unit_code") or "").strip().lower(),
                 unit_name=str(got.get("unit_name") or ""), year=year,
                 stamp=str(got.get("stamp") or ""), prefilled=codes)


def is_returns_folder(folder: Path) -> bool:
    """True when a folder holds workbooks (``.xlsx``/``.xlsm``) and no ``.csv``."""
    kinds = _kinds(folder)
    return bool(kinds["xlsx"]) and not kinds["csv"]


def _kinds(folder: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {"xlsx": [], "csv": []}
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.startswith((".", "~$")) or not p.is_file():
            continue
        suffix = p.suffix.lower()
        if suffix in WORKBOOK_SUFFIXES:
            out["xlsx"].append(p)
        elif suffix == ".csv":
            out["csv"].append(p)
    return out


def mixed_folder_finding(folder: Path) -> Finding | None:
    """The error for a folder holding both CSV and workbooks, or None."""
    kinds = _kinds(folder)
    if kinds["xlsx"] and kinds["csv"]:
        return Finding(
            ERROR, "return_mixed_folder",
            f"Thư mục «{folder.name}» có cả tệp .csv ({len(kinds['csv'])} tệp) và tệp Excel "
            f"({len(kinds['xlsx'])} tệp, ví dụ «{kinds['xlsx'][0].name}»): không rõ đâu là số "
            "liệu nên không đọc tệp nào. Hãy để các tệp Excel các đơn vị gửi về trong một thư "
            "mục riêng, các tệp .csv trong thư mục khác.",
            file=folder.name,
        )
    return None


def read_returns(source: Path | Iterable[Path], covers_read: Mapping[Path, Cover | None]
                 | None = None) -> tuple[InputData, list[Finding]]:
    """Read a folder (or a list) of returned workbooks; return the stacked tables and findings.

    ``covers_read``: covers the caller already read (:func:`read_cover`), by path, so that a
    file's cover is not read twice. Never raises on user input (as
    :func:`analysis.data.intake.read_input`).
    """
    if isinstance(source, (str, Path)):
        folder = Path(source)
        files = _kinds(folder)["xlsx"]
    else:
        files = sorted((Path(p) for p in source), key=lambda p: p.name)
        folder = files[0].parent if files else Path(".")
    findings: list[Finding] = []
    if isinstance(source, (str, Path)):
        # a return sent zipped is named, not skipped in silence (issue 14, class 7)
        findings += [archive_finding(p.name, in_folder=True)
                     for p in sorted(folder.iterdir(), key=lambda p: p.name)
                     if p.is_file() and p.suffix.lower() in ARCHIVE_SUFFIXES]
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in schema.tables()}
    covers: dict[str, Cover] = {}
    seen: dict[tuple[str, int | None], str] = {}
    for path in files:
        cover = covers_read[path] if covers_read and path in covers_read else read_cover(path)
        data, found = read_path(path)  # «_x005f_» unescaped there
        if cover is not None and cover.unit_code:
            key = (cover.unit_code, cover.year)
            if key in seen:
                findings.append(Finding(
                    ERROR, "return_duplicate_unit_year",
                    f"Tệp «{path.name}» và tệp «{seen[key]}» cùng là số liệu của đơn vị "
                    f"«{cover.unit_code}» năm {cover.year}: chỉ giữ một tệp (bản mới nhất) "
                    "trong thư mục. Số liệu của tệp này chưa được đọc.",
                    file=path.name, sheet=prefill.COVER_SHEET,
                    unit_code=cover.unit_code, year=cover.year,
                    extra={"other_file": seen[key]},
                ))
                continue
            seen[key] = path.name
            covers[path.name] = cover
            found, keep = _file_checks(path, cover, data, found)
            if not keep:
                findings.extend(found)
                continue
            found = [f if f.unit_code else dataclasses.replace(
                f, unit_code=cover.unit_code, year=f.year if f.year is not None else cover.year)
                for f in found]
        findings.extend(found)
        for name, frame in data.tables.items():
            if len(frame):
                parts[name].append(frame)
    tables: dict[str, pd.DataFrame] = {}
    for name, table in schema.tables().items():
        frames = parts[name]
        if not frames:
            tables[name] = empty_frame(name)
            continue
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        if name in ("units", "crosswalk"):  # every workbook carries its copy
            cols = [c.name for c in table.columns]
            frame = frame.drop_duplicates(cols, keep="first")
        findings.extend(_duplicates_across_files(frame, table))
        tables[name] = frame.reset_index(drop=True)
    findings.extend(_unit_checks(tables, covers))
    data = InputData(
        tables=tables, source=folder,
        fingerprint=content_fingerprint(files, folder=True),
        files=[p.name for p in files])
    return data, findings


def _identity(frame: pd.DataFrame, table_name: str) -> pd.Series:
    cols = prefill.IDENTITY[table_name]
    parts = [frame[c].astype(object).map(lambda v: "" if v is None or v is pd.NA else str(v))
             for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + " / " + p
    return out


def _file_checks(path: Path, cover: Cover, data: InputData,
                 found: list[Finding]) -> tuple[list[Finding], bool]:
    """Findings of one returned file (with a cover); False when its rows are not to be used."""
    name = path.name
    out = list(found)
    base = {"file": name, "unit_code": cover.unit_code, "year": cover.year}
    if not cover.current:
        missing = [f for f in found if f.rule == "missing_column"]
        if missing:
            out.append(Finding(
                ERROR, "return_old_template",
                f"Tệp «{name}» theo mẫu cũ (phiên bản «{cover.stamp or 'không rõ'}», mẫu hiện "
                f"nay «{prefill.template_stamp()}») và thiếu cột mẫu mới cần (ví dụ "
                f"«{missing[0].column}»). Hãy tạo mẫu mới bằng lệnh: python -m analysis template "
                f"--unit {cover.unit_code} --year {cover.year} <tệp.xlsx>, chép số liệu sang rồi "
                "gửi lại.", sheet=prefill.COVER_SHEET, **base))
        else:
            out.append(Finding(
                WARNING, "return_old_template",
                f"Tệp «{name}» theo mẫu cũ (phiên bản «{cover.stamp or 'không rõ'}», mẫu hiện "
                f"nay «{prefill.template_stamp()}»); vẫn đọc được vì đủ các cột. Lần sau hãy "
                "dùng mẫu mới.", sheet=prefill.COVER_SHEET, **base))
    # nothing filled in: every value column of every pre-filled table is empty
    filled = False
    for tname in prefill.IDENTITY:
        frame = data.tables.get(tname)
        if frame is None or frame.empty:
            continue
        given = prefill.PREFILLED_VALUES.get(tname, ())
        cols = [c.name for c in prefill.value_columns(tname) if c.name in frame
                and c.name not in given]
        if cols and frame[cols].notna().any().any():
            filled = True
            break
    if not filled:
        out = [f for f in out if f.rule != "required_empty"]
        out.append(Finding(
            WARNING, "return_empty",
            f"Tệp «{name}» (đơn vị «{cover.unit_code}», năm {cover.year}) chưa được điền số "
            "liệu nào: tệp không được dùng, đơn vị được tính là chưa gửi.",
            sheet=prefill.COVER_SHEET, **base))
        return out, False
    # pre-filled codes changed or deleted
    by_sheet: dict[str, tuple[str, dict[tuple[str, int], str], set[str]]] = {}
    for tname in prefill.IDENTITY:
        frame = data.tables.get(tname)
        if frame is None:
            continue
        idents = _identity(frame, tname).tolist() if len(frame) else []
        where = zip(frame["_sheet"].astype(str), frame["_row"].astype(int), strict=True)
        at = dict(zip(where, idents, strict=True))
        by_sheet[sheet_name(schema.table(tname))] = (tname, at, set(idents))
    listed: dict[str, set[str]] = {}
    for (sheet, _row), ident in cover.prefilled.items():
        listed.setdefault(sheet, set()).add(ident)
    counts: dict[str, int] = {}
    for (sheet, row), ident in sorted(cover.prefilled.items()):
        if sheet not in by_sheet:
            continue
        tname, at, present = by_sheet[sheet]
        new = at.get((sheet, row))
        if new == ident or ident in present:
            continue  # intact, or the row moved (sorted): its code is there
        # another listed row now at this place: rows were deleted (the rest moved up)
        changed = new is not None and new not in listed[sheet]
        rule = "return_code_changed" if changed else "return_code_deleted"
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] > ROWS_CAP:
            continue
        col = schema.table(tname).column(prefill.IDENTITY[tname][0]).header_vi
        if changed:
            msg = (f"Mã in sẵn «{ident}» ở dòng {row} đã bị sửa thành «{new}». Không sửa các "
                   "cột mã: nếu đơn vị đã đổi, ghi dòng mới ở các dòng trống bên dưới và báo "
                   "Ban Tổ chức.")
            value = new
        else:
            msg = (f"Dòng in sẵn «{ident}» (dòng {row}) đã bị xóa. Không xóa dòng in sẵn: nếu "
                   "đơn vị không còn, để trống số liệu và ghi chú cho Ban Tổ chức.")
            value = ident
        out.append(Finding(ERROR, rule, msg, sheet=sheet, row=row, column=col, value=value,
                           **base))
    for rule, n in counts.items():
        if n > ROWS_CAP:
            out.append(Finding(ERROR, rule, f"… và {n - ROWS_CAP} dòng khác.", **base))
    return out, True


def _unit_checks(tables: dict[str, pd.DataFrame], covers: dict[str, Cover]) -> list[Finding]:
    out: list[Finding] = []
    units = tables["units"]
    reporting = set(prefill.reporting_units(units)["code"].astype(str)) if len(units) else set()
    parent = dict(zip(units["code"].astype(str), units["parent_code"].astype(object),
                      strict=True))
    commune_unit = {c: p for c, p in parent.items() if isinstance(p, str)}
    for name, cover in covers.items():
        if cover.unit_code not in reporting:
            out.append(Finding(
                ERROR, "return_unknown_unit",
                f"Tệp «{name}» ghi đơn vị «{cover.unit_code}» ở bảng «{prefill.COVER_SHEET}», "
                "nhưng bảng «Đơn vị» không có đơn vị báo cáo (huyện, đảng bộ khối) nào mã này. "
                "Hãy dùng đúng mẫu Ban Tổ chức gửi cho đơn vị.",
                file=name, sheet=prefill.COVER_SHEET, value=cover.unit_code, year=cover.year))
            continue
        checks = [("organizations", "reporting_unit", lambda v: v),
                  ("unit_summary", "unit_code", lambda v: v),
                  ("villages", "commune_code", lambda v: commune_unit.get(v)),
                  ("officials", "commune_code", lambda v: commune_unit.get(v))]
        for tname, col, owner in checks:
            frame = tables[tname]
            if frame.empty:
                continue
            mine = frame[frame["_file"] == name]
            codes = mine[col].astype(object)
            owners = codes.map(lambda v, f=owner: f(v) if isinstance(v, str) else None)
            bad = mine[owners.notna() & (owners != cover.unit_code)]
            if bad.empty:
                continue
            header = schema.table(tname).column(col).header_vi
            for k, d in enumerate(bad.to_dict("records")):
                if k >= ROWS_CAP:
                    out.append(Finding(ERROR, "return_foreign_rows",
                                       f"… và {len(bad) - ROWS_CAP} dòng khác.", file=name,
                                       sheet=str(d["_sheet"]), unit_code=cover.unit_code))
                    break
                code = d[col]
                who = owner(code)
                out.append(Finding(
                    ERROR, "return_foreign_rows",
                    f"Dòng này thuộc đơn vị «{who}», không phải đơn vị «{cover.unit_code}» của "
                    f"tệp (bảng «{prefill.COVER_SHEET}»): mỗi đơn vị chỉ gửi số liệu của mình. "
                    "Xóa dòng này hoặc chuyển cho đơn vị kia.",
                    file=name, sheet=d["_sheet"], row=int(d["_row"]), column=header,
                    value=str(code), unit_code=cover.unit_code, year=cover.year))
    return out


def _duplicates_across_files(frame: pd.DataFrame, table: schema.Table) -> list[Finding]:
    """The same key in rows of two different files."""
    if frame.empty or frame["_file"].nunique() < 2:
        return []
    key = list(table.key)
    dup = frame[frame.duplicated(key, keep=False)]
    if dup.empty:
        return []
    out: list[Finding] = []
    for _, grp in dup.groupby(key, sort=False, dropna=False):
        files = list(dict.fromkeys(grp["_file"].astype(str)))
        if len(files) < 2:
            continue  # same file: intake's duplicate_key already says it
        first = grp.iloc[0]
        for _, rec in grp.iloc[1:].iterrows():
            if rec["_file"] == first["_file"]:
                continue
            if len(out) >= ROWS_CAP:
                return [*out, Finding(ERROR, "return_duplicate_row",
                                      f"… và nhiều dòng khác trùng giữa các tệp (bảng "
                                      f"«{table.title_vi}»).", file=str(rec["_file"]))]
            keys = ", ".join(str(rec[k]) for k in key)
            out.append(Finding(
                ERROR, "return_duplicate_row",
                f"Dòng ({keys}) có ở cả tệp «{first['_file']}» (dòng {int(first['_row'])}) và "
                f"tệp «{rec['_file']}» (dòng {int(rec['_row'])}): chỉ một đơn vị được báo cáo "
                "dòng này.",
                file=str(rec["_file"]), sheet=str(rec["_sheet"]), row=int(rec["_row"]),
                column=table.column(key[-1]).header_vi, value=keys,
                extra={"other_file": str(first["_file"])}))
    return out
