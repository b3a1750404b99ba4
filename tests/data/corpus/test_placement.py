"""Data where the reader does not expect it (issue 14, classes 3 and 4): rows pasted into the
template's instructions sheet, a table under a name the reader does not know, CSV files in a
folder per year. Nothing is lost without a word: what is not read is named in a finding, and
"no data for unit X" says where the reader looked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING

from .build import DISTRICT, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
BOOK = "so_lieu.xlsx"
#: The slice holds 2019 and 2020: without any data, the plan's other years are missing too.
PLAN_YEARS = range(2015, 2021)
NOT_FOUND = ("có số liệu (bảng có thể bị đặt tên khác, hoặc số liệu nằm ở bảng khác: xem các "
             "cảnh báo về bảng không được đọc).")


def _missing(file: str, year: int, text: str, sheet: str = "Tổng hợp") -> Expect:
    return Expect(WARNING, "missing_unit_year", file, sheet, None, "",
                  f"Đơn vị Huyện Việt Yên ({DISTRICT}) không có số liệu năm {year}: không có số "
                  f"liệu chi tiết, cũng không có dòng trong bảng Tổng hợp. {text}")


# --- class 3: a known table in an unexpected place --------------------------------------------
@CASES.add("tccsd_rows_pasted_into_instructions")
def _(inp: Input, tmp: Path) -> Built:
    """The TCCSĐ rows, with their header, pasted under three lines of the instructions sheet;
    the TCCSĐ sheet itself is gone. The summary sheet still gives the district's counts."""
    wb = inp.workbook(tables=["units", "crosswalk", "unit_summary"])
    ws = wb.create_sheet("Hướng dẫn", 0)
    for line in (["MẪU NHẬP LIỆU — RÀ SOÁT"], ["Nhập số liệu vào các bảng theo mẫu."], []):
        ws.append(line)
    ws.append(inp.headers_vi("organizations"))
    for rec in inp.records("organizations", workbook=True):
        ws.append(rec)
    wb.save(tmp / BOOK)
    n = len(inp.rows["organizations"])
    assert n == 119  # counted in the demo's CSV: viet_yen, 2019 and 2020
    looked = (f"Đã tìm trong: bảng «Tổng hợp» của tệp «{BOOK}». Không tìm thấy bảng «TCCSĐ» "
              + NOT_FOUND)
    return Built(tmp / BOOK, [
        Expect(ERROR, "data_in_template_sheet", BOOK, "Hướng dẫn", 4, "",
               "Bảng «Hướng dẫn» là bảng của mẫu (không chứa số liệu) nên không được đọc, "
               f"nhưng từ dòng 4 có tiêu đề các cột của bảng «TCCSĐ» và {n} dòng số liệu bên "
               "dưới. Hãy chép các dòng này sang bảng «TCCSĐ» (dưới dòng tiêu đề của bảng đó) "
               "rồi xóa khỏi bảng «Hướng dẫn»."),
        *(_missing(BOOK, y, looked) for y in PLAN_YEARS if y < 2019),
    ])


@CASES.add("summary_rows_in_the_lists_sheet_below_the_lists")
def _(inp: Input, tmp: Path) -> Built:
    """The summary sheet's rows pasted at row 40 of «Danh mục» (under the lists), with a
    blank row and a repeated header among them: counted are the two data rows."""
    wb = inp.workbook(tables=["units", "crosswalk", "organizations"])
    ws = wb.create_sheet("Danh mục")
    for k in range(1, 40):
        ws.cell(row=k, column=1, value=f"mục {k}")
    ws.cell(row=40, column=1, value=None)
    header = inp.headers_vi("unit_summary")
    recs = inp.records("unit_summary", workbook=True)
    assert len(recs) == 2
    ws.append(header)        # row 41
    ws.append(recs[0])       # 42
    ws.append([])            # 43
    ws.append(header)        # 44: repeated
    ws.append(recs[1])       # 45
    wb.save(tmp / BOOK)
    return Built(tmp / BOOK, [Expect(
        ERROR, "data_in_template_sheet", BOOK, "Danh mục", 41, "",
        "từ dòng 41 có tiêu đề các cột của bảng «Tổng hợp» và 2 dòng số liệu bên dưới")],
        numbers=inp)


@CASES.add("tccsd_sheet_renamed_and_a_column_lost")
def _(inp: Input, tmp: Path) -> Built:
    """The TCCSĐ sheet named «Sheet1» and without «Mã TCCSĐ», no summary sheet: the sheet is
    named as looking like TCCSĐ, and each missing year says where the reader looked."""
    inp.header["organizations"].remove("org_code")
    path = inp.xlsx(tmp / BOOK, tables=["units", "crosswalk", "organizations"],
                    sheet_names={"organizations": "Sheet1"})
    n = len(inp.header["organizations"])
    assert n == 36  # the 37 columns of tables.yaml but one
    looked = "Không tìm thấy bảng «TCCSĐ» hay «Tổng hợp» " + NOT_FOUND
    return Built(path, [
        Expect(WARNING, "unknown_sheet", BOOK, "Sheet1", 1, "",
               f"Bảng (sheet) «Sheet1» không thuộc mẫu nhập liệu nên không được đọc. Dòng 1 có "
               f"{n} cột của bảng «TCCSĐ» nhưng thiếu các cột bắt buộc «Mã TCCSĐ». Nếu đây là "
               "số liệu của bảng «TCCSĐ», hãy đặt tên bảng là «TCCSĐ» và bổ sung các cột còn "
               "thiếu."),
        *(_missing("", y, looked) for y in PLAN_YEARS),
    ])


@CASES.add("organizations_csv_under_another_name_lacking_a_column")
def _(inp: Input, tmp: Path) -> Built:
    """«to_chuc_2020.csv» without the year column; the summary file is there, but says
    nothing of 2015–2018: each missing year names the file that was read."""
    inp.header["organizations"].remove("year")
    folder = inp.csv_folder(tmp / "csv")
    (folder / "organizations.csv").rename(folder / "to_chuc_2020.csv")
    looked = ("Đã tìm trong: tệp «unit_summary.csv». Không tìm thấy bảng «TCCSĐ» " + NOT_FOUND)
    return Built(folder, [
        Expect(WARNING, "unknown_sheet", "to_chuc_2020.csv", "to_chuc_2020", 1, "",
               "Tệp «to_chuc_2020» không thuộc mẫu nhập liệu nên không được đọc. Dòng 1 có 36 "
               "cột của bảng «TCCSĐ» nhưng thiếu các cột bắt buộc «Năm». Nếu đây là số liệu "
               "của bảng «TCCSĐ», hãy đặt tên tệp là «organizations.csv» và bổ sung các cột "
               "còn thiếu."),
        *(_missing("unit_summary.csv", y, looked, "unit_summary")
          for y in PLAN_YEARS if y < 2019),
    ])


# --- class 4: CSV files in sub-folders -------------------------------------------------------
def _by_year(inp: Input, folder: Path, years: dict[str, str]) -> dict[str, int]:
    """Write the slice with each yearly table split into ``<sub-folder>/<table>.csv`` per
    year (``years``: year → sub-folder); units and mergers stay at the top. Returns the
    number of rows written per file."""
    written = {}
    top = Input(LIGHT)
    top.rows = {t: inp.rows[t] for t in ("units", "crosswalk")}
    top.header = inp.header
    top.csv_folder(folder)
    for year, sub in years.items():
        part = Input(LIGHT)
        part.header = inp.header
        part.rows = {t: [r for r in inp.rows[t] if r["year"] == year]
                     for t in ("organizations", "unit_summary")}
        part.cells = {(t, part.rows[t].index(inp.rows[t][i]), c): v
                      for (t, i, c), v in inp.cells.items()
                      if t in part.rows and inp.rows[t][i]["year"] == year}
        part.csv_folder(folder / sub)
        for t, rows in part.rows.items():
            written[f"{sub}/{t}.csv"] = len(rows)
    return written


def _joined(title: str, table: str, subs: list[str]) -> Expect:
    where = ", ".join(f"«{table}» ({s}/{table}.csv)" for s in subs)
    return Expect(WARNING, "table_multiple_sheets", f"{subs[0]}/{table}.csv", table, None, "",
                  f"Bảng «{title}» được ghép từ {len(subs)} nơi: {where}.")


@CASES.add("csv_one_folder_per_year")
def _(inp: Input, tmp: Path) -> Built:
    """2019/ and 2020/ each hold that year's organizations.csv and unit_summary.csv: all
    read, the numbers exact, each row's file keeps its sub-folder."""
    folder = tmp / "so_lieu"
    written = _by_year(inp, folder, {"2019": "2019", "2020": "2020"})
    assert len(written) == 4
    return Built(folder, [
        Expect(WARNING, "csv_in_subfolders", "so_lieu", "", None, "",
               "Đã đọc cả 4 tệp .csv trong 2 thư mục con của «so_lieu»: «2019/», «2020/». "
               "Trong các thông báo, tên tệp có kèm thư mục con (ví dụ "
               "«2019/organizations.csv»)."),
        _joined("TCCSĐ", "organizations", ["2019", "2020"]),
        _joined("Tổng hợp", "unit_summary", ["2019", "2020"]),
    ], numbers=inp)


@CASES.add("csv_year_folders_a_bad_cell_a_workbook_and_a_deep_copy")
def _(inp: Input, tmp: Path) -> Built:
    """«nam_2020/» holds a «mười» in a count: the error names «nam_2020/organizations.csv»
    and the row in that file. A workbook beside the CSV is named and skipped; a copy three
    folders down is named and not read (so nothing is counted twice)."""
    i = inp.first("organizations", lambda r: r["year"] == "2020")
    k = [j for j, r in enumerate(inp.rows["organizations"]) if r["year"] == "2020"].index(i)
    inp.cells[("organizations", i, "admissions")] = "mười"
    folder = tmp / "so_lieu"
    _by_year(inp, folder, {"2019": "nam_2019", "2020": "nam_2020"})
    (folder / "nam_2019" / "ban_sao.xlsx").write_bytes(b"PK")
    deep = folder / "luu_tru" / "cu" / "2018"
    deep.mkdir(parents=True)
    (deep / "organizations.csv").write_bytes(
        (folder / "nam_2019" / "organizations.csv").read_bytes())
    return Built(folder, [
        Expect(ERROR, "not_a_number", "nam_2020/organizations.csv", "organizations",
               Input.excel_row(k), "admissions", "«mười» không phải là số"),
        Expect(WARNING, "file_ignored", "nam_2019/ban_sao.xlsx", "", None, "",
               "Tệp «nam_2019/ban_sao.xlsx» không được đọc"),
        Expect(WARNING, "folder_ignored", "luu_tru/cu/2018", "", None, "",
               "Thư mục «luu_tru/cu/2018/» nằm sâu quá 2 cấp nên các tệp trong đó không được "
               "đọc."),
        Expect(WARNING, "csv_in_subfolders", "so_lieu", "", None, "",
               "Đã đọc cả 4 tệp .csv trong 2 thư mục con của «so_lieu»: «nam_2019/», "
               "«nam_2020/»."),
        _joined("TCCSĐ", "organizations", ["nam_2019", "nam_2020"]),
        _joined("Tổng hợp", "unit_summary", ["nam_2019", "nam_2020"]),
    ], allow=frozenset({"summary_detail_mismatch"}))


@CASES.add("organizations_split_over_seven_folders")
def _(inp: Input, tmp: Path) -> Built:
    """The TCCSĐ rows split over «phan_1/» … «phan_7/» (17 rows each), the rest at the top:
    all read, numbers exact; a missing year lists the first five places and how many more."""
    folder = tmp / "so_lieu"
    top = Input(LIGHT)
    top.header, top.rows = inp.header, {t: inp.rows[t] for t in inp.rows if t != "organizations"}
    top.csv_folder(folder)
    orgs = inp.rows["organizations"]
    assert len(orgs) == 7 * 17
    for k in range(7):
        part = Input(LIGHT)
        part.header, part.rows = inp.header, {"organizations": orgs[17 * k:17 * (k + 1)]}
        part.csv_folder(folder / f"phan_{k + 1}")
    shown = "; ".join(f"tệp «phan_{k}/organizations.csv»" for k in range(1, 6))
    looked = f"Đã tìm trong: {shown}; và 3 tệp, bảng khác."
    subs = ", ".join(f"«phan_{k}/»" for k in range(1, 8))
    where = ", ".join(f"«organizations» (phan_{k}/organizations.csv)" for k in range(1, 8))
    return Built(folder, [
        *(_missing("unit_summary.csv", y, looked, "unit_summary")
          for y in PLAN_YEARS if y < 2019),
        Expect(WARNING, "csv_in_subfolders", "so_lieu", "", None, "",
               f"Đã đọc cả 7 tệp .csv trong 7 thư mục con của «so_lieu»: {subs}."),
        Expect(WARNING, "table_multiple_sheets", "phan_1/organizations.csv", "organizations",
               None, "", f"Bảng «TCCSĐ» được ghép từ 7 nơi: {where}."),
    ], numbers=inp)


@CASES.add("build_outputs_inside_the_csv_folder")
def _(inp: Input, tmp: Path) -> Built:
    """A build written into the data folder (``--out so_lieu/ket_qua``): its summary.csv holds
    every column of the summary sheet, and would double the district if read. The folder is
    named and skipped; the numbers stay exact."""
    folder = inp.csv_folder(tmp / "so_lieu")
    out = folder / "ket_qua"
    (out / "tables").mkdir(parents=True)
    (out / ".build-manifest.json").write_text("{}", encoding="utf-8")
    (out / "tables" / "summary.csv").write_bytes((folder / "unit_summary.csv").read_bytes())
    return Built(folder, [Expect(
        WARNING, "folder_ignored", "ket_qua", "", None, "",
        "Thư mục «ket_qua/» là kết quả do phần mềm tạo ra (báo cáo, bảng tổng hợp), không phải "
        "số liệu, nên không được đọc.")], numbers=inp)


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", CASES.ids())
def test_placement_case(case_id, tmp_path):
    built = CASES.build(case_id, tmp_path)
    result = check(built)
    if case_id == "tccsd_rows_pasted_into_instructions":
        # the district's 2019 and 2020 come from the summary sheet, as typed there
        inp = Input(LIGHT)
        summ = result.summary[result.summary["unit_code"] == DISTRICT].set_index("year")
        for r in inp.rows["unit_summary"]:
            row = summ.loc[int(r["year"])]
            assert row["source"] == "summary"
            for col in ("orgs_total", "members_total", "admissions"):
                assert int(row[col]) == int(r[col]), (r["year"], col)
    if case_id.startswith("csv_"):
        orgs = result.data.tables["organizations"]
        files = set(zip(orgs["year"].astype(int), orgs["_file"], strict=True))
        sub = "" if case_id == "csv_one_folder_per_year" else "nam_"
        assert files == {(2019, f"{sub}2019/organizations.csv"),
                         (2020, f"{sub}2020/organizations.csv")}
        assert result.data.files == sorted([
            "crosswalk.csv", "units.csv", *(f"{sub}{y}/{t}.csv" for y in (2019, 2020)
                                            for t in ("organizations", "unit_summary"))])
        assert len(orgs) == len(Input(LIGHT).rows["organizations"])


def test_the_template_and_its_instructions_are_not_data(tmp_path):
    """The instructions sheet lists every column as a row (header, code, kind): not a
    header row, so a blank template has no data_in_template_sheet."""
    from analysis.data.template import write_template
    from analysis.data.validate import validate_input

    path = write_template(tmp_path / "mau.xlsx")
    rules = {f.rule for f in validate_input(path).findings}
    assert "data_in_template_sheet" not in rules and "unknown_sheet" not in rules, rules


def test_a_header_row_of_lists_is_not_a_table_header():
    """The lists sheet heads its columns with vocabulary names, some of them column names of
    «Cán bộ chủ chốt xã» too (term, education, theory; here also position): four of its seven
    required columns, but most of the row is not that table's, so it is no header row."""
    from analysis.data.reading import headers

    lists = ("unit_level", "unit_kind", "terrain", "org_type", "org_form", "org_rating",
             "term", "position", "education", "theory", "yes_no", "official_position")
    assert headers._table_columns_in(lists) is None
    officials = ("snapshot_year", "term", "commune_code", "position", "education", "theory")
    hit = headers._table_columns_in(officials)
    assert hit is not None and hit[0] == "officials"
