"""Shared fixtures: a copy of the demo data users can break, and a fixed build date."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis import config

#: 2020-07-01: every generated file carries this date, so outputs are comparable.
FIXED_EPOCH = "1593561600"


def pytest_configure(config):  # noqa: ARG001 - pytest hook signature
    # Set before any fixture of any scope runs, so session fixtures see the same date.
    os.environ["SOURCE_DATE_EPOCH"] = FIXED_EPOCH


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A writable copy of the bundled demo CSV folder."""
    target = tmp_path / "data"
    shutil.copytree(config.DEMO_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target
