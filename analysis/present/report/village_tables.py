"""The village section's tables: villages at risk, changes since the baseline, heads."""

from __future__ import annotations

import html

import pandas as pd

from analysis import params
from analysis.present import labels as L
from analysis.present.formats import MISSING, fmt_number, fmt_percent, is_missing
from analysis.present.report.common import indicator_row
from analysis.present.report.context import ReportContext
from analysis.present.report.render import esc, html_table, paragraph

__all__ = ["change_tables", "heads_table", "village_table"]


MAX_VILLAGE_ROWS = 60

MAX_COMMUNE_ROWS = 20


def village_table(ctx: ReportContext, rows: pd.DataFrame, communes: dict[str, str]) -> str:
    names = ctx.unit_names
    rows = rows.sort_values(["party_members", "commune_code", "village_code"], kind="mergesort")
    shown = rows.head(MAX_VILLAGE_ROWS)
    records = []
    for row in shown.itertuples(index=False):
        members = row.party_members
        head = getattr(row, "head_is_member", None)
        record = {
            "Thôn, bản": esc(names.get(row.village_code, row.village_code)),
            "Xã, phường, thị trấn": esc(communes.get(row.commune_code, row.commune_code)),
        }
        if ctx.is_province:
            parent = ctx.review.units.loc[
                ctx.review.units["code"] == row.commune_code, "parent_code"
            ]
            unit = str(parent.iloc[0]) if len(parent) else ""
            record["Đơn vị"] = esc(L.short_name(names.get(unit, unit)))
        record.update(
            {
                "Số đảng viên": html.escape(fmt_number(members)),
                "Tình trạng": "Chưa có đảng viên"
                if not is_missing(members) and int(members) == 0
                else "Nguy cơ “tái trắng”",
                "Trưởng thôn là đảng viên": MISSING
                if head is None or is_missing(head)
                else ("Có" if bool(head) else "Không"),
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    table = html_table(
        frame,
        f"villages_{ctx.unit_code}",
        f"Thôn, bản chưa có đảng viên hoặc chỉ có 1–2 đảng viên năm {ctx.latest_year}",
        numeric=["Số đảng viên"],
        centre=["Trưởng thôn là đảng viên"],
        css="long" if len(frame) > 15 else "avoid-break",
    )
    if len(rows) > len(shown):
        table += paragraph(f"… và {fmt_number(len(rows) - len(shown))} thôn khác.", "note")
    return table


def change_tables(ctx: ReportContext, changes: pd.DataFrame, communes: dict[str, str]) -> str:
    names = ctx.unit_names
    latest = ctx.latest_year
    counts = changes["change"].value_counts()
    changes_vi = L.phrases()["village_changes"]
    order = [c for c in changes_vi if c in counts.index]
    order += sorted(c for c in counts.index if c not in changes_vi)
    summary = pd.DataFrame(
        {
            "Tình hình đến năm " + str(latest): [
                html.escape(changes_vi.get(c, str(c))) for c in order
            ],
            "Số thôn": [html.escape(fmt_number(int(counts[c]))) for c in order],
        }
    )
    parts = [
        html_table(
            summary,
            f"village_changes_{ctx.unit_code}",
            f"Thôn, bản chưa có đảng viên từ năm {ctx.baseline_year} đến năm {latest}: "
            "tình hình đến năm cuối",
            numeric=["Số thôn"],
        )
    ]
    details = changes.sort_values(["change", "village_code"], kind="mergesort")
    shown = details.head(MAX_VILLAGE_ROWS)
    records = []
    for row in shown.itertuples(index=False):
        merged = getattr(row, "merged_into", None)
        note = ""
        if not is_missing(merged) and merged:
            note = "Sáp nhập vào " + str(names.get(merged, merged))
        records.append(
            {
                "Thôn, bản": esc(names.get(row.village_code, row.village_code)),
                "Xã, phường, thị trấn": esc(communes.get(row.commune_code, row.commune_code)),
                f"Đảng viên năm {ctx.baseline_year}": html.escape(fmt_number(row.members_from)),
                f"Đảng viên năm {latest}": html.escape(fmt_number(row.members_to)),
                "Tình hình": html.escape(changes_vi.get(str(row.change), str(row.change))),
                "Ghi chú": html.escape(note),
            }
        )
    frame = pd.DataFrame(records)
    parts.append(
        html_table(
            frame,
            f"village_change_list_{ctx.unit_code}",
            "Danh sách các thôn, bản",
            numeric=[f"Đảng viên năm {ctx.baseline_year}", f"Đảng viên năm {latest}"],
            css="long" if len(frame) > 15 else "avoid-break",
        )
    )
    if len(details) > len(shown):
        parts.append(paragraph(f"… và {fmt_number(len(details) - len(shown))} thôn khác.", "note"))
    return "\n".join(parts)


def commune_heads_table(
    ctx: ReportContext, rows: pd.DataFrame, communes: pd.DataFrame, caption: str
) -> str:
    """Communes (lowest share first) with their villages, heads who are members and share."""
    names = dict(zip(communes["code"], communes["name"], strict=False))
    parents = dict(zip(communes["code"], communes["parent_code"], strict=False))
    records = []
    for row in rows.itertuples(index=False):
        record = {"Xã, phường, thị trấn": esc(names.get(row.commune_code, row.commune_code))}
        if ctx.is_province:
            unit = parents.get(row.commune_code, "")
            record["Đơn vị"] = esc(L.short_name(ctx.unit_names.get(unit, unit)))
        record.update(
            {
                "Số thôn": html.escape(fmt_number(row.villages)),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(row.heads_members)),
                "Tỷ lệ": html.escape(fmt_percent(row.share)),
            }
        )
        records.append(record)
    frame = pd.DataFrame(records)
    return html_table(
        frame,
        f"heads_communes_{ctx.unit_code}",
        caption,
        numeric=["Số thôn", "Trưởng thôn là đảng viên", "Tỷ lệ"],
        css="long" if len(frame) > 15 else "avoid-break",
    )


def heads_table(
    ctx: ReportContext,
    heads: pd.DataFrame,
    communes: pd.DataFrame,
    summary_units: list[str] | tuple[str, ...] = (),
) -> str:
    target = params.targets()["targets"].get("T6", {})
    target_text = (
        L.target_text(target["op"], target["value"], "percent")
        + " "
        + L.target_kind_text(target.get("kind"), target.get("year"))
        if target
        else ""
    ).strip()
    rows = heads.sort_values(["share", "commune_code"], kind="mergesort")
    if not ctx.is_province:
        caption = (
            f"Trưởng thôn, bản là đảng viên năm {ctx.latest_year}, theo xã (tỷ lệ thấp trước)"
            + (f"; chỉ tiêu {target_text}" if target_text else "")
        )
        return commune_heads_table(ctx, rows, communes, caption)
    merged = heads.merge(communes[["code", "parent_code"]], left_on="commune_code", right_on="code")
    below_target = merged["share"] < float(target.get("value", 0))
    grouped = (
        merged.assign(_below=below_target)
        .groupby("parent_code", sort=False)
        .agg(
            communes=("commune_code", "size"),
            villages=("villages", "sum"),
            heads=("heads_members", "sum"),
            below=("_below", "sum"),
        )
    )
    records = []
    for code in [c for c in ctx.reporting_names if c in grouped.index]:
        g = grouped.loc[code]
        records.append(
            {
                "Đơn vị": esc(ctx.reporting_names[code]),
                "Số xã": html.escape(fmt_number(g["communes"])),
                "Số thôn": html.escape(fmt_number(g["villages"])),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(g["heads"])),
                "Tỷ lệ": html.escape(fmt_percent(100.0 * g["heads"] / g["villages"]))
                if g["villages"]
                else MISSING,
                "Số xã có tỷ lệ dưới chỉ tiêu": html.escape(fmt_number(g["below"])),
            }
        )
    for code in summary_units:
        row = indicator_row(ctx, "T6", code, ctx.latest_year)
        if row is None:
            continue
        records.append(
            {
                "Đơn vị": esc(
                    L.text("villages.heads_summary_row", unit=ctx.reporting_names[code])
                ),
                "Số xã": MISSING,
                "Số thôn": html.escape(fmt_number(row["denominator"])),
                "Trưởng thôn là đảng viên": html.escape(fmt_number(row["numerator"])),
                "Tỷ lệ": html.escape(fmt_percent(row["value"])),
                "Số xã có tỷ lệ dưới chỉ tiêu": MISSING,
            }
        )
    frame = pd.DataFrame(records)
    caption = f"Trưởng thôn, bản là đảng viên năm {ctx.latest_year}, theo đơn vị" + (
        f" (chỉ tiêu {target_text})" if target_text else ""
    )
    parts = [html_table(frame, f"heads_{ctx.unit_code}", caption, numeric=list(frame.columns[1:]))]
    lowest = rows.head(MAX_COMMUNE_ROWS)
    parts.append(
        commune_heads_table(
            ctx,
            lowest,
            communes,
            f"{fmt_number(len(lowest))} xã, phường, thị trấn có tỷ lệ trưởng thôn là đảng viên "
            f"thấp nhất năm {ctx.latest_year}",
        )
    )
    if len(rows) > len(lowest):
        parts.append(
            paragraph(
                f"Trong {fmt_number(len(rows))} xã, phường, thị trấn có số liệu, "
                f"{fmt_number(int(below_target.sum()))} xã có tỷ lệ dưới chỉ tiêu; danh sách "
                "đầy đủ theo xã có trong báo cáo của từng huyện, thành phố.",
                "note",
            )
        )
    return "\n".join(parts)
