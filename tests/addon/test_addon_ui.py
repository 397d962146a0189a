"""Registration, the sidebar panel and the preferences, headless (bpy 5.0.1)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from addon_fakes import enable_addon, write_capture
from addon_synth import synthetic_joints
from blender_env import REPO_ROOT, run_bpy_script

REGISTER_TWICE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import bpy, addon_utils
from tools.addon_dev import enable_from_checkout
types_before = set(dir(bpy.types))
scene_before = set(bpy.types.Scene.bl_rna.properties.keys())
scene_attrs = {n for n in dir(bpy.types.Scene) if n.startswith("video_mocap")}
wm_before = set(bpy.types.WindowManager.bl_rna.properties.keys())
ops_before = set(dir(bpy.ops.video_mocap))
runs = []
for _ in range(2):
    module = enable_from_checkout()
    added = sorted(set(dir(bpy.types)) - types_before)
    has_props = hasattr(bpy.types.Scene, "video_mocap") and hasattr(bpy.types.WindowManager, "video_mocap_job")
    ops = sorted(set(dir(bpy.ops.video_mocap)) - ops_before)
    addon_utils.disable("video_mocap", default_set=True, handle_error=None)
    runs.append({"added": added, "props": has_props, "ops": ops,
                 "link_folder": str(Path(module.__file__).parent.parent),
                 "left_types": sorted(set(dir(bpy.types)) - types_before),
                 "left_scene": sorted(set(bpy.types.Scene.bl_rna.properties.keys()) - scene_before),
                 "left_wm": sorted(set(bpy.types.WindowManager.bl_rna.properties.keys()) - wm_before),
                 "left_attr": sorted({n for n in dir(bpy.types.Scene) if n.startswith("video_mocap")} - scene_attrs)})
print("RESULT:" + json.dumps(runs))
"""


def test_register_unregister_twice_leaves_nothing(tmp_path: Path) -> None:
    pytest.importorskip("bpy")
    runs = run_bpy_script(REGISTER_TWICE, tmp_path, str(REPO_ROOT))
    for run in runs:
        assert "VIEW3D_PT_video_mocap" in run["added"] and run["props"]
        assert {"capture", "cancel_capture", "import_capture", "bake", "export_bvh", "export_fbx",
                "select_result", "install_dependencies", "check_worker"} <= set(run["ops"])
        assert run["left_types"] == [] and run["left_scene"] == [] and run["left_wm"] == [], run
        assert run["left_attr"] == []
        assert not Path(run["link_folder"]).exists()  # tools/addon_dev.py removes its temporary folder at exit


@pytest.fixture(scope="module")
def addon():  # noqa: ANN201
    return enable_addon()


def _draw_panel(context) -> list:  # noqa: ANN001
    from addon_layout import RecordingLayout
    from video_mocap.panels.main_panel import VIEW3D_PT_video_mocap

    layout = RecordingLayout()
    VIEW3D_PT_video_mocap.draw(SimpleNamespace(layout=layout), context)
    return layout.log


def test_panel_draws_idle_running_and_after_a_run(addon, tmp_path: Path) -> None:
    import bpy

    context = bpy.context
    from video_mocap.panels.main_panel import VIEW3D_PT_video_mocap

    assert (VIEW3D_PT_video_mocap.bl_space_type, VIEW3D_PT_video_mocap.bl_region_type,
            VIEW3D_PT_video_mocap.bl_category) == ("VIEW_3D", "UI", "Mocap")
    idle = _draw_panel(context)
    assert ("operator", "video_mocap.capture") in idle and not any(k == "progress" for k, _ in idle)
    for name in ("video_path", "height", "smoothing", "model", "fps_mode", "start_frame", "video_frame_start"):
        assert ("prop", name) in idle

    job = context.window_manager.video_mocap_job
    job.running, job.stage, job.progress, job.frames_done, job.frames_total, job.fps = True, "lift", 0.4, 40, 100, 31.5
    try:
        running = _draw_panel(context)
    finally:
        job.running = False
    assert ("operator", "video_mocap.cancel_capture") in running
    assert ("progress", "Lift 40/100 · 31.5 frames/s") in running

    path = write_capture(tmp_path / "take.npz", synthetic_joints(30))
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    after = _draw_panel(context)
    assert ("operator", "video_mocap.select_result") in after and ("operator", "video_mocap.export_bvh") in after
    assert any(k == "label" and "30 frames" in str(t) for k, t in after)


def test_preferences_draw_and_explain_offline(addon) -> None:
    import bpy
    from addon_layout import DrawProxy, RecordingLayout
    from video_mocap.panels.preferences import VideoMocapPreferences

    prefs = bpy.context.preferences.addons["video_mocap"].preferences
    assert isinstance(prefs, VideoMocapPreferences) and prefs.device == "AUTO"
    layout = RecordingLayout()
    VideoMocapPreferences.draw(DrawProxy(prefs, layout), bpy.context)
    assert ("prop", "python_path") in layout.log and ("prop", "device") in layout.log
    assert ("operator", "video_mocap.check_worker") in layout.log
    labels = " ".join(str(t) for k, t in layout.log if k == "label")
    assert bpy.app.online_access is False  # the bpy module runs offline by default
    assert "Allow Online Access" in labels and ("operator", "video_mocap.install_dependencies") not in layout.log


def test_install_refuses_without_online_access(addon) -> None:
    import bpy

    with pytest.raises(RuntimeError, match="Online access is disabled"):
        bpy.ops.video_mocap.install_dependencies()


def test_check_worker_reports_versions(addon, monkeypatch: pytest.MonkeyPatch) -> None:
    import bpy

    pytest.importorskip("torch", reason="the worker runs with this Python, which needs torch")
    monkeypatch.setenv("VIDEO_MOCAP_PYTHON", sys.executable)
    assert bpy.ops.video_mocap.check_worker() == {"FINISHED"}
    info = bpy.context.window_manager.video_mocap_job.worker_info
    assert info.startswith("cpu |") and "torch" in info and "environment" in info


def test_panel_defaults_are_the_options_defaults(addon) -> None:
    """The smoothing an artist gets by clicking Capture from Video is the tuned one (core/options.py), and live's
    panel starts from live's default: both read from the dataclass and from a scene that never set them."""
    import bpy

    from core.options import CaptureOptions, LiveOptions

    scene = bpy.data.scenes.new("defaults")
    try:
        rna = scene.video_mocap.bl_rna.properties
        for name in ("smoothing", "height", "mediapipe_3d"):
            assert rna[name].default == pytest.approx(getattr(CaptureOptions(), name))
            assert getattr(scene.video_mocap, name) == pytest.approx(getattr(CaptureOptions(), name))
        assert scene.video_mocap.model.lower() == CaptureOptions().model
        assert scene.video_mocap.hands is CaptureOptions().hands is False
        from video_mocap.operators.capture import capture_options

        scene.video_mocap.hands = True  # the panel's checkbox reaches the worker's options
        assert capture_options(scene.video_mocap, "cpu").hands is True
        scene.video_mocap.mediapipe_3d = 0.0  # the slider too
        assert capture_options(scene.video_mocap, "cpu").mediapipe_3d == 0.0
        live_rna = scene.video_mocap_live.bl_rna.properties
        assert live_rna["smoothing"].default == pytest.approx(LiveOptions().smoothing)
        assert scene.video_mocap_live.smoothing == pytest.approx(LiveOptions().smoothing)
    finally:
        bpy.data.scenes.remove(scene)
