"""What every part of the reader shares: the typed input tables and their provenance
(:class:`InputData`, :func:`empty_frame`), blank cells, text normalisation, and how a value is
shown in a finding.
"""

from __future__ import annotations

import os
import re
import traceback
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.findings import ERROR, Finding

#: Rows searched for the header row.
HEADER_SCAN_ROWS = 10
#: Cell values in findings are cut to this many characters.
VALUE_MAX_CHARS = 100
_TOTAL_EXACT = frozenset({"cong", "tong", "total", "grand total", "tong cong", "tong so"})
# "Cộng năm 2019" / "Tổng năm 2020": sheets grouped by year carry a subtotal under each block.
_TOTAL_PREFIXES = ("tong cong ", "tong so ", "total ", "cong toan ", "cong nam ", "tong nam ")

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

STRING = pd.StringDtype()
UNIT_COLUMNS = ("unit_code", "reporting_unit", "commune_code", "code", "old_code")
YEAR_COLUMNS = ("year", "snapshot_year", "effective_year")
PROVENANCE = ("_file", "_sheet", "_row")


# --- public API -----------------------------------------------------------------------------
@dataclass
class InputData:
    """The input tables, typed and normalised, with where they came from.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Every table of ``tables.yaml`` in schema order; an absent table is an empty frame with
        the schema columns. Provenance columns ``_file``, ``_sheet``, ``_row`` follow.
    source : Path
        The workbook or folder that was read.
    fingerprint : str
        First 12 hex digits of a sha256: of the file's bytes for a single file; for a folder,
        of every CSV's name and bytes in name order (a renamed CSV is another table).
    files : list of str
        Names of the files the fingerprint covers.
    """

    tables: dict[str, pd.DataFrame]
    source: Path
    fingerprint: str
    files: list[str] = field(default_factory=list)


def empty_frame(table_name: str) -> pd.DataFrame:
    """An empty, correctly typed frame of one table (schema columns and provenance)."""
    table = schema.table(table_name)
    cols: dict[str, Any] = {c.name: pd.array([], dtype=column_dtype(c)) for c in table.columns}
    cols["_file"] = pd.array([], dtype=STRING)
    cols["_sheet"] = pd.array([], dtype=STRING)
    cols["_row"] = np.array([], dtype="int64")
    return pd.DataFrame(cols)


def debug() -> bool:
    return os.environ.get("TCCSD_DEBUG") == "1"


def unexpected(exc: BaseException, file: str, sheet: str = "") -> Finding:
    where = f"bảng «{sheet}» của tệp «{file}»" if sheet else f"tệp «{file}»"
    return Finding(
        ERROR, "read_failed",
        f"Không đọc được {where} do lỗi không lường trước ({type(exc).__name__}: "
        f"{cut(str(exc))}). Hãy mở tệp bằng Excel, lưu lại dạng .xlsx và thử lại; nếu vẫn "
        "lỗi, gửi tệp cho người phụ trách phần mềm.",
        file=file, sheet=sheet,
        extra={"traceback": traceback.format_exc()},
    )


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if v.__class__ is str:
        return v == "" or v.isspace()
    return isinstance(v, float) and v != v  # NaN


def is_blank_row(values: Iterable[Any]) -> bool:
    return all(is_blank(v) for v in values)


def cell_key(v: Any) -> str:
    return "" if is_blank(v) else text_key(str(v))


@lru_cache(maxsize=1 << 16)
def text_key(text: str) -> str:
    """The match key of a cell's text, computed once per distinct text: header rows and the
    template's own sheets repeat in every workbook of a collection."""
    return schema.match_key(norm_text(text))


def is_total_word(v: Any) -> bool:
    if v.__class__ is not str or len(v) > 60:
        return False
    head = v.lstrip()[:1].casefold()
    if head.isascii() and head not in ("t", "c", "g"):  # cheap exit for codes and numbers
        return False
    key = schema.match_key(v)
    return key in _TOTAL_EXACT or key.startswith(_TOTAL_PREFIXES)


def column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


# --- text and values --------------------------------------------------------------------------
def norm_text(s: str) -> str:
    """NFC, no zero-width characters, trimmed, inner whitespace collapsed to one space."""
    if not s.isascii():
        s = unicodedata.normalize("NFC", _INVISIBLE.sub("", s))
    return " ".join(s.split())


def norm_series(s: pd.Series) -> pd.Series:
    """``_norm_text`` over a column, computed once per distinct value."""
    values = s.to_numpy(dtype=object)
    uniques = pd.unique(values)
    if len(uniques) * 2 < len(values):
        lookup = {u: norm_text(u) for u in uniques}
        out = [lookup[v] for v in values]
    else:
        out = [norm_text(v) for v in values]
    return pd.Series(out, index=s.index, dtype=object)


def int_vi(x: float) -> str:
    """A whole number with Vietnamese thousands dots (1.234.567)."""
    return f"{round(x):,}".replace(",", ".")


def cut(text: str) -> str:
    return text if len(text) <= VALUE_MAX_CHARS else text[: VALUE_MAX_CHARS - 1] + "…"


def value_text(v: Any) -> str:
    """A cell value as the user would read it (dates day/month/year, decimal comma)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v).replace(".", ",")
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y") if v.time() == time(0) else v.strftime("%d/%m/%Y %H:%M")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, time):
        return v.strftime("%H:%M")
    return cut(str(v))


def column_dtype(col: schema.Column) -> Any:
    if col.type in ("year", "count"):
        return "Int64"
    if col.type == "bool":
        return "boolean"
    return STRING
