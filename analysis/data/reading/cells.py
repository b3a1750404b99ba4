"""Cell conversion: one column's raw cells typed as the schema says (codes, text, enum codes,
whole numbers, yes/no), with the cells failing each rule as an :class:`Issue`. Columns of a
table are converted together (:func:`convert_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import schema
from analysis.data.findings import ERROR, WARNING
from analysis.data.reading.common import STRING, norm_series, norm_text, value_text
from analysis.textsafe import ESCAPED_UNDERSCORE

#: Codes longer than this are refused (they are identifiers, not text).
CODE_MAX_CHARS = 64
#: Counts at or above this are refused as implausible (and would not fit a whole number).
MAX_COUNT = 10**9

#: Text that stands for "no value" in a number cell (compared case-insensitively, trimmed).
NA_TOKENS = frozenset({"", "n/a", "na", "-", "--", "—", "–", "x", "nan", "null", "none"})
#: The same for other cells: "x" is a tick ("Có") in yes/no columns and may be a code.
TEXT_NA_TOKENS = NA_TOKENS - {"x"}
_EXCEL_ERRORS = frozenset(
    {"#n/a", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!", "#calc!",
     "#getting_data", "#field!", "#blocked!", "#unknown!", "#busy!", "#connect!", "#python!"}
)
#: Control characters in a cell (ESC sequences, NUL, DEL, C1): removed with a warning. Tab and
#: line breaks are whitespace (collapsed to one space), as in any multi-line cell.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Issue:
    """Cells of one column failing one rule (positions into the sheet's kept rows)."""

    severity: str
    rule: str
    column: str
    positions: np.ndarray
    message: Callable[[str], str]
    once: bool = False


@dataclass
class _Cells:
    """One column's raw values split by Python type, with normalised text."""

    raw: np.ndarray
    none: np.ndarray
    is_str: np.ndarray
    is_num: np.ndarray
    is_bool: np.ndarray
    is_date: np.ndarray
    is_other: np.ndarray
    text: np.ndarray      # normalised text of str cells, else None
    na: np.ndarray        # str cells holding an "empty" marker (NA_TOKENS)
    na_text: np.ndarray   # same with TEXT_NA_TOKENS
    xl_error: np.ndarray  # str cells holding an Excel error (#N/A, #DIV/0! …)
    ctrl: np.ndarray      # str cells that held control characters (removed from ``text``)

    def cut(self, lo: int, hi: int) -> _Cells:
        """The cells ``lo:hi`` (views)."""
        return _Cells(*(getattr(self, f.name)[lo:hi] for f in fields(self)))


def _split(raw: np.ndarray) -> _Cells:
    n = len(raw)
    s = pd.Series(raw, dtype=object)
    none = s.isna().to_numpy()
    false = np.zeros(n, dtype=bool)
    is_str = is_num = is_bool = is_date = is_other = false
    inferred = pd.api.types.infer_dtype(s, skipna=True) if n else "empty"
    if inferred == "string":
        is_str = ~none
    elif inferred in ("integer", "floating", "mixed-integer-float"):
        is_num = ~none
    elif inferred == "boolean":
        is_bool = ~none
    elif inferred != "empty":
        types = s.map(type).to_numpy(dtype=object)
        is_str = np.fromiter((issubclass(t, str) for t in types), bool, n)
        is_bool = np.fromiter((t is bool or t is np.bool_ for t in types), bool, n)
        is_num = np.fromiter(
            (t is not bool and t is not np.bool_ and issubclass(t, (int, float, np.number))
             for t in types), bool, n) & ~none
        is_date = np.fromiter((issubclass(t, (date, time, timedelta)) for t in types), bool, n)
        is_other = ~(none | is_str | is_bool | is_num | is_date)
    text = np.full(n, None, dtype=object)
    na = na_text = xl_error = ctrl = false
    if is_str.any():
        # Work on the distinct values only: a column of 600,000 counts has a few hundred.
        codes, uniques = pd.factorize(s[is_str].astype(object))  # all str: no NA sentinel
        distinct = pd.Series(uniques, dtype=object)
        has_ctrl = distinct.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
        if has_ctrl.any():  # ESC, NUL, DEL…: removed, and a warning names the cell
            distinct[has_ctrl] = distinct[has_ctrl].str.replace(_CONTROL, "", regex=True)
            ctrl = false.copy()
            ctrl[is_str] = has_ctrl[codes]
        norm = norm_series(distinct)
        text[is_str] = norm.to_numpy(dtype=object)[codes]
        low = norm.str.casefold()
        na = false.copy()
        na[is_str] = low.isin(NA_TOKENS).to_numpy(dtype=bool)[codes]
        na_text = false.copy()
        na_text[is_str] = low.isin(TEXT_NA_TOKENS).to_numpy(dtype=bool)[codes]
        xl_error = false.copy()
        xl_error[is_str] = low.isin(_EXCEL_ERRORS).to_numpy(dtype=bool)[codes]
    if is_other.any():  # Decimal and other exotic types: read as their text
        idx = np.flatnonzero(is_other)
        text[idx] = [norm_text(str(v)) for v in raw[idx]]
        is_str = is_str | is_other
    return _Cells(raw, none, is_str, is_num, is_bool, is_date, is_other, text, na, na_text,
                  xl_error, ctrl)


def _positions(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def msg(text: str) -> Callable[[str], str]:
    return lambda v: text.format(v=v)


#: Cells converted in one pass at most (the columns of a table are converted together).
CONVERT_BATCH_CELLS = 1 << 20


def _batch_key(col: schema.Column) -> tuple[str, str]:
    """Columns converted by one call: same type (and vocabulary), hence the same messages."""
    return col.type, (col.vocabulary or "") if col.type == "enum" else ""


def convert_columns(cols: list[schema.Column], raws: list[np.ndarray],
                     excluded: list[np.ndarray], years: tuple[int, int]
                     ) -> list[tuple[Any, list[Issue]]]:
    """:func:`_convert` of each column, computed in a few passes over the columns joined.

    A cell's result and findings depend on its own value and its column's type only, so the
    cells of all columns are split by Python type in one pass (:func:`_split`), then converted
    once per type (and vocabulary); results and issues are cut back per column, in the order
    a column-by-column conversion gives them. At most :data:`CONVERT_BATCH_CELLS` cells are
    joined at a time.
    """
    results: list[tuple[Any, list[Issue]] | None] = [None] * len(cols)
    order = sorted(range(len(cols)), key=lambda k: _batch_key(cols[k]))  # stable
    start = 0
    while start < len(order):
        stop, size = start, 0
        while stop < len(order) and (stop == start
                                     or size + len(raws[order[stop]]) <= CONVERT_BATCH_CELLS):
            size += len(raws[order[stop]])
            stop += 1
        chunk = order[start:stop]
        start = stop
        joined = raws[chunk[0]] if len(chunk) == 1 else np.concatenate([raws[k] for k in chunk])
        cells = _split(joined)
        offset = 0
        i = 0
        while i < len(chunk):
            key = _batch_key(cols[chunk[i]])
            j = i
            while j < len(chunk) and _batch_key(cols[chunk[j]]) == key:
                j += 1
            group = chunk[i:j]
            bounds = np.cumsum([offset, *(len(raws[k]) for k in group)])
            lo, hi = int(bounds[0]), int(bounds[-1])
            part = cells if lo == 0 and hi == len(joined) else cells.cut(lo, hi)
            result, empty, found = _convert_cells(cols[group[0]], part, years)
            for n, k in enumerate(group):
                a, b = int(bounds[n] - lo), int(bounds[n + 1] - lo)
                col_issues = []
                for issue in found:
                    pos = issue.positions
                    inside = pos[(pos >= a) & (pos < b)] - a
                    if len(inside):
                        col_issues.append(Issue(issue.severity, issue.rule, cols[k].name,
                                                 inside, issue.message, issue.once))
                if cols[k].required:
                    missing = empty[a:b] & ~excluded[k]
                    if missing.any():
                        col_issues.append(Issue(
                            ERROR, "required_empty", cols[k].name, _positions(missing),
                            lambda v: "Ô bắt buộc bị trống: cần ghi giá trị cho cột này."))
                results[k] = (result if a == 0 and b == len(result) else result[a:b],
                              col_issues)
            offset = hi
            i = j
    return results  # type: ignore[return-value]


def _convert(col: schema.Column, raw: np.ndarray, excluded: np.ndarray,
             years: tuple[int, int]) -> tuple[Any, list[Issue]]:
    """One column's cells typed as the schema says, and the cells failing each rule."""
    return convert_columns([col], [raw], [excluded], years)[0]


def _convert_cells(col: schema.Column, cells: _Cells, years: tuple[int, int]
                   ) -> tuple[Any, np.ndarray, list[Issue]]:
    """Typed values, the empty mask and the issues (but "required") of cells of ``col``'s type."""
    issues: list[Issue] = []
    if cells.ctrl.any():
        issues.append(Issue(WARNING, "control_character", col.name, _positions(cells.ctrl), msg(
            "Ô có ký tự điều khiển không in được («{v}», mỗi ký tự ghi dạng \\xHH); các ký tự "
            "này đã được bỏ đi khi đọc. Hãy kiểm tra và nhập lại ô này.")))
    if cells.xl_error.any():
        issues.append(Issue(ERROR, "excel_error", col.name, _positions(cells.xl_error), msg(
            "Ô chứa lỗi công thức Excel «{v}»: hãy sửa công thức hoặc nhập giá trị trực tiếp.")))
    if col.type in ("count", "year"):
        result, empty = _to_int(col, cells, issues, years)
    elif col.type == "bool":
        result, empty = _to_bool(col, cells, issues)
    elif col.type == "enum":
        result, empty = _to_enum(col, cells, issues)
    elif col.type == "code":
        result, empty = _to_code(col, cells, issues)
    else:
        result, empty = _to_text(cells)
    return result, empty, issues


# numbers ---------------------------------------------------------------------------------------
_RE_INT = r"[+-]?\d+"
_RE_THOUSANDS = r"[+-]?\d{1,3}(?:(?:\.\d{3})+|(?:,\d{3})+|(?: \d{3})+)"
_RE_DEC_VI = r"[+-]?\d{1,3}(?:\.\d{3})*,\d+"      # 1.234,5  12,5
_RE_DEC_EN = r"[+-]?\d{1,3}(?:,\d{3})*\.\d+"      # 1,234.5  12.5
_RE_DEC = r"[+-]?\d*[.,]\d+"                      # 1234.5  ,5
_RE_SCI = r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+"


def _parse_numbers(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats parsed from normalised text (NaN where not a number), and a percent mask.

    Parsed once per distinct value (:func:`_parse_distinct_numbers`), then spread back.
    """
    codes, uniques = pd.factorize(t)  # text: no NA sentinel
    out, pct = _parse_distinct_numbers(pd.Series(uniques, dtype=object))
    return out[codes], pct[codes]


def _parse_distinct_numbers(t: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    t = t.str.replace("\u2212", "-", regex=False)
    n = len(t)
    out = np.full(n, np.nan)

    def fill(mask: np.ndarray, cleaned: pd.Series) -> None:
        if mask.any():
            out[mask] = pd.to_numeric(cleaned[mask], errors="coerce").to_numpy(dtype=float)

    m_int = t.str.fullmatch(_RE_INT).to_numpy(dtype=bool)
    fill(m_int, t)
    rest = ~m_int
    if rest.any():
        r = t.where(rest, "")
        m_th = rest & r.str.fullmatch(_RE_THOUSANDS).to_numpy(dtype=bool)
        fill(m_th, r.str.replace(r"[., ]", "", regex=True))
        m_vi = rest & ~m_th & r.str.fullmatch(_RE_DEC_VI).to_numpy(dtype=bool)
        fill(m_vi, r.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        m_en = rest & ~m_th & ~m_vi & r.str.fullmatch(_RE_DEC_EN).to_numpy(dtype=bool)
        fill(m_en, r.str.replace(",", "", regex=False))
        m_dec = rest & ~m_th & ~m_vi & ~m_en & (
            r.str.fullmatch(_RE_DEC) | r.str.fullmatch(_RE_SCI)).to_numpy(dtype=bool)
        fill(m_dec, r.str.replace(",", ".", regex=False))
    pct = t.str.endswith("%").to_numpy(dtype=bool)
    return out, pct


def _to_int(col: schema.Column, c: _Cells, issues: list[Issue],
            years: tuple[int, int]) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    val = np.full(n, np.nan)
    if c.is_num.any():
        val[c.is_num] = c.raw[c.is_num].astype(float)
    cand = c.is_str & ~c.na & ~c.xl_error
    if cand.any():
        idx = np.flatnonzero(cand)
        parsed, pct = _parse_numbers(pd.Series(c.text[idx], dtype=object))
        val[idx] = parsed
        bad_pct = idx[pct]
        bad_txt = idx[np.isnan(parsed) & ~pct]
        if len(bad_pct):
            what = "số lượng (số nguyên)" if col.type == "count" else "một năm (số nguyên)"
            issues.append(Issue(ERROR, "percent_in_count", col.name, bad_pct, msg(
                "«{v}» là tỷ lệ phần trăm; cột này cần " + what + ", không phải tỷ lệ.")))
        if len(bad_txt):
            issues.append(Issue(ERROR, "not_a_number", col.name, bad_txt, msg(
                "«{v}» không phải là số; cột này cần một số nguyên.")))
    if c.is_date.any():
        issues.append(Issue(ERROR, "date_in_number", col.name, _positions(c.is_date), msg(
            "Ô chứa ngày tháng («{v}»), cần một số. Hãy định dạng ô là số (Number) và nhập "
            "lại.")))
    if c.is_bool.any():
        issues.append(Issue(ERROR, "bool_in_number", col.name, _positions(c.is_bool), msg(
            "Ô chứa giá trị đúng/sai («{v}»), cần một số.")))
    finite = np.isfinite(val)
    rounded = np.where(finite, np.round(np.where(finite, val, 0)), np.nan)
    tol = 1e-9 * np.maximum(1.0, np.abs(np.where(finite, val, 0)))
    whole = finite & (np.abs(np.where(finite, val - rounded, 0)) <= tol)
    not_int = finite & ~whole
    negative = whole & (rounded < 0)
    # "1e400" parses to infinity: refused as too large rather than left as a silent gap
    big = (whole & ~negative & (np.abs(np.where(whole, rounded, 0)) >= MAX_COUNT)) | np.isinf(val)
    ok = whole & ~negative & ~big
    if not_int.any():
        issues.append(Issue(ERROR, "not_integer", col.name, _positions(not_int), msg(
            "«{v}» không phải số nguyên; cột này cần một số nguyên (không có phần thập phân).")))
    if negative.any():
        issues.append(Issue(ERROR, "negative", col.name, _positions(negative), msg(
            "«{v}» là số âm; số lượng không được âm.")))
    if big.any():
        issues.append(Issue(ERROR, "number_too_large", col.name, _positions(big), msg(
            "«{v}» là số quá lớn, không hợp lý cho cột này.")))
    if col.type == "year":
        first, last = years
        out_of = ok & ((rounded < first) | (rounded > last))
        if out_of.any():
            issues.append(Issue(ERROR, "year_out_of_range", col.name, _positions(out_of),
                                 msg(f"Năm ngoài kỳ kế hoạch ({first}–{last}): ô ghi «{{v}}».")))
        ok &= ~out_of
    data = np.zeros(n, dtype="int64")
    data[ok] = rounded[ok].astype("int64")
    result = pd.arrays.IntegerArray(data, ~ok)
    empty = c.none | c.na
    return result, empty


# yes/no, enums, codes, text ----------------------------------------------------------------------
def _resolve_unique(texts: np.ndarray, vocab: schema.Vocabulary) -> np.ndarray:
    """Vocabulary codes of ``texts`` (None where unknown), resolving each distinct text once."""
    lookup = {u: vocab.resolve(u) for u in pd.unique(pd.Series(texts, dtype=object))}
    out = np.empty(len(texts), dtype=object)
    out[:] = [lookup[t] for t in texts]
    return out


def _number_keys(c: _Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text keys for numeric cells (whole numbers as digits), and a mask of non-whole ones."""
    idx = np.flatnonzero(c.is_num)
    keys = np.full(len(idx), None, dtype=object)
    frac = np.zeros(len(idx), dtype=bool)
    for k, v in enumerate(c.raw[idx]):
        fv = float(v)
        if np.isfinite(fv) and fv.is_integer():
            keys[k] = str(int(fv))
        else:
            frac[k] = True
    return idx, keys, frac


def _to_bool(col: schema.Column, c: _Cells, issues: list[Issue]) -> tuple[Any, np.ndarray]:
    vocab = schema.vocabularies()["yes_no"]
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    invalid = np.zeros(n, dtype=bool)
    bidx = np.flatnonzero(c.is_bool)
    out[bidx] = [bool(v) for v in c.raw[bidx]]
    keys = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    keys[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    keys[idx] = nkeys
    invalid[idx[frac]] = True
    todo = np.flatnonzero(np.array([k is not None for k in keys], dtype=bool))
    if len(todo):
        codes = _resolve_unique(keys[todo], vocab)
        out[todo] = [None if code is None else code == "co" for code in codes]
        invalid[todo[[code is None for code in codes]]] = True
    invalid |= c.is_date
    if invalid.any():
        allowed = ", ".join(vocab.labels)
        issues.append(Issue(ERROR, "bool_invalid", col.name, _positions(invalid), msg(
            "Giá trị «{v}» không hợp lệ; các giá trị hợp lệ: " + allowed + " (hoặc để trống).")))
    return pd.array(out, dtype="boolean"), c.none | c.na_text


def _to_enum(col: schema.Column, c: _Cells, issues: list[Issue]) -> tuple[Any, np.ndarray]:
    vocab = schema.vocabularies()[col.vocabulary or ""]
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    keys = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    keys[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    keys[idx] = nkeys
    invalid = np.zeros(n, dtype=bool)
    invalid[idx[frac]] = True
    invalid |= c.is_date | c.is_bool
    todo = np.flatnonzero(np.array([k is not None for k in keys], dtype=bool))
    if len(todo):
        codes = _resolve_unique(keys[todo], vocab)
        out[todo] = codes
        invalid[todo[[code is None for code in codes]]] = True
    if invalid.any():
        allowed = "; ".join(vocab.labels)
        issues.append(Issue(ERROR, "enum_invalid", col.name, _positions(invalid), msg(
            "Giá trị «{v}» không có trong danh mục; các giá trị hợp lệ: " + allowed + ".")))
    return pd.array(out, dtype=STRING), c.none | c.na_text


def _to_code(col: schema.Column, c: _Cells, issues: list[Issue]) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    out[cand] = c.text[cand]
    idx, nkeys, frac = _number_keys(c)
    out[idx] = nkeys
    invalid = np.zeros(n, dtype=bool)
    invalid[idx[frac]] = True
    invalid |= c.is_date | c.is_bool
    has = np.array([v is not None for v in out], dtype=bool)
    if has.any():
        s = pd.Series(out[has], dtype=object)
        lower = s.str.lower()
        good = (lower.str.fullmatch(schema.CODE_PATTERN.pattern).fillna(False).to_numpy(bool)
                & (lower.str.len() <= CODE_MAX_CHARS).to_numpy(dtype=bool))
        # only codes that lower case makes valid: «=HYPERLINK(…)» is refused, not lowered
        # nor is Excel's escaped «_» («_x005F_», undone after reading) an upper-case code
        shown = s.str.replace("_x005F_", ESCAPED_UNDERSCORE, regex=False)
        upper = (shown != lower).to_numpy(dtype=bool) & good
        if upper.any():
            issues.append(Issue(WARNING, "code_uppercase", col.name, np.flatnonzero(has)[upper],
                                 msg("Mã viết hoa, đã chuyển thành chữ thường (ví dụ «{v}»); "
                                      "mọi mã viết hoa trong cột này đều được chuyển."),
                                 once=True))
        pathish = lower.str.contains(r"[/\\]|\.\.", regex=True).to_numpy(dtype=bool)
        out[has] = np.where(good, lower.to_numpy(dtype=object), None)
        hidx = np.flatnonzero(has)
        if pathish.any():
            issues.append(Issue(ERROR, "code_invalid", col.name, hidx[pathish], msg(
                "Mã «{v}» không hợp lệ: mã không được chứa «/», «\\» hoặc «..»; mã chỉ gồm chữ "
                "thường không dấu (a–z), chữ số và dấu gạch dưới «_».")))
        invalid[hidx[~good & ~pathish]] = True
    if invalid.any():
        out[invalid] = None
        issues.append(Issue(ERROR, "code_invalid", col.name, _positions(invalid), msg(
            "Mã «{v}» không hợp lệ: mã chỉ gồm chữ thường không dấu (a–z), chữ số và dấu gạch "
            f"dưới «_», bắt đầu bằng chữ hoặc số, dài tối đa {CODE_MAX_CHARS} ký tự (ví dụ "
            "«yen_dung»).")))
    return pd.array(out, dtype=STRING), c.none | c.na_text


def _to_text(c: _Cells) -> tuple[Any, np.ndarray]:
    n = len(c.raw)
    out = np.full(n, None, dtype=object)
    cand = c.is_str & ~c.na_text & ~c.xl_error
    out[cand] = c.text[cand]
    other = np.flatnonzero(c.is_num | c.is_bool | c.is_date)
    out[other] = [value_text(v) for v in c.raw[other]]
    return pd.array(out, dtype=STRING), c.none | c.na_text
