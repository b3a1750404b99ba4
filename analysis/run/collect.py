"""``python -m analysis collect FOLDER_OR_FILE [--store PATH]``: record returned files.

Each file (a returned workbook; each workbook of a folder; a CSV folder as one data file, e.g.
the earlier years' data) is validated and recorded in the store (:mod:`analysis.data.store`):

1. files whose content hash is already recorded are named and skipped (recorded once);
2. each new file is read with the returns reader (cover checks, changed codes…) or, without a
   cover sheet, with the ordinary reader;
3. the rules (:func:`analysis.data.rules.check_rules`) run once on the store's current data
   with the new files in place of the versions they supersede, so checks across years (a jump
   from last year) see the accepted earlier years; each finding goes to the file it names (or
   whose unit-year it concerns). A file with an error is *rejected*; the rules run again
   without it (other files' findings may depend on it) until no file is newly rejected;
4. each file is recorded in its own transaction, in the order of the dates the files carry
   (then name); two versions of one unit-year in one folder are taken as two rounds, the
   later one superseding the earlier;
5. what changed is printed: per superseded unit-year the cells changed (file, sheet, row,
   column, old → new), the rows added and removed, then the indicators that move
   (province, districts and sector committees), e.g. ``T1 Sơn Động 2019: 86,0% → 87,5%``.

Killed at any moment the store holds every file recorded so far and nothing of the file being
recorded; running the same command again records the rest (the recorded ones are recognised
by their hash).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape

from analysis import params
from analysis.data import returns, schema, store
from analysis.data.aggregate import aggregate_detail, build_summary
from analysis.data.findings import ERROR, Finding
from analysis.data.intake import read_input
from analysis.data.rules import check_rules
from analysis.measure.indicators import compute_indicators, headline_rows
from analysis.present.formats import fmt_number, fmt_value
from analysis.present.labels import short_name
from analysis.run.console import fail, finding_line

#: Seconds slept inside each file's transaction (``TCCSD_STORE_PAUSE``; the kill trials use it
#: to widen the window in which a transaction is open). 0 in normal use.
PAUSE_ENV = "TCCSD_STORE_PAUSE"
#: Changed cells printed per file before "… và N ô khác".
MAX_PRINTED_CELLS = 30
_RULE_PASSES = 4


@dataclass
class CellChange:
    """One cell that a resubmission changed."""

    file: str
    sheet: str
    row: int
    column: str
    old: Any
    new: Any
    table: str = ""
    key: tuple = ()
    column_name: str = ""

    def line(self) -> str:
        return (f"«{self.file}», bảng {self.sheet}, dòng {self.row}, cột «{self.column}»: "
                f"{_shown(self.old)} → {_shown(self.new)}")


@dataclass
class RowChange:
    """A row present in only one of two versions of a unit-year."""

    file: str
    sheet: str
    row: int
    table: str
    key: tuple
    added: bool

    def line(self) -> str:
        what = "thêm dòng" if self.added else "bỏ dòng"
        keys = ", ".join(str(k) for k in self.key)
        where = f"«{self.file}», bảng {self.sheet}, dòng {self.row}"
        if self.added:
            return f"{where}: {what} ({keys})"
        return f"{what} ({keys}) (bản trước: {where})"


@dataclass
class IndicatorMove:
    """An indicator value that the collection changed."""

    indicator_id: str
    unit_code: str
    unit_name: str
    year: int
    old: float | None
    new: float | None
    unit: str

    def line(self) -> str:
        old, new = fmt_value(self.old, self.unit), fmt_value(self.new, self.unit)
        decimals = 1
        while old == new and decimals < 4 and self.old is not None and self.new is not None:
            decimals += 1  # a move the printed precision hides: 84,0% → 84,0% says nothing
            old = fmt_value(self.old, self.unit, decimals=decimals)
            new = fmt_value(self.new, self.unit, decimals=decimals)
        return f"{self.indicator_id} {short_name(self.unit_name)} {self.year}: {old} → {new}"


@dataclass
class FileOutcome:
    """What ``collect`` did with one file."""

    path: Path
    name: str
    sha256: str
    file_id: int | None = None
    status: str = ""            # accepted | rejected | duplicate
    duplicate_of: str = ""      # name of the recorded file with the same hash
    submission: store.Submission | None = None
    superseded: dict[tuple[str, int], int] = field(default_factory=dict)  # pair -> old file_id
    cells: list[CellChange] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)


@dataclass
class CollectReport:
    """Everything one ``collect`` run did (what :func:`collect` returns)."""

    store_path: Path
    files: list[FileOutcome] = field(default_factory=list)
    indicators: list[IndicatorMove] = field(default_factory=list)

    @property
    def accepted(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == store.ACCEPTED]

    @property
    def rejected(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == store.REJECTED]


def _shown(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "(trống)"
    if isinstance(v, bool):
        return "Có" if v else "Không"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return fmt_number(v)
    return f"«{v}»"


# --- reading one file ----------------------------------------------------------------------
def read_submission(path: Path, sha: str, size: int) -> tuple[store.Submission, dict]:
    """Read one file into a :class:`~analysis.data.store.Submission` (read-level findings
    only) and the owner (reporting unit) of each row per unit-year table."""
    cover = returns.read_cover(path) if path.is_file() else None
    if cover is not None and cover.unit_code:
        data, findings = returns.read_returns([path], covers_read={path: cover})
        sub = store.Submission(
            name=path.name, sha256=sha, size=size, kind="return", tables=data.tables,
            findings=list(findings), unit_code=cover.unit_code, cover_year=cover.year,
            template_stamp=cover.stamp or None, file_date=store.file_date(path))
        owners = {}
        for name in store.YEAR_COLUMN:
            frame = data.tables[name]
            owners[name] = pd.Series([cover.unit_code] * len(frame), index=frame.index,
                                     dtype=object)
        if cover.year is not None:
            sub.coverage.add((cover.unit_code, int(cover.year)))
    else:
        data, findings = read_input(path)
        sub = store.Submission(
            name=path.name, sha256=sha, size=size, kind="data", tables=data.tables,
            findings=list(findings), file_date=store.file_date(path))
        owners = {}
        for name in store.YEAR_COLUMN:
            if data.tables[name].empty:
                owners[name] = pd.Series([], dtype=object)
                continue
            owners[name], _ = store.row_owners(data.tables, name)
    for name, unit in owners.items():
        years = pd.to_numeric(sub.tables[name][store.YEAR_COLUMN[name]], errors="coerce")
        sub.coverage |= {(str(u), int(y)) for u, y in zip(unit, years, strict=True)
                         if isinstance(u, str) and y == y}
    return sub, owners


def _file_names(sub: store.Submission) -> set[str]:
    names = {sub.name}
    for frame in sub.tables.values():
        if len(frame) and "_file" in frame:
            names |= set(frame["_file"].dropna().astype(str))
    return names


# --- validation in the context of the store ---------------------------------------------------
def _combined(before: Mapping[str, pd.DataFrame], subs: list[store.Submission],
              owners: Mapping[int, dict]) -> dict[str, pd.DataFrame]:
    """The store's current tables with ``subs`` in place of what they cover."""
    covered = set().union(*(s.coverage for s in subs)) if subs else set()
    clash = set().union(*(_file_names(s) for s in subs)) if subs else set()
    out: dict[str, pd.DataFrame] = {}
    for name in schema.tables():
        old = before[name]
        if name in store.YEAR_COLUMN and covered and len(old):
            pairs = list(zip(old["_unit"], old["_year"], strict=True))
            keep = [(u, None if y is pd.NA else int(y)) not in covered for u, y in pairs]
            old = old[np.array(keep, dtype=bool)]
        old = old.drop(columns=["_file_id", "_unit", "_year"], errors="ignore")
        if clash and len(old):
            hit = old["_file"].isin(clash)
            if hit.any():
                old = old.copy()
                old.loc[hit, "_file"] = old.loc[hit, "_file"] + " (bản đã nhận)"
        parts = [old] + [s.tables[name] for s in subs if len(s.tables[name])]
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else old.reset_index(
            drop=True)
        if name in store.SHARED_TABLES and len(frame):
            key = list(schema.table(name).key)
            frame = frame.drop_duplicates(key, keep="last").reset_index(drop=True)
        out[name] = frame
    return out


def _rule_findings(tables: dict[str, pd.DataFrame]) -> list[Finding]:
    if all(t.empty for t in tables.values()):
        return []
    try:
        detail = aggregate_detail(tables)
        summary = build_summary(tables, detail=detail)
    except Exception as exc:  # noqa: BLE001 - reported as a finding, as validate does
        return [Finding(ERROR, "summary_failed", f"Không tổng hợp được số liệu: {exc}")]
    return check_rules(tables, summary=summary, plan=params.plan(), detail=detail)


#: Rules about the whole collection, not about one file (``status`` shows missing unit-years).
COLLECTION_RULES = frozenset({"missing_unit_year"})


def _belongs(f: Finding, sub: store.Submission, names: set[str]) -> bool:
    if f.rule in COLLECTION_RULES:
        return False
    if f.file:
        return f.file in names
    if f.unit_code:
        if f.year is None:
            return any(u == f.unit_code for u, _ in sub.coverage)
        return (f.unit_code, int(f.year)) in sub.coverage
    return False


def validate_round(before: Mapping[str, pd.DataFrame], subs: list[store.Submission],
                   owners: Mapping[int, dict]) -> None:
    """Add the rule findings of each submission of one round (in place)."""
    candidates = [s for s in subs if not s.n_errors]
    extra: dict[int, list[Finding]] = {}
    for _ in range(_RULE_PASSES):
        if not candidates:
            break
        found = _rule_findings(_combined(before, candidates, owners))
        names = {id(s): _file_names(s) for s in candidates}
        for s in candidates:
            extra[id(s)] = [f for f in found if _belongs(f, s, names[id(s)])]
        bad = [s for s in candidates if any(f.is_error for f in extra[id(s)])]
        if not bad:
            break
        candidates = [s for s in candidates if s not in bad]
    for s in subs:
        s.findings.extend(extra.get(id(s), []))


# --- what changed ------------------------------------------------------------------------------
def _norm(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _display(col: schema.Column, v: Any) -> Any:
    v = _norm(v)
    if v is not None and col.type == "enum":
        try:
            return schema.vocabularies()[col.vocabulary].entry(str(v))["label_vi"]
        except (KeyError, TypeError):
            return v
    return v


def diff_rows(old: Mapping[str, pd.DataFrame], new: Mapping[str, pd.DataFrame],
              file: str) -> tuple[list[CellChange], list[RowChange]]:
    """Cells changed and rows added/removed between two versions of the same unit-years.

    ``old`` and ``new`` map table names to typed frames (provenance ``_file``/``_sheet``/
    ``_row``); rows are matched by the table's key. A changed cell is named where it is in the
    new file.
    """
    cells: list[CellChange] = []
    rows: list[RowChange] = []
    for name in store.YEAR_COLUMN:
        table = schema.table(name)
        key = list(table.key)
        a, b = old.get(name), new.get(name)
        a = a if a is not None else pd.DataFrame(columns=[*key, "_file", "_sheet", "_row"])
        b = b if b is not None else pd.DataFrame(columns=[*key, "_file", "_sheet", "_row"])
        ia = {tuple(_norm(v) for v in k): i for i, k in
              enumerate(a[key].itertuples(index=False, name=None))}
        ib = {tuple(_norm(v) for v in k): i for i, k in
              enumerate(b[key].itertuples(index=False, name=None))}
        values = [c for c in table.columns if c.name not in key]
        for k, j in ib.items():
            rb = b.iloc[j]
            if k not in ia:
                rows.append(RowChange(file, str(rb["_sheet"]), int(rb["_row"]), name, k, True))
                continue
            ra = a.iloc[ia[k]]
            for col in values:
                va, vb = _norm(ra.get(col.name)), _norm(rb.get(col.name))
                if va != vb:
                    cells.append(CellChange(file, str(rb["_sheet"]), int(rb["_row"]),
                                            col.header_vi, _display(col, va), _display(col, vb),
                                            table=name, key=k, column_name=col.name))
        for k, i in ia.items():
            if k not in ib:
                ra = a.iloc[i]
                rows.append(RowChange(str(ra["_file"]), str(ra["_sheet"]), int(ra["_row"]),
                                      name, k, False))
    return cells, rows


def _slice(tables: Mapping[str, pd.DataFrame], pairs: set[tuple[str, int]],
           owners: Mapping[str, pd.Series] | None = None) -> dict[str, pd.DataFrame]:
    out = {}
    for name in store.YEAR_COLUMN:
        frame = tables[name]
        if owners is None:
            unit, year = frame["_unit"], frame["_year"]
        else:
            unit = owners[name]
            year = pd.to_numeric(frame[store.YEAR_COLUMN[name]], errors="coerce")
        keep = [(u, None if y is pd.NA or y != y else int(y)) in pairs
                for u, y in zip(unit, year, strict=True)]
        out[name] = frame[np.array(keep, dtype=bool)].reset_index(drop=True)
    return out


def indicator_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Indicators of the province, districts and sector committees from typed tables."""
    clean = {n: t.drop(columns=["_file_id", "_unit", "_year"], errors="ignore")
             for n, t in tables.items()}
    if all(clean[n].empty for n in store.YEAR_COLUMN):
        return pd.DataFrame(columns=["indicator_id", "unit_code", "year", "value", "unit",
                                     "level"])
    ind = compute_indicators(build_summary(clean))
    ind = headline_rows(ind)
    return ind[ind["level"].isin(["province", "district", "sector"])]


def indicator_moves(before: pd.DataFrame, after: pd.DataFrame, pairs: set[tuple[str, int]],
                    names: Mapping[str, str], province: str) -> list[IndicatorMove]:
    """Indicator values that differ between ``before`` and ``after`` for the units and years
    in ``pairs`` (and the province in those years)."""
    years = {y for _, y in pairs}
    units = {u for u, _ in pairs} | {province}
    cols = ["indicator_id", "unit_code", "year"]

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame[frame["unit_code"].astype(str).isin(units)
                  & frame["year"].astype("Int64").isin(years)]
        f = f[np.array([((u == province) or ((u, int(y)) in pairs))
                        for u, y in zip(f["unit_code"].astype(str), f["year"], strict=True)],
                       dtype=bool)]
        return f.assign(year=f["year"].astype(int), unit_code=f["unit_code"].astype(str))

    a, b = pick(before), pick(after)
    merged = a[[*cols, "value", "unit"]].merge(b[[*cols, "value", "unit"]], on=cols,
                                                how="outer", suffixes=("_old", "_new"))
    out = []
    for r in merged.itertuples(index=False):
        old, new = _norm(r.value_old), _norm(r.value_new)
        if old is None and new is None:
            continue
        if old is not None and new is not None and abs(float(old) - float(new)) < 1e-9:
            continue
        unit = r.unit_new if isinstance(r.unit_new, str) else r.unit_old
        out.append(IndicatorMove(str(r.indicator_id), r.unit_code,
                                 names.get(r.unit_code, r.unit_code), int(r.year),
                                 None if old is None else float(old),
                                 None if new is None else float(new), str(unit)))
    order = {str(k): i for i, k in enumerate(pd.unique(before["indicator_id"].astype(str)))}
    out.sort(key=lambda m: (m.unit_code != province, m.unit_code, m.year,
                            order.get(m.indicator_id, 10**6)))
    return out


# --- the command ---------------------------------------------------------------------------------
def _console():
    return Console(highlight=False, soft_wrap=True)


def collect(source: Path, store_path: Path | None = None, console=None) -> CollectReport:
    """Validate and record every file of ``source``; print what changed; return the report.

    Raises
    ------
    analysis.data.store.StoreError
        The store cannot be opened (message in Vietnamese).
    FileNotFoundError
        ``source`` does not exist.
    """
    console = console or _console()
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(source)
    path = Path(store_path) if store_path else store.default_path()
    pause = float(os.environ.get(PAUSE_ENV) or 0)
    report = CollectReport(store_path=path)
    conn = store.connect(path)
    try:
        known = store.recorded_hashes(conn)
        pending: list[tuple[FileOutcome, store.Submission, dict]] = []
        seen: dict[str, str] = {}
        for p in store.iter_sources(source):
            sha, size = store.file_sha256(p)
            out = FileOutcome(path=p, name=p.name, sha256=sha)
            report.files.append(out)
            if sha in known or sha in seen:
                out.status = "duplicate"
                out.file_id = known[sha][0] if sha in known else None
                out.duplicate_of = known[sha][1] if sha in known else seen[sha]
                same = ("" if out.duplicate_of == p.name
                        else f" (cùng nội dung tệp «{escape(out.duplicate_of)}»)")
                console.print(f"[dim]= «{escape(p.name)}» đã có trong kho{same}: bỏ qua.[/]")
                continue
            seen[sha] = p.name
            sub, owners = read_submission(p, sha, size)
            out.submission = sub
            pending.append((out, sub, owners))
        if not report.files:
            console.print(f"Không có tệp .xlsx hay .csv nào trong «{escape(str(source))}».")
            return report
        pending.sort(key=lambda t: (t[1].file_date or "", t[1].name))
        rounds: list[list[tuple[FileOutcome, store.Submission, dict]]] = []
        for item in pending:
            r = 0
            for k, rnd in enumerate(rounds):
                if any(item[1].coverage & other.coverage for _, other, _ in rnd):
                    r = k + 1
            while len(rounds) <= r:
                rounds.append([])
            rounds[r].append(item)
        start = store.current_tables(conn)
        changed_pairs: set[tuple[str, int]] = set()
        for rnd in rounds:
            before = store.current_tables(conn) if rnd is not rounds[0] else start
            subs = [s for _, s, _ in rnd]
            validate_round(before, subs, {id(s): o for _, s, o in rnd})
            current = _current_files(conn)
            for out, sub, owners in rnd:
                file_id, new = store.record(conn, sub, owners=owners, pause=pause)
                out.file_id = file_id
                out.status = sub.status if new else "duplicate"
                if sub.status == store.ACCEPTED and new:
                    out.superseded = {p: current[p] for p in sub.coverage if p in current}
                    if out.superseded:
                        pairs = set(out.superseded)
                        out.cells, out.rows = diff_rows(_slice(before, pairs),
                                                        _slice(sub.tables, pairs, owners),
                                                        sub.name)
                        changed_pairs |= pairs
                _print_outcome(out, console)
        if changed_pairs:
            after = store.current_tables(conn)
            names = dict(zip(after["units"]["code"].astype(str),
                             after["units"]["name"].astype(str), strict=True))
            report.indicators = indicator_moves(
                indicator_table(start), indicator_table(after), changed_pairs, names,
                str(params.plan()["province_code"]))
            if report.indicators:
                console.print("Chỉ tiêu thay đổi:")
                for m in report.indicators:
                    console.print(f"  {escape(m.line())}")
            else:
                console.print("Không chỉ tiêu nào thay đổi.")
    finally:
        conn.close()
    n_acc, n_rej = len(report.accepted), len(report.rejected)
    n_dup = sum(1 for f in report.files if f.status == "duplicate")
    console.print(f"Kho {escape(str(path))}: nhận {n_acc} tệp, không nhận {n_rej} tệp (có lỗi)"
                  + (f", {n_dup} tệp đã có" if n_dup else "") + ".")
    return report


def _current_files(conn) -> dict[tuple[str, int], int]:
    return {(u, int(y)): int(f) for u, y, f in
            conn.execute("SELECT unit_code, year, file_id FROM current_versions")}


def _print_outcome(out: FileOutcome, console) -> None:
    sub = out.submission
    if out.status == "duplicate":
        console.print(f"[dim]= «{escape(out.name)}» đã có trong kho: bỏ qua.[/]")
        return
    what = (f"{sub.unit_code} {sub.cover_year}" if sub.kind == "return"
            else f"{len({u for u, _ in sub.coverage})} đơn vị, năm "
                 + ", ".join(str(y) for y in sorted({y for _, y in sub.coverage})))
    counts = f"{sub.n_errors} lỗi, {sub.n_warnings} cảnh báo"
    if out.status == store.REJECTED:
        console.print(f"[red]✗ Không nhận «{escape(out.name)}»[/] ({escape(what)}): {counts}; "
                      "số liệu đã nhận trước đó giữ nguyên.")
        errors = [f for f in sub.findings if f.is_error]
        for f in errors[:10]:
            console.print(f"    [red]Lỗi[/] {escape(finding_line(f.__dict__))}")
        if len(errors) > 10:
            console.print(f"    … và {len(errors) - 10} lỗi khác (xem: python -m analysis "
                          "status).")
        return
    if out.superseded:
        old = ", ".join(f"{u} {y}" for u, y in sorted(out.superseded))
        console.print(f"[green]✓ Nhận «{escape(out.name)}»[/] ({escape(what)}; thay bản trước "
                      f"của {escape(old)}, bản trước vẫn lưu trong kho): {counts}.")
        if not out.cells and not out.rows:
            console.print("    Số liệu không đổi so với bản trước.")
        for c in out.cells[:MAX_PRINTED_CELLS]:
            console.print(f"    {escape(c.line())}")
        if len(out.cells) > MAX_PRINTED_CELLS:
            console.print(f"    … và {len(out.cells) - MAX_PRINTED_CELLS} ô khác.")
        for r in out.rows[:MAX_PRINTED_CELLS]:
            console.print(f"    {escape(r.line())}")
        if len(out.rows) > MAX_PRINTED_CELLS:
            console.print(f"    … và {len(out.rows) - MAX_PRINTED_CELLS} dòng khác.")
    else:
        console.print(f"[green]✓ Nhận «{escape(out.name)}»[/] ({escape(what)}): {counts}.")


def collect_command(source: Path, store_path: Path | None) -> int:
    """CLI wrapper: 0 when every new file was accepted, 1 when one was rejected, 2 on a
    usage error (missing path, unusable store)."""
    try:
        report = collect(source, store_path)
    except FileNotFoundError:
        return fail(f"Không tìm thấy tệp hoặc thư mục «{source}». Hãy kiểm tra lại đường dẫn.")
    except store.StoreError as exc:
        return fail(str(exc))
    return 1 if report.rejected else 0
