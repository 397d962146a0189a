"""Causal per-frame post-processing for live mode: the steps of ``core.postprocess.to_world``, one frame at a time.

Capture sees the whole clip; live mode sees only the past, so every clip-wide statistic of ``to_world`` becomes a
trailing one here, computed with the *same* functions on a bounded history (constant work per frame):

* scale (``estimate_stature``) and level (``level_rotation``): medians over the last ``window_s`` seconds, so they
  settle within the first seconds and then follow slow changes only;
* root trajectory (``root_trajectory``): its running median of the body's pixel scale, evaluated for the newest
  frame, uses only past frames (the window's future half is edge padding at the newest frame);
* depth and joint smoothing: the forward (causal) One-Euro pass of ``core.smoothing``, streamed by ``OneEuroStream``;
* floor: the trailing percentile + moving average of ``floor_offsets(causal=True)``, streamed.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..postprocess import (
    ANKLE_FRACTION,
    camera_to_blender,
    estimate_stature,
    focal_from_fov,
    level_rotation,
    root_trajectory,
)
from ..skeleton import JOINT_INDEX
from ..smoothing import params_for_strength, smoothing_alpha

_J = JOINT_INDEX
# Frames root_trajectory's running median (window 9) needs for an exact newest value: the newest and 4 before it.
_ROOT_FRAMES = 9
FLOOR_PERCENTILE = 25.0  # as floor_offsets


class OneEuroStream:
    """The causal 1€ filter of ``core.smoothing.one_euro`` (Casiez et al. 2012, Eq. 1–4), one sample at a time.

    ``__call__(x (..., C), t)`` returns the filtered sample; the speed is the norm over the last axis. Strength 0 is
    the identity. A non-increasing timestamp reuses the previous time step (the batch filter uses the clip's median
    step, which a stream does not know yet).
    """

    def __init__(self, strength: float) -> None:
        self.params = params_for_strength(strength)
        self._prev: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0
        self._dt = 1.0 / 30.0

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.params is None:
            return x.copy()
        if self._prev is None:
            self._prev, self._dx, self._t = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        dt = float(t) - self._t
        dt = dt if dt > 0 else self._dt
        self._t, self._dt = float(t), dt
        p = self.params
        a_d = smoothing_alpha(p.d_cutoff, dt)
        self._dx = a_d * (x - self._prev) / dt + (1.0 - a_d) * self._dx
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True) if x.ndim > 0 else np.abs(self._dx)
        a = smoothing_alpha(p.min_cutoff + p.beta * speed, dt)
        self._prev = a * x + (1.0 - a) * self._prev
        return self._prev.copy()


class TrailingFloor:
    """``floor_offsets(sole_z, fps, causal=True, window_s, pct)`` streamed: feed one sole height, get that frame's
    floor. Window of w = round(window_s · fps) frames for the percentile, then for the moving average."""

    def __init__(self, fps: float, window_s: float = 2.0, pct: float = FLOOR_PERCENTILE) -> None:
        w = max(1, int(round(window_s * fps)))
        self.pct = pct
        self._soles: deque[float] = deque(maxlen=w)
        self._floors: deque[float] = deque(maxlen=w)

    def __call__(self, sole_z: float) -> float:
        self._soles.append(float(sole_z))
        self._floors.append(float(np.percentile(np.fromiter(self._soles, float), self.pct)))
        return float(np.mean(np.fromiter(self._floors, float)))


class LivePost:
    """Root-relative camera-space lifter output → Blender world joints, one frame at a time (see module doc).

    Args:
        width, height: image size in pixels. fps: nominal source rate (sets the window lengths in frames).
        subject_height: metres. smoothing: One-Euro strength 0..1 (live default is light: lag is visible live).
        fov_deg: assumed field of view along the long side. root_motion: estimate the root trajectory.
        window_s: seconds of history for scale and level.
    """

    def __init__(
        self, width: int, height: int, fps: float, *, subject_height: float, smoothing: float, fov_deg: float = 60.0,
        root_motion: bool = True, window_s: float = 3.0,
    ) -> None:  # fmt: skip
        self.width, self.height = int(width), int(height)
        self.subject_height = float(subject_height)
        self.focal = focal_from_fov(self.width, self.height, fov_deg)
        self.root_motion = root_motion
        n = max(1, int(round(window_s * fps)))
        self._rel = np.zeros((n, 17, 3))  # ring buffer: medians do not care about order
        self._count = 0
        self._recent_rel: deque[np.ndarray] = deque(maxlen=_ROOT_FRAMES)
        self._recent_xy: deque[np.ndarray] = deque(maxlen=_ROOT_FRAMES)
        # Depth from one view is the noisiest quantity: to_world smooths it at least moderately, so do we.
        self._depth = OneEuroStream(max(smoothing, 0.5))
        self._joints = OneEuroStream(smoothing)
        self._floor = TrailingFloor(fps)
        self._origin: np.ndarray | None = None
        self.scale = 1.0

    def __call__(self, joints_cam: np.ndarray, xy_px: np.ndarray, t: float) -> np.ndarray:
        """joints_cam: (17, 3) root-relative camera space (lifter units); xy_px: (17, 2) pixels; t: seconds.
        Returns (17, 3) float64 Blender world joints, metres, Z up, feet on z ≈ 0."""
        self._rel[self._count % len(self._rel)] = joints_cam
        self._count += 1
        history = self._rel[: min(self._count, len(self._rel))]
        self.scale = self.subject_height / max(estimate_stature(history), 1e-6)
        self._recent_rel.append(np.asarray(joints_cam, dtype=np.float64))
        self._recent_xy.append(np.asarray(xy_px, dtype=np.float64))
        rel = joints_cam * self.scale
        if self.root_motion:
            recent = np.stack(self._recent_rel) * self.scale
            root = root_trajectory(recent, np.stack(self._recent_xy), self.width, self.height, self.focal)[-1]
            root[2:] = self._depth(root[2:], t)
        else:
            root = np.zeros(3)
        rot = level_rotation(history)  # scale-free: the trunk direction only
        world = self._joints(camera_to_blender((rel + root) @ rot.T), t)
        if self._origin is None:
            self._origin = world[_J["pelvis"], :2].copy()  # the take starts at the scene origin
        world[:, :2] -= self._origin
        ankle_offset = ANKLE_FRACTION * self.subject_height
        sole = min(world[_J["r_ankle"], 2], world[_J["l_ankle"], 2]) - ankle_offset
        world[:, 2] -= self._floor(sole)
        lowest = min(world[_J["r_ankle"], 2], world[_J["l_ankle"], 2]) - ankle_offset
        world[:, 2] -= min(lowest, 0.0)  # no sinking below the floor
        return world
