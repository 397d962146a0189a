"""Upright input for the lifter: the 2D turned about the image centre until the body's image axis points up, lifted,
and the 3D turned back about the camera's optical axis.

A turn of the image about its centre is exactly a turn of the camera about its optical axis (the principal point at
the image centre, as capture assumes everywhere): projecting ``R_z(phi) X`` gives the projection of ``X`` turned by
``phi``. So lifting the 2D turned by ``-phi`` and turning the 3D by ``+phi`` is a consistent answer for any ``phi``.
The lifter itself is not equivariant to it: it learnt on bodies that are mostly upright in the image (camera roll
within ±20°, leans within ±15°), and a clip whose body axis leans in the image — a rolled camera, a leaning person,
perspective from above — is lifted better after the turn (``python -m core.eval`` with ``--upright on`` and ``off``
measures it; docs/accuracy.md). One angle per clip, the median over its frames, so the motion itself is untouched.
Live mode (:class:`LiveUpright`) takes the median over the last ``LIVE_WINDOW_S`` seconds instead: causal, and slow
enough that a window of the streaming lifter sees one angle, give or take a degree.

The body axis is the sum of the unit trunk (mid-hips → mid-shoulders) and unit legs (mid-ankles → mid-hips)
directions, the 2D counterpart of ``core.world.ground.body_axis``: bending at the hips moves the trunk, not the legs.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .skeleton import JOINT_INDEX

_J = JOINT_INDEX
LIVE_WINDOW_S = 2.0


def body_roll(xy: np.ndarray) -> float:
    """(T, 17, 2) image points (pixels or normalised: any uniform scale and shift) → the angle (radians) of the body's
    image axis from the image's up direction (-y), positive towards +x; the median over the frames, 0 without frames.
    """
    xy = np.asarray(xy, dtype=np.float64)
    return float(np.median(frame_rolls(xy))) if len(xy) else 0.0


def frame_rolls(xy: np.ndarray) -> np.ndarray:
    """(T, 17, 2) image points → (T,) each frame's body-axis angle (radians, as :func:`body_roll`)."""

    def mid(a: str, b: str) -> np.ndarray:
        return 0.5 * (xy[:, _J[a]] + xy[:, _J[b]])

    hips = mid("l_hip", "r_hip")
    axis = _unit(mid("l_shoulder", "r_shoulder") - hips) + _unit(hips - mid("l_ankle", "r_ankle"))
    return np.arctan2(axis[:, 0], -axis[:, 1])


class LiveUpright:
    """The causal :func:`body_roll`: ``update(xy, t_s)`` with each frame's (17, 2) points → the median angle of the
    frames of the last ``window_s`` seconds (this one included)."""

    def __init__(self, window_s: float = LIVE_WINDOW_S) -> None:
        self.window_s = window_s
        self._frames: deque[tuple[float, float]] = deque()  # (time, angle)

    def update(self, xy: np.ndarray, t_s: float) -> float:
        while self._frames and (t_s - self._frames[0][0] >= self.window_s or t_s < self._frames[-1][0]):
            self._frames.popleft()  # too old, or time went back (a looped file): start again
        self._frames.append((t_s, float(frame_rolls(np.asarray(xy, dtype=np.float64)[None])[0])))
        return float(np.median([a for _, a in self._frames]))


def turn_2d(xy: np.ndarray, angle: float, centre: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """(..., 2) image points turned by ``angle`` (radians, +x towards +y: clockwise on screen) about ``centre``."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]], dtype=np.float64)
    origin = np.asarray(centre, dtype=np.float64)
    out = (np.asarray(xy, dtype=np.float64) - origin) @ rot.T + origin
    return out.astype(np.asarray(xy).dtype, copy=False)


def turn_3d(points: np.ndarray, angle: float) -> np.ndarray:
    """(..., 3) camera-space points turned by ``angle`` about the optical axis (z): the 3D turn whose projection is
    :func:`turn_2d` by the same angle about the principal point."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=np.float64)
    return (np.asarray(points, dtype=np.float64) @ rot.T).astype(np.asarray(points).dtype, copy=False)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
