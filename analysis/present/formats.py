"""Vietnamese number and date formats (Babel, locale ``vi_VN``).

Every number a report prints goes through this module, so separators come from CLDR and never
from code: ``1.234`` (dot groups thousands), ``90,5`` (comma marks decimals), ``90,5%``.

Rounding is *half away from zero* on the decimal the reader sees (``88,45`` → ``88,5``), the rule
Excel applies when it displays a number with ``0.0``; the HTML tables and the Excel appendix
therefore show the same digits. (Babel alone rounds half to even.) Floats are read through their
shortest ``repr``, so ``88.45`` is the decimal 88.45, not 88.4499999….

A missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``, ±inf) prints as an en dash ``–``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, get_plus_sign_symbol

LOCALE = "vi_VN"
#: What a missing value prints as (en dash).
MISSING = "–"
#: The unit word of a difference between two percentages ("percentage points").
POINTS = "điểm phần trăm"

__all__ = [
    "LOCALE",
    "MISSING",
    "POINTS",
    "auto_decimals",
    "fmt_count",
    "fmt_date",
    "fmt_number",
    "fmt_percent",
    "fmt_points",
    "fmt_value",
    "is_missing",
    "to_decimal",
]


def is_missing(x: object) -> bool:
    """True for ``None``, NaN, ``pd.NA``, ``NaT`` and infinities."""
    if x is None:
        return True
    if isinstance(x, Decimal):
        return not x.is_finite()
    if isinstance(x, numbers.Real):
        try:
            return not math.isfinite(float(x))
        except (TypeError, ValueError):  # pragma: no cover - exotic reals
            return True
    # pd.NA, pd.NaT, numpy.datetime64('NaT') without importing pandas here
    try:
        return bool(x != x)  # noqa: PLR0124 - NaN-like objects are not equal to themselves
    except (TypeError, ValueError):
        return type(x).__name__ in {"NAType", "NaTType"}


def to_decimal(x: object, decimals: int) -> Decimal:
    """``x`` as a Decimal rounded half away from zero to ``decimals`` places (no ``-0``)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real | Decimal):
        raise TypeError(f"Không định dạng được giá trị không phải số: {x!r}")
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, numbers.Integral):
        d = Decimal(int(x))
    else:
        d = Decimal(repr(float(x)))
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q


def _pattern(decimals: int) -> str:
    if decimals < 0:
        raise ValueError("decimals phải >= 0")
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def fmt_number(x: object, decimals: int = 0) -> str:
    """A number in Vietnamese format: ``fmt_number(1234)`` → ``"1.234"``,
    ``fmt_number(90.5, 1)`` → ``"90,5"``; missing → ``"–"``."""
    if is_missing(x):
        return MISSING
    return format_decimal(to_decimal(x, decimals), format=_pattern(decimals), locale=LOCALE)


def fmt_percent(x: object, decimals: int = 1) -> str:
    """A percentage already on the 0–100 scale: ``fmt_percent(90.5)`` → ``"90,5%"``."""
    if is_missing(x):
        return MISSING
    share = to_decimal(x, decimals) / 100  # exact in decimal arithmetic
    return format_percent(share, format=_pattern(decimals) + "%", locale=LOCALE)


def _signed(text: str, x: Decimal, signed: bool) -> str:
    if signed and x > 0:
        return get_plus_sign_symbol(LOCALE) + text
    return text


def fmt_points(x: object, decimals: int = 1, signed: bool = False) -> str:
    """A difference of two percentages: ``fmt_points(1.6)`` → ``"1,6 điểm phần trăm"``
    (``signed=True`` prefixes ``+`` to a rise)."""
    if is_missing(x):
        return MISSING
    d = to_decimal(x, decimals)
    return _signed(fmt_number(d, decimals), d, signed) + " " + POINTS


def fmt_count(x: object, noun: str = "", signed: bool = False) -> str:
    """A whole count with its noun: ``fmt_count(2412, "người")`` → ``"2.412 người"``."""
    if is_missing(x):
        return MISSING
    d = to_decimal(x, 0)
    text = _signed(fmt_number(d, 0), d, signed)
    return f"{text} {noun}" if noun else text


def auto_decimals(x: object, max_decimals: int = 2) -> int:
    """Fewest decimals (up to ``max_decimals``) that show ``x`` as given: 84 → 0, 84.5 → 1."""
    if is_missing(x):
        return 0
    full = to_decimal(x, max_decimals)
    for d in range(max_decimals + 1):
        if to_decimal(full, d) == full:
            return d
    return max_decimals


def fmt_value(x: object, unit: str, noun: str = "", decimals: int | None = None) -> str:
    """A value in its indicator's unit.

    ``"percent"`` → ``"88,4%"``; ``"count"`` → ``"2.412 người"``.
    """
    if unit == "percent":
        return fmt_percent(x, 1 if decimals is None else decimals)
    if unit == "count":
        if decimals:
            text = fmt_number(x, decimals)
            return f"{text} {noun}" if noun and text != MISSING else text
        return fmt_count(x, noun)
    raise ValueError(f"Đơn vị chỉ tiêu không hợp lệ: {unit!r} (cần 'percent' hoặc 'count')")


def _as_date(d: object) -> dt.date | None:
    if is_missing(d):
        return None
    if isinstance(d, str):
        return dt.date.fromisoformat(d[:10])
    if hasattr(d, "to_pydatetime"):  # pandas Timestamp
        d = d.to_pydatetime()
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    raise TypeError(f"Không định dạng được ngày: {d!r}")


def fmt_date(d: object, format: str = "official") -> str:  # noqa: A002 - mirrors Babel
    """A date in Vietnamese.

    ``format="official"`` (default) gives the style of Vietnamese administrative documents
    (Nghị định 30/2020/NĐ-CP: days below 10 and months 1–2 take a leading zero):
    ``26 tháng 11 năm 2026``, ``05 tháng 01 năm 2026``, ``05 tháng 3 năm 2026``. It is a Babel
    pattern, not string assembly. Any other value is passed to Babel as is: ``format="long"``
    gives CLDR's ``26 tháng 11, 2026`` (Babel 2.19), which is not the official style.
    Missing → ``"–"``.
    """
    day = _as_date(d)
    if day is None:
        return MISSING
    if format == "official":
        month = "MM" if day.month <= 2 else "M"
        format = f"dd 'tháng' {month} 'năm' y"  # noqa: A001
    return format_date(day, format=format, locale=LOCALE)
