"""The bake in Blender: joints reproduced through the depsgraph, action API path, names, scene timing, undo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from addon_fakes import enable_addon, write_capture
from addon_synth import synthetic_joints


@pytest.fixture(scope="module")
def addon():  # noqa: ANN201
    return enable_addon()


@pytest.fixture()
def scene(addon):  # noqa: ANN201
    """An empty scene at 24 fps (objects, armatures and actions of earlier tests removed)."""
    import bpy

    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.video_mocap.fps_mode, scene.video_mocap.start_frame = "SCENE_FROM_CLIP", 1
    return scene


def evaluated_joints(obj, frames) -> np.ndarray:  # noqa: ANN001
    """(len(frames), 17, 3) world positions of the joints, read from Blender's evaluated pose bones."""
    import bpy
    from video_mocap.core.rig_layout import JOINT_POINTS

    out = []
    for frame in frames:
        bpy.context.scene.frame_set(frame)
        evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        points = []
        for point in JOINT_POINTS:
            bone = evaluated.pose.bones[point.bone]
            points.append(evaluated.matrix_world @ (bone.head if point.end == "head" else bone.tail))
        out.append(np.array(points))
    return np.array(out)


def _bake(joints: np.ndarray, fps: float = 30.0, clip: str = "walk", **options):  # noqa: ANN003, ANN202
    import bpy
    from video_mocap.operators.bake import BakeOptions, bake_joints

    return bake_joints(bpy.context, joints, fps, clip, BakeOptions(**options))


def test_baked_bones_reproduce_the_joints_within_1mm(scene) -> None:
    joints = synthetic_joints(90, seed=1)
    result = _bake(joints, start_frame=10)
    frames = [10, 11, 40, 77, 99]
    error = np.abs(evaluated_joints(result.armature, frames) - joints[np.array(frames) - 10]).max()
    assert error < 1e-3, f"max joint error {error * 1000:.3f} mm"
    assert (result.frame_start, result.frame_end, result.frames) == (10, 99, 90)


def test_action_api_path_matches_this_blender(scene) -> None:
    import bpy
    from video_mocap.core.rig_layout import BONES
    from video_mocap.operators.action_api import action_fcurves, uses_layered_actions

    result = _bake(synthetic_joints(12))
    action = result.action
    layered = hasattr(bpy.types, "ActionSlot") and hasattr(bpy.types, "ActionChannelbag")
    assert uses_layered_actions() == layered
    if bpy.app.version >= (5, 0, 0):
        assert layered and not hasattr(action, "fcurves")  # 5.0 removed the legacy API
    if layered:
        assert len(action.slots) == 1 and result.armature.animation_data.action_slot == action.slots[0]
    curves = action_fcurves(action, result.armature)
    assert len(curves) == 4 * len(BONES) + 3
    assert all(len(c.keyframe_points) == 12 for c in curves)
    assert {c.group.name for c in curves} == {b.name for b in BONES}
    assert {c.keyframe_points[0].interpolation for c in curves} == {"LINEAR"}
    assert action.use_fake_user and result.armature.animation_data.action == action


def test_names_never_overwrite_and_selection_is_restored(scene) -> None:
    import bpy

    cube = bpy.data.objects.new("walk_Mocap", None)  # an unrelated object already owns the name
    scene.collection.objects.link(cube)
    cube.select_set(True)
    bpy.context.view_layer.objects.active = cube
    existing_action = bpy.data.actions.new("walk_mocap")
    first = _bake(synthetic_joints(8))
    second = _bake(synthetic_joints(8))
    assert cube.name == "walk_Mocap" and existing_action.name == "walk_mocap"
    assert first.armature.name == "walk_Mocap.001" and second.armature.name == "walk_Mocap.002"
    assert first.action.name == "walk_mocap.001" and second.action.name == "walk_mocap.002"
    assert [b.name for b in first.armature.data.bones][:4] == ["Hips", "Hip.R", "Thigh.R", "Shin.R"]
    assert bpy.context.view_layer.objects.active == cube
    assert [o.name for o in bpy.context.view_layer.objects if o.select_get()] == ["walk_Mocap"]
    assert bpy.context.mode == "OBJECT"


def test_scene_frame_rate_is_set_or_the_motion_resampled(scene) -> None:
    joints = synthetic_joints(61)
    result = _bake(joints, fps=29.97)
    assert (scene.render.fps, scene.render.fps_base) == (30, pytest.approx(30 / 29.97))
    assert (scene.frame_start, scene.frame_end) == (1, 61) and result.frames == 61

    scene.render.fps, scene.render.fps_base = 30, 1.0
    resampled = _bake(joints, fps=60.0, fps_mode="RESAMPLE")
    assert scene.render.fps == 30 and resampled.frames == 31 and resampled.fps == 30.0
    error = np.abs(evaluated_joints(resampled.armature, [1, 16, 31]) - joints[[0, 30, 60]]).max()
    assert error < 1e-3


def test_bad_input_creates_nothing(scene) -> None:
    import bpy

    bad = synthetic_joints(5)
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _bake(bad)
    with pytest.raises(ValueError, match="frame rate"):
        _bake(synthetic_joints(5), fps=0.0)
    assert len(bpy.data.objects) == 0 and len(bpy.data.actions) == 0


def test_import_is_one_undo_step(scene, tmp_path: Path) -> None:
    import bpy

    path = write_capture(tmp_path / "take.npz", synthetic_joints(20), video="/videos/jump.mp4")
    # Headless, undo needs two steps on the stack before it polls true.
    bpy.ops.ed.undo_push(message="initial")
    bpy.ops.ed.undo_push(message="before import")
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    assert "jump_Mocap" in bpy.data.objects and "jump_mocap" in bpy.data.actions
    assert bpy.context.scene.video_mocap.last_detection_rate == pytest.approx(0.9)
    bpy.ops.ed.undo()
    assert "jump_Mocap" not in bpy.data.objects and "jump_mocap" not in bpy.data.actions


def test_import_rejects_a_foreign_npz(scene, tmp_path: Path) -> None:
    import bpy

    np.savez(tmp_path / "other.npz", data=np.zeros(3))
    with pytest.raises(RuntimeError, match="missing joints_2d"):
        bpy.ops.video_mocap.import_capture(filepath=str(tmp_path / "other.npz"))


def _import_and_sample(path: Path, name: str, read, frames: int = 30) -> list:  # noqa: ANN001
    """Import a capture (scene frame 1 = its first frame) and read ``read(obj)`` at each of its frames."""
    import bpy

    settings = bpy.context.scene.video_mocap
    settings.fps_mode, settings.start_frame = "SCENE_FROM_CLIP", 1
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    obj = bpy.data.objects[name]
    values = []
    for frame in range(1, frames + 1):
        bpy.context.scene.frame_set(frame)
        values.append(read(obj))
    return values


def test_foot_contacts_are_keyed_on_the_armature(scene, tmp_path: Path) -> None:
    import bpy

    contacts = np.zeros((30, 2), bool)
    contacts[3:12, 0] = True  # left foot planted
    contacts[8:25, 1] = True
    path = write_capture(tmp_path / "steps.npz", synthetic_joints(30), video="steps.mp4", contacts=contacts)
    keyed = _import_and_sample(
        path, "steps_Mocap", lambda obj: (round(obj["contact_left"]), round(obj["contact_right"]))
    )
    assert keyed == [(int(a), int(b)) for a, b in contacts]
    # a file without contacts (written before they existed) bakes without the properties
    path = write_capture(tmp_path / "old.npz", synthetic_joints(30), video="old.mp4")
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    assert "contact_left" not in bpy.data.objects["old_Mocap"]


def test_frames_without_a_person_hide_the_armature_and_warnings_reach_the_panel(scene, tmp_path: Path) -> None:
    import bpy

    present = np.ones(30, bool)
    present[10:20] = False  # an empty stretch (core.presence)
    path = write_capture(tmp_path / "take.npz", synthetic_joints(30), video="room.mp4", present=present,
                         warnings=["no person in frames 10–19 (0.4–0.8 s): nothing is baked there"])  # fmt: skip
    hidden = _import_and_sample(path, "room_Mocap", lambda obj: (obj.hide_viewport, obj.hide_render))
    settings = bpy.context.scene.video_mocap
    assert hidden == [(not p, not p) for p in present]
    assert "no person in frames 10–19" in settings.last_warnings
    # a take with a person throughout gets no visibility keys at all
    path = write_capture(tmp_path / "full.npz", synthetic_joints(30), video="full.mp4")
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    assert settings.last_warnings == ""
    full = bpy.data.objects["full_Mocap"]
    from video_mocap.operators.action_api import FCurveWriter

    paths = {fc.data_path for fc in FCurveWriter(full.animation_data.action, full).fcurves}
    assert "hide_viewport" not in paths and not full.hide_viewport
