"""Report sections (analysis.present.report) on the demo Review: content, Vietnamese words and
numbers, escaping, errors; and the report notebooks executed through papermill (slow)."""

from __future__ import annotations

import copy
import html
import os
import pickle
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from analysis import config
from analysis.present import labels as L
from analysis.present import report

EVIL = "<script>alert(1)</script>"
DISTRICT, SECTOR = "son_dong", "cong_an"
PROVINCE_CODE = "bac_giang"
ASSESSMENTS = ("midterm", "final")
SECTIONS = (
    "title_page",
    "leader_summary_section",
    "scorecard_section",
    "heat_table_section",
    "target_sections",
    "process_section",
    "integrity_section",
    "villages_section",
    "data_notes_section",
    "appendix_section",
)
VERDICT_WORDS = {"Đạt", "Chưa đạt", "Đúng tiến độ", "Cần đẩy nhanh", "Đi lùi", "Không đủ dữ liệu"}
FORBIDDEN = ("https://", "http://", "/root", "/work", "/tmp", "Traceback", "<script")
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
#: Computing the demo Review should take well under this (seconds); the report says so if not.
REVIEW_BUDGET = 20.0


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def review():
    from analysis.data.validate import validate_input
    from analysis.measure.review import compute_review

    started = time.perf_counter()
    validation = validate_input(config.DEMO_DATA_DIR)
    assert validation.ok, [f.message for f in validation.errors][:5]
    result = compute_review(validation)
    elapsed = time.perf_counter() - started
    if elapsed > REVIEW_BUDGET:
        warnings.warn(
            f"computing the demo Review took {elapsed:.1f} s (> {REVIEW_BUDGET:.0f} s)",
            stacklevel=1,
        )
    return result


def _render(review, unit_code: str, assessment_id: str) -> dict[str, str]:
    ctx = report.context_from_review(review, unit_code, assessment_id)
    out = {}
    for name in SECTIONS:
        if name == "heat_table_section" and not ctx.is_province:
            continue
        result = getattr(report, name)(ctx)
        assert type(result).__name__ == "HTML", name
        out[name] = result.data
    return out


@pytest.fixture(scope="module")
def rendered(review):
    """Every section of a district, a sector committee and the province, both assessments."""
    units = (DISTRICT, SECTOR, review.province_code)
    return {(u, a): _render(review, u, a) for u in units for a in ASSESSMENTS}


def _text(markup: str) -> str:
    """Visible text: tags removed, entities decoded, data URIs dropped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", DATA_URI.sub("", markup)))


# --------------------------------------------------------------------------- content
def test_every_report_has_all_its_sections(review, rendered):
    for (unit, _), sections in rendered.items():
        expected = len(SECTIONS) - (unit != review.province_code)
        assert len(sections) == expected
        for name, markup in sections.items():
            assert markup.strip(), name


def test_unit_name_in_every_section(review, rendered):
    names = review.unit_names()
    for (unit, _), sections in rendered.items():
        name = names[unit]
        for section, markup in sections.items():
            assert html.escape(name) in markup, (unit, section)


def test_headings_in_order(rendered):
    for (unit, assessment), sections in rendered.items():
        title = sections["title_page"]
        assert "<h1>" in title and "<h2" not in title
        for name, markup in sections.items():
            if name == "title_page":
                continue
            assert "<h1" not in markup, (unit, name)
            headings = re.findall(r"<h([1-6])\b", markup)
            assert headings and headings[0] == "2", (unit, assessment, name)
            assert markup.lstrip().startswith("<section"), name
            levels = [int(h) for h in headings]
            # never skip a level going down (h2 → h4)
            assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), name


def test_title_page(review, rendered):
    from analysis import params

    plan = params.plan()
    for (_, assessment), sections in rendered.items():
        title = sections["title_page"]
        assert html.escape(params.assessment(assessment)["title_vi"]) in title
        assert html.escape(plan["resolution_title_vi"]) in title
        assert review.fingerprint in title
        assert html.escape(Path(review.source_name).name) in title
        assert re.search(r"\d{2} tháng \d{1,2} năm \d{4}", title)
        assert "<style>" in title  # the report's stylesheet travels with the first section
    assert "Báo cáo sơ kết giữa nhiệm kỳ (2018)" in rendered[(DISTRICT, "midterm")]["title_page"]
    assert "Báo cáo tổng kết (2020)" in rendered[(DISTRICT, "final")]["title_page"]


def test_verdict_words_match_labels():
    assert {L.verdict_word(v) for v in L.VERDICTS} == VERDICT_WORDS


def test_scorecard_shows_the_units_verdicts(review, rendered):
    for (unit, assessment), sections in rendered.items():
        progress = review.assessments[assessment].progress
        mine = progress[(progress["unit_code"] == unit) & progress["indicator_id"].str.match(r"T")]
        assert not mine.empty
        scorecard = sections["scorecard_section"]
        table = scorecard.split("<h3>")[0]  # the table, before the sentences and the legend
        for verdict in set(mine["verdict"]):
            word = L.verdict_word(verdict)
            assert f"{L.verdict_symbol(verdict)} {word}</span>" in table, (unit, word)
        # one generated sentence per target of the unit
        assert scorecard.count("đánh giá: ") >= len(mine)


def test_numbers_are_vietnamese(rendered):
    scorecard = _text(rendered[(DISTRICT, "final")]["scorecard_section"])
    assert re.search(r"\d+,\d%", scorecard)
    assert not re.search(r"\d+\.\d%", scorecard)
    appendix = _text(rendered[(DISTRICT, "final")]["appendix_section"])
    assert re.search(r"\b\d\.\d{3}\b", appendix)  # e.g. the province's admissions, 2.533
    assert "Phụ lục 1." in appendix


def test_no_paths_no_urls_no_scripts(rendered):
    for key, sections in rendered.items():
        for name, markup in sections.items():
            visible = DATA_URI.sub("", markup)
            for bad in FORBIDDEN:
                assert bad not in visible, (key, name, bad)


def _images(markup: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', markup)


def test_charts_are_embedded_pngs(review, rendered):
    district = _images(rendered[(DISTRICT, "final")]["target_sections"])
    assert len(district) == 16  # trend + comparison for T1, T2, T3a, T3b, T4, T5, T6, T7
    sector = _images(rendered[(SECTOR, "final")]["target_sections"])
    assert len(sector) == 8  # T1, T2, T4, T5 only
    province = _images(rendered[(review.province_code, "final")]["target_sections"])
    assert len(province) == 24  # trend, comparison and tile map per target
    for key, sections in rendered.items():
        for markup in sections.values():
            assert all(s.startswith("data:image/png;base64,") for s in _images(markup)), key
    assert len(_images(rendered[(DISTRICT, "final")]["process_section"])) == 1


def test_tile_map_only_for_the_province_of_the_tiles(review, monkeypatch):
    """params/units.yaml places Bắc Giang's units: another province (country builds) gets a
    note instead of a map of the wrong units."""
    ctx = report.context_from_review(review, review.province_code, "final")
    target = ctx.indicator_list(targets=True)[0]
    assert "<img" in report._tile_map(ctx, target)
    layout = {"province": "tinh_khac", "tiles": {"son_dong": [0, 0]}}
    monkeypatch.setattr(report.params, "units", lambda: layout)
    note = report._tile_map(ctx, target)
    assert "<img" not in note
    assert _text(note).strip() == (
        f"Chưa có sơ đồ vị trí các đơn vị của {review.province_name} nên báo cáo không có bản đồ ô."
    )


def test_reports_have_no_publish_mode():
    """Publish mode writes appendix documents only: the report sections take no ``publish``."""
    import inspect

    for name in ("data_notes_section", "appendix_section"):
        assert "publish" not in inspect.signature(getattr(report, name)).parameters
    for notebook in ("unit_report.py", "province_report.py"):
        assert "publish" not in (config.PROJ_ROOT / "notebooks" / notebook).read_text("utf-8")


def test_province_report_has_maps_rankings_and_heat_table(review, rendered):
    sections = rendered[(review.province_code, "final")]
    assert "Xếp hạng các đơn vị" in sections["target_sections"]
    assert "Bản đồ ô" in sections["target_sections"]
    heat = sections["heat_table_section"]
    for name in review.reporting_units["name"]:
        assert html.escape(name) in heat
    integrity = sections["integrity_section"]
    assert html.escape(report_disclaimer(review)) in integrity
    # flagged units first: the first data row is a unit above its limits, if there is one
    flags = review.assessments["final"].integrity["flag"].astype(str)
    if flags.str.startswith("above").any():
        first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", integrity, re.S).group(1)
        assert "Cao hơn mức dự kiến" in first_row


def report_disclaimer(review) -> str:
    from analysis.present.integrity_words import DISCLAIMER_VI

    return DISCLAIMER_VI


def test_integrity_worded_as_questions(review, rendered):
    integrity = rendered[(DISTRICT, "final")]["integrity_section"]
    assert html.escape(report_disclaimer(review)) in integrity
    assert "Câu hỏi gợi ý cho người thẩm định" in integrity
    sector = rendered[(SECTOR, "final")]["integrity_section"]
    assert "chưa xem xét được" in sector


def test_sector_report_says_villages_do_not_apply(rendered):
    for assessment in ASSESSMENTS:
        villages = _text(rendered[(SECTOR, assessment)]["villages_section"])
        assert "không áp dụng" in villages
        assert "<table" not in rendered[(SECTOR, assessment)]["villages_section"]
    targets = _text(rendered[(SECTOR, "final")]["target_sections"])
    assert "T7. " in targets and "không áp dụng cho Đảng bộ Công an tỉnh" in targets


def test_district_villages_section(rendered):
    villages = _text(rendered[(DISTRICT, "final")]["villages_section"])
    assert "chưa có đảng viên" in villages
    assert "Thay đổi so với năm 2015" in villages
    assert "Trưởng thôn, bản là đảng viên" in villages


def test_data_notes(review, rendered):
    notes = _text(rendered[(DISTRICT, "final")]["data_notes_section"])
    assert "Số liệu là số liệu toàn bộ" in notes
    assert review.fingerprint in notes
    assert "năm 2020" in notes and "chưa đủ cả năm" in notes  # part year in the final review
    midterm = _text(rendered[(DISTRICT, "midterm")]["data_notes_section"])
    assert "chưa đủ cả năm" not in midterm
    findings = review.findings
    mine = findings[findings["unit_code"].astype("string") == DISTRICT]
    if len(mine):
        assert "cảnh báo liên quan đến Huyện Sơn Động" in notes


def test_appendix_is_numbered(rendered):
    appendix = rendered[(SECTOR, "midterm")]["appendix_section"]
    numbers = [int(n) for n in re.findall(r"Phụ lục (\d+)\.", appendix)]
    assert numbers and numbers == sorted(numbers) and numbers[0] == 1


def test_unit_appendix_has_its_own_row_and_the_province_for_comparison(review, rendered):
    """A unit's appendix tables: the unit's row and the province's, labelled as a comparison
    and not as the table's total (issue 13, item 15; the full tables are the province
    report's); the province's: every reporting unit and its totals row."""
    names = review.unit_names()
    others = [names[c] for c in review.reporting_units["code"] if c != DISTRICT]
    unit_rows = re.findall(
        r'<tr class="(unit|total|comparison)"><td class="stt">[^<]*</td><td>([^<]*)</td>',
        rendered[(DISTRICT, "final")]["appendix_section"],
    )
    tables = rendered[(DISTRICT, "final")]["appendix_section"].count('class="phu-luc"')
    assert tables >= 5
    assert unit_rows == [
        ("unit", html.escape(names[DISTRICT])), ("comparison", "Toàn tỉnh (để so sánh)")
    ] * tables
    district = _text(rendered[(DISTRICT, "final")]["appendix_section"])
    assert "để so sánh, không phải dòng cộng của bảng" in district
    assert '<tr class="total">' in rendered[(review.province_code, "final")]["appendix_section"]
    assert "(để so sánh)" not in rendered[(review.province_code, "final")]["appendix_section"]
    province = _text(rendered[(review.province_code, "final")]["appendix_section"])
    assert all(name in province for name in others)
    # the province row is the pooled value of every unit, as in the province report: T1 2018
    t1 = review.assessments["final"].indicators
    t1 = t1[(t1["indicator_id"] == "T1") & (t1["year"] == 2018)]
    total = t1.loc[t1["level"] == "province"].iloc[0]
    units = t1[t1["level"].isin(["district", "sector"])]
    pooled = units["numerator"].sum() / units["denominator"].sum() * 100
    assert total["value"] == pytest.approx(pooled)
    first = rendered[(DISTRICT, "final")]["appendix_section"].split('class="phu-luc"')[1]
    total_row = first.split('<tr class="comparison">')[1].split("</tr>")[0]
    assert f"{pooled:.1f}".replace(".", ",") in total_row


def _tables_of(section: str) -> list[str]:
    return re.findall(r'<table class="phu-luc[^"]*".*?</table>', section, flags=re.S)


def test_no_appendix_table_is_all_dashes_but_said_not_applicable_once(rendered):
    """A sector committee has no communes or villages: its T3a/T3b/T6/T7 tables (Phụ lục
    5–10) would be all "–"; they are named once as not applicable (issue 13, item 15)."""
    section = rendered[(SECTOR, "final")]["appendix_section"]
    for table in _tables_of(section):
        for row in re.findall(r'<tr class="unit">(.*?)</tr>', table, flags=re.S):
            cells = re.findall(r'<td class="num">([^<]*)', row)
            assert cells and set(cells) != {"–"}, row
    text = _text(section)
    assert text.count("không áp dụng") == 1
    assert "Phụ lục 5, 6, 7, 8, 9, 10: không áp dụng đối với Đảng bộ Công an tỉnh" in text
    assert "Phụ lục 5." not in text and "Phụ lục 10." not in text
    assert "không áp dụng" not in _text(rendered[(DISTRICT, "final")]["appendix_section"])


def test_rates_show_numerator_and_denominator(rendered):
    """cong_an 2015 (unit_summary.csv): 20 TCCSĐ, none unrated, 8 + 11 rated good or better:
    T1 = 19/20 = 95,0% with "19/20" under it (issue 13, item 15)."""
    table = _tables_of(rendered[(SECTOR, "final")]["appendix_section"])[0]
    row = re.search(r'<tr class="unit">(.*?)</tr>', table, flags=re.S).group(1)
    assert '<td class="num">95,0<span class="pl-n">19/20</span></td>' in row
    text = _text(rendered[(SECTOR, "final")]["appendix_section"])
    assert "Dưới mỗi tỷ lệ là tử số/mẫu số" in text


def test_rating_tables_by_level_under_both_schemes(rendered):
    """The Đảng bộ's size and its ratings by level, both schemes named (issue 13, item 15).
    cong_an 2015 (unit_summary.csv): 20 TCCSĐ, 2.302 members; 8 TCCSĐ in the top level =
    8/20 = 40,0% of the rated; 266 members in the top level of 2.302 rated = 11,6%."""
    section = rendered[(SECTOR, "final")]["appendix_section"]
    tables = {re.search(r"Phụ lục \d+\. ([^<–]+)", t).group(1).strip(): t
              for t in _tables_of(section) if "pl-rating" in t}
    size = tables["Quy mô Đảng bộ: số tổ chức cơ sở đảng và số đảng viên"]
    assert re.search(r"<td>Số tổ chức cơ sở đảng</td><td class=\"num\">20</td>", size)
    assert re.search(r"<td>Số đảng viên</td><td class=\"num\">2.302</td>", size)
    orgs = tables["Kết quả xếp loại tổ chức cơ sở đảng theo từng mức"]
    members = tables["Kết quả xếp loại đảng viên theo từng mức"]
    for table in (orgs, members):  # final: 2015–2017 under the 2014 scheme, 2018–2020 under 132
        assert '<th colspan="3">Xếp loại theo Hướng dẫn 27-HD/BTCTW (2014)</th>' in table
        assert '<th colspan="3">Xếp loại theo Quy định 132-QĐ/TW (2018)</th>' in table
    assert "Trong sạch, vững mạnh (đến 2017); Hoàn thành xuất sắc nhiệm vụ (từ 2018)" in orgs
    assert '<td class="num">8<span class="pl-n">(40,0%)</span></td>' in orgs
    assert '<td class="num">266<span class="pl-n">(11,6%)</span></td>' in members
    # the province's tables: the sum of the units, a year summed from fewer units marked †
    province = rendered[(PROVINCE_CODE, "final")]["appendix_section"]
    rating = [t for t in _tables_of(province) if "pl-rating" in t]
    assert len(rating) == 3 and all("<th>2017†</th>" in t for t in rating)


# --------------------------------------------------------------------------- escaping
def test_unit_named_script_renders_as_text(review):
    evil = copy.deepcopy(review)
    for frame in (evil.units, evil.reporting_units):
        frame.loc[frame["code"] == DISTRICT, "name"] = EVIL
    for unit in (DISTRICT, evil.province_code):
        sections = _render(evil, unit, "final")
        for name, markup in sections.items():
            assert "<script>alert" not in markup, (unit, name)
        joined = "".join(sections.values())
        assert html.escape(EVIL) in joined


# --------------------------------------------------------------------------- loading
@pytest.fixture(scope="module")
def bundle(review, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "review.pkl"
    path.write_bytes(pickle.dumps(review, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def test_load_context_from_bundle_is_cached(bundle, monkeypatch):
    report.clear_cache()
    monkeypatch.chdir(bundle.parent)
    first = report.load_context(DISTRICT, "final", bundle_path=bundle.name)
    again = report.load_context(SECTOR, "midterm", "", bundle.name, "vi")
    assert again.review is first.review  # the next report reuses the loaded Review
    assert first.unit_name == "Huyện Sơn Động" and not first.is_province
    assert again.is_sector and again.assessment["id"] == "midterm"
    stat = bundle.stat()
    os.utime(bundle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    reloaded = report.load_context(DISTRICT, "final", bundle_path=str(bundle))
    assert reloaded.review is not first.review  # a rewritten bundle is read again


def test_unknown_unit_or_assessment(review, bundle):
    with pytest.raises(ValueError, match="Không có đơn vị báo cáo") as info:
        report.load_context("khong_co", "final", bundle_path=str(bundle))
    assert "son_dong" in str(info.value) and review.province_code in str(info.value)
    with pytest.raises(ValueError, match="Không có kỳ đánh giá") as info:
        report.context_from_review(review, DISTRICT, "giua_ky")
    assert "midterm" in str(info.value) and "final" in str(info.value)
    with pytest.raises(ValueError, match="tiếng Việt"):
        report.load_context(DISTRICT, "final", bundle_path=str(bundle), output_lang="en")


def test_missing_bundle_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="Không tìm thấy"):
        report.load_context(DISTRICT, "final", bundle_path="khong_co.pkl")


def test_input_with_errors_is_refused(monkeypatch, tmp_path):
    import analysis.data.validate as validate

    class Result:
        ok = False
        errors = [object(), object(), object()]

    monkeypatch.setattr(validate, "validate_input", lambda path: Result())
    report.clear_cache()
    with pytest.raises(ValueError, match="python -m analysis validate") as info:
        report.load_context(DISTRICT, "final", data_path=str(tmp_path))
    assert "3 lỗi" in str(info.value)


# --------------------------------------------------------------------------- notebooks
KERNEL = "tccsd-review"


def _ensure_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL],
            check=True,
            capture_output=True,
        )


def _execute(notebook: str, out_dir: Path, parameters: dict):
    import jupytext
    import nbformat
    import papermill

    _ensure_kernel()
    nb = jupytext.read(config.NOTEBOOKS_DIR / notebook)
    source = out_dir / (Path(notebook).stem + ".ipynb")
    nbformat.write(nb, source)
    target = out_dir / (Path(notebook).stem + "_out.ipynb")
    papermill.execute_notebook(
        str(source),
        str(target),
        parameters=parameters,
        kernel_name=KERNEL,
        cwd=str(out_dir),
        progress_bar=False,
    )
    executed = nbformat.read(target, as_version=4)
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.metadata.get("papermill", {}).get("exception"), cell.source
        assert all(o.get("output_type") != "error" for o in cell.get("outputs", []))
    return executed


@pytest.mark.slow
def test_unit_report_notebook_runs(review, tmp_path):
    (tmp_path / "review.pkl").write_bytes(pickle.dumps(review))
    executed = _execute(
        "unit_report.py",
        tmp_path,
        {"unit_code": DISTRICT, "assessment_id": "final", "bundle_path": "review.pkl"},
    )
    shown = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "display_data" and "text/html" in o.get("data", {})
    ]
    assert len(shown) == 9  # title page, leader summary, 6 sections, appendix
    joined = "".join(o["data"]["text/html"] for o in shown)
    assert "Huyện Sơn Động" in joined and "Phụ lục 1." in joined
    assert str(tmp_path) not in DATA_URI.sub("", joined)


@pytest.mark.slow
def test_explore_notebook_runs(tmp_path):
    _execute("explore.py", tmp_path, {"indicator_id": "T4", "unit_codes": ["yen_the", "quan_su"]})


def test_sections_without_detail_data(review):
    """A summary-only input: no integrity, villages or completeness, no findings."""
    import pandas as pd

    bare = copy.copy(review)
    bare.assessments = {k: copy.copy(v) for k, v in review.assessments.items()}
    bare.completeness = None
    bare.findings = review.findings.iloc[0:0]
    for part in bare.assessments.values():
        part.integrity = pd.DataFrame()
        part.village_changes = pd.DataFrame()
        part.villages_latest = pd.DataFrame(columns=["village_code", "commune_code"])
        part.heads_by_commune = pd.DataFrame()
    for unit in (DISTRICT, bare.province_code):
        ctx = report.context_from_review(bare, unit, "final")
        integrity = _text(report.integrity_section(ctx).data)
        assert "chưa xem xét được" in integrity
        villages = _text(report.villages_section(ctx).data)
        assert "Không có số liệu" in villages or "không có số liệu" in villages
        notes = _text(report.data_notes_section(ctx).data)
        assert "không có cảnh báo nào" in notes
