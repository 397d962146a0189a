"""Hands in live mode (issue 14): capture's hand pipeline (core.hands.track) made causal, one frame at a time.

Per frame: MediaPipe Hands on the frame, each hand attached to the body's wrist its own wrist is nearest to
(core.hands.detect), finger angles within the limits, the palm's rotation in Blender world through live mode's
current levelling (``LivePost.up``), kept relative to the forearm. A lost hand holds its last pose for
``MAX_FILL_S`` (capture interpolates such gaps; live mode cannot see the other end), then eases over ``BLEND_S``
into the relaxed hand. Causal One-Euro smoothing at live mode's strength. One template hand shape (a live session
has no clip to measure it from). The cost per frame is reported (``timings_ms.hands``, the panel's figure).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..bake_math import world_rotations
from ..hands.angles import finger_angles, limits
from ..hands.detect import assign_to_wrists
from ..hands.track import (
    ARC_RADIUS_M,
    BLEND_S,
    FOREARMS,
    MAX_FILL_S,
    NEUTRAL_PALM,
    RELAXED,
    WRISTS,
    camera_palms,
    limit_wrist,
)
from ..postprocess import camera_to_blender
from ..rotations import matrix_to_quaternion, quaternion_to_matrix
from ..world.ground import CAMERA_UP, rotation_between
from .post import OneEuroStream

_RELAXED = np.radians(RELAXED.ravel()) * ARC_RADIUS_M


class _Side:
    """One hand's causal state: the last seen angles (arc) and forearm-relative palm quaternion, when, filters."""

    def __init__(self, neutral: np.ndarray, smoothing: float) -> None:
        self.neutral = neutral
        self.angles, self.quat = _RELAXED.copy(), neutral.copy()
        self.seen_at: float | None = None
        self.filters = (OneEuroStream(smoothing), OneEuroStream(smoothing))

    def update(self, angles: np.ndarray | None, quat: np.ndarray | None, t: float) -> tuple[np.ndarray, np.ndarray]:
        if angles is not None and quat is not None:
            self.angles, self.quat = angles, (quat if quat @ self.quat >= 0 else -quat)
            self.seen_at = t
            target_a, target_q = self.angles, self.quat
        else:
            lost = np.inf if self.seen_at is None else t - self.seen_at
            w = float(np.clip((lost - MAX_FILL_S) / BLEND_S, 0.0, 1.0))
            neutral = self.neutral if self.neutral @ self.quat >= 0 else -self.neutral
            target_a, target_q = (1 - w) * self.angles + w * _RELAXED, (1 - w) * self.quat + w * neutral
        smooth_a = self.filters[0](target_a, t)
        smooth_q = self.filters[1](target_q * ARC_RADIUS_M, t) / ARC_RADIUS_M
        return smooth_a, smooth_q / np.linalg.norm(smooth_q)


class LiveHands:
    """``__call__(image, body_xy, world, up_camera, t)`` → {"angles": (2, 5, 4) degrees, "rotation": (2, 3, 3) palm
    rotations (Blender world ← palm model), "seen": (2,) bool}, axis 0 left, right. ``detector``: a hands detector
    (core.hands.detect interface); None builds MediaPipe Hands."""

    def __init__(self, smoothing: float, detector: Any | None = None, max_side: int = 1280) -> None:
        if detector is None:
            from ..hands.detect import MediaPipeHandsDetector

            detector = MediaPipeHandsDetector(max_side=max_side)
        self.detector = detector
        self.sides = [_Side(NEUTRAL_PALM[k], smoothing) for k in range(2)]

    def __call__(self, image: np.ndarray, body_xy: np.ndarray, world: np.ndarray, up_camera: np.ndarray,
                 t: float) -> dict[str, np.ndarray]:  # fmt: skip
        attached = assign_to_wrists(self.detector.detect(image), np.asarray(body_xy)[list(WRISTS)])
        forearms = world_rotations(np.asarray(world, dtype=np.float64)[None])[0, FOREARMS]
        to_world = camera_to_blender(np.eye(3)).T @ rotation_between(up_camera, CAMERA_UP)
        out = {"angles": np.zeros((2, 5, 4)), "rotation": np.zeros((2, 3, 3)), "seen": np.zeros(2, bool)}
        for s, hand in enumerate(attached):
            angles = quat = None
            if hand is not None:
                marks = np.asarray(hand.world, dtype=np.float64)[None]
                angles = np.radians(limits(finger_angles(marks, mirror=s == 0))[0].ravel()) * ARC_RADIUS_M
                quat = matrix_to_quaternion(limit_wrist(forearms[s].T @ to_world @ camera_palms(marks, s)[0]))
            a, q = self.sides[s].update(angles, quat, t)
            out["angles"][s] = limits(np.degrees(a / ARC_RADIUS_M).reshape(5, 4))
            out["rotation"][s] = forearms[s] @ quaternion_to_matrix(q)
            out["seen"][s] = hand is not None
        return out

    def close(self) -> None:
        self.detector.close()
