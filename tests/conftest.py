"""Shared fixtures: a copy of the demo data users can break, and a fixed build date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import config


@pytest.fixture(autouse=True)
def _fixed_build_date(monkeypatch):
    # 2020-07-01: every generated file carries this date, so outputs are comparable.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1593561600")


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A writable copy of the bundled demo CSV folder."""
    target = tmp_path / "data"
    shutil.copytree(config.DEMO_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target
