"""core.hands.rig: the rest hand (palm down, thumb forward, along the arm), and keys that make Blender's pose model
(core.bake_math's forward kinematics, extended to the hand bones) reproduce every finger joint."""

from __future__ import annotations

import numpy as np
import pytest

from core.bake_math import forward_kinematics, rest_pose, solve_pose
from core.hands.angles import CHAINS, LIMITS
from core.hands.rig import (
    BONES_PER_HAND,
    REST_PALM,
    SIDES,
    TEMPLATE,
    bone_names,
    hand_keys,
    hand_pose,
    parents,
    resample_hands,
    rest_hand,
)
from core.rig_layout import BONE_INDEX
from core.rotations import quaternion_to_matrix
from core.skeleton import JOINT_INDEX

_PARENT = [-1] + [0 if k == 0 else 1 + 3 * f + k - 1 for f in range(5) for k in range(3)]


def _random_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    return q * np.sign(np.linalg.det(q))[:, None, None]


def test_names_parents_and_rest_layout() -> None:
    assert bone_names("left")[:4] == ("Hand.L", "Thumb1.L", "Thumb2.L", "Thumb3.L")
    assert parents("right")[:5] == ("Forearm.R", "Hand.R", "Thumb1.R", "Thumb2.R", "Hand.R")
    assert len(bone_names("left")) == BONES_PER_HAND
    for side, along in (("left", 1.0), ("right", -1.0)):
        heads, tails, mats = rest_hand(np.zeros(3), TEMPLATE, side)
        assert np.sign(tails[0, 0]) == along  # the hand continues the arm
        assert tails[3, 1] < -0.02  # the thumb on the front side (-Y: the character faces -Y)
        np.testing.assert_allclose(mats[:, :, 2], np.tile([0, 0, -1.0], (16, 1)), atol=1e-9)  # palms down
        np.testing.assert_allclose(np.linalg.det(mats), 1.0)
        np.testing.assert_allclose(mats[0], REST_PALM[side], atol=1e-12)
    left, right = rest_hand(np.zeros(3), TEMPLATE, "left")[1], rest_hand(np.zeros(3), TEMPLATE, "right")[1]
    np.testing.assert_allclose(left * [-1, 1, 1], right, atol=1e-12)  # mirror images


def test_keys_reproduce_every_finger_joint_through_forward_kinematics() -> None:
    rng = np.random.default_rng(3)
    t = 12
    rest = rest_pose(np.full(16, 0.3))
    body_rot = np.tile(np.array([1.0, 0, 0, 0]), (t, 16, 1)) + rng.normal(0, 0.2, (t, 16, 4))
    body_rot /= np.linalg.norm(body_rot, axis=-1, keepdims=True)
    joints = forward_kinematics(rest, body_rot, rng.normal(0, 0.1, (t, 3)))
    motion = solve_pose(joints, rest)
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], (t, 2, 5, 4))
    rotation = np.stack([_random_rotations(rng, t) for _ in SIDES], axis=1)
    hand_rest = {}
    for side in SIDES:
        forearm = BONE_INDEX[parents(side)[0]]
        hand_rest[side] = (*rest_hand(rest.tails[forearm], TEMPLATE, side), rest.matrices[forearm])
    keys = hand_keys(joints, angles, rotation, TEMPLATE, {s: (r[2], r[3]) for s, r in hand_rest.items()})
    body_world = quaternion_to_matrix(motion.rotations)  # basis; compose the forearm's world frame as Blender does
    for s, side in enumerate(SIDES):
        forearm = BONE_INDEX[parents(side)[0]]
        chain = _chain_to(forearm)
        w_parent = rest.matrices[chain[0]] @ body_world[:, chain[0]]  # the root: Rest · Basis
        for prev, b in zip(chain[:-1], chain[1:], strict=True):
            w_parent = w_parent @ rest.matrices[prev].T @ rest.matrices[b] @ body_world[:, b]
        heads_r, _, mats_r, forearm_rest = hand_rest[side]
        basis = quaternion_to_matrix(keys[side])
        world = np.empty((t, 16, 3, 3))
        heads = np.empty((t, 16, 3))
        wrist = joints[:, JOINT_INDEX["l_wrist" if side == "left" else "r_wrist"]]
        for i in range(16):
            p = _PARENT[i]
            pw, pr, ph = (w_parent, forearm_rest, None) if p < 0 else (world[:, p], mats_r[p], heads[:, p])
            world[:, i] = pw @ pr.T @ mats_r[i] @ basis[:, i]
            heads[:, i] = wrist if p < 0 else ph + np.einsum("tij,j->ti", pw, pr.T @ (heads_r[i] - heads_r[p]))
        points, _, frames = hand_pose(rotation[:, s], angles[:, s], wrist, TEMPLATE, side)
        np.testing.assert_allclose(world, frames, atol=1e-9)
        for f, c in enumerate(CHAINS):  # every finger joint where the posed armature puts it
            np.testing.assert_allclose(heads[:, 1 + 3 * f : 4 + 3 * f], points[:, list(c[:3])], atol=1e-9)


def _chain_to(bone: int) -> list[int]:
    from core.rig_layout import BONES

    names = [b.name for b in BONES]
    chain = [bone]
    while BONES[chain[-1]].parent is not None:
        chain.append(names.index(BONES[chain[-1]].parent))
    return chain[::-1]


def test_resample_keeps_rotations_proper_and_hits_the_samples() -> None:
    rng = np.random.default_rng(4)
    t = 11
    angles = rng.uniform(0, 40, (t, 2, 5, 4))
    rotation = np.stack([_random_rotations(rng, t) for _ in SIDES], axis=1)
    new_angles, new_rot = resample_hands(angles, rotation, 10.0, 20.0)
    assert new_angles.shape == (21, 2, 5, 4) and new_rot.shape == (21, 2, 3, 3)
    np.testing.assert_allclose(new_angles[::2], angles)
    np.testing.assert_allclose(new_rot[::2], rotation, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(new_rot), 1.0, atol=1e-9)
    assert new_angles[1, 0, 0, 0] == pytest.approx(angles[:2, 0, 0, 0].mean())


def test_hand_forward_inverts_hand_basis() -> None:
    """The retarget reads a take's hands with hand_forward; the bake keys them with hand_basis: one model."""
    from core.hands.rig import hand_basis, hand_forward

    rng = np.random.default_rng(6)
    frames = np.stack([_random_rotations(rng, 5) for _ in range(16)], axis=1)
    forearm, rest, forearm_rest = _random_rotations(rng, 5), _random_rotations(rng, 16), _random_rotations(rng, 1)[0]
    basis = hand_basis(frames, forearm, rest, forearm_rest)
    np.testing.assert_allclose(hand_forward(basis, forearm, rest, forearm_rest), frames, atol=1e-9)
