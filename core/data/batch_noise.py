"""Detector-like 2D noise for a batch of training windows (``core.data.noise`` applied in a few long calls)."""

from __future__ import annotations

import numpy as np

from ..gaps import fill_gaps
from .noise import NoiseConfig, apply_detector_noise, person_box_height


class BatchNoise:
    """``core.data.noise.apply_detector_noise`` for a batch of windows, in a few long calls instead of B short ones.

    The noise model works on one track (its lag, label flips, gaps and temporal correlation need the time axis) and
    costs ~1 ms per call, as much as a training step's model work for a whole batch if called per window. So the
    windows are concatenated into ``tracks_per_batch`` long tracks, each window preceded by a copy of its first frame
    (a guard: the detector lag then interpolates into the window's own first frame, never into its neighbour), and
    split again. The one place where windows would leak into each other is a detection gap touching a window's edge,
    which the noise model fills by interpolating towards the neighbouring window: such gaps are re-filled inside the
    window by holding its first/last observation (``core.gaps.fill_gaps`` rule 2), and the rare joint never observed
    in a window is re-filled with ``fill_gaps`` itself. Per-sequence draws (lag, flip-prone view, scale) are shared
    by the windows of one track.
    """

    def __init__(self, config: NoiseConfig | None = None, tracks_per_batch: int = 16) -> None:
        self.config = config or NoiseConfig()
        self.tracks_per_batch = tracks_per_batch

    def apply(self, pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(B, T, J, 2) clean pixels → (B, T, J, 2) noisy, gap-filled pixels (float32)."""
        B, T, J, _ = pixels.shape
        out = np.empty_like(pixels)
        for chunk in np.array_split(np.arange(B), min(B, self.tracks_per_batch)):
            track = np.concatenate([pixels[chunk, :1], pixels[chunk]], axis=1).reshape(-1, J, 2)
            noisy = apply_detector_noise(track, np.maximum(person_box_height(track), 1.0), rng, self.config)
            px = noisy.pixels.reshape(len(chunk), T + 1, J, 2)[:, 1:]
            valid = noisy.valid.reshape(len(chunk), T + 1, J)[:, 1:]
            out[chunk] = hold_window_edges(px, valid)
        return out


def hold_window_edges(px: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(b, T, J, 2) filled tracks + (b, T, J) observed mask → entries before a joint's first / after its last
    observation in each window hold that observation; joints never observed in a window go through fill_gaps."""
    T = px.shape[1]
    first = valid.argmax(axis=1)  # (b, J)
    last = T - 1 - valid[:, ::-1].argmax(axis=1)
    t = np.clip(np.arange(T)[None, :, None], first[:, None, :], last[:, None, :])  # (b, T, J)
    out = np.take_along_axis(px, t[..., None], axis=1)
    for b in np.flatnonzero(~valid.any(axis=1).all(axis=1)):
        if valid[b].any():
            out[b] = fill_gaps(np.where(valid[b][..., None], px[b], np.nan), valid[b])
    return out
