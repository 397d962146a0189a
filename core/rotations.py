"""Rotations in one place: unit quaternions (w, x, y, z order, Hamilton product, active rotations of column
vectors), rotation matrices (..., 3, 3), Euler angles and axis-angle.

Used by the camera model, BVH resampling (Euler composition, slerp), the bake and retargeting. All functions are
batched over leading axes; the numpy ones work in float64 so forward kinematics keeps bones rigid to ~1e-12.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")

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


def quaternion_to_matrix(q: Any) -> Any:
    """Quaternion(s) (..., 4) (w, x, y, z), normalised first → rotation matrices (..., 3, 3) with ``M @ v`` = q v q*.

    Accepts numpy arrays or torch tensors (the result has the input's type, dtype and device).
    """
    torch = sys.modules.get("torch")
    is_torch = torch is not None and isinstance(q, torch.Tensor)
    if not is_torch:
        q = np.asarray(q, dtype=np.float64)
    if q.shape[-1] != 4:
        raise ValueError(f"quaternion must have shape (..., 4), got {tuple(q.shape)}")
    q = q / ((q**2).sum(-1, keepdims=True) ** 0.5)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    rows = [
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ]  # fmt: skip
    m = torch.stack(rows, -1) if is_torch else np.stack(rows, -1)
    return m.reshape(*m.shape[:-1], 3, 3)


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


def matrix_to_quaternion(m: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) → unit quaternions (..., 4) (w, x, y, z), w >= 0 (Shepperd's method).

    Each matrix uses the formula conditioned on its largest of (trace, m00, m11, m22): 4·q·q_k for that k.
    """
    m = np.asarray(m, dtype=np.float64)
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    m00, m11, m22 = m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]
    d21, d02, d10 = m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1]
    s01, s02, s12 = m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1]
    best = np.argmax(np.stack([m00 + m11 + m22, m00, m11, m22], -1), -1)
    q = np.empty((m.shape[0], 4))
    rows = (
        lambda i: (1 + m00[i] + m11[i] + m22[i], d21[i], d02[i], d10[i]),
        lambda i: (d21[i], 1 + m00[i] - m11[i] - m22[i], s01[i], s02[i]),
        lambda i: (d02[i], s01[i], 1 - m00[i] + m11[i] - m22[i], s12[i]),
        lambda i: (d10[i], s02[i], s12[i], 1 - m00[i] - m11[i] + m22[i]),
    )
    for k, row in enumerate(rows):
        idx = np.flatnonzero(best == k)
        if idx.size:
            q[idx] = np.stack(row(idx), -1)
    q /= np.sqrt(np.einsum("ni,ni->n", q, q))[:, None]
    q[q[:, 0] < 0] *= -1
    return q.reshape(*shape, 4)


def make_continuous(q: np.ndarray) -> np.ndarray:
    """Flip quaternion signs along time so consecutive keys take the short path. q (T, ..., 4) → same shape."""
    q = np.array(q, dtype=np.float64, copy=True)
    if len(q) > 1:
        flips = np.sum(q[1:] * q[:-1], axis=-1) < 0
        # A sign flip at step t flips every later key: cumulative parity.
        parity = np.concatenate([np.zeros_like(flips[:1]), np.cumsum(flips, axis=0) % 2 == 1])
        q[parity.astype(bool)] *= -1
    return q


def _euler_principal(m: np.ndarray, order: str) -> np.ndarray:
    """One Euler solution of rotation matrices for Blender's order (order "XYZ": R = Rz·Ry·Rx). (N,3,3) → (N,3)."""
    i, j, k = ("XYZ".index(c) for c in order)
    sign = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    first = np.arctan2(sign * m[:, k, j], m[:, k, k])
    middle = np.arcsin(np.clip(-sign * m[:, k, i], -1.0, 1.0))
    last = np.arctan2(sign * m[:, j, i], m[:, i, i])
    out = np.empty((len(m), 3))
    out[:, i], out[:, j], out[:, k] = first, middle, last
    return out


def matrix_to_euler(m: np.ndarray, order: str) -> np.ndarray:
    """Rotation matrices (T, 3, 3) → Euler angles (T, 3) (X, Y, Z) continuous in time, like Blender's
    ``to_euler(order, compat)``: of the two equivalent solutions (and their 2π shifts) each frame takes the one
    nearest the previous frame, so F-curves never jump by a turn."""
    if order not in EULER_ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; expected one of {EULER_ORDERS}")
    m = np.asarray(m, dtype=np.float64)
    principal = _euler_principal(m, order)
    i, j, k = ("XYZ".index(c) for c in order)
    alternative = principal.copy()
    alternative[:, i] += np.pi
    alternative[:, j] = np.pi - principal[:, j]
    alternative[:, k] += np.pi
    # Sequential by nature (each frame depends on the previous choice): plain floats are ~20x faster than numpy here.
    two_pi = 2 * np.pi
    prev = principal[0].tolist()
    out = [prev]
    for cands in zip(principal[1:].tolist(), alternative[1:].tolist()):
        best, best_cost = prev, np.inf
        for cand in cands:
            shifted = [c + two_pi * round((p - c) / two_pi) for c, p in zip(cand, prev)]
            cost = sum(abs(c - p) for c, p in zip(shifted, prev))
            if cost < best_cost:
                best, best_cost = shifted, cost
        out.append(best)
        prev = best
    return np.array(out)


def matrix_to_axis_angle(m: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) → Blender axis-angle (..., 4) = (angle, x, y, z), continuous in time."""
    q = make_continuous(matrix_to_quaternion(m))
    angle = 2 * np.arctan2(np.linalg.norm(q[..., 1:], axis=-1), q[..., 0])
    norm = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    axis = np.where(norm > 1e-9, q[..., 1:] / np.maximum(norm, 1e-12), np.array([0.0, 1.0, 0.0]))  # no rotation: +Y
    return np.concatenate([angle[..., None], axis], axis=-1)
