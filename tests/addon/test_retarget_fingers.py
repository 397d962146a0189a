"""Fingers through the retarget (issue 14): a take captured with hands, retargeted onto Quaternius' "Adventurer"
(CC0, ../shared/avatars; its fingers are ``Thumb1–3`` and ``Index1–4`` with ``Index1`` a metacarpal from the wrist).
Checked independently of the solver: finger flexion read from the bone positions with core.hands.angles on both
armatures, and the palm's orientation."""

from __future__ import annotations

import numpy as np
import pytest
from addon_fakes import import_adventurer
from hand_synth import SOURCE, landmarks, walking_hands
from retarget_synth import FPS, walk

from core.hands.angles import finger_angles, palm_frame

FRAMES = 40
TARGET = {"Thumb": ("Thumb1", "Thumb2", "Thumb3"), "Index": ("Index2", "Index3", "Index4"),
          "Middle": ("Middle2", "Middle3", "Middle4"), "Ring": ("Ring2", "Ring3", "Ring4"),
          "Pinky": ("Pinky2", "Pinky3", "Pinky4")}  # fmt: skip


@pytest.fixture(scope="module")
def retargeted(shared_dir):  # noqa: ANN001, ANN201
    import bpy

    target = import_adventurer(shared_dir)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(FPS), 1.0
    scene.frame_set(0)
    rest = {s: landmarks(target, TARGET, "Wrist", suffix) for s, suffix in (("left", ".L"), ("right", ".R"))}
    from video_mocap.operators.bake import BakeOptions, bake_joints
    from video_mocap.operators.retarget import run_retarget

    joints, _ = walk(FRAMES)
    hands = walking_hands(joints)
    baked = bake_joints(bpy.context, joints, FPS, "walk", BakeOptions(start_frame=1), hands=hands)
    props = scene.video_mocap_retarget
    props.source, props.source_action, props.foot_lock = baked.armature, baked.action, False
    _, summary = run_retarget(bpy.context, baked.armature, baked.action, target)
    samples = []
    for f in range(1, FRAMES + 1, 3):
        scene.frame_set(f)
        samples.append({side: (landmarks(baked.armature, SOURCE, "Hand", suffix),
                               landmarks(target, TARGET, "Wrist", suffix))
                        for side, suffix in (("left", ".L"), ("right", ".R"))})  # fmt: skip
    return summary, samples, rest


def test_every_finger_of_the_avatar_is_driven(retargeted) -> None:  # noqa: ANN001
    summary = retargeted[0]
    assert "10 fingers driven" in summary and "skipped" not in summary


def test_finger_flexion_follows_the_capture_within_5_degrees(retargeted) -> None:  # noqa: ANN001
    """Each target phalanx points where the capture's does in its palm's frame: the flexion angles read off the two
    armatures agree (the avatar's rest fingers are bent up to 20° (thumb): that rest bend is not added)."""
    _, samples, rest = retargeted
    assert np.abs(finger_angles(rest["left"], True)[:, 1:]).max() > 10.0
    errors = []
    for sample in samples:
        for side, (source, target) in sample.items():
            mirror = side == "left"
            errors.append(np.abs(finger_angles(target, mirror)[:, 1:] - finger_angles(source, mirror)[:, 1:]))
    errors = np.array(errors)
    print("flexion error, degrees: median", np.median(errors).round(2), "p95", np.percentile(errors, 95).round(2))
    assert np.median(errors) < 2.0 and np.percentile(errors, 95) < 5.0


def test_palms_face_where_the_capture_s_palms_face(retargeted) -> None:  # noqa: ANN001
    _, samples, _ = retargeted
    worst = 0.0
    for sample in samples:
        for side, (source, target) in sample.items():
            a, b = palm_frame(source, side == "left"), palm_frame(target, side == "left")
            worst = max(worst, float(np.degrees(np.arccos(np.clip(a[2] @ b[2], -1, 1)))))
    assert worst < 15.0, worst
