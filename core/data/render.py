"""Turning world-space joint windows into model samples: stacked cameras, batched projection, normalisation.

The batched forms of ``core.data.virtual_cameras.view`` (one camera per window instead of one Camera object per
call), shared by the training sampler (``core.data.dataset``) and the validation set (``core.data.validation_set``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import Camera, normalize_screen_coordinates, project


def window_offsets(receptive_field: int, causal_shift: int) -> np.ndarray:
    """Frame offsets of a window relative to its target frame: ``-pad - shift .. pad - shift`` (n values).

    Non-causal (shift 0): the target is the centre; causal (shift = pad): the target is the last frame.
    """
    if receptive_field < 1 or receptive_field % 2 == 0:
        raise ValueError(f"receptive_field must be a positive odd number, got {receptive_field}")
    pad = (receptive_field - 1) // 2
    if not 0 <= causal_shift <= pad:
        raise ValueError(f"causal_shift must be in [0, {pad}], got {causal_shift}")
    return np.arange(receptive_field, dtype=np.int64) - pad - causal_shift


@dataclass
class CameraBatch:
    """K pinhole cameras as stacked arrays (the virtual cameras have no lens distortion).

    R (K, 3, 3) world→camera, t (K, 3), focal (K, 2) px, center (K, 2) px, size (K, 2) int (width, height).
    """

    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    center: np.ndarray
    size: np.ndarray

    @classmethod
    def stack(cls, cameras: list[Camera]) -> CameraBatch:
        for cam in cameras:
            if np.any(cam.radial) or np.any(cam.tangential):
                raise ValueError(f"camera {cam.name}: lens distortion is not supported by the batched renderer")
        return cls(
            np.stack([c.R for c in cameras]).astype(np.float32),
            np.stack([c.t for c in cameras]).astype(np.float32),
            np.stack([c.focal for c in cameras]).astype(np.float32),
            np.stack([c.center for c in cameras]).astype(np.float32),
            np.array([(c.width, c.height) for c in cameras], dtype=np.int64),
        )

    def take(self, index: np.ndarray) -> CameraBatch:
        return CameraBatch(self.R[index], self.t[index], self.focal[index], self.center[index], self.size[index])


def render_windows(
    world: np.ndarray, cams: CameraBatch, target_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World windows seen by one camera each (the batched form of ``virtual_cameras.view``).

    Args:
        world: (B, n, J, 3) world positions (metres).
        cams: B cameras.
        target_index: position of the target frame inside the window.
    Returns:
        pixels (B, n, J, 2), camera-space 3D (B, n, J, 3), root-relative target (B, J, 3).
    """
    B, n, J, _ = world.shape
    x_cam = (world.reshape(B, n * J, 3) @ cams.R.transpose(0, 2, 1) + cams.t[:, None, :]).reshape(B, n, J, 3)
    pixels = project(x_cam, cams.focal[:, None, :], cams.center[:, None, :])
    target = x_cam[:, target_index] - x_cam[:, target_index, :1]
    return pixels.astype(np.float32), x_cam.astype(np.float32), target.astype(np.float32)


def normalize_batch(pixels: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """(B, ..., J, 2) pixels with per-sample image sizes (B, 2) (w, h) → normalised coordinates."""
    out = np.empty_like(pixels)
    for w, h in np.unique(sizes, axis=0):
        sel = (sizes[:, 0] == w) & (sizes[:, 1] == h)
        out[sel] = normalize_screen_coordinates(pixels[sel], int(w), int(h))
    return out
