"""The add-on's live side without an event loop: LiveRunner.step() against a scripted fake worker (newest pose
applied once per step, every pose recorded, stop, errors), the live armature posed without keyframes, and a recorded
take baked into an action at the camera's frame rate (bpy)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from addon_fakes import enable_addon
from addon_synth import synthetic_joints


@pytest.fixture(scope="module")
def live():  # noqa: ANN201 - the operators.live module, with the live classes registered
    enable_addon()
    import bpy
    from video_mocap.operators import live

    assert hasattr(bpy.types.Scene, "video_mocap_live")  # registered with the add-on
    return live


class FakeLiveWorker:
    """Speaks the live protocol: ready → (on "live") live_started + poses in bursts of ``burst`` per poll →
    (on "stop") live_stopped. ``frames``: the camera frame numbers to send; ``fail``: an error after the poses."""

    def __init__(self, frames: list[int], burst: int = 3, fps: float = 25.0, fail: bool = False,
                 end: bool = False, hands: bool = False) -> None:  # fmt: skip
        self.frames, self.burst, self.fps, self.fail, self.end = frames, burst, fps, fail, end
        self.joints = synthetic_joints(max(frames) + 1, seed=2)
        self.hands = _hands(len(self.joints)) if hands else None
        self.sent: list[dict[str, Any]] = []
        self.closed, self.alive = False, True
        self._queue: list[dict[str, Any]] = [{"type": "ready", "versions": {}, "device": "cpu"}]
        self._id = ""

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message["cmd"] == "live":
            self._id = message["id"]
            self._queue.append({"type": "live_started", "id": self._id, "fps": self.fps, "image_size": [640, 360]})
            self._queue += [{"type": "pose", "id": self._id, "frame": f, "t": f / self.fps, "latency_ms": 40.0,
                             "fps": 24.0, "joints_3d_world": self.joints[f].tolist(),
                             **({} if self.hands is None else {"hands": self.hands[f], "hands_ms": 12.5})}
                            for f in self.frames]  # fmt: skip
            if self.fail:
                self._queue.append({"type": "error", "id": self._id, "kind": "camera_lost", "message": "unplugged"})
            elif self.end:  # a video file that ran out
                self._queue.append({"type": "live_stopped", "id": self._id, "frames": len(self.frames), "dropped": 0})
        elif message["cmd"] == "stop":
            self._queue.append({"type": "live_stopped", "id": self._id, "frames": len(self.frames), "dropped": 2})

    def poll(self) -> list[dict[str, Any]]:
        out, self._queue = self._queue[: self.burst], self._queue[self.burst :]
        return out

    @property
    def exited(self) -> bool:
        return not self.alive

    def shutdown(self) -> None:
        self.closed = True

    def log_tail(self) -> str:
        return "fake log"


def _hands(n: int) -> list[dict[str, Any]]:
    """Per frame a live ``hands`` message part: random angles within the limits, random palm rotations."""
    from core.hands.angles import LIMITS

    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.normal(size=(n, 2, 3, 3)))
    q *= np.sign(np.linalg.det(q))[..., None, None]
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], (n, 2, 5, 4))
    return [{"angles": angles[k].tolist(), "rotation": q[k].tolist(), "seen": [True, k % 3 > 0]} for k in range(n)]


def test_runner_applies_only_the_newest_pose_and_records_every_pose(live) -> None:  # noqa: ANN001
    worker = FakeLiveWorker(list(range(12)), burst=3)
    applied: list[np.ndarray] = []
    runner = live.LiveRunner(lambda: worker, live.LiveRequest(camera=0, options={"height": 1.8}),
                             apply_pose=applied.append)
    runner.step()  # ready → live sent
    command = worker.sent[0]
    assert command["cmd"] == "live" and command["camera"] == 0 and command["options"] == {"height": 1.8}
    runner.step()  # live_started + 2 poses
    assert runner.state == "running" and runner.source_fps == 25.0 and runner.start_recording()
    while runner.received < 12:
        runner.step()
    assert len(applied) == 5  # one per step that brought poses (2 + 3 + 3 + 3 + 1), each the newest of its burst
    np.testing.assert_allclose(applied[-1], worker.joints[11])
    assert runner.recording and runner.recorded == 10 and runner.frame == 11
    runner.stop()
    assert runner.state == "stopping" and worker.sent[-1] == {"cmd": "stop", "id": runner.job_id}
    assert runner.step() == "stopped" and worker.closed and runner.dropped == 2
    (take,) = runner.pop_takes()  # Stop while recording ends the take
    assert take.frames == list(range(2, 12)) and take.fps == 25.0


def test_runner_reports_worker_errors_and_keeps_the_take(live) -> None:  # noqa: ANN001
    worker = FakeLiveWorker([0, 1, 2, 3], burst=2, fail=True)
    runner = live.LiveRunner(lambda: worker, live.LiveRequest(video="take.mp4"))
    runner.step()
    assert worker.sent[0]["video"] == "take.mp4"
    runner.step()
    runner.start_recording()
    while not runner.finished:
        runner.step()
    assert (runner.state, runner.error_kind, runner.error) == ("failed", "camera_lost", "unplugged")
    assert len(runner.pop_takes()) == 1 and worker.closed


def test_runner_notices_a_dead_worker(live) -> None:  # noqa: ANN001
    worker = FakeLiveWorker([0])
    runner = live.LiveRunner(lambda: worker, live.LiveRequest(camera=1))
    runner.step()
    worker.alive = False
    assert runner.step() == "failed" and runner.error_kind == "worker_died" and runner.error_log == "fake log"
    with pytest.raises(ValueError, match="either a camera or a video"):
        live.LiveRequest(camera=0, video="x.mp4")


def test_recorded_take_bakes_into_an_action_of_matching_length(live) -> None:  # noqa: ANN001
    import bpy
    from video_mocap.operators.action_api import action_fcurves

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.video_mocap.fps_mode, scene.video_mocap.start_frame = "SCENE_FROM_CLIP", 1
    frames = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13]  # frames 4 and 8 were dropped by the worker
    worker = FakeLiveWorker(frames, burst=2, fps=30.0)
    armature = live.LiveArmature(bpy.context)
    preview = live.LivePreview(live.LiveRunner(lambda: worker, live.LiveRequest(camera=0), apply_pose=armature.apply),
                               armature)
    preview.tick(bpy.context)
    preview.tick(bpy.context)
    assert preview.runner.start_recording()
    while preview.runner.received < len(frames):
        preview.tick(bpy.context)
    status = bpy.context.window_manager.video_mocap_live_status
    assert status.running and status.recording and status.recorded == 11 and status.fps == 24.0
    live_obj = armature.obj
    assert live_obj is not None and live_obj.animation_data is None  # posed directly: no action, no keys
    from video_mocap.operators.bake import armature_joints

    shown = armature_joints(bpy.context, live_obj, [scene.frame_current])[0]
    assert np.abs(shown - worker.joints[13]).max() < 1e-3  # the live armature shows the newest pose
    preview.runner.stop()
    while not preview.tick(bpy.context):
        pass
    (result,) = preview.baked
    assert result.frames == 13 - 1 + 1 and result.fps == 30.0  # frames 1..13 on the 30 fps camera grid
    assert scene.render.fps == 30 and (scene.frame_start, scene.frame_end) == (1, 13)
    curves = action_fcurves(result.action, result.armature)
    assert curves and all(len(c.keyframe_points) == 13 for c in curves)
    assert result.armature != live_obj and live_obj.animation_data is None
    assert scene.video_mocap.last_action == result.action and not status.running


def test_start_operator_runs_a_video_file_session_in_background_mode(live, monkeypatch) -> None:  # noqa: ANN001
    import bpy
    from video_mocap.operators import runtime

    worker = FakeLiveWorker(list(range(6)), end=True)
    monkeypatch.setattr(runtime, "worker_factory", lambda context: lambda: worker)
    settings = bpy.context.scene.video_mocap_live
    settings.source, settings.video_path, settings.smoothing = "FILE", "/clips/take.mp4", 0.2
    assert bpy.ops.video_mocap.live_start() == {"FINISHED"}
    command = worker.sent[0]
    assert command["video"] == "/clips/take.mp4" and command["options"]["smoothing"] == pytest.approx(0.2)
    assert settings.armature is not None and settings.armature.animation_data is None
    assert not bpy.context.window_manager.video_mocap_live_status.running
    settings.source = "CAMERA"  # a camera needs the interface (timers never run in background mode)
    with pytest.raises(RuntimeError, match="needs Blender's interface"):
        bpy.ops.video_mocap.live_start()


def test_live_hands_pose_the_armature_and_bake_with_the_take(live) -> None:  # noqa: ANN001
    import bpy
    from video_mocap.operators.action_api import action_fcurves

    from core.hands.rig import TEMPLATE, hand_pose

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    frames = [0, 1, 2, 4, 5, 6]
    worker = FakeLiveWorker(frames, burst=2, fps=30.0, hands=True)
    armature = live.LiveArmature(bpy.context)
    runner = live.LiveRunner(lambda: worker, live.LiveRequest(camera=0))
    runner.apply_pose = lambda joints: armature.apply(joints, runner.hands)  # as operators/live.py wires it
    preview = live.LivePreview(runner, armature)
    preview.tick(bpy.context)
    preview.tick(bpy.context)
    assert runner.start_recording()
    while runner.received < len(frames):
        preview.tick(bpy.context)
    obj = armature.obj
    assert "Index3.R" in obj.data.bones and runner.hands_ms == 12.5
    assert bpy.context.window_manager.video_mocap_live_status.hands_ms == pytest.approx(12.5)
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    wrist = np.array(evaluated.matrix_world @ evaluated.pose.bones["Hand.R"].head)
    hands = worker.hands[6]
    points = hand_pose(np.array(hands["rotation"])[1:], np.array(hands["angles"])[None, 1], wrist[None], TEMPLATE,
                       "right")[0][0]  # fmt: skip
    tip = np.array(evaluated.matrix_world @ evaluated.pose.bones["Index3.R"].tail)
    assert np.abs(tip - points[8]).max() < 1e-3  # the live armature's fingers show the newest hands
    runner.stop()
    while not preview.tick(bpy.context):
        pass
    (result,) = preview.baked
    paths = {c.data_path for c in action_fcurves(result.action, result.armature)}
    assert 'pose.bones["Pinky3.L"].rotation_quaternion' in paths and result.frames == 6
