"""Matching sheets to tables and header rows to columns: sheet names, header rows, column
headers (personal data, ordinals, reference columns), and data tables pasted where they are
not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from analysis.data import schema
from analysis.data.findings import WARNING, Finding
from analysis.data.reading.common import HEADER_SCAN_ROWS, cell_key, int_vi, is_blank_row
from analysis.data.reading.sources import Sheet
from analysis.data.template import (
    REFERENCE_PREFIX,
    sheet_name,
)

#: Column headers (match keys) that hold people's names: never read, always reported.
PERSONAL_NAME_HEADERS = frozenset(
    {"ho ten", "ho va ten", "ho ten dang vien", "ho va ten dang vien", "ten dang vien",
     "ho ten can bo", "ho va ten can bo", "ten can bo", "ho ten bi thu", "ten bi thu",
     "ho ten nguoi", "ho dem", "ho va ten dem", "ho", "name", "full name", "fullname",
     "first name", "last name", "given name", "family name", "surname"}
)
#: Other personal data that the suite never needs.
PERSONAL_DATA_HEADERS = frozenset(
    {"ngay sinh", "nam sinh", "ngay thang nam sinh", "ngay vao dang", "so cmnd", "cmnd",
     "so cccd", "cccd", "can cuoc", "so can cuoc", "so dien thoai", "dien thoai", "email",
     "dia chi", "que quan", "so the dang vien", "date of birth", "phone"}
)
#: Row-number columns ("STT") are common and carry nothing: dropped without a finding.
ORDINAL_HEADERS = frozenset({"stt", "tt", "so tt", "so thu tu", "no", "#"})
#: Reference columns of pre-filled workbooks (names, previous year): never data, no finding.
REFERENCE_KEY = schema.match_key(REFERENCE_PREFIX)


@cache
def table_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for t in schema.tables().values():
        for label in (t.name, t.title_vi, t.title_vi[:31], sheet_name(t)):
            keys.setdefault(schema.match_key(label), t.name)
    return keys


def table_list() -> str:
    return ", ".join(f"«{sheet_name(t)}»" for t in schema.tables().values())


@cache
def column_names_by_header(table_name: str) -> dict[str, str]:
    table = schema.table(table_name)
    lookup: dict[str, str] = {}
    for c in table.columns:
        lookup.setdefault(schema.match_key(c.name), c.name)
    for c in table.columns:
        lookup.setdefault(schema.match_key(c.header_vi), c.name)
    return lookup


def is_personal(key: str) -> str | None:
    if key in PERSONAL_NAME_HEADERS or key.startswith(("ho ten ", "ho va ten ")):
        return "name"
    if key in PERSONAL_DATA_HEADERS:
        return "data"
    return None


def _header_score(values: tuple, lookup: dict[str, str]) -> int:
    """Number of known headers in a row, or 0 when the row is not a header row."""
    keys = [cell_key(v) for v in values]
    keys = [k for k in keys if k and k not in ORDINAL_HEADERS and is_personal(k) is None
            and not k.startswith(REFERENCE_KEY)]
    hits = sum(k in lookup for k in keys)
    return hits if hits >= 2 and 2 * hits >= len(keys) else 0


def find_header(head: list[tuple[int, tuple]], table_name: str) -> tuple[int, tuple] | None:
    lookup = column_names_by_header(table_name)
    for rownum, values in head[:HEADER_SCAN_ROWS]:
        if _header_score(values, lookup):
            return rownum, values
    return None


@cache
def _all_header_keys() -> frozenset[str]:
    """The match keys naming a column of any table (:func:`_header_lookup`)."""
    return frozenset(k for name in schema.tables() for k in column_names_by_header(name))


def _table_columns_in(values: tuple) -> tuple[str, set[str]] | None:
    """The table most of whose columns head ``values`` (a candidate header row), and those
    columns: at least 3 distinct ones, half of its required columns and half of the row's
    cells, or None.

    Stricter than :func:`_header_score`: the instructions sheet lists each column as a row
    («Mã cũ», «old_code», …), two known headers of one column in a short row.
    """
    keys = {k for k in (cell_key(v) for v in values) if k}
    if len(keys) < 3 or len(keys & _all_header_keys()) < 3:  # 3 columns need 3 known keys
        return None
    best: tuple[str, set[str]] | None = None
    for name, table in schema.tables().items():
        lookup = column_names_by_header(name)
        known = [k for k in keys if k in lookup]
        mapped = {lookup[k] for k in known}
        required = {c.name for c in table.columns if c.required}
        # most of the row's cells are the table's headers (the lists sheet heads its lists
        # with vocabulary names, a few of which are column names too)
        if len(mapped) >= 3 and 2 * len(known) >= len(keys) and (
                2 * len(mapped & required) >= len(required)) and (
                best is None or len(mapped) > len(best[1])):
            best = (name, mapped)
    return best


def table_in_rows(rows: Iterable[tuple[int, tuple]], limit: int
                   ) -> tuple[str, int, int] | None:
    """(table, header row, non-blank rows under it) of the first header row of a data table
    among ``rows`` (the first ``limit``) that has at least one row under it; None if none."""
    found: tuple[str, int] | None = None
    n = 0
    for rownum, values in rows:
        if rownum > limit:
            break
        if is_blank_row(values):
            continue
        if found is None:
            hit = _table_columns_in(values)
            if hit is not None:
                found = (hit[0], rownum)
            continue
        if _table_columns_in(values) is None:  # a repeated header row is not data
            n += 1
    if found is None or n == 0:
        return None
    return found[0], found[1], n


def unknown_sheet(sh: Sheet, csv_file: bool) -> Finding:
    """``unknown_sheet``; when a row of the sheet heads most columns of a table, the table
    is named, with the required columns it lacks."""
    what = "Tệp" if csv_file else "Bảng (sheet)"
    base = f"{what} «{sh.sheet}» không thuộc mẫu nhập liệu nên không được đọc."
    for rownum, values in sh.head:
        hit = _table_columns_in(values)
        if hit is None:
            continue
        table = schema.table(hit[0])
        target = sheet_name(table)
        lacking = [c.header_vi for c in table.columns if c.required and c.name not in hit[1]]
        named = ", ".join(f"«{h}»" for h in lacking[:5]) + (" …" if len(lacking) > 5 else "")
        rename = (f"đặt tên {'tệp' if csv_file else 'bảng'} là "
                  f"«{table.name + '.csv' if csv_file else target}»")
        lacks = (f" nhưng thiếu các cột bắt buộc {named}" if lacking else "")
        return Finding(
            WARNING, "unknown_sheet",
            f"{base} Dòng {rownum} có {int_vi(len(hit[1]))} cột của bảng «{target}»{lacks}. "
            f"Nếu đây là số liệu của bảng «{target}», hãy {rename}"
            + (" và bổ sung các cột còn thiếu." if lacking else "."),
            file=sh.file, sheet=sh.sheet, row=rownum, extra={"table": table.name},
        )
    return Finding(WARNING, "unknown_sheet", f"{base} Tên bảng cần là một trong: "
                   f"{table_list()}.", file=sh.file, sheet=sh.sheet)


def guess_table(head: list[tuple[int, tuple]]) -> str | None:
    """The one table whose required columns all appear in a header row of ``head``."""
    scores: dict[str, int] = {}
    for name, table in schema.tables().items():
        found = find_header(head, name)
        if found is None:
            continue
        lookup = column_names_by_header(name)
        mapped = {lookup.get(cell_key(v)) for v in found[1]} - {None}
        required = {c.name for c in table.columns if c.required}
        if required <= mapped:
            scores[name] = len(mapped)
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def is_second_header(values: tuple, table_name: str) -> bool:
    """True for a row of column codes (or headers) right under the header row."""
    lookup = column_names_by_header(table_name)
    keys = [k for k in (cell_key(v) for v in values) if k and not k.startswith(REFERENCE_KEY)]
    hits = sum(k in lookup for k in keys)
    return hits >= 2 and 2 * hits >= len(keys)
