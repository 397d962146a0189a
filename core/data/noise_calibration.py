"""Measuring a 2D detector's frame-to-frame jitter, to calibrate the temporal part of ``core.data.noise``.

mediapipe_2d_noise.md gives the size and tail of MediaPipe's error but not how it varies over time. We measure that
on real detections of a slow motion (the shared Pose2Sim balance clips, the same recording as the .md): subtract a
Gaussian-smoothed copy of the track (std ``smooth_frames``), which keeps the fast part of the detector error (and a
little of the real motion, so the figures are upper bounds), then report the residual's RMS per axis in % of the box
height and its autocorrelation at lags 1..3. Running the same estimator on clean-smoothed tracks plus the noise
model shows which ``correlation_frames`` / ``outlier_run_frames`` reproduce the measurement (docs/data.md).
"""

from __future__ import annotations

import numpy as np


def gaussian_smooth(track: np.ndarray, std_frames: float) -> np.ndarray:
    """(T, ...) track smoothed over time with a normalised Gaussian (std in frames), edges held."""
    track = np.asarray(track, dtype=np.float64)
    if std_frames <= 0:
        return track.copy()
    r = max(1, int(np.ceil(3 * std_frames)))
    kernel = np.exp(-0.5 * (np.arange(-r, r + 1) / std_frames) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.repeat(track[:1], r, axis=0), track, np.repeat(track[-1:], r, axis=0)])
    return sum(w * padded[k : k + len(track)] for k, w in enumerate(kernel))


def high_pass_residual_stats(
    pixels: np.ndarray, box_height: float, smooth_frames: float = 3.0, max_lag: int = 3
) -> tuple[float, np.ndarray]:
    """Fast-jitter statistics of a 2D track.

    Args:
        pixels: (T, J, 2) detected pixels, no gaps (T > 2 · 3 · smooth_frames + 10).
        box_height: the person's box height in pixels.
        smooth_frames: std of the Gaussian whose output is taken as the "true" slow track.
        max_lag: number of autocorrelation lags to return.
    Returns:
        (RMS of the residual per axis in % of the box height, (max_lag,) autocorrelation at lags 1..max_lag).
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    edge = int(np.ceil(3 * smooth_frames))
    if pixels.ndim != 3 or pixels.shape[-1] != 2 or pixels.shape[0] <= 2 * edge + 10:
        raise ValueError(f"need a (T, J, 2) track with T > {2 * edge + 10}, got {pixels.shape}")
    if not np.all(np.isfinite(pixels)) or not box_height > 0:
        raise ValueError("pixels must be finite (fill gaps first) and box_height positive")
    residual = (pixels - gaussian_smooth(pixels, smooth_frames)) / box_height * 100.0
    residual = residual[edge:-edge]  # the held edges bias the smooth there
    residual = residual - residual.mean(axis=0)
    energy = np.sum(residual**2)
    autocorr = np.array([np.sum(residual[lag:] * residual[:-lag]) / energy for lag in range(1, max_lag + 1)])
    return float(np.sqrt(np.mean(residual**2))), autocorr
