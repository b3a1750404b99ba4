"""Deterministic synthetic input data: the bundled Bắc Giang demo and a large synthetic country.

Both generators write the input schema of ``tables.yaml`` (one frame per table, schema column
names in schema order, vocabulary *codes*, booleans as ``co``/``khong``, counts as integers,
empty = not applicable) and share one vectorised simulation engine:

1. a *world* (reporting units, communes, villages, TCCSĐ with the years each exists, merger
   links, admissions per unit-year) is built by ``synthetic.bac_giang`` or
   ``synthetic.country``;
2. ``simulate`` (``synthetic.engine``) runs the years: structural changes (mergers), member
   losses, admissions allocated unit → TCCSĐ → village by multinomial draws (numpy, no loop
   over rows);
3. ``village_rows``, ``org_rows`` and ``official_rows`` (``synthetic.rows``) derive every
   column of the detail tables from the simulated counts and a few latent variables;
4. :func:`summarize_detail` aggregates detail to ``unit_summary`` rows, so a unit that sends
   only summary rows gets exactly what its detail would have given.

The demo (``generate_demo``) plants the stories a review must find; they are listed, with the
summary-column mapping, in ``analysis/demo/README.md`` (written by :func:`write_demo`).
No person's name appears anywhere; commune and village names are invented from syllables so that
no fabricated figure is attached to a real commune (an invented name may still exist somewhere).

This module is the entry point (``python -m analysis.data.demo`` writes the demo folder); the
generators live in :mod:`analysis.data.synthetic`: ``vocab`` (vocabulary-derived constants),
``helpers``, ``engine`` (world and simulation), ``rows`` (detail rows), ``summary`` (detail ->
``unit_summary``), ``names``, ``bac_giang`` (the demo), ``country`` (the synthetic country) and
``readme`` (the demo folder's README).
"""

from __future__ import annotations

from pathlib import Path

from analysis import config
from analysis.data.synthetic.bac_giang import demo_internal, demo_output, generate_demo
from analysis.data.synthetic.country import generate_country, write_country
from analysis.data.synthetic.helpers import write_tables
from analysis.data.synthetic.readme import demo_readme
from analysis.data.synthetic.summary import summarize_detail

__all__ = ["generate_country", "generate_demo", "summarize_detail", "write_country", "write_demo"]

def write_demo(out_dir: Path | str = config.DEMO_DATA_DIR, seed: int = 2016) -> list[Path]:
    """Write the demo as one UTF-8 CSV per table (plus README.md) and return the paths.

    The bytes depend only on ``seed`` (and the schema and params): two runs give identical files.
    """
    internal, world, meta = demo_internal(seed)
    tables = demo_output(internal, world, meta)
    paths = write_tables(tables, Path(out_dir))
    readme = Path(out_dir) / "README.md"
    readme.write_bytes(demo_readme(tables, meta, seed).encode("utf-8"))
    return [*paths, readme]


if __name__ == "__main__":
    write_demo()
