"""Body geometry of the H36M-17 skeleton: the centre of mass and one rigid skeleton per capture.

The centre of mass uses the segment masses and centre-of-mass positions of Winter, "Biomechanics and Motor Control
of Human Movement" (4th ed., Table 4.1, after Dempster): a linear combination of the joints, so it is one matrix
product for any batch. Our head and hands are landmarks, not segment ends, so it is approximate (≈ 1–2 cm).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import H36M_PARENTS, JOINT_INDEX, NUM_JOINTS

_J = JOINT_INDEX

# (proximal joint, distal joint, mass fraction of the body, centre of mass as a fraction from proximal to distal).
SEGMENTS: tuple[tuple[str, str, float, float], ...] = (
    ("pelvis", "thorax", 0.497, 0.50),  # trunk (Winter: 0.497, COM near mid-trunk)
    ("neck", "head", 0.081, 0.50),  # head and neck
    ("l_shoulder", "l_elbow", 0.028, 0.436), ("r_shoulder", "r_elbow", 0.028, 0.436),  # upper arms
    ("l_elbow", "l_wrist", 0.022, 0.682), ("r_elbow", "r_wrist", 0.022, 0.682),  # forearm + hand
    ("l_hip", "l_knee", 0.100, 0.433), ("r_hip", "r_knee", 0.100, 0.433),  # thighs
    ("l_knee", "l_ankle", 0.0465, 0.433), ("r_knee", "r_ankle", 0.0465, 0.433),  # shanks
    ("l_ankle", "l_ankle", 0.0145, 1.0), ("r_ankle", "r_ankle", 0.0145, 1.0),  # feet (at the ankle)
)  # fmt: skip


def _com_weights() -> np.ndarray:
    w = np.zeros(NUM_JOINTS)
    for a, b, mass, frac in SEGMENTS:
        w[_J[a]] += mass * (1.0 - frac)
        w[_J[b]] += mass * frac
    return w / w.sum()


COM_WEIGHTS = _com_weights()  # (17,), sums to 1

# Bones by child joint; left/right pairs share one length (a body is symmetric to within the error of one view).
_MIRROR = {1: 4, 2: 5, 3: 6, 11: 14, 12: 15, 13: 16}


def centre_of_mass(joints: np.ndarray) -> np.ndarray:
    """(..., 17, 3) joints → (..., 3) whole-body centre of mass (Winter's segment table)."""
    return np.einsum("j,...jc->...c", COM_WEIGHTS, joints)


def lengths_per_frame(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) → (T, 17) each bone's length per frame, indexed by its child joint (0 for the root)."""
    parents = np.array(H36M_PARENTS)
    lengths = np.linalg.norm(joints - joints[:, np.maximum(parents, 0)], axis=-1)
    lengths[:, 0] = 0.0
    return lengths


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) → (17,) one length per bone, indexed by its child joint (0 for the root): the median over frames,
    left and right averaged. The median ignores the frames where a bone is foreshortened or mis-lifted."""
    lengths = np.median(lengths_per_frame(joints), axis=0)
    for right, left in _MIRROR.items():
        lengths[right] = lengths[left] = 0.5 * (lengths[right] + lengths[left])
    return lengths


def rigid(joints: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(T, 17, 3) joints (any bone lengths) → the same pose with every bone at ``lengths`` (17,, by child joint):
    the root stays, then each joint (parents first) goes on the sphere of its length about its *placed* parent, at
    the point nearest its own position (along the direction from the placed parent to it). Bone-length variation is
    zero by construction; a joint's error of length is not carried down the limb (a wrist lands as near to where it
    was as the forearm's length allows), so a pose drawn onto the image (``core.world.image_fit``) stays on it."""
    joints = np.asarray(joints, np.float64)
    out = np.empty_like(joints)
    out[:, 0] = joints[:, 0]
    for c in range(1, NUM_JOINTS):  # H36M_PARENTS lists every parent before its children
        p = H36M_PARENTS[c]
        d = joints[:, c] - out[:, p]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        out[:, c] = out[:, p] + d / np.maximum(n, 1e-9) * lengths[c]
    return out
