"""One clock for every generated file: ``SOURCE_DATE_EPOCH``.

Reports, workbooks and PDFs embed a date. Taking it from ``SOURCE_DATE_EPOCH`` (the
reproducible-builds.org convention) instead of the wall clock makes two builds of the same data
byte-identical. Unset, the build date is the day the build runs, truncated to midnight UTC, so
rebuilding the same day gives the same bytes too.
"""

from __future__ import annotations

import datetime as dt
import os


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
