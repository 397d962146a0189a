"""The lifter's 3D averaged with MediaPipe's own 3D (its world landmarks), frame by frame where MediaPipe is trusted.

MediaPipe Pose estimates a 3D body of its own from each image (``pose_world_landmarks``: metres, hip-centred, in
the camera's axes) at no extra cost: the landmark model that gives the 2D gives it too. Its errors and the lifter's
come from different evidence (one image's appearance; a second of 2D motion), so their average is better than
either. On the shared Pose2Sim views (``core.eval.real_video``, the real-video table of docs/accuracy.md) the
average with equal weights is the default; that weight is a round prior, not fitted to those views.

MediaPipe's 3D is left out where it is not about the tracked person: frames without a real detection (filled gaps,
rejected phantoms) and frames whose whole-body left/right labels were swapped back (``core.detect.fix_lr_swaps``:
MediaPipe then saw the body facing the other way, in 3D as well). Its weight fades to 0 over ``RAMP_S`` towards
such frames instead of switching, because the two estimates differ by centimetres and a switch would show as a jump.
"""

from __future__ import annotations

import numpy as np

RAMP_S = 0.25  # s over which MediaPipe's weight fades in and out around frames where it is not used
# MediaPipe's 3D comes frame by frame, with independent frame-to-frame jitter (its acceleration error is ≈ 3× the
# lifter's on the shared views); a clip's capture smooths it over time before the average, with a Gaussian of one
# frame of the clip, and at least one frame at the lifter's 50 fps (SMOOTH_S: it keeps ≈ 80 % of a 5 Hz motion).
# One clip frame because the jitter is per frame at any frame rate (20 ms is a third of a frame at 17 fps, and left
# a low-rate clip's pose visibly jittery); the jitter that remains, beside the lifter's alone, is in the shared-clips
# table of docs/capture.md (python -m core.eval.world). Live mode does not smooth: it would add latency.
SMOOTH_S = 0.02


def mediapipe_weights(usable: np.ndarray, times: np.ndarray, weight: float, ramp_s: float = RAMP_S) -> np.ndarray:
    """Per-frame weight of MediaPipe's 3D: ``weight`` where ``usable``, 0 where not, and linear ramps between.

    Args:
        usable: (T,) bool, frames where MediaPipe's 3D belongs to the tracked person.
        times: (T,) s, increasing.
        weight: 0..1, MediaPipe's share away from unusable frames.
    Returns:
        (T,) float64: ``weight · min(1, d / ramp_s)``, d = time to the nearest unusable frame (∞ if none).
    """
    usable = np.asarray(usable, dtype=bool)
    t = np.asarray(times, dtype=np.float64)
    bad = t[~usable]
    if bad.size == 0:
        return np.full(len(t), float(weight))
    i = np.searchsorted(bad, t)
    before = np.abs(t - bad[np.clip(i - 1, 0, bad.size - 1)])
    after = np.abs(bad[np.clip(i, 0, bad.size - 1)] - t)
    distance = np.minimum(before, after)
    return float(weight) * np.clip(distance / max(ramp_s, 1e-9), 0.0, 1.0)


def fuse_clip(lifted: np.ndarray, mediapipe: np.ndarray, usable: np.ndarray, times: np.ndarray,
              share: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """A whole clip, as capture does it: MediaPipe's 3D (T, J, 3) smoothed over time (:func:`smooth_over_time`,
    :func:`smoothing_s`), weighted per frame (:func:`mediapipe_weights` of ``usable`` (T,) at ``times`` (T,) s) and
    averaged with ``lifted`` (T, J, 3) (:func:`fuse`). Returns (the fused poses, the per-frame weights)."""
    weights = mediapipe_weights(usable, times, share)
    return fuse(lifted, smooth_over_time(mediapipe, times, smoothing_s(times)), weights), weights


def smoothing_s(times: np.ndarray) -> float:
    """The Gaussian's σ (s) for MediaPipe's 3D of a clip with frame times ``times`` (T,): one frame of the clip (its
    median interval), at least ``SMOOTH_S``."""
    return max(SMOOTH_S, float(np.median(np.diff(times)))) if len(times) > 1 else SMOOTH_S


def smooth_over_time(x: np.ndarray, times: np.ndarray, sigma_s: float) -> np.ndarray:
    """(T, ...) values (NaN where unknown), (T,) s → smoothed with a Gaussian of ``sigma_s`` in frames of the clip's
    median frame interval (radius 3σ); unknown frames neither count nor are filled (normalised convolution)."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2 or sigma_s <= 0:
        return x
    sigma = sigma_s / max(float(np.median(np.diff(times))), 1e-9)
    radius = int(np.ceil(3 * sigma))
    if radius < 1:
        return x
    known = np.isfinite(x).reshape(len(x), -1).all(axis=1)
    values = np.where(known.reshape((-1,) + (1,) * (x.ndim - 1)), x, 0.0)
    total, norm = np.zeros_like(values), np.zeros(len(x))
    for k in range(-radius, radius + 1):
        w = np.exp(-0.5 * (k / sigma) ** 2)
        lo, hi = max(0, -k), min(len(x), len(x) - k)  # out[i] += w · values[i + k]
        total[lo:hi] += w * values[lo + k : hi + k]
        norm[lo:hi] += w * known[lo + k : hi + k]
    out = total / np.maximum(norm, 1e-12).reshape((-1,) + (1,) * (x.ndim - 1))
    out[~known] = np.nan
    return out


def fuse(lifted: np.ndarray, mediapipe: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(T, J, 3) root-relative lifted poses, (T, J, 3) MediaPipe's (any origin; NaN where unknown), (T,) weights →
    (T, J, 3) root-relative: ``(1 − w) · lifted + w · mediapipe`` with both centred on joint 0 (the pelvis).
    Frames where MediaPipe's pose is not finite keep the lifted pose."""
    lifted = np.asarray(lifted)
    mp = np.asarray(mediapipe, dtype=np.float64)
    mp = mp - mp[:, :1]
    w = np.where(np.isfinite(mp).all(axis=(1, 2)), np.asarray(weights, dtype=np.float64), 0.0)[:, None, None]
    out = (1.0 - w) * (lifted - lifted[:, :1]) + w * np.nan_to_num(mp)
    return out.astype(lifted.dtype)


class LiveFusion:
    """The causal counterpart for live mode, one frame at a time: only the past is known, so MediaPipe's weight
    ramps up over ``ramp_s`` after the last frame without its 3D (and drops to 0 on such a frame)."""

    def __init__(self, share: float, ramp_s: float = RAMP_S) -> None:
        self.share, self.ramp_s = float(share), ramp_s
        self.last_missing: float | None = None  # time of the last frame without MediaPipe's 3D

    def __call__(self, lifted: np.ndarray, mediapipe: np.ndarray | None, time_s: float) -> np.ndarray:
        """(J, 3) root-relative lifted pose, (J, 3) MediaPipe's or None, the frame's time (s) → (J, 3)."""
        if self.share <= 0.0:
            return lifted
        if mediapipe is None or not np.isfinite(mediapipe).all():
            self.last_missing = time_s
            return lifted
        w = self.share
        if self.last_missing is not None:
            w *= min(1.0, max(0.0, (time_s - self.last_missing) / max(self.ramp_s, 1e-9)))
        return fuse(lifted[None], np.asarray(mediapipe)[None], np.array([w]))[0]
