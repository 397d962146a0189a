"""Rotation helpers for retargeting: orthonormal frames, minimal (swing) rotations, Euler and axis-angle output.

Quaternion ↔ matrix conversion and sign continuity are shared with the bake (core.bake_math). Matrices are
(..., 3, 3) with columns = the frame's X, Y, Z axes (Blender's bone convention: Y along the bone).
"""

from __future__ import annotations

import numpy as np

from ..bake_math import make_continuous, matrix_to_quaternion, quaternion_to_matrix

__all__ = ["EULER_ORDERS", "frame", "make_continuous", "matrix_to_axis_angle", "matrix_to_euler",
           "matrix_to_quaternion", "quaternion_to_matrix", "swing", "unit"]

EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
_EPS = 1e-9


def unit(v: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """Normalise (..., 3) vectors; (near) zero ones become `fallback` (broadcastable; default: left at zero)."""
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    out = v / np.maximum(n, _EPS)
    if fallback is None:
        return out
    return np.where(n > 1e-8, out, fallback)


def frame(y: np.ndarray, x_ref: np.ndarray) -> np.ndarray:
    """Rotation matrices whose Y axis is `y` and whose X axis is `x_ref` made perpendicular to it.

    Args: y, x_ref (..., 3) (need not be unit; x_ref must not be parallel to y). Returns: (..., 3, 3).
    """
    y = unit(y)
    x = np.asarray(x_ref, dtype=np.float64)
    x = unit(x - np.sum(x * y, axis=-1, keepdims=True) * y)
    z = np.cross(x, y)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction a onto direction b (Rodrigues). a, b: (..., 3) → (..., 3, 3).

    For opposite directions the rotation is a half turn about an axis perpendicular to a.
    """
    a, b = np.broadcast_arrays(unit(a), unit(b))
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(a * b, axis=-1)
    # Opposite vectors: any perpendicular axis; pick the one least aligned with a among X and Y.
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    ortho = unit(np.cross(a, helper))
    k = np.where((s < 1e-9)[..., None], ortho, axis / np.maximum(s, _EPS)[..., None])
    angle = np.arctan2(s, c)
    kx = np.zeros(k.shape + (3,))
    kx[..., 0, 1], kx[..., 0, 2] = -k[..., 2], k[..., 1]
    kx[..., 1, 0], kx[..., 1, 2] = k[..., 2], -k[..., 0]
    kx[..., 2, 0], kx[..., 2, 1] = -k[..., 1], k[..., 0]
    sin, cos = np.sin(angle)[..., None, None], np.cos(angle)[..., None, None]
    return np.eye(3) + sin * kx + (1 - cos) * (kx @ kx)


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
    axis = unit(q[..., 1:], np.array([0.0, 1.0, 0.0]))
    return np.concatenate([angle[..., None], axis], axis=-1)
