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

SECTION_TITLES = {
    "scorecard": "Tóm tắt kết quả thực hiện các mục tiêu",
    "heat": "So sánh các đơn vị theo từng mục tiêu",
    "targets": "Kết quả thực hiện từng mục tiêu",
    "process": "Các chỉ tiêu về nhiệm vụ, giải pháp",
    "integrity": "Tính hợp lý của kết quả xếp loại chất lượng",
    "villages": "Thôn, bản chưa có đảng viên và trưởng thôn là đảng viên",
    "data_notes": "Ghi chú về số liệu và phương pháp",
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
    member: str = "đơn vị"
    members: str = "các đơn vị"
    member_header: str = "Đơn vị"

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


UNIT = Scope("unit", UNIT_SECTIONS, MappingProxyType(SECTION_TITLES))
PROVINCE = Scope("province", PROVINCE_SECTIONS, MappingProxyType(SECTION_TITLES))
NATIONAL = Scope(
    "national",
    NATIONAL_SECTIONS,
    MappingProxyType({**SECTION_TITLES, "heat": "So sánh các tỉnh theo từng mục tiêu"}),
    member="tỉnh",
    members="các tỉnh",
    member_header="Tỉnh",
)
