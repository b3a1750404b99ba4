"""The national appendix: the provinces in rows, the nation as the total row.

The appendix tables (:func:`analysis.present.appendix.appendix_specs`) are built from a
province's Review; the national Review is read through a province-shaped view of it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.data.units import PROVINCE_LEVEL
from analysis.measure.review import NATIONAL_LEVEL
from analysis.present.appendix.frame import NAME_COLUMN
from analysis.present.appendix.specs import appendix_specs
from analysis.present.appendix.xlsx import write_appendix_xlsx

if TYPE_CHECKING:  # pragma: no cover
    from analysis.measure.review import Review


__all__ = ["NATIONAL_TOTAL_LABEL", "national_appendix_specs", "write_national_appendix"]


def _province_shaped(review: Review) -> Review:
    """A shallow copy of the national Review whose indicator levels read as a province's
    (provinces as ``district`` rows, the nation as the ``province`` total row), the shape the
    appendix tables (:func:`analysis.present.appendix.appendix_frame`) are built from."""
    view = copy.copy(review)
    view.assessments = {}
    for assessment_id, part in review.assessments.items():
        part = copy.copy(part)
        ind = part.indicators.copy()
        level = ind["level"].astype(object)
        ind["level"] = level.where(level != PROVINCE_LEVEL, "district").where(
            level != NATIONAL_LEVEL, PROVINCE_LEVEL
        )
        part.indicators = ind
        view.assessments[assessment_id] = part
    return view


#: The national total as the appendix notes name it ("Số toàn quốc bằng …").
NATIONAL_TOTAL_LABEL = "toàn quốc"


def national_appendix_specs(
    review: Review, assessment_id: str, publish: bool = False
) -> list[dict]:
    """:func:`analysis.present.appendix.appendix_specs` for the national Review: one row per
    province, the national total last (named as the nation, not "Toàn tỉnh")."""
    specs = appendix_specs(_province_shaped(review), assessment_id, publish=publish)
    for spec in specs:
        frame = spec["frame"]
        if review.province_code in frame.index:
            frame.loc[review.province_code, NAME_COLUMN] = review.province_name
        # the notes under the table (HTML and Excel) name the total's scope from this
        frame.attrs["total_label"] = NATIONAL_TOTAL_LABEL
    return specs


def write_national_appendix(
    review: Review, assessment_id: str, out: Path, publish: bool = False
) -> Path:
    """Write the national ``appendix.xlsx`` of one assessment (``publish``: as
    :func:`analysis.run.publish.write_appendices`)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_appendix_xlsx(national_appendix_specs(review, assessment_id, publish=publish), out)
