"""The pose made to line up with the video: each joint drawn towards the camera ray through its detected 2D.

The lifter reads a second of 2D motion and answers with a plausible body; frame by frame its joints land a few
centimetres beside where the detector saw them (the detector is the better witness of where a joint is across the
image, the lifter of how deep it is). With the root placed by reprojection (``core.world.reprojection``) every joint
has a ray, the points the camera sees at its pixel: a joint keeps its own depth and moves across the image onto that
ray, by the detector's confidence times ``share`` (a filled gap or an unsure joint keeps the lifter's place). The
moves pass a fixed low-pass at MOVE_CUTOFF_HZ (``core.smoothing.low_pass``; live mode its causal pass): where the
lifter and the detector disagree changes at the pace of the motion, while the detector's frame-to-frame jitter is
faster, and a speed-adaptive filter such as the pose's One-Euro lets that jitter through. The bone lengths are
then restored by ``core.world.body.rigid``, which places each joint on its bone's sphere as near to its moved position
as the length allows. The baked armature still reproduces ``joints_3d_world`` exactly (one rigid skeleton), and it
now lines up with the person in the video (``core.eval.world``'s reprojection column measures it against the true
2D, not the detections it was fitted to).
"""

from __future__ import annotations

import numpy as np

from ..camera import project as project_pinhole
from .reprojection import MIN_DEPTH_M

IMAGE_SHARE = 1.0  # how far a fully confident joint moves onto its ray (0: the lifter's place)
MOVE_CUTOFF_HZ = 1.0  # a round value; docs/capture.md gives the figures with and without the fit


def onto_rays(points: np.ndarray, xy_px: np.ndarray, width: int, height: int, focal_px: float,
              conf: np.ndarray | None = None, share: float = IMAGE_SHARE) -> np.ndarray:  # fmt: skip
    """(T, J, 3) camera-space joints (x right, y down, z forward, metres; root placed), (T, J, 2) their 2D in pixels
    (principal point at the image centre), the focal length in pixels, ``conf`` (T, J) in 0..1 (None: all 1) →
    (T, J, 3): each joint moved ``share · conf`` of the way to the point of its pixel's ray at the joint's own depth.
    Depth is unchanged; a joint with confidence 0 (or ``share`` 0) stays where it was."""
    points = np.asarray(points, np.float64)
    u = np.asarray(xy_px, np.float64) - np.array([width / 2.0, height / 2.0])
    weight = np.ones(points.shape[:2]) if conf is None else np.clip(np.nan_to_num(np.asarray(conf, np.float64)), 0, 1)
    z = np.maximum(points[..., 2:3], MIN_DEPTH_M)
    on_ray = u * z / focal_px  # (T, J, 2): the ray's x, y at the joint's depth
    out = points.copy()
    out[..., :2] += (share * weight)[..., None] * (on_ray - points[..., :2])
    return out


def project(points: np.ndarray, width: int, height: int, focal_px: float) -> np.ndarray:
    """(..., J, 3) camera-space points → (..., J, 2) pixels through the camera placement assumes:
    ``core.camera.project`` with focal length ``focal_px``, the principal point at the image centre and no
    distortion; depth at least MIN_DEPTH_M, as ``core.world.reprojection`` counts it."""
    points = np.asarray(points, np.float64)
    in_front = np.concatenate([points[..., :2], np.maximum(points[..., 2:3], MIN_DEPTH_M)], axis=-1)
    return project_pinhole(in_front, (focal_px, focal_px), (width / 2.0, height / 2.0))
