"""Logic that only shows across rows, tables and years: a unit changing district, a merged
commune or village still reporting after its merger, two rating schemes in one year, a
summary sheet that disagrees with the detail, rows twice, years outside the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.data.findings import ERROR, WARNING

from .build import ALL, ANY, LIGHT, Built, Expect, Input, Registry, check

CASES = Registry(LIGHT)
ORGS, ORG_SHEET = "organizations.csv", "organizations"
MISMATCH = frozenset({"summary_detail_mismatch"})
SCHEME_2014 = "Hướng dẫn 27-HD/BTCTW (2014)"
SCHEME_2018 = "Quy định 132-QĐ/TW (2018)"


def _vi(n: int) -> str:
    """1234 → «1.234», as the messages write numbers (written out, not imported)."""
    return f"{n:,}".replace(",", ".")


def _merged_commune(inp: Input) -> tuple[str, str]:
    level = {u["code"]: u["level"] for u in inp.rows["units"]}
    r = next(r for r in inp.rows["crosswalk"] if level[r["old_code"]] == "commune")
    return r["old_code"], r["new_code"]


def _append(inp: Input, table: str, row: dict) -> int:
    inp.rows[table].append(row)
    return len(inp.rows[table]) - 1


@CASES.add("unit_changes_district")
def _(inp: Input, tmp: Path) -> Built:
    """A commune's TCCSĐ reported in 2020 under another district: the unit list says where
    the commune belongs (a real move needs a new code and a crosswalk row)."""
    inp.rows["units"].append(dict(code="tan_yen", name="Huyện Tân Yên", level="district",
                                  parent_code="bac_giang", kind="huyen", terrain="",
                                  first_year="", last_year=""))
    i = inp.first("organizations", lambda r: r["year"] == "2020" and r["org_type"] == "xa")
    r = inp.rows["organizations"][i]
    r["reporting_unit"] = "tan_yen"
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "commune_wrong_district", ORGS, ORG_SHEET, inp.excel_row(i),
        "Mã xã, phường, thị trấn",
        f"Xã “{r['commune_code']}” thuộc “viet_yen” theo danh mục đơn vị, nhưng dòng này ghi "
        "mã đảng bộ “tan_yen”.")], numbers=inp, allow=MISMATCH)


@CASES.add("merged_commune_still_reporting")
def _(inp: Input, tmp: Path) -> Built:
    old, new = _merged_commune(inp)
    src = inp.index("organizations", year="2019", commune_code=old)
    i = _append(inp, "organizations", {**inp.rows["organizations"][src], "year": "2020"})
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "merged_unit_still_reporting", ORGS, ORG_SHEET, inp.excel_row(i),
        "Mã xã, phường, thị trấn",
        f"Đơn vị “{old}” đã sáp nhập vào “{new}” từ năm 2020, nhưng vẫn có số liệu năm 2020 "
        "theo mã cũ.")], numbers=inp, allow=MISMATCH)


@CASES.add("merged_village_still_reporting", tables=ALL)
def _(inp: Input, tmp: Path) -> Built:
    """A village absorbed by its neighbour in 2020 still sends a 2020 row."""
    level = {u["code"]: u for u in inp.rows["units"]}
    merged_communes = {r["old_code"] for r in inp.rows["crosswalk"]
                       if level[r["old_code"]]["level"] == "commune"}
    cw = next(r for r in inp.rows["crosswalk"]
              if level[r["old_code"]]["level"] == "village" and r["effective_year"] == "2020"
              and level[r["old_code"]]["parent_code"] not in merged_communes)
    src = inp.index("villages", year="2019", village_code=cw["old_code"])
    i = _append(inp, "villages", {**inp.rows["villages"][src], "year": "2020"})
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "merged_unit_still_reporting", "villages.csv", "villages", inp.excel_row(i),
        "Mã thôn",
        f"Đơn vị “{cw['old_code']}” đã sáp nhập vào “{cw['new_code']}” từ năm 2020, nhưng vẫn "
        "có số liệu năm 2020 theo mã cũ.")], numbers=inp, allow=MISMATCH)


@CASES.add("commune_code_before_it_exists")
def _(inp: Input, tmp: Path) -> Built:
    old, new = _merged_commune(inp)
    i = inp.index("organizations", year="2019", commune_code=old)
    inp.rows["organizations"][i]["commune_code"] = new
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "commune_not_existing_in_year", ORGS, ORG_SHEET, inp.excel_row(i),
        "Mã xã, phường, thị trấn",
        f"Xã “{new}” chỉ có từ năm 2020, nhưng dòng này là năm 2019.")], numbers=inp)


@CASES.add("village_in_another_commune", tables=ALL)
def _(inp: Input, tmp: Path) -> Built:
    vil = inp.rows["villages"]
    i = 5
    other = next(r["commune_code"] for r in vil if r["commune_code"] != vil[i]["commune_code"])
    parent = vil[i]["commune_code"]
    vil[i]["commune_code"] = other
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "village_wrong_commune", "villages.csv", "villages", inp.excel_row(i), "Mã xã",
        f"Thôn “{vil[i]['village_code']}” thuộc xã “{parent}” theo danh mục đơn vị, nhưng "
        f"dòng này ghi mã xã “{other}”.")], numbers=inp)


@CASES.add("two_rating_schemes_in_one_year")
def _(inp: Input, tmp: Path) -> Built:
    """One 2019 TCCSĐ rated «Trong sạch, vững mạnh» (2014 scheme) among 2018-scheme ratings:
    both are rank 1, so the good-or-better count does not move."""
    orgs = inp.rows["organizations"]
    i = inp.index("organizations", year="2019", rating="xuat_sac")
    orgs[i]["rating"] = "trong_sach_vung_manh"
    n2018 = sum(r["year"] == "2019" and r["rating"] in ("xuat_sac", "khong_hoan_thanh")
                for r in orgs)
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(WARNING, "rating_scheme_mismatch", ORGS, ORG_SHEET, inp.excel_row(i),
               "Xếp loại chất lượng",
               f"TCCSĐ “{orgs[i]['org_code']}”: năm 2019 xếp loại theo {SCHEME_2018}; giá trị "
               f"“Trong sạch, vững mạnh” thuộc thang {SCHEME_2014}."),
        Expect(WARNING, "rating_scheme_mixed", ORGS, ORG_SHEET, inp.excel_row(i),
               "Xếp loại chất lượng",
               f"Đảng bộ “viet_yen” năm 2019 dùng lẫn hai thang xếp loại: 1 TCCSĐ theo thang "
               f"{SCHEME_2014} và {n2018} TCCSĐ theo thang {SCHEME_2018}."),
    ], numbers=inp)


@CASES.add("whole_year_rated_on_the_old_scheme")
def _(inp: Input, tmp: Path) -> Built:
    old = {"xuat_sac": "trong_sach_vung_manh", "khong_hoan_thanh": "yeu_kem"}
    changed = 0
    for r in inp.rows["organizations"]:
        if r["year"] == "2020" and r["rating"] in old:
            r["rating"] = old[r["rating"]]
            changed += 1
    assert changed > 5
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(WARNING, "rating_scheme_mismatch", ORGS, ORG_SHEET, ANY, "Xếp loại chất lượng",
               "năm 2020 xếp loại theo " + SCHEME_2018, count=changed),
    ], numbers=inp)


@CASES.add("same_organization_twice")
def _(inp: Input, tmp: Path) -> Built:
    orgs = inp.rows["organizations"]
    src = 30
    i = _append(inp, "organizations", dict(orgs[src]))
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "duplicate_key", ORGS, ORG_SHEET, inp.excel_row(i), "Năm, Mã TCCSĐ",
        f"Trùng khóa với dòng {inp.excel_row(src)}: đã có một dòng cùng (Năm, Mã TCCSĐ) = "
        f"({orgs[src]['year']}, {orgs[src]['org_code']})")], allow=MISMATCH)


@CASES.add("members_by_rating_exceed_total")
def _(inp: Input, tmp: Path) -> Built:
    i = 17
    inp.bump(i, "members_good", 5)
    r = inp.rows["organizations"][i]
    total = int(r["members_total"])
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "members_sum_exceeds_total", ORGS, ORG_SHEET, inp.excel_row(i),
        "Tổng số đảng viên",
        f"TCCSĐ “{r['org_code']}” năm {r['year']}: số ĐV theo các mức xếp loại cộng ĐV miễn, "
        f"chưa đánh giá là {_vi(total + 5)}, lớn hơn Tổng số đảng viên ({_vi(total)}).")],
        numbers=inp)


@CASES.add("summary_sheet_disagrees_with_detail")
def _(inp: Input, tmp: Path) -> Built:
    """Detail wins; the summary cell that disagrees is an error naming both numbers."""
    j = inp.index("unit_summary", year="2019")
    s = inp.rows["unit_summary"][j]
    detail = int(s["members_total"])
    s["members_total"] = str(detail + 1)
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "summary_detail_mismatch", "unit_summary.csv", "unit_summary",
               inp.excel_row(j), "Tổng số đảng viên",
               f"Bảng Tổng hợp ghi “Tổng số đảng viên” của “viet_yen” năm 2019 là "
               f"{_vi(detail + 1)}, nhưng cộng từ số liệu chi tiết được {_vi(detail)}."),
        Expect(WARNING, "members_not_classified", "unit_summary.csv", "unit_summary",
               inp.excel_row(j), "Tổng số đảng viên", "1 ĐV chưa được phân loại"),
    ], numbers=inp)


@CASES.add("year_outside_the_plan")
def _(inp: Input, tmp: Path) -> Built:
    i = len(inp.rows["organizations"]) - 1
    inp.cells[("organizations", i, "year")] = "2021"
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "year_out_of_range", ORGS, ORG_SHEET, inp.excel_row(i), "year",
        "Năm ngoài kỳ kế hoạch (2015–2020): ô ghi «2021».")], allow=MISMATCH)


@CASES.add("crosswalk_cycle")
def _(inp: Input, tmp: Path) -> Built:
    """A merger typed both ways (old → new, then new → old): neither code is in force."""
    old, new = _merged_commune(inp)
    first = inp.index("crosswalk", old_code=old)
    j = _append(inp, "crosswalk", {"old_code": new, "new_code": old, "effective_year": "2020"})
    cycle = ("sáp nhập (trực tiếp hoặc qua mã khác) vào “{0}”: các dòng này tạo thành vòng "
             "lặp, không biết mã nào còn hiệu lực")
    return Built(inp.csv_folder(tmp / "csv"), [
        Expect(ERROR, "crosswalk_cycle", "crosswalk.csv", "crosswalk", inp.excel_row(first),
               "Mã mới", f"Bảng Sáp nhập ghi “{old}” sáp nhập vào “{new}”, nhưng theo các dòng "
               f"khác “{new}” lại " + cycle.format(old)),
        Expect(ERROR, "crosswalk_cycle", "crosswalk.csv", "crosswalk", inp.excel_row(j),
               "Mã mới", cycle.format(new)),
        # the new commune's own 2020 rows now read as "merged away": listed, not hidden
        Expect(ERROR, "merged_unit_still_reporting", ORGS, ORG_SHEET, ANY,
               "Mã xã, phường, thị trấn", f"Đơn vị “{new}” đã sáp nhập vào “{old}”",
               count=sum(r["commune_code"] == new for r in inp.rows["organizations"])),
    ])


@CASES.add("crosswalk_code_not_in_unit_list")
def _(inp: Input, tmp: Path) -> Built:
    old, new = _merged_commune(inp)
    j = _append(inp, "crosswalk", {"old_code": "viet_yen_xa_cu", "new_code": new,
                                   "effective_year": "2020"})
    return Built(inp.csv_folder(tmp / "csv"), [Expect(
        ERROR, "crosswalk_unknown_code", "crosswalk.csv", "crosswalk", inp.excel_row(j),
        "Mã cũ", "Mã “viet_yen_xa_cu” trong bảng Sáp nhập không có trong danh mục đơn vị "
        "(bảng Đơn vị).")], numbers=inp)


@pytest.mark.parametrize("case_id", CASES.ids())
def test_logic_case(case_id, tmp_path):
    check(CASES.build(case_id, tmp_path))
