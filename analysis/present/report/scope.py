"""What kind of report a context is for: a unit's, the province's or the nation's.

A :class:`Scope` carries what differs between the three kinds and is not data: the sections
the report has (their order gives their numbers) and their titles, and the words for its
reporting units (``"đơn vị"`` on the province report, ``"tỉnh"`` on the national one). The
sections (:mod:`analysis.present.report.sections`) read these from ``ctx.scope`` instead of
asking which report they are in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from analysis.present import labels as L

__all__ = [
    "NATIONAL",
    "NATIONAL_SECTIONS",
    "PROVINCE",
    "PROVINCE_SECTIONS",
    "SECTION_TITLES",
    "UNIT",
    "UNIT_SECTIONS",
    "Scope",
]

#: Every section's title (``report/labels_vi.yaml``, ``sections:``).
SECTION_TITLES = {
    key: L.text(f"sections.{key}")
    for key in ("scorecard", "heat", "targets", "process", "integrity", "villages", "data_notes")
}
UNIT_SECTIONS = ("scorecard", "targets", "process", "integrity", "villages", "data_notes")
PROVINCE_SECTIONS = (
    "scorecard",
    "heat",
    "targets",
    "process",
    "integrity",
    "villages",
    "data_notes",
)
#: The national report: integrity and villages are judged within one province, not here.
NATIONAL_SECTIONS = ("scorecard", "heat", "targets", "process", "data_notes")


@dataclass(frozen=True)
class Scope:
    """The kind of one report (``kind``: ``"unit"``, ``"province"`` or ``"national"``).

    ``sections`` are the numbered sections in their order, ``titles`` their titles;
    ``member`` names one reporting unit (``"đơn vị"``, ``"tỉnh"``), ``members`` them all
    (``"các đơn vị"``, ``"các tỉnh"``) and ``member_header`` is the column heading of tables
    with one row per reporting unit.
    """

    kind: str
    sections: tuple[str, ...]
    titles: Mapping[str, str]
    member: str
    members: str
    member_header: str

    @property
    def is_national(self) -> bool:
        return self.kind == "national"

    def number(self, key: str) -> int | None:
        """Number of a section in this kind of report (None: not one of its sections)."""
        return self.sections.index(key) + 1 if key in self.sections else None

    def title(self, key: str) -> str:
        """``"2. <title>"`` (the section's number), or the title alone."""
        number = self.number(key)
        return f"{number}. {self.titles[key]}" if number else self.titles[key]


def _words(kind: str) -> dict[str, str]:
    """The words for a report's reporting units (``report/labels_vi.yaml``, ``scope:``)."""
    return {k: L.text(f"scope.{kind}.{k}") for k in ("member", "members", "member_header")}


UNIT = Scope("unit", UNIT_SECTIONS, MappingProxyType(SECTION_TITLES), **_words("province"))
PROVINCE = Scope(
    "province", PROVINCE_SECTIONS, MappingProxyType(SECTION_TITLES), **_words("province")
)
NATIONAL = Scope(
    "national",
    NATIONAL_SECTIONS,
    MappingProxyType({**SECTION_TITLES, "heat": L.text("sections.national_heat")}),
    **_words("national"),
)
