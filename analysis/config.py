"""Every path the suite uses, derived from one root.

Nothing else in the package builds a path from a literal: notebooks, the runner and tests ask
this module. ``TCCSD_OUTPUTS`` overrides where generated files go (a directory the user names).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parent
PARAMS_DIR = PROJ_ROOT / "params"
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
DOCS_DIR = PROJ_ROOT / "docs"

SCHEMA_FILE = PACKAGE_DIR / "data" / "tables.yaml"
VOCABULARIES_FILE = PACKAGE_DIR / "data" / "vocabularies.yaml"
CATALOGUE_FILE = PACKAGE_DIR / "measure" / "catalogue.yaml"
#: The bundled demo dataset (a folder of CSV written by ``analysis.data.demo``).
DEMO_DATA_DIR = PACKAGE_DIR / "demo"


def outputs_dir() -> Path:
    """Directory for generated files: ``$TCCSD_OUTPUTS`` or ``<project>/outputs``."""
    override = os.environ.get("TCCSD_OUTPUTS")
    return Path(override).resolve() if override else PROJ_ROOT / "outputs"
