"""Pose augmentation of world-space training windows: other body proportions and whole-body leans.

The shared mocap has few bodies (CMU's "daz" conversions all share one generic skeleton), so the lifter would learn
their proportions as a prior. Scaling each bone along the H36M-17 tree (PoseAug-style bone-length augmentation,
Gong et al., CVPR 2021) gives it other bodies at no cost; left and right bones share a factor and so do the two trunk
bones, so the detector-like trunk points of ``core.data.landmarks`` (pelvis = mid-hips, thorax = mid-shoulders,
spine = their midpoint) keep their definitions. A whole-body tilt about the pelvis adds leans the motions lack.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import H36M_PARENTS, NUM_JOINTS

# Bone (named by its child joint, 1..16) → proportion group. Symmetric pairs and the two trunk bones share a group.
_GROUP_OF_CHILD = {
    1: 0, 4: 0,  # pelvis → hips: hip width
    2: 1, 5: 1,  # thighs
    3: 2, 6: 2,  # shins
    7: 3, 8: 3,  # pelvis → spine → thorax: trunk
    9: 4,  # thorax → neck/nose
    10: 5,  # neck → head
    11: 6, 14: 6,  # thorax → shoulders: shoulder width
    12: 7, 15: 7,  # upper arms
    13: 8, 16: 8,  # forearms
}  # fmt: skip
NUM_GROUPS = 9
BONE_GROUP = np.array([_GROUP_OF_CHILD[c] for c in range(1, NUM_JOINTS)])


def scale_bones(world: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Rebuild poses with every bone vector scaled, root fixed.

    Args:
        world: (B, T, 17, 3) positions.
        scales: (B, 16) factor per bone, bone i = the one ending at joint i + 1.
    Returns:
        (B, T, 17, 3) new array; joint 0 unchanged, each bone's direction unchanged, its length × its factor.
    """
    if world.ndim != 4 or world.shape[2:] != (NUM_JOINTS, 3) or scales.shape != (world.shape[0], NUM_JOINTS - 1):
        raise ValueError(f"scale_bones: need world (B, T, 17, 3) and scales (B, 16), got {world.shape}, {scales.shape}")
    out = world.copy()
    for child in range(1, NUM_JOINTS):  # parents come before children in H36M order
        parent = H36M_PARENTS[child]
        bone = world[:, :, child] - world[:, :, parent]
        out[:, :, child] = out[:, :, parent] + scales[:, None, child - 1, None] * bone
    return out


def random_bone_scales(rng: np.random.Generator, batch: int, std: float) -> np.ndarray:
    """(batch, 16) log-normal bone factors with log-std ``std`` per proportion group (clipped at ±2.5 std)."""
    log_group = np.clip(rng.standard_normal((batch, NUM_GROUPS)), -2.5, 2.5) * std
    return np.exp(log_group[:, BONE_GROUP])


def tilt(world: np.ndarray, rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """Rotate each window (B, T, 17, 3) about its mean pelvis by up to ``max_deg`` about a random horizontal axis
    (world Z up): a lean, kept for the whole window."""
    B = world.shape[0]
    angle = np.deg2rad(rng.uniform(0.0, max_deg, B))
    heading = rng.uniform(0.0, 2 * np.pi, B)
    axis = np.stack([np.cos(heading), np.sin(heading), np.zeros(B)], axis=-1)  # (B, 3) horizontal unit axes
    K = np.zeros((B, 3, 3))
    K[:, 0, 2], K[:, 1, 2] = axis[:, 1], -axis[:, 0]
    K[:, 2, 0], K[:, 2, 1] = -axis[:, 1], axis[:, 0]
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    R = np.eye(3)[None] + s * K + (1 - c) * (K @ K)  # Rodrigues
    centre = world[:, :, :1].mean(axis=1, keepdims=True)  # (B, 1, 1, 3)
    rotated = (world - centre).reshape(B, -1, 3) @ R.transpose(0, 2, 1)
    return (rotated.reshape(world.shape) + centre).astype(world.dtype)
