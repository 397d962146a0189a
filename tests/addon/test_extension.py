"""The add-on as Blender sees it: enable from a folder, validate and build the extension, install the zip.

Each Blender step runs in a fresh process (tests/helpers/blender_env.py) with its own BLENDER_USER_RESOURCES.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from blender_env import REPO_ROOT, blender_ext_cli, blender_valid_tags, run_bpy_script

pytest.importorskip("bpy", reason="the bpy module (Blender as a Python module) is needed for extension tests")

MANIFEST = tomllib.loads((REPO_ROOT / "blender_manifest.toml").read_text(encoding="utf-8"))

# Paths that are development/CI tooling and must never ship inside the extension.
TOOLING_PREFIXES = ("tests/", ".ci/", "bench/", "docs/", "tools/", "configs/", "runs/", "checkpoints/", "out/", "dist/",
                    ".venv/", "assets/", ".git")
TOOLING_FILES = ("run", "pyproject.toml", ".gitignore")


def test_manifest_fields() -> None:
    assert MANIFEST["id"] == "video_mocap"
    assert MANIFEST["version"] == "0.1.0"
    assert MANIFEST["type"] == "add-on"
    assert MANIFEST["blender_version_min"] == "4.2.0"
    assert MANIFEST["license"] == ["SPDX:GPL-3.0-or-later", "SPDX:CC-BY-SA-4.0"]  # code; weights (HDM05)
    permissions = MANIFEST["permissions"]
    assert {"files", "camera"} <= set(permissions)
    for reason in permissions.values():
        assert len(reason) <= 64 and not reason.endswith((".", "!", "?", ";", ":")), reason
    excluded = MANIFEST["build"]["paths_exclude_pattern"]
    # Setting the list replaces Blender's defaults: they must be repeated.
    for default in ("__pycache__/", ".*", "/*.zip", "*.blend[1-9]"):
        assert default in excluded


def _build(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, str(blender_ext_cli()), "build", "--source-dir", str(REPO_ROOT), "--output-dir", str(out),
         "--valid-tags", str(blender_valid_tags())],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zips = list(out.glob("*.zip"))
    assert [z.name for z in zips] == ["video_mocap-0.1.0.zip"], proc.stdout
    return zips[0]


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("build"))


def test_manifest_validates_with_blenders_own_cli() -> None:
    proc = subprocess.run(
        [sys.executable, str(blender_ext_cli()), "validate", str(REPO_ROOT), "--valid-tags", str(blender_valid_tags())],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zip_ships_the_addon_and_no_tooling(extension_zip: Path) -> None:
    names = zipfile.ZipFile(extension_zip).namelist()
    for required in ("blender_manifest.toml", "__init__.py", "LICENSE", "core/__init__.py",
                     "operators/__init__.py", "panels/__init__.py"):
        assert required in names, f"{required} missing from the extension zip"
    leaked = [n for n in names if n.startswith(TOOLING_PREFIXES) or n in TOOLING_FILES or "__pycache__" in n
              or (n.startswith("requirements") and n.endswith(".txt"))]
    assert leaked == [], f"tooling files in the extension zip: {leaked}"
    # Every shipped weight file sits beside its model card (sha256, data, acknowledgement).
    for name in names:
        if name.startswith("weights/") and name.endswith(".pt"):
            assert name[:-3] + ".json" in names, f"{name} ships without its model card"


ENABLE_FROM_FOLDER = """
import json, sys
from pathlib import Path
import bpy, addon_utils
parent = sys.argv[1]
sys.path.insert(0, parent)
before = set(dir(bpy.types))
mod = addon_utils.enable("video_mocap", default_set=True, handle_error=None)
registered = sorted(set(dir(bpy.types)) - before)
enabled = "video_mocap" in bpy.context.preferences.addons
addon_utils.disable("video_mocap", default_set=True, handle_error=None)
left = sorted(set(dir(bpy.types)) - before)
print("RESULT:" + json.dumps({"module": getattr(mod, "__file__", None), "registered": registered,
                               "enabled": enabled, "left_after_disable": left}))
"""


def test_addon_enables_from_a_folder_named_video_mocap(tmp_path: Path) -> None:
    """Enable the checkout (whatever its own folder name) as the add-on module ``video_mocap``."""
    parent = tmp_path / "addons"
    parent.mkdir()
    (parent / "video_mocap").symlink_to(REPO_ROOT, target_is_directory=True)
    home = tmp_path / "blender_home"
    home.mkdir()
    result = run_bpy_script(ENABLE_FROM_FOLDER, home, str(parent))
    assert result["module"] is not None and Path(result["module"]).name == "__init__.py"
    assert result["enabled"]
    assert result["registered"], "enabling the add-on registered no classes"
    assert result["left_after_disable"] == []


INSTALL_ZIP = """
import json, sys
import bpy, addon_utils
zip_path = sys.argv[1]
result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
name = "bl_ext.user_default.video_mocap"
loaded_default, loaded_state = addon_utils.check(name)
mod = sys.modules.get(name)
print("RESULT:" + json.dumps({"operator": sorted(result), "loaded_default": loaded_default,
                               "loaded_state": loaded_state, "enabled": name in bpy.context.preferences.addons,
                               "file": getattr(mod, "__file__", None)}))
"""


def test_built_zip_installs_and_is_really_enabled(extension_zip: Path, tmp_path: Path) -> None:
    # package_install_files reports FINISHED even when the install fails, so the add-on state is checked directly.
    result = run_bpy_script(INSTALL_ZIP, tmp_path, str(extension_zip))
    assert result["loaded_state"] is True, result
    assert result["enabled"] is True, result
    installed = Path(result["file"])
    assert installed.is_relative_to(tmp_path / "extensions" / "user_default" / "video_mocap"), installed
