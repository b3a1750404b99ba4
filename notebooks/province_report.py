# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: tccsd-review
#     language: python
#     name: tccsd-review
# ---

# %% [markdown] tags=["remove-cell"]
# Review report for the province, every reporting unit side by side. Every cell calls
# `analysis`; run by `python -m analysis build` (papermill) or by hand in JupyterLab.
# Sections are `display`ed: the report renderer keeps display outputs only.

# %% tags=["parameters"]
unit_code: str = "bac_giang"  # province code (params/plan.yaml province_code)
assessment_id: str = "final"  # assessment id in params/assessments.yaml: midterm | final
data_path: str = ""  # input workbook or CSV folder; empty: the bundled demo data
output_lang: str = "vi"  # language of the report (Vietnamese)
bundle_path: str = ""  # pickled Review written by the build; empty: compute it here

# %%
# ruff: noqa: E402  (a notebook imports after its parameters cell)
from IPython.display import display

from analysis.present import report

ctx = report.load_context(unit_code, assessment_id, data_path, bundle_path, output_lang)

# %%
display(report.title_page(ctx))

# %%
display(report.leader_summary_section(ctx))

# %%
display(report.scorecard_section(ctx))

# %%
display(report.heat_table_section(ctx))

# %%
display(report.target_sections(ctx))

# %%
display(report.process_section(ctx))

# %%
display(report.integrity_section(ctx))

# %%
display(report.villages_section(ctx))

# %%
display(report.data_notes_section(ctx))

# %%
display(report.appendix_section(ctx))
