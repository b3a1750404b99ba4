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
# National summary report of a country build: every province side by side, the national
# total = Σ over the provinces. Every cell calls `analysis`; run by `python -m analysis build`
# (papermill) on a multi-province input, or by hand in JupyterLab. Sections are `display`ed:
# the report renderer keeps display outputs only.

# %% tags=["parameters"]
unit_code: str = "toan_quoc"  # national code (params/plan.yaml national_code)
assessment_id: str = "final"  # assessment id in params/assessments.yaml: midterm | final
data_path: str = ""  # multi-province input (workbook or CSV folder); used without bundle_path
output_lang: str = "vi"  # language of the report (Vietnamese)
bundle_path: str = ""  # pickled national Review written by the build; empty: compute it here

# %%
# ruff: noqa: E402  (a notebook imports after its parameters cell)
from IPython.display import display

from analysis.present import report as national

ctx = national.load_national_context(unit_code, assessment_id, data_path, bundle_path, output_lang)

# %%
display(national.title_page(ctx))

# %%
display(national.scorecard_section(ctx))

# %%
display(national.heat_table_section(ctx))

# %%
display(national.target_sections(ctx))

# %%
display(national.process_section(ctx))

# %%
display(national.data_notes_section(ctx))

# %%
display(national.appendix_section(ctx))
