"""Text encoded as Vietnamese Windows writes it, for the intake tests of legacy CSV files."""

from __future__ import annotations

import unicodedata

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def cp1258_bytes(text: str) -> bytes:
    """Text as Windows-1258 writes it: precomposed where the code page has the letter, tone
    marks as combining characters after it otherwise (how Vietnamese Windows stores "ộ")."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONE_MARKS))
            out.append(base + "".join(c for c in d if c in TONE_MARKS))
    return "".join(out).encode("cp1258")
