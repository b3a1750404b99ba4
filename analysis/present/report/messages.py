"""Validation messages as report prose: the data notes' warning table.

``python -m analysis validate`` writes messages for the terminal (codes, every year of the
input, the files looked in); a report cuts them to its assessment's years
(:func:`period_message`) and names rows as a reader does (:func:`plain_message`).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from analysis.present import labels as L
from analysis.present.formats import is_missing

__all__ = ["period_message", "plain_message"]


_OTHER_YEARS = re.compile(r"(?:khoảng dự kiến [^;()]*; )?các năm khác: ([^()]*?)\)")

_YEAR_VALUE = re.compile(r"(?:;\s*)?\b((?:19|20)\d\d): [0-9][0-9.,]*")


def period_message(message: str, years: list[int]) -> str:
    """A validation message cut to the assessment's years: no number of another year.

    The time-consistency check compares a value with the unit's other years, all years of
    the input; a midterm report must not quote 2018–2020. ``"(khoảng dự kiến 138–216; các
    năm khác: 2015: 183; 2016: 143; 2018: 175)"`` with years 2015–2017 becomes ``"(các năm
    khác trong kỳ đánh giá: 2015: 183; 2016: 143)"`` (the expected range, computed from every
    year, goes); with no year left the parenthesis goes. Any other ``"<year>: <number>"`` of
    a year outside ``years`` is removed.
    """
    keep = {int(y) for y in years}

    def other_years(match: re.Match) -> str:
        entries = [e.strip() for e in match.group(1).split(";") if e.strip()]
        inside = [e for e in entries if int(e[:4]) in keep] if all(
            re.match(r"\d{4}: ", e) for e in entries
        ) else entries
        if len(inside) == len(entries):
            return match.group(0)
        if not inside:
            return "\x00"
        return "các năm khác trong kỳ đánh giá: " + "; ".join(inside) + ")"

    text = _OTHER_YEARS.sub(other_years, message)
    text = re.sub(r"\s*\(\x00", "", text).replace("\x00", "")
    text = _YEAR_VALUE.sub(lambda m: m.group(0) if int(m.group(1)) in keep else "", text)
    return text


_ORG_CODE = re.compile(r"TCCSĐ “([A-Za-z0-9_.-]+)”")

_UNIT_CODE = re.compile(r" \(([a-z0-9_]+)\)")

# "Đã tìm trong: tệp «organizations.csv»; …." (where the reader looked: files, for the terminal)
_LOOKED_IN = re.compile(r"\s*Đã tìm trong: .*?(?:»|khác)\.(?=\s|$)")


def plain_message(message: str, units: pd.DataFrame, unit_code: Any = None) -> str:
    """A validation message as report prose: codes replaced by names.

    The messages of ``python -m analysis validate`` name rows by their codes (useful at the
    terminal); a report names them as a reader does: ``TCCSĐ “hiep_hoa_thai_xa_db”`` (the
    TCCSĐ of a commune, ``<commune>_db``) → ``Đảng bộ xã Thái Xá``, another TCCSĐ → ``Một
    TCCSĐ trực thuộc Huyện Hiệp Hòa``; ``Huyện Sơn Động (son_dong)`` → ``Huyện Sơn Động``.
    The file and row stay in the table's "Vị trí" column (so does the list of files the
    reader looked in, "Đã tìm trong: tệp «…»", which is dropped).
    """
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=False))
    levels = dict(zip(units["code"].astype(str), units["level"].astype(str), strict=False))

    def org(match: re.Match) -> str:
        code = match.group(1)
        commune = code[:-3] if code.endswith("_db") else ""
        if levels.get(commune) == "commune":
            name = names[commune]
            return L.text("messages.commune_org", commune=name[:1].lower() + name[1:])
        owner = "" if is_missing(unit_code) else str(unit_code)
        if owner in names:
            return L.text("messages.other_org", unit=names[owner])
        return match.group(0)

    text = _ORG_CODE.sub(org, message)
    text = _UNIT_CODE.sub(lambda m: "" if m.group(1) in names else m.group(0), text)
    return _LOOKED_IN.sub("", text)
