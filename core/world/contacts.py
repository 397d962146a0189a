"""Foot contacts: which foot is planted in which frame, from the 2D track and the lifted 3D.

A planted foot does not move in the image (the camera is assumed still) and is the lower foot, or level with it. So a
foot is in contact where

* its image speed, converted to metres per second at the body's depth (``px_per_m``: the body's pixels per metre,
  ``core.postprocess.pixels_per_metre``), is below ``speed_tol``, and
* its ankle is at most ``height_tol`` above the lower ankle along the up direction;

runs shorter than ``min_s`` are dropped and gaps shorter than ``gap_s`` between two runs are closed. The 2D speed is
the precise one (MediaPipe's 2D jitters by a few pixels); depth motion of a foot that stays still in the image is not
seen (rare in practice: a foot sliding straight towards the camera). A hand-held camera's own motion counts as foot
motion: contacts get fewer, never wrong in the other direction.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX

FEET = (JOINT_INDEX["l_ankle"], JOINT_INDEX["r_ankle"])  # contact columns: 0 = left, 1 = right
# Chosen on the synthetic set of core.eval.world (held-out subject; it prints the precision/recall they give):
# a swinging foot moves > 1 m/s, a rolling (heel-off) foot ≈ 0.1–0.3 m/s, MediaPipe-like noise adds ≈ 0.2 m/s.
SPEED_TOL_M_S = 0.5
HEIGHT_TOL_M = 0.05
BASELINE_S = 0.12


def baseline_speed(points: np.ndarray, times: np.ndarray, baseline_s: float = BASELINE_S,
                   full_span: bool = False) -> np.ndarray:  # fmt: skip
    """(T, F, C) positions, (T,) times → (T, F) speed over a baseline: the displacement from ``baseline_s / 2``
    before to ``baseline_s / 2`` after each frame (clipped at the ends) over the time between them. ``full_span``:
    near the ends the window slides inward instead of shrinking, so the first and last frames' speeds are as steady
    as the others' (a clipped window spans half the time: twice the jitter).

    A detector's jitter is independent frame to frame, so a one-frame velocity at 60 fps is mostly noise (MediaPipe
    on the shared 60 fps clips: a planted foot "moves" at 0.6 m/s); over 0.12 s it shrinks several fold while a
    swinging foot (> 1 m/s) still stands out.
    """
    T = len(points)
    if T < 2:
        return np.zeros(points.shape[:2])
    dt = float(np.median(np.diff(times)))
    half = max(1, int(round(baseline_s / max(dt, 1e-9) / 2)))
    lo, hi = np.maximum(np.arange(T) - half, 0), np.minimum(np.arange(T) + half, T - 1)
    if full_span and T > 2 * half:
        lo = np.clip(np.arange(T) - half, 0, T - 1 - 2 * half)
        hi = lo + 2 * half
    span = np.maximum(times[hi] - times[lo], 1e-9)
    return np.linalg.norm(points[hi] - points[lo], axis=-1) / span[:, None]


def image_speed(xy_px: np.ndarray, times: np.ndarray, px_per_m: np.ndarray, joints: tuple[int, ...] = FEET,
                baseline_s: float = BASELINE_S) -> np.ndarray:  # fmt: skip
    """(T, J, 2) pixels, (T,) times, (T,) pixels per metre → (T, len(joints)) image speed in m/s at the body
    (:func:`baseline_speed`)."""
    # Pixels first, then metres: dividing positions by a scale that changes as the person walks in depth would turn
    # the scale change into motion.
    return baseline_speed(xy_px[:, list(joints)], times, baseline_s) / px_per_m[:, None]


def clean_runs(mask: np.ndarray, min_len: int, max_gap: int) -> np.ndarray:
    """(T, F) bool → gaps of at most ``max_gap`` frames between true runs closed, then true runs shorter than
    ``min_len`` frames removed, per column."""
    out = mask.copy()
    for f in range(mask.shape[1]):
        col = out[:, f]
        for value, length_limit in ((False, max_gap), (True, min_len - 1)):
            runs = _runs(col)
            for start, end, v in runs:
                inner = start > 0 and end < len(col)  # a gap is closed only between two contacts
                if v == value and end - start <= length_limit and (value or inner):
                    col[start:end] = not value
    return out


def _runs(col: np.ndarray) -> list[tuple[int, int, bool]]:
    edges = np.flatnonzero(np.diff(col.astype(np.int8))) + 1
    bounds = np.concatenate([[0], edges, [len(col)]])
    return [(int(a), int(b), bool(col[a])) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def foot_contacts(speed: np.ndarray, height: np.ndarray, fps: float, *, speed_tol: float = SPEED_TOL_M_S,
                  height_tol: float = HEIGHT_TOL_M, min_s: float = 0.1, gap_s: float = 0.1) -> np.ndarray:  # fmt: skip
    """(T, F) image speed (m/s) and height above the lower foot (m) → (T, F) bool contacts (rules above)."""
    raw = (speed < speed_tol) & (height < height_tol)
    return clean_runs(raw, max(1, int(round(min_s * fps))), int(round(gap_s * fps)))


def heights_above_lowest(feet: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(T, F, 3) foot joints, (3,) unit up → (T, F) height of each foot above the lowest one in that frame."""
    h = feet @ up
    return h - h.min(axis=1, keepdims=True)


def precision_recall(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Contact labels (T, F) bool → (precision, recall) over all feet and frames (1.0 where undefined)."""
    tp = float((pred & truth).sum())
    return tp / max(float(pred.sum()), 1e-9) if pred.any() else 1.0, tp / max(
        float(truth.sum()), 1e-9
    ) if truth.any() else 1.0
