# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: tccsd-review
#     language: python
#     name: tccsd-review
# ---

# %% [markdown]
# # Exploring the review data
#
# `analysis` is the package behind the review reports of the resolution on the quality of
# grassroots party organisations (TCCSĐ) and members. It has four wings, each importing only
# the ones before it:
#
# - `analysis.data` reads an input workbook or CSV folder (`intake`), checks it (`validate`,
#   which returns findings) and adds the detail up to one row per unit × year (`aggregate`);
# - `analysis.measure` holds the indicator catalogue (`catalogue.yaml`: targets T1–T7, process
#   indicators P1–P17), intervals and funnel limits (`stats`), progress verdicts (`progress`),
#   rating plausibility (`integrity`), and `review.compute_review`, which computes all of them
#   once;
# - `analysis.present` prints Vietnamese numbers (`formats`), words and colours (`labels`),
#   sentences, charts (`plots`), styled and appendix tables, and the report sections (`report`);
# - `analysis.run` is the build: it runs `notebooks/unit_report.py` and `province_report.py`
#   with papermill for every unit and assessment and renders HTML and PDF.
#
# Targets and quotas live in `params/targets.yaml`, assessments in `params/assessments.yaml`.
# This notebook loads the bundled demo data, computes the review, and calls the same functions
# the reports use on one indicator and a few units. Change the parameters below and re-run.
# From a terminal: `python -m analysis validate` checks an input, `python -m analysis build`
# builds every report.

# %% tags=["parameters"]
indicator_id: str = "T1"  # catalogue id: T1…T7, P1…P17
unit_codes: list = ["son_dong", "yen_the", "cong_an"]  # reporting units to look at
assessment_id: str = "final"  # midterm | final
data_path: str = ""  # input workbook or CSV folder; empty: the bundled demo data

# %%
# ruff: noqa: E402, B018  (a notebook imports after its parameters cell, ends cells in values)
import pandas as pd
from IPython.display import Image, display

from analysis import config, params
from analysis.data.validate import validate_input
from analysis.measure import progress, stats
from analysis.measure.review import compute_review
from analysis.present import plots, report
from analysis.present.report import sentences

# %% [markdown]
# ## Validate the input
# Every problem is a finding (severity, rule, message in Vietnamese, file, sheet, row). Errors
# stop a build; warnings are printed in the reports of the units they touch.

# %%
validation = validate_input(data_path or config.DEMO_DATA_DIR)
print(f"{len(validation.errors)} lỗi, {len(validation.findings)} phát hiện")
validation.findings_frame()[["severity", "rule", "unit_code", "year", "message"]].head(10)

# %% [markdown]
# ## Compute the review
# `compute_review` builds the tidy indicators frame (one row per indicator × unit × year) and,
# for each assessment, the progress verdicts, funnel comparison, rating integrity and village
# changes. The build pickles this object once and every report notebook loads it.

# %%
review = compute_review(validation)
part = review.assessments[assessment_id]
names = review.unit_names()
part.assessment

# %% [markdown]
# ## The indicator for the chosen units
# Percent values are 0–100 with Wilson 95% intervals; the province row pools numerators and
# denominators (never a mean of the units' percentages).

# %%
ind = part.indicators
chosen = ind[(ind["indicator_id"] == indicator_id) & ind["unit_code"].isin(unit_codes)]
columns = ["unit_code", "year", "numerator", "denominator", "value", "lower_95", "upper_95"]
chosen[columns + ["met", "partial_year"]].sort_values(["unit_code", "year"])

# %%
prog = part.progress
prog[(prog["indicator_id"] == indicator_id) & prog["unit_code"].isin(unit_codes)][
    ["unit_code", "verdict", "baseline_value", "latest_year", "latest_value", "projected_value"]
]

# %% [markdown]
# ## The trend chart of the first unit
# The same chart as in the report: values with 95% intervals, the target, the projection to
# the target year with its interval, the 2018 rating-scheme change, the province in grey.

# %%
series = chosen[chosen["unit_code"] == unit_codes[0]]
row = prog[(prog["indicator_id"] == indicator_id) & (prog["unit_code"] == unit_codes[0])].iloc[0]
province = ind[(ind["indicator_id"] == indicator_id) & (ind["unit_code"] == review.province_code)]
fig = plots.trend_chart(series, progress_row=row, province_series=province[["year", "value"]])
Image(plots.fig_to_png_bytes(fig, dpi=110))

# %% [markdown]
# ## The units against the province (funnel plot)
# Percent indicators only; each point is a reporting unit in the latest year of the assessment.

# %%
funnel = part.funnels[part.funnels["indicator_id"] == indicator_id]
fig = plots.funnel_plot(funnel, names, highlight=unit_codes[0])
Image(plots.fig_to_png_bytes(fig, dpi=110))

# %% [markdown]
# ## The statistics, called directly
# `wilson_interval(x, n)` returns the 95% limits on the 0–1 scale for arrays of numerators and
# denominators.

# %%
x, n = series["numerator"].astype(float), series["denominator"].astype(float)
lower, upper = stats.wilson_interval(x, n, confidence=0.95)
interval = {"lower": 100 * lower, "upper": 100 * upper}
pd.DataFrame({"year": series["year"], "percent": 100 * x / n, **interval})

# %% [markdown]
# `assess_progress` gives the verdict of one series against its target for one assessment
# (rules in `docs/methods.md`); the reports read the same numbers from `review`.

# %%
target = params.targets()["targets"][indicator_id]  # a count target's unit quota is in "quotas"
unit = series["unit"].iloc[0]
data = series[["year", "value", "numerator", "denominator"]]
result = progress.assess_progress(data, target, part.assessment, unit=unit)
result.verdict, result.projected_value, result.note

# %%
name_vi = series["name_vi"].iloc[0]
sentences.indicator_sentence(result.as_dict() | {"indicator_id": indicator_id}, name_vi, unit)

# %% [markdown]
# ## A report section, as the reports show it

# %%
ctx = report.context_from_review(review, unit_codes[0], assessment_id)
display(report.scorecard_section(ctx))

# %% [markdown]
# ## Verdicts of every reporting unit on the indicator

# %%
reporting = prog[prog["unit_code"].isin(review.reporting_units["code"])]
reporting[reporting["indicator_id"] == indicator_id]["verdict"].value_counts()
