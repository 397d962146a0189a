"""Capture from Video through the operator's synchronous path (what background mode runs): a fake worker, then the
real worker on a shared clip with a tiny random lifter (the shipped weights are not needed)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from addon_fakes import FakeWorker, enable_addon
from addon_synth import synthetic_joints
from repo import REPO_ROOT

from core.options import CaptureOptions


@pytest.fixture()
def scene(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    enable_addon()
    import bpy

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    settings = bpy.context.scene.video_mocap
    settings.fps_mode, settings.start_frame, settings.use_frame_range = "SCENE_FROM_CLIP", 1, False
    settings.last_status = ""
    monkeypatch.setenv("VIDEO_MOCAP_PYTHON", sys.executable)
    return bpy.context.scene


def test_capture_with_a_fake_worker_bakes_the_result(scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bpy

    video = tmp_path / "hop.mp4"
    video.write_bytes(b"not decoded by the fake worker")
    joints = synthetic_joints(24)
    workers: list[FakeWorker] = []

    def factory(context):  # noqa: ANN001, ANN202
        return lambda: workers.append(FakeWorker("ok", joints)) or workers[-1]

    capture = importlib.import_module("video_mocap.operators.capture")
    monkeypatch.setattr(capture, "worker_factory", factory)
    settings = scene.video_mocap
    settings.video_path, settings.height, settings.model = str(video), 1.62, "CAUSAL"
    settings.use_frame_range, settings.video_frame_start, settings.video_frame_end = True, 3, 26
    assert bpy.ops.video_mocap.capture() == {"FINISHED"}
    sent = next(m for m in workers[0].sent if m["cmd"] == "capture")
    assert sent["video"] == str(video) and sent["output"].endswith(".npz")
    assert sent["options"] == CaptureOptions(height=1.62, model="causal", device="auto", frame_start=3,
                                             frame_end=26).to_dict()
    assert settings.last_armature.name == "walk_Mocap" and settings.last_frames == 24
    assert not bpy.context.window_manager.video_mocap_job.running
    assert {"decode", "detect", "lift"} <= set(capture.VIDEO_MOCAP_OT_capture.last_stage_seconds)


def test_capture_reports_a_missing_video(scene) -> None:
    import bpy

    scene.video_mocap.video_path = "/no/such/video.mp4"
    with pytest.raises(RuntimeError, match="video file not found"):
        bpy.ops.video_mocap.capture()


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    from core.models import LifterConfig, build_model, save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "tiny.pt"
    save_checkpoint(path, build_model(LifterConfig(filter_widths=(3, 3), channels=16, groups=2, reduction=8)))
    return path


def test_capture_with_the_real_worker(scene, shared_dir: Path, tiny_weights: Path) -> None:
    import bpy

    settings = scene.video_mocap
    settings.video_path = str(shared_dir / "videos" / "intel_worker_walking_480x270.mp4")
    settings.use_frame_range, settings.video_frame_start, settings.video_frame_end = True, 0, 11
    settings.model = "OFFLINE"
    assert bpy.ops.video_mocap.capture(weights=str(tiny_weights)) == {"FINISHED"}, settings.last_status
    obj = settings.last_armature
    assert obj.name == "intel_worker_walking_480x270_Mocap" and settings.last_frames == 12
    assert scene.render.fps / scene.render.fps_base == pytest.approx(16.67, abs=0.01)
    capture_file = importlib.import_module("video_mocap.core.capture_file")
    capture = capture_file.load_capture(settings.last_capture_path)
    assert capture.frames == 12 and np.all(np.isfinite(capture.joints_world))
    assert settings.last_detection_rate == pytest.approx(float(np.mean(capture.detected)))


def test_real_worker_error_reaches_the_user(scene, tmp_path: Path) -> None:
    import bpy

    pytest.importorskip("torch", reason="the worker runs with this Python, which needs torch")
    settings = scene.video_mocap
    settings.video_path = str(REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4")
    with pytest.raises(RuntimeError, match="(?i)weights"):
        bpy.ops.video_mocap.capture(weights=str(tmp_path / "missing.pt"))
    assert settings.last_status.startswith("Capture failed")
