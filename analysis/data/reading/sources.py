"""What a sheet or a CSV looks like to the table reader: :class:`Sheet` (its head, its rows)
and, for a CSV tokenised by pandas' C parser, :class:`Grid` (each column factorised).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from analysis.data.reading.common import is_blank, is_total_word


# --- sources: what a sheet or a CSV looks like to the table reader --------------------------
@dataclass
class Sheet:
    file: str
    sheet: str
    head: list[tuple[int, tuple]]
    rows: Callable[[], Iterator[tuple[int, tuple]]]
    hidden: bool = False
    #: (kept row numbers, {column position: schema name}) -> [(row, position, formula)]
    formulas: Callable[[list[int], dict[int, str]], list[tuple[int, int, str]]] | None = None
    #: CSV tokenised by pandas' C parser: rows are selected and cells converted with numpy
    #: masks instead of row by row (``rows`` still yields the same records, for completeness)
    grid: Grid | None = None


class Grid:
    """A CSV tokenised by pandas' C parser, each column factorised over all its records.

    Holds, per column position ``j``, integer ``codes`` (one per record, row ``i`` is Excel row
    ``i + 1``) into ``uniques`` (the distinct cell texts). A field missing from a short record
    reads as ``""``: both are blank, and every later step treats them alike. Flags that cost a
    Python call per value (blank, totals word) are computed once per distinct text.
    """

    def __init__(self, codes: list[np.ndarray], uniques: list[np.ndarray], nrows: int):
        self.codes = codes
        self.uniques = uniques
        self.nrows = nrows
        self.width = len(codes)
        self.is_blank: dict[int, np.ndarray] = {}

    def row(self, i: int) -> tuple:
        return tuple(u[c[i]] for c, u in zip(self.codes, self.uniques, strict=True))

    def rows(self) -> Iterator[tuple[int, tuple]]:
        return ((i + 1, self.row(i)) for i in range(self.nrows))

    def blank_values(self, j: int) -> np.ndarray:
        """Per distinct value of column ``j``: is it blank (:func:`_blank`)?"""
        if j not in self.is_blank:
            u = self.uniques[j]
            c0 = leading_chars(u, 1)[:, 0]
            # only "" and texts starting with a space or a non-ASCII character can be blank
            maybe = np.flatnonzero((c0 <= 32) | (c0 >= 127))
            flags = np.zeros(len(u), dtype=bool)
            flags[maybe] = [is_blank(v) for v in u[maybe]]
            self.is_blank[j] = flags
        return self.is_blank[j]

    def blank(self, j: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.blank_values(j)[self.codes[j][rows]]

    def total_words(self, j: int, rows: np.ndarray) -> np.ndarray:
        """Per record of ``rows``: does column ``j`` hold a totals word (:func:`_is_total_word`)?"""
        u = self.uniques[j]
        codes = self.codes[j][rows]
        used = np.bincount(codes, minlength=len(u)).astype(bool)
        flags = np.zeros(len(u), dtype=bool)
        idx = np.flatnonzero(used & maybe_total_word(u))
        flags[idx] = [is_total_word(v) for v in u[idx]]
        return flags[codes]


def leading_chars(values: np.ndarray, k: int) -> np.ndarray:
    """Code points of the first ``k`` characters of each string (0 past the end), as (n, k)."""
    if not len(values):
        return np.zeros((0, k), dtype=np.uint32)
    return values.astype(f"<U{k}").view(np.uint32).reshape(-1, k)


_TOTAL_FIRST = np.array([ord(ch) for ch in "tcgTCG"], dtype=np.uint32)
_TOTAL_SECOND = np.array([ord(ch) for ch in "orOR"], dtype=np.uint32)
_ASCII_ALNUM = np.zeros(128, dtype=bool)
_ASCII_ALNUM[[i for i in range(128) if chr(i).isalnum()]] = True


def maybe_total_word(values: np.ndarray) -> np.ndarray:
    """False where :func:`_is_total_word` is surely False, judged by the first two characters.

    A totals word starts (after spaces) with t, c or g (``_is_total_word``'s cheap exit), and its
    match key with "co", "to" or "gr": an ASCII letter or digit after the first letter that is
    not o or r rules it out (codes such as "tan_yen", "cam_khe").
    """
    lead = leading_chars(values, 2)
    c0, c1 = lead[:, 0], lead[:, 1]
    printable0 = (c0 > 32) & (c0 < 127)
    tcg = np.isin(c0, _TOTAL_FIRST)
    alnum1 = (c1 < 128) & _ASCII_ALNUM[np.minimum(c1, 127)]
    surely_not = (printable0 & ~tcg) | (tcg & alnum1 & ~np.isin(c1, _TOTAL_SECOND))
    return ~surely_not
