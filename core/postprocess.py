"""Camera-space lifter output → a Blender scene: the building blocks (scale, root trajectory, axes, fallback floor).

Every step here is an approximation from one uncalibrated view; docs/capture.md lists what each one assumes. These
are the building blocks of ``core.world.place`` (a capture) and ``core.live.post`` (live mode), which add contacts,
gravity, the rigid skeleton and foot locking.

* **Scale**: the lifter's 3D has the proportions of its training subjects; we measure the skeleton's stature from
  median bone lengths and scale it to the subject height (Drillis & Contini (1966) segment proportions, as tabulated
  in Winter, "Biomechanics and Motor Control of Human Movement", Fig. 4.1).
* **Root trajectory** (weak perspective): per frame the 2D spread of the joints over the 3D spread gives the
  pixels-per-metre ``s = f / Z`` at the body, hence the depth ``Z = f / s`` and the lateral position
  ``(u - c) / s``. The focal length is unknown: ``f`` follows from an assumed field of view along the image's long
  side. Sideways motion does not depend on ``f``; depth motion scales with it.
* **Floor** (the fallback where no foot is planted): sole height = ankle height − ankle-to-sole offset; the floor is
  a rolling low percentile of the lowest sole over time (so slow drifts from depth/tilt errors are removed but jumps
  shorter than the window survive).
"""

from __future__ import annotations

import math

import numpy as np

from .skeleton import JOINT_INDEX

# Heights as fractions of stature (Drillis & Contini 1966): ankle joint, hip (greater trochanter), eye level. The
# H36M head joint mapped from MediaPipe is the eye/ear centroid, hence eye level.
ANKLE_FRACTION = 0.039
HIP_FRACTION = 0.530
EYE_FRACTION = 0.936

_J = JOINT_INDEX


def _bone(joints: np.ndarray, a: str, b: str) -> np.ndarray:
    return np.linalg.norm(joints[..., _J[a], :] - joints[..., _J[b], :], axis=-1)


def estimate_stature(joints: np.ndarray) -> float:
    """Standing height (same unit as ``joints``) of the skeleton in a (T, 17, 3) sequence, from median bones.

    Legs (hip→knee→ankle, mean of both sides) span hip-to-ankle height; the trunk chain pelvis→spine→thorax→neck→head
    spans hip-to-eye height; together ``(HIP - ANKLE) + (EYE - HIP)`` of the stature.
    """
    med = lambda a, b: float(np.median(_bone(joints, a, b)))  # noqa: E731
    legs = 0.5 * (med("r_hip", "r_knee") + med("r_knee", "r_ankle") + med("l_hip", "l_knee") + med("l_knee", "l_ankle"))
    trunk = med("pelvis", "spine") + med("spine", "thorax") + med("thorax", "neck") + med("neck", "head")
    return (legs + trunk) / (EYE_FRACTION - ANKLE_FRACTION)


def focal_from_fov(width: int, height: int, fov_deg: float) -> float:
    """Focal length in pixels for a field of view ``fov_deg`` along the image's long side."""
    return 0.5 * max(width, height) / math.tan(math.radians(fov_deg) / 2.0)


def root_trajectory(joints_rel: np.ndarray, xy_px: np.ndarray, width: int, height: int, focal_px: float,
                    px_per_m: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Weak-perspective camera-space root position per frame.

    Args:
        joints_rel: (T, J, 3) root-relative camera-space joints in metres (already scaled to the subject).
        xy_px: (T, J, 2) 2D joints in pixels (filled). focal_px: assumed focal length.
        px_per_m: (T,) :func:`pixels_per_metre` of these joints when the caller has it already.
    Returns:
        (T, 3) root position in camera space (x right, y down, z forward), metres.
    """
    s = pixels_per_metre(joints_rel, xy_px) if px_per_m is None else px_per_m
    center = np.array([width / 2.0, height / 2.0])
    xy_root = (xy_px.mean(axis=1) - center) / s[:, None] - joints_rel[..., :2].mean(axis=1)
    z_root = focal_px / s - joints_rel[..., 2].mean(axis=1)
    return np.concatenate([xy_root, z_root[:, None]], axis=1)


def pixels_per_metre(joints_rel: np.ndarray, xy_px: np.ndarray) -> np.ndarray:
    """(T, J, 3) root-relative metres, (T, J, 2) pixels → (T,) pixels per metre at the body: the 2D spread of the
    joints over the spread of their 3D x/y (weak perspective), with a running median over 9 frames."""
    a = xy_px - xy_px.mean(axis=1, keepdims=True)
    b = joints_rel[..., :2] - joints_rel[..., :2].mean(axis=1, keepdims=True)
    rms_a = np.sqrt((a**2).sum(axis=-1).mean(axis=-1))
    rms_b = np.sqrt((b**2).sum(axis=-1).mean(axis=-1))
    s = rms_a / np.maximum(rms_b, 1e-6)
    return np.maximum(running_median(s, 9), 1e-3)


def running_median(x: np.ndarray, window: int) -> np.ndarray:
    """(T, ...) → the centred running median over ``window`` frames along axis 0, edges replicated."""
    half = window // 2
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (np.ndim(x) - 1), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, window, axis=0), axis=-1)


def camera_to_blender(x: np.ndarray) -> np.ndarray:
    """(..., 3) camera axes (x right, y down, z forward) → Blender world (X right, Y away from camera, Z up)."""
    return np.stack([x[..., 0], x[..., 2], -x[..., 1]], axis=-1)


def floor_offsets(
    sole_z: np.ndarray, fps: float, *, causal: bool, window_s: float = 2.0, pct: float = 25.0
) -> np.ndarray:
    """(T,) floor height per frame: rolling ``pct`` percentile of the lowest sole over ``window_s`` (trailing when
    causal, centred otherwise), then a moving average of the same length so the correction itself cannot jitter."""
    T = len(sole_z)
    w = max(1, int(round(window_s * fps)))
    floor = np.empty(T)
    for t in range(T):
        lo, hi = (max(0, t - w + 1), t + 1) if causal else (max(0, t - w // 2), min(T, t + w // 2 + 1))
        floor[t] = np.percentile(sole_z[lo:hi], pct)
    smoothed = np.empty(T)
    csum = np.concatenate([[0.0], np.cumsum(floor)])
    for t in range(T):
        lo, hi = (max(0, t - w + 1), t + 1) if causal else (max(0, t - w // 2), min(T, t + w // 2 + 1))
        smoothed[t] = (csum[hi] - csum[lo]) / (hi - lo)
    return smoothed
