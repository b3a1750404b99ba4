"""Reading one sheet into one table: the header row and columns, the rows kept under it
(blank, totals and repeated header rows left out), the cells converted
(:mod:`analysis.data.reading.cells`) and the findings, capped per rule and column
(:class:`Emitter`); duplicate keys across the sheets of a table.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.reading.cells import Issue, convert_columns, msg
from analysis.data.reading.common import (
    HEADER_SCAN_ROWS,
    PROVENANCE,
    STRING,
    UNIT_COLUMNS,
    YEAR_COLUMNS,
    cell_key,
    column_dtype,
    column_letter,
    cut,
    int_vi,
    is_blank,
    is_blank_row,
    is_total_word,
    norm_text,
    value_text,
)
from analysis.data.reading.headers import (
    ORDINAL_HEADERS,
    REFERENCE_KEY,
    column_names_by_header,
    find_header,
    is_personal,
    is_second_header,
)
from analysis.data.reading.sources import Grid, Sheet
from analysis.textsafe import visible

#: Findings written per table, rule and column before one summary finding.
FINDINGS_CAP = 50


# --- findings with a cap ----------------------------------------------------------------------
class Emitter:
    """Findings of one table, capped per (rule, column) with one summary finding each."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._count: Counter[tuple[str, str]] = Counter()
        self._last: dict[tuple[str, str], Finding] = {}

    def room(self, rule: str, column: str) -> int:
        return max(FINDINGS_CAP - self._count[(rule, column)], 0)

    def add(self, finding: Finding) -> None:
        key = (finding.rule, finding.column)
        self._count[key] += 1
        self._last[key] = finding
        if self._count[key] <= FINDINGS_CAP:
            self.findings.append(finding)

    def skip(self, rule: str, column: str, n: int, template: Finding) -> None:
        """Count ``n`` more findings like ``template`` without writing them."""
        if n > 0:
            self._count[(rule, column)] += n
            self._last.setdefault((rule, column), template)

    def finish(self) -> list[Finding]:
        out = list(self.findings)
        for (rule, column), n in self._count.items():
            if n > FINDINGS_CAP:
                last = self._last[(rule, column)]
                where = f" ở cột «{column}»" if column else ""
                out.append(Finding(
                    last.severity, rule,
                    f"… và {int_vi(n - FINDINGS_CAP)} dòng khác có cùng vấn đề{where} "
                    f"(chỉ liệt kê {FINDINGS_CAP} dòng đầu).",
                    file=last.file, sheet=last.sheet, column=column,
                    extra={"summary": True, "count": n},
                ))
        self.findings = []
        self._count.clear()
        return out


# --- reading one sheet into one table ---------------------------------------------------------
def read_table(sh: Sheet, table: schema.Table, emitter: Emitter) -> pd.DataFrame | None:
    where = {"file": sh.file, "sheet": sh.sheet}
    grid = sh.grid
    if grid is not None:
        empty = all(grid.blank_values(j).all() for j in range(grid.width))
    else:
        empty = (all(is_blank_row(v) for _, v in sh.head)
                 and all(is_blank_row(v) for _, v in sh.rows()))
    if empty:
        emitter.add(Finding(WARNING, "empty_sheet",
                            f"Bảng «{sh.sheet}» trống, không có số liệu.", **where))
        return None
    found = find_header(sh.head, table.name)
    if found is None:
        examples = ", ".join(f"«{c.header_vi}»" for c in table.columns[:3])
        emitter.add(Finding(
            ERROR, "header_not_found",
            f"Không tìm thấy dòng tiêu đề trong {HEADER_SCAN_ROWS} dòng đầu của bảng "
            f"«{sh.sheet}»: cần một dòng ghi tên các cột như trong mẫu (ví dụ {examples}). "
            "Bảng này không được đọc.",
            **where,
        ))
        return None
    header_row, header = found
    codes: tuple = ()
    skip_to = header_row
    for rownum, values in sh.head:
        if rownum == header_row + 1 and is_second_header(values, table.name):
            codes, skip_to = values, rownum
    header_lookup = column_names_by_header(table.name)

    positions: dict[int, str] = {}
    display: dict[str, str] = {}
    unnamed: list[int] = []
    width = max(len(header), len(codes))
    for j in range(width):
        h = header[j] if j < len(header) else None
        k = codes[j] if j < len(codes) else None
        name = header_lookup.get(cell_key(h)) if not is_blank(h) else None
        if name is None and not is_blank(k):
            name = header_lookup.get(cell_key(k))
        shown = next((norm_text(str(x)) for x in (h, k) if not is_blank(x)), "")
        if name is not None:
            if name in display:
                emitter.add(Finding(
                    ERROR, "duplicate_column",
                    f"Cột «{shown}» (cột {column_letter(j)}) trùng với cột «{display[name]}» "
                    "đã có; chỉ đọc cột đầu tiên. Hãy xóa hoặc đổi tên cột thừa.",
                    row=header_row, column=shown, **where,
                ))
                continue
            positions[j] = name
            display[name] = shown
            continue
        if not shown:
            unnamed.append(j)
            continue
        key = cell_key(shown)
        personal = is_personal(key)
        if personal == "name":
            emitter.add(Finding(
                WARNING, "personal_name_column",
                f"Cột «{shown}» ghi họ tên người: phần mềm không cần và không lưu họ tên, cột "
                "đã bị bỏ qua. Xin không ghi họ tên vào tệp số liệu.",
                row=header_row, column=shown, **where,
            ))
        elif personal == "data":
            emitter.add(Finding(
                WARNING, "personal_data_column",
                f"Cột «{shown}» chứa thông tin cá nhân: phần mềm không cần và không lưu, cột đã "
                "bị bỏ qua. Xin không ghi thông tin cá nhân vào tệp số liệu.",
                row=header_row, column=shown, **where,
            ))
        elif key not in ORDINAL_HEADERS and not key.startswith(REFERENCE_KEY):
            emitter.add(Finding(
                WARNING, "unknown_column",
                f"Cột «{shown}» không có trong mẫu, bỏ qua.",
                row=header_row, column=shown, **where,
            ))
    for col in table.columns:
        if col.name not in display and col.required:
            emitter.add(Finding(
                ERROR, "missing_column",
                f"Thiếu cột bắt buộc «{col.header_vi}» (mã cột {col.name}) trong bảng "
                f"«{sh.sheet}».",
                row=header_row, column=col.header_vi, **where,
            ))

    # rows ------------------------------------------------------------------------------------
    idxs = list(positions)
    names = [positions[j] for j in idxs]
    code_keys = [i for i, n in enumerate(names)
                 if n in table.key and table.column(n).type == "code"]
    # Each selected column's cells as (codes into distinct values, distinct values): CSV read
    # by the C parser; or as one array of cells (workbooks, CSV read by the csv module).
    factored: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    raw: pd.DataFrame | None = None
    repeated = _header_texts(table, header, codes)
    if grid is not None:
        kept = _grid_rows(grid, skip_to, idxs, [idxs[i] for i in code_keys],
                          [*unnamed, *range(width, grid.width)], emitter, where, repeated)
        for j, name in positions.items():
            factored[name] = _used_values(grid.codes[j][kept], grid.uniques[j])
        rownums: list[int] | np.ndarray = kept + 1
        nrows = len(kept)
    else:
        raw, rownums = _loop_rows(sh, skip_to, idxs, names, code_keys, unnamed, width,
                                  emitter, where, repeated)
        nrows = len(raw)

    # formulas that Excel never computed ------------------------------------------------------
    formula_mask: dict[str, np.ndarray] = {}
    formula_text: dict[tuple[str, int], str] = {}
    issues: list[Issue] = []
    if sh.formulas is not None and raw is not None and nrows:
        pos_of_row = {r: i for i, r in enumerate(rownums)}
        per_col: dict[str, list[int]] = {}
        for rownum, j, text in sh.formulas(list(rownums), positions):
            i = pos_of_row[rownum]
            name = positions[j]
            if raw[name].iat[i] is None:
                per_col.setdefault(name, []).append(i)
                formula_text[(name, i)] = text
        for name, pos in per_col.items():
            mask = np.zeros(nrows, dtype=bool)
            mask[pos] = True
            formula_mask[name] = mask
            issues.append(Issue(
                ERROR, "formula_no_value", name, np.array(pos, dtype=np.int64),
                msg("Ô có công thức «{v}» nhưng công thức chưa có giá trị (chưa được tính): "
                     "hãy mở tệp bằng Excel, để Excel tính xong rồi lưu lại, hoặc nhập số "
                     "trực tiếp."),
            ))

    # conversion ------------------------------------------------------------------------------
    plan = params.plan()
    years = (int(plan["first_year"]), int(plan["last_year"]))
    out: dict[str, Any] = {}
    present = [col for col in table.columns if col.name in display]
    if grid is not None:
        # Converted once per distinct value, then spread over the rows: a cell's result
        # and findings depend on its own value only.
        arrays = [factored[col.name][1] for col in present]
        excluded = [np.zeros(len(a), dtype=bool) for a in arrays]
    else:
        assert raw is not None
        arrays = [raw[col.name].to_numpy(dtype=object) for col in present]
        excluded = [formula_mask.get(col.name, np.zeros(nrows, dtype=bool)) for col in present]
    converted = dict(zip([col.name for col in present],
                         convert_columns(present, arrays, excluded, years), strict=True))
    for col in table.columns:
        if col.name not in display:
            out[col.name] = _repeat(pd.array([None], dtype=column_dtype(col)), nrows)
            continue
        result, col_issues = converted[col.name]
        if col.name in factored:
            codes, distinct = factored[col.name]
            out[col.name] = result.take(codes)
            issues.extend(_spread(issue, codes, len(distinct)) for issue in col_issues)
        else:
            out[col.name] = result
            issues.extend(col_issues)
    frame = pd.DataFrame(out, index=pd.RangeIndex(nrows))
    frame["_file"] = _repeat(pd.array([sh.file], dtype=STRING), nrows)
    frame["_sheet"] = _repeat(pd.array([sh.sheet], dtype=STRING), nrows)
    frame["_row"] = np.asarray(rownums, dtype="int64")

    if raw is not None:
        def value_at(name: str, i: int, raw: pd.DataFrame = raw) -> Any:
            return raw[name].iat[i]
    else:
        def value_at(name: str, i: int) -> Any:
            codes, distinct = factored[name]
            return distinct[codes[i]]
    _materialise(issues, value_at, frame, display, emitter, sh, formula_text)
    return frame


def _repeat(one: Any, n: int) -> Any:
    """An array of ``n`` copies of the single element of ``one`` (same dtype)."""
    return one.take(np.zeros(n, dtype=np.intp))


def _used_values(codes: np.ndarray, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` renumbered over the distinct values they use (in their order), and those."""
    used = np.bincount(codes, minlength=len(distinct)).astype(bool)
    if used.all():
        return codes, distinct
    renumber = np.cumsum(used) - 1
    return renumber[codes], distinct[used]


def _spread(issue: Issue, codes: np.ndarray, n_distinct: int) -> Issue:
    """An issue found on distinct values, moved to the rows holding them (in row order)."""
    hit = np.zeros(n_distinct, dtype=bool)
    hit[issue.positions] = True
    return Issue(issue.severity, issue.rule, issue.column, np.flatnonzero(hit[codes]),
                  issue.message, issue.once)


def _loop_rows(sh: Sheet, skip_to: int, idxs: list[int], names: list[str],
               code_keys: list[int], unnamed: list[int], width: int, emitter: Emitter,
               where: dict[str, str], header_texts: frozenset[str] = frozenset()
               ) -> tuple[pd.DataFrame, list[int]]:
    """Rows kept under the header, read one by one (workbooks, CSV read by ``csv``)."""
    need = max(idxs) + 1 if idxs else 0
    unnamed_set = set(unnamed)
    if len(idxs) > 1:
        pick = operator.itemgetter(*idxs)
    else:
        def pick(values: tuple, j: int = idxs[0]) -> tuple:
            return (values[j],)
    unnamed_data: dict[int, int] = {}
    records: list[tuple] = []
    rownums: list[int] = []
    for rownum, values in sh.rows():
        if rownum <= skip_to:
            continue
        n = len(values)
        if n < need:
            values = tuple(values) + (None,) * (need - n)
        picked = pick(values)
        if (unnamed_set or n > width) and len(unnamed_data) < 20:
            for j in [*unnamed, *range(width, n)]:
                if j < n and j not in unnamed_data and not is_blank(values[j]):
                    unnamed_data[j] = rownum
        if is_blank_row(picked):
            continue
        if (code_keys and _maybe_header_text(picked[code_keys[0]], header_texts)
                and _is_repeated_header(picked, header_texts)):
            _repeated_header(emitter, rownum, where)
            continue
        if code_keys and all(is_blank(picked[i]) or is_total_word(picked[i]) for i in code_keys):
            firsts = [v for v in values if not is_blank(v)][:2]
            if any(is_total_word(v) for v in firsts):
                label = next(v for v in firsts if is_total_word(v))
                _totals_row(emitter, rownum, label, where)
                continue
        records.append(picked)
        rownums.append(rownum)
    _unnamed_columns(emitter, unnamed_data, where)
    raw = pd.DataFrame(records, columns=names, dtype=object) if records else \
        pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    return raw, rownums


def _grid_rows(grid: Grid, skip_to: int, idxs: list[int], code_keys: list[int],
               unnamed: list[int], emitter: Emitter, where: dict[str, str],
               header_texts: frozenset[str] = frozenset()) -> np.ndarray:
    """Positions of the rows kept under the header: :func:`_loop_rows` with numpy masks.

    Emits the same findings in the same order (repeated header rows and totals rows in row
    order, then columns without a header holding data).
    """
    n = grid.nrows
    first = min(skip_to, n)  # record i is Excel row i + 1; rows up to the header are skipped
    body = np.zeros(n, dtype=bool)
    body[first:] = True

    # columns without a header that hold data: the first row of each; once 20 are known, the
    # row-by-row reader stops looking (it may pass 20 within the row that reaches it)
    found: list[tuple[int, int]] = []
    for j in unnamed:
        if j < grid.width:
            filled = ~grid.blank(j, slice(first, None))
            if filled.any():
                found.append((first + int(np.argmax(filled)) + 1, j))
    unnamed_data: dict[int, int] = {}
    for rownum, j in sorted(found):
        if len(unnamed_data) >= 20 and rownum > max(unnamed_data.values()):
            break
        unnamed_data[j] = rownum

    # blank rows: every selected cell blank
    blank = ~body
    todo = np.flatnonzero(body)
    for j in idxs:
        todo = todo[grid.blank(j, todo)]
        if not len(todo):
            break
    blank[todo] = True
    keep = ~blank
    events: list[tuple[int, Any]] = []  # (row, totals label or None for a repeated header)

    # repeated header rows: judged per distinct value of the first code key, then row by row
    if code_keys and header_texts:
        j0 = code_keys[0]
        maybe = np.array([_maybe_header_text(v, header_texts) for v in grid.uniques[j0]],
                         dtype=bool)
        for i in np.flatnonzero(keep & maybe[grid.codes[j0]]):
            if _is_repeated_header(tuple(grid.uniques[j][grid.codes[j][i]] for j in idxs),
                                   header_texts):
                events.append((int(i) + 1, None))
                keep[i] = False

    # totals rows: every code key blank or a totals word, and one in the first two filled cells
    if code_keys:
        cand = np.flatnonzero(keep)
        for j in code_keys:
            if not len(cand):
                break
            cand = cand[grid.blank(j, cand) | grid.total_words(j, cand)]
        if len(cand):
            # the first two filled cells of each row, and the first of them holding a totals word
            seen = np.zeros(len(cand), dtype=np.intp)
            label = np.full(len(cand), -1, dtype=np.intp)
            for j in range(grid.width):
                firsts = ~grid.blank(j, cand) & (seen < 2)
                sub = np.flatnonzero(firsts & (label < 0))
                if len(sub):
                    label[sub[grid.total_words(j, cand[sub])]] = j
                seen += firsts
                if (seen >= 2).all():
                    break
            totals = label >= 0
            for i, j in zip(cand[totals], label[totals], strict=True):
                events.append((int(i) + 1, grid.uniques[j][grid.codes[j][i]]))
            keep[cand[totals]] = False
    for rownum, label in sorted(events, key=operator.itemgetter(0)):
        if label is None:
            _repeated_header(emitter, rownum, where)
        else:
            _totals_row(emitter, rownum, label, where)
    _unnamed_columns(emitter, unnamed_data, where)
    return np.flatnonzero(keep)


def _header_texts(table: schema.Table, header: tuple, codes: tuple) -> frozenset[str]:
    """Texts that name a column of ``table``: its codes and headers, and the sheet's own."""
    texts = {c.name for c in table.columns} | {norm_text(c.header_vi) for c in table.columns}
    texts |= {norm_text(str(v)) for v in (*header, *codes) if not is_blank(v)}
    return frozenset(texts)


def _maybe_header_text(v: Any, header_texts: frozenset[str]) -> bool:
    """Cheap test on one cell (a key code column): could the row repeat the header row?"""
    return v.__class__ is str and norm_text(v) in header_texts


def _is_repeated_header(values: tuple, header_texts: frozenset[str]) -> bool:
    """A data row that repeats the header (or code) row: blocks pasted one under another."""
    filled = [v for v in values if not is_blank(v)]
    hits = sum(v.__class__ is str and norm_text(v) in header_texts for v in filled)
    return hits >= 2 and 2 * hits >= len(filled)


def _repeated_header(emitter: Emitter, rownum: int, where: dict[str, str]) -> None:
    emitter.add(Finding(
        WARNING, "repeated_header",
        "Dòng này lặp lại dòng tiêu đề cột (thường do dán nhiều bảng nối tiếp nhau), không "
        "tính.",
        row=rownum, **where,
    ))


def _totals_row(emitter: Emitter, rownum: int, label: Any, where: dict[str, str]) -> None:
    emitter.add(Finding(
        WARNING, "totals_row",
        "Dòng tổng cộng, không tính (phần mềm tự cộng từ các dòng chi tiết).",
        row=rownum, value=value_text(label), **where,
    ))


def _unnamed_columns(emitter: Emitter, unnamed_data: dict[int, int],
                     where: dict[str, str]) -> None:
    for j, rownum in sorted(unnamed_data.items()):
        letter = column_letter(j)
        emitter.add(Finding(
            WARNING, "unnamed_column",
            f"Cột {letter} có số liệu (từ dòng {rownum}) nhưng không có tiêu đề nên không được "
            "đọc; hãy ghi tiêu đề cột theo mẫu.",
            row=rownum, column=f"Cột {letter}", **where,
        ))


def _materialise(issues: list[Issue], value_at: Callable[[str, int], Any], frame: pd.DataFrame,
                 display: dict[str, str], emitter: Emitter, sh: Sheet,
                 formula_text: dict[tuple[str, int], str]) -> None:
    unit = next((c for c in UNIT_COLUMNS if c in display), None)
    year = next((c for c in YEAR_COLUMNS if c in display), None)
    units = frame[unit] if unit else None
    yrs = frame[year] if year else None
    rows = frame["_row"].to_numpy()
    for issue in issues:
        header = display.get(issue.column, issue.column)
        positions = issue.positions[:1] if issue.once else issue.positions
        room = emitter.room(issue.rule, header)
        for i in positions[:room]:
            i = int(i)
            formula = formula_text.get((issue.column, i))
            value = visible(formula if formula is not None
                            else value_text(value_at(issue.column, i)))
            emitter.add(Finding(
                issue.severity, issue.rule, issue.message(cut(value)),
                file=sh.file, sheet=sh.sheet, row=int(rows[i]), column=header,
                value=cut(value),
                unit_code=_context_text(units.iat[i]) if units is not None else "",
                year=_context_int(yrs.iat[i]) if yrs is not None else None,
            ))
        rest = len(positions) - min(room, len(positions))
        if rest > 0:
            emitter.skip(issue.rule, header, rest, Finding(
                issue.severity, issue.rule, "", file=sh.file, sheet=sh.sheet, column=header,
            ))


def _context_text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _context_int(v: Any) -> int | None:
    return None if v is None or v is pd.NA else int(v)


def check_duplicate_keys(frame: pd.DataFrame, table: schema.Table, emitter: Emitter) -> None:
    keys = list(table.key)
    if not len(frame) or not all(k in frame for k in keys):
        return
    complete = frame[keys].notna().all(axis=1).to_numpy()
    sub = frame.loc[complete, [*keys, *PROVENANCE]]
    dup = sub.duplicated(subset=keys, keep="first").to_numpy()
    if not dup.any():
        return
    first = sub.drop_duplicates(subset=keys, keep="first")
    later = sub[dup].reset_index()
    merged = later.merge(first, on=keys, how="left", suffixes=("", "_first"))
    headers = ", ".join(table.column(k).header_vi for k in keys)
    unit = next((c for c in UNIT_COLUMNS if c in frame), None)
    year = next((c for c in YEAR_COLUMNS if c in frame), None)
    n = len(merged)
    room = emitter.room("duplicate_key", headers)
    for r in merged.head(room).to_dict("records"):
        values = ", ".join(str(r[k]) for k in keys)
        where = f"dòng {r['_row_first']}"
        if r["_sheet_first"] != r["_sheet"] or r["_file_first"] != r["_file"]:
            where += f" của bảng «{r['_sheet_first']}»"
        if r["_file_first"] != r["_file"]:
            where += f" tệp «{r['_file_first']}»"
        orig = frame.loc[r["index"]]
        emitter.add(Finding(
            ERROR, "duplicate_key",
            f"Trùng khóa với {where}: đã có một dòng cùng ({headers}) = ({values}). Mỗi tổ hợp "
            "này chỉ được ghi một dòng; hãy xóa dòng thừa hoặc sửa lại.",
            file=r["_file"], sheet=r["_sheet"], row=int(r["_row"]), column=headers,
            value=cut(values),
            unit_code=_context_text(orig[unit]) if unit else "",
            year=_context_int(orig[year]) if year else None,
            extra={"first_row": int(r["_row_first"])},
        ))
    if n > room:
        emitter.skip("duplicate_key", headers, n - room, Finding(
            ERROR, "duplicate_key", "", file=str(merged["_file"].iat[-1]),
            sheet=str(merged["_sheet"].iat[-1]), column=headers,
        ))
