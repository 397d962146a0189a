"""The root's camera-space position per frame from reprojection: where the lifted pose must stand so that, seen
through the camera, it lands on the detected 2D.

With the pose relative to its root, ``P_j = p_j + T`` (camera space: x right, y down, z forward, metres) and the
pinhole projection ``u_j − c = f · (P_j,x, P_j,y) / P_j,z``, every joint gives two equations linear in ``T``:

    f · T_x − (u_j,x − c_x) · T_z = (u_j,x − c_x) · p_j,z − f · p_j,x
    f · T_y − (u_j,y − c_y) · T_z = (u_j,y − c_y) · p_j,z − f · p_j,y

solved per frame by weighted least squares. Each row is divided by the joint's depth (so its residual is in pixels),
weighted by the detector's confidence, and re-weighted over ROUNDS rounds by a Huber function of the pixel residual
(HUBER_BOX of the body's image height): a joint the detector misplaced, or the lifter placed badly, does not drag
the root. Then a temporal prior on the depth, the least certain part: its running median over MEDIAN_FRAMES frames,
as the apparent size's own estimate has (not on the image position: a short jump's arch must stay). Unlike the
apparent size alone (``core.postprocess.root_trajectory``, the start here) this uses perspective: the near parts of
a body look larger than the far ones.
"""

from __future__ import annotations

import numpy as np

from ..postprocess import root_trajectory, running_median

ROUNDS = 3
HUBER_BOX = 0.05  # of the 2D body's height: residuals beyond it count linearly, not squared
MIN_DEPTH_M = 0.1
MEDIAN_FRAMES = 9


def reprojected_root(joints_rel: np.ndarray, xy_px: np.ndarray, width: int, height: int, focal_px: float,
                     conf: np.ndarray | None = None, start: np.ndarray | None = None,
                     median_frames: int = MEDIAN_FRAMES) -> np.ndarray:  # fmt: skip
    """(T, J, 3) root-relative camera-space joints in metres, (T, J, 2) their 2D in pixels (filled), the focal
    length in pixels; ``conf`` (T, J) the detector's confidences (None: all 1); ``start`` (T, 3) a first estimate
    (None: ``root_trajectory``) → (T, 3) the root in camera space, metres, after the temporal prior (the depth's
    running median over ``median_frames``; 1 = none). Frames with fewer than 3 joints of any weight keep ``start``."""
    rel = np.asarray(joints_rel, np.float64)
    u = np.asarray(xy_px, np.float64) - np.array([width / 2.0, height / 2.0])
    root = root_trajectory(rel, np.asarray(xy_px, np.float64), width, height, focal_px) if start is None else start
    root = np.array(root, np.float64)
    base = np.ones(rel.shape[:2]) if conf is None else np.clip(np.nan_to_num(np.asarray(conf, np.float64)), 0.0, 1.0)
    usable = (base > 0).sum(axis=1) >= 3
    box = np.maximum(np.ptp(u[..., 1], axis=1), 1.0)[:, None]
    x, y, z = rel[..., 0], rel[..., 1], rel[..., 2]
    zeros, focal = np.zeros_like(x), np.full_like(x, focal_px)
    rows = np.concatenate([np.stack([focal, zeros, -u[..., 0]], -1), np.stack([zeros, focal, -u[..., 1]], -1)], 1)
    rhs = np.concatenate([u[..., 0] * z - focal_px * x, u[..., 1] * z - focal_px * y], 1)
    weight = base.copy()
    for _ in range(ROUNDS):
        scale = np.sqrt(weight) / np.maximum(z + root[:, 2:3], MIN_DEPTH_M)  # rows in pixels, weighted
        s2 = np.concatenate([scale, scale], 1)
        a, b = rows * s2[..., None], rhs * s2
        normal = np.einsum("tji,tjk->tik", a, a) + 1e-9 * np.eye(3)
        solved = np.linalg.solve(normal, np.einsum("tji,tj->ti", a, b)[..., None])[..., 0]
        root[usable] = solved[usable]
        points = rel + root[:, None]
        residual = np.linalg.norm(focal_px * points[..., :2] / np.maximum(points[..., 2:3], MIN_DEPTH_M) - u, axis=-1)
        delta = HUBER_BOX * box
        weight = base * np.where(residual <= delta, 1.0, delta / np.maximum(residual, 1e-9))
    if median_frames > 1:  # depth only: the image position is direct evidence, a short jump's arch must stay
        root[:, 2] = running_median(root[:, 2], median_frames)
    return root
