"""The words of rating plausibility: questions for the reviewer and the disclaimer.

:mod:`analysis.measure.integrity` returns codes and numbers only (the funnel ``flag``, ``O``,
``n``, ``E``, ``ratio``, the ``period`` and one count per rule of the rating period); this
module composes the Vietnamese sentences from them. The texts live in ``labels_vi.yaml``
(``integrity:``), so an editor changes a word there, never in code.

``row`` is one row of :func:`~analysis.measure.integrity.observed_vs_expected` or
:func:`~analysis.measure.integrity.integrity_summary`: a Series, a mapping or a row of
``DataFrame.itertuples()``.
"""

from __future__ import annotations

from typing import Any

from analysis.measure.integrity import FLAGS_ABOVE, RULE_TOTAL, RULES
from analysis.present import labels as L
from analysis.present.formats import is_missing

__all__ = [
    "DISCLAIMER_VI",
    "disclaimer",
    "funnel_question",
    "questions",
    "rule_label",
    "rule_question",
]


def _words() -> dict[str, Any]:
    return L.labels()["integrity"]


def disclaimer() -> str:
    """The plain statement printed with every integrity table: flags are questions for the
    reviewer, not findings."""
    return str(_words()["disclaimer"])


#: :func:`disclaimer`, as a constant.
DISCLAIMER_VI = disclaimer()


def rule_label(rule: str) -> str:
    """What a rule of the rating period checks, e.g. ``"excellent_cap_20"`` → ``"số đảng viên
    hoàn thành xuất sắc nhiệm vụ vượt 20% số đảng viên hoàn thành tốt nhiệm vụ"``."""
    return str(_words()["rules"][rule])


def _get(row: Any, key: str) -> Any:
    if hasattr(row, "_fields"):  # a row of itertuples()
        return getattr(row, key, None)
    return row.get(key) if hasattr(row, "get") else row[key]


def _number(x: Any, decimals: int) -> str:
    """``1234.5`` → ``"1.234,5"``: Python's rounding of the float (half to even on its binary
    value), so the numbers read exactly as they always have in these questions."""
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _period_prefix(period: str) -> str:
    words = _words()
    if period.isdigit():
        return words["period_year"].format(period=period)
    if "–" in period:
        return words["period_range"].format(period=period)
    return words["period_list"].format(period=period)


def funnel_question(row: Any) -> str | None:
    """The question for a unit whose count rated good or better is above its funnel limit
    (``flag`` ``above_95`` or ``above_998``); ``None`` for any other flag.

    With ``flag="above_998", period="2019", O=30, n=100, E=10.0, ratio=3.0``: ``"Năm 2019: số
    TCCSĐ xếp loại hoàn thành tốt nhiệm vụ trở lên là 30/100 (O), cao hơn mức dự kiến theo hồ
    sơ sinh hoạt chi bộ, kiểm tra, kỷ luật (E = 10,0; O/E = 3,00, vượt giới hạn kiểm soát
    99,8%): đề nghị xem lại căn cứ xếp loại?"``.
    """
    flag = _get(row, "flag")
    if is_missing(flag) or str(flag) not in FLAGS_ABOVE:
        return None
    words = _words()
    return words["funnel_question"].format(
        prefix=_period_prefix(str(_get(row, "period"))),
        observed=_number(_get(row, "O"), 0),
        rated=_number(_get(row, "n"), 0),
        expected=_number(_get(row, "E"), 1),
        ratio=_number(_get(row, "ratio"), 2),
        level=words["levels"][str(flag)],
    )


def rule_question(row: Any) -> str | None:
    """The question on the warnings of the rules of the rating period, with the count per rule;
    ``None`` when the rules were not checked (<NA>) or gave no warning.

    E.g. ``"Có 2 cảnh báo khi áp dụng quy định xếp loại của kỳ (số đảng viên hoàn thành xuất
    sắc nhiệm vụ vượt 20% số đảng viên hoàn thành tốt nhiệm vụ: 2 trường hợp): đề nghị đối
    chiếu hồ sơ xếp loại?"``.
    """
    total = _get(row, RULE_TOTAL)
    if total is None or is_missing(total) or total == 0:
        return None
    words = _words()
    parts = [
        words["rule_part"].format(rule=rule_label(r), count=int(_get(row, r)))
        for r in RULES
        if _get(row, r) and _get(row, r) > 0
    ]
    return words["rule_question"].format(total=int(total), parts="; ".join(parts))


def questions(row: Any) -> list[str]:
    """The questions one unit raises, in order: the funnel question, then the rule warnings'."""
    return [q for q in (funnel_question(row), rule_question(row)) if q]
