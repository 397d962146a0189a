"""Shared pytest set-up.

* The repository root goes on sys.path so tests import the bpy-free core as the top-level package ``core``
  (the same way the worker process imports it from an installed extension).
* Importing bpy writes ~/.config/blender: point BLENDER_USER_RESOURCES at a throw-away folder before any test can
  import it; the folder is removed when the test process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

_BLENDER_HOME = tempfile.mkdtemp(prefix="video_mocap_blender_")
# Registered before bpy is imported, so it runs after bpy's own exit handlers (atexit runs last-in, first-out).
atexit.register(shutil.rmtree, _BLENDER_HOME, ignore_errors=True)
os.environ.setdefault("BLENDER_USER_RESOURCES", _BLENDER_HOME)
os.environ.setdefault("VIDEO_MOCAP_CACHE", str(Path(_BLENDER_HOME) / "cache"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the checkout; tests that need it skip with a clear reason when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is not beside the repository (looked at {SHARED})")
    return SHARED
