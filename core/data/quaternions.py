"""Unit-quaternion helpers (w, x, y, z order, Hamilton product, active rotations of column vectors).

Kept here (not in ``core.camera``) because only motion-capture resampling needs Euler composition and slerp; all
functions are batched over leading axes and work in float64 so forward kinematics keeps bones rigid to ~1e-12.
"""

from __future__ import annotations

import numpy as np

_AXIS_INDEX = {"X": 1, "Y": 2, "Z": 3}


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a ⊗ b of (..., 4) quaternions (rotate by b first, then by a)."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        (
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ),
        axis=-1,
    )


def from_euler(angles_deg: np.ndarray, order: str) -> np.ndarray:
    """Compose Euler angles the BVH way: channels "Zrotation Xrotation Yrotation" mean R = Rz · Rx · Ry.

    Args:
        angles_deg: (..., K) angles in degrees, one per letter of ``order``.
        order: K axis letters in channel order, e.g. "ZXY" (K may be 1..3, letters may repeat).
    Returns:
        (..., 4) unit quaternions.
    """
    angles = np.asarray(angles_deg, dtype=np.float64)
    if angles.shape[-1] != len(order) or not order:
        raise ValueError(f"from_euler: {angles.shape[-1]} angles for order {order!r}")
    if any(a not in _AXIS_INDEX for a in order):
        raise ValueError(f"from_euler: order must use the letters X, Y, Z, got {order!r}")
    half = np.deg2rad(angles) * 0.5
    cos, sin = np.cos(half), np.sin(half)
    # Right-multiply by one axis quaternion (c, s·e_axis) at a time, component-wise: this is the hot loop of BVH
    # loading, and the specialised products avoid building and multiplying full quaternions.
    w = np.ones(angles.shape[:-1])
    x, y, z = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for k, axis in enumerate(order):
        c, s = cos[..., k], sin[..., k]
        if axis == "X":
            w, x, y, z = w * c - x * s, x * c + w * s, y * c + z * s, z * c - y * s
        elif axis == "Y":
            w, x, y, z = w * c - y * s, x * c - z * s, y * c + w * s, z * c + x * s
        else:
            w, x, y, z = w * c - z * s, x * c + y * s, y * c - x * s, z * c + w * s
    out = np.empty((*angles.shape[:-1], 4))
    out[..., 0], out[..., 1], out[..., 2], out[..., 3] = w, x, y, z
    return out


def to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions → (..., 3, 3) rotation matrices acting on column vectors."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        (
            np.stack((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)), axis=-1),
            np.stack((2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)), axis=-1),
            np.stack((2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)), axis=-1),
        ),
        axis=-2,
    )


def slerp(q0: np.ndarray, q1: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spherical linear interpolation along the shorter arc (Shoemake 1985).

    Args:
        q0, q1: (..., 4) unit quaternions.
        weight: (...) or broadcastable interpolation weights in [0, 1] (0 → q0, 1 → q1).
    Returns:
        (..., 4) unit quaternions.
    """
    weight = np.asarray(weight, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0.0, -q1, q1)  # q and -q are the same rotation: take the short way round
    dot = np.clip(np.abs(dot), 0.0, 1.0)
    theta = np.arccos(dot)
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-6  # (almost) identical rotations: lerp is exact to first order and avoids 0/0
    safe = np.where(near, 1.0, sin_theta)
    w0 = np.where(near, 1.0 - weight, np.sin((1.0 - weight) * theta) / safe)
    w1 = np.where(near, weight, np.sin(weight * theta) / safe)
    out = w0 * q0 + w1 * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)
