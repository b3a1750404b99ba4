"""CSV sources: decoding (UTF-8, cp1258), NUL characters, the delimiter, and the records,
tokenised by pandas' C parser into a :class:`~analysis.data.reading.sources.Grid` where it
reads exactly as Python's ``csv`` module does, else row by row.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.common import HEADER_SCAN_ROWS, int_vi
from analysis.data.reading.sources import Grid, Sheet


# --- CSV sources ----------------------------------------------------------------------------
def _decode(data: bytes, name: str, findings: list[Finding]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
        findings.append(Finding(
            WARNING, "encoding_cp1258",
            f"Tệp «{name}» không ở dạng UTF-8; đã đọc theo bảng mã Windows tiếng Việt (cp1258). "
            "Hãy kiểm tra dấu tiếng Việt; tốt nhất lưu lại bằng Excel dạng «CSV UTF-8».",
            file=name,
        ))
        return text
    except UnicodeDecodeError:
        findings.append(Finding(
            ERROR, "encoding_unknown",
            f"Tệp «{name}» không ở bảng mã UTF-8 hay Windows tiếng Việt; một số chữ không đọc "
            "được (thay bằng «�»). Hãy lưu lại bằng Excel dạng «CSV UTF-8».",
            file=name,
        ))
        return data.decode("utf-8", errors="replace")


def _drop_nul(text: str, path: Path, findings: list[Finding], name: str | None = None
              ) -> str:
    """``text`` without its NUL characters, and a warning saying how many and from which line.

    A file copied from a failing USB stick, or saved while the disk filled up, holds runs of
    NUL bytes (often a whole block at its end). They are no data: the rows read without them,
    and a row they cut through gets the cell findings it deserves.
    """
    name = name or path.name
    n = text.count("\x00")
    at = text.index("\x00")
    line = text.count("\n", 0, at) + 1 if "\n" in text else text.count("\r", 0, at) + 1
    findings.append(Finding(
        WARNING, "nul_bytes",
        f"Tệp «{name}» có {int_vi(n)} ký tự rỗng (NUL, \\x00), từ dòng {line}: thường "
        "do tệp bị hỏng khi chép qua USB hoặc lưu dở. Các ký tự này đã được bỏ đi khi đọc; hãy "
        "kiểm tra số liệu của tệp, tốt nhất lấy lại bản gốc.",
        file=name, sheet=path.stem, row=line,
    ))
    return text.replace("\x00", "")


def _sniff_delimiter(text: str) -> str:
    sample = text[: 64 * 1024]
    best, best_score = ",", (-1, -1)
    for delim in (",", ";", "\t"):
        try:
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        rows = rows[:30]
        if not rows:
            continue
        widths = Counter(len(r) for r in rows)
        mode, count = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
        score = (count if mode > 1 else 0, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def csv_sheets(path: Path, findings: list[Finding], name: str | None = None
                ) -> list[Sheet]:
    """The CSV file as one sheet (named by its stem); ``name`` is the file's name in findings
    and provenance (with its sub-folder), ``path.name`` by default."""
    name = name or path.name
    text = _decode(path.read_bytes(), name, findings)
    if "\x00" in text:
        text = _drop_nul(text, path, findings, name)
    delim = _sniff_delimiter(text)
    grid = _csv_grid(text, delim)
    if grid is not None:
        head = [(i + 1, grid.row(i)) for i in range(min(grid.nrows, HEADER_SCAN_ROWS + 1))]
        return [Sheet(file=name, sheet=path.stem, head=head, rows=grid.rows, grid=grid)]
    # Slow path, row by row: files the C parser does not read exactly as ``csv`` does
    # (quotes not closed, fields over the size limit, NUL characters, a leading BOM…).
    records, too_long = _csv_records(text, delim, name, path.stem, findings)
    if too_long:
        lines = ", ".join(str(n) for n in too_long[:5]) + (" …" if len(too_long) > 5 else "")
        what = "dòng" if len(too_long) == 1 else f"{int_vi(len(too_long))} dòng"
        findings.append(Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» có {what} không đọc được (dòng {lines}: có một ô dài quá "
            f"{int_vi(CSV_FIELD_LIMIT)} ký tự); {'dòng' if len(too_long) == 1 else 'các dòng'} "
            "này bị bỏ qua, các dòng khác vẫn được đọc. Hãy mở tệp bằng Excel, kiểm tra rồi "
            "lưu lại.",
            file=name, sheet=path.stem, row=too_long[0], extra={"rows": too_long},
        ))

    def rows() -> Iterator[tuple[int, tuple]]:
        return enumerate(records, start=1)

    head = list(enumerate(records[: HEADER_SCAN_ROWS + 1], start=1))
    return [Sheet(file=name, sheet=path.stem, head=head, rows=rows)]


#: Longest CSV field read, in characters (``csv``'s own default is 131,072: a 200,000-character
#: note would stop the file there). A longer field loses its line only, with an error.
CSV_FIELD_LIMIT = 1 << 20
#: A quoted cell running over several lines and longer than this (``csv``'s own default
#: limit) is taken for a quote left open, as before the limit was raised.
_CSV_QUOTED_LINES_LIMIT = 131_072


def _csv_records(text: str, delim: str, name: str, sheet: str, findings: list[Finding]
                 ) -> tuple[list[tuple], list[int]]:
    """Records of ``text`` read by ``csv`` (fields up to :data:`CSV_FIELD_LIMIT`), and the
    record numbers of the lines left out for a longer field (each kept as an empty record,
    so the rows below keep their numbers). Any other CSV error stops the reading there, with
    an error ``corrupt_file``."""
    records: list[tuple] = []
    too_long: list[int] = []
    saved = csv.field_size_limit()
    csv.field_size_limit(CSV_FIELD_LIMIT)

    def broken(line: int) -> None:
        findings.append(Finding(
            ERROR, "corrupt_file",
            f"Tệp «{name}» có dòng không đọc được (dòng {line}: sai định dạng CSV, thường do "
            "dấu ngoặc kép không đóng); chỉ đọc được các dòng phía trên. Hãy mở tệp bằng "
            "Excel, kiểm tra dòng này rồi lưu lại.",
            file=name, sheet=sheet, row=line,
        ))

    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        while True:
            start = reader.line_num + 1  # the line the next record starts on
            try:
                rec = tuple(next(reader))
            except StopIteration:
                break
            except csv.Error as exc:
                if "field larger" in str(exc) and reader.line_num == start:
                    records.append(())  # one line, one over-long cell: that line only
                    too_long.append(len(records))
                    continue
                broken(start)  # a quote left open runs over the lines below
                break
            if reader.line_num > start and any(
                    len(v) > _CSV_QUOTED_LINES_LIMIT and ("\n" in v or "\r" in v) for v in rec):
                broken(start)  # the same, read to the end of a smaller file
                break
            records.append(rec)
    finally:
        csv.field_size_limit(saved)
    return records, too_long


#: The fast CSV path gives up (and the row-by-row reader is used) when padding ragged rows to
#: one width would make the grid this many times larger than the file's fields, plus a margin.
GRID_PADDING_FACTOR = 4
#: Bytes of a CSV looked at to guess its number of columns.
CSV_SAMPLE_BYTES = 1 << 20


def _max_fields(data: bytes, delim: str) -> int:
    """Most fields on one line of ``data``, counting every delimiter as a field break."""
    a = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero((a == 10) | (a == 13)) + 1
    starts = np.concatenate(([0], starts[starts < len(a)], [len(a)]))
    per_line = np.diff(np.searchsorted(np.flatnonzero(a == ord(delim)), starts))
    return int(per_line.max()) + 1


def _read_csv_c(data: bytes, delim: str, width: int) -> pd.DataFrame | None:
    """Every field of every record as text, by pandas' C parser; None if it fails."""
    try:
        with warnings.catch_warnings():
            # a record wider than ``width`` loses fields with only a warning: refuse instead
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.BytesIO(data), sep=delim, header=None, names=range(width), index_col=False,
                dtype=object, na_filter=False, keep_default_na=False, skip_blank_lines=False,
                quotechar='"', doublequote=True, escapechar=None, comment=None,
                skipinitialspace=False, encoding="utf-8", engine="c", low_memory=False,
            )
    except Exception:  # noqa: BLE001 - any doubt: the csv module reads the file
        return None


def _csv_grid(text: str, delim: str) -> Grid | None:
    """Tokenise ``text`` with pandas' C parser, or None to use the ``csv`` module instead.

    The C parser reads the same records and fields as ``csv.reader`` (default dialect, checked
    by a differential test) except in cases refused here: a BOM left at the start (pandas drops
    it), NUL characters, text that is not valid Unicode, a field over :data:`CSV_FIELD_LIMIT`
    (``csv`` leaves its line out with an error), a quoted field running over several lines with more
    fields than any single line, and any error of the C parser (quotes not closed…).
    """
    if not text or text[0] == "\ufeff" or "\x00" in text:
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    # The C parser needs the number of columns: guess it from the first MiB, and only if a
    # later record is wider (the parse fails) count the whole file and parse again.
    lines = data.count(b"\n") + data.count(b"\r") + 1
    fields = data.count(delim.encode()) + lines
    frame = None
    tried = 0
    for sample in (data[:CSV_SAMPLE_BYTES], data):
        width = _max_fields(sample, delim)
        if width <= tried or width * lines > GRID_PADDING_FACTOR * fields + 10**6:
            return None  # no wider, or a few very wide lines: the grid would be mostly empty
        tried = width
        frame = _read_csv_c(data, delim, width)
        if frame is not None or len(sample) == len(data):
            break
    if frame is None:
        return None
    del data
    nrows = len(frame)
    if not nrows:
        return None
    limit = CSV_FIELD_LIMIT
    check_size = len(text) >= limit
    codes: list[np.ndarray] = []
    uniques: list[np.ndarray] = []
    for j in range(width):
        c, u = pd.factorize(frame[j].to_numpy(dtype=object))
        u = np.asarray(u, dtype=object)
        if (c < 0).any() or pd.api.types.infer_dtype(u, skipna=False) not in ("string", "empty"):
            return None  # not text: never seen, but every later step relies on it
        if check_size and max(map(len, u)) >= limit:
            return None
        codes.append(c.astype(np.int32) if len(u) < 2**31 else c)
        uniques.append(u)
    return Grid(codes, uniques, nrows)
