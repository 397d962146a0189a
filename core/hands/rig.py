"""The capture armature's hands as data and maths (bpy-free): bone names, the rest hand, per-frame bone frames and the
keys that reproduce them (issue 14).

Each hand is a ``Hand`` bone (wrist → middle-finger knuckle, parented to the forearm, connected at the wrist) and
three bones per finger (thumb: metacarpal, proximal, distal; others: proximal, middle, distal phalanx), each
parented to the previous one, the first to ``Hand``: ``Hand.L``, ``Thumb1.L`` … ``Pinky3.L`` (core.rig_layout's
".L"/".R" naming). 16 bones per hand.

The hand model: a right hand in its palm frame (core.hands.angles: x across towards the thumb, y forward to the
middle knuckle, z the palmar normal), with fixed knuckles and phalanx lengths (one shape per capture,
:class:`HandShape`); a left hand is its mirror image (x flipped: ``MIRROR``). A hand's pose is its palm rotation
``R`` (world ← palm model, a proper rotation; for the left hand the model is the mirrored one) plus the finger angles.
Every bone's Y axis runs head → tail and its Z axis is the palmar side of the bone (the palm normal carried by the
finger's flexion), so flexion is a turn about the bone's X axis. In the rest pose (the capture's T-pose) the hands
continue the arms, palms down, thumbs forward.

Shapes: T frames; angles (T, 5, 4) degrees; rotation (T, 3, 3); bones (16,) per hand in ``BONES_PER_HAND`` order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bake_math import _frame, resample, world_rotations
from ..retarget.rotations import unit
from ..rig_layout import BONE_INDEX
from ..rotations import make_continuous, matrix_to_quaternion, quaternion_to_matrix
from .angles import CHAINS, _rest_direction, _rotate, hand_from_angles

SIDES = ("left", "right")
SUFFIX = {"left": ".L", "right": ".R"}
FINGER_NAMES = ("Thumb", "Index", "Middle", "Ring", "Pinky")
FOREARM = {"left": "Forearm.L", "right": "Forearm.R"}
MIRROR = np.diag([-1.0, 1.0, 1.0])  # the left hand's model: the right hand's, x (across) flipped
# Rest palm rotations (world ← model; Blender axes, the character faces -Y): palm down, thumb forward, the hand along
# the arm (left arm +X, right arm -X). Columns: where the model's x, y, z go.
REST_PALM = {
    "right": np.array([[0.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
    "left": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]]),
}


def bone_names(side: str) -> tuple[str, ...]:
    """The 16 bones of one hand, parents first: Hand, then Thumb1..3, Index1..3, …, Pinky1..3."""
    s = SUFFIX[side]
    return (f"Hand{s}", *(f"{finger}{k}{s}" for finger in FINGER_NAMES for k in (1, 2, 3)))


def parents(side: str) -> tuple[str, ...]:
    """Each bone's parent (``bone_names`` order): the forearm, the hand, the previous phalanx."""
    names = bone_names(side)
    out = [FOREARM[side]]
    for f in range(5):
        out += [names[0], names[1 + 3 * f], names[2 + 3 * f]]
    return tuple(out)


BONES_PER_HAND = 16
_PARENT_INDEX = np.array([-1] + [0 if k == 0 else 1 + 3 * f + k - 1 for f in range(5) for k in range(3)])


@dataclass(frozen=True)
class HandShape:
    """One capture's hand, right-handed palm-frame model: ``knuckles`` (5, 3) chain bases (thumb CMC, index…pinky
    MCP) in the palm plane, the middle knuckle on +y; ``lengths`` (5, 3) phalanx lengths, metres."""

    knuckles: np.ndarray
    lengths: np.ndarray


# A typical adult hand (metres; wrist → middle knuckle 9.5 cm): used when a capture sees too little of the hands.
TEMPLATE = HandShape(
    knuckles=np.array([[0.025, 0.03, 0.0], [0.025, 0.09, 0.0], [0.0, 0.095, 0.0], [-0.02, 0.09, 0.0],
                       [-0.038, 0.08, 0.0]]),
    lengths=np.array([[0.045, 0.032, 0.028], [0.045, 0.026, 0.022], [0.05, 0.03, 0.024], [0.046, 0.028, 0.023],
                      [0.036, 0.021, 0.02]]),
)  # fmt: skip


def _model_frames(angles: np.ndarray, shape: HandShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-hand model: points (T, 21, 3), bone Y axes (T, 16, 3), bone Z axes (T, 16, 3)."""
    points = hand_from_angles(angles, shape.knuckles, shape.lengths)
    t = angles.shape[0]
    ys, zs = np.zeros((t, 16, 3)), np.zeros((t, 16, 3))
    normal = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (t, 3))
    ys[:, 0], zs[:, 0] = unit(points[:, 9] - points[:, 0]), normal
    for f, chain in enumerate(CHAINS):
        # The finger's flexion axis, from the spread alone (core.hands.angles): defined even for a fully bent finger.
        rest = _rest_direction(np.broadcast_to(shape.knuckles[f], (t, 3)), f, normal)
        lateral = unit(np.cross(_rotate(rest, normal, -angles[:, f, 0]), normal))
        for k in range(3):
            y = unit(points[:, chain[k + 1]] - points[:, chain[k]])
            ys[:, 1 + 3 * f + k], zs[:, 1 + 3 * f + k] = y, np.cross(lateral, y)
    return points, ys, zs


def hand_pose(rotation: np.ndarray, angles: np.ndarray, wrist: np.ndarray, shape: HandShape,
              side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """World points (T, 21, 3), bone heads (T, 16, 3) and bone frames (T, 16, 3, 3) (columns X, Y, Z) of one hand.

    rotation (T, 3, 3) palm rotation; angles (T, 5, 4) degrees; wrist (T, 3) world position of the wrist.
    """
    angles = np.asarray(angles, dtype=np.float64)
    points, ys, zs = _model_frames(angles, shape)
    to_world = rotation @ MIRROR if side == "left" else np.asarray(rotation, dtype=np.float64)  # (T, 3, 3)
    world_points = np.einsum("tij,tkj->tki", to_world, points) + wrist[:, None, :]
    y_world = np.einsum("tij,tkj->tki", to_world, ys)
    z_world = np.einsum("tij,tkj->tki", to_world, zs)
    heads = np.empty((len(angles), 16, 3))
    heads[:, 0] = world_points[:, 0]
    for f, chain in enumerate(CHAINS):
        heads[:, 1 + 3 * f : 4 + 3 * f] = world_points[:, list(chain[:3])]
    return world_points, heads, _frame(y_world, z_world)


def rest_hand(wrist: np.ndarray, shape: HandShape, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rest hand (flat, palm down, along the arm) at ``wrist`` (3,): heads, tails (16, 3), matrices (16, 3, 3)."""
    points, heads, frames = hand_pose(REST_PALM[side][None], np.zeros((1, 5, 4)), np.asarray(wrist)[None], shape,
                                      side)  # fmt: skip
    tails = np.empty((16, 3))
    tails[0] = points[0, 9]
    for f, chain in enumerate(CHAINS):
        tails[1 + 3 * f : 4 + 3 * f] = points[0, list(chain[1:])]
    return heads[0], tails, frames[0]


def hand_basis(frames: np.ndarray, forearm_world: np.ndarray, rest: np.ndarray, forearm_rest: np.ndarray) -> np.ndarray:
    """Pose-bone rotation matrices (T, 16, 3, 3) that make Blender show ``frames`` (core.bake_math's pose model:
    Basis_b = Rest_bᵀ · Rest_p · W_pᵀ · W_b).

    frames (T, 16, 3, 3) wanted world frames; forearm_world (T, 3, 3) the forearm's posed frame; rest (16, 3, 3) the
    hand bones' rest matrices as Blender stores them; forearm_rest (3, 3).
    """
    parent_world = np.where((_PARENT_INDEX < 0)[None, :, None, None], forearm_world[:, None],
                            frames[:, np.maximum(_PARENT_INDEX, 0)])  # fmt: skip
    parent_rest = np.where((_PARENT_INDEX < 0)[:, None, None], forearm_rest[None], rest[np.maximum(_PARENT_INDEX, 0)])
    offset = np.swapaxes(rest, -1, -2) @ parent_rest  # (16, 3, 3)
    return offset[None] @ np.swapaxes(parent_world, -1, -2) @ frames


def hand_forward(basis: np.ndarray, forearm_world: np.ndarray, rest: np.ndarray,
                 forearm_rest: np.ndarray) -> np.ndarray:  # fmt: skip
    """The inverse of :func:`hand_basis`: world frames (T, 16, 3, 3) of the hand bones posed by ``basis``
    (T, 16, 3, 3) under a forearm posed at ``forearm_world`` (T, 3, 3) (W_b = W_p · Rest_pᵀ · Rest_b · Basis_b)."""
    frames = np.empty_like(basis)
    for b, p in enumerate(_PARENT_INDEX):
        parent_world, parent_rest = (forearm_world, forearm_rest) if p < 0 else (frames[:, p], rest[p])
        frames[:, b] = parent_world @ parent_rest.T @ rest[b] @ basis[:, b]
    return frames


def hand_keys(joints: np.ndarray, angles: np.ndarray, rotation: np.ndarray, shape: HandShape,
              rest: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:  # fmt: skip
    """Pose-bone quaternions (w, x, y, z) per side, (T, 16, 4), continuous in time, for an armature whose body is
    keyed by ``core.bake_math.solve_pose(joints)``.

    joints (T, 17, 3) the baked body; angles (T, 2, 5, 4); rotation (T, 2, 3, 3) (core.hands.track.HandMotion,
    axis 1 left, right); rest[side] = (hand bones' rest matrices (16, 3, 3), the forearm's (3, 3)) as Blender
    stores them.
    """
    body = world_rotations(joints)
    wrist = np.zeros((len(joints), 3))  # rotations only: the wrist's position does not change a bone's key
    out = {}
    for s, side in enumerate(SIDES):
        frames = hand_pose(rotation[:, s], angles[:, s], wrist, shape, side)[2]
        basis = hand_basis(frames, body[:, BONE_INDEX[FOREARM[side]]], *rest[side])
        out[side] = make_continuous(matrix_to_quaternion(basis))
    return out


def resample_hands(angles: np.ndarray, rotation: np.ndarray, src_fps: float,
                   dst_fps: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Angles (T, 2, 5, 4) and palm rotations (T, 2, 3, 3) resampled in time like core.bake_math.resample (rotations
    through normalised, sign-continuous quaternions)."""
    t = len(angles)
    new_angles = resample(angles.reshape(t, 2, 20), src_fps, dst_fps).reshape(-1, 2, 5, 4)
    quats = resample(make_continuous(matrix_to_quaternion(rotation)), src_fps, dst_fps)  # (T, 2, 4) → (T', 2, 4)
    quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
    return new_angles, quaternion_to_matrix(quats)
