"""One clock for every generated file, and reproducible workbook bytes.

Reports, workbooks and PDFs embed a date. Taking it from ``SOURCE_DATE_EPOCH`` (the
reproducible-builds.org convention) instead of the wall clock makes two builds of the same data
byte-identical. Unset, the build date is the day the build runs, truncated to midnight UTC, so
rebuilding the same day gives the same bytes too.

Every ``.xlsx`` the package writes (appendix, findings, status, templates) is serialised by
:func:`workbook_bytes`, so none carries the wall clock in its properties or zip entries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import zipfile
from collections.abc import Iterator
from typing import Any

from analysis.textsafe import harden_workbook

__all__ = [
    "build_datetime",
    "pin_source_date_epoch",
    "pinned_source_date_epoch",
    "workbook_bytes",
]

#: The earliest time a zip entry can carry (the DOS date format starts in 1980).
_ZIP_EPOCH = dt.datetime(1980, 1, 1)


def build_datetime() -> dt.datetime:
    """The build's timestamp (naive UTC, as openpyxl and WeasyPrint expect)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    today = dt.datetime.now(tz=dt.UTC).date()
    return dt.datetime(today.year, today.month, today.day)


def pin_source_date_epoch() -> str:
    """Set ``SOURCE_DATE_EPOCH`` for this process and its children, return it."""
    stamp = build_datetime().replace(tzinfo=dt.UTC)
    value = str(int(stamp.timestamp()))
    os.environ["SOURCE_DATE_EPOCH"] = value
    return value


@contextlib.contextmanager
def pinned_source_date_epoch() -> Iterator[str]:
    """``SOURCE_DATE_EPOCH`` set for the duration of the block (kept if the caller set it).

    For libraries that read the variable themselves (fontTools stamps each embedded font's
    ``head`` table with the current time unless it is set); restored on exit.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        yield os.environ["SOURCE_DATE_EPOCH"]
        return
    value = pin_source_date_epoch()
    try:
        yield value
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def workbook_bytes(wb: Any, *, when: dt.datetime | None = None, entry_mode: int = 0o600) -> bytes:
    """An openpyxl workbook as ``.xlsx`` bytes that depend on its content only.

    ``Workbook.save`` stamps the document's *modified* property and every zip entry with the
    wall clock, so two saves of the same workbook differ. Here both dates come from ``when``
    (default :func:`build_datetime`), and the zip is rewritten with fixed entry times and
    permissions, in openpyxl's entry order.

    Parameters
    ----------
    wb : openpyxl.Workbook
        The workbook to serialise. Its ``created``/``modified`` properties are overwritten and
        its string cells made text by :func:`analysis.textsafe.harden_workbook`.
    when
        The time written into the properties and zip entries (clamped to 1980 in the zip).
    entry_mode
        The Unix permissions recorded for every zip entry.

    Returns
    -------
    bytes
        The ``.xlsx`` file content.
    """
    from openpyxl.writer.excel import ExcelWriter

    when = build_datetime() if when is None else when
    harden_workbook(wb)  # strings as text, never formulas (analysis.textsafe)
    wb.properties.created = when
    wb.properties.modified = when
    raw = io.BytesIO()
    # ExcelWriter directly: save_workbook() would overwrite "modified" with the clock.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    stamp = max(when, _ZIP_EPOCH).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = entry_mode << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
