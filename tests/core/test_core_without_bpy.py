"""core/ must never import bpy: it runs in the worker process and in plain Python."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from repo import REPO_ROOT

# Modules that only exist inside Blender; importing any of them from core/ is a design error.
BLENDER_ONLY = ("bpy", "bpy_extras", "bmesh", "mathutils", "addon_utils", "bl_math", "gpu", "aud")

CHECK = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    BLOCKED = set(json.loads(sys.argv[1]))

    class BlockBlender:
        # A meta-path finder that makes Blender's modules unimportable, as in a plain Python without bpy.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"core imported Blender module {name!r}")
            return None

    sys.meta_path.insert(0, BlockBlender())
    sys.path.insert(0, sys.argv[2])
    import core
    names = ["core"] + [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # report every module, not only the first
            failures[name] = f"{type(exc).__name__}: {exc}"
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print("RESULT:" + json.dumps({"modules": names, "failures": failures, "leaked": leaked}))
    """
)


def test_every_core_module_imports_without_blender() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(BLENDER_ONLY), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(REPO_ROOT),
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT:")]
    assert lines, proc.stdout + proc.stderr
    result = json.loads(lines[-1][len("RESULT:"):])
    assert result["failures"] == {}, result["failures"]
    assert result["leaked"] == []
    # The walk really visited the package (guards against an empty or mis-rooted core/).
    assert "core" in result["modules"]
    assert len(result["modules"]) >= 4, result["modules"]


def test_core_sources_never_name_bpy() -> None:
    """A static check too: a lazy `import bpy` inside a function would escape the import-time check."""
    offenders = []
    for path in sorted((REPO_ROOT / "core").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            for module in BLENDER_ONLY:
                if stripped.startswith((f"import {module}", f"from {module} ", f"from {module}.")):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {stripped}")
    assert offenders == []
