"""Reporting units and their codes: the one home of unit levels and code look-ups."""

from __future__ import annotations

__all__ = ["REPORTING_LEVELS"]

#: The levels of the units that report to the province (each sends its own workbook), in the
#: order tables list them: the districts, then the sector party committees.
REPORTING_LEVELS = ("district", "sector")
