"""Synthetic, exactly rigid motions for the bake tests: random smooth bone rotations through forward kinematics."""

from __future__ import annotations

import numpy as np

from core.bake_math import forward_kinematics, rest_pose
from core.rig_layout import BONES

# Plausible adult bone lengths (m), core.rig_layout.BONES order.
LENGTHS = np.array([0.23, 0.13, 0.44, 0.44, 0.13, 0.44, 0.44, 0.26, 0.12, 0.12, 0.17, 0.29, 0.26, 0.17, 0.29, 0.26])


def synthetic_joints(frames: int, seed: int = 0, amplitude: float = 0.6) -> np.ndarray:
    """(T, 17, 3) joints of a rigid armature moving smoothly (sinusoidal axis-angle per bone) and walking along X."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / 30.0
    axes = rng.normal(size=(len(BONES), 3))
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    freq = rng.uniform(0.3, 1.5, size=len(BONES))
    phase = rng.uniform(0, 2 * np.pi, size=len(BONES))
    angle = amplitude * np.sin(2 * np.pi * freq * t + phase)  # (T, B)
    quats = np.concatenate([np.cos(angle / 2)[..., None], np.sin(angle / 2)[..., None] * axes], axis=-1)
    root = np.stack([0.5 * t[:, 0], 0.1 * np.sin(t[:, 0]), 0.05 * np.cos(3 * t[:, 0])], axis=-1)
    return forward_kinematics(rest_pose(LENGTHS), quats, root)
