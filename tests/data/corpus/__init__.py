"""Hostile-input corpus: what staff really send, built at run time from the demo data.

``build`` cuts a small, clean slice of the bundled demo (one district, two years), writes it
as a workbook or a CSV folder with one quirk, and computes the expected numbers by hand (plain
integer sums over the demo's CSV text, not through ``analysis``). The ``test_*`` modules
parametrize one test per case, named by the case id.
"""
