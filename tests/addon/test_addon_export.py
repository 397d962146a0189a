"""Export through Blender's own exporters: BVH re-imported joint by joint; FBX written for the take's range."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from addon_fakes import enable_addon, write_capture
from addon_synth import synthetic_joints


@pytest.fixture(scope="module")
def baked(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A fresh scene with one imported take of 40 frames (frames 1..40); returns its joints."""
    enable_addon()
    import bpy

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    joints = synthetic_joints(40, seed=5)
    path = write_capture(tmp_path_factory.mktemp("take") / "take.npz", joints, fps=30.0, video="dance.mp4")
    bpy.context.scene.video_mocap.fps_mode, bpy.context.scene.video_mocap.start_frame = "SCENE_FROM_CLIP", 1
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    return joints


def _joint_positions(obj, frame: int) -> np.ndarray:  # noqa: ANN001
    """(17, 3): a joint is the head of a bone starting there, else the tail of the bone ending there."""
    import bpy
    from video_mocap.core.rig_layout import BONES

    bpy.context.scene.frame_set(frame)
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    points = np.full((17, 3), np.nan)
    for spec in BONES:
        bone = evaluated.pose.bones[spec.name]
        points[spec.tail_joint] = evaluated.matrix_world @ bone.tail
    for spec in BONES:
        points[spec.head_joint] = evaluated.matrix_world @ evaluated.pose.bones[spec.name].head
    return points


@pytest.mark.parametrize(("up", "axes"), [("Y", {}), ("Z", {"axis_forward": "Y", "axis_up": "Z"})])
def test_bvh_round_trip_reproduces_the_joints(baked: np.ndarray, tmp_path: Path, up: str, axes: dict) -> None:
    """Y up (the default) re-imports right with Blender's importer defaults; Z up with Blender's own axes."""
    import bpy

    path = tmp_path / f"take_{up}.bvh"
    assert bpy.ops.video_mocap.export_bvh(filepath=str(path), up_axis=up) == {"FINISHED"}
    text = path.read_text()
    assert "ROOT Hips" in text and "Frames: 40" in text and text.count("End Site") == 5  # head, 2 wrists, 2 ankles
    before = {o.name for o in bpy.data.objects}
    bpy.ops.import_anim.bvh(filepath=str(path), global_scale=1.0, update_scene_fps=False,
                            update_scene_duration=False, **axes)  # fmt: skip
    (imported,) = [o for o in bpy.data.objects if o.name not in before]
    for frame in (1, 13, 40):
        error = np.abs(_joint_positions(imported, frame) - baked[frame - 1]).max()
        assert error < 1e-3, f"frame {frame}: BVH joint error {error * 1000:.2f} mm"


def test_bvh_round_trip_through_an_independent_reader(baked: np.ndarray, tmp_path: Path) -> None:
    """The project's own BVH reader (core.data.bvh, written for CMU files, not for this writer) agrees too."""
    import bpy
    from video_mocap.core.data.bvh import read_bvh
    from video_mocap.core.rig_layout import BONES

    path = tmp_path / "take.bvh"
    assert bpy.ops.video_mocap.export_bvh(filepath=str(path)) == {"FINISHED"}
    motion = read_bvh(path)
    pos = motion.positions()  # (T, J, 3), Y up
    z_up = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)
    for spec in BONES:
        name = spec.name
        np.testing.assert_allclose(z_up[:, motion.skeleton.index(name)], baked[:, spec.head_joint], atol=1e-3)
        if f"{name}_End" in motion.skeleton.names:
            np.testing.assert_allclose(z_up[:, motion.skeleton.index(f"{name}_End")], baked[:, spec.tail_joint],
                                       atol=1e-3)  # fmt: skip


def test_bvh_frame_range_and_scale(baked: np.ndarray, tmp_path: Path) -> None:
    import bpy

    path = tmp_path / "part.bvh"
    assert bpy.ops.video_mocap.export_bvh(filepath=str(path), use_action_range=False, frame_start=5, frame_end=14,
                                          global_scale=100.0) == {"FINISHED"}
    text = path.read_text()
    assert "Frames: 10" in text
    hip_offset = [float(v) for v in text.split("JOINT Thigh.R")[1].split("OFFSET")[1].split("\n")[0].split()]
    assert np.linalg.norm(hip_offset) == pytest.approx(100 * 0.13, rel=1e-3)  # Hip.R length, m → cm
    with pytest.raises(RuntimeError, match="ends"):
        bpy.ops.video_mocap.export_bvh(filepath=str(path), use_action_range=False, frame_start=9, frame_end=2)


def test_export_into_a_read_only_folder_is_a_message_not_a_traceback(
    baked: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bpy

    # Tests run as root (CI too), which ignores folder permissions: make the folder read-only to the check itself.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path else real_access(path, mode))
    with pytest.raises(RuntimeError) as err:
        bpy.ops.video_mocap.export_bvh(filepath=str(tmp_path / "take.bvh"))
    assert "read-only folder" in str(err.value) and "Traceback" not in str(err.value)
    assert not (tmp_path / "take.bvh").exists()


def test_export_into_a_missing_folder_is_a_message(baked: np.ndarray, tmp_path: Path) -> None:
    import bpy

    with pytest.raises(RuntimeError) as err:
        bpy.ops.video_mocap.export_fbx(filepath=str(tmp_path / "nowhere" / "take.fbx"))
    assert "missing or read-only folder" in str(err.value) and "Traceback" not in str(err.value)


def test_fbx_export_writes_the_take_and_restores_the_scene(baked: np.ndarray, tmp_path: Path) -> None:
    import bpy

    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 100, 200
    path = tmp_path / "take.fbx"
    assert bpy.ops.video_mocap.export_fbx(filepath=str(path)) == {"FINISHED"}
    assert path.stat().st_size > 10_000 and b"Kaydara FBX Binary" in path.read_bytes()[:32]
    assert (scene.frame_start, scene.frame_end) == (100, 200)
    # Leaf bones carry the wrists', ankles' and head top's positions: every joint survives Blender's importer.
    before = {o.name for o in bpy.data.objects}
    scene.frame_start, scene.frame_end = 1, 40
    # anim_offset=0: the importer otherwise shifts every key one frame later (its default offset is 1 frame)
    bpy.ops.import_scene.fbx(filepath=str(path), ignore_leaf_bones=False, automatic_bone_orientation=False,
                             anim_offset=0.0)  # fmt: skip
    (imported,) = [o for o in bpy.data.objects if o.name not in before and o.type == "ARMATURE"]
    for frame in (1, 13, 40):
        error = np.abs(_joint_positions(imported, frame) - baked[frame - 1]).max()
        assert error < 1e-3, f"frame {frame}: FBX joint error {error * 1000:.2f} mm"
