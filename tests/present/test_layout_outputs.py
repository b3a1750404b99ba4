"""Item 20 of issue 13: the test session writes nothing into the repository's outputs/."""

from __future__ import annotations

import os
from pathlib import Path

from analysis import config
from tests.conftest import REPO_OUTPUTS, repo_output_files


def test_session_outputs_folder_is_outside_the_repository():
    """``TCCSD_OUTPUTS`` is set for the whole session, to a folder outside the project."""
    override = os.environ.get("TCCSD_OUTPUTS")
    assert override, "TCCSD_OUTPUTS is not set for the test session"
    out = config.outputs_dir()
    assert out == Path(override).resolve()
    assert out != REPO_OUTPUTS
    assert config.PROJ_ROOT not in out.parents


def test_guard_lists_new_files_but_not_gitkeep(tmp_path):
    root = tmp_path / "outputs"
    assert repo_output_files(root) == set()
    root.mkdir()
    (root / ".gitkeep").write_text("")
    assert repo_output_files(root) == set()
    (root / "test-artefacts").mkdir()
    (root / "test-artefacts" / "index.png").write_bytes(b"x")
    (root / ".cache").mkdir()
    (root / ".cache" / "review-ab.pkl").write_bytes(b"x")
    assert repo_output_files(root) == {"test-artefacts/index.png", ".cache/review-ab.pkl"}

