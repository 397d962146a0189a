"""The real-video yardstick: a lifter against MediaPipe's own 3D on the shared Pose2Sim balancing trial.

``../shared/data/pose2sim_balance/reference_cam03_cam04.npz`` (see its README) holds, for two views of one trial,
MediaPipe's 2D and its own single-view 3D (``pose_world_landmarks``), and a 4-camera triangulation of all 33
landmarks. Both contenders are compared on the **same joint definition**, the one capture feeds the lifter
(``core.skeleton.MEDIAPIPE_WEIGHTS``: thorax = mid-shoulders, head = eye/ear centroid, ...), built from the
triangulated landmarks for the reference and from the world landmarks for MediaPipe. Our lifter gets MediaPipe's
2D of the view (mapped the same way, all 100 frames, no gap repair needed: the README reports no swaps in these
views) at the clip's 60 fps through :func:`core.lift.lift_timed` with flip TTA, as capture does.

Metrics (mm; all on pelvis-centred poses): **P-MPJPE** (per-frame similarity alignment), **MPJPE after one global
rotation** (one Kabsch rotation over all frames, no scale), **acceleration error** (rotation-aligned, against the
reference smoothed with a Gaussian of σ = 1.25 frames, mm/frame²), as defined in the data's README. A single
subject in one lab: report it beside the CMU evaluation, never tune to it alone. What a capture gives by default,
the lifter's 3D averaged with MediaPipe's own (``core.fuse3d``), is scored too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import metrics
from ..skeleton import MEDIAPIPE_WEIGHTS

DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "shared/data/pose2sim_balance/reference_cam03_cam04.npz"
SMOOTH_SIGMA_FRAMES = 1.25


@dataclass
class RealView:
    """One view: 2D pixels (T, 17, 2), image (width, height), fps, reference (T, 17, 3) raw and smoothed, and
    MediaPipe's own 3D (T, 17, 3), all in the capture's joint definition."""

    name: str
    xy: np.ndarray
    size: tuple[int, int]
    fps: float
    reference: np.ndarray
    reference_smooth: np.ndarray
    mediapipe_3d: np.ndarray


def gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """(T, ...) smoothed along time with a normalised Gaussian (radius 4σ), edges replicated."""
    radius = int(np.ceil(4 * sigma))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.concatenate([np.repeat(x[:1], radius, 0), x, np.repeat(x[-1:], radius, 0)])
    return sum(w * padded[i : i + len(x)] for i, w in enumerate(k))


def load_views(path: str | Path = DEFAULT_REFERENCE) -> list[RealView]:
    """The two shared views with everything mapped to the capture's H36M-17 definition."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"real-video reference not found: {path} (../shared/data/pose2sim_balance/)")
    with np.load(path, allow_pickle=True) as f:
        ref = MEDIAPIPE_WEIGHTS @ f["ref3d_mp33"]  # (T, 17, 3) world, Z up
        smooth = gaussian_smooth(ref, SMOOTH_SIGMA_FRAMES)  # one reference for both views
        views = []
        for i, name in enumerate(str(n) for n in f["cam_names"]):
            w, h = (int(v) for v in f["image_size"][i])
            xy = (MEDIAPIPE_WEIGHTS @ f[f"mediapipe_2d_{name}"][..., :2]).astype(np.float32)
            mediapipe_3d = MEDIAPIPE_WEIGHTS @ f[f"mediapipe_world_{name}"]
            views.append(RealView(name, xy, (w, h), float(f["fps"]), ref, smooth, mediapipe_3d))
    return views


def rotation_fit(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The proper rotation R (3, 3) minimising Σ‖R p − r‖² over all frames and joints (Kabsch, no scale)."""
    u, _, vt = np.linalg.svd(pred.reshape(-1, 3).T @ ref.reshape(-1, 3))
    d = np.sign(np.linalg.det(u @ vt))
    return (u @ np.diag([1.0, 1.0, d]) @ vt).T


def score(pred: np.ndarray, view: RealView) -> dict[str, float]:
    """P-MPJPE, MPJPE after one global rotation and acceleration error (mm) of (T, 17, 3) ``pred`` on ``view``."""
    p = pred - pred[:, :1]
    r = view.reference - view.reference[:, :1]
    rs = view.reference_smooth - view.reference_smooth[:, :1]
    aligned = p @ rotation_fit(p, r).T
    return {
        "p_mpjpe": 1000.0 * float(metrics.p_mpjpe(p, r)),
        "mpjpe_rot": 1000.0 * float(metrics.mpjpe(aligned, r)),
        "accel": 1000.0 * float(metrics.acceleration_error(aligned, rs)),
    }


def evaluate_model(model: Any, views: list[RealView], flip_tta: bool = True,
                   upright: bool = True) -> dict[str, dict[str, Any]]:  # fmt: skip
    """{view: {"ours": metrics, "mediapipe": metrics, "ratio": ours/mediapipe P-MPJPE, "fused": metrics of what a
    capture gives by default (the lifter's 3D averaged with MediaPipe's, ``core.fuse3d``, share
    ``CaptureOptions.mediapipe_3d``; every frame is a real, unswapped detection here), "fused_share",
    "fused_ratio"}} for one lifter."""
    from ..fuse3d import fuse_clip
    from ..lift import lift_timed
    from ..options import CaptureOptions

    share = float(CaptureOptions.field_default("mediapipe_3d"))
    out = {}
    for view in views:
        times = np.arange(len(view.xy)) / view.fps
        pred = lift_timed(model, view.xy, times, *view.size, flip_tta=flip_tta, upright=upright).astype(np.float64)
        fused, _ = fuse_clip(pred, view.mediapipe_3d, np.ones(len(pred), bool), times, share)
        ours, mp, both = score(pred, view), score(view.mediapipe_3d, view), score(fused, view)
        out[view.name] = {"ours": ours, "mediapipe": mp, "ratio": ours["p_mpjpe"] / mp["p_mpjpe"], "fused": both,
                          "fused_share": share, "fused_ratio": both["p_mpjpe"] / mp["p_mpjpe"]}  # fmt: skip
    return out
