"""The camera's own motion in the image: how far the background moved from one frame to the next.

World placement reads a foot that keeps still in the image as planted and a body that crosses the image as walking;
both assume a still camera. A hand-held phone or a drone pans and tilts: the whole scene slides in the image, planted
feet "move", a person standing still "walks". A small pan or tilt of the camera (a rotation of a few degrees) moves
every background point by nearly the same number of pixels, so the per-frame background displacement is the
correction: subtract its running sum from the 2D track (``stabilised``) before reading speeds and the root's image
position (``core.world.place``); the lifter still gets the true 2D.

Measured with OpenCV's pyramidal Lucas-Kanade flow of corner features on a small grey copy of each frame, features on
the person (their box, enlarged) left out, and the median displacement taken (robust to a passer-by). Zooms and a
camera that moves through the scene (a dolly, a walk) are not modelled: their background motion is not one shift.
"""

from __future__ import annotations

import numpy as np

WIDTH = 320  # px: about the grey copy's width (features on a 1280-px frame are not steadier, only slower)
MAX_CORNERS = 80
MIN_TRACKED = 12  # fewer tracked background features: the motion is unknown (a blank wall, a person filling the frame)
REDETECT_BELOW = 40  # followed features left: below this, corners are found anew
BOX_MARGIN = 0.15  # the person's box grows by this fraction of its size on every side before it is masked out


class BackgroundMotion:
    """Frame by frame: ``step(image, person_xy)`` → the background's displacement (dx, dy) in the frame's pixels since
    the previous frame (0, 0 for the first; NaN where it cannot be measured).

    Features are followed from frame to frame and new ones found only when fewer than ``REDETECT_BELOW`` remain
    (finding corners is a third of a step's cost); a followed feature that enters the person's box is dropped.
    """

    def __init__(self) -> None:
        import cv2  # here, not at the top: core.world imports this module's pure functions, also where cv2 is absent

        self._cv2 = cv2
        self._prev: np.ndarray | None = None
        self._prev_box: tuple[int, int, int, int] | None = None
        self._points: np.ndarray | None = None  # (N, 1, 2) float32 features on the previous grey copy
        self._scale = 1.0

    def step(self, image: np.ndarray, person_xy: np.ndarray | None) -> tuple[float, float]:
        """``image`` (H, W, 3) BGR uint8; ``person_xy`` (J, 2) the person's joints in pixels, or None."""
        cv2 = self._cv2
        # The green channel as the grey copy: most of luma, and a third of the conversion's cost per 720p frame
        # (≈ 0.6 vs 0.9 ms with the halvings, approximate, one machine).
        grey = cv2.extractChannel(image, 1)
        while grey.shape[1] > 1.5 * WIDTH:  # Gaussian pyramid halvings: filtered, and cheaper than INTER_AREA
            grey = cv2.pyrDown(grey)
        self._scale = grey.shape[1] / image.shape[1]
        box = self._box(person_xy, grey.shape)
        prev, prev_box, points = self._prev, self._prev_box, self._points
        self._prev, self._prev_box, self._points = grey, box, None
        if prev is None or prev.shape != grey.shape:
            return (0.0, 0.0)
        boxes = [b for b in (prev_box, box) if b is not None]
        if points is not None:
            points = points[_outside(points[:, 0], boxes)]
        if points is None or len(points) < REDETECT_BELOW:
            mask = np.full(grey.shape, 255, np.uint8)
            for b in boxes:
                mask[b[1] : b[3], b[0] : b[2]] = 0
            points = cv2.goodFeaturesToTrack(prev, MAX_CORNERS, 0.01, 6, mask=mask)
        if points is None or len(points) < MIN_TRACKED:
            return (float("nan"), float("nan"))
        moved, status, _ = cv2.calcOpticalFlowPyrLK(prev, grey, points, None, winSize=(11, 11), maxLevel=2)
        ok = status[:, 0] == 1
        if ok.sum() < MIN_TRACKED:
            return (float("nan"), float("nan"))
        self._points = moved[ok]
        shift = np.median((moved[ok] - points[ok])[:, 0], axis=0) / self._scale
        return (float(shift[0]), float(shift[1]))

    def _box(self, xy: np.ndarray | None, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
        """The person's enlarged box on the grey copy (x0, y0, x1, y1), or None without a person."""
        if xy is None or not np.isfinite(xy).all():
            return None
        lo, hi = xy.min(axis=0) * self._scale, xy.max(axis=0) * self._scale
        pad = BOX_MARGIN * (hi - lo) + 4.0
        x0, y0 = np.floor(lo - pad).astype(int)
        x1, y1 = np.ceil(hi + pad).astype(int)
        return (max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1))


def _outside(points: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """(N, 2) points → (N,) bool: outside every (x0, y0, x1, y1) box."""
    keep = np.ones(len(points), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        keep &= ~((points[:, 0] >= x0) & (points[:, 0] < x1) & (points[:, 1] >= y0) & (points[:, 1] < y1))
    return keep


def camera_path(shift: np.ndarray) -> np.ndarray:
    """(T, 2) per-frame background displacements (NaN: unknown, taken as no motion) → (T, 2) their running sum: where
    the background has moved to since the first frame, in pixels."""
    return np.cumsum(np.nan_to_num(np.asarray(shift, np.float64)), axis=0)


def stabilised(xy: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
    """(T, J, 2) pixels → the same points as a still camera would have seen them (the camera's motion removed);
    ``shift`` None: unchanged."""
    if shift is None:
        return xy
    return xy - camera_path(shift)[:, None, :]
