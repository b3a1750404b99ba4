"""The input tables and vocabularies, loaded from ``tables.yaml`` and ``vocabularies.yaml``.

Everything that reads, validates, generates or templates input data asks this module which
tables, columns and values exist; nothing else spells a column name out for that purpose.

It is also the one home of the typed-table contract (``docs/architecture.md``, "Input data"):
:func:`table_frame` gives any table with every schema column present and typed
(``code``/``text``/``enum`` → ``str``, ``year``/``count`` → ``Int64``, ``bool`` →
``boolean``) and the provenance columns :data:`PROVENANCE`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis import config

COLUMN_TYPES = ("code", "text", "year", "count", "bool", "enum")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")
#: Where each row was read: file name, sheet (or table) name, Excel row.
PROVENANCE = ("_file", "_sheet", "_row")
_STR_TYPES = ("code", "text", "enum")


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    header_vi: str
    type: str
    required: bool = False
    vocabulary: str | None = None
    help_vi: str | None = None


@dataclass(frozen=True)
class Table:
    """One input table (a sheet of the workbook or a CSV file)."""

    name: str
    title_vi: str
    description_vi: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Vocabulary:
    """An enumerated set of codes with Vietnamese labels and extra attributes."""

    name: str
    entries: tuple[dict[str, Any], ...]
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def codes(self) -> list[str]:
        return [e["code"] for e in self.entries]

    @property
    def labels(self) -> list[str]:
        return [e["label_vi"] for e in self.entries]

    def entry(self, code: str) -> dict[str, Any]:
        for e in self.entries:
            if e["code"] == code:
                return e
        raise KeyError(code)

    def resolve(self, value: str) -> str | None:
        """Return the code a cell value stands for (code, label or alias), or None."""
        return self._lookup.get(match_key(value))


def match_key(value: str) -> str:
    """A matching key that ignores case, spacing, punctuation and diacritic placement.

    Vietnamese tone marks may be typed on either vowel ("hoà" / "hòa"), in precomposed or
    decomposed form, so labels are compared without their marks. Within one vocabulary no two
    labels collide once marks are removed (checked by a test).
    """
    text = unicodedata.normalize("NFD", str(value)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text).strip().casefold()
    return text


def _build_vocabulary(name: str, entries: list[dict[str, Any]]) -> Vocabulary:
    lookup: dict[str, str] = {}
    for e in entries:
        code = str(e["code"])
        e["code"] = code
        for alias in [code, e.get("label_vi", code), *e.get("aliases", [])]:
            lookup.setdefault(match_key(str(alias)), code)
    return Vocabulary(name=name, entries=tuple(entries), _lookup=lookup)


@cache
def vocabularies() -> dict[str, Vocabulary]:
    """All vocabularies by name."""
    raw = yaml.safe_load(config.VOCABULARIES_FILE.read_text(encoding="utf-8"))
    return {name: _build_vocabulary(name, entries) for name, entries in raw["vocabularies"].items()}


@cache
def rating_schemes() -> list[dict[str, Any]]:
    """Rating schemes with the years they govern."""
    raw = yaml.safe_load(config.VOCABULARIES_FILE.read_text(encoding="utf-8"))
    return [{**s, "code": str(s["code"])} for s in raw["rating_schemes"]]


def scheme_for_year(year: int) -> str:
    """Code of the rating scheme that governed ratings of ``year``."""
    for s in rating_schemes():
        if s["first_year"] <= year <= s["last_year"]:
            return s["code"]
    raise ValueError(f"no rating scheme covers {year}")


@cache
def tables() -> dict[str, Table]:
    """All input tables by name, in workbook order."""
    raw = yaml.safe_load(config.SCHEMA_FILE.read_text(encoding="utf-8"))
    out: dict[str, Table] = {}
    for name, spec in raw["tables"].items():
        cols = tuple(Column(**c) for c in spec["columns"])
        for c in cols:
            if c.type not in COLUMN_TYPES:
                raise ValueError(f"{name}.{c.name}: unknown type {c.type}")
        out[name] = Table(
            name=name,
            title_vi=spec["title_vi"],
            description_vi=spec.get("description_vi", ""),
            key=tuple(spec["key"]),
            columns=cols,
        )
    return out


def table(name: str) -> Table:
    """One input table by name."""
    return tables()[name]


# --------------------------------------------------------------------------------------------
# the typed-table contract
# --------------------------------------------------------------------------------------------
def _tables(data: Any) -> Mapping[str, pd.DataFrame]:
    """Accept ``InputData`` as well as a plain ``dict`` of tables."""
    return getattr(data, "tables", data) or {}


def _as_type(s: pd.Series, col_type: str) -> pd.Series:
    if col_type in _STR_TYPES:
        return s if s.dtype == "str" else s.astype("str")
    if col_type in ("year", "count"):
        if s.dtype == "Int64":
            return s
        return pd.to_numeric(s, errors="coerce").round().astype("Int64")
    if col_type == "bool":
        return s if s.dtype == "boolean" else s.astype("boolean")
    return s


def _missing(index: pd.Index, col_type: str) -> pd.Series:
    if col_type in _STR_TYPES:
        return pd.Series(np.nan, index=index, dtype="str")
    if col_type in ("year", "count"):
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.Series(pd.NA, index=index, dtype="boolean")


def table_frame(tables: Any, name: str) -> pd.DataFrame:
    """Table ``name`` with every schema column present and typed as the InputData contract says.

    ``tables`` is an ``InputData`` or a plain ``dict`` of tables. A table that is absent
    becomes an empty frame; missing columns become ``<NA>``; missing provenance columns become
    ``""`` / ``<NA>``. Columns already of the right dtype are not copied, so this is cheap on
    intake's output.
    """
    spec = table(name)
    df = _tables(tables).get(name)
    if df is None:
        df = pd.DataFrame(index=pd.RangeIndex(0))
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name in df.columns:
            out[col.name] = _as_type(df[col.name], col.type)
        else:
            out[col.name] = _missing(df.index, col.type)
    for prov in PROVENANCE:
        if prov in df.columns:
            s = df[prov]
            out[prov] = _as_type(s, "count") if prov == "_row" else _as_type(s, "text")
        elif prov == "_row":
            out[prov] = pd.Series(pd.NA, index=df.index, dtype="Int64")
        else:
            out[prov] = pd.Series("" if prov == "_file" else name, index=df.index, dtype="str")
    return pd.DataFrame(out, index=df.index, copy=False)
