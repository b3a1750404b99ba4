"""The README of the demo folder (:func:`demo_readme`): what was planted, and the summary-column
mapping.
"""

from __future__ import annotations

import pandas as pd

from analysis import params
from analysis.data import schema
from analysis.data.synthetic.bac_giang import (
    HIGH_RATING_DISTRICT,
    LOW_ADMISSION_YEAR,
    MERGER_YEAR,
    MISSING_YEAR,
    MOUNTAIN_STORY,
    SUMMARY_AND_DETAIL,
    SUMMARY_ONLY,
    DemoMeta,
)
from analysis.data.synthetic.helpers import sort_rows
from analysis.data.synthetic.summary import SUMMARY_MAPPING, summarize_detail
from analysis.data.synthetic.vocab import RATING_COEF

# --------------------------------------------------------------------------------------------
# README of the demo folder
# --------------------------------------------------------------------------------------------


def province_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``unit_summary`` rows of every reporting unit: from detail where sent, else as sent."""
    detail = summarize_detail(tables)
    sent = tables["unit_summary"]
    only = sorted(set(sent["unit_code"]) - set(detail["unit_code"]))
    out = pd.concat([detail, sent.loc[sent["unit_code"].isin(only)]], ignore_index=True)
    return sort_rows("unit_summary", out)


def _pct(num, den) -> str:
    return "–" if not den else f"{100 * num / den:.1f}"


def _md_table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def demo_readme(tables: dict[str, pd.DataFrame], meta: DemoMeta, seed: int) -> str:
    """The README.md written next to the demo CSV files (stories, mapping, figures)."""
    s = province_summary(tables)
    s = s.assign(
        gp=s["orgs_excellent"] + s["orgs_good"],
        rated=s["orgs_total"] - s["orgs_not_rated"],
        m_gp=s["members_excellent"] + s["members_good"],
        m_rated=s["members_total"] - s["members_not_rated"],
    )
    prov = s.groupby("year").sum(numeric_only=True)
    orgs = tables["organizations"]
    vil = tables["villages"]
    years = [int(y) for y in prov.index]
    fig_rows = []
    for y in years:
        r = prov.loc[y]
        fig_rows.append([
            y, int(r.orgs_total), int(r.members_total), int(r.admissions),
            _pct(r.gp, r.rated), _pct(r.m_gp, r.m_rated), int(r.villages_total),
            int(r.villages_no_members), int(r.villages_at_risk),
            _pct(r.villages_head_member, r.villages_total),
            _pct(r.cells_monthly, r.cells_total),
        ])
    pooled = s.groupby("unit_code").sum(numeric_only=True)
    unit_rows = []
    for u in pooled.index:
        r = pooled.loc[u]
        first = s.loc[(s["unit_code"] == u) & (s["year"] == years[0])]
        last = s.loc[(s["unit_code"] == u) & (s["year"] == years[-1])]

        def at(df, col):
            v = df[col].iloc[0] if len(df) else pd.NA
            return "–" if pd.isna(v) else int(v)

        def share(df, num, den):
            if not len(df) or pd.isna(df[den].iloc[0]):
                return "–"
            return _pct(df[num].iloc[0], df[den].iloc[0])

        unit_rows.append([
            f"`{u}`", "summary" if u in SUMMARY_ONLY else (
                "detail + summary" if u in SUMMARY_AND_DETAIL else "detail"),
            _pct(r.gp, r.rated), _pct(r.orgs_excellent, r.rated),
            _pct(r.cells_monthly, r.cells_total), _pct(r.cells_thematic, r.cells_total),
            share(first, "villages_head_member", "villages_total"),
            share(last, "villages_head_member", "villages_total"),
            at(first, "villages_no_members"), at(last, "villages_no_members"),
        ])
    rated = orgs["members_total"] - orgs["members_not_rated"]
    cap = orgs.loc[(orgs["year"] >= 2019)
                   & (orgs["members_excellent"] > 0.2 * orgs["members_good"])]
    xs = orgs.loc[(orgs["rating"] == "xuat_sac")
                  & (orgs["members_excellent"] + orgs["members_good"] < 0.8 * rated)]
    white = meta.whites
    shown = set(vil["village_code"])

    def codes(vs):
        return ", ".join(f"`{v}`" for v in vs if v in shown) or "–"

    adm = {y: int(prov.loc[y, "admissions"]) for y in years}
    head = s.assign(h=100 * s["villages_head_member"] / s["villages_total"]).dropna(subset="h")

    def head_range(year, mountain):
        h = head.loc[(head["year"] == year) & (head["unit_code"].isin(MOUNTAIN_STORY) == mountain)]
        return f"{h['h'].min():.0f}–{h['h'].max():.0f}%"

    late = s.loc[s["year"] >= 2018]
    late_hh = late.loc[late["unit_code"] == HIGH_RATING_DISTRICT]
    hh_top = _pct(late_hh["orgs_excellent"].sum(), late_hh["rated"].sum())
    prov_top = _pct(late["orgs_excellent"].sum(), late["rated"].sum())
    hh_gp = s.loc[s["unit_code"] == HIGH_RATING_DISTRICT]
    hh_gp = _pct(hh_gp["gp"].sum(), hh_gp["rated"].sum())
    target = params.targets()["targets"]["T5"]["value"]
    lines = [
        "# Demo data: Bắc Giang 2015–2020 (synthetic)",
        "",
        "Written by `analysis/data/demo.py` (`python -m analysis.data.demo`, or "
        f"`write_demo()`), seed {seed}. Do not edit by hand: a test checks that these files equal "
        "a fresh generation. **Every figure is invented**; district names are real, commune and "
        "village names are made up from syllable lists (any match with a real place is chance), "
        "and no person is named anywhere.",
        "",
        "## Files",
        "",
    ]
    lines += _md_table(
        ["file", "rows", "content"],
        [[f"`{n}.csv`", len(tables[n]), schema.table(n).description_vi] for n in schema.tables()],
    )
    lines += [
        "",
        "UTF-8 without BOM, `\\n` line ends, rows sorted by the table key; codes and enum values "
        "are vocabulary codes, booleans `co`/`khong`, empty = not applicable.",
        "",
        "## Who sends what (input levels)",
        "",
        "- **Summary only** (`unit_summary`, no detail): "
        f"{', '.join(f'`{u}`' for u in SUMMARY_ONLY)}. `luc_ngan` therefore has no village or "
        "officials detail; its village and officials "
        "counts are in its summary rows. Its communes are in `units.csv` (they are the "
        "province's catalogue), its villages are not.",
        f"- **Detail and summary**: {', '.join(f'`{u}`' for u in SUMMARY_AND_DETAIL)}. Their "
        "summary rows equal the aggregation of their detail exactly (the cross-check passes).",
        "- **Detail only**: the other districts.",
        f"- **A missing year**: `{MISSING_YEAR[0]}` sends nothing for {MISSING_YEAR[1]} "
        "(no organizations, villages, officials or summary rows).",
        "",
        "## Codes and mergers",
        "",
        "- Districts and sector committees use the codes of `params/units.yaml`; the province is "
        f"`{params.plan()['province_code']}`.",
        "- Commune: `<district>_<ascii name>` (e.g. `son_dong_...`); village: "
        "`<commune>_<NN>`; TCCSĐ of a commune: `<commune>_db`; other TCCSĐ: "
        "`<unit>_tNNN`.",
        f"- **Commune mergers, effective {MERGER_YEAR}**: 40 communes merged into 19 "
        "(230 → 209; removed per district = before − after of domain-rules §3). Each group of "
        "2–3 old communes gets a NEW commune with a new code and name (`first_year` "
        f"{MERGER_YEAR}); the old ones have `last_year` {MERGER_YEAR - 1}; `crosswalk.csv` maps "
        f"old → new with `effective_year` {MERGER_YEAR}. From {MERGER_YEAR} the TCCSĐ, villages "
        "and officials of those communes report under the new commune code (new TCCSĐ code "
        "`<new commune>_db`).",
        "- **Village mergers, effective 2019 or 2020** (about 200 in the province, fewer listed "
        "because `luc_ngan` sends no village detail): a small village is *absorbed into an "
        "existing neighbour of the same commune*, which keeps its code; `crosswalk.csv` maps "
        "old village → absorbing village with the first year reported under it, and the old "
        "village's `last_year` is the year before.",
        f"- **Villages of merged communes are re-coded in {MERGER_YEAR}** under the new commune "
        f"(`<new commune>_<NN>`, same name, `first_year` {MERGER_YEAR}); `crosswalk.csv` maps "
        f"old → new with `effective_year` {MERGER_YEAR} and the old code ends in "
        f"{MERGER_YEAR - 1}. So every village code has one parent commune, and `commune_code` "
        "in `villages.csv` always equals the village's `parent_code` in `units.csv`. Follow "
        "the crosswalk (it chains: absorbed in 2019, then re-coded in 2020) to join a "
        "village's years.",
        "",
        "## Stories a review should find",
        "",
        "1. **Mountain districts behind on villages** (`son_dong`, `luc_ngan`, `luc_nam`, "
        f"`yen_the`): fewer village heads who are members ({head_range(years[0], True)} in "
        f"{years[0]} against {head_range(years[0], False)} elsewhere; "
        f"{head_range(years[-1], True)} against {head_range(years[-1], False)} in {years[-1]}) "
        "and nearly all villages without members "
        f"(thôn trắng: {int(prov.loc[years[0], 'villages_no_members'])} in {years[0]}, "
        f"{int(prov.loc[years[-1], 'villages_no_members'])} in {years[-1]}; T7 = 0 is missed). "
        f"Fixed by admission (0 → ≥1): {len(white['admission'])} villages, e.g. "
        f"{codes(white['admission'][:4])}; merged away: {len(white['merger'])}, e.g. "
        f"{codes(white['merger'][:3])}; never fixed: {codes(white['never'])}; re-whitened "
        f"(0 → 2 in 2016 → 0 from 2019): {codes(white['rewhite'])}; re-whitened and fixed again "
        f"(0 → 1 in 2016 → 0 in 2018 → 2 in 2019): {codes(white['rewhite_fixed'])}. Villages "
        "at risk (1–2 members) are a few dozen, and rise as former thôn trắng get their first "
        "one or two members.",
        f"2. **Implausibly high ratings in `{HIGH_RATING_DISTRICT}`**: {hh_gp}% of its TCCSĐ "
        f"good or better over 2015–2020 and {hh_top}% at rank 1 (`xuat_sac`) from 2018 "
        f"(province {prov_top}%), while its monthly and thematic meeting records are the worst "
        f"in the province. {len(xs)} of its `xuat_sac` org-years have fewer than 80% of rated "
        "members good or better "
        f"({', '.join(f'`{c}` {y}' for y, c in zip(xs['year'], xs['org_code'], strict=True))}).",
        f"3. **Admissions short of the target in {LOW_ADMISSION_YEAR}**: "
        + ", ".join(f"{y}: {adm[y]:,}" for y in years)
        + f" (target ≥ {target:,}; {MISSING_YEAR[1]} without `{MISSING_YEAR[0]}`). Published "
        "district figures are kept: `son_dong` 135 and `hiep_hoa` 195 in 2017.",
        f"4. **A district missing one year**: `{MISSING_YEAR[0]}` has no rows for "
        f"{MISSING_YEAR[1]}.",
        "5. **Mixed input levels** as listed above; the summary rows of `tp_bac_giang` and "
        "`viet_yen` cross-check exactly against their detail.",
        "",
        "Also planted: the province misses T1 (TCCSĐ good or better ≥ 90%) in 2015 and 2018 (the "
        "first year of the stricter 2018 scheme) and meets it in the other years; the 20% cap on "
        "excellent members (from 2019) is broken by "
        f"{', '.join(f'`{c}` {y}' for y, c in zip(cap['year'], cap['org_code'], strict=True))}; "
        "T2, T3a, T3b, P1, P4, P11, P15, P16 approach but do not reach 100%. Ratings follow the "
        "2014 scheme (`trong_sach_vung_manh`, `tot`, `hoan_thanh`, `yeu_kem`) for 2015–2017 and "
        "the 2018 scheme (`xuat_sac`, `tot`, `hoan_thanh`, `khong_hoan_thanh`) from 2018; about "
        "1–2% of TCCSĐ (formed during the year) are `chua_xep_loai`.",
        "",
        "**Rating model.** Stage 1 (good or better): logit = year intercept + org-type effect + "
        f"unit effect + {RATING_COEF['monthly']}·(cells_monthly/cells_total) + "
        f"{RATING_COEF['thematic']}·(cells_thematic/cells_total) "
        f"{RATING_COEF['disciplined']:+}·[members_disciplined > 0] + "
        f"{RATING_COEF['checks']}·supervision_checks + {RATING_COEF['quality']}·N(0,1) "
        "persistent TCCSĐ effect; the year intercept is set so the province hits its yearly "
        "share. A logistic fit with year and org-type effects and a `hiep_hoa` indicator "
        "recovers the slopes (attenuated slightly by the persistent effect). Remediation plans "
        "exist only for TCCSĐ rated below good. TCCSĐ with more than 20% of rated members failed "
        "are rated rank 4.",
        "",
        "## Province figures (detail aggregated + summary-only units)",
        "",
    ]
    lines += _md_table(
        ["year", "TCCSĐ", "members", "admissions", "% TCCSĐ good+", "% members good+",
         "villages", "thôn trắng", "at risk", "% heads members", "% cells monthly"],
        fig_rows,
    )
    lines += ["", "## By reporting unit (rates pooled over the years sent)", ""]
    lines += _md_table(
        ["unit", "sends", "% TCCSĐ good+", "% rank 1", "% monthly", "% thematic",
         f"% heads {years[0]}", f"% heads {years[-1]}", f"thôn trắng {years[0]}",
         f"thôn trắng {years[-1]}"],
        unit_rows,
    )
    lines += [
        "",
        "## `unit_summary` columns ← detail",
        "",
        "One row per reporting unit and year; `analysis.data.demo.summarize_detail` is the "
        "implementation (organizations by `reporting_unit`; villages and officials by the "
        "`parent_code` of their `commune_code` in `units.csv`). Villages and officials columns "
        "are empty for sector committees.",
        "",
    ]
    lines += _md_table(
        ["column", "from detail"],
        [[", ".join(f"`{c}`" for c in k.split(", ")), v] for k, v in SUMMARY_MAPPING.items()],
    )
    return "\n".join(lines) + "\n"
