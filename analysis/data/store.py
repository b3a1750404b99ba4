"""The collection store: every returned file, accepted or rejected, every version kept.

``python -m analysis collect`` records each file it is given in one SQLite database
(default ``outputs/store.sqlite``, :func:`default_path`): the file's name, its content hash,
the unit and years it covers, its findings, and its rows (the typed tables of
``tables.yaml`` with provenance). ``build --data store.sqlite`` and ``validate --data
store.sqlite`` read the *current accepted versions* (:func:`read_store`).

Why SQLite and not DuckDB
-------------------------
The store is written a few dozen times a year, a handful of files each time, a few thousand
rows per file; what it must guarantee is that nothing is lost and that a kill never leaves half
a file, and that a user can back it up and look into it. SQLite is in the standard library (no
dependency, nothing to install on the Organization Commission's machines), its transactions are
atomic and durable across a crash or a ``SIGKILL`` (rollback journal), its file format is
stable and documented for decades (archives), and the ``sqlite3`` shell, DB Browser for
SQLite, LibreOffice Base and Excel's ODBC driver all open it. DuckDB is faster on analytical
scans of millions of rows, which the store never does (the analysis reads it once into
pandas), and would add a 30 MB wheel whose file format changed between versions.

The file
--------
One file, journal mode ``DELETE`` (no ``-wal`` side file: copying ``store.sqlite`` while no
``collect`` runs is a complete backup; ``sqlite3 store.sqlite ".backup copy.sqlite"`` is
one at any time). Open it with ``sqlite3 outputs/store.sqlite``, e.g.::

    SELECT file_id, name, status, n_errors, unit_code, cover_year FROM files;
    SELECT * FROM current_versions WHERE unit_code = 'son_dong';
    SELECT COUNT(*) FROM current_organizations WHERE year = 2020;

Schema (version :data:`SCHEMA_VERSION`; also in ``docs/store.md``)
-------------------------------------------------------------------
``meta(key, value)``
    ``schema_version``, ``created``.
``files``
    one row per distinct file content: ``file_id`` (ingestion order), ``name`` (as received),
    ``sha256`` (of the bytes; of every CSV's name and bytes for a CSV folder; unique: the same
    file collected twice is recorded once), ``size``, ``kind`` (``return``: a pre-filled
    workbook with a cover sheet; ``data``: a CSV folder or a workbook without cover, e.g. the
    earlier years' data), ``unit_code`` and ``cover_year`` (from the cover), ``template_stamp``,
    ``file_date`` (ISO date-time from the file itself: the workbook's *modified* property, the
    newest CSV's modification time), ``collected_at`` (when it was recorded), ``status``
    (``accepted`` | ``rejected``), ``n_errors``, ``n_warnings``.
``coverage(file_id, unit_code, year, version)``
    the unit-years a file covers (a return: its cover's; a data file: every reporting unit and
    year its rows belong to) and the file's version number for that unit-year (1, 2, … in
    ingestion order, rejected submissions counted).
``findings(file_id, seq, severity, rule, message, sheet, row, column_vi, value, unit_code, year)``
    what validation said about the file (as in ``findings.xlsx``).
``organizations``, ``villages``, ``officials``, ``unit_summary``, ``units``, ``crosswalk``
    every file's rows: the columns of ``tables.yaml`` (codes, text and enum codes as TEXT,
    years and counts as INTEGER, yes/no as INTEGER 0/1, empty as NULL) plus ``file_id``,
    ``_unit`` (the reporting unit the row belongs to) and ``_year`` (NULL for the units and
    crosswalk copies), ``_sheet`` and ``_row`` (where it was in the file).
``current_versions`` (view)
    per unit-year, the ``file_id`` of the latest *accepted* file covering it.
``current_<table>`` (views)
    the rows of the current versions; for ``units`` and ``crosswalk``, per code the row of the
    latest file that is current somewhere.

Rules
-----
* A file is recorded in one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``,
  :func:`record`): killed at any moment, the store holds the state before or after that file.
* Nothing is updated or deleted: a corrected resubmission is a new file whose coverage makes
  it the current version; the earlier version's rows stay.
* A rejected file (any error finding) is recorded with its findings and rows, and, not being
  ``accepted``, changes no current version.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.data import schema
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.common import InputData, empty_frame
from analysis.data.reading.workbooks import ARCHIVE_SUFFIXES

SCHEMA_VERSION = 1
#: File suffixes read as a store by ``--data``.
STORE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
_MAGIC = b"SQLite format 3\x00"
#: Tables whose rows belong to a unit-year, and the column holding the year.
YEAR_COLUMN = {"organizations": "year", "villages": "year", "officials": "snapshot_year",
               "unit_summary": "year"}
#: Copies every file carries (no unit-year): the latest current file's row wins per key.
SHARED_TABLES = ("units", "crosswalk")
ACCEPTED, REJECTED = "accepted", "rejected"
_SQL_TYPE = {"year": "INTEGER", "count": "INTEGER", "bool": "INTEGER"}


def default_path() -> Path:
    """Where ``collect``, ``status`` and ``build --data`` find the store by default."""
    return config.outputs_dir() / "store.sqlite"


def is_store(path: str | Path) -> bool:
    """True for a file named ``*.sqlite``/``*.db`` or starting with the SQLite header."""
    p = Path(path)
    if not p.is_file():
        return p.suffix.lower() in STORE_SUFFIXES
    if p.suffix.lower() in STORE_SUFFIXES:
        return True
    try:
        with open(p, "rb") as fh:
            return fh.read(16) == _MAGIC
    except OSError:
        return False


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ddl() -> list[str]:
    out = [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
        """CREATE TABLE IF NOT EXISTS files (
            file_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            size INTEGER,
            kind TEXT NOT NULL CHECK (kind IN ('return', 'data')),
            unit_code TEXT,
            cover_year INTEGER,
            template_stamp TEXT,
            file_date TEXT,
            collected_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
            n_errors INTEGER NOT NULL,
            n_warnings INTEGER NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS coverage (
            file_id INTEGER NOT NULL REFERENCES files(file_id),
            unit_code TEXT NOT NULL,
            year INTEGER NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (file_id, unit_code, year))""",
        "CREATE INDEX IF NOT EXISTS coverage_unit_year ON coverage (unit_code, year)",
        """CREATE TABLE IF NOT EXISTS findings (
            file_id INTEGER NOT NULL REFERENCES files(file_id),
            seq INTEGER NOT NULL,
            severity TEXT NOT NULL, rule TEXT NOT NULL, message TEXT NOT NULL,
            sheet TEXT, row INTEGER, column_vi TEXT, value TEXT, unit_code TEXT, year INTEGER,
            PRIMARY KEY (file_id, seq))""",
        """CREATE VIEW IF NOT EXISTS current_versions AS
            SELECT c.unit_code, c.year, MAX(c.file_id) AS file_id
            FROM coverage c JOIN files f ON f.file_id = c.file_id
            WHERE f.status = 'accepted'
            GROUP BY c.unit_code, c.year""",
    ]
    for name, table in schema.tables().items():
        cols = ", ".join(f"{_q(c.name)} {_SQL_TYPE.get(c.type, 'TEXT')}" for c in table.columns)
        out.append(
            f"CREATE TABLE IF NOT EXISTS {_q(name)} (file_id INTEGER NOT NULL "
            f"REFERENCES files(file_id), _unit TEXT, _year INTEGER, _sheet TEXT, _row INTEGER, "
            f"{cols})")
        out.append(f"CREATE INDEX IF NOT EXISTS {_q(name + '_file')} ON {_q(name)} "
                   "(file_id, _unit, _year)")
        if name in SHARED_TABLES:
            key = table.key[0]
            out.append(
                f"CREATE VIEW IF NOT EXISTS {_q('current_' + name)} AS SELECT t.* FROM "
                f"{_q(name)} t WHERE t.file_id = (SELECT MAX(t2.file_id) FROM {_q(name)} t2 "
                f"WHERE t2.{_q(key)} = t.{_q(key)} AND t2.file_id IN "
                "(SELECT file_id FROM current_versions))")
        else:
            out.append(
                f"CREATE VIEW IF NOT EXISTS {_q('current_' + name)} AS SELECT t.* FROM "
                f"{_q(name)} t JOIN current_versions v ON t.file_id = v.file_id "
                "AND t._unit = v.unit_code AND t._year = v.year")
    return out


class StoreError(Exception):
    """The store cannot be opened or is not a store of this suite (message in Vietnamese)."""


def connect(path: str | Path, create: bool = True) -> sqlite3.Connection:
    """Open (and with ``create``, create) the store; transactions are explicit.

    Raises
    ------
    StoreError
        Not an SQLite file, another schema version, or missing while ``create`` is False.
    """
    p = Path(path)
    if not create and not p.is_file():
        raise StoreError(f"Không tìm thấy kho số liệu «{p}». Hãy thu nhận các tệp trước bằng "
                         "lệnh: python -m analysis collect THƯ_MỤC.")
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(p, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _ddl():
                conn.execute(stmt)
            got = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if got is None:
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created', ?)",
                             (str(SCHEMA_VERSION), _now()))
            elif got[0] != str(SCHEMA_VERSION):
                raise StoreError(f"Kho số liệu «{p.name}» theo cấu trúc phiên bản {got[0]}, "
                                 f"chương trình này dùng phiên bản {SCHEMA_VERSION}.")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"Tệp «{p.name}» không phải kho số liệu SQLite đọc được ({exc}).") \
            from exc
    return conn


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --- what is recorded --------------------------------------------------------------------
@dataclass
class Submission:
    """One file to record: what it is, what validation said, and its rows."""

    name: str
    sha256: str
    size: int
    kind: str
    tables: dict[str, pd.DataFrame]
    findings: list[Finding] = field(default_factory=list)
    unit_code: str | None = None
    cover_year: int | None = None
    template_stamp: str | None = None
    file_date: str | None = None
    #: (reporting unit, year) pairs; default: those of the rows (see :func:`row_owners`)
    coverage: set[tuple[str, int]] = field(default_factory=set)

    @property
    def n_errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def n_warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def status(self) -> str:
        return REJECTED if self.n_errors else ACCEPTED


def file_sha256(path: str | Path) -> tuple[str, int]:
    """sha256 hex digest and size of a file, or of a CSV folder (every ``*.csv``: name, bytes)."""
    p = Path(path)
    h = hashlib.sha256()
    size = 0
    files = sorted((q for q in p.iterdir() if q.is_file() and q.suffix.lower() == ".csv"
                    and not q.name.startswith((".", "~$"))), key=lambda q: q.name) \
        if p.is_dir() else [p]
    for q in files:
        if p.is_dir():
            h.update(q.name.encode("utf-8") + b"\0")
        with open(q, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
                size += len(chunk)
        if p.is_dir():
            h.update(b"\0")
    return h.hexdigest(), size


def file_date(path: str | Path) -> str | None:
    """The date a file carries itself, ISO: a workbook's *modified* (else *created*) property;
    for a CSV folder the newest CSV's modification time; None when unknown."""
    p = Path(path)
    if p.is_dir():
        times = [q.stat().st_mtime for q in p.glob("*.csv")]
        return datetime.fromtimestamp(max(times)).isoformat(timespec="seconds") if times else None
    import re
    import zipfile

    try:
        with zipfile.ZipFile(p) as zf:
            core = zf.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return None
    for tag in ("modified", "created"):
        m = re.search(rf"<dcterms:{tag}[^>]*>([^<]+)</dcterms:{tag}>", core)
        if m:
            return m.group(1).strip().replace("Z", "+00:00")
    return None


def row_owners(tables: Mapping[str, pd.DataFrame], name: str,
               units: pd.DataFrame | None = None) -> tuple[pd.Series, pd.Series]:
    """The reporting unit and year each row of table ``name`` belongs to.

    TCCSĐ: ``reporting_unit``; summary rows: ``unit_code`` (a commune's: its district);
    villages and officials: the district of ``commune_code`` (parents in the units table). A
    code the units table does not place is its own owner.
    """
    frame = tables[name]
    units = tables["units"] if units is None else units
    parent = dict(zip(units["code"].astype(str), units["parent_code"].astype(object),
                      strict=True))
    level = dict(zip(units["code"].astype(str), units["level"].astype(object), strict=True))

    def owner(code: object) -> object:
        if not isinstance(code, str):
            return None
        seen = 0
        while level.get(code) in ("commune", "village") and isinstance(parent.get(code), str):
            code = parent[code]
            seen += 1
            if seen > 5:
                break
        return code

    col = {"organizations": "reporting_unit", "unit_summary": "unit_code",
           "villages": "commune_code", "officials": "commune_code"}[name]
    codes = frame[col].astype(object)
    mapping = {c: owner(c) for c in pd.unique(codes)}
    years = pd.to_numeric(frame[YEAR_COLUMN[name]], errors="coerce").astype("Int64")
    return codes.map(mapping), years


def _sql_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)) and v != v:
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def _sql_column(values: pd.Series) -> list[Any]:
    """:func:`_sql_value` of every value of a column, typed columns converted at once."""
    dtype = values.dtype
    if isinstance(dtype, (pd.Int64Dtype, pd.StringDtype)) or dtype.kind in "iu":
        return values.to_numpy(dtype=object, na_value=None).tolist()
    if isinstance(dtype, pd.BooleanDtype):  # yes/no as 0/1
        return [None if v is None else int(v)
                for v in values.to_numpy(dtype=object, na_value=None).tolist()]
    return [_sql_value(v) for v in values.to_numpy(dtype=object).tolist()]


def record(conn: sqlite3.Connection, sub: Submission, owners: Mapping[str, pd.Series] | None
           = None, pause: float = 0.0) -> tuple[int, bool]:
    """Record one file in one transaction; return ``(file_id, new)``.

    ``new`` is False when a file with the same content hash was already recorded (nothing is
    written). ``owners``: per unit-year table, the reporting unit of each row (default: the
    cover's unit for a return, :func:`row_owners` otherwise). ``pause``: seconds slept between
    the statements of the transaction (used by the kill trials to widen the window).
    """
    import time

    conn.execute("BEGIN IMMEDIATE")
    try:
        got = conn.execute("SELECT file_id FROM files WHERE sha256 = ?", (sub.sha256,)).fetchone()
        if got is not None:
            conn.execute("ROLLBACK")
            return int(got[0]), False
        cur = conn.execute(
            "INSERT INTO files (name, sha256, size, kind, unit_code, cover_year, template_stamp,"
            " file_date, collected_at, status, n_errors, n_warnings) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sub.name, sub.sha256, sub.size, sub.kind, sub.unit_code, sub.cover_year,
             sub.template_stamp, sub.file_date, _now(), sub.status, sub.n_errors,
             sub.n_warnings))
        file_id = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(file_id, i, f.severity, f.rule, f.message, f.sheet or None,
              _sql_value(f.row), f.column or None, str(f.value) if f.value else None,
              f.unit_code or None, _sql_value(f.year)) for i, f in enumerate(sub.findings)])
        coverage = set(sub.coverage)
        for name, table in schema.tables().items():
            frame = sub.tables.get(name)
            if frame is None or frame.empty:
                continue
            if pause:
                time.sleep(pause)
            cols = [c.name for c in table.columns]
            if name in SHARED_TABLES:
                unit = pd.Series([None] * len(frame), index=frame.index, dtype=object)
                year = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            else:
                if owners is not None and name in owners:
                    unit = owners[name]
                    year = pd.to_numeric(frame[YEAR_COLUMN[name]], errors="coerce")
                else:
                    unit, year = row_owners(sub.tables, name)
                year = year.astype("Int64")
                coverage |= {(str(u), int(y)) for u, y in zip(unit, year, strict=True)
                             if isinstance(u, str) and y is not pd.NA}
            columns = [_sql_column(pd.Series(unit)), _sql_column(pd.Series(year)),
                       _sql_column(frame["_sheet"]), _sql_column(frame["_row"])]
            columns += [_sql_column(frame[c]) if c in frame else [None] * len(frame)
                        for c in cols]
            records = list(zip([file_id] * len(frame), *columns, strict=True))
            marks = ", ".join("?" * (5 + len(cols)))
            conn.executemany(f"INSERT INTO {_q(name)} VALUES ({marks})", records)
        for unit_code, year in sorted(coverage):
            (n,) = conn.execute("SELECT COUNT(*) FROM coverage WHERE unit_code = ? AND year = ?",
                                (unit_code, year)).fetchone()
            conn.execute("INSERT INTO coverage VALUES (?, ?, ?, ?)",
                         (file_id, unit_code, year, int(n) + 1))
        if pause:
            time.sleep(pause)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return file_id, True


# --- reading -------------------------------------------------------------------------------
def _typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    template = empty_frame(name)
    out: dict[str, Any] = {}
    for col in template.columns:
        dtype = template[col].dtype
        raw = frame[col] if col in frame else pd.Series([None] * len(frame), dtype=object)
        raw = raw.reset_index(drop=True)
        if str(dtype) == "Int64":
            out[col] = pd.to_numeric(raw, errors="coerce").astype("Int64")
        elif str(dtype) == "boolean":
            out[col] = pd.array([None if v is None or v != v else bool(v) for v in raw],
                                dtype="boolean")
        elif col == "_row":
            out[col] = pd.to_numeric(raw, errors="coerce").fillna(0).astype("int64")
        else:
            out[col] = raw.astype(object).where(raw.notna(), None).astype("string")
    return pd.DataFrame(out, columns=list(template.columns))


def _typed_with_store_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rows read from the store, typed, with ``_file_id``, ``_unit`` and ``_year`` kept."""
    typed = _typed(frame, name)
    typed["_file_id"] = frame["file_id"].to_numpy(dtype="int64")
    typed["_unit"] = frame["_unit"].astype(object).to_numpy()
    typed["_year"] = pd.to_numeric(frame["_year"], errors="coerce").astype("Int64").to_numpy()
    return typed


def current_tables(conn: sqlite3.Connection, view: str = "current_") -> dict[str, pd.DataFrame]:
    """The typed tables of the current accepted versions, provenance ``_file``/``_sheet``/
    ``_row`` (the file's name as received) plus ``_file_id``, ``_unit`` and ``_year``."""
    out: dict[str, pd.DataFrame] = {}
    for name in schema.tables():
        frame = pd.read_sql_query(
            f"SELECT t.*, f.name AS _file FROM {_q(view + name)} t "
            "JOIN files f ON f.file_id = t.file_id ORDER BY t.file_id, t.rowid", conn)
        out[name] = _typed_with_store_columns(frame, name)
    return out


def file_tables(conn: sqlite3.Connection, file_id: int) -> dict[str, pd.DataFrame]:
    """The typed tables of one recorded file (any status), as :func:`current_tables`."""
    out: dict[str, pd.DataFrame] = {}
    for name in schema.tables():
        frame = pd.read_sql_query(
            f"SELECT t.*, f.name AS _file FROM {_q(name)} t JOIN files f ON "
            "f.file_id = t.file_id WHERE t.file_id = ? ORDER BY t.rowid", conn, params=(file_id,))
        out[name] = _typed_with_store_columns(frame, name)
    return out


def files_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every recorded file (the ``files`` table), in ingestion order."""
    return pd.read_sql_query("SELECT * FROM files ORDER BY file_id", conn)


def coverage_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """Every (file, unit, year, version), with the file's name, status, counts and date, and
    whether it is the current accepted version of that unit-year (``current``)."""
    return pd.read_sql_query(
        "SELECT c.unit_code, c.year, c.version, c.file_id, f.name, f.status, f.n_errors, "
        "f.n_warnings, f.file_date, f.kind, (v.file_id IS NOT NULL) AS current "
        "FROM coverage c JOIN files f ON f.file_id = c.file_id "
        "LEFT JOIN current_versions v ON v.file_id = c.file_id AND v.unit_code = c.unit_code "
        "AND v.year = c.year ORDER BY c.unit_code, c.year, c.version", conn)


def file_findings(conn: sqlite3.Connection, file_id: int) -> list[Finding]:
    """The findings recorded with a file, in their order."""
    rows = conn.execute(
        "SELECT severity, rule, message, sheet, row, column_vi, value, unit_code, year, "
        "(SELECT name FROM files WHERE file_id = ?) FROM findings WHERE file_id = ? "
        "ORDER BY seq", (file_id, file_id)).fetchall()
    return [Finding(s, r, m, file=n or "", sheet=sh or "", row=row, column=c or "",
                    value=v or "", unit_code=u or "", year=y)
            for s, r, m, sh, row, c, v, u, y, n in rows]


def fingerprint(conn: sqlite3.Connection) -> str:
    """Digest of the current accepted versions (which file is current for which unit-year):
    unchanged by a rejected file or a file recorded twice."""
    h = hashlib.sha256()
    for unit, year, sha in conn.execute(
            "SELECT v.unit_code, v.year, f.sha256 FROM current_versions v JOIN files f "
            "ON f.file_id = v.file_id ORDER BY v.unit_code, v.year"):
        h.update(f"{unit}\0{year}\0{sha}\n".encode())
    return h.hexdigest()[:12]


def read_store(path: str | Path):
    """The current accepted versions as :class:`~analysis.data.intake.InputData`, and findings.

    What ``--data store.sqlite`` reads. Never raises on a bad store: an unreadable file or an
    empty store becomes an error finding. The fingerprint depends on which file is current
    for which unit-year only (:func:`fingerprint`).
    """
    p = Path(path)
    empty = {name: empty_frame(name) for name in schema.tables()}
    try:
        conn = connect(p, create=False)
    except StoreError as exc:
        return InputData(tables=empty, source=p, fingerprint=""), [
            Finding(ERROR, "store_unreadable", str(exc), file=p.name)]
    try:
        tables = current_tables(conn)
        names = [r[0] for r in conn.execute(
            "SELECT DISTINCT f.name FROM current_versions v JOIN files f "
            "ON f.file_id = v.file_id ORDER BY f.name")]
        digest = fingerprint(conn)
    finally:
        conn.close()
    findings: list[Finding] = []
    if not names:
        findings.append(Finding(
            ERROR, "store_empty",
            f"Kho số liệu «{p.name}» chưa có tệp nào được chấp nhận. Hãy thu nhận các tệp các "
            "đơn vị gửi về bằng lệnh: python -m analysis collect THƯ_MỤC.", file=p.name))
    for name in list(tables):
        tables[name] = tables[name].drop(columns=["_file_id", "_unit", "_year"])
    return InputData(tables=tables, source=p, fingerprint=digest, files=names), findings


def recorded_hashes(conn: sqlite3.Connection) -> dict[str, tuple[int, str, str]]:
    """sha256 → (file_id, name, status) of every recorded file."""
    return {sha: (int(i), n, s) for i, sha, n, s in
            conn.execute("SELECT file_id, sha256, name, status FROM files")}


def dump_state(path: str | Path) -> str:
    """A canonical digest of everything the store holds except the clock (tests, trials)."""
    conn = sqlite3.connect(Path(path))
    try:
        h = hashlib.sha256()
        names = ["files", "coverage", "findings", *schema.tables()]
        for name in names:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({_q(name)})")
                    if r[1] != "collected_at"]
            if not cols:
                continue
            sel = ", ".join(_q(c) for c in cols)
            for row in conn.execute(f"SELECT {sel} FROM {_q(name)} ORDER BY {sel}"):
                h.update(json.dumps([name, *row], default=str).encode())
        return h.hexdigest()
    finally:
        conn.close()


def iter_sources(path: str | Path) -> Iterable[Path]:
    """The files ``collect PATH`` records: a workbook; each workbook of a folder of workbooks;
    a CSV folder as one data file."""
    p = Path(path)
    if p.is_dir():
        entries = [q for q in sorted(p.iterdir(), key=lambda q: q.name)
                   if q.is_file() and not q.name.startswith((".", "~$"))]
        if any(q.suffix.lower() == ".csv" for q in entries):
            return [p]
        # an archive is recorded too, as a rejected file telling staff to unzip it: skipped
        # without a word, a unit's return sent zipped would look like a unit that never sent
        return [q for q in entries if q.suffix.lower() in (".xlsx", ".xlsm")
                or q.suffix.lower() in ARCHIVE_SUFFIXES]
    return [p]

