"""Other people in the frame: MediaPipe Pose follows one person, so a second one is looked for separately.

Every ``EVERY_S`` seconds of a clip, the frame is shown to MediaPipe Pose in static mode (its person detector runs
afresh, no tracking) with the tracked person painted out: the box of their 17 joints, widened (the head joint is
the eyes and ears: the skull and hair reach above it; hands, feet and clothes beyond the wrists and ankles). Whoever
MediaPipe still finds, credibly (``core.presence``'s rule: mean confidence and size), is another person. It costs
one static pose run per check; the capture timings of docs/performance.md include it.

What this cannot see: someone hidden behind the tracked person, or inside the painted box; MediaPipe's detector
returns one person per image, so a third person is not counted separately.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EVERY_S = 2.0
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = 0.20, 0.30, 0.10  # of the joints' box height
PAINT = 128  # mid-grey: nothing a person detector answers to


def painted_out(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """(H, W, 3) image, (17, 2) the tracked person's joints in pixels → a copy with their widened box painted grey
    (MARGIN_* of the joints' box height beyond it on each side)."""
    out = image.copy()
    pts = np.asarray(xy, dtype=np.float64)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return out
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    size = max(y1 - y0, x1 - x0, 1.0)
    h, w = image.shape[:2]
    left, right = max(0, math.floor(x0 - MARGIN_SIDE * size)), min(w, math.ceil(x1 + MARGIN_SIDE * size))
    top, bottom = max(0, math.floor(y0 - MARGIN_TOP * size)), min(h, math.ceil(y1 + MARGIN_BOTTOM * size))
    out[top:bottom, left:right] = PAINT
    return out


class OtherPeople:
    """``check(image, time_s, xy)`` per frame → NaN (not a check frame, or nobody tracked), 1.0 (another person is
    visible) or 0.0 (nobody else). One check per ``every_s`` seconds of clip time (the first frame of each such slot
    with a tracked person), so that the processes detecting parts of a clip check on one grid."""

    def __init__(self, every_s: float = EVERY_S, max_side: int = 1280) -> None:
        self.every_s, self.max_side = float(every_s), int(max_side)
        self._checked_slot: int | None = None
        self._pose: Any = None

    def check(self, image: np.ndarray, time_s: float, xy: np.ndarray | None) -> float:
        slot = math.floor(time_s / self.every_s)
        if xy is None or slot == self._checked_slot:
            return math.nan
        self._checked_slot = slot
        return 1.0 if self._someone_else(painted_out(image, xy)) else 0.0

    def _someone_else(self, image: np.ndarray) -> bool:
        from .lazy_modules import import_mediapipe
        from .mediapipe_image import mediapipe_rgb
        from .presence import MIN_BOX_FRACTION, MIN_MEAN_CONFIDENCE
        from .skeleton import mediapipe_to_h36m

        if self._pose is None:  # lazy: a clip of one check frame or none pays nothing
            pose = import_mediapipe().solutions.pose
            self._pose = pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False,
                                   min_detection_confidence=0.5)  # fmt: skip
        result = self._pose.process(mediapipe_rgb(image, self.max_side))
        if result.pose_landmarks is None:
            return False
        arr = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float32)
        xy, conf = mediapipe_to_h36m(arr[:, :2], arr[:, 2])  # as the tracked person's joints are judged
        height = float(np.ptp(xy[:, 1]))  # y is normalised to the image height
        return bool(conf.mean() >= MIN_MEAN_CONFIDENCE and height >= MIN_BOX_FRACTION)

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None
