"""The bpy-free bake maths (core/bake_math.py) and the rig layout table (core/rig_layout.py)."""

from __future__ import annotations

import numpy as np
import pytest
from addon_synth import LENGTHS, synthetic_joints

from core.bake_math import (
    forward_kinematics,
    median_bone_lengths,
    resample,
    rest_pose,
    solve_pose,
    world_rotations,
)
from core.rig_layout import BONE_NAMES, BONES, JOINT_POINTS, REST_FORWARD
from core.rotations import make_continuous, matrix_to_quaternion, quaternion_to_matrix
from core.skeleton import H36M_BONES, H36M_JOINTS, H36M_LEFT, H36M_RIGHT


def test_layout_covers_every_edge_and_joint_once() -> None:
    assert sorted((b.head_joint, b.tail_joint) for b in BONES) == sorted(H36M_BONES)
    assert len(set(BONE_NAMES)) == len(BONES)
    assert [p.end for p in JOINT_POINTS].count("head") == 1  # only the pelvis is a head (of Hips)
    for j, point in enumerate(JOINT_POINTS):
        bone = BONES[BONE_NAMES.index(point.bone)]
        assert (bone.head_joint if point.end == "head" else bone.tail_joint) == j, H36M_JOINTS[j]


def test_left_right_bones_are_named_by_side() -> None:
    for bone in BONES:
        if bone.tail_joint in H36M_LEFT:
            assert bone.name.endswith(".L"), bone.name
        elif bone.tail_joint in H36M_RIGHT:
            assert bone.name.endswith(".R"), bone.name
        else:
            assert not bone.name.endswith((".L", ".R")), bone.name


def test_rigid_motion_round_trip_is_exact() -> None:
    joints = synthetic_joints(240, seed=3)
    np.testing.assert_allclose(median_bone_lengths(joints), LENGTHS, atol=1e-9)
    motion = solve_pose(joints)
    rebuilt = forward_kinematics(motion.rest, motion.rotations, motion.root_location)
    assert np.abs(rebuilt - joints).max() < 1e-9


def test_rest_pose_stands_on_the_floor_and_bakes_to_identity() -> None:
    rest = rest_pose(LENGTHS)
    joints = forward_kinematics(rest, np.tile([1.0, 0, 0, 0], (1, len(BONES), 1)), np.zeros((1, 3)))
    assert joints[..., 2].min() == pytest.approx(0.0, abs=1e-12)
    motion = solve_pose(joints, rest)
    np.testing.assert_allclose(motion.rotations[0], np.tile([1.0, 0, 0, 0], (len(BONES), 1)), atol=1e-9)
    np.testing.assert_allclose(motion.root_location, 0.0, atol=1e-12)
    # Rest rolls: every bone's local Z axis points forward.
    np.testing.assert_allclose(rest.matrices[:, :, 2], np.tile(REST_FORWARD, (len(BONES), 1)), atol=1e-12)


def test_knee_twist_follows_the_bend_not_the_noise() -> None:
    """A bent knee: the thigh's Z axis points to the front of the knee, whatever the pelvis does."""
    rest = rest_pose(LENGTHS)
    joints = forward_kinematics(rest, np.tile([1.0, 0, 0, 0], (1, len(BONES), 1)), np.zeros((1, 3)))
    bent = joints.copy()
    # Right leg: knee forward (-Y) and up, ankle straight below the knee (hip flexed 45°, knee 45° back).
    hip = bent[0, 1]
    thigh, shin = LENGTHS[2], LENGTHS[3]
    bent[0, 2] = hip + thigh * np.array([0.0, -np.sqrt(0.5), -np.sqrt(0.5)])
    bent[0, 3] = bent[0, 2] + shin * np.array([0.0, 0.0, -1.0])
    z_axis = world_rotations(bent)[0, BONE_NAMES.index("Thigh.R"), :, 2]
    assert z_axis @ np.array([0.0, -np.sqrt(0.5), np.sqrt(0.5)]) > 0.99


def test_quaternion_conversions_and_continuity() -> None:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(500, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q[:, 0] = np.abs(q[:, 0])
    np.testing.assert_allclose(matrix_to_quaternion(quaternion_to_matrix(q)), q, atol=1e-9)
    flipped = q.copy()
    flipped[1::2] *= -1
    smooth = make_continuous(np.stack([q[0], -q[0], q[0]]))
    assert np.all(np.sum(smooth[1:] * smooth[:-1], axis=-1) > 0)
    np.testing.assert_allclose(np.abs(make_continuous(flipped)), np.abs(flipped))


def test_resample_halves_and_keeps_endpoints() -> None:
    joints = synthetic_joints(61)
    half = resample(joints, 60.0, 30.0)
    assert half.shape == (31, 17, 3)
    np.testing.assert_allclose(half, joints[::2])
    up = resample(joints[:3], 30.0, 60.0)
    np.testing.assert_allclose(up[1], (joints[0] + joints[1]) / 2)
    with pytest.raises(ValueError, match="positive"):
        resample(joints, 0.0, 30.0)


@pytest.mark.parametrize(
    ("bad", "message"),
    [(np.zeros((5, 16, 3)), "shape"), (np.full((5, 17, 3), np.nan), "NaN"), (np.zeros((5, 17, 3)), "zero median")],
)
def test_bad_joints_are_rejected_clearly(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve_pose(bad)
