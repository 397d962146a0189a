"""Pose augmentation (core.data.augment): limb recombination against hand-built poses."""

from __future__ import annotations

import numpy as np
import pytest
from lifter_synth import synthetic_motion

from core.data.augment import LIMBS, body_frames, recombine_limbs, transplant_limb
from core.data.config import ConfigError, DataConfig
from core.data.dataset import CameraPool, MotionBank, WindowSampler
from core.skeleton import H36M_BONES, JOINT_INDEX

_J = JOINT_INDEX


def standing() -> np.ndarray:
    """(17, 3) a person standing upright facing -y (world Z up), arms hanging; thighs 0.4 m, shins 0.4 m."""
    p = {
        "pelvis": (0, 0, 1.0), "r_hip": (-0.1, 0, 1.0), "r_knee": (-0.1, 0, 0.6), "r_ankle": (-0.1, 0, 0.2),
        "l_hip": (0.1, 0, 1.0), "l_knee": (0.1, 0, 0.6), "l_ankle": (0.1, 0, 0.2), "spine": (0, 0, 1.25),
        "thorax": (0, 0, 1.5), "neck": (0, 0, 1.6), "head": (0, 0, 1.75), "l_shoulder": (0.2, 0, 1.45),
        "l_elbow": (0.2, 0, 1.15), "l_wrist": (0.2, 0, 0.9), "r_shoulder": (-0.2, 0, 1.45),
        "r_elbow": (-0.2, 0, 1.15), "r_wrist": (-0.2, 0, 0.9),
    }  # fmt: skip
    return np.array([p[name] for name in _J], float)


def turned(pose: np.ndarray, deg: float, axis: int, shift: tuple[float, float, float] = (0, 0, 0)) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    i, j = [k for k in range(3) if k != axis]
    R = np.eye(3)
    R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    return pose @ R.T + np.array(shift)


def bone_lengths(pose: np.ndarray) -> np.ndarray:
    return np.array([np.linalg.norm(pose[..., c, :] - pose[..., p, :], axis=-1) for p, c in H36M_BONES])


def test_body_frame_of_the_standing_pose_is_the_world() -> None:
    # across = l_hip - r_hip = +x, trunk = +z, so y = z × x = +y
    np.testing.assert_allclose(body_frames(standing(), LIMBS["l_leg"][1]), np.eye(3), atol=1e-12)


def test_a_raised_leg_moves_onto_the_recipient_with_its_own_bone_lengths() -> None:
    recipient = standing()
    recipient[_J["r_knee"]] = (-0.1, 0, 0.55)  # longer thigh (0.45 m) and shin (0.45 m)
    recipient[_J["r_ankle"]] = (-0.1, 0, 0.1)
    donor = standing()
    donor[_J["r_knee"]] = (-0.1, -0.4, 1.0)  # thigh straight forward (towards -y), shin straight down
    donor[_J["r_ankle"]] = (-0.1, -0.4, 0.6)
    out = transplant_limb(recipient, donor, "r_leg")
    np.testing.assert_allclose(out[_J["r_knee"]], (-0.1, -0.45, 1.0), atol=1e-12)
    np.testing.assert_allclose(out[_J["r_ankle"]], (-0.1, -0.45, 0.55), atol=1e-12)
    others = [j for j in range(17) if j not in (_J["r_knee"], _J["r_ankle"])]
    np.testing.assert_array_equal(out[others], recipient[others])


def test_the_donor_is_read_relative_to_its_own_trunk() -> None:
    # A donor turned about the vertical, leaning and moved elsewhere gives the same limb as the upright donor
    donor = standing()
    donor[_J["l_elbow"]] = (0.5, 0, 1.45)  # arm raised sideways, forearm up
    donor[_J["l_wrist"]] = (0.5, 0, 1.7)
    recipient = standing()
    upright = transplant_limb(recipient, donor, "l_arm")
    moved = turned(turned(donor, 70, axis=2), 25, axis=0, shift=(3.0, -1.0, 0.2))
    np.testing.assert_allclose(transplant_limb(recipient, moved, "l_arm"), upright, atol=1e-12)
    # and a turned recipient carries the transplanted arm with it
    np.testing.assert_allclose(transplant_limb(turned(recipient, 40, 2), donor, "l_arm"), turned(upright, 40, 2),
                               atol=1e-12)  # fmt: skip


def test_recombination_changes_one_limb_per_chosen_window_and_keeps_every_bone_length() -> None:
    world = np.stack([synthetic_motion(6, k) for k in range(8)]).astype(np.float64)  # (8, 6, 17, 3)
    np.testing.assert_array_equal(recombine_limbs(world, np.random.default_rng(0), 0.0), world)
    out = recombine_limbs(world, np.random.default_rng(0), 1.0)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(world), atol=1e-9)
    limb_ends = {name: set(chain[1:]) for name, (chain, _) in LIMBS.items()}
    for b in range(len(world)):
        moved = set(np.flatnonzero(np.abs(out[b] - world[b]).max(axis=(0, 2)) > 1e-9).tolist())
        assert moved and any(moved <= ends for ends in limb_ends.values()), (b, moved)


def joint_angles(y: np.ndarray) -> np.ndarray:
    """(..., 17, 3) → (..., 4) the angles at both knees and both elbows: the same whatever camera sees the pose."""
    out = []
    for limb in ("r_leg", "l_leg", "l_arm", "r_arm"):
        a, b, c = LIMBS[limb][0]
        u, v = y[..., a, :] - y[..., b, :], y[..., c, :] - y[..., b, :]
        cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.stack(out, axis=-1)


def test_the_window_sampler_recombines_limbs_when_asked() -> None:
    motions = [synthetic_motion(60, k) for k in range(6)]
    bank = MotionBank.from_list(motions, [str(k) for k in range(6)])
    pool = CameraPool.build(bank, np.random.default_rng(0), segment_frames=30, random_per_segment=2, rigs_per_segment=1)
    kw = {"noise_probability": 0.0, "flip_probability": 0.0}
    _, plain = WindowSampler(bank, pool, 9, 0, **kw).sample(np.random.default_rng(4), 64)
    _, swapped = WindowSampler(bank, pool, 9, 0, limb_swap=1.0, **kw).sample(np.random.default_rng(4), 64)
    np.testing.assert_allclose(bone_lengths(swapped), bone_lengths(plain), atol=1e-4)  # same windows, other cameras
    changed = np.abs(joint_angles(swapped[:, 0]) - joint_angles(plain[:, 0])) > 0.5  # (64, 4)
    assert changed.any(axis=1).mean() > 0.5 and changed.sum(axis=1).max() == 1


def test_limb_swap_probability_is_validated() -> None:
    assert DataConfig(limb_swap_probability=0.3).limb_swap_probability == 0.3
    with pytest.raises(ConfigError, match="limb_swap_probability"):
        DataConfig(limb_swap_probability=1.5)
