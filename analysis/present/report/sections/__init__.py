"""One module per report section; each section function returns one ``IPython.display.HTML``.

Sections never import each other: what two of them share lives one level up
(:mod:`analysis.present.report.common` and its siblings).
"""
