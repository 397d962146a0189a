"""Live lifting at the model's training rate, whatever the camera's (the causal counterpart of core.lift.lift_timed).

The causal lifter learnt motion per step at 50 fps: fed a 30 fps webcam frame by frame, every motion looks 1.7×
faster than anything it saw. :class:`RateAdapter` keeps a 50 fps clock: each camera frame at time t steps the lifter
once per clock tick in (previous tick, t], with the 2D linearly interpolated between the previous frame and this one
(only past and present frames: still causal), and returns the pose of the last tick, at most one tick (20 ms) old.
A camera faster than the model (60 fps) sometimes gets no new tick and keeps the last pose; a stall longer than
``max_gap_s`` (or time going back, as when a file source loops) restarts the clock at the new frame instead of
replaying the gap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class RateAdapter:
    """Wraps ``step`` ((J, 2) normalised 2D of one model-rate frame → (J, 3)) for frames at any rate."""

    def __init__(self, step: Callable[[np.ndarray], np.ndarray], model_fps: float = 50.0, max_gap_s: float = 0.5):
        if not model_fps > 0 or not max_gap_s > 0:
            raise ValueError("RateAdapter needs model_fps > 0 and max_gap_s > 0")
        self.step, self.period, self.max_gap_s = step, 1.0 / model_fps, max_gap_s
        self.last_t: float | None = None
        self.last_xy: np.ndarray | None = None
        self.tick = 0.0  # time of the last model-rate step
        self.out: np.ndarray | None = None
        self.steps = 0  # model steps so far (for tests and diagnostics)

    def push(self, xy: np.ndarray, t_s: float) -> np.ndarray:
        """This frame's 2D (J, 2) at time ``t_s`` (seconds, increasing) → the 3D of the latest model-rate tick."""
        if self.last_t is None or self.out is None or not 0 < t_s - self.last_t <= self.max_gap_s:
            self.tick = t_s  # first frame, a stall, or time going back (a looped file): restart the clock here
            self._step(xy)
        else:
            ticks = self.tick + self.period * np.arange(1, int(np.floor((t_s - self.tick) / self.period + 1e-9)) + 1)
            for tick in ticks:
                w = (tick - self.last_t) / (t_s - self.last_t)
                self._step((1.0 - w) * self.last_xy + w * xy)
            if len(ticks):
                self.tick = float(ticks[-1])
        self.last_t, self.last_xy = t_s, np.asarray(xy, dtype=np.float32).copy()
        return self.out

    def _step(self, xy: np.ndarray) -> None:
        self.out = self.step(np.asarray(xy, dtype=np.float32))
        self.steps += 1
