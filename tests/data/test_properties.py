"""Property-based tests: random tables only ever yield findings or correct aggregates.

Hypothesis draws small tables (a few rows, derandomized so CI is deterministic); the oracle
of each property is plain arithmetic over the drawn values, written here, never the code's
own output.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.data.aggregate import build_summary
from analysis.data.findings import ERROR
from analysis.data.intake import read_input
from analysis.data.rules import check_codes, check_row_rules
from tests.data.frames import org, typed

SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
#: Reading a one-table CSV is cheap: more examples for the cell texts.
MANY = settings(SETTINGS, max_examples=60)
UNITS = [
    dict(code="bg", name="Bắc Giang", level="province", kind="tinh"),
    dict(code="d1", name="Huyện Một", level="district", parent_code="bg", kind="huyen"),
    dict(code="c1", name="Xã Một", level="commune", parent_code="d1", kind="xa"),
    dict(code="c2", name="Xã Hai", level="commune", parent_code="d1", kind="xa"),
    *[dict(code=f"v{k}", name=f"Thôn {k}", level="village", parent_code="c1" if k % 2 else "c2",
           kind="thon") for k in range(12)],
]

# one TCCSĐ: members by rating, drawn so that the parts may or may not exceed the total
ORG_COUNTS = st.fixed_dictionaries({
    "members_total": st.integers(0, 60),
    "members_excellent": st.integers(0, 20),
    "members_good": st.integers(0, 40),
    "members_completed": st.integers(0, 10),
    "members_failed": st.integers(0, 3),
    "members_not_rated": st.integers(0, 5),
    "rating": st.sampled_from(["xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh"]),
})


def _tables(orgs: list[dict] = (), villages: list[dict] = ()) -> dict[str, pd.DataFrame]:
    return {"units": typed("units", UNITS), "crosswalk": typed("crosswalk", []),
            "organizations": typed("organizations", list(orgs)),
            "villages": typed("villages", list(villages)),
            "officials": typed("officials", []), "unit_summary": typed("unit_summary", [])}


@SETTINGS
@given(st.lists(ORG_COUNTS, min_size=1, max_size=8))
def test_members_good_or_better_is_the_pooled_ratio_or_an_error(drawn):
    orgs = [org(org_code=f"o{k}", reporting_unit="d1", org_type="khac", **d)
            for k, d in enumerate(drawn)]
    tables = _tables(orgs)
    summary = build_summary(tables)
    findings = check_row_rules(tables)
    row = summary[summary["unit_code"] == "d1"].iloc[0]
    good = sum(d["members_excellent"] + d["members_good"] for d in drawn)
    total = sum(d["members_total"] for d in drawn)
    assert int(row["members_excellent"]) + int(row["members_good"]) == good
    assert int(row["members_total"]) == total
    assert int(row["orgs_total"]) == len(drawn)
    assert int(row["orgs_excellent"]) + int(row["orgs_good"]) == sum(
        d["rating"] in ("xuat_sac", "tot") for d in drawn)
    # every TCCSĐ whose rated parts exceed its total is an error naming its Excel row
    over = {k + 2 for k, d in enumerate(drawn)
            if d["members_excellent"] + d["members_good"] + d["members_completed"]
            + d["members_failed"] + d["members_not_rated"] > d["members_total"]}
    errors = {f.row for f in findings if f.rule == "members_sum_exceeds_total"}
    assert errors == over
    assert all(f.severity == ERROR and f.column == "Tổng số đảng viên"
               for f in findings if f.rule == "members_sum_exceeds_total")
    if not over and total:
        # the rate the resolution counts: Σ good-or-better / Σ members of the unit
        rate = (int(row["members_excellent"]) + int(row["members_good"])) / int(
            row["members_total"])
        assert rate == pytest.approx(good / total)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans(), st.booleans()), min_size=1,
                max_size=12))
def test_village_counts_are_counted(drawn):
    villages = [dict(year=2019, village_code=f"v{k}", commune_code="c1" if k % 2 else "c2",
                     party_members=m, own_cell=own and m >= 3, head_is_member=head and m > 0)
                for k, (m, own, head) in enumerate(drawn)]
    tables = _tables(villages=villages)
    summary = build_summary(tables)
    findings = check_codes(tables) + check_row_rules(tables)
    assert not [f for f in findings if f.severity == ERROR]
    row = summary[summary["unit_code"] == "d1"].iloc[0]
    members = [m for m, _, _ in drawn]
    assert int(row["villages_total"]) == len(drawn)
    assert int(row["villages_no_members"]) == members.count(0)
    assert int(row["villages_at_risk"]) == members.count(1) + members.count(2)
    assert int(row["villages_head_member"]) == sum(h and m > 0 for m, _, h in drawn)
    for commune in ("c1", "c2"):
        mine = [d for k, d in enumerate(drawn) if (k % 2 == 1) == (commune == "c1")]
        rows = summary[summary["unit_code"] == commune]
        assert len(rows) == (1 if mine else 0)
        if mine:
            assert int(rows["villages_total"].iat[0]) == len(mine)


# --- random text in a number column: a finding or the right number ---------------------------
def _number_texts(n: int) -> st.SearchStrategy[str]:
    """Ways people write the whole number ``n`` in a cell."""
    forms = [str(n), f" {n} ", f"{n}\u00a0", f"+{n}", f"{n}.0", f"{n},0"]
    if n >= 1000:
        forms += [f"{n:,}", f"{n:,}".replace(",", "."), f"{n:,}".replace(",", " ")]
    return st.sampled_from(forms)


WELL_FORMED = st.integers(0, 10**7).flatmap(lambda n: st.tuples(st.just(n), _number_texts(n)))
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                   max_size=12).map(lambda t: (None, t))
HEADER = ["Năm", "Mã thôn", "Mã xã", "Số đảng viên", "Có chi bộ riêng",
          "Trưởng thôn là đảng viên"]


@MANY
@given(st.lists(st.one_of(WELL_FORMED, ANY_TEXT), min_size=1, max_size=6))
def test_number_cells_read_as_the_number_or_a_finding(tmp_path_factory, cells):
    folder: Path = tmp_path_factory.mktemp("csv")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for k, (_, text) in enumerate(cells):
        w.writerow([2019, f"v{k}", "c1", text, "Không", "Không"])
    (folder / "villages.csv").write_text(buf.getvalue(), encoding="utf-8")
    data, findings = read_input(folder)
    df = data.tables["villages"]
    assert not [f for f in findings if f.rule == "read_failed"]
    by_row = dict(zip(df["_row"], df["party_members"], strict=True))
    flagged = {f.row for f in findings if f.column == "Số đảng viên" and f.severity == ERROR}
    for k, (n, text) in enumerate(cells):
        row = k + 2
        if row not in by_row:  # a blank record or a totals word ("Tổng") is not a data row
            assert not text.strip() or any(f.row == row and f.rule == "totals_row"
                                           for f in findings), (text, findings)
            continue
        value = by_row[row]
        if n is not None:
            assert value == n and row not in flagged, (text, value, findings)
        elif value is pd.NA:
            assert row in flagged, (text, findings)  # required: empty or wrong is an error
        else:
            assert row not in flagged and 0 <= int(value) < 10**9, (text, value)
