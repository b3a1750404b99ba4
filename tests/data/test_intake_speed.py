"""CSV intake fast path: pandas' C parser + numpy masks, equivalent to the row-by-row reader.

``read_input`` tokenises a CSV with pandas' C parser and selects rows with masks
(``csv_files._csv_grid`` / ``sheets._grid_rows``); files the C parser does not read exactly as
Python's ``csv`` module does fall back to ``csv.reader`` and the row-by-row loop. These tests
force each path on the same files and require identical tables and findings, check the
tokeniser against ``csv.reader`` on random text, and check that the fast path does its Python
work per distinct value, not per row.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.intake import read_input
from analysis.data.reading import common, csv_files, sheets, sources
from tests.data.encodings import cp1258_bytes

VILLAGE_HEADER = ["Năm", "Mã thôn", "Mã xã", "Số đảng viên", "Có chi bộ riêng",
                  "Sinh hoạt chi bộ ghép", "Trưởng thôn là đảng viên",
                  "Bí thư chi bộ kiêm trưởng thôn"]

#: Title rows, blank rows (empty, delimiters only, spaces only), totals rows (first cell and
#: second cell, with the code blank or holding the word), ragged rows, data under a column
#: without a header, quoted delimiters and line breaks, and cells failing conversion.
MESSY_VILLAGES = "\r\n".join([
    "BÁO CÁO SỐ LIỆU THÔN,,,,,,,,",
    "Tỉnh Bắc Giang — năm 2020",
    "",
    ",".join(VILLAGE_HEADER) + ",,Ghi chú",
    "2020,thon_1,xa_a,5,Có,,Có,,",
    "2020,thon_2,xa_a,7,Không,Có,Không,Có,,\"ghi chú, có dấu phẩy\"",
    ",,,,,,,,",
    "   ,  , ,,",
    "2020,THON_3,xa_a,1.234,x,,co,,lạc cột",
    "2020,thon_4,xa_b,12%,có,n/a,-,,",
    "Tổng cộng,,,25,,,,,",
    ", Cộng toàn xã ,,25",
    "2020,tong_so,xa_b,3,Có",
    "2020,thon_5,xa_b,\"2,5\",Có,,Có,,\"dòng\nhai\"",
    "",
    "2020,thon_6,xa_c,#N/A,Có,,Có,,",
    "2020,thon_1,xa_a,4,Có,,Có,,",
    "2031,thon_7,xa/c,-3,Đúng,,Có,,",
    "2020,,xa_c,9,Tổng,,Có,,",
    "TOTAL,,,,",
]) + "\r\n"


def _read_both(folder: Path, monkeypatch) -> tuple[tuple, tuple, list[bool]]:
    """``read_input`` through the fast path, then with the fast path switched off."""
    used: list[bool] = []
    fast_grid = csv_files._csv_grid

    def spy(text: str, delim: str):
        grid = fast_grid(text, delim)
        used.append(grid is not None)
        return grid

    monkeypatch.setattr(csv_files, "_csv_grid", spy)
    fast = read_input(folder)
    monkeypatch.setattr(csv_files, "_csv_grid", lambda text, delim: None)
    slow = read_input(folder)
    return fast, slow, used


def _assert_same(fast: tuple, slow: tuple) -> None:
    (data_f, findings_f), (data_s, findings_s) = fast, slow
    assert findings_f == findings_s
    assert list(data_f.tables) == list(data_s.tables)
    for name in data_f.tables:
        pd.testing.assert_frame_equal(data_f.tables[name], data_s.tables[name], check_exact=True)
    assert (data_f.fingerprint, data_f.files) == (data_s.fingerprint, data_s.files)


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


# --- the two paths agree ------------------------------------------------------------------------
def test_title_totals_and_blank_rows_same_through_both_paths(tmp_path, monkeypatch):
    folder = _write(tmp_path / "csv", {"villages.csv": MESSY_VILLAGES})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True]  # the fast path was taken, not silently the fallback
    _assert_same(fast, slow)

    data, findings = fast
    df = data.tables["villages"]
    # header on row 4; the quoted line break of row 14 stays one record, so one row
    assert df["_row"].tolist() == [5, 6, 9, 10, 14, 16, 17, 18, 19]
    totals = [f for f in findings if f.rule == "totals_row"]
    assert [(f.row, f.value) for f in totals] == [
        (11, "Tổng cộng"), (12, " Cộng toàn xã "), (13, "tong_so"), (20, "TOTAL")]
    unnamed = [f for f in findings if f.rule == "unnamed_column"]
    assert [(f.row, f.column) for f in unnamed] == [(9, "Cột I")]
    rules = {f.rule for f in findings}
    assert {"code_uppercase", "percent_in_count", "not_integer", "excel_error",
            "duplicate_key", "year_out_of_range", "code_invalid", "required_empty",
            "bool_invalid", "unknown_column"} <= rules


@pytest.mark.parametrize("cap", [1, 3, 1000])
def test_many_problems_same_through_both_paths_under_any_cap(tmp_path, monkeypatch, cap):
    monkeypatch.setattr(sheets, "FINDINGS_CAP", cap)
    rnd = random.Random(cap)
    noise = ["", " ", "\t", "n/a", "-", "x", "#N/A", "12%", "1.234", "1,5", "abc", "ABC_d",
             "a/b", "..", "−3", "1e3", "2.000.000", "Tổng cộng", "Cộng", "tong", "Có", "co",
             "yes", "2031", "  đệm  ", "Ho\u0300a", "\u00a0", "\u200b", "t", "ta", "cong ty"]
    rows = [["Báo cáo"], [], VILLAGE_HEADER + ["", ""]]
    for i in range(400):
        row = ["2020", f"thon_{i % 350}", f"xa_{i % 7}", str(i % 40), "Có", "", "Không", "Có"]
        for _ in range(rnd.randint(0, 3)):
            row[rnd.randrange(len(row))] = rnd.choice(noise)
        if rnd.random() < 0.05:
            row = row[: rnd.randint(0, len(row))]
        if rnd.random() < 0.05:
            row += ["", rnd.choice(noise)]
        rows.append(row)
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\n").writerows(rows)
    folder = _write(tmp_path / "csv", {"villages.csv": buf.getvalue(),
                                       "crosswalk.csv": "old_code,new_code,effective_year\n"
                                                        "a,b,2019\nA,b,2.019\n,,\nCộng,,\n"})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True, True]
    _assert_same(fast, slow)


@pytest.mark.parametrize(("per_row", "expected"), [(2, 20), (3, 21)])
def test_more_than_twenty_unnamed_columns_same_through_both_paths(tmp_path, monkeypatch,
                                                                   per_row, expected):
    # the row-by-row reader stops looking once a row starts with 20 such columns known, and
    # may pass 20 within the row that reaches it
    header = ",".join(["old_code", "new_code", "effective_year"] + [""] * 40)
    lines = [header]
    for i in range(14):
        extra = [""] * 40
        for k in range(per_row * i, min(per_row * i + per_row, 40)):
            extra[k] = "x"
        lines.append(",".join([f"a{i}", "b", "2019", *extra]))
    folder = _write(tmp_path / "csv", {"crosswalk.csv": "\n".join(lines) + "\n"})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True]
    _assert_same(fast, slow)
    assert len([f for f in fast[1] if f.rule == "unnamed_column"]) == expected




@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1258", "nfd"])
def test_encodings_same_through_both_paths(tmp_path, monkeypatch, encoding):
    if encoding == "cp1258":
        data = cp1258_bytes(MESSY_VILLAGES)
    elif encoding == "nfd":
        data = unicodedata.normalize("NFD", MESSY_VILLAGES).encode("utf-8")
    else:
        data = MESSY_VILLAGES.encode(encoding)
    folder = _write(tmp_path / "csv", {"villages.csv": data})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True]
    _assert_same(fast, slow)


def test_demo_same_through_both_paths(demo_copy, monkeypatch):
    fast, slow, used = _read_both(demo_copy, monkeypatch)
    assert used and all(used)
    _assert_same(fast, slow)


# --- files the fast path leaves to the csv module -----------------------------------------------
@pytest.mark.parametrize("text", [
    'old_code,new_code,effective_year\na,b,2019\n"c,b,2019\nd,b,2019\n',      # quote not closed
    "old_code,new_code,effective_year\na,b,2019\n\"" + "c" * 1_100_000 + "\",b,2019\n",
    "\ufeffold_code,new_code,effective_year\na,b,2019\n",                      # BOM left over
    'old_code,new_code,effective_year\na,"b\n",2019,x\n',  # a record wider than any line
])
def test_files_the_c_parser_reads_differently_fall_back(tmp_path, monkeypatch, text):
    assert csv_files._csv_grid(text, ",") is None
    folder = _write(tmp_path / "csv", {"crosswalk.csv": "\ufeff" + text})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [False]
    _assert_same(fast, slow)


def test_quote_not_closed_in_a_big_file_still_names_the_line(tmp_path):
    # csv reads on to the end looking for the closing quote, until the field is too large
    lines = ["old_code,new_code,effective_year", "a,b,2019", '"c,b,2019']
    lines += [f"x{i},b,2019" for i in range(20_000)]
    text = "\n".join(lines) + "\n"
    assert csv_files._csv_grid(text, ",") is None
    reader = csv.reader(io.StringIO(text, newline=""))
    with pytest.raises(csv.Error):
        list(reader)
    data, findings = read_input(_write(tmp_path / "csv", {"crosswalk.csv": text}))
    f = [f for f in findings if f.rule == "corrupt_file"]
    # named at the line where the quote opens (csv itself stops much further down)
    assert reader.line_num > 3
    assert len(f) == 1 and f[0].row == 3 and "dòng 3: sai định dạng CSV" in f[0].message
    assert data.tables["crosswalk"]["old_code"].tolist() == ["a"]


def test_wider_record_after_the_sample_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_files, "CSV_SAMPLE_BYTES", 64)
    lines = ["old_code,new_code,effective_year"] + [f"a{i},b,2019" for i in range(20)]
    lines.append("z,b,2019,,,,data")
    folder = _write(tmp_path / "csv", {"crosswalk.csv": "\n".join(lines)})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True]
    _assert_same(fast, slow)
    f = [f for f in fast[1] if f.rule == "unnamed_column"]
    assert [(x.row, x.column) for x in f] == [(22, "Cột G")]


# --- the tokeniser against csv.reader ---------------------------------------------------------
def _trimmed(rows) -> list[list[str]]:
    """Records with trailing empty fields dropped (a missing field reads as "" in the grid)."""
    out = []
    for r in rows:
        r = list(r)
        while r and r[-1] == "":
            r.pop()
        out.append(r)
    return out


@pytest.mark.parametrize("sample_bytes", [4, 1 << 20])
def test_grid_reads_the_records_csv_reads(monkeypatch, sample_bytes):
    monkeypatch.setattr(csv_files, "CSV_SAMPLE_BYTES", sample_bytes)
    pieces = ["a", " ", '"', '"', '""', ",", ";", "\t", "\n", "\r", "\r\n", "é", "x,y", "'",
              "\\", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u00a0", "1", "1.5", "NaN",
              "nan", "NULL", "#N/A", "True", "inf", "-", "#", "\ufeff"]
    rnd = random.Random(20201)
    compared = 0
    for _ in range(1000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40)))
        for delim in (",", ";", "\t"):
            grid = csv_files._csv_grid(text, delim)
            if grid is None:
                continue
            expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
            got = [list(values) for _, values in grid.rows()]
            assert _trimmed(got) == _trimmed(expected), (text, delim)
            assert all(type(v) is str for row in got for v in row)
            compared += 1
    assert compared > 500  # most random texts are read by the fast path


def test_repeated_header_rows_same_through_both_paths(tmp_path, monkeypatch):
    """Blocks pasted one under another, each with its header (or the template's code row):
    those rows are skipped with one warning each, in row order with the totals rows."""
    codes = "year,village_code,commune_code,party_members,own_cell,combined_cell," \
            "head_is_member,secretary_is_head"
    text = "\r\n".join([
        ",".join(VILLAGE_HEADER),                    # 1
        "2020,thon_1,xa_a,5,Có,,Có,",               # 2
        "Cộng,,,5",                                  # 3 totals
        ",".join(VILLAGE_HEADER),                    # 4 repeated header
        " " + codes.replace(",", " ,"),              # 5 repeated code row, spaced
        "2020,thon_2,xa_a,7,Có,,Có,",               # 6
        "Năm,Mã thôn,,,,,,",                         # 7 two header words only: repeated
        "2020,Mã thôn,xa_b,3,Có,,Có,",              # 8 one header word among data: a row
    ]) + "\r\n"
    folder = _write(tmp_path / "csv", {"villages.csv": text})
    fast, slow, used = _read_both(folder, monkeypatch)
    assert used == [True]
    _assert_same(fast, slow)
    data, findings = fast
    assert data.tables["villages"]["_row"].tolist() == [2, 6, 8]
    assert [(f.rule, f.row) for f in findings if f.rule in ("totals_row", "repeated_header")] \
        == [("totals_row", 3), ("repeated_header", 4), ("repeated_header", 5),
            ("repeated_header", 7)]
    f = next(f for f in findings if f.rule == "repeated_header")
    assert f.severity == "warning" and "lặp lại dòng tiêu đề cột" in f.message


# --- prefilters never rule out what the exact test accepts ---------------------------------------
def test_total_word_prefilter_keeps_every_totals_word():
    words = ["Tổng cộng", "TỔNG CỘNG", "tổng số", "Tổng số đảng viên", "Cộng", "CỘNG", "cộng",
             "Cộng toàn huyện", "Tổng", "total", "Total xã", "TOTAL", "Grand total",
             "GRAND TOTAL", "  Tổng cộng", "\u00a0Cộng", "\tTOTAL", "tong cong", "Tong so",
             "Cộng năm 2019", "TỔNG NĂM 2020"]
    words += [unicodedata.normalize("NFD", w) for w in words]
    words += ["tan_yen", "cam_khe", "Tân Yên", "gia_binh", "cong_ty", "Tô Hiệu", "Công ty",
              "Grand", "t", "c", "", " ", "x", "123", "Σ", "tổ 5", "Tổ dân phố"]
    rnd = random.Random(7)
    alphabet = "tcgTCGorORaAé ổộ\u0301\u0300._-1"
    words += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
              for _ in range(5000)]
    values = np.array(words, dtype=object)
    maybe = sources.maybe_total_word(values)
    exact = np.array([common.is_total_word(v) for v in words])
    assert exact.sum() >= 42
    assert not (exact & ~maybe).any(), values[exact & ~maybe]


def test_blank_prefilter_keeps_every_blank_text():
    spaces = [chr(i) for i in range(0x3001) if chr(i).isspace()]
    texts = ["", *spaces, "".join(spaces), " a", "a ", "\u00a0x", "x", "é"]
    grid = sources.Grid([np.arange(len(texts))], [np.array(texts, dtype=object)], len(texts))
    flags = grid.blank_values(0)
    assert flags.tolist() == [common.is_blank(t) for t in texts]


# --- per distinct value, not per row ------------------------------------------------------------
def test_fast_path_does_python_work_per_distinct_value(tmp_path, monkeypatch):
    n = 30_000
    lines = [",".join(VILLAGE_HEADER)]
    lines += [f"2020,thon_{i},xa_{i % 50},{i % 90},Có,,Không,Có" for i in range(n)]
    lines.insert(n // 2, "Tổng cộng,,,,,,,")
    folder = _write(tmp_path / "csv", {"villages.csv": "\n".join(lines) + "\n"})
    calls = {"total": 0, "blank": 0}
    is_total, blank = common.is_total_word, common.is_blank

    def counting_total(v):
        calls["total"] += 1
        return is_total(v)

    def counting_blank(v):
        calls["blank"] += 1
        return blank(v)

    for module in (common, sources, sheets):  # where the reader looks them up
        monkeypatch.setattr(module, "is_total_word", counting_total)
        monkeypatch.setattr(module, "is_blank", counting_blank)
    data, findings = read_input(folder)
    assert len(data.tables["villages"]) == n
    assert [f.rule for f in findings] == ["totals_row"]
    # the row-by-row reader makes ~n calls of each; codes "thon_…" never reach _is_total_word
    assert calls["total"] < 100 and calls["blank"] < 1000, calls
