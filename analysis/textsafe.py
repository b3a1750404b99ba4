"""Text from the data, made safe for the files and terminals it is written to.

User-supplied strings (cell values, unit names, codes, file and sheet names) reach the
terminal, workbooks, CSV and HTML. Three things can go wrong there, and this module handles
each; it imports nothing else from the package, so every wing may use it.

* **Control characters** (ESC sequences, NUL bytes left by a failing USB stick, DEL, the C1
  range): printed raw they drive the terminal; openpyxl refuses them with
  ``IllegalCharacterError``. :func:`visible` shows each as ``\\xHH`` (``\\x1b``), so the user
  sees what the cell holds and no writer crashes.
* **Formulas**: openpyxl stores a string starting with «=» as a formula, so a rejected value such
  as ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` would be a live link or a DDE prompt in the
  findings workbook. :func:`harden_workbook` types every string cell as text before a save.
  CSV has no types: :func:`csv_text` and :func:`csv_frame` prefix a cell starting with
  ``= + - @``, a tab or a carriage return with «'» (OWASP, "CSV Injection").
* **OOXML escapes**: ``_x`` + hex digits + ``_`` is read by spreadsheet applications as an
  escaped character (``_x000D_`` becomes a line break on re-save; LibreOffice also reads 1 to 3
  digits). :func:`excel_text` escapes the «_» (``_x005f_``); :func:`unescape_text` undoes it.
"""

from __future__ import annotations

import re
from typing import Any

#: C0 controls, DEL and C1 controls (``\\x9b`` is CSI on 8-bit terminals).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Characters a workbook cell may keep (multi-line text, tabs).
CELL_KEEPS = "\t\n"
#: ``_x`` + hex digits + ``_``: spreadsheet applications read it as an escaped character
#: (``_x000D_`` becomes a line break on re-save). LibreOffice also reads 1 to 3 digits: the demo
#: code ``son_dong_my_xa_01`` comes back as ``son_dong_my`` + LF + ``01``.
EXCEL_ESCAPE_LIKE = re.compile(r"_(x[0-9a-fA-F]{1,4}_)")
#: What :func:`excel_text` writes for a literal «_» opening such a sequence (OOXML's escape).
ESCAPED_UNDERSCORE = "_x005f_"
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def has_control(text: str, keep: str = "") -> bool:
    """True when ``text`` holds a control character other than those in ``keep``."""
    return any(ch not in keep for ch in _CONTROL.findall(text))


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character shown as ``\\xHH`` (ESC → ``\\x1b``).

    Parameters
    ----------
    text : str
        Any text; non-strings are converted with ``str``.
    keep : str
        Control characters left as they are (``"\\t\\n"`` in workbook cells).

    Examples
    --------
    >>> visible("1\\x00")
    '1\\\\x00'
    >>> visible("a\\nb", keep="\\n")
    'a\\nb'
    """
    text = text if isinstance(text, str) else str(text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else f"\\x{ord(m.group(0)):02x}",
                        text)


def excel_text(text: str) -> str:
    """``text`` with every ``_xH…_`` escaped, so spreadsheet applications keep it literally.

    Readers turn :data:`ESCAPED_UNDERSCORE` back into «_» (:func:`unescape_text`).
    """
    return EXCEL_ESCAPE_LIKE.sub(ESCAPED_UNDERSCORE + r"\1", text) if "_x" in text else text


def unescape_text(text: str) -> str:
    """Undo :func:`excel_text` (case-insensitive, as OOXML hex digits)."""
    return re.sub("_x005f_", "_", text, flags=re.IGNORECASE) if "_x" in text else text


def cell_value(value: Any) -> Any:
    """A value made safe to assign to an openpyxl cell: control characters shown visibly.

    Non-strings are returned unchanged. Run :func:`harden_workbook` before saving, which types
    the strings as text (openpyxl makes «=…» a formula at assignment) and escapes ``_xH…_``.
    """
    return visible(value, keep=CELL_KEEPS) if isinstance(value, str) else value


def harden_workbook(wb: Any) -> Any:
    """Make every string cell of ``wb`` plain text; return ``wb``.

    Each string cell (a formula, for openpyxl, is a string starting with «=») gets data type
    ``"s"``, its control characters shown as ``\\xHH`` and its ``_xH…_`` sequences escaped
    (:func:`excel_text`). The suite writes no formula of its own, so nothing is lost. Run it
    once, right before a save: a second run would escape the escapes.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell._value  # noqa: SLF001 - the raw value, whatever its data type
                if isinstance(v, str):
                    cell._value = excel_text(visible(v, keep=CELL_KEEPS))  # noqa: SLF001
                    cell.data_type = "s"
    props = getattr(wb, "properties", None)
    for name in ("title", "subject", "creator", "description", "keywords"):
        v = getattr(props, name, None)
        if isinstance(v, str):
            setattr(props, name, visible(v))
    return wb


def csv_text(value: Any) -> Any:
    """A CSV cell that spreadsheet applications read as text, never as a formula.

    Strings starting with one of :data:`CSV_FORMULA_START` get a leading «'» (OWASP's advice
    for CSV injection); control characters other than tab are shown as ``\\xHH``. Other values
    are returned unchanged.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(CSV_FORMULA_START):
        value = "'" + value
    return visible(value, keep="\t")


def csv_frame(frame: Any) -> Any:
    """A copy of a DataFrame with :func:`csv_text` applied to its text columns."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype):
            out[col] = s.map(csv_text)  # None and other non-strings unchanged
        elif pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(csv_text, na_action="ignore").astype(s.dtype)
    if isinstance(out.columns, pd.Index) and out.columns.dtype == object:
        out.columns = [csv_text(c) if isinstance(c, str) else c for c in out.columns]
    return out
