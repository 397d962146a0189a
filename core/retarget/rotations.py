"""Frame helpers for retargeting: orthonormal frames and minimal (swing) rotations.

Quaternion, matrix, Euler and axis-angle conversions live in ``core.rotations``. Matrices are
(..., 3, 3) with columns = the frame's X, Y, Z axes (Blender's bone convention: Y along the bone).
"""

from __future__ import annotations

import numpy as np

__all__ = ["frame", "swing", "unit"]
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
