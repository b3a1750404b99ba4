"""The appendix tables of a review ("Phụ lục"), numbered as ``params/appendices.yaml`` says.

Shared by the reports (HTML tables) and the build (the Excel workbook), so both number and
fill them identically.
"""

from __future__ import annotations

from analysis import params


def appendix_specs(review, assessment_id: str) -> list[dict]:
    """Appendix tables of one assessment, numbered as in ``params/appendices.yaml``."""
    from analysis.present.tables import appendix_frame

    part = review.assessments[assessment_id]
    names = review.unit_names()
    ordered = {code: names[code] for code in review.reporting_units["code"]}
    ordered[review.province_code] = review.province_name
    specs = []
    for number, item in enumerate(params.appendices(), start=1):
        indicator_id = item["indicator"]
        rows = part.indicators.loc[part.indicators["indicator_id"] == indicator_id]
        if rows.empty:
            continue
        frame = appendix_frame(part.indicators, indicator_id, ordered, part.years)
        unit = rows["unit"].iloc[0]
        specs.append({
            "number": number,
            "indicator_id": indicator_id,
            "title_vi": item["title_vi"],
            "frame": frame,
            "unit_label": "%" if unit == "percent" else item.get("unit_label_vi", "người"
                                                                 if indicator_id == "T5"
                                                                 else "thôn"),
        })
    return specs
