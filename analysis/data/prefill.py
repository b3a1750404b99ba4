"""Pre-filled workbooks: one per reporting unit and year, sent out for the yearly collection.

``write_unit_workbook(tables, unit, year, out)`` writes the template of
:mod:`analysis.data.template` with the unit's own rows already listed:

* sheet «Thông tin» (cover): unit code and name, year, recipient and deadline
  (``params/collection.yaml``), the template version stamp (:func:`template_stamp`) and how to
  fill it in;
* sheets «TCCSĐ», «Thôn», «Cán bộ chủ chốt xã», «Tổng hợp»: one row per TCCSĐ / village /
  official position of the unit for that year, key columns filled and locked (sheet
  protection without password: it prevents slips, not intent), value cells unlocked; dropdowns
  and whole-number checks as in the blank template; ``spare_rows`` unlocked rows below for
  what the list lacks;
* reference columns (header starting «Tham khảo»): the Vietnamese name, a note (mergers), and
  the previous year's values, greyed and locked. :mod:`analysis.data.intake` drops every
  column whose header starts with «Tham khảo», so they are never read as data;
* sheets «Đơn vị» and «Sáp nhập»: the province, the unit and everything under it (all years),
  and the mergers concerning them, locked — so that a folder of returned workbooks carries the
  units table (:mod:`analysis.data.returns` merges the identical copies);
* a very hidden sheet «Mã in sẵn» listing each pre-filled row (sheet, Excel row, codes), so a
  code changed or deleted on return is recognised.

Which rows are listed for unit U and year Y (from the units table and the data source):

* communes: level ``commune``, parent U, alive in Y (``first_year`` ≤ Y ≤ ``last_year``,
  blanks open); a commune that absorbed others in Y (crosswalk ``effective_year`` = Y) carries
  a note naming them; villages: alive in Y under those communes;
* TCCSĐ: when the source already has TCCSĐ rows of year Y (a re-collection, a correction),
  exactly the unit's rows of Y; otherwise those of Y − 1 minus the ones of communes gone in Y,
  plus ``<commune>_db`` for an alive commune without one;
* officials: likewise the source's (commune, position, number) of Y when it has year Y, else
  those of Y − 1 for alive communes, a commune without any getting one row per position;
* «Tổng hợp»: one row for (Y, U) when the source has a summary row of U in Y or Y − 1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data import template as tpl
from analysis.data.units import REPORTING_LEVELS
from analysis.reproducible import build_datetime

COVER_SHEET = tpl.COVER_SHEET
PREFILLED_SHEET = tpl.PREFILLED_SHEET
#: Headers of reference columns start with this; intake never reads such a column.
REFERENCE_PREFIX = tpl.REFERENCE_PREFIX
#: Layout version of the pre-filled workbook; bump when the layout (not the schema) changes.
LAYOUT_VERSION = 1
#: Cover sheet labels (column A) the returns reader looks for.
COVER_LABELS = {
    "unit_code": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "year": "Năm số liệu",
    "recipient": "Gửi cho",
    "deadline": "Hạn gửi",
    "stamp": "Phiên bản mẫu",
}
#: Tables with pre-filled rows, and the columns that identify a row (besides the year).
IDENTITY = {
    "organizations": ("org_code",),
    "villages": ("village_code",),
    "officials": ("commune_code", "position", "seq"),
    "unit_summary": ("unit_code",),
}
#: Value columns the workbook fills from the source when known (kind of TCCSĐ, term): a file
#: holding only these is still "nothing filled in".
PREFILLED_VALUES = {"organizations": ("org_type", "org_form"), "officials": ("term",)}
YEAR_COLUMN = {"organizations": "year", "villages": "year", "officials": "snapshot_year",
               "unit_summary": "year"}

_GREY_FILL = "EDEDED"
_GREY_FONT = "7F7F7F"


class PrefillError(ValueError):
    """A pre-filled workbook cannot be written (unknown unit, unsafe code…); Vietnamese text."""


def schema_digest() -> str:
    """12 hex digits naming the input schema (tables, columns, types, required)."""
    spec = [[t.name, [[c.name, c.type, c.required, c.vocabulary or ""] for c in t.columns]]
            for t in schema.tables().values()]
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:12]


def template_stamp() -> str:
    """The version stamp written on the cover sheet, e.g. ``mau-1-3fa2c0d91b7e``."""
    return f"mau-{LAYOUT_VERSION}-{schema_digest()}"


def reporting_units(units: pd.DataFrame) -> pd.DataFrame:
    """The reporting units (districts and sector committees) of a units table, in table order."""
    return units[units["level"].isin(REPORTING_LEVELS)]


def file_name(unit_code: str, year: int) -> str:
    """File name of a unit's workbook, e.g. ``2020_son_dong.xlsx`` (python-slugify)."""
    from slugify import slugify

    return f"{int(year)}_{slugify(str(unit_code), separator='_')}.xlsx"


@dataclass
class UnitRows:
    """The rows listed in one unit's workbook, per table, with reference columns."""

    unit_code: str
    unit_name: str
    year: int
    tables: dict[str, pd.DataFrame]       # schema columns (keys filled, values empty or kept)
    names: dict[str, list[str]]           # per table: the Vietnamese name of each row
    notes: dict[str, list[str]]           # per table: a note per row (mergers)
    previous: dict[str, pd.DataFrame]     # per table: previous-year values aligned with rows


def _alive(frame: pd.DataFrame, year: int) -> pd.Series:
    first = pd.to_numeric(frame["first_year"], errors="coerce")
    last = pd.to_numeric(frame["last_year"], errors="coerce")
    return (first.isna() | (first <= year)) & (last.isna() | (last >= year))


def unit_rows(tables: Mapping[str, pd.DataFrame], unit_code: str, year: int) -> UnitRows:
    """Compute the rows of one unit's workbook for ``year`` (see the module docstring)."""
    units = tables["units"]
    found = units[units["code"] == unit_code]
    if found.empty or str(found["level"].iat[0]) not in REPORTING_LEVELS:
        known = ", ".join(reporting_units(units)["code"].astype(str))
        raise PrefillError(f"Không có đơn vị báo cáo «{unit_code}». Các đơn vị: {known}.")
    unit_name = str(found["name"].iat[0])
    names_by_code = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    communes = units[(units["level"] == "commune") & (units["parent_code"] == unit_code)]
    communes = communes[_alive(communes, year)]
    commune_codes = list(communes["code"].astype(str))
    cset = set(commune_codes)
    villages = units[(units["level"] == "village") & units["parent_code"].isin(cset)]
    villages = villages[_alive(villages, year)]
    cross = tables["crosswalk"]
    merged_in = cross[(cross["effective_year"] == year) & cross["new_code"].isin(cset)
                      & ~cross["old_code"].isin(cset)]
    notes_by_code: dict[str, str] = {}
    for new, grp in merged_in.groupby("new_code", sort=False):
        olds = ", ".join(f"{names_by_code.get(o, o)} ({o})" for o in grp["old_code"].astype(str))
        notes_by_code[str(new)] = f"Từ năm {year} gồm cả: {olds}."

    out_tables: dict[str, pd.DataFrame] = {}
    names: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    previous: dict[str, pd.DataFrame] = {}

    # organizations
    orgs = tables["organizations"]
    mine = orgs[orgs["reporting_unit"] == unit_code]
    rows = mine[mine["year"] == year]
    summ = tables["unit_summary"]
    if not (orgs["year"] == year).any():  # not a re-collection: start from the year before
        prev = mine[mine["year"] == year - 1]
        keep = prev["commune_code"].isna() | prev["commune_code"].isin(cset)
        rows = prev[keep]
        have = set(rows["commune_code"].dropna().astype(str))
        extra = [{"org_code": f"{c}_db", "reporting_unit": unit_code, "commune_code": c}
                 for c in commune_codes if c not in have]
        base = rows[["org_code", "reporting_unit", "commune_code", "org_type", "org_form"]]
        rows = pd.concat([base, pd.DataFrame(extra)], ignore_index=True) if extra else base
    org_frame = rows[["org_code", "reporting_unit", "commune_code"]
                     + [c for c in ("org_type", "org_form") if c in rows]].copy()
    org_frame.insert(0, "year", year)
    out_tables["organizations"] = org_frame.reset_index(drop=True)
    org_types = {e["code"]: e["label_vi"] for e in schema.vocabularies()["org_type"].entries}
    names["organizations"] = [
        f"Đảng bộ {names_by_code[str(c)]}" if isinstance(c, str) and c in names_by_code
        else org_types.get(str(t), "") if t is not None and not pd.isna(t) else ""
        for c, t in zip(org_frame["commune_code"],
                        org_frame.get("org_type", [None] * len(org_frame)), strict=True)]
    notes["organizations"] = [notes_by_code.get(str(c), "") if isinstance(c, str) else ""
                              for c in org_frame["commune_code"]]

    # villages
    vil = pd.DataFrame({"year": year, "village_code": villages["code"].astype(str).to_numpy(),
                        "commune_code": villages["parent_code"].astype(str).to_numpy()})
    out_tables["villages"] = vil
    names["villages"] = [f"{names_by_code.get(v, '')} — {names_by_code.get(c, '')}"
                         for v, c in zip(vil["village_code"], vil["commune_code"], strict=True)]
    notes["villages"] = [""] * len(vil)

    # officials
    off = tables["officials"]
    off_mine = off[off["commune_code"].isin(cset)]
    off_rows = off_mine[off_mine["snapshot_year"] == year]
    recollect = bool((off["snapshot_year"] == year).any())  # the source has the year
    if not recollect:
        off_rows = off_mine[off_mine["snapshot_year"] == year - 1]
    off_frame = off_rows[["term", "commune_code", "position", "seq"]].copy()
    missing = [c for c in commune_codes if c not in set(off_frame["commune_code"].astype(str))]
    if missing and not recollect:
        positions = schema.vocabularies()["official_position"].entries
        term = off_frame["term"].mode().iat[0] if len(off_frame) else None
        add = pd.DataFrame([{"term": term, "commune_code": c, "position": p["code"], "seq": 1}
                            for c in missing for p in positions])
        off_frame = pd.concat([off_frame, add], ignore_index=True)
    off_frame.insert(0, "snapshot_year", year)
    off_frame = off_frame.reset_index(drop=True)
    out_tables["officials"] = off_frame
    pos_labels = {e["code"]: e["label_vi"]
                  for e in schema.vocabularies()["official_position"].entries}
    names["officials"] = [f"{names_by_code.get(str(c), '')} — {pos_labels.get(str(p), p)} {s}"
                          for c, p, s in zip(off_frame["commune_code"], off_frame["position"],
                                             off_frame["seq"], strict=True)]
    notes["officials"] = [notes_by_code.get(str(c), "") for c in off_frame["commune_code"]]

    # unit summary
    has = summ[(summ["unit_code"] == unit_code) & summ["year"].isin([year, year - 1])]
    out_tables["unit_summary"] = (pd.DataFrame({"year": [year], "unit_code": [unit_code]})
                                  if len(has) else pd.DataFrame({"year": [], "unit_code": []}))
    names["unit_summary"] = [unit_name] * len(out_tables["unit_summary"])
    notes["unit_summary"] = [""] * len(out_tables["unit_summary"])

    for name, frame in out_tables.items():
        previous[name] = _previous(tables[name], frame, name, year)
    return UnitRows(unit_code, unit_name, year, out_tables, names, notes, previous)


def value_columns(table_name: str) -> list[schema.Column]:
    """Columns a unit fills in (everything but the year and the identifying codes)."""
    table = schema.table(table_name)
    fixed = {YEAR_COLUMN[table_name], *IDENTITY[table_name], "reporting_unit", "commune_code"}
    return [c for c in table.columns if c.name not in fixed]


def _previous(source: pd.DataFrame, frame: pd.DataFrame, name: str, year: int) -> pd.DataFrame:
    cols = [c.name for c in value_columns(name)]
    ident = list(IDENTITY[name])
    if frame.empty:
        return pd.DataFrame(columns=cols)
    prev = source[source[YEAR_COLUMN[name]] == year - 1]
    prev = prev.drop_duplicates(ident)[ident + cols]
    left = frame[ident].astype(object).astype(str)
    right = prev.copy()
    right[ident] = right[ident].astype(object).astype(str)
    merged = left.merge(right, on=ident, how="left")
    return merged[cols].reset_index(drop=True)


# --- writing ----------------------------------------------------------------------------------
def write_unit_workbook(tables: Mapping[str, pd.DataFrame], unit_code: str, year: int,
                        out: Path) -> Path:
    """Write the pre-filled workbook of one reporting unit for ``year`` to ``out``.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The source tables as :func:`analysis.data.intake.read_input` returns them (units,
        crosswalk, and the data giving the TCCSĐ list and the previous year's values).
    unit_code : str
        A district or sector committee of the units table.
    year : int
        The data year the workbook collects.
    out : Path
        The ``.xlsx`` to write (atomically; bytes depend on ``SOURCE_DATE_EPOCH`` only).

    Raises
    ------
    PrefillError
        Unknown unit, or a code Excel would alter on re-save.
    """
    rows = unit_rows(tables, unit_code, int(year))
    return tpl.save(_build(tables, rows), Path(out))


def write_all(tables: Mapping[str, pd.DataFrame], year: int, folder: Path) -> list[Path]:
    """One workbook per reporting unit into ``folder`` (:func:`file_name`); return the paths."""
    folder = Path(folder)
    codes = list(reporting_units(tables["units"])["code"].astype(str))
    return [write_unit_workbook(tables, c, year, folder / file_name(c, year)) for c in codes]


def _build(tables: Mapping[str, pd.DataFrame], rows: UnitRows) -> Any:
    from openpyxl import Workbook

    plan = params.plan()
    years = (int(plan["first_year"]), int(plan["last_year"]))
    wb = Workbook()
    cover = wb.active
    cover.title = COVER_SHEET
    _write_cover(cover, rows)
    intro = wb.create_sheet(tpl.INSTRUCTIONS_SHEET)
    tpl.write_instructions(intro, years, plan)
    ranges = tpl.list_ranges()
    spare = int(params.collection().get("spare_rows", 20))
    prefilled: list[tuple[str, int, str]] = []
    for table in schema.tables().values():
        ws = wb.create_sheet(tpl.sheet_name(table))
        if table.name in rows.tables:
            _write_prefilled_sheet(ws, table, rows, years, ranges, spare, prefilled)
        else:
            tpl.write_table_sheet(ws, table, years, ranges)
            frame = _reference_rows(tables, table.name, rows.unit_code)
            if len(frame):
                tpl.write_rows(ws, table, frame)
            _protect(ws)
    lists = wb.create_sheet(tpl.LISTS_SHEET)
    tpl.write_lists(lists)
    lists.sheet_state = "hidden"
    codes = wb.create_sheet(PREFILLED_SHEET)
    codes.append(["sheet", "row", "codes"])
    for rec in prefilled:
        codes.append([tpl.cell_value(x) for x in rec])
    codes.sheet_state = "veryHidden"
    wb.active = 0
    props = wb.properties
    stamp = build_datetime()
    props.created = stamp
    props.modified = stamp
    props.creator = "tccsd-review"
    props.lastModifiedBy = None
    props.title = f"Mẫu nhập liệu {rows.year} — {rows.unit_name}"
    props.subject = template_stamp()
    props.keywords = f"{rows.unit_code} {rows.year}"
    props.language = "vi-VN"
    return wb


def _reference_rows(tables: Mapping[str, pd.DataFrame], name: str, unit: str) -> pd.DataFrame:
    """The province, the unit and its subtree (units); the mergers touching them (crosswalk)."""
    units = tables["units"]
    if name == "units":
        codes = {unit}
        frontier = {unit}
        while frontier:
            frontier = set(units.loc[units["parent_code"].isin(frontier), "code"]) - codes
            codes |= frontier
        parent = units.loc[units["code"] == unit, "parent_code"]
        codes |= set(parent.dropna())
        return units[units["code"].isin(codes)]
    if name == "crosswalk":
        sub = set(_reference_rows(tables, "units", unit)["code"])
        cw = tables["crosswalk"]
        return cw[cw["old_code"].isin(sub) | cw["new_code"].isin(sub)]
    return tables[name].iloc[0:0]


def _protect(ws: Any) -> None:
    prot = ws.protection
    prot.sheet = True
    # what stays allowed under protection: widths, sorting, filtering, selecting
    prot.formatColumns = False
    prot.formatRows = False
    prot.sort = False
    prot.autoFilter = False
    prot.selectLockedCells = False
    prot.selectUnlockedCells = False


def _write_prefilled_sheet(ws: Any, table: schema.Table, rows: UnitRows, years: tuple[int, int],
                           ranges: dict[str, str], spare: int,
                           prefilled: list[tuple[str, int, str]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    tpl.write_table_sheet(ws, table, years, ranges)
    frame = rows.tables[table.name]
    full = pd.DataFrame({c.name: frame[c.name] if c.name in frame else pd.Series(
        [None] * len(frame), dtype=object) for c in table.columns})
    if len(full):
        tpl.write_rows(ws, table, full)
    n = len(full)
    ncols = len(table.columns)
    values = {c.name for c in value_columns(table.name)}
    prefilled_cols = set(frame.columns)
    unlocked = Protection(locked=False)
    last = tpl.FIRST_DATA_ROW + n + spare - 1
    for j, col in enumerate(table.columns, start=1):
        editable = col.name in values and col.name not in (set(IDENTITY[table.name]))
        for r in range(tpl.FIRST_DATA_ROW, last + 1):
            cell = ws.cell(row=r, column=j)
            if r >= tpl.FIRST_DATA_ROW + n or editable or col.name not in prefilled_cols:
                cell.protection = unlocked
            elif not editable:
                cell.fill = PatternFill("solid", fgColor="F2F2F2")
    # reference columns: name, note, previous year's values
    prev = rows.previous[table.name]
    grey = PatternFill("solid", fgColor=_GREY_FILL)
    head_font = Font(bold=True, color=_GREY_FONT)
    refs: list[tuple[str, list[Any], str]] = [
        (f"{REFERENCE_PREFIX}: tên", rows.names[table.name], "text"),
        (f"{REFERENCE_PREFIX}: ghi chú", rows.notes[table.name], "text"),
    ]
    vocabs = schema.vocabularies()
    for col in value_columns(table.name):
        if col.name not in prev:
            continue
        vals = prev[col.name].tolist()
        if col.type == "enum":
            labels = {e["code"]: e["label_vi"] for e in vocabs[col.vocabulary or ""].entries}
            vals = [labels.get(str(v), v) if not tpl.is_blank(v) else None for v in vals]
        elif col.type == "bool":
            vals = [None if tpl.is_blank(v) else ("Có" if bool(v) else "Không") for v in vals]
        refs.append((f"{REFERENCE_PREFIX}: {rows.year - 1} {col.header_vi}", vals, col.type))
    for k, (header, vals, kind) in enumerate(refs):
        j = ncols + 1 + k
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j, value=header)
        head.font = head_font
        head.fill = grey
        head.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[letter].width = 34 if k == 0 else (28 if k == 1 else 14)
        for i, v in enumerate(vals):
            if tpl.is_blank(v) or v == "":
                v = None
            elif kind in ("count", "year"):
                v = int(v)
            cell = ws.cell(row=tpl.FIRST_DATA_ROW + i, column=j, value=tpl.cell_value(v))
            cell.fill = grey
            cell.font = Font(color=_GREY_FONT)
    ident = IDENTITY[table.name]
    for i, rec in enumerate(frame[list(ident)].itertuples(index=False)):
        prefilled.append((ws.title, tpl.FIRST_DATA_ROW + i, _identity_text(rec)))
    _protect(ws)


def _identity_text(values: Any) -> str:
    return " / ".join("" if tpl.is_blank(v) else str(int(v)) if isinstance(v, float)
                      else str(v) for v in values)


def _write_cover(ws: Any, rows: UnitRows) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    conf = params.collection()
    deadline = str(conf.get("deadline_vi", "")).format(next_year=rows.year + 1, year=rows.year)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    title = f"MẪU NHẬP LIỆU NĂM {rows.year} — {rows.unit_name.upper()}"
    ws.cell(row=1, column=1, value=tpl.cell_value(title)).font = Font(bold=True, size=14)
    ws.merge_cells("A1:B1")
    fields = [
        (COVER_LABELS["unit_code"], rows.unit_code),
        (COVER_LABELS["unit_name"], rows.unit_name),
        (COVER_LABELS["year"], rows.year),
        (COVER_LABELS["recipient"], str(conf.get("recipient_vi", ""))
         + (f" {conf['contact_vi']}" if conf.get("contact_vi") else "")),
        (COVER_LABELS["deadline"], deadline),
        (COVER_LABELS["stamp"], template_stamp()),
    ]
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, (label, value) in enumerate(fields, start=3):
        a = ws.cell(row=i, column=1, value=label)
        a.font = Font(bold=True)
        a.fill = fill
        b = ws.cell(row=i, column=2, value=tpl.cell_value(value))
        b.alignment = Alignment(horizontal="left")  # text, never a formula: tpl.save hardens
    steps = [
        "Cách điền",
        f"1. Các bảng «TCCSĐ», «Thôn», «Cán bộ chủ chốt xã» đã ghi sẵn mọi tổ chức cơ sở đảng, "
        f"thôn, tổ dân phố và chức danh cán bộ chủ chốt của {rows.unit_name} năm {rows.year}. "
        "Các cột mã và năm (nền xám) bị khóa: không sửa, không xóa, không sắp xếp lại dòng.",
        "2. Chỉ nhập số liệu vào các ô trắng của mỗi dòng; cột có mũi tên thì chọn trong danh "
        "sách, số lượng ghi số nguyên không âm.",
        f"3. Các cột «{REFERENCE_PREFIX}…» bên phải (nền xám) ghi tên đơn vị, ghi chú sáp nhập "
        f"và số liệu năm {rows.year - 1} để đối chiếu; phần mềm không đọc các cột này. Số liệu "
        "chênh lệch nhiều so với năm trước cần được kiểm tra lại.",
        "4. Đơn vị mới chưa có trong danh sách: ghi vào các dòng trống ngay bên dưới danh sách.",
        "5. Không đổi tên các bảng (sheet), không xóa bảng này. Lưu tệp dạng Excel Workbook "
        f"(.xlsx) và gửi về {conf.get('recipient_vi', '')} trước {deadline}.",
        "6. Xem hướng dẫn chi tiết từng cột ở bảng «Hướng dẫn».",
    ]
    r = len(fields) + 4
    for k, text in enumerate(steps):
        c = ws.cell(row=r + k, column=1, value=text)
        c.font = Font(bold=(k == 0))
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=r + k, start_column=1, end_row=r + k, end_column=2)
        ws.row_dimensions[r + k].height = 15 * max(1, len(text) // 100 + 1) + 2
    _protect(ws)
