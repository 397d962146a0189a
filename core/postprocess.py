"""Camera-space lifter output → an animation in a Blender scene: scale, level, root trajectory, world axes, floor.

Every step here is an approximation from one uncalibrated view; docs/capture.md lists what each one assumes.

* **Scale**: the lifter's 3D has the proportions of its training subjects; we measure the skeleton's stature from
  median bone lengths and scale it to the subject height (Drillis & Contini (1966) segment proportions, as tabulated
  in Winter, "Biomechanics and Motor Control of Human Movement", Fig. 4.1).
* **Level**: camera pitch makes the whole body lean towards/away from the camera in camera space. We rotate about the
  camera's x axis so that the median trunk direction (pelvis → thorax) is vertical; roll is not corrected.
* **Root trajectory** (weak perspective): per frame the 2D spread of the joints over the 3D spread gives the
  pixels-per-metre ``s = f / Z`` at the body, hence the depth ``Z = f / s`` and the lateral position
  ``(u - c) / s``. The focal length is unknown: ``f`` follows from an assumed field of view along the image's long
  side. Sideways motion does not depend on ``f``; depth motion scales with it.
* **Floor**: sole height = ankle height − ankle-to-sole offset; the floor is a rolling low percentile of the lowest
  sole over time (so slow drifts from depth/tilt errors are removed but jumps shorter than the window survive),
  then any remaining penetration below z = 0 is lifted out.
"""

from __future__ import annotations

import math

import numpy as np

from .skeleton import JOINT_INDEX
from .smoothing import smooth

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


def level_rotation(joints_cam: np.ndarray) -> np.ndarray:
    """(3, 3) rotation about the camera x axis that makes the median trunk direction of (T, J, 3) joints vertical."""
    trunk = joints_cam[:, _J["thorax"]] - joints_cam[:, _J["pelvis"]]
    y, z = float(np.median(trunk[:, 1])), float(np.median(trunk[:, 2]))
    angle = math.atan2(z, -y)  # 0 when the trunk points straight up the image (-y)
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def focal_from_fov(width: int, height: int, fov_deg: float) -> float:
    """Focal length in pixels for a field of view ``fov_deg`` along the image's long side."""
    return 0.5 * max(width, height) / math.tan(math.radians(fov_deg) / 2.0)


def root_trajectory(joints_rel: np.ndarray, xy_px: np.ndarray, width: int, height: int, focal_px: float) -> np.ndarray:
    """Weak-perspective camera-space root position per frame.

    Args:
        joints_rel: (T, J, 3) root-relative camera-space joints in metres (already scaled to the subject).
        xy_px: (T, J, 2) 2D joints in pixels (filled). focal_px: assumed focal length.
    Returns:
        (T, 3) root position in camera space (x right, y down, z forward), metres.
    """
    a = xy_px - xy_px.mean(axis=1, keepdims=True)
    b = joints_rel[..., :2] - joints_rel[..., :2].mean(axis=1, keepdims=True)
    rms_a = np.sqrt((a**2).sum(axis=-1).mean(axis=-1))
    rms_b = np.sqrt((b**2).sum(axis=-1).mean(axis=-1))
    s = rms_a / np.maximum(rms_b, 1e-6)  # (T,) pixels per metre at the body
    s = np.maximum(_running_median(s, 9), 1e-3)
    center = np.array([width / 2.0, height / 2.0])
    xy_root = (xy_px.mean(axis=1) - center) / s[:, None] - joints_rel[..., :2].mean(axis=1)
    z_root = focal_px / s - joints_rel[..., 2].mean(axis=1)
    return np.concatenate([xy_root, z_root[:, None]], axis=1)


def _running_median(x: np.ndarray, window: int) -> np.ndarray:
    half = window // 2
    padded = np.pad(x, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=-1)


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


def to_world(
    joints_cam: np.ndarray,
    xy_px: np.ndarray,
    times: np.ndarray,
    width: int,
    height: int,
    fps: float,
    *,
    subject_height: float,
    smoothing: float,
    causal: bool,
    fov_deg: float = 60.0,
    root_motion: bool = True,
) -> tuple[np.ndarray, dict[str, float]]:
    """Root-relative camera-space lifter output (T, J, 3) → Blender world joints (T, J, 3), feet on z = 0.

    Returns the world joints and figures for the summary (scale factor, stature before scaling, level angle...).
    """
    stature = estimate_stature(joints_cam)
    scale = subject_height / max(stature, 1e-6)
    rel = joints_cam * scale
    if root_motion:
        root = root_trajectory(rel, xy_px, width, height, focal_from_fov(width, height, fov_deg))
        # Depth from one view is the noisiest quantity (it comes from the body's apparent size): smooth it at least
        # moderately. Sideways/vertical motion comes straight from the 2D track and is as precise as the joints.
        root[:, 2:] = smooth(root[:, 2:], times, max(smoothing, 0.5), causal=causal)
    else:
        root = np.zeros((len(rel), 3))
    # Level the whole scene (body and trajectory) about the camera: the pitch tilts the ground plane as well.
    rot = level_rotation(rel)
    world = camera_to_blender((rel + root[:, None, :]) @ rot.T)
    world = smooth(world, times, smoothing, causal=causal) if smoothing > 0 else world
    world[..., :2] -= world[0, _J["pelvis"], :2]  # start at the origin of the scene
    ankle_offset = ANKLE_FRACTION * subject_height
    soles = np.minimum(world[:, _J["r_ankle"], 2], world[:, _J["l_ankle"], 2]) - ankle_offset
    world[..., 2] -= floor_offsets(soles, fps, causal=causal)[:, None]
    lowest = np.minimum(world[:, _J["r_ankle"], 2], world[:, _J["l_ankle"], 2]) - ankle_offset
    world[..., 2] -= np.minimum(lowest, 0.0)[:, None]  # no sinking: lift frames whose sole is below the floor
    pitch = -math.degrees(math.atan2(rot[2, 1], rot[1, 1]))  # > 0: the camera looked down at the subject
    info = {"stature_model_m": float(stature), "scale": float(scale), "camera_pitch_deg": pitch}
    return world.astype(np.float32), info
