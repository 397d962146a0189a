"""Pose augmentation of world-space training windows: other body proportions, limb recombination, whole-body leans.

The shared mocap has few bodies (CMU's "daz" conversions all share one generic skeleton), so the lifter would learn
their proportions as a prior. Scaling each bone along the H36M-17 tree (PoseAug-style bone-length augmentation,
Gong et al., CVPR 2021) gives it other bodies at no cost; left and right bones share a factor and so do the two trunk
bones, so the detector-like trunk points of ``core.data.landmarks`` (pelvis = mid-hips, thorax = mid-shoulders,
spine = their midpoint) keep their definitions. A whole-body tilt about the pelvis adds leans the motions lack.

Limb recombination (PoseAug's route to cross-dataset generalisation, ibid.; here without its learned discriminator)
gives one limb of a window the motion of the same limb in another window: the donor's bone directions, read in the
donor's body frame, are put into the recipient's body frame and rebuilt with the recipient's bone lengths. A kick's
raised leg on a person who otherwise stands, or a wave on a walk, are poses the real clips show (issue 17: balancing
on one leg, a leg raised sideways) that the motions hold only in the combinations their actors performed.
"""

from __future__ import annotations

import numpy as np

from ..retarget.rotations import unit
from ..skeleton import H36M_PARENTS, JOINT_INDEX, NUM_JOINTS

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


_J = JOINT_INDEX
# Limb → (its joints from the trunk outwards, the two trunk joints whose difference is the frame's "across" axis).
# The donor's limb is read relative to the trunk it hangs from: the hips for a leg, the shoulders for an arm.
LIMBS: dict[str, tuple[tuple[int, int, int], tuple[int, int]]] = {
    "r_leg": ((_J["r_hip"], _J["r_knee"], _J["r_ankle"]), (_J["l_hip"], _J["r_hip"])),
    "l_leg": ((_J["l_hip"], _J["l_knee"], _J["l_ankle"]), (_J["l_hip"], _J["r_hip"])),
    "l_arm": ((_J["l_shoulder"], _J["l_elbow"], _J["l_wrist"]), (_J["l_shoulder"], _J["r_shoulder"])),
    "r_arm": ((_J["r_shoulder"], _J["r_elbow"], _J["r_wrist"]), (_J["l_shoulder"], _J["r_shoulder"])),
}
LIMB_NAMES = tuple(LIMBS)


def body_frames(world: np.ndarray, across: tuple[int, int]) -> np.ndarray:
    """(..., 17, 3) poses → (..., 3, 3) rotations whose columns are the body's axes in world space: x along
    ``world[across[0]] - world[across[1]]``, z along the trunk (pelvis → thorax) made perpendicular to x, y = z × x."""
    x = unit(world[..., across[0], :] - world[..., across[1], :])
    up = world[..., _J["thorax"], :] - world[..., _J["pelvis"], :]
    z = unit(up - (up * x).sum(-1, keepdims=True) * x)
    return np.stack([x, np.cross(z, x), z], axis=-1)


def transplant_limb(recipient: np.ndarray, donor: np.ndarray, limb: str) -> np.ndarray:
    """The recipient's poses with ``limb`` moving as the donor's does, relative to each one's own trunk.

    Args:
        recipient, donor: (..., 17, 3) positions of the same shape (e.g. (T, 17, 3) windows of equal length).
        limb: a key of LIMBS.
    Returns:
        (..., 17, 3) new array: every joint outside the limb unchanged; each limb bone keeps the recipient's length
        and takes the donor's direction expressed in the donor's body frame (``body_frames``), turned into the
        recipient's body frame.
    """
    if recipient.shape != donor.shape or recipient.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f"transplant_limb: need two (..., 17, 3) arrays of one shape, got {recipient.shape}, "
                         f"{donor.shape}")  # fmt: skip
    chain, across = LIMBS[limb]
    turn = body_frames(recipient, across) @ np.swapaxes(body_frames(donor, across), -1, -2)  # donor → recipient
    out = recipient.copy()
    for parent, child in zip(chain[:-1], chain[1:], strict=True):
        length = np.linalg.norm(recipient[..., child, :] - recipient[..., parent, :], axis=-1, keepdims=True)
        direction = unit(np.einsum("...ij,...j->...i", turn, donor[..., child, :] - donor[..., parent, :]))
        out[..., child, :] = out[..., parent, :] + length * direction
    return out.astype(recipient.dtype)


def recombine_limbs(world: np.ndarray, rng: np.random.Generator, probability: float) -> np.ndarray:
    """(B, T, 17, 3) windows → the same with, in each window with ``probability``, one random limb given the motion
    of that limb in another window of the batch (``transplant_limb``)."""
    B = world.shape[0]
    chosen = np.flatnonzero(rng.random(B) < probability) if B > 1 else np.zeros(0, int)
    donors = (chosen + 1 + rng.integers(0, B - 1, size=len(chosen))) % B if len(chosen) else chosen  # never itself
    limbs = rng.integers(0, len(LIMB_NAMES), size=len(chosen))
    out = world.copy()
    for k, name in enumerate(LIMB_NAMES):
        pick = limbs == k
        if pick.any():
            out[chosen[pick]] = transplant_limb(world[chosen[pick]], world[donors[pick]], name)
    return out
