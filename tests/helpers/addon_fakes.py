"""Test doubles for the add-on: enabling it from the checkout, a scripted fake worker, a capture .npz writer."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from core.capture_file import save_capture


def enable_addon() -> ModuleType:
    """The add-on enabled in this process's bpy (module name ``video_mocap``), once per session."""
    pytest.importorskip("bpy", reason="the bpy module is needed for add-on tests")
    from tools.addon_dev import enable_from_checkout

    return enable_from_checkout()


def import_adventurer(shared_dir: Path) -> Any:
    """An empty scene with the retarget feature registered and the shared Quaternius "Adventurer" (CC0) imported by
    Blender's glTF importer: its own clips unassigned and the pose they left (its Root bone too) cleared back to the
    rest pose. Skips the test when the avatar is absent. Returns the armature object."""
    import bpy

    enable_addon()
    from video_mocap.operators import retarget
    from video_mocap.panels import retarget_panel

    if not hasattr(bpy.types.Scene, "video_mocap_retarget"):
        retarget.register()
        retarget_panel.register()
    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions, bpy.data.meshes):
        for block in list(collection):
            collection.remove(block)
    path = shared_dir / "avatars" / "quaternius_adventurer.gltf"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert bpy.ops.import_scene.gltf(filepath=str(path)) == {"FINISHED"}
    target = next(o for o in bpy.data.objects if o.type == "ARMATURE")
    if target.animation_data is not None:
        target.animation_data.action = None  # the file's own clips (Idle, Run, ...) are not ours
    for bone in target.pose.bones:
        bone.location, bone.rotation_quaternion, bone.scale = (0, 0, 0), (1, 0, 0, 0), (1, 1, 1)
        bone.rotation_euler = (0, 0, 0)
    return target


def write_capture(path: Path, joints: np.ndarray, fps: float = 25.0, video: str = "walk.mp4",
                  present: np.ndarray | None = None, warnings: list[str] | None = None,
                  contacts: np.ndarray | None = None, hands: Any = None) -> Path:  # fmt: skip
    """A capture .npz with the worker's keys (docs/capture.md) around the given (T, 17, 3) world joints;
    ``hands`` a core.hands.track.HandMotion (the hand arrays) or None."""
    t = len(joints)
    detected = np.ones(t, dtype=bool)
    detected[: max(1, t // 10)] = False
    save_capture(path, joints_2d=np.zeros((t, 17, 2)), confidence=np.ones((t, 17)), detected=detected,
                 joints_3d_camera=joints, joints_3d_world=joints, fps=fps, frame_indices=np.arange(t),
                 times=np.arange(t) / fps, lr_swapped=np.zeros(t, dtype=bool), image_size=(640, 360), options={},
                 summary={"video": video, "warnings": warnings or []}, present=present,
                 contacts=contacts, hands=hands)
    return path


class FakeWorker:
    """A stand-in for core.worker.client.WorkerClient (the part the runners use) that speaks the worker protocol
    from a script. scenario: "ok", "error", "die", "silent" (never ready), "slow"
    (progress forever until cancelled). On "ok" it writes `joints` as the capture .npz."""

    def __init__(self, scenario: str = "ok", joints: np.ndarray | None = None) -> None:
        self.scenario = scenario
        self.joints = joints
        self.sent: list[dict[str, Any]] = []
        self.closed = False
        self.alive = True
        self._queue: list[dict[str, Any]] = [] if scenario == "silent" else [
            {"type": "ready", "versions": {"torch": "fake"}, "device": "cpu"}]

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        job = message.get("id")
        if message["cmd"] == "capture":
            if self.scenario == "die":
                self.alive = False
                return
            self._queue += [{"type": "progress", "id": job, "stage": stage, "done": n, "total": 10, "fps": 50.0}
                            for stage in ("decode", "detect", "lift") for n in (0, 10)]
            if self.scenario == "ok":
                write_capture(Path(message["output"]), self.joints)
                self._queue.append({"type": "result", "id": job, "path": message["output"]})
            elif self.scenario == "error":
                self._queue.append({"type": "error", "id": job, "kind": "no_person", "message": "nobody in the video",
                                    "log": "/tmp/worker.log"})
        elif message["cmd"] == "cancel":
            self._queue.append({"type": "cancelled", "id": job})

    def poll(self) -> list[dict[str, Any]]:
        # One message per poll: the runner must cope with messages spread over many timer ticks.
        return [self._queue.pop(0)] if self._queue else []

    @property
    def exited(self) -> bool:
        return not self.alive

    def shutdown(self) -> None:
        self.closed = True

    def log_tail(self) -> str:
        return "fake log tail"
