"""Helpers for tests that need Blender (the bpy module) in a fresh, isolated process.

Each call runs a small Python script in a subprocess with its own ``BLENDER_USER_RESOURCES`` so that installing or
enabling the extension never touches the developer's Blender configuration, and so that one test's registered
classes cannot leak into another's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def bpy_dir() -> Path:
    """The installed bpy package folder (holds Blender's scripts, e.g. the extension CLI)."""
    import importlib.util

    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the bpy module is not installed in this Python")
    return Path(list(spec.submodule_search_locations)[0])


def blender_ext_cli() -> Path:
    """Blender's own extension command line (validate/build), shipped inside the bpy wheel."""
    return next(bpy_dir().glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))


def blender_valid_tags() -> Path:
    """The tag list Blender itself validates against (``blender --command extension`` uses it)."""
    return next(bpy_dir().glob("*/scripts/modules/_bpy_internal/extensions/tags.py"))


def run_bpy_script(script: str, user_resources: Path, *args: str, timeout: float = 180.0) -> dict:
    """Run ``script`` with bpy in a fresh process; the script prints one JSON line prefixed ``RESULT:``.

    Returns the parsed JSON. Raises AssertionError with the whole output when the process fails or prints no result.
    """
    env = dict(os.environ)
    env["BLENDER_USER_RESOURCES"] = str(user_resources)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        cwd=str(user_resources),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    out = proc.stdout + proc.stderr
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT:"):
            if proc.returncode != 0:
                raise AssertionError(f"bpy script exited {proc.returncode}:\n{out}")
            return json.loads(line[len("RESULT:"):])
    raise AssertionError(f"bpy script printed no RESULT (exit {proc.returncode}):\n{out}")
