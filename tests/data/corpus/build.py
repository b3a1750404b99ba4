"""Case builder: a clean slice of the demo data, written with one quirk, and its checks.

The slice is one district (``viet_yen``: detail *and* summary rows, so a double-counted row
also breaks the summary cross-check) in two years (2019, 2020: the commune mergers of 2020
are in it). A case copies it (:class:`Input`), changes what it wants, writes a workbook or a
CSV folder into ``tmp_path`` and returns a :class:`Built`: the path, the findings that must
appear (:class:`Expect`) and whether the numbers must come out as counted by hand.

Expected numbers never come from ``analysis``: :func:`hand_numbers` adds up the demo's CSV
text with ``int()``, after the case has put in the rows what the quirky cell *means*.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from analysis import config
from analysis.data import schema
from analysis.data.findings import ERROR, Finding
from analysis.data.template import sheet_name
from analysis.data.validate import ValidationResult, validate_input

DISTRICT = "viet_yen"
YEARS = ("2019", "2020")
#: Ratings counted as "hoàn thành tốt nhiệm vụ trở lên" (vocabularies.yaml, written out).
GOOD_OR_BETTER = frozenset({"xuat_sac", "trong_sach_vung_manh", "tot"})
#: Warnings the clean slice already has: a planted 20% cap breach (viet_yen_thuong_mai_db
#: 2020) and the years 2015–2018 the slice leaves out.
BASELINE_WARNINGS = frozenset({"excellent_cap_20", "missing_unit_year"})
#: Findings that mean the code failed, never acceptable.
CRASH_RULES = frozenset({"read_failed", "summary_failed"})
ANY = object()

SHEETS = {name: sheet_name(t) for name, t in schema.tables().items()}
BOOL_LABELS = {"co": "Có", "khong": "Không"}


# --- the demo slice ---------------------------------------------------------------------------
@cache
def _demo_slice() -> dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    def read(name: str) -> tuple[list[str], list[dict[str, str]]]:
        text = (config.DEMO_DATA_DIR / f"{name}.csv").read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        return list(reader.fieldnames or []), list(reader)

    out = {}
    units_h, units = read("units")
    communes = {u["code"] for u in units if u["parent_code"] == DISTRICT}
    villages = {u["code"] for u in units if u["parent_code"] in communes}
    keep = {"bac_giang", DISTRICT} | communes | villages
    filters: dict[str, Callable[[dict[str, str]], bool]] = {
        "units": lambda r: r["code"] in keep,
        "crosswalk": lambda r: r["old_code"] in keep,
        "organizations": lambda r: r["reporting_unit"] == DISTRICT and r["year"] in YEARS,
        "villages": lambda r: r["commune_code"] in communes and r["year"] in YEARS,
        "officials": lambda r: r["commune_code"] in communes and r["snapshot_year"] in YEARS,
        "unit_summary": lambda r: r["unit_code"] == DISTRICT and r["year"] in YEARS,
    }
    for name in schema.tables():
        header, rows = (units_h, units) if name == "units" else read(name)
        kept = [r for r in rows if filters[name](r)]
        out[name] = (tuple(header), tuple(tuple(r[h] for h in header) for r in kept))
    return out


class Input:
    """A mutable copy of the demo slice: ``rows[table]`` is a list of dicts of cell text.

    ``cells[(table, i, column)]`` overrides what is *written* for one cell (any Python value:
    text, float, datetime, bool…) while ``rows`` keeps what the cell means, for the hand
    counts.
    """

    def __init__(self, tables: Iterable[str] | None = None) -> None:
        self.header: dict[str, list[str]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        wanted = set(tables or schema.tables())
        for name, (header, rows) in _demo_slice().items():
            if name not in wanted:
                continue
            self.header[name] = list(header)
            self.rows[name] = [dict(zip(header, r, strict=True)) for r in rows]
        if "villages" not in wanted:  # nor the villages' units and mergers
            self.rows["units"] = [r for r in self.rows["units"] if r["level"] != "village"]
            known = {r["code"] for r in self.rows["units"]}
            self.rows["crosswalk"] = [r for r in self.rows["crosswalk"] if r["old_code"] in known]
        self.cells: dict[tuple[str, int, str], Any] = {}

    # finding rows ------------------------------------------------------------------------
    def index(self, table: str, **match: str) -> int:
        """Position of the first row of ``table`` whose cells equal ``match``."""
        for i, r in enumerate(self.rows[table]):
            if all(r[k] == v for k, v in match.items()):
                return i
        raise LookupError((table, match))

    def first(self, table: str, pred: Callable[[dict[str, Any]], bool]) -> int:
        return next(i for i, r in enumerate(self.rows[table]) if pred(r))

    def bump(self, i: int, col: str, delta: int) -> None:
        """Add ``delta`` to a count of organization ``i`` and of its unit's summary row, so
        that the summary still equals its detail."""
        r = self.rows["organizations"][i]
        r[col] = str(int(r[col]) + delta)
        if "unit_summary" in self.rows:
            j = self.index("unit_summary", unit_code=r["reporting_unit"], year=r["year"])
            s = self.rows["unit_summary"][j]
            s[col] = str(int(s[col]) + delta)

    @staticmethod
    def excel_row(i: int, title_rows: int = 0) -> int:
        """Excel row of data row ``i`` under one header row and ``title_rows`` title rows."""
        return title_rows + 2 + i

    # values as written -------------------------------------------------------------------
    def written(self, table: str, i: int, col: str, workbook: bool) -> Any:
        if (table, i, col) in self.cells:
            return self.cells[(table, i, col)]
        v = self.rows[table][i].get(col, "")
        if not isinstance(v, str) or not workbook:
            return v
        if v == "":
            return None
        spec = schema.table(table)
        kind = spec.column(col).type if col in spec.column_names else "text"
        if kind in ("count", "year") and v.isdigit():
            return int(v)
        if kind == "bool":
            return BOOL_LABELS.get(v, v)
        return v

    def records(self, table: str, workbook: bool) -> list[list[Any]]:
        cols = self.header[table]
        return [[self.written(table, i, c, workbook) for c in cols]
                for i in range(len(self.rows[table]))]

    def headers_vi(self, table: str) -> list[str]:
        spec = schema.table(table)
        return [spec.column(c).header_vi for c in self.header[table]]

    # writers -----------------------------------------------------------------------------
    def workbook(self, *, tables: Iterable[str] | None = None,
                 titles: dict[str, list] | None = None,
                 sheet_names: dict[str, str] | None = None) -> Workbook:
        """The slice as a workbook: one sheet per table, Vietnamese headers, data under them."""
        wb = Workbook()
        wb.remove(wb.active)
        for name in tables or self.rows:
            ws = wb.create_sheet((sheet_names or {}).get(name, SHEETS[name]))
            for row in (titles or {}).get(name, []):
                ws.append(row)
            ws.append(self.headers_vi(name))
            for rec in self.records(name, workbook=True):
                ws.append(rec)
        return wb

    def xlsx(self, path: Path, **kw: Any) -> Path:
        self.workbook(**kw).save(path)
        return path

    def csv_folder(self, folder: Path, *, encoding: str = "utf-8", delimiter: str = ",",
                   text: Callable[[str], str] | None = None,
                   encode: Callable[[str], bytes] | None = None) -> Path:
        """The slice as ``<table>.csv`` files (column codes as headers, like the demo)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.rows:
            buf = io.StringIO(newline="")
            w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
            w.writerow(self.header[name])
            w.writerows(self.records(name, workbook=False))
            body = buf.getvalue()
            if text is not None:
                body = text(body)
            data = encode(body) if encode is not None else body.encode(encoding)
            (folder / f"{name}.csv").write_bytes(data)
        return folder




# --- hand counts ------------------------------------------------------------------------------
def hand_numbers(inp: Input) -> dict[tuple[str, int], dict[str, int]]:
    """Counts per reporting unit and year, added up from the rows' text with ``int()``."""
    out: dict[tuple[str, int], dict[str, int]] = {}

    def add(unit: str, year: str, col: str, n: int) -> None:
        cell = out.setdefault((unit, int(year)), {})
        cell[col] = cell.get(col, 0) + n

    for r in inp.rows["organizations"]:
        unit, year = r["reporting_unit"], r["year"]
        add(unit, year, "orgs_total", 1)
        add(unit, year, "orgs_good_or_better", int(r["rating"] in GOOD_OR_BETTER))
        for col in ("members_total", "members_good", "admissions"):
            add(unit, year, col, int(r[col]))
    parent = {u["code"]: u["parent_code"] for u in inp.rows["units"]}
    for r in inp.rows.get("villages", []):
        unit, year = parent[r["commune_code"]], r["year"]
        add(unit, year, "villages_total", 1)
        add(unit, year, "villages_no_members", int(int(r["party_members"]) == 0))
    for r in inp.rows.get("officials", []):
        add(parent[r["commune_code"]], r["snapshot_year"], "officials_total", 1)
    return out


def summary_numbers(result: ValidationResult, unit: str = DISTRICT
                    ) -> dict[tuple[str, int], dict[str, int]]:
    """The same counts read from ``result.summary`` for one reporting unit."""
    assert result.summary is not None, "no summary: the input could not be read"
    s = result.summary[result.summary["unit_code"] == unit]
    out = {}
    for r in s.to_dict("records"):
        out[(unit, int(r["year"]))] = {
            "orgs_total": r["orgs_total"],
            "orgs_good_or_better": r["orgs_excellent"] + r["orgs_good"],
            "members_total": r["members_total"],
            "members_good": r["members_good"],
            "admissions": r["admissions"],
            "villages_total": r["villages_total"],
            "villages_no_members": r["villages_no_members"],
            "officials_total": r["officials_total"],
        }
    return out


def assert_numbers(result: ValidationResult, inp: Input, unit: str = DISTRICT) -> None:
    """The unit's summary equals the hand counts of ``inp``, cell by cell."""
    expected = {k: v for k, v in hand_numbers(inp).items() if k[0] == unit}
    got = summary_numbers(result, unit)
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    if "villages" not in inp.rows:  # a light input: the summary sheet's village counts
        expected = {k: {c: n for c, n in v.items() if not c.startswith(("villages", "officials"))}
                    for k, v in expected.items()}
    for key, cols in expected.items():
        for col, n in cols.items():
            assert int(got[key][col]) == n, (key, col, got[key][col], n)


# --- expected findings ------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    """A finding that must appear exactly ``count`` times (ANY leaves a field unchecked)."""

    severity: str
    rule: str
    file: Any
    sheet: Any
    row: Any
    column: Any
    text: str  # a part of the Vietnamese message, diacritics included
    count: int = 1

    def matches(self, f: Finding) -> bool:
        fields = (("severity", self.severity), ("rule", self.rule), ("file", self.file),
                  ("sheet", self.sheet), ("row", self.row), ("column", self.column))
        return all(v is ANY or getattr(f, k) == v for k, v in fields) and self.text in f.message


@dataclass
class Built:
    """What a case wrote and what it must produce."""

    path: Path
    expect: list[Expect] = field(default_factory=list)
    #: the Input whose hand counts the summary must equal; None when numbers are not usable
    numbers: Input | None = None
    #: other rules allowed besides the baseline warnings and the expected ones
    allow: frozenset[str] = frozenset()


def check(built: Built) -> ValidationResult:
    """Validate the case's input and assert its findings (and numbers, when usable)."""
    result = validate_input(built.path)
    crashes = [f for f in result.findings if f.rule in CRASH_RULES]
    assert not crashes, crashes[0].extra.get("traceback", crashes[0].message)
    for exp in built.expect:
        hits = [f for f in result.findings if exp.matches(f)]
        assert len(hits) == exp.count, (exp, _show(result.findings, exp.rule))
    expected_rules = {e.rule for e in built.expect}
    allowed = expected_rules | BASELINE_WARNINGS | built.allow
    stray = [f for f in result.findings if f.rule not in allowed]
    assert not stray, _show(stray)
    stray_errors = [f for f in result.findings
                    if f.severity == ERROR and f.rule not in expected_rules | built.allow]
    assert not stray_errors, _show(stray_errors)
    for f in result.findings:
        assert f.message and not re.search(r"Traceback|Error:|\bNone\b|\bnan\b", f.message), f
    if built.numbers is not None:
        assert_numbers(result, built.numbers)
    return result


def _show(findings: list[Finding], rule: str | None = None) -> str:
    sel = [f for f in findings if rule is None or f.rule == rule] or findings
    return "\n".join(f"{f.severity} {f.rule} {f.file}|{f.sheet}|{f.row}|{f.column}|{f.value}: "
                     f"{f.message}" for f in sel[:12])


ALL = tuple(schema.tables())
#: Tables of a "light" input: reading cost is per cell, and most quirks need no villages.
LIGHT = ("units", "crosswalk", "organizations", "unit_summary")


class Registry:
    """Cases of one test module, by id; each gets a fresh :class:`Input`."""

    def __init__(self, tables: Iterable[str] | None = None) -> None:
        self.cases: dict[str, tuple[Callable[[Input, Path], Built], tuple[str, ...] | None]] = {}
        self.tables = tuple(tables) if tables is not None else None

    def add(self, case_id: str, tables: Iterable[str] | None = None) -> Callable:
        def deco(fn: Callable[[Input, Path], Built]) -> Callable[[Input, Path], Built]:
            assert case_id not in self.cases, case_id
            self.cases[case_id] = (fn, tuple(tables) if tables is not None else self.tables)
            return fn
        return deco

    def ids(self) -> list[str]:
        return list(self.cases)

    def build(self, case_id: str, tmp_path: Path) -> Built:
        fn, tables = self.cases[case_id]
        return fn(Input(tables), tmp_path)
