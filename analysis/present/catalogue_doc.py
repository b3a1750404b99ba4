"""The generated reference page ``docs/indicators.md``: the indicator catalogue and its targets.

Written from ``analysis/measure/catalogue.yaml`` and ``params/targets.yaml`` for the people
who edit them; a test checks the committed page is up to date. The page's words live in
``labels_vi.yaml`` (``catalogue_doc:``), so an editor changes a word there, never in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import config, params
from analysis.measure.catalogue import Indicator, load_catalogue, series_breaks
from analysis.present import labels as L

__all__ = ["DOCS_FILE", "catalogue_markdown", "target_text", "write_catalogue_docs"]

DOCS_FILE = config.DOCS_DIR / "indicators.md"


def _words() -> dict[str, Any]:
    return L.labels()["catalogue_doc"]


def target_text(indicator: Indicator, targets: Mapping[str, Any] | None = None) -> str:
    """The target as a reader says it, e.g. ``≥ 90% mỗi năm`` or ``= 0 đến 2020``; "" if none."""
    doc = params.targets() if targets is None else targets
    if indicator.target_ref is None:
        return ""
    spec = (doc.get("targets") or {}).get(indicator.target_ref)
    if not spec:
        return ""
    words = _words()
    if spec.get("kind") == "every_year":
        when = words["every_year"]
    else:
        when = words["by_year"].format(year=spec.get("year", "")).strip()
    text = f"{L.target_text(spec['op'], spec['value'], indicator.unit)} {when}"
    quotas = (doc.get("quotas") or {}).get(indicator.target_ref)
    if quotas:
        text += words["quotas"].format(count=len(quotas))
    return text


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def catalogue_markdown(
    catalogue: list[Indicator] | None = None,
    targets: Mapping[str, Any] | None = None,
    path: Path | str = config.CATALOGUE_FILE,
) -> str:
    """Render ``docs/indicators.md`` from the catalogue and ``params/targets.yaml``."""
    cat = load_catalogue(path) if catalogue is None else catalogue
    words = _words()
    lines = [
        words["title"],
        "",
        "<!-- Generated from analysis/measure/catalogue.yaml and params/targets.yaml by",
        "     analysis.present.catalogue_doc.write_catalogue_docs(). Do not edit by hand:",
        "     change the catalogue or the targets, then regenerate. -->",
        "",
        words["intro"],
        "",
        _row(words["indicator_columns"]),
        "|---" * len(words["indicator_columns"]) + "|",
    ]
    for ind in cat:
        definition = f"`{ind.numerator}`"
        if ind.denominator is not None:
            definition += f" / `{ind.denominator}`"
        if ind.excluded is not None:
            definition += words["excluded"].format(expression=ind.excluded)
        unit = words["units"][ind.unit]
        unit += words["lower_is_better"] if ind.polarity == "lower" else ""
        lines.append(_row([
            ind.id,
            ind.name_vi,
            definition,
            unit,
            target_text(ind, targets) or "–",
            f"“{ind.source_vi}” ({ind.section})",
        ]))  # fmt: skip
    lines += ["", words["levels_title"], "", _row(words["level_columns"]),
              "|---" * len(words["level_columns"]) + "|"]  # fmt: skip
    for ind in cat:
        breaks = ", ".join(f"{y} ({lab})" for y, lab in zip(ind.break_years, ind.break_labels,
                                                             strict=True))
        levels = ", ".join(words["levels"][lv] for lv in ind.levels)
        lines.append(_row([ind.id, levels, breaks or "–", ind.description_vi]))
    lines += ["", words["breaks_title"], ""]
    for year, (label, desc) in sorted(series_breaks(path).items()):
        lines.append(f"- **{year}** `{label}`: {' '.join(desc.split())}")
    lines += ["", words["rules_title"], "", *(f"- {rule}" for rule in words["rules"]), ""]
    return "\n".join(lines)


def write_catalogue_docs(path: Path | str = DOCS_FILE) -> Path:
    """Write :func:`catalogue_markdown` to ``docs/indicators.md`` (or ``path``)."""
    path = Path(path)
    path.write_text(catalogue_markdown(), encoding="utf-8")
    return path
