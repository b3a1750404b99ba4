"""tccsd-review: review of the 2016–2020 resolution on grassroots party organizations.

The package is organised in four wings that import downwards only
(``data`` → ``measure`` → ``present`` → ``run``); see ``docs/architecture.md``.
Importing :mod:`analysis` is deliberately light: heavy libraries are imported where used.
"""

__version__ = "0.1.0"
