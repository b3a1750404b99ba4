"""Vietnamese words, symbols and colours for codes the measure wing returns.

The texts live in ``labels_vi.yaml`` next to this module, so an editor changes a word there.
Verdict colours come from the Okabe–Ito colour-blind-safe palette, and each verdict also has a
symbol (✓ ↗ ! ↓ ?) so its meaning survives greyscale print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from analysis.present.formats import auto_decimals, fmt_number, fmt_percent, is_missing

LABELS_FILE = Path(__file__).with_name("labels_vi.yaml")
#: The report sections' own words (merged into the ``report:`` block that :func:`text` reads).
REPORT_LABELS_FILE = Path(__file__).parent / "report" / "labels_vi.yaml"

VERDICTS = (
    "achieved",
    "not_achieved",
    "on_track",
    "needs_acceleration",
    "moving_away",
    "not_assessable",
)
FUNNEL_ASSESSMENTS = (
    "better_998",
    "better_95",
    "similar",
    "worse_95",
    "worse_998",
    "not_assessable",
)
TARGET_OPS = {">=": "≥", ">": ">", "==": "=", "<=": "≤", "<": "<"}

__all__ = [
    "Direction",
    "FUNNEL_ASSESSMENTS",
    "TARGET_OPS",
    "VERDICTS",
    "count_noun",
    "direction",
    "funnel_colour",
    "funnel_marker",
    "funnel_word",
    "labels",
    "phrases",
    "remaining_phrase",
    "series_break_codes",
    "series_break_note",
    "series_break_year",
    "short_name",
    "target_kind_text",
    "target_text",
    "text_colour",
    "tint",
    "verdict_badge_html",
    "verdict_colour",
    "verdict_label",
    "verdict_symbol",
    "verdict_word",
    "text",
]


@cache
def labels() -> dict[str, Any]:
    """The parsed ``labels_vi.yaml``."""
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


@cache
def phrases() -> dict[str, Any]:
    """The report phrases: ``labels_vi.yaml``'s ``report:`` block and ``report/labels_vi.yaml``
    (the sections' words), one dict. A block in both files is an error (one home per word)."""
    merged = dict(labels()["report"])
    extra = yaml.safe_load(REPORT_LABELS_FILE.read_text(encoding="utf-8")) or {}
    twice = sorted(set(merged) & set(extra))
    if twice:
        raise ValueError(f"report/labels_vi.yaml: {', '.join(twice)} đã có trong labels_vi.yaml")
    return {**merged, **extra}


def text(key: str, **values: Any) -> str:
    """A report phrase (:func:`phrases`), dotted key, filled in.

    ``text("villages.summary_only", unit="Huyện Lục Ngạn")`` → the phrase with ``{unit}``
    replaced. A missing key raises ``KeyError`` naming it (a typo must not print nothing).
    """
    node: Any = phrases()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"labels_vi.yaml: report.{key} không có")
        node = node[part]
    return str(node).format(**values) if values else str(node)


# --------------------------------------------------------------------------- verdicts
def _verdict(code: object) -> dict[str, str]:
    table = labels()["verdicts"]
    key = "not_assessable" if is_missing(code) or code == "" else str(code)
    if key not in table:
        raise ValueError(f"Mã đánh giá không hợp lệ: {code!r}. Mã hợp lệ: {', '.join(VERDICTS)}")
    return table[key]


def verdict_word(code: object) -> str:
    """``"needs_acceleration"`` → ``"Cần đẩy nhanh"``; missing → ``"Không đủ dữ liệu"``."""
    return _verdict(code)["word"]


def verdict_symbol(code: object) -> str:
    """``"achieved"`` → ``"✓"``, ``"on_track"`` → ``"↗"``, … ``"not_assessable"`` → ``"?"``."""
    return _verdict(code)["symbol"]


def verdict_colour(code: object) -> str:
    """Hex colour of a verdict (Okabe–Ito)."""
    return _verdict(code)["colour"]


def verdict_label(code: object) -> str:
    """Symbol and word: ``"! Cần đẩy nhanh"``."""
    v = _verdict(code)
    return f"{v['symbol']} {v['word']}"


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG relative luminance)."""
    lum = _luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def tint(hex_colour: str, share: float = 0.35) -> str:
    """``hex_colour`` mixed with white (``share`` of the colour): a light cell background."""
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(255 - share * (255 - c)) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def verdict_badge_html(code: object) -> str:
    """A coloured ``<span>`` with symbol and word (fixed texts only, safe to embed unescaped)."""
    colour = verdict_colour(code)
    return (
        f'<span class="verdict verdict-{code if code in VERDICTS else "not_assessable"}" '
        f'style="background-color:{colour};color:{text_colour(colour)};padding:0 0.3em;'
        f'border-radius:0.2em;white-space:nowrap">{verdict_label(code)}</span>'
    )


# --------------------------------------------------------------------------- targets
def count_noun(indicator_id: object) -> str:
    """What a count indicator counts (``"T5"`` → ``"người"``, ``"T7"`` → ``"thôn"``), or ``""``."""
    return labels()["count_nouns"].get(str(indicator_id), "")


def remaining_phrase(indicator_id: object, name_vi: str) -> str:
    """What a target of 0 counts down, after the number: ``"thôn, bản chưa có đảng viên"``.

    Taken from ``labels_vi.yaml`` or, failing that, from the name without its leading "Số ".
    """
    known = labels()["remaining"].get(str(indicator_id))
    if known:
        return known
    text = re.sub(r"^Số\s+", "", name_vi.strip())
    return _lower_first(text)


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def target_text(
    op: str, value: object, unit: str = "percent", noun: str = "", bare_equal: bool = False
) -> str:
    """A target as printed: ``("≥", 90)`` → ``"≥ 90%"``, ``(">", 84)`` → ``"> 84%"``,
    ``("==", 0, "count", "thôn")`` → ``"= 0 thôn"``. ``bare_equal`` drops a leading ``= ``."""
    if is_missing(value) or not op or is_missing(op):
        return "–"
    if op not in TARGET_OPS:
        raise ValueError(f"Phép so sánh của chỉ tiêu không hợp lệ: {op!r}")
    decimals = auto_decimals(value)
    if unit == "percent":
        number = fmt_percent(value, decimals)
    else:
        number = fmt_number(value, decimals) + (f" {noun}" if noun else "")
    if bare_equal and op == "==":
        return number
    return f"{TARGET_OPS[op]} {number}"


def target_kind_text(kind: object, year: object = None) -> str:
    """``"every_year"`` → ``"hằng năm"``; ``("by_year", 2020)`` → ``"đến năm 2020"``."""
    kinds = labels()["target_kinds"]
    if kind == "every_year":
        return kinds["every_year"]
    if kind == "by_year":
        if is_missing(year):
            return ""
        return kinds["by_year"].format(year=int(year))
    return ""


# --------------------------------------------------------------------------- funnel
def _check_assessment(assessment: object) -> str:
    key = "not_assessable" if is_missing(assessment) or assessment == "" else str(assessment)
    if key not in FUNNEL_ASSESSMENTS:
        raise ValueError(
            f"Mã so sánh không hợp lệ: {assessment!r}. Mã hợp lệ: {', '.join(FUNNEL_ASSESSMENTS)}"
        )
    return key


def funnel_word(assessment: object, polarity: str = "higher") -> str:
    """``("better_998", "higher")`` → ``"Cao hơn rõ rệt (99,8%)"``; for a lower-is-better
    indicator better means lower: ``("better_998", "lower")`` → ``"Thấp hơn rõ rệt (99,8%)"``."""
    key = _check_assessment(assessment)
    words = labels()["funnel"]
    if key in {"similar", "not_assessable"}:
        return words[key]
    quality, level = key.split("_")
    higher = (quality == "better") == (polarity != "lower")
    return words[f"{'higher' if higher else 'lower'}_{level}"]


def funnel_colour(assessment: object) -> str:
    """Colour of a funnel assessment: blues better, orange/vermillion worse, grey similar."""
    return labels()["funnel_colours"][_check_assessment(assessment)]


def funnel_marker(assessment: object) -> str:
    """Marker shape (▲ better, ▼ worse, ● similar) so greyscale keeps the meaning."""
    return labels()["funnel_markers"][_check_assessment(assessment)]


# --------------------------------------------------------------------------- directions
@dataclass(frozen=True)
class Direction:
    """A change drawn as an arrow: ``arrow`` ↑ ↓ →, ``word``, ``good`` (None when flat or
    unknown) and the ``colour`` that says good or bad."""

    key: str
    arrow: str
    word: str
    good: bool | None
    colour: str

    def html(self) -> str:
        """A coloured arrow with the word as tooltip (fixed texts, safe unescaped)."""
        if not self.arrow:
            return "–"
        return f'<span style="color:{self.colour}" title="{self.word}">{self.arrow}</span>'


def _direction_key(value: object) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "up" if value > 0 else "down" if value < 0 else "flat"
    try:
        number = float(value)  # numpy numbers
    except (TypeError, ValueError):
        number = None
    if number is not None and not isinstance(value, str):
        return "up" if number > 0 else "down" if number < 0 else "flat"
    text = str(value).strip().lower()
    for key, aliases in labels()["direction_aliases"].items():
        if text in [str(a).lower() for a in aliases]:
            return key
    return None


def direction(change: object, polarity: str = "higher") -> Direction:
    """Arrow for a change: a number (its sign) or a trend word (``"increasing"``, ``"down"``,
    ``"stable"``…). Good/bad follows ``polarity``: a fall is good for ``"lower"`` indicators."""
    key = _direction_key(change)
    colours = labels()["direction_colours"]
    if key is None:
        return Direction("unknown", "", "", None, colours["neutral"])
    d = labels()["directions"][key]
    if key == "flat":
        return Direction(key, d["arrow"], d["word"], None, colours["neutral"])
    good = (key == "up") == (polarity != "lower")
    return Direction(key, d["arrow"], d["word"], good, colours["good" if good else "bad"])


# --------------------------------------------------------------------------- series breaks
def series_break_codes(value: object) -> list[str]:
    """Codes in a ``series_break`` cell (empty, one code, or several joined by ``;`` or ``,``)."""
    if is_missing(value):
        return []
    return [c.strip() for c in re.split(r"[;,]", str(value)) if c.strip()]


def series_break_note(code: object) -> str:
    """``"rating_scheme_2018"`` → ``"Từ 2018 xếp loại theo Quy định 132-QĐ/TW"``; ``""`` → ``""``.
    Several codes give several notes joined by ``"; "``; an unknown code a generic note."""
    notes = []
    for c in series_break_codes(code):
        known = labels()["series_breaks"].get(c)
        notes.append(known["note"] if known else f"Chuỗi số liệu thay đổi cách tính ({c})")
    return "; ".join(notes)


def series_break_year(code: str) -> int | None:
    """The first year of the new series: from ``labels_vi.yaml`` or a trailing 4-digit year."""
    known = labels()["series_breaks"].get(code)
    if known:
        return int(known["year"])
    match = re.search(r"(\d{4})$", code)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- unit names
def short_name(name: object) -> str:
    """``"Huyện Sơn Động"`` → ``"Sơn Động"``; ``"Thành phố Bắc Giang"`` → ``"TP Bắc Giang"``."""
    text = "" if is_missing(name) else str(name).strip()
    for prefix, replacement in labels()["short_name_prefixes"]:
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix) :]
            return replacement + (rest[0].upper() + rest[1:] if not replacement else rest)
    return text
