"""Counts that are not what they look like (issue 14, classes 1 and 2).

A percentage typed into a count column: Excel and LibreOffice store «100%» as the number 1
with a percent format, and a CSV holds the text «100%»; either is refused, naming the cell,
never counted as 1. A rate's numerator left blank while its denominator is filled (or the
reverse): the TCCSĐ is left out of numerator and denominator alike and a warning names the
row and says how many were left out; where the denominator is a count of its own
(admissions, target T6) the blank is counted as 0 and the warning says so.

Every expected number here is added up by hand from the demo slice's text with ``int()``;
P5, P16 and P12a are then recomputed from those sums and compared with what
``analysis.measure.indicators`` makes of the summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING

from .build import DISTRICT, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
BOOK, ORG_SHEET = "so_lieu.xlsx", "TCCSĐ"
ORGS, ORG_TABLE = "organizations.csv", "organizations"
MISMATCH = frozenset({"summary_detail_mismatch"})
#: Vietnamese headers (written out, not read from the schema).
H_TOTAL = "Số chi bộ"
H_MONTHLY = "Chi bộ sinh hoạt định kỳ hằng tháng"
H_ACTIVE = "ĐV đang sinh hoạt"
H_ASSIGNED = "ĐV được phân công nhiệm vụ"
H_ADMISSIONS = "Số kết nạp"
H_WOMEN = "Kết nạp: nữ"
PERCENT = "là tỷ lệ phần trăm; cột này cần số lượng (số nguyên), không phải tỷ lệ."

#: What each case must give, beyond its findings: {(year, column): hand-counted sum} of the
#: district's summary, and {(indicator, year): (numerator, denominator)}.
SUMS: dict[str, dict[tuple[int, str], int]] = {}
RATES: dict[str, dict[tuple[str, int], tuple[int, int]]] = {}


# --- hand counts ------------------------------------------------------------------------------
def _rows(inp: Input, year: str) -> list[tuple[int, dict]]:
    return [(i, r) for i, r in enumerate(inp.rows["organizations"])
            if r["reporting_unit"] == DISTRICT and r["year"] == year]


def _sum(inp: Input, year: str, col: str, skip: Iterable[int] = (), blank_as_0: bool = False
         ) -> int:
    """Sum of ``col`` over the district's TCCSĐ of ``year``, rows ``skip`` left out."""
    skip = set(skip)
    total = 0
    for i, r in _rows(inp, year):
        if i in skip:
            continue
        assert r[col] != "" or blank_as_0, (i, col)
        total += int(r[col] or 0)
    return total


def _pick(inp: Input, year: str, col: str, n: int, start: int = 0) -> list[int]:
    """``n`` TCCSĐ of ``year`` with ``col`` > 0 (from the ``start``-th such row)."""
    hits = [i for i, r in _rows(inp, year) if int(r[col]) > 0]
    assert len(hits) >= start + n
    return hits[start:start + n]


def _blank(inp: Input, rows: list[int], col: str, summary: bool = True) -> int:
    """Empty ``col`` in ``rows``; with ``summary``, the district's summary sheet row drops the
    same amount (it was added up from the detail as sent). Returns the amount."""
    gone = 0
    for i in rows:
        r = inp.rows["organizations"][i]
        gone += int(r[col])
        r[col] = ""
    if not summary:
        return gone
    year = inp.rows["organizations"][rows[0]]["year"]
    j = inp.index("unit_summary", unit_code=DISTRICT, year=year)
    inp.rows["unit_summary"][j][col] = str(int(inp.rows["unit_summary"][j][col]) - gone)
    return gone


def _cells_sums(case: str, inp: Input, year: str, skip: list[int]) -> None:
    """P5 and P6 of ``year`` without the rows ``skip`` (numerator and denominator alike)."""
    total, monthly, thematic = (_sum(inp, year, c, skip) for c in
                                ("cells_total", "cells_monthly", "cells_thematic"))
    y = int(year)
    SUMS[case] = {(y, "cells_total"): total, (y, "cells_monthly"): monthly,
                  (y, "cells_thematic"): thematic}
    RATES[case] = {("P5", y): (monthly, total), ("P6", y): (thematic, total)}


# --- class 1: a percentage in a count column --------------------------------------------------
@CASES.add("percent_formatted_one_in_monthly_meetings")
def _(inp: Input, tmp: Path) -> Built:
    """«100%» typed into a count cell: Excel stores 1 with the format «0%». Refused, not read
    as 1 chi bộ; the TCCSĐ leaves P5 and P6 (its cells_monthly is unknown)."""
    (i,) = _pick(inp, "2020", "cells_monthly", 1, start=3)
    inp.cells[("organizations", i, "cells_monthly")] = 1
    wb = inp.workbook()
    col = inp.header["organizations"].index("cells_monthly") + 1
    wb[ORG_SHEET].cell(row=inp.excel_row(i), column=col).number_format = "0%"
    wb.save(tmp / BOOK)
    _cells_sums("percent_formatted_one_in_monthly_meetings", inp, "2020", [i])
    return Built(tmp / BOOK, [Expect(ERROR, "percent_in_count", BOOK, ORG_SHEET,
                                     inp.excel_row(i), H_MONTHLY, f"«100%» {PERCENT}")],
                 numbers=inp, allow=MISMATCH)


@CASES.add("percent_with_decimals_in_members_assigned")
def _(inp: Input, tmp: Path) -> Built:
    """94,5% typed as a share of members (LibreOffice: 0.945, format «0.0%»), and a second
    cell «95%» built in a custom format «#,##0%»: both refused, both named."""
    i, k = _pick(inp, "2019", "members_assigned", 2)
    inp.cells[("organizations", i, "members_assigned")] = 0.945
    inp.cells[("organizations", k, "members_assigned")] = 0.95
    wb = inp.workbook()
    col = inp.header["organizations"].index("members_assigned") + 1
    ws = wb[ORG_SHEET]
    ws.cell(row=inp.excel_row(i), column=col).number_format = "0.0%"
    ws.cell(row=inp.excel_row(k), column=col).number_format = "#,##0%"
    wb.save(tmp / BOOK)
    active, assigned = (_sum(inp, "2019", c, [i, k])
                        for c in ("members_active", "members_assigned"))
    SUMS["percent_with_decimals_in_members_assigned"] = {
        (2019, "members_active"): active, (2019, "members_assigned"): assigned}
    RATES["percent_with_decimals_in_members_assigned"] = {("P16", 2019): (assigned, active)}
    return Built(tmp / BOOK, [
        Expect(ERROR, "percent_in_count", BOOK, ORG_SHEET, inp.excel_row(i), H_ASSIGNED,
               f"«94,5%» {PERCENT}"),
        Expect(ERROR, "percent_in_count", BOOK, ORG_SHEET, inp.excel_row(k), H_ASSIGNED,
               f"«95%» {PERCENT}"),
    ], numbers=inp, allow=MISMATCH)


@CASES.add("percent_text_in_csv_count")
def _(inp: Input, tmp: Path) -> Built:
    """A CSV holds what was typed: «100%» in cells_monthly, «93,8%» in cells_thematic."""
    (i,) = _pick(inp, "2020", "cells_monthly", 1)
    (k,) = _pick(inp, "2020", "cells_thematic", 1, start=5)
    inp.cells[("organizations", i, "cells_monthly")] = "100%"
    inp.cells[("organizations", k, "cells_thematic")] = "93,8%"
    _cells_sums("percent_text_in_csv_count", inp, "2020", [i, k])
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "percent_in_count", ORGS, ORG_TABLE, inp.excel_row(i), "cells_monthly",
               f"«100%» {PERCENT}"),
        Expect(ERROR, "percent_in_count", ORGS, ORG_TABLE, inp.excel_row(k), "cells_thematic",
               f"«93,8%» {PERCENT}"),
    ], numbers=inp, allow=MISMATCH)


# --- class 2: a rate's part blank -------------------------------------------------------------
def _left_out(filled: str, blank: str, whole: str, year: str, n: int) -> str:
    return (f"năm {year}: ghi «{filled}» nhưng để trống «{blank}». TCCSĐ này không được tính "
            f"vào các tỷ lệ có mẫu số «{whole}» (cả tử số lẫn mẫu số); đảng bộ “{DISTRICT}” "
            f"năm {year} có {n} TCCSĐ không được tính như vậy. Nếu ô trống nghĩa là 0, hãy ghi "
            "số 0.")


@CASES.add("monthly_meetings_blank_for_three")
def _(inp: Input, tmp: Path) -> Built:
    """Three TCCSĐ of 2020 give their chi bộ but not how many met monthly: P5 over the others,
    never the blank read as 0 (which would lower it)."""
    rows = _pick(inp, "2020", "cells_monthly", 3, start=2)
    _blank(inp, rows, "cells_monthly")
    _cells_sums("monthly_meetings_blank_for_three", inp, "2020", rows)
    orgs = inp.rows["organizations"]
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(WARNING, "rate_part_blank", ORGS, ORG_TABLE, inp.excel_row(i), H_MONTHLY,
               f"TCCSĐ “{orgs[i]['org_code']}” "
               + _left_out(H_TOTAL, H_MONTHLY, H_TOTAL, "2020", 3))
        for i in rows], numbers=inp)


@CASES.add("cells_total_blank_meetings_filled")
def _(inp: Input, tmp: Path) -> Built:
    """The reverse, in a workbook: two TCCSĐ of 2019 give monthly and thematic meetings but
    leave the number of chi bộ blank (one finding per row, at the blank cell). The summary
    sheet keeps its true total, which the detail as sent no longer reaches."""
    rows = _pick(inp, "2019", "cells_total", 2, start=4)
    gone = _blank(inp, rows, "cells_total", summary=False)
    sheet = int(inp.rows["unit_summary"][inp.index("unit_summary", unit_code=DISTRICT,
                                                   year="2019")]["cells_total"])
    _cells_sums("cells_total_blank_meetings_filled", inp, "2019", rows)
    orgs = inp.rows["organizations"]
    return Built(inp.xlsx(tmp / BOOK), [
        Expect(WARNING, "rate_part_blank", BOOK, ORG_SHEET, inp.excel_row(i), H_TOTAL,
               f"TCCSĐ “{orgs[i]['org_code']}” "
               + _left_out(H_MONTHLY, H_TOTAL, H_TOTAL, "2019", 2))
        for i in rows] + [Expect(
            ERROR, "summary_detail_mismatch", BOOK, "Tổng hợp", 2, H_TOTAL,
            f"Bảng Tổng hợp ghi “{H_TOTAL}” của “{DISTRICT}” năm 2019 là {sheet}, nhưng cộng "
            f"từ số liệu chi tiết được {sheet - gone}. Ở bảng TCCSĐ có 2 TCCSĐ để trống ô "
            f"«{H_TOTAL}» (không được cộng): nếu là 0, hãy ghi số 0; nếu chưa biết, hãy bổ "
            "sung.")], numbers=inp)


@CASES.add("members_assigned_blank_in_both_years")
def _(inp: Input, tmp: Path) -> Built:
    """P16: one TCCSĐ per year leaves «ĐV được phân công nhiệm vụ» blank; each year says 1."""
    rows = {y: _pick(inp, y, "members_assigned", 1, start=7) for y in ("2019", "2020")}
    sums, rates = {}, {}
    for y, skip in rows.items():
        _blank(inp, skip, "members_assigned")
        active, assigned = (_sum(inp, y, c, skip) for c in ("members_active", "members_assigned"))
        sums[(int(y), "members_active")], sums[(int(y), "members_assigned")] = active, assigned
        rates[("P16", int(y))] = (assigned, active)
    SUMS["members_assigned_blank_in_both_years"] = sums
    RATES["members_assigned_blank_in_both_years"] = rates
    orgs = inp.rows["organizations"]
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(WARNING, "rate_part_blank", ORGS, ORG_TABLE, inp.excel_row(i), H_ASSIGNED,
               f"TCCSĐ “{orgs[i]['org_code']}” "
               + _left_out(H_ACTIVE, H_ASSIGNED, H_ACTIVE, y, 1))
        for y, (i,) in rows.items()], numbers=inp)


@CASES.add("women_admitted_blank_counted_as_zero")
def _(inp: Input, tmp: Path) -> Built:
    """Admissions are target T6 by themselves: a blank «Kết nạp: nữ» leaves nothing out, it
    counts as 0 in P12a, and the warning says so."""
    rows = _pick(inp, "2020", "admissions_women", 2, start=1)
    _blank(inp, rows, "admissions_women")
    admissions = _sum(inp, "2020", "admissions")
    women = _sum(inp, "2020", "admissions_women", blank_as_0=True)
    SUMS["women_admitted_blank_counted_as_zero"] = {(2020, "admissions"): admissions,
                                                    (2020, "admissions_women"): women}
    RATES["women_admitted_blank_counted_as_zero"] = {("P12a", 2020): (women, admissions)}
    orgs = inp.rows["organizations"]
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(WARNING, "rate_part_blank", ORGS, ORG_TABLE, inp.excel_row(i), H_WOMEN,
               f"TCCSĐ “{orgs[i]['org_code']}” năm 2020: ghi «{H_ADMISSIONS}» nhưng để trống "
               f"«{H_WOMEN}». Trong tỷ lệ «{H_WOMEN}» trên «{H_ADMISSIONS}», ô trống được tính "
               f"là 0 (đảng bộ “{DISTRICT}” năm 2020 có 2 TCCSĐ như vậy).")
        for i in rows], numbers=inp)


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", CASES.ids())
def test_rate_case(case_id, tmp_path):
    from analysis.measure.indicators import compute_indicators

    built = CASES.build(case_id, tmp_path)
    result = check(built)
    summ = result.summary[result.summary["unit_code"] == DISTRICT].set_index("year")
    for (year, col), n in SUMS[case_id].items():
        assert int(summ.loc[year, col]) == n, (year, col, summ.loc[year, col], n)
    if case_id.startswith("percent"):
        # the refused cells differ from the summary sheet, and are not called blank there
        mismatch = [f for f in result.findings if f.rule == "summary_detail_mismatch"]
        assert mismatch and not any("để trống" in f.message for f in mismatch)
    ind = compute_indicators(result.summary)
    ind = ind[(ind["unit_code"] == DISTRICT) & ind["breakdown"].fillna("").eq("")].set_index(
        ["indicator_id", "year"])
    for key, (num, den) in RATES[case_id].items():
        row = ind.loc[key]
        assert (int(row["numerator"]), int(row["denominator"])) == (num, den), key
        assert Fraction(row["value"]).limit_denominator(10**6) == Fraction(100 * num, den), key


def test_blank_part_would_have_lowered_p5(tmp_path):
    """The case above is not vacuous: counting the three blanks as 0 gives a lower P5 than
    leaving the three TCCSĐ out, and the summary has the latter."""
    inp = Input(LIGHT)
    rows = _pick(inp, "2020", "cells_monthly", 3, start=2)
    full_total = _sum(inp, "2020", "cells_total")
    _blank(inp, rows, "cells_monthly")
    as_zero = Fraction(_sum(inp, "2020", "cells_monthly", blank_as_0=True), full_total)
    left_out = Fraction(_sum(inp, "2020", "cells_monthly", rows),
                        _sum(inp, "2020", "cells_total", rows))
    assert as_zero < left_out
    result = check(CASES.build("monthly_meetings_blank_for_three", tmp_path))
    s = result.summary.set_index(["unit_code", "year"]).loc[(DISTRICT, 2020)]
    assert Fraction(int(s["cells_monthly"]), int(s["cells_total"])) == left_out
