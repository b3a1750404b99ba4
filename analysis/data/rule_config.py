"""``rules.yaml``: the validation rules that are data, and the rates whose parts go together.

Read by the rules (``analysis.data.rules``) and by the summary (``analysis.data.aggregate``):
:func:`rate_parts` says which rows of ``organizations`` a rate leaves out of its numerator and
denominator alike (:func:`rate_incomplete`); the summary leaves them out and the rule
``rate_part_blank`` names them.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis import config

__all__ = ["RULES_FILE", "rate_incomplete", "rate_parts", "rule_config", "as_fraction"]

#: The rules that are data (row rules, thresholds of the period rules and of the outliers).
RULES_FILE = config.SCHEMA_FILE.with_name("rules.yaml")


@cache
def rule_config() -> dict[str, Any]:
    """``rules.yaml`` as a dict."""
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def as_fraction(text: Any) -> Fraction:
    """A share of ``rules.yaml`` (``0.2``, ``"1/5"``) as an exact fraction."""
    return Fraction(str(text))


@cache
def rate_parts() -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    """``rate_parts`` of ``rules.yaml``: (whole, parts, exclude) of each rate from the detail."""
    conf = rule_config() or {}
    return tuple((str(e["whole"]), tuple(str(p) for p in e["parts"]), bool(e.get("exclude")))
                 for e in conf.get("rate_parts", []))


def rate_incomplete(frame: pd.DataFrame, whole: str, parts: tuple[str, ...]
                    ) -> dict[str, np.ndarray]:
    """Per part: rows where exactly one of ``whole`` and the part is blank.

    Such a row would enter a rate's numerator without its denominator or the reverse. A row
    whose whole is 0 and part blank is complete enough (0 of 0 changes no rate).
    """
    out: dict[str, np.ndarray] = {}
    if whole not in frame.columns:
        return out
    w = frame[whole]
    w_blank = w.isna().to_numpy(dtype=bool)
    w_zero = w.eq(0).fillna(False).to_numpy(dtype=bool)
    for p in parts:
        if p in frame.columns:
            p_blank = frame[p].isna().to_numpy(dtype=bool)
            out[p] = (w_blank & ~p_blank) | (~w_blank & ~w_zero & p_blank)
    return out
