"""Foot locking in the capture itself: a planted foot stays where it was put, the knee absorbs the difference.

The pins and the leg IK are retarget's (``core.retarget.footlock``: ``lock_targets`` pins each contact run's ankle at
its mean position, moved where the leg reaches it on every planted frame, and fades in and out over the blend;
``two_bone_ik`` bends the knee in the leg's current plane, forwards when the leg is straight), applied to the
capture's joints and contacts. The floor (``core.world.place``) has already put the planted soles on z = 0, so each
pin sits at ankle height within the floor estimate's spread. Bone lengths are kept exactly.
"""

from __future__ import annotations

import numpy as np

from ..retarget.footlock import lock_targets, two_bone_ik
from ..skeleton import JOINT_INDEX

_J = JOINT_INDEX
LEGS = (("l_hip", "l_knee", "l_ankle"), ("r_hip", "r_knee", "r_ankle"))  # contact columns 0 = left, 1 = right


def body_forward(world: np.ndarray) -> np.ndarray:
    """(..., 17, 3) joints, Z up → (..., 3) facing direction from the hips (a person facing +Y has the left hip at
    -X), not normalised."""
    return np.cross(world[..., _J["l_hip"], :] - world[..., _J["r_hip"], :], [0.0, 0.0, 1.0])


def lock_feet(world: np.ndarray, contacts: np.ndarray, fps: float, blend_s: float = 0.1) -> np.ndarray:
    """(T, 17, 3) world joints (Z up), (T, 2) contacts (left, right) → joints with the planted ankles pinned."""
    out = world.copy()
    idx = np.array([[_J[j] for j in leg] for leg in LEGS])  # (2 legs, hip/knee/ankle)
    hips, knees, ankles = (world[:, idx[:, k]] for k in range(3))  # (T, 2, 3) each
    reach = np.median(np.linalg.norm(knees - hips, axis=-1) + np.linalg.norm(ankles - knees, axis=-1), axis=0)
    goals, weights = lock_targets(ankles, contacts, max(0, int(round(blend_s * fps))), hips, reach * 0.999)
    forward = body_forward(world)
    for f in range(len(LEGS)):
        on = weights[:, f] > 0
        if on.any():
            knee, ankle = two_bone_ik(hips[on, f], knees[on, f], ankles[on, f], goals[on, f], forward[on])
            out[on, idx[f, 1]], out[on, idx[f, 2]] = knee, ankle
    return out
