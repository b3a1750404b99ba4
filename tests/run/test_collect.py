"""``python -m analysis collect``: returned workbooks into the store, corrections, bad input.

Fast tests use three units of 2020 (son_dong, cong_an, yen_dung), filled from the demo CSV as
a unit would type them (tests/data/fillin.py). Expected values are counted from the demo CSV
files with plain pandas, not taken from the suite's output.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import config
from analysis.cli import main
from analysis.data import prefill, store
from analysis.data.intake import read_input
from analysis.run.collect import collect

sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
from fillin import fill_workbook  # noqa: E402

UNITS = ("son_dong", "cong_an", "yen_dung")


@pytest.fixture(scope="module")
def demo():
    return read_input(config.DEMO_DATA_DIR)[0].tables


@pytest.fixture(scope="module")
def filled(demo, tmp_path_factory):
    blank = tmp_path_factory.mktemp("blank")
    folder = tmp_path_factory.mktemp("filled")
    for u in UNITS:
        p = prefill.write_unit_workbook(demo, u, 2020, blank / prefill.file_name(u, 2020))
        fill_workbook(p, demo, folder / p.name)
    return folder


@pytest.fixture
def returns(filled, tmp_path):
    out = tmp_path / "returns"
    shutil.copytree(filled, out)
    return out


def demo_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(config.DEMO_DATA_DIR / f"{name}.csv")


def row_of(ws, code: str) -> int:
    """Excel row of the pre-filled row whose first code column holds ``code``."""
    codes = [c.value for c in ws[2]]
    col = codes.index({"TCCSĐ": "org_code", "Thôn": "village_code"}[ws.title]) + 1
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, col).value == code:
            return r
    raise AssertionError(code)


def set_cell(path: Path, sheet: str, code: str, column: str, value) -> int:
    wb = load_workbook(path)
    ws = wb[sheet]
    r = row_of(ws, code)
    ws.cell(r, [c.value for c in ws[2]].index(column) + 1, value=value)
    wb.save(path)
    return r


def current(path: Path) -> dict[str, pd.DataFrame]:
    conn = store.connect(path, create=False)
    try:
        return store.current_tables(conn)
    finally:
        conn.close()


def test_collect_records_each_file_and_recognises_them_the_second_time(returns, tmp_path,
                                                                       capsys):
    db = tmp_path / "s.sqlite"
    assert main(["collect", str(returns), "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert "nhận 3 tệp, không nhận 0 tệp" in out
    conn = sqlite3.connect(db)
    files = conn.execute("SELECT name, status, unit_code, cover_year, n_errors, length(sha256)"
                         " FROM files ORDER BY name").fetchall()
    assert files == [(prefill.file_name(u, 2020), "accepted", u, 2020, 0, 64)
                     for u in sorted(UNITS)]
    orgs = demo_csv("organizations")
    expected = orgs[(orgs["year"] == 2020) & orgs["reporting_unit"].isin(UNITS)]
    assert conn.execute("SELECT COUNT(*) FROM current_organizations").fetchone()[0] == len(
        expected)
    dates = [r[0] for r in conn.execute("SELECT file_date FROM files")]
    assert all(d and d[:4].isdigit() for d in dates)  # the workbook's own modified date
    conn.close()
    before = store.dump_state(db)
    assert main(["collect", str(returns), "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("đã có trong kho") == 3 and "nhận 0 tệp" in out
    assert store.dump_state(db) == before


def test_file_with_errors_is_rejected_with_its_finding_and_changes_nothing(returns, tmp_path,
                                                                          capsys):
    db = tmp_path / "s.sqlite"
    assert main(["collect", str(returns), "--store", str(db)]) == 0
    before = {k: v.drop(columns=["_file_id"]) for k, v in current(db).items()}
    fixed = tmp_path / "again"
    fixed.mkdir()
    path = fixed / "2020_son_dong.xlsx"
    shutil.copy(returns / path.name, path)
    r = set_cell(path, "TCCSĐ", "son_dong_an_minh_db", "members_total", -5)
    capsys.readouterr()
    assert main(["collect", str(path), "--store", str(db)]) == 1
    out = capsys.readouterr().out
    assert "Không nhận «2020_son_dong.xlsx»" in out and "giữ nguyên" in out
    conn = store.connect(db, create=False)
    f = store.files_frame(conn).iloc[-1]
    assert (f["status"], f["name"]) == ("rejected", "2020_son_dong.xlsx")
    found = [x for x in store.file_findings(conn, int(f["file_id"])) if x.rule == "negative"]
    conn.close()
    assert [(x.file, x.sheet, x.row, x.column, x.severity) for x in found] == [
        ("2020_son_dong.xlsx", "TCCSĐ", r, "Tổng số đảng viên", "error")]
    after = {k: v.drop(columns=["_file_id"]) for k, v in current(db).items()}
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])


def test_correction_lists_exactly_the_changed_cells_and_the_indicators_they_move(
        returns, tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    collect(returns, db)
    fixed = tmp_path / "corrected"
    fixed.mkdir()
    path = fixed / "2020_son_dong.xlsx"  # same name, as units resend it
    shutil.copy(returns / path.name, path)
    r1 = set_cell(path, "TCCSĐ", "son_dong_an_minh_db", "inspections", 4)          # was 3
    r2 = set_cell(path, "TCCSĐ", "son_dong_chu_hoa_db", "members_disciplined", 2)  # was 1
    r3 = set_cell(path, "Thôn", "son_dong_an_minh_07", "head_is_member", "Không")  # was Có
    capsys.readouterr()
    report = collect(path, db)
    out = capsys.readouterr().out
    (f,) = report.files
    assert f.status == "accepted" and f.rows == []
    assert sorted(c.line() for c in f.cells) == sorted([
        f"«2020_son_dong.xlsx», bảng TCCSĐ, dòng {r1}, cột «Cuộc kiểm tra, giám sát»: 3 → 4",
        f"«2020_son_dong.xlsx», bảng TCCSĐ, dòng {r2}, cột «ĐV bị kỷ luật»: 1 → 2",
        f"«2020_son_dong.xlsx», bảng Thôn, dòng {r3}, cột «Trưởng thôn là đảng viên»: Có → "
        "Không",
    ])
    for c in f.cells:
        assert c.line() in out
    # by hand from the demo CSV: son_dong 2020 has 63 inspections, 12 disciplined members,
    # 108 of its 141 villages with a party member as head
    orgs, villages, units = demo_csv("organizations"), demo_csv("villages"), demo_csv("units")
    mine = orgs[(orgs["year"] == 2020) & (orgs["reporting_unit"] == "son_dong")]
    parent = dict(zip(units["code"], units["parent_code"], strict=True))
    vil = villages[(villages["year"] == 2020)
                   & (villages["commune_code"].map(parent) == "son_dong")]
    assert (mine["inspections"].sum(), mine["members_disciplined"].sum()) == (63, 12)
    assert (len(vil), (vil["head_is_member"] == "co").sum()) == (141, 108)
    moved = {(m.indicator_id, m.unit_code, m.year) for m in report.indicators}
    assert moved == {(i, u, 2020) for i in ("T6", "P10a", "P10b")
                     for u in ("son_dong", "bac_giang")}
    lines = {m.line() for m in report.indicators if m.unit_code == "son_dong"}
    assert lines == {"T6 Sơn Động 2020: 76,6% → 75,9%", "P10a Sơn Động 2020: 63 → 64",
                     "P10b Sơn Động 2020: 12 → 13"}
    assert "T6 Sơn Động 2020: 76,6% → 75,9%" in out
    prov = {m.indicator_id: m for m in report.indicators if m.unit_code == "bac_giang"}
    assert prov["P10a"].new - prov["P10a"].old == 1 and prov["P10b"].new - prov["P10b"].old == 1
    assert prov["T6"].new < prov["T6"].old
    # the earlier version is still in the store, and is version 1
    conn = store.connect(db, create=False)
    cov = store.coverage_frame(conn)
    conn.close()
    mine = cov[(cov["unit_code"] == "son_dong") & (cov["year"] == 2020)]
    assert mine[["version", "name", "current"]].values.tolist() == [
        [1, "2020_son_dong.xlsx", 0], [2, "2020_son_dong.xlsx", 1]]
    conn = sqlite3.connect(db)
    old = conn.execute("SELECT inspections FROM organizations WHERE org_code = "
                       "'son_dong_an_minh_db' ORDER BY file_id").fetchall()
    conn.close()
    assert old == [(3,), (4,)]


def test_two_versions_in_one_folder_the_later_dated_supersedes(returns, tmp_path):
    folder = tmp_path / "both"
    folder.mkdir()
    v1 = folder / "2020_son_dong.xlsx"
    shutil.copy(returns / v1.name, v1)
    v2 = folder / "2020_son_dong_ban_sua.xlsx"
    wb = load_workbook(v1)
    wb.properties.modified = wb.properties.modified.replace(year=2031)
    ws = wb["TCCSĐ"]
    r = row_of(ws, "son_dong_an_minh_db")
    ws.cell(r, [c.value for c in ws[2]].index("inspections") + 1, value=9)
    wb.save(v2)
    report = collect(folder, tmp_path / "s.sqlite")
    assert [f.name for f in report.files if f.status == "accepted"] == [v1.name, v2.name]
    assert report.files[1].superseded and len(report.files[1].cells) == 1
    orgs = current(tmp_path / "s.sqlite")["organizations"]
    assert orgs.loc[orgs["org_code"] == "son_dong_an_minh_db", "inspections"].tolist() == [9]


def test_validate_and_build_tables_read_the_store(returns, tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    collect(returns, db)
    assert main(["validate", str(db), "--out", str(tmp_path / "f.xlsx")]) == 0
    data, findings = read_input(db)
    assert not [f for f in findings if f.is_error]
    assert set(data.files) == {prefill.file_name(u, 2020) for u in UNITS}


def test_bad_paths_and_stores_say_what_to_do(tmp_path, returns, capsys):
    assert main(["collect", str(tmp_path / "nowhere"), "--store", str(tmp_path / "s.sqlite")]) \
        == 2
    assert "Không tìm thấy tệp hoặc thư mục" in capsys.readouterr().err
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 512)
    assert main(["collect", str(returns), "--store", str(junk)]) == 2
    err = capsys.readouterr().err
    assert "junk.sqlite" in err and "không phải kho số liệu" in err
    other = tmp_path / "old.sqlite"
    store.connect(other).close()
    with sqlite3.connect(other) as c:
        c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    assert main(["collect", str(returns), "--store", str(other)]) == 2
    assert "phiên bản 99" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["collect", str(empty), "--store", str(tmp_path / "s.sqlite")]) == 0
    assert "Không có tệp .xlsx hay .csv nào" in capsys.readouterr().out


def report_hashes(out: Path) -> dict[str, str]:
    import hashlib

    return {p.parent.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "final").glob("*/report.html"))}


@pytest.mark.slow
def test_correction_on_the_demo_store_and_the_incremental_build(filled, tmp_path, capsys):
    """The demo CSV collected, a rejected son_dong return, then a corrected one (3 cells);
    build --data store.sqlite after each step (son_dong, yen_dung and the province, html)."""
    import io

    from rich.console import Console

    from analysis.run.build import build

    def small_build(out: Path) -> str:
        console = Console(file=io.StringIO(), width=200)
        status = build(db, assessment="final", unit="son_dong,yen_dung,province",
                       formats=("html",), jobs=1, out=out, console=console)
        log = console.file.getvalue()
        assert status == 0, log
        return log

    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    assert [f.status for f in collect(config.DEMO_DATA_DIR, db).files] == ["accepted"]
    assert "Đã dựng 3, không đổi 0" in small_build(out)
    first = report_hashes(out)
    assert set(first) == {"son_dong", "yen_dung", "bac_giang"}

    # a rejected return changes the store file but not its current data: nothing is rebuilt
    bad = tmp_path / "bad" / "2020_son_dong.xlsx"
    bad.parent.mkdir()
    shutil.copy(filled / bad.name, bad)
    set_cell(bad, "TCCSĐ", "son_dong_an_minh_db", "members_total", -5)
    assert [f.status for f in collect(bad, db).files] == ["rejected"]
    log = small_build(out)
    assert "không đổi từ lần dựng trước" in log and "Đã dựng" not in log
    assert report_hashes(out) == first

    # the corrected return: three cells against the demo CSV's rows
    fixed = tmp_path / "fixed" / "2020_son_dong.xlsx"
    fixed.parent.mkdir()
    shutil.copy(filled / fixed.name, fixed)
    r1 = set_cell(fixed, "TCCSĐ", "son_dong_an_minh_db", "inspections", 4)          # was 3
    r2 = set_cell(fixed, "TCCSĐ", "son_dong_chu_hoa_db", "members_disciplined", 2)  # was 1
    r3 = set_cell(fixed, "Thôn", "son_dong_an_minh_07", "head_is_member", "Không")  # was Có
    capsys.readouterr()
    report = collect(fixed, db)
    out_text = capsys.readouterr().out
    (f,) = report.files
    assert f.status == "accepted" and f.rows == []
    assert f.superseded == {("son_dong", 2020): 1}  # the demo folder, file 1
    assert [c.line() for c in f.cells] == [
        f"«2020_son_dong.xlsx», bảng TCCSĐ, dòng {r1}, cột «Cuộc kiểm tra, giám sát»: 3 → 4",
        f"«2020_son_dong.xlsx», bảng TCCSĐ, dòng {r2}, cột «ĐV bị kỷ luật»: 1 → 2",
        f"«2020_son_dong.xlsx», bảng Thôn, dòng {r3}, cột «Trưởng thôn là đảng viên»: Có → "
        "Không"]
    # By hand, 2020 from the demo CSV. Villages: 1 767 listed (1 500 with a party member as
    # head; son_dong 141, 108) plus luc_ngan's summary row (374, 299; it sent no list):
    # province T6 1 799 / 2 141 = 84,03% → 1 798 / 2 141 = 83,98% (one decimal would hide it);
    # son_dong 108/141 = 76,6% → 107/141 = 75,9%. Inspections: 845 in the TCCSĐ rows + 299 in
    # the summary rows of the units without TCCSĐ rows (cong_an 26, khoi_co_quan 58,
    # khoi_doanh_nghiep 81, luc_ngan 113, quan_su 21) = 1 144 → 1 145.
    villages = demo_csv("villages")
    v20 = villages[villages["year"] == 2020]
    assert (len(v20), (v20["head_is_member"] == "co").sum()) == (1767, 1500)
    orgs, summ = demo_csv("organizations"), demo_csv("unit_summary")
    o20, s20 = orgs[orgs["year"] == 2020], summ[summ["year"] == 2020]
    no_rows = s20[~s20["unit_code"].isin(o20["reporting_unit"])]
    assert sorted(no_rows["unit_code"]) == ["cong_an", "khoi_co_quan", "khoi_doanh_nghiep",
                                            "luc_ngan", "quan_su"]
    assert (o20["inspections"].sum(), no_rows["inspections"].sum()) == (845, 299)
    disciplined = int(o20["members_disciplined"].sum() + no_rows["members_disciplined"].sum())
    assert [m.line() for m in report.indicators] == [
        "T6 Tỉnh Bắc Giang 2020: 84,03% → 83,98%",
        "P10a Tỉnh Bắc Giang 2020: 1.144 → 1.145",
        f"P10b Tỉnh Bắc Giang 2020: {disciplined} → {disciplined + 1}",
        "T6 Sơn Động 2020: 76,6% → 75,9%",
        "P10a Sơn Động 2020: 63 → 64",
        "P10b Sơn Động 2020: 12 → 13"]
    for m in report.indicators:
        assert m.line() in out_text
    # every version stays: the demo folder (current until now), the rejected return, this one
    conn = store.connect(db, create=False)
    cov = store.coverage_frame(conn)
    conn.close()
    mine = cov[(cov["unit_code"] == "son_dong") & (cov["year"] == 2020)]
    assert mine[["version", "name", "status", "current"]].values.tolist() == [
        [1, config.DEMO_DATA_DIR.name, "accepted", 0],
        [2, "2020_son_dong.xlsx", "rejected", 0],
        [3, "2020_son_dong.xlsx", "accepted", 1]]
    others = cov[cov["unit_code"] != "son_dong"]
    assert set(others["version"]) == {1} and set(others["current"]) == {1}

    # Rebuilt: son_dong and the province (their figures moved), and yen_dung too: a unit's
    # report places the unit among all reporting units (funnel and dot plots), draws the
    # province's series and prints the data's fingerprint, all of which the correction moved.
    log = small_build(out)
    assert "Đã dựng 3, không đổi 0" in log
    second = report_hashes(out)
    assert all(second[u] != first[u] for u in first)
    html = (out / "final" / "son_dong" / "report.html").read_text(encoding="utf-8")
    assert "75,9" in html


def test_a_zipped_return_is_recorded_as_rejected_and_named_by_validate(returns, tmp_path,
                                                                        capsys):
    import zipfile

    # yen_dung sends its workbook zipped: collect must not skip it without a word
    zipped = returns / "2020_yen_dung.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.write(returns / "2020_yen_dung.xlsx", "2020_yen_dung.xlsx")
    (returns / "2020_yen_dung.xlsx").unlink()
    db = tmp_path / "s.sqlite"
    assert main(["collect", str(returns), "--store", str(db)]) == 1
    conn = store.connect(db, create=False)
    files = store.files_frame(conn)
    row = files[files["name"] == "2020_yen_dung.zip"]
    assert list(row["status"]) == ["rejected"]
    rules = [x.rule for x in store.file_findings(conn, int(row["file_id"].iloc[0]))]
    conn.close()
    assert "archive_file" in rules
    assert sorted(files.loc[files["status"] == "accepted", "name"]) == [
        "2020_cong_an.xlsx", "2020_son_dong.xlsx"]
    # validate on the folder: a warning naming the archive and saying to unzip it
    capsys.readouterr()
    main(["validate", str(returns)])
    out = capsys.readouterr().out
    assert "2020_yen_dung.zip" in out and "giải nén" in out
