"""The built extension zip, installed like a user would, captures (real worker, tiny lifter) and bakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from blender_env import REPO_ROOT, blender_ext_cli, blender_valid_tags, run_bpy_script

pytest.importorskip("bpy", reason="the bpy module is needed for extension tests")

INSTALL_CAPTURE_BAKE = """
import json, os, sys
import bpy, addon_utils
zip_path, video, weights = sys.argv[1:4]
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
name = "bl_ext.user_default.video_mocap"
assert addon_utils.check(name)[1], "extension not enabled"
runtime = sys.modules[name + ".operators.runtime"]
settings = bpy.context.scene.video_mocap
settings.video_path = video
settings.use_frame_range, settings.video_frame_start, settings.video_frame_end = True, 0, 7
result = bpy.ops.video_mocap.capture(weights=weights)
obj = settings.last_armature
print("RESULT:" + json.dumps({
    "op": sorted(result), "armature": obj.name if obj else None, "frames": settings.last_frames,
    "status": settings.last_status,
    "addon_root": str(runtime.ADDON_ROOT), "runtime_dir": str(runtime.runtime_dir()),
    "prefs": bpy.context.preferences.addons[name].preferences.bl_rna.identifier}))
"""


def test_installed_zip_captures_and_bakes(tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from core.models import LifterConfig, build_model, save_checkpoint

    dist = tmp_path / "dist"
    dist.mkdir()
    build = subprocess.run([sys.executable, str(blender_ext_cli()), "build", "--source-dir", str(REPO_ROOT),
                            "--output-dir", str(dist), "--valid-tags", str(blender_valid_tags())],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr
    torch.manual_seed(0)
    weights = tmp_path / "tiny.pt"
    save_checkpoint(weights, build_model(LifterConfig(filter_widths=(3, 3), channels=16, groups=2, reduction=8)))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VIDEO_MOCAP_PYTHON", sys.executable)  # inherited by Blender's process, then by the worker
    result = run_bpy_script(INSTALL_CAPTURE_BAKE, home, str(next(dist.glob("*.zip"))),
                            str(shared_dir / "videos" / "intel_worker_walking_480x270.mp4"), str(weights))
    assert result["op"] == ["FINISHED"], result["status"]
    assert result["armature"] == "intel_worker_walking_480x270_Mocap" and result["frames"] == 8
    # The worker ran from the installed copy, and the runtime folder is the extension's user folder.
    assert Path(result["addon_root"]).is_relative_to(home / "extensions" / "user_default" / "video_mocap")
    assert Path(result["runtime_dir"]).is_relative_to(home / "extensions" / ".user" / "user_default" / "video_mocap")
    assert result["prefs"] == "VideoMocapPreferences"
