"""Filling a pre-filled workbook as a unit would: values only, into the listed rows.

Used by the returns tests (and the collection round trip): opens the workbook with openpyxl,
finds each listed row's codes in the sheet, writes that row's values from ``tables`` (enum
labels, «Có»/«Không», whole numbers) into the value cells, and saves it like any application.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from analysis.data import prefill, schema
from analysis.data.template import FIRST_DATA_ROW, sheet_name, unescape_text


def fill_workbook(path: Path, tables: dict[str, pd.DataFrame], out: Path | None = None,
                  skip: set[str] = frozenset()) -> Path:
    """Fill the value cells of ``path`` from ``tables``; save to ``out`` (default: in place)."""
    vocabs = schema.vocabularies()
    wb = openpyxl.load_workbook(path)
    for tname in prefill.IDENTITY:
        if tname in skip:
            continue
        table = schema.table(tname)
        ws = wb[sheet_name(table)]
        header = [c.value for c in ws[2]]  # row 2: column codes
        pos = {name: j for j, name in enumerate(header, start=1) if name}
        ycol = prefill.YEAR_COLUMN[tname]
        ident = list(prefill.IDENTITY[tname])
        src = tables[tname]
        index = {(int(r[ycol]), *(str(r[c]) for c in ident)): r
                 for r in src.to_dict("records")}
        for r in range(FIRST_DATA_ROW, ws.max_row + 1):
            year = ws.cell(r, pos[ycol]).value
            key_vals = [ws.cell(r, pos[c]).value for c in ident]
            if year is None or any(v is None for v in key_vals):
                continue
            key_vals = [_code(table, c, v) for c, v in zip(ident, key_vals, strict=True)]
            rec = index.get((int(year), *key_vals))
            if rec is None:
                continue
            for col in table.columns:
                if col.name in (ycol, *ident):
                    continue
                cell = ws.cell(r, pos[col.name])
                if cell.value is not None:
                    continue  # pre-filled (org type, form, term…)
                v = rec.get(col.name)
                if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                    continue
                if col.type == "enum":
                    v = vocabs[col.vocabulary].entry(str(v))["label_vi"]
                elif col.type == "bool":
                    v = "Có" if bool(v) else "Không"
                elif col.type in ("count", "year"):
                    v = int(v)
                else:
                    v = str(v)
                cell.value = v
    target = Path(out or path)
    wb.save(target)
    return target


def _code(table: schema.Table, name: str, value: object) -> str:
    """A key cell as the code the tables hold (enum labels back to codes)."""
    col = table.column(name)
    if col.type == "enum":
        return str(schema.vocabularies()[col.vocabulary].resolve(str(value)))
    # a spreadsheet application shows «_x005f_» as «_» (OOXML escape, template.excel_text)
    return unescape_text(str(int(value)) if isinstance(value, float) else str(value))
