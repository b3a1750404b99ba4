"""Small helpers of the generators: seeded random streams, grouped draws, typed columns, tables
in schema order, CSV bytes.
"""

from __future__ import annotations

import io
import unicodedata
import zlib
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import schema

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def make_rng(seed: int, name: str) -> np.random.Generator:
    """An independent, stable random stream per component (so one change does not shift all)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


@cache
def slug(s: str) -> str:
    text = unicodedata.normalize("NFD", s).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    out = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    return np.log(p / (1.0 - p))


def group_multinomial(
    rng: np.random.Generator,
    totals: np.ndarray,
    group: np.ndarray,
    weights: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Split ``totals[g]`` among the items of each group ``g`` by one multinomial draw per group.

    Vectorised: items are laid out in a padded (groups × max items) matrix and numpy draws all
    groups at once. A group whose weights are all zero receives nothing.
    """
    n_items = len(group)
    out = np.zeros(n_items, dtype=np.int64)
    if n_items == 0:
        return out
    order = np.argsort(group, kind="stable")
    g = group[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    pos = np.arange(n_items) - starts[g]
    p = np.zeros((n_groups, max(int(counts.max()), 1)))
    p[g, pos] = weights[order]
    s = p.sum(axis=1)
    empty = s <= 0
    totals = np.where(empty, 0, totals).astype(np.int64)
    p[empty, 0] = 1.0
    s[empty] = 1.0
    p /= s[:, None]
    draws = rng.multinomial(totals, p)
    out[order] = draws[g, pos]
    return out


def top_k(score: np.ndarray, eligible: np.ndarray, year_idx: np.ndarray, k: np.ndarray):
    """Mask of the ``k[y]`` highest scores among eligible rows of each year."""
    sel = np.zeros(len(score), dtype=bool)
    for yi, kk in enumerate(k):
        idx = np.flatnonzero(eligible & (year_idx == yi))
        kk = int(np.clip(kk, 0, len(idx)))
        if kk:
            sel[idx[np.argsort(-score[idx], kind="stable")[:kk]]] = True
    return sel


def stratified_uniform(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) latents spread evenly within each group (so shares hit their target).

    Within a group of n items the values are a random permutation of (k + U_k) / n, k < n.
    """
    n = len(group)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((rng.random(n), group))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = pos_in_group(group[order])
    counts = np.bincount(group)
    return (pos + rng.random(n)) / counts[group]


def pos_in_group(group: np.ndarray) -> np.ndarray:
    """0-based position of each item within its group (groups must be contiguous)."""
    counts = np.bincount(group)
    starts = np.cumsum(counts) - counts
    return np.arange(len(group)) - starts[group]


def cats(labels, idx) -> pd.Categorical:
    """``labels[idx]`` as a categorical (``idx`` -1 = missing) with lexically sorted categories."""
    labels = np.asarray(labels, dtype=str)
    idx = np.asarray(idx, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    codes = np.where(idx >= 0, rank[np.maximum(idx, 0)] if len(labels) else -1, -1)
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels[order], dtype=object))


def bools(flag, applicable=None) -> pd.Categorical:
    """co / khong from a boolean array; empty where not applicable."""
    flag = np.asarray(flag, dtype=bool)
    idx = np.where(flag, 0, 1)
    if applicable is not None:
        idx = np.where(np.asarray(applicable, dtype=bool), idx, -1)
    return cats(np.array(["co", "khong"]), idx)


def ints(values, applicable=None) -> pd.arrays.IntegerArray:
    values = np.asarray(values, dtype=np.int64)
    mask = np.zeros(len(values), dtype=bool) if applicable is None else ~np.asarray(applicable)
    return pd.arrays.IntegerArray(np.where(mask, 0, values), mask)


def table_of(name: str, columns: dict) -> pd.DataFrame:
    """A frame with exactly the schema columns of ``name`` in schema order."""
    tab = schema.table(name)
    unknown = set(columns) - set(tab.column_names)
    if unknown:
        raise KeyError(f"{name}: not schema columns: {sorted(unknown)}")
    n = len(next(iter(columns.values()))) if columns else 0
    out = {}
    for col in tab.columns:
        if col.name in columns:
            out[col.name] = columns[col.name]
        elif col.type in ("count", "year"):
            out[col.name] = ints(np.zeros(n), np.zeros(n, dtype=bool))
        else:
            out[col.name] = cats(np.array([], dtype=str), np.full(n, -1))
    return pd.DataFrame(out)


def sort_rows(name: str, df: pd.DataFrame) -> pd.DataFrame:
    key = list(schema.table(name).key)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings (the demo frames are small)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype("str")
    return out


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in schema.tables():
        path = out_dir / f"{name}.csv"
        path.write_bytes(csv_bytes(tables[name]))
        paths.append(path)
    return paths
