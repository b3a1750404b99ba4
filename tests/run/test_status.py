"""``python -m analysis status``: unit × year, received or missing, in the terminal, a workbook
and a page linked from index.html.

A hand-made store (no workbook to read): two districts expected from 2019, a sector committee
expected from 2020, and files whose dates, versions and counts are set here, so every
expected row below is written by hand.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.cli import main
from analysis.data import store
from analysis.data.findings import ERROR, WARNING, Finding
from analysis.data.intake import empty_frame
from analysis.run.status import read_status

HOSTILE = '=HYPERLINK("http://x.invalid","bấm")_yen_dung.xlsx'


def units_frame() -> pd.DataFrame:
    out = empty_frame("units")
    rows = pd.DataFrame({
        "code": ["bac_giang", "son_dong", "yen_dung", "cong_an"],
        "name": ["Tỉnh Bắc Giang", "Huyện Sơn Động", "Huyện Yên Dũng", "Đảng bộ Công an tỉnh"],
        "level": ["province", "district", "district", "sector"],
        "parent_code": [None, "bac_giang", "bac_giang", "bac_giang"],
        "kind": ["tinh", "huyen", "huyen", "dang_bo_khoi"],
        "first_year": [None, 2019, 2019, 2020],
        "_file": ["x"] * 4, "_sheet": ["Đơn vị"] * 4, "_row": [3, 4, 5, 6]})
    return pd.concat([out, rows], ignore_index=True).astype(out.dtypes.to_dict())


def submission(name: str, pairs: set[tuple[str, int]], date: str, errors: int = 0,
               warnings: int = 0, kind: str = "return") -> store.Submission:
    tables = {n: empty_frame(n) for n in store.schema.tables()}
    tables["units"] = units_frame()
    findings = ([Finding(ERROR, "negative", "Số âm", file=name)] * errors
                + [Finding(WARNING, "outlier_over_time", "Khác thường", file=name)] * warnings)
    unit, year = sorted(pairs)[0]
    return store.Submission(
        name=name, sha256=hashlib.sha256(name.encode()).hexdigest(), size=10, kind=kind,
        tables=tables, findings=findings, unit_code=unit if kind == "return" else None,
        cover_year=year if kind == "return" else None, file_date=date, coverage=set(pairs))


def units_folder(tmp_path: Path, units: pd.DataFrame) -> Path:
    """A data folder holding only ``units.csv`` (what ``template --data`` was given)."""
    folder = tmp_path / "units_data"
    folder.mkdir()
    cols = ["code", "name", "level", "parent_code", "kind", "first_year", "last_year"]
    units.reindex(columns=cols).to_csv(folder / "units.csv", index=False)
    return folder


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "store.sqlite"
    conn = store.connect(path)
    for sub in [
        submission("so_lieu_2019", {("son_dong", 2019), ("yen_dung", 2019)},
                   "2020-02-03T14:05:00", warnings=3, kind="data"),
        submission("2020_son_dong.xlsx", {("son_dong", 2020)}, "2021-01-10T08:00:00",
                   warnings=2),
        submission(HOSTILE, {("yen_dung", 2020)}, "2021-01-12T09:30:00+07:00", errors=1),
        submission("2020_son_dong_sua.xlsx", {("son_dong", 2020)}, "2021-01-15T10:00:00",
                   errors=2),
        submission("2020_khong_co.xlsx", {("khong_co", 2020)}, "2021-01-16T11:00:00",
                   errors=1),
    ]:
        store.record(conn, sub)
    conn.close()
    return path


# unit, year, state, file, version, errors, warnings, date shown, version in use
EXPECTED = [
    ("son_dong", 2020, "Bản mới có lỗi, dùng bản trước", "2020_son_dong_sua.xlsx", 2, 2, 0,
     "15/01/2021 10:00", 1),
    ("yen_dung", 2020, "Có lỗi, chưa nhận", HOSTILE, 1, 1, 0, "12/01/2021 09:30", None),
    ("cong_an", 2020, "Chưa gửi", None, None, None, None, "", None),
    ("khong_co", 2020, "Có lỗi, chưa nhận", "2020_khong_co.xlsx", 1, 1, 0, "16/01/2021 11:00",
     None),
    ("son_dong", 2019, "Đã nhận", "so_lieu_2019", 1, 0, 3, "03/02/2020 14:05", 1),
    ("yen_dung", 2019, "Đã nhận", "so_lieu_2019", 1, 0, 3, "03/02/2020 14:05", 1),
]


def as_tuples(table: pd.DataFrame) -> list[tuple]:
    from analysis.run.status import shown_date

    def py(v):
        return None if v is None or v is pd.NA else v

    return [(r.unit_code, int(r.year), r.state_vi, py(r.file), py(r.version), py(r.n_errors),
             py(r.n_warnings), shown_date(r.file_date), py(r.in_use))
            for r in table.itertuples(index=False)]


def test_table_unit_by_year(db):
    status = read_status(db)
    assert as_tuples(status.table) == EXPECTED
    assert status.missing() == {2020: ["Đảng bộ Công an tỉnh"]}
    assert status.counts() == {"accepted": 2, "rejected_kept": 1, "rejected": 2, "missing": 1}


def test_command_prints_and_writes_workbook_and_page(db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one table line per row in the captured output
    out = tmp_path / "outputs" / "status.xlsx"
    out.parent.mkdir()
    index = out.parent / "index.html"
    index.write_text("<!DOCTYPE html>\n<html><body>\n<h1>Nghị quyết</h1>\n"
                     "<p class='muted'>Dữ liệu: x (mã 1)</p>\n<h2>Cuối kỳ</h2>\n</body></html>\n",
                     encoding="utf-8")
    units = units_folder(tmp_path, units_frame())
    assert main(["status", "--store", str(db), "--out", str(out), "--data", str(units)]) == 0
    text = capsys.readouterr().out
    assert "Bản mới có lỗi, dùng bản trước" in text and "15/01/2021 10:00" in text
    assert ("6 lượt đơn vị – năm: đã nhận 2, bản mới có lỗi (dùng bản trước) 1, có lỗi chưa "
            "nhận 2, chưa gửi 1.") in text
    assert "Năm 2020, 1 đơn vị chưa gửi: Đảng bộ Công an tỉnh." in text

    ws = load_workbook(out)["Tình hình thu nhận"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Đơn vị", "Mã đơn vị", "Năm", "Tình trạng", "Tệp gửi gần nhất", "Bản",
                       "Kết quả kiểm tra", "Số lỗi của tệp", "Số cảnh báo của tệp",
                       "Ngày của tệp",
                       "Bản đang dùng")
    assert rows[1] == ("Huyện Sơn Động", "son_dong", 2020, "Bản mới có lỗi, dùng bản trước",
                       "2020_son_dong_sua.xlsx", 2, "Không chấp nhận (có lỗi)", 2, 0,
                       "15/01/2021 10:00", 1)
    assert rows[3] == ("Đảng bộ Công an tỉnh", "cong_an", 2020, "Chưa gửi", None, None, None,
                       None, None, None, None)
    assert rows[5][:7] == ("Huyện Sơn Động", "son_dong", 2019, "Đã nhận", "so_lieu_2019", 1,
                           "Chấp nhận")
    assert len(rows) == 1 + len(EXPECTED)
    # a file name that looks like a formula is text, not a formula
    cell = ws.cell(3, 5)
    assert (cell.value, cell.data_type) == (HOSTILE, "s")
    assert not list(out.parent.glob(".*tmp*"))  # written through a temporary file, renamed

    page = (out.parent / "status.html").read_text(encoding="utf-8")
    assert "<h2>Đơn vị chưa gửi số liệu</h2>" in page
    assert "<li>Năm 2020: Đảng bộ Công an tỉnh</li>" in page
    assert "=HYPERLINK(&quot;http://x.invalid&quot;,&quot;bấm&quot;)_yen_dung.xlsx" in page
    assert "<a href='index.html'>" in page
    lines = index.read_text(encoding="utf-8").splitlines()
    assert lines[3] == "<p class='muted'>Dữ liệu: x (mã 1)</p>"
    assert "href='status.html'" in lines[4]
    # run again: the index keeps one link
    assert main(["status", "--store", str(db), "--out", str(out), "--data", str(units)]) == 0
    assert index.read_text(encoding="utf-8").count("href='status.html'") == 1


def test_no_store_says_what_to_do(tmp_path, capsys):
    assert main(["status", "--store", str(tmp_path / "none.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "Không tìm thấy kho số liệu" in err and "python -m analysis collect" in err
    assert not (tmp_path / "none.sqlite").exists()


def test_a_real_workbook_dated_by_its_own_property(tmp_path, capsys):
    """The date shown is the workbook's *modified* property, not when collect ran."""
    from analysis import config
    from analysis.data import prefill
    from analysis.data.intake import read_input
    from analysis.run.collect import collect

    sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
    from fillin import fill_workbook

    demo = read_input(config.DEMO_DATA_DIR)[0].tables
    blank = prefill.write_unit_workbook(demo, "cong_an", 2020, tmp_path / "2020_cong_an.xlsx")
    (tmp_path / "in").mkdir()
    filled = fill_workbook(blank, demo, tmp_path / "in" / blank.name)
    # openpyxl stamps the clock on save: set the property in the file, as Excel writes it
    with zipfile.ZipFile(filled) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    core = entries["docProps/core.xml"].decode()
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]+", r"\g<1>2021-01-14T16:45:00Z", core)
    entries["docProps/core.xml"] = core.encode()
    with zipfile.ZipFile(filled, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    db = tmp_path / "s.sqlite"
    collect(filled, db)
    rows = read_status(db).table
    mine = rows[(rows["unit_code"] == "cong_an") & (rows["year"] == 2020)]
    assert as_tuples(mine) == [("cong_an", 2020, "Đã nhận", "2020_cong_an.xlsx", 1, 0, 0,
                                "14/01/2021 16:45", 1)]


def test_the_build_index_links_the_status_page_as_status_does(tmp_path):
    from types import SimpleNamespace

    from analysis.run.index_page import write_index
    from analysis.run.status import link_from_index

    review = SimpleNamespace(source_name="store.sqlite", fingerprint="abc123", is_country=False)
    index = write_index(review, [], tmp_path, ("html",))
    before = index.read_text(encoding="utf-8")
    assert "status.html" not in before
    assert link_from_index(index)  # status run after the build: the link is added
    added = index.read_text(encoding="utf-8")
    (tmp_path / "status.html").write_text("<html></html>", encoding="utf-8")
    write_index(review, [], tmp_path, ("html",))  # a build after status: the same page
    assert index.read_text(encoding="utf-8") == added
    assert added.count("href='status.html'") == 1
    lines = added.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "status.html" in line)
    assert lines[at - 1].startswith("<p class='muted'>Dữ liệu: store.sqlite (mã abc123)")
    assert "".join(lines[:at] + lines[at + 1:]) == before


def test_a_unit_that_never_sent_and_a_file_of_no_unit_are_both_named(db, tmp_path, capsys,
                                                                      monkeypatch):
    # the data the workbooks were sent from list a fourth district, Lục Nam, of which the
    # store holds no file at all; and a zip was collected, which covers no unit-year
    monkeypatch.setenv("COLUMNS", "250")
    conn = store.connect(db, create=False)
    zipped = submission("2020_luc_nam.zip", {("son_dong", 2020)}, "2021-01-20T08:00:00",
                        errors=1, kind="data")
    zipped.coverage = set()
    store.record(conn, zipped)
    conn.close()
    units = units_frame()
    luc_nam = units.iloc[[1]].assign(code="luc_nam", name="Huyện Lục Nam", _row=7)
    units = pd.concat([units, luc_nam], ignore_index=True)
    out = tmp_path / "outputs" / "status.xlsx"
    out.parent.mkdir()
    data = units_folder(tmp_path, units)
    assert main(["status", "--store", str(db), "--out", str(out), "--data", str(data)]) == 0
    text = capsys.readouterr().out
    # 2020: cong_an and luc_nam missing; 2019: luc_nam missing (first_year 2019)
    assert ("8 lượt đơn vị – năm: đã nhận 2, bản mới có lỗi (dùng bản trước) 1, có lỗi chưa "
            "nhận 2, chưa gửi 3.") in text
    assert "Năm 2019, 1 đơn vị chưa gửi: Huyện Lục Nam." in text
    assert "Tệp «2020_luc_nam.zip» không xác định được đơn vị" in text
    page = (out.parent / "status.html").read_text(encoding="utf-8")
    assert "<h2>Tệp chưa xác định được đơn vị</h2>" in page and "2020_luc_nam.zip" in page
    assert "Huyện Lục Nam" in page
    notes = [r[0] for r in load_workbook(out)["Ghi chú"].iter_rows(values_only=True)]
    assert any(str(n).startswith("Tệp «2020_luc_nam.zip»") for n in notes)
