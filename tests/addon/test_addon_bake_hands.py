"""Hands in the bake (issue 14): a capture with hands imports as an armature with finger chains whose evaluated
joints are where core.hands.rig puts them (through Blender's depsgraph), at the clip's rate or resampled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from addon_fakes import enable_addon, write_capture
from addon_synth import synthetic_joints

from core.hands.angles import CHAINS, LIMITS
from core.hands.rig import SIDES, TEMPLATE, bone_names, hand_pose
from core.hands.track import HandMotion

T = 24


@pytest.fixture(scope="module")
def addon():  # noqa: ANN201
    return enable_addon()


def _motion(seed: int = 0) -> HandMotion:
    rng = np.random.default_rng(seed)
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], (T, 2, 5, 4))
    q, _ = np.linalg.qr(rng.normal(size=(T, 2, 3, 3)))
    rotation = q * np.sign(np.linalg.det(q))[..., None, None]
    seen = np.ones((T, 2), bool)
    return HandMotion(angles, rotation, seen, seen, TEMPLATE)


def _evaluated_hand(obj, side: str) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """The evaluated wrist (3,) and the 15 finger bone heads + 15 tails (30, 3) of one hand, world."""
    import bpy

    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    bones = evaluated.pose.bones
    names = bone_names(side)
    points = [evaluated.matrix_world @ bones[n].head for n in names[1:]]
    points += [evaluated.matrix_world @ bones[n].tail for n in names[1:]]
    return np.array(evaluated.matrix_world @ bones[names[0]].head), np.array(points)


def _expected(hands: HandMotion, t: int, s: int, wrist: np.ndarray) -> np.ndarray:
    points = hand_pose(hands.rotation[t : t + 1, s], hands.angles[t : t + 1, s], wrist[None], hands.shape,
                       SIDES[s])[0][0]  # fmt: skip
    heads = [points[c[k]] for c in CHAINS for k in range(3)]
    tails = [points[c[k + 1]] for c in CHAINS for k in range(3)]
    return np.array(heads + tails)


def test_finger_joints_follow_the_capture_within_a_millimetre(addon, tmp_path: Path) -> None:
    import bpy

    hands = _motion()
    path = write_capture(tmp_path / "hands.npz", synthetic_joints(T), fps=25.0, video="hands.mp4", hands=hands)
    bpy.context.scene.video_mocap.fps_mode = "SCENE_FROM_CLIP"
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    obj = bpy.data.objects["hands_Mocap"]
    assert all(n in obj.data.bones for s in SIDES for n in bone_names(s))
    assert obj.data.bones["Hand.L"].parent.name == "Forearm.L" and obj.data.bones["Thumb2.R"].parent.name == "Thumb1.R"
    worst = 0.0
    for t in (0, 7, 23):
        bpy.context.scene.frame_set(1 + t)
        for s, side in enumerate(SIDES):
            wrist, points = _evaluated_hand(obj, side)
            worst = max(worst, float(np.abs(points - _expected(hands, t, s, wrist)).max()))
    assert worst < 1e-3, worst
    # a capture without hands gets no hand bones
    plain = write_capture(tmp_path / "plain.npz", synthetic_joints(T), video="plain.mp4")
    assert bpy.ops.video_mocap.import_capture(filepath=str(plain)) == {"FINISHED"}
    assert "Hand.L" not in bpy.data.objects["plain_Mocap"].data.bones


def test_resampled_hands_hit_the_captured_frames(addon, tmp_path: Path) -> None:
    import bpy

    hands = _motion(1)
    path = write_capture(tmp_path / "slow.npz", synthetic_joints(T), fps=12.0, video="slow.mp4", hands=hands)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.video_mocap.fps_mode = "RESAMPLE"
    try:
        assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    finally:
        scene.video_mocap.fps_mode = "SCENE_FROM_CLIP"
    obj = bpy.data.objects["slow_Mocap"]
    scene.frame_set(1 + 2 * 5)  # captured frame 5 at twice the rate
    wrist, points = _evaluated_hand(obj, "right")
    assert np.abs(points - _expected(hands, 5, 1, wrist)).max() < 1e-3


def test_bvh_export_keeps_every_finger_joint(addon, tmp_path: Path) -> None:
    """The take's BVH (Y up) holds the hand bones: read back by the project's own BVH reader, every finger joint and
    fingertip is where Blender shows it."""
    import bpy
    from video_mocap.core.data.bvh import read_bvh

    path = write_capture(tmp_path / "wave.npz", synthetic_joints(T), fps=25.0, video="wave.mp4", hands=_motion(2))
    bpy.context.scene.video_mocap.fps_mode = "SCENE_FROM_CLIP"
    assert bpy.ops.video_mocap.import_capture(filepath=str(path)) == {"FINISHED"}
    obj = bpy.data.objects["wave_Mocap"]
    bvh = tmp_path / "wave.bvh"
    assert bpy.ops.video_mocap.export_bvh(filepath=str(bvh)) == {"FINISHED"}
    motion = read_bvh(bvh)
    pos = motion.positions()
    z_up = np.stack([pos[..., 0], -pos[..., 2], pos[..., 1]], axis=-1)
    for t in (0, 11, 23):
        bpy.context.scene.frame_set(1 + t)
        evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        for side in SIDES:
            for name in bone_names(side)[1:]:
                bone = evaluated.pose.bones[name]
                head = np.array(evaluated.matrix_world @ bone.head)
                np.testing.assert_allclose(z_up[t, motion.skeleton.index(name)], head, atol=1e-3)
                if f"{name}_End" in motion.skeleton.names:
                    tail = np.array(evaluated.matrix_world @ bone.tail)
                    np.testing.assert_allclose(z_up[t, motion.skeleton.index(f"{name}_End")], tail, atol=1e-3)
    assert sum(n.endswith("_End") for n in motion.skeleton.names) == 3 + 2 * 5  # head, ankles and the fingertips
