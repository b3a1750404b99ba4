"""The collection store (analysis.data.store): schema, versions, rejected files, reading back.

Small hand-made tables: one province, one district with one commune and two TCCSĐ.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from analysis.data import store
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.intake import empty_frame, read_input


def tables(members: tuple[int, int] = (30, 40), year: int = 2020, file: str = "a.xlsx"):
    """Units, and two TCCSĐ of son_dong in ``year`` with the given members_total."""
    out = {name: empty_frame(name) for name in store.schema.tables()}
    units = pd.DataFrame({
        "code": ["bac_giang", "son_dong", "son_dong_an_minh"],
        "name": ["Tỉnh Bắc Giang", "Huyện Sơn Động", "Xã An Minh"],
        "level": ["province", "district", "commune"],
        "parent_code": [None, "bac_giang", "son_dong"],
        "kind": ["tinh", "huyen", "xa"],
        "_file": [file] * 3, "_sheet": ["Đơn vị"] * 3, "_row": [3, 4, 5],
    })
    out["units"] = pd.concat([out["units"], units], ignore_index=True).astype(
        out["units"].dtypes.to_dict())
    orgs = pd.DataFrame({
        "year": [year, year], "org_code": ["son_dong_an_minh_db", "son_dong_cq_db"],
        "reporting_unit": ["son_dong", "son_dong"], "commune_code": ["son_dong_an_minh", None],
        "rating": ["tot", "xuat_sac"], "members_total": list(members),
        "candidate_pool": [True, None],
        "_file": [file] * 2, "_sheet": ["TCCSĐ"] * 2, "_row": [3, 4],
    })
    out["organizations"] = pd.concat([out["organizations"], orgs], ignore_index=True).astype(
        out["organizations"].dtypes.to_dict())
    return out


def sub(name="2020_son_dong.xlsx", sha="a" * 64, findings=(), **kw):
    t = tables(file=name, **kw)
    return store.Submission(name=name, sha256=sha, size=100, kind="return", tables=t,
                            findings=list(findings), unit_code="son_dong",
                            cover_year=kw.get("year", 2020), file_date="2021-01-10T08:00:00")


@pytest.fixture
def conn(tmp_path):
    c = store.connect(tmp_path / "store.sqlite")
    yield c
    c.close()


def test_a_new_store_has_the_documented_tables_and_views(conn, tmp_path):
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN "
                                        "('table', 'view')")}
    for expected in ("meta", "files", "coverage", "findings", "organizations", "villages",
                     "officials", "unit_summary", "units", "crosswalk", "current_versions",
                     "current_organizations", "current_units"):
        assert expected in names
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    # a user opens it with the standard sqlite3 module and sees typed columns
    cols = {r[1]: r[2] for r in sqlite3.connect(tmp_path / "store.sqlite").execute(
        "PRAGMA table_info(organizations)")}
    assert cols["members_total"] == "INTEGER" and cols["rating"] == "TEXT"
    assert cols["candidate_pool"] == "INTEGER" and cols["file_id"] == "INTEGER"


def test_record_writes_the_file_its_rows_and_coverage(conn):
    file_id, new = store.record(conn, sub())
    assert new and file_id == 1
    f = store.files_frame(conn).iloc[0]
    assert (f["name"], f["status"], f["unit_code"], f["cover_year"]) == (
        "2020_son_dong.xlsx", "accepted", "son_dong", 2020)
    rows = conn.execute("SELECT org_code, members_total, candidate_pool, _unit, _year, _sheet, "
                        "_row FROM organizations ORDER BY _row").fetchall()
    assert rows == [("son_dong_an_minh_db", 30, 1, "son_dong", 2020, "TCCSĐ", 3),
                    ("son_dong_cq_db", 40, None, "son_dong", 2020, "TCCSĐ", 4)]
    assert conn.execute("SELECT unit_code, year, version FROM coverage").fetchall() == [
        ("son_dong", 2020, 1)]


def test_same_content_hash_is_recorded_once(conn):
    assert store.record(conn, sub()) == (1, True)
    assert store.record(conn, sub(name="copy.xlsx")) == (1, False)
    assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0] == 2


def test_rejected_file_keeps_its_findings_and_changes_no_current_data(conn):
    store.record(conn, sub())
    bad = Finding(ERROR, "negative", "Số âm.", file="2020_son_dong.xlsx", sheet="TCCSĐ", row=3,
                  column="Tổng số đảng viên", value="-5")
    warn = Finding(WARNING, "outlier", "Tăng mạnh.", file="2020_son_dong.xlsx")
    file_id, _ = store.record(conn, sub(sha="b" * 64, members=(-5, 40), findings=[bad, warn]))
    f = store.files_frame(conn).set_index("file_id").loc[file_id]
    assert (f["status"], f["n_errors"], f["n_warnings"]) == ("rejected", 1, 1)
    assert store.file_findings(conn, file_id)[0] == bad
    current = store.current_tables(conn)["organizations"]
    assert sorted(current["members_total"].tolist()) == [30, 40]  # the accepted version
    # the rejected submission still counts as version 2 of the unit-year
    assert conn.execute("SELECT version FROM coverage WHERE file_id = ?",
                        (file_id,)).fetchone() == (2,)


def test_resubmission_supersedes_and_the_earlier_version_stays(conn):
    store.record(conn, sub())
    store.record(conn, sub(name="2020_son_dong_sua.xlsx", sha="c" * 64, members=(31, 40)))
    current = store.current_tables(conn)["organizations"]
    assert sorted(current["members_total"].tolist()) == [31, 40]
    assert set(current["_file"]) == {"2020_son_dong_sua.xlsx"}
    everything = conn.execute("SELECT file_id, members_total FROM organizations WHERE "
                              "org_code = 'son_dong_an_minh_db' ORDER BY file_id").fetchall()
    assert everything == [(1, 30), (2, 31)]
    cov = store.coverage_frame(conn)
    assert cov[["version", "name", "current"]].values.tolist() == [
        [1, "2020_son_dong.xlsx", 0], [2, "2020_son_dong_sua.xlsx", 1]]


def test_another_year_does_not_supersede(conn):
    store.record(conn, sub())
    store.record(conn, sub(name="2019_son_dong.xlsx", sha="d" * 64, year=2019))
    current = store.current_tables(conn)["organizations"]
    assert sorted(current["year"].tolist()) == [2019, 2019, 2020, 2020]
    assert len(store.current_tables(conn)["units"]) == 3  # copies merged per code


def test_read_store_gives_typed_tables_like_the_other_readers(conn, tmp_path):
    store.record(conn, sub())
    data, findings = read_input(tmp_path / "store.sqlite")
    assert findings == []
    orgs = data.tables["organizations"]
    assert list(orgs.columns) == list(empty_frame("organizations").columns)
    assert orgs.dtypes.to_dict() == empty_frame("organizations").dtypes.to_dict()
    assert orgs["candidate_pool"].tolist()[0] is True and orgs["candidate_pool"].isna().iloc[1]
    assert orgs["_file"].tolist() == ["2020_son_dong.xlsx"] * 2
    assert data.files == ["2020_son_dong.xlsx"]


def test_fingerprint_changes_with_the_current_versions_only(conn):
    store.record(conn, sub())
    before = store.fingerprint(conn)
    store.record(conn, sub(sha="e" * 64, members=(-1, 1),
                           findings=[Finding(ERROR, "negative", "x")]))
    assert store.fingerprint(conn) == before  # a rejected file changes nothing
    store.record(conn, sub(sha="f" * 64, members=(32, 40)))
    assert store.fingerprint(conn) != before


def test_empty_or_missing_or_foreign_store_is_a_finding(tmp_path):
    store.connect(tmp_path / "empty.sqlite").close()
    _, findings = read_input(tmp_path / "empty.sqlite")
    assert [f.rule for f in findings] == ["store_empty"]
    assert "python -m analysis collect" in findings[0].message
    _, findings = read_input(tmp_path / "nowhere.sqlite")
    assert [f.rule for f in findings] == ["store_unreadable"]
    assert "Không tìm thấy kho số liệu" in findings[0].message
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    _, findings = read_input(tmp_path / "junk.sqlite")
    assert [f.rule for f in findings] == ["store_unreadable"]
    assert findings[0].file == "junk.sqlite"


def test_row_owners_places_villages_under_their_district():
    t = tables()
    t["villages"] = pd.concat([t["villages"], pd.DataFrame({
        "year": [2020], "village_code": ["son_dong_an_minh_01"],
        "commune_code": ["son_dong_an_minh"], "_file": ["x"], "_sheet": ["Thôn"], "_row": [3],
    })], ignore_index=True).astype(t["villages"].dtypes.to_dict())
    unit, year = store.row_owners(t, "villages")
    assert unit.tolist() == ["son_dong"] and year.tolist() == [2020]


def test_file_hash_of_a_csv_folder_covers_names_and_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "units.csv").write_text("code\nx\n", encoding="utf-8")
    first = store.file_sha256(tmp_path / "a")
    (tmp_path / "a" / "units.csv").rename(tmp_path / "a" / "other.csv")
    assert store.file_sha256(tmp_path / "a")[0] != first[0]
    assert first[1] == len("code\nx\n")
