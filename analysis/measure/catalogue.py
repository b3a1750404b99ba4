"""The indicator catalogue (``catalogue.yaml``): loading, validation and a safe expression
evaluator (its reference page ``docs/indicators.md`` is written by
:mod:`analysis.present.catalogue_doc`).

An indicator is data: a numerator and (for a percent) a denominator written as sums and
differences of count columns of the ``unit_summary`` table. Expressions are parsed by a tiny
tokenizer (column names, whole numbers, ``+`` and ``-``/``−``); nothing is passed to ``eval``.
Targets and quotas are *not* in the catalogue: an indicator names its target by ``target_ref``
and the values live in ``params/targets.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis import config, params
from analysis.data import schema

UNITS = ("percent", "count")
POLARITIES = ("higher", "lower")
LEVELS = ("province", "district", "sector", "commune")
#: Breakdowns the summary allows. None today: org type, terrain or commune kind need detail.
SUPPORTED_BREAKDOWNS: tuple[str, ...] = ()
TARGET_OPS = (">=", ">", "==", "<=", "<")
TARGET_KINDS = ("every_year", "by_year")

REQUIRED_FIELDS = (
    "id", "name_vi", "name_en", "numerator", "denominator", "excluded", "unit", "polarity",
    "target_ref", "levels", "section", "source_vi", "break_years", "description_vi",
)
OPTIONAL_FIELDS = ("breakdowns",)

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>\d+)|(?P<op>[+\-\u2212]))")


# --------------------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Expression:
    """A sum of signed terms, each a column name or a whole number: ``a + b - c - 1``."""

    text: str
    terms: tuple[tuple[int, str | int], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names used, in order of appearance, without repeats."""
        seen: dict[str, None] = {}
        for _, term in self.terms:
            if isinstance(term, str):
                seen.setdefault(term, None)
        return tuple(seen)

    def evaluate(self, frame: Mapping[str, Any] | pd.DataFrame) -> np.ndarray:
        """Evaluate on whole columns; returns float64 with NaN wherever a column is NA.

        ``frame`` is a DataFrame or a mapping of column name to array-like of equal length.
        """
        total: np.ndarray | None = None
        constant = 0
        for sign, term in self.terms:
            if isinstance(term, int):
                constant += sign * term
                continue
            col = _as_float(frame[term])
            total = sign * col if total is None else total + sign * col
        if total is None:
            raise ValueError(f"biểu thức '{self.text}' không có cột nào")
        return total + constant if constant else total

    def __str__(self) -> str:
        out = []
        for i, (sign, term) in enumerate(self.terms):
            if i == 0:
                out.append(("−" if sign < 0 else "") + str(term))
            else:
                out.append(("− " if sign < 0 else "+ ") + str(term))
        return " ".join(out)


def _as_float(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(values, dtype="float64")


def parse_expression(text: str | int) -> Expression:
    """Parse ``text`` into an :class:`Expression`.

    Raises
    ------
    ValueError
        On anything but column names, whole numbers, ``+`` and ``-`` (or ``−``), or on two
        operands or two operators in a row.
    """
    src = str(text).strip()
    if not src:
        raise ValueError("biểu thức rỗng")
    terms: list[tuple[int, str | int]] = []
    pos, sign, expect_operand, leading_sign = 0, 1, True, False
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            bad = src[pos:].strip()[:1]
            raise ValueError(f"ký tự không hợp lệ '{bad}' trong biểu thức '{src}'")
        pos = m.end()
        if m.group("op"):
            if expect_operand and (terms or leading_sign):
                raise ValueError(f"hai dấu liền nhau trong biểu thức '{src}'")
            leading_sign = leading_sign or not terms
            sign = -1 if m.group("op") in "-\u2212" else 1
            expect_operand = True
            continue
        if not expect_operand:
            raise ValueError(f"thiếu dấu + hoặc - giữa hai số hạng trong biểu thức '{src}'")
        term: str | int = m.group("name") if m.group("name") else int(m.group("int"))
        terms.append((sign, term))
        sign, expect_operand = 1, False
    if expect_operand:
        raise ValueError(f"biểu thức '{src}' kết thúc bằng một dấu")
    return Expression(text=src, terms=tuple(terms))


# --------------------------------------------------------------------------- indicators
@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see the header of ``catalogue.yaml`` for the fields)."""

    id: str
    name_vi: str
    name_en: str
    numerator: Expression
    denominator: Expression | None
    excluded: Expression | None
    unit: str
    polarity: str
    target_ref: str | None
    levels: tuple[str, ...]
    section: str
    source_vi: str
    break_years: tuple[int, ...]
    break_labels: tuple[str, ...]
    breakdowns: tuple[str, ...]
    description_vi: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Every summary column the indicator reads."""
        cols: dict[str, None] = {}
        for expr in (self.numerator, self.denominator, self.excluded):
            if expr is not None:
                for c in expr.columns:
                    cols.setdefault(c, None)
        return tuple(cols)

    def break_label(self, year: int) -> str:
        """The series-break label of ``year`` ("" when the series does not break then)."""
        for y, label in zip(self.break_years, self.break_labels, strict=True):
            if y == year:
                return label
        return ""


def summary_count_columns() -> tuple[str, ...]:
    """Count columns of ``unit_summary``: the names an expression may use."""
    return tuple(c.name for c in schema.table("unit_summary").columns if c.type == "count")


def load_catalogue(
    path: Path | str = config.CATALOGUE_FILE, targets: Mapping[str, Any] | None = None
) -> list[Indicator]:
    """Load and validate the catalogue.

    Parameters
    ----------
    path
        The catalogue YAML (default ``config.CATALOGUE_FILE``).
    targets
        Targets document (``{"targets": ..., "quotas": ...}``) against which ``target_ref`` is
        checked; default ``params.targets()``.

    Raises
    ------
    ValueError
        Naming the indicator and the problem: a missing or unknown field, an unknown column in
        an expression, a bad ``unit``/``polarity``/``levels``/``break_years``, a duplicate id, a
        ``target_ref`` absent from the targets.
    """
    path = Path(path)
    return list(_load_cached(str(path.resolve()), path.stat().st_mtime_ns, _targets_key(targets)))


def _targets_key(targets: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    if targets is None:
        return None
    return tuple(sorted((targets.get("targets") or {}).keys()))


@cache
def _load_cached(
    path: str, _mtime: int, target_ids: tuple[str, ...] | None
) -> tuple[Indicator, ...]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if target_ids is None:
        target_ids = tuple((params.targets().get("targets") or {}).keys())
    breaks = _parse_breaks(raw.get("series_breaks") or {})
    entries = raw.get("indicators")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: thiếu danh sách 'indicators'")
    columns = set(summary_count_columns())
    out: list[Indicator] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        ind = _parse_indicator(entry, i, columns, breaks, set(target_ids))
        if ind.id in seen:
            raise ValueError(f"Chỉ tiêu {ind.id}: mã bị trùng trong danh mục")
        seen.add(ind.id)
        out.append(ind)
    return tuple(out)


def _parse_breaks(raw: Mapping[Any, Any]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for year, spec in raw.items():
        if not isinstance(spec, Mapping) or not spec.get("label"):
            raise ValueError(f"series_breaks {year}: thiếu 'label'")
        out[int(year)] = (str(spec["label"]), str(spec.get("description_vi", "")).strip())
    return out


def _parse_indicator(
    entry: Any,
    position: int,
    columns: set[str],
    breaks: Mapping[int, tuple[str, str]],
    target_ids: set[str],
) -> Indicator:
    if not isinstance(entry, Mapping):
        raise ValueError(f"Mục thứ {position} của danh mục không phải là một chỉ tiêu")
    ind_id = str(entry.get("id") or f"#{position}")
    missing = [f for f in REQUIRED_FIELDS if f not in entry]
    if missing:
        raise ValueError(f"Chỉ tiêu {ind_id}: thiếu trường {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ValueError(f"Chỉ tiêu {ind_id}: trường không được hỗ trợ {', '.join(unknown)}")
    for f in ("name_vi", "name_en", "section", "source_vi", "description_vi"):
        if not str(entry[f] or "").strip():
            raise ValueError(f"Chỉ tiêu {ind_id}: trường '{f}' để trống")

    def expr(field: str) -> Expression | None:
        text = entry[field]
        if text is None or str(text).strip() == "":
            return None
        try:
            parsed = parse_expression(text)
        except ValueError as exc:
            raise ValueError(f"Chỉ tiêu {ind_id}, {field}: {exc}") from None
        if not parsed.columns:
            raise ValueError(f"Chỉ tiêu {ind_id}, {field}: biểu thức phải có ít nhất một cột")
        for col in parsed.columns:
            if col not in columns:
                raise ValueError(
                    f"Chỉ tiêu {ind_id}, {field}: cột '{col}' không có trong bảng unit_summary "
                    f"(chỉ dùng được các cột số đếm của bảng này)"
                )
        return parsed

    numerator, denominator, excluded = expr("numerator"), expr("denominator"), expr("excluded")
    if numerator is None:
        raise ValueError(f"Chỉ tiêu {ind_id}: thiếu tử số (numerator)")
    unit, polarity = entry["unit"], entry["polarity"]
    if unit not in UNITS:
        raise ValueError(f"Chỉ tiêu {ind_id}: unit '{unit}' không hợp lệ (chọn {'|'.join(UNITS)})")
    if polarity not in POLARITIES:
        raise ValueError(
            f"Chỉ tiêu {ind_id}: polarity '{polarity}' không hợp lệ (chọn {'|'.join(POLARITIES)})"
        )
    if unit == "percent" and denominator is None:
        raise ValueError(f"Chỉ tiêu {ind_id}: chỉ tiêu tỷ lệ (percent) cần mẫu số (denominator)")
    if unit == "count" and denominator is not None:
        raise ValueError(f"Chỉ tiêu {ind_id}: chỉ tiêu số đếm (count) không có mẫu số")
    levels = tuple(entry["levels"] or ())
    bad_levels = [lv for lv in levels if lv not in LEVELS]
    if not levels or bad_levels:
        raise ValueError(
            f"Chỉ tiêu {ind_id}: levels {list(levels)} không hợp lệ "
            f"(chọn trong {', '.join(LEVELS)})"
        )
    if "province" not in levels:
        raise ValueError(f"Chỉ tiêu {ind_id}: levels phải có 'province'")
    years = tuple(int(y) for y in (entry["break_years"] or ()))
    for y in years:
        if y not in breaks:
            raise ValueError(f"Chỉ tiêu {ind_id}: năm gãy chuỗi {y} không có trong series_breaks")
    breakdowns = tuple(entry.get("breakdowns") or ())
    for b in breakdowns:
        if b not in SUPPORTED_BREAKDOWNS:
            raise ValueError(
                f"Chỉ tiêu {ind_id}: phân tổ '{b}' không tính được từ số liệu tổng hợp"
            )
    target_ref = entry["target_ref"]
    if target_ref is not None and str(target_ref) not in target_ids:
        raise ValueError(
            f"Chỉ tiêu {ind_id}: target_ref '{target_ref}' không có trong params/targets.yaml"
        )
    return Indicator(
        id=ind_id,
        name_vi=str(entry["name_vi"]).strip(),
        name_en=str(entry["name_en"]).strip(),
        numerator=numerator,
        denominator=denominator,
        excluded=excluded,
        unit=unit,
        polarity=polarity,
        target_ref=None if target_ref is None else str(target_ref),
        levels=levels,
        section=str(entry["section"]),
        source_vi=" ".join(str(entry["source_vi"]).split()),
        break_years=years,
        break_labels=tuple(breaks[y][0] for y in years),
        breakdowns=breakdowns,
        description_vi=" ".join(str(entry["description_vi"]).split()),
    )


def series_breaks(path: Path | str = config.CATALOGUE_FILE) -> dict[int, tuple[str, str]]:
    """Series breaks declared in the catalogue: year -> (label, Vietnamese description)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _parse_breaks(raw.get("series_breaks") or {})


def get_indicator(indicator_id: str, catalogue: list[Indicator] | None = None) -> Indicator:
    """One indicator by id; the error lists the ids that exist."""
    cat = load_catalogue() if catalogue is None else catalogue
    for ind in cat:
        if ind.id == indicator_id:
            return ind
    raise KeyError(f"Không có chỉ tiêu '{indicator_id}'. Có: {', '.join(i.id for i in cat)}")
