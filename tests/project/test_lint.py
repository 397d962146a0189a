"""The code base stays lint-clean (ruff, configured in pyproject.toml), so style drift shows up in CI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repo import REPO_ROOT


def _ruff() -> str:
    candidate = Path(sys.executable).with_name("ruff")
    found = str(candidate) if candidate.is_file() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff is not installed in this environment")
    return found


def test_ruff_check_passes() -> None:
    proc = subprocess.run([_ruff(), "check", "--no-cache", str(REPO_ROOT)], capture_output=True, text=True,
                          timeout=120, cwd=str(REPO_ROOT))
    assert proc.returncode == 0, proc.stdout + proc.stderr
