"""The test set-up leaves no temporary folders behind (tests/conftest.py's throw-away Blender user folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repo import REPO_ROOT


def test_a_test_run_removes_its_blender_user_folder(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("BLENDER_USER_RESOURCES", None)
    env.pop("VIDEO_MOCAP_CACHE", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_gaps.py"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list(tmp_path.glob("video_mocap_*")), sorted(p.name for p in tmp_path.iterdir())
