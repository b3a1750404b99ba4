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

# %% [markdown]
# Review report for the province, every reporting unit side by side. Every cell calls
# `analysis`; run by `python -m analysis build` (papermill) or by hand in JupyterLab.

# %% tags=["parameters"]
unit_code: str = "bac_giang"  # province code (params/plan.yaml province_code)
assessment_id: str = "final"  # assessment id in params/assessments.yaml: midterm | final
data_path: str = ""  # input workbook or CSV folder; "" = the bundled demo data
output_lang: str = "vi"  # language of the report (Vietnamese)
bundle_path: str = ""  # review tables precomputed by the build; "" = compute them here

# %%
from analysis.present import report

ctx = report.load_context(unit_code, assessment_id, data_path, bundle_path, output_lang)

# %%
report.title_page(ctx)

# %%
report.scorecard_section(ctx)

# %%
report.heat_table_section(ctx)

# %%
report.target_sections(ctx)

# %%
report.process_section(ctx)

# %%
report.integrity_section(ctx)

# %%
report.villages_section(ctx)

# %%
report.data_notes_section(ctx)

# %%
report.appendix_section(ctx)
