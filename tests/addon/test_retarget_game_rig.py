"""Retarget onto a real game character made by others: Quaternius' "Adventurer" (CC0, ../shared/avatars), imported
with Blender's own glTF importer. Its thighs hang off ``Body`` beside ``Hips``, and its feet ``Foot.L/R`` are IK
bones under ``Root`` (glTF keeps no constraints: the mesh's feet follow those bones). The character must walk as one
piece: the root translation on ``Body`` (not ``Hips``), the feet at the ends of the shins."""

from __future__ import annotations

import numpy as np
import pytest
from addon_fakes import import_adventurer
from retarget_synth import FPS, walk

FRAMES = 60


@pytest.fixture(scope="module")
def adventurer(shared_dir):  # noqa: ANN001, ANN201
    import bpy

    target = import_adventurer(shared_dir)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(FPS), 1.0
    from video_mocap.operators.bake import BakeOptions, bake_joints

    joints, planted = walk(FRAMES)
    joints[..., 2] += 0.039 * 1.75  # as capture places a take: soles on the floor, so the ankles 6.8 cm up
    baked = bake_joints(bpy.context, joints, FPS, "walk", BakeOptions(start_frame=1), contacts=planted)
    props = scene.video_mocap_retarget
    props.source, props.source_action, props.foot_lock = baked.armature, baked.action, True
    from video_mocap.operators.retarget import run_retarget

    _, summary = run_retarget(bpy.context, baked.armature, baked.action, target)
    heads, tails = {}, {}
    names = ("Body", "Hips", "UpperLeg.L", "UpperLeg.R", "LowerLeg.L", "LowerLeg.R", "Foot.L", "Foot.R")
    for f in range(1, FRAMES + 1):
        scene.frame_set(f)
        pose = target.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose.bones
        world = np.array(target.matrix_world)
        for n in names:
            heads.setdefault(n, []).append(world[:3, :3] @ np.array(pose[n].head) + world[:3, 3])
            tails.setdefault(n, []).append(world[:3, :3] @ np.array(pose[n].tail) + world[:3, 3])
    rest_feet = {side: world[:3, :3] @ np.array(target.data.bones[f"Foot.{side}"].head_local) + world[:3, 3]
                 for side in "LR"}  # fmt: skip
    bones = target.data.bones
    rest_legs = {side: {end: float(np.linalg.norm(np.array(bones[f"Foot.{side}"].head_local)
                                                   - np.array(getattr(bones[f"LowerLeg.{side}"], f"{end}_local"))))
                        for end in ("head", "tail")} for side in "LR"}  # fmt: skip
    return {
        "rest_legs": rest_legs,
        "rest_feet": rest_feet,
        "heads": {k: np.array(v) for k, v in heads.items()},
        "tails": {k: np.array(v) for k, v in tails.items()},
        "joints": joints,
        "summary": summary,
        "planted": planted,
    }


def test_the_root_motion_moves_the_whole_character(adventurer) -> None:
    heads, joints = adventurer["heads"], adventurer["joints"]
    travel = heads["Hips"][-1] - heads["Hips"][0]
    source_travel = joints[-1, 0] - joints[0, 0]
    assert np.linalg.norm(travel[:2]) > 0.5 * np.linalg.norm(source_travel[:2])  # it walks (scaled to its legs)
    for side in "LR":  # the thighs stay at the hips: they are not left behind at rest
        gap = np.linalg.norm(heads[f"UpperLeg.{side}"] - heads["Hips"], axis=-1)
        assert np.ptp(gap) < 0.02, gap


def test_the_feet_stay_at_the_ends_of_the_legs(adventurer) -> None:
    # The foot (parented to Root) moves with the shin as if it were its child: its distances to the shin's two ends
    # stay what they are in the rest pose (importers place tails by heuristics, so not "at the tail").
    heads, tails, rest = adventurer["heads"], adventurer["tails"], adventurer["rest_legs"]
    for side in "LR":
        for end, points in (("head", heads), ("tail", tails)):
            gap = np.linalg.norm(heads[f"Foot.{side}"] - points[f"LowerLeg.{side}"], axis=-1)
            assert np.abs(gap - rest[side][end]).max() < 1e-3, (side, end, gap.min(), gap.max(), rest[side][end])


def test_planted_feet_do_not_slide(adventurer) -> None:
    heads, planted = adventurer["heads"], adventurer["planted"]
    for k, side in enumerate("LR"):
        both = planted[1:, k] & planted[:-1, k]
        step = np.linalg.norm(np.diff(heads[f"Foot.{side}"][:, :2], axis=0), axis=-1)
        assert step[both].max() < 0.01, step[both].max()  # ≤ 1 cm per frame at worst


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def test_knees_bend_like_the_source(adventurer) -> None:
    # Heading-free: the angle between thigh and shin. The walk's planted legs are pinned by foot locking (which
    # may bend a knee to keep a foot still on a rig with other proportions), so compare the swing phases.
    heads, joints, planted = adventurer["heads"], adventurer["joints"], adventurer["planted"]
    errors = []
    for k, (side, s) in enumerate((("L", "l"), ("R", "r"))):
        ours = _angle(
            heads[f"LowerLeg.{side}"] - heads[f"UpperLeg.{side}"], heads[f"Foot.{side}"] - heads[f"LowerLeg.{side}"]
        )
        j = {n: i for i, n in enumerate(("pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle"))}
        src = _angle(
            joints[:, j[f"{s}_knee"]] - joints[:, j[f"{s}_hip"]], joints[:, j[f"{s}_ankle"]] - joints[:, j[f"{s}_knee"]]
        )
        errors.append(np.abs(ours - src)[~planted[:, k]])
    errors = np.concatenate(errors)
    print(f"knee angle error (swing phases): mean {errors.mean():.2f}°, p95 {np.percentile(errors, 95):.2f}°")
    assert errors.mean() < 2.0 and np.percentile(errors, 95) < 8.0


def test_planted_feet_stand_where_the_rest_pose_stands(adventurer) -> None:
    # The avatar's rest pose has its feet on its floor; a planted captured foot must land there too, not float by
    # the capture's ankle height (the bake's rest pose stands on its ankles, the capture on its soles).
    heads, planted, rest = adventurer["heads"], adventurer["planted"], adventurer["rest_feet"]
    for k, side in enumerate("LR"):
        height = heads[f"Foot.{side}"][planted[:, k], 2] - rest[side][2]
        print(f"planted foot {side} above its rest height: {height.min() * 100:.1f} to {height.max() * 100:.1f} cm")
        assert np.abs(height).max() < 0.03, (side, height.min(), height.max(), adventurer["summary"])
