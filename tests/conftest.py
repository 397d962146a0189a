"""Shared pytest set-up.

* The repository root goes on sys.path so tests import the bpy-free core as the top-level package ``core``
  (the same way the worker process imports it from an installed extension).
* Importing bpy writes ~/.config/blender: point BLENDER_USER_RESOURCES at a throw-away folder before any test can
  import it; the folder is removed when the test process exits.
* The repository root is the add-on package, so pytest imports its __init__.py (which imports bpy) before any test.
  Where bpy is not installed an empty stand-in takes its place, so the bpy-free tests still run (the bpy tests fail).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"

# The repository root (for ``core``) and tests/helpers (shared test helpers, imported by module name) on sys.path.
for _path in (REPO_ROOT, REPO_ROOT / "tests" / "helpers"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

if importlib.util.find_spec("bpy") is None:
    _stand_in = types.ModuleType(REPO_ROOT.name, "The add-on package, not imported: bpy is not installed.")
    _stand_in.__file__, _stand_in.__path__ = str(REPO_ROOT / "__init__.py"), [str(REPO_ROOT)]
    sys.modules.setdefault(REPO_ROOT.name, _stand_in)

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
    """The ../shared folder beside the checkout; tests that need it skip with a clear reason when absent.

    In CI (CI=true, as GitHub Actions and most CI services set) a missing ../shared is an error: a skip there would
    drop the real-data tests while the run still passes.
    """
    if not SHARED.is_dir():
        reason = f"../shared is not beside the repository (looked at {SHARED})"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}; CI must provide it", pytrace=False)
        pytest.skip(reason)
    return SHARED
