"""One Vietnamese sentence per target, and integrity flags worded as questions.

The sentence only restates numbers the progress frame already holds (latest value, target,
baseline, years met, verdict); the differences it prints are the plain subtraction a reader would
do in their head. Nothing here judges: the verdict is the measure wing's.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from analysis import params
from analysis.measure.progress import plan_shares
from analysis.present import labels as L
from analysis.present.formats import (
    MISSING,
    fmt_count,
    fmt_number,
    fmt_percent,
    fmt_points,
    fmt_value,
    is_missing,
    to_decimal,
)

__all__ = [
    "change_clause",
    "latest_year_note",
    "plan_clause",
    "yearly_clause",
    "flag_question",
    "gap_clause",
    "indicator_sentence",
    "not_assessable_reason",
    "projection_clause",
    "projection_meaningful",
]


def _get(row: Mapping[str, Any] | Any, key: str) -> Any:
    try:
        value = row[key]
    except (KeyError, IndexError):
        return None
    return None if is_missing(value) else value


def _diff_text(diff: float, unit: str, noun: str) -> str:
    """|diff| in the unit of a difference; a non-zero gap that rounds to 0 reads "chưa đến 0,1"."""
    size = abs(diff)
    if unit == "percent":
        if diff != 0 and to_decimal(size, 1) == 0:
            return "chưa đến " + fmt_points(0.1)
        return fmt_points(size)
    if diff != 0 and to_decimal(size, 0) == 0:
        return "chưa đến " + fmt_count(1, noun)
    return fmt_count(size, noun)


def _year(value: Any) -> int | None:
    return None if is_missing(value) else int(value)


def gap_clause(
    value: float,
    op: str,
    target: float,
    unit: str = "percent",
    noun: str = "",
    target_label: str = "chỉ tiêu",
) -> str:
    """How ``value`` stands against the target: ``"thấp hơn chỉ tiêu 1,6 điểm phần trăm"``,
    ``"vượt chỉ tiêu 112 người"``, ``"bằng chỉ tiêu"``…

    A longer ``target_label`` (``"chỉ tiêu năm 2020 (100%)"``) puts the size first:
    ``"thấp hơn 3,5 điểm phần trăm so với chỉ tiêu năm 2020 (100%)"``.
    """
    if op not in L.TARGET_OPS:
        raise ValueError(f"Phép so sánh của chỉ tiêu không hợp lệ: {op!r}")
    diff = float(value) - float(target)
    size = _diff_text(diff, unit, noun)
    short = target_label == "chỉ tiêu"

    def compare(word: str) -> str:
        return f"{word} {target_label} {size}" if short else f"{word} {size} so với {target_label}"

    if diff == 0:
        if op in (">=", "==", "<="):
            return f"hoàn thành {target_label}" if op == "==" else f"bằng {target_label}"
        wanted = "vượt" if op == ">" else "thấp hơn"
        return f"bằng mức {target_label} nhưng chưa {wanted} như yêu cầu"
    if op in (">=", ">"):
        return compare("vượt" if diff > 0 and short else "cao hơn" if diff > 0 else "thấp hơn")
    if op == "==":
        return compare("cao hơn" if diff > 0 else "thấp hơn")
    # "<=" and "<": a ceiling
    if diff < 0:
        return f"trong giới hạn {target_label}"
    return compare("cao hơn mức tối đa của" if short else "cao hơn")


def _printed(value: float, unit: str) -> Decimal:
    """The value as the reader sees it: a percent to 1 decimal, a count whole."""
    return to_decimal(float(value), 1 if unit == "percent" else 0)


def change_clause(
    latest: float,
    baseline: float,
    baseline_year: int,
    unit: str = "percent",
    noun: str = "",
    *,
    show_baseline: bool = True,
) -> str:
    """``"so với năm 2015 (86,3%) tăng 2,1 điểm phần trăm"`` / ``"giảm 12 thôn"`` /
    ``"không thay đổi"``.

    The change is the difference of the two values **as printed** (a percent to one decimal,
    a count whole), so a reader who subtracts the printed numbers gets the printed change:
    86,34% → 88,36% prints 86,3% → 88,4%, "tăng 2,1" (not the 2,0 of the raw values). Two
    values that print alike but differ read "gần như không thay đổi". ``show_baseline``
    prints the baseline value beside its year.
    """
    diff = _printed(latest, unit) - _printed(baseline, unit)
    lead = f"so với năm {baseline_year}"
    if show_baseline:
        lead += f" ({fmt_value(baseline, unit, noun)})"
    if diff == 0:
        same = float(latest) == float(baseline)
        return f"{lead} {'không thay đổi' if same else 'gần như không thay đổi'}"
    size = fmt_points(abs(diff)) if unit == "percent" else fmt_count(abs(diff), noun)
    return f"{lead} {'tăng' if diff > 0 else 'giảm'} {size}"


def _verdict_clause(verdict: Any, reason: str | None = None) -> str:
    text = f"đánh giá: {L.verdict_word(verdict)}"
    if reason:
        text += f" ({reason.strip().rstrip('.')})"
    return text


def not_assessable_reason(row: Mapping[str, Any] | Any) -> str | None:
    """Why a progress row could not be assessed, in Vietnamese, read from its fields (the
    measure wing's ``note`` is an English trace for analysts and never printed)."""
    baseline_year = _year(_get(row, "baseline_year"))
    latest_year = _year(_get(row, "latest_year"))
    target_year = _year(_get(row, "target_year"))
    if _get(row, "baseline_value") is None:
        return f"không có số liệu năm gốc {baseline_year}" if baseline_year else "không có năm gốc"
    if latest_year is None or latest_year == baseline_year:
        return "mới có số liệu năm gốc"
    if target_year is None or (baseline_year is not None and target_year <= baseline_year):
        return "chưa xác định năm phải đạt chỉ tiêu"
    return None


def latest_year_note(year: int) -> str:
    """``"năm mới nhất có số liệu: 2016"``: said wherever a unit is judged on a year older
    than the assessment's latest."""
    return f"năm mới nhất có số liệu: {int(year)}"


def _missed_years(row: Mapping[str, Any] | Any) -> list[int]:
    text = _get(row, "years_missed")
    if not text:
        return []
    return [int(y) for y in str(text).split(";") if y.strip()]


def yearly_clause(
    row: Mapping[str, Any] | Any,
    unit: str = "percent",
    noun: str = "",
    yearly_values: Mapping[int, float] | None = None,
) -> str:
    """How a yearly target went over the period: ``"đạt chỉ tiêu 3/4 năm, chưa đạt năm 2016:
    2.205 người"`` (several years: ``"…, chưa đạt năm 2016: 88,0%, năm 2018: 89,3%"``);
    ``"đạt chỉ tiêu cả 4/4 năm"``; ``""`` when the row assessed no year."""
    met, assessed = _get(row, "years_met"), _get(row, "years_assessed")
    if not assessed:
        return ""
    met, assessed = int(met or 0), int(assessed)
    if met == assessed:
        return f"đạt chỉ tiêu cả {met}/{assessed} năm"
    head = f"đạt chỉ tiêu {met}/{assessed} năm"
    missed = _missed_years(row)
    if not missed:
        return head
    values = yearly_values or {}
    parts = []
    for year in missed:
        value = values.get(year)
        shown = "" if is_missing(value) else f": {fmt_value(value, unit, noun)}"
        parts.append(f"năm {year}{shown}")
    return f"{head}, chưa đạt " + ", ".join(parts)


def plan_clause(
    row: Mapping[str, Any] | Any,
    unit: str = "count",
    yearly_values: Mapping[int, float] | None = None,
) -> str:
    """A yearly plan (admissions) as users say it: ``"so với kế hoạch 170 người/năm: năm
    2016 đạt 84,1%, năm 2017 đạt 79,4%; cả giai đoạn 2016–2017 đạt 81,8% kế hoạch"``.

    Only for a yearly count target with a floor (the progress row's ``plan_share`` is set);
    each year's share is ``100 · value / plan`` (:func:`analysis.measure.progress.plan_shares`).
    """
    total = _get(row, "plan_share")
    target = _get(row, "target_value")
    if unit != "count" or total is None or not target or not yearly_values:
        return ""
    noun = L.count_noun(_get(row, "indicator_id") or "") or ""
    shares = plan_shares({int(y): v for y, v in yearly_values.items()}, float(target))
    years = [y for y, v in shares.items() if not is_missing(v)]
    if not years:
        return ""
    each = ", ".join(f"năm {y} đạt {fmt_percent(shares[y])}" for y in years)
    plan = fmt_count(target, noun) + "/năm"
    period = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return (
        f"so với kế hoạch {plan}: {each}; cả giai đoạn {period} đạt {fmt_percent(total)} "
        "kế hoạch"
    )


def indicator_sentence(
    row: Mapping[str, Any] | Any,
    name_vi: str,
    unit: str = "percent",
    *,
    noun: str | None = None,
    partial: bool = False,
    with_projection: bool = False,
    reason_vi: str | None = None,
    yearly_values: Mapping[int, float] | None = None,
    expected_year: int | None = None,
) -> str:
    """One sentence for one target of one reporting unit, from a row of the progress frame.

    Parameters
    ----------
    row
        A progress-frame row (``Series`` or mapping) with ``indicator_id, verdict,
        baseline_year, baseline_value, latest_year, latest_value, target_op, target_value,
        target_kind, target_year, years_met, years_assessed`` (and ``projected_*`` when
        ``with_projection``). Its ``note`` (English, for analysts) is not printed.
    name_vi
        The indicator's Vietnamese name, e.g. ``"Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên"``.
    unit
        ``"percent"`` (0–100) or ``"count"``.
    noun
        What a count counts (``"người"``, ``"thôn"``); default from ``labels_vi.yaml``.
    partial
        The latest value is incomplete (part year, or not every unit reported): says so.
    with_projection
        Add the projected value at the target year and its interval, when given.
    reason_vi
        Why a ``not_assessable`` verdict, in Vietnamese; default read from the row's fields
        (:func:`not_assessable_reason`).
    yearly_values
        Year → value of the assessed years (after the baseline, full years only): a yearly
        target then names each year missed with its value, and a yearly plan (admissions)
        says how much of it each year and the whole period reached.
    expected_year
        The assessment's latest data year: a unit whose latest value is older says so
        ("năm 2016 (năm mới nhất có số liệu: 2016; chưa có số liệu năm 2017)").

    Returns
    -------
    str
        E.g. ``"Tỷ lệ TCCSĐ hoàn thành tốt nhiệm vụ trở lên năm 2017 đạt 88,4%, thấp hơn chỉ
        tiêu 1,6 điểm phần trăm; so với năm 2015 (86,3%) tăng 2,1 điểm phần trăm; đạt chỉ tiêu
        1/3 năm, chưa đạt năm 2016: 88,0%, năm 2017: 88,4%; đánh giá: Cần đẩy nhanh."``
    """
    if unit not in ("percent", "count"):
        raise ValueError(f"Đơn vị chỉ tiêu không hợp lệ: {unit!r} (cần 'percent' hoặc 'count')")
    indicator_id = _get(row, "indicator_id") or ""
    noun = L.count_noun(indicator_id) if noun is None else noun
    noun = noun if unit == "count" else ""
    verdict = _get(row, "verdict")
    reason = None
    if verdict in (None, "not_assessable"):
        reason = reason_vi or not_assessable_reason(row)
    latest = _get(row, "latest_value")
    latest_year = _year(_get(row, "latest_year"))
    op, target = _get(row, "target_op"), _get(row, "target_value")
    kind, target_year = _get(row, "target_kind"), _year(_get(row, "target_year"))
    name = name_vi.strip()

    if latest is None or latest_year is None:
        baseline, baseline_year = _get(row, "baseline_value"), _year(_get(row, "baseline_year"))
        if baseline is not None and baseline_year is not None:
            head = (
                f"{name} năm {baseline_year} (năm gốc) {'đạt' if unit == 'percent' else 'là'} "
                f"{fmt_value(baseline, unit, noun)}; chưa có số liệu các năm sau"
            )
            return f"{head}; {_verdict_clause(verdict)}."
        if reason and reason.startswith("không có số liệu năm gốc"):
            return f"{name}: {reason}; {_verdict_clause(verdict)}."
        return f"{name}: chưa có số liệu; {_verdict_clause(verdict)}."

    year_text = f"năm {latest_year}" + (" (số liệu chưa đầy đủ)" if partial else "")
    if expected_year is not None and latest_year < int(expected_year):
        year_text += (
            f" ({latest_year_note(latest_year)}; chưa có số liệu năm {int(expected_year)})"
        )
    has_target = op is not None and target is not None
    before_target_year = kind == "by_year" and target_year is not None and latest_year < target_year
    if has_target and before_target_year:
        target_label = (
            f"chỉ tiêu năm {target_year} ({L.target_text(op, target, unit, noun, bare_equal=True)})"
        )
    else:
        target_label = "chỉ tiêu"

    clauses: list[str] = []
    countdown = unit == "count" and has_target and op in ("==", "<=") and float(target) == 0
    if countdown:
        thing = L.remaining_phrase(indicator_id, name)
        goal = L.target_text(op, target, unit, noun, bare_equal=True)
        if float(latest) == 0:
            head = f"Đến {year_text}, không còn {thing}, đạt chỉ tiêu"
        elif before_target_year:
            head = f"Đến {year_text}, còn {fmt_number(latest)} {thing} "
            head += f"(chỉ tiêu đến năm {target_year}: {goal})"
        else:
            head = f"Đến {year_text}, còn {fmt_number(latest)} {thing}, chưa đạt chỉ tiêu"
        clauses.append(head)
    else:
        verb = "đạt" if unit == "percent" else "là"
        head = f"{name} {year_text} {verb} {fmt_value(latest, unit, noun)}"
        if has_target:
            head += ", " + gap_clause(latest, op, target, unit, noun, target_label)
        clauses.append(head)

    baseline, baseline_year = _get(row, "baseline_value"), _year(_get(row, "baseline_year"))
    if baseline is not None and baseline_year is not None and baseline_year != latest_year:
        clauses.append(change_clause(latest, baseline, baseline_year, unit, noun))

    years_met, years_assessed = _get(row, "years_met"), _get(row, "years_assessed")
    if kind == "every_year" and years_assessed:
        clauses.append(
            yearly_clause(row, unit, noun, yearly_values)
            or f"đạt chỉ tiêu {int(years_met or 0)}/{int(years_assessed)} năm"
        )
        plan = plan_clause(row, unit, yearly_values)
        if plan:
            clauses.append(plan)

    if with_projection:
        projection = projection_clause(row, unit, noun)
        if projection:
            clauses.append(projection)

    clauses.append(_verdict_clause(verdict, reason))
    return "; ".join(clauses) + "."


def projection_meaningful(projected: Any, low: Any, high: Any, unit: str = "percent") -> bool:
    """Whether a projection means something (``params/plan.yaml``, ``projection_limits``).

    Not when a bound is missing; when the interval is wider than ± 15 percentage points
    (percent) or ± 15% of the projected value (count; ± 2 at least); when it reaches the end
    of the scale (0% or 100%, or a count of 0 at the lower end: the model's interval was cut
    there, so it went beyond the scale); or when it is one value as printed (``99,3%–99,3%``).
    ``projection_meaningful(88.0, 43.2, 98.6)`` → ``False``; ``(91.9, 85.4, 95.7)`` → ``True``.
    """
    if any(is_missing(x) for x in (projected, low, high)):
        return False
    projected, low, high = float(projected), float(low), float(high)
    limits = params.plan().get("projection_limits") or {}
    half = (high - low) / 2
    if _printed(low, unit) == _printed(high, unit):
        return False
    if unit == "percent":
        if _printed(low, unit) <= 0 or _printed(high, unit) >= 100:
            return False
        return half <= float(limits.get("percent_points", 15))
    if _printed(low, unit) <= 0 or projected <= 0:
        return False
    share = float(limits.get("count_percent", 15)) / 100 * projected
    return half <= max(share, float(limits.get("count_floor", 2)))


def projection_clause(row: Mapping[str, Any] | Any, unit: str = "percent", noun: str = "") -> str:
    """``"dự báo năm 2020: 90,4% (khoảng dự báo: 88,1%–92,2%)"``, or ``"dự báo năm 2020: không
    đủ cơ sở dự báo"`` when the projection means nothing (:func:`projection_meaningful`);
    ``""`` without a projection or once the target year is reached."""
    projected = _get(row, "projected_value")
    target_year, latest_year = _year(_get(row, "target_year")), _year(_get(row, "latest_year"))
    if projected is None or target_year is None or latest_year is None:
        return ""
    if latest_year >= target_year:
        return ""
    low, high = _get(row, "projected_lower"), _get(row, "projected_upper")
    if not projection_meaningful(projected, low, high, unit):
        return L.text("projection.none", year=target_year)
    lo_txt = fmt_value(low, unit) if unit == "percent" else fmt_number(low)
    return (
        f"dự báo năm {target_year}: {fmt_value(projected, unit, noun)} "
        f"(khoảng dự báo: {lo_txt}–{fmt_value(high, unit, noun)})"
    )


def _number_in_parens(x: Any, unit: str, noun: str) -> str:
    if x is None or is_missing(x):
        return ""
    if isinstance(x, str):
        return f" ({x})"
    return f" ({fmt_value(x, unit, noun)})"


def flag_question(
    kind: str,
    *,
    unit_name: str | None = None,
    year: int | None = None,
    observed: Any = None,
    expected: Any = None,
    unit: str = "percent",
    noun: str = "",
    detail: str | None = None,
) -> str:
    """An integrity flag worded as a question for the reviewer, never as an accusation.

    ``flag_question("rating_above_expected")`` →
    ``"Tỷ lệ xếp loại tốt trở lên cao hơn mức dự kiến theo sinh hoạt chi bộ: đề nghị xem lại
    căn cứ đánh giá?"``. With ``observed=95.2, expected=88.0`` the numbers appear in
    parentheses; ``unit_name`` and ``year`` prefix the place and time.
    Kinds are listed under ``flags`` in ``labels_vi.yaml``.
    """
    flags = L.labels()["flags"]
    if kind not in flags:
        raise ValueError(f"Loại cảnh báo không có: {kind!r}. Các loại hiện có: {', '.join(flags)}")
    spec = flags[kind]
    statement = spec["statement"].format(
        observed=_number_in_parens(observed, unit, noun),
        expected=_number_in_parens(expected, unit, noun),
    )
    if detail:
        statement += f" ({detail.strip()})"
    where = ", ".join(
        part for part in (unit_name, f"năm {int(year)}" if year is not None else None) if part
    )
    prefix = f"{where}: " if where else ""
    text = f"{prefix}{statement}: {spec['question']}?"
    return text.replace(f" ({MISSING})", "")
