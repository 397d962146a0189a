"""The image MediaPipe reads: what the pose, hands and other-person detectors hand to ``process``."""

from __future__ import annotations

import numpy as np


def mediapipe_rgb(image: np.ndarray, max_side: int) -> np.ndarray:
    """(H, W, 3) uint8 BGR → read-only RGB for MediaPipe, downscaled (area) so its longest side is at most
    ``max_side``. Landmarks come back normalised, so callers scale them by the original size."""
    import cv2

    height, width = image.shape[:2]
    longest = max(height, width)
    if longest > max_side:
        f = max_side / longest
        image = cv2.resize(image, (round(width * f), round(height * f)), interpolation=cv2.INTER_AREA)
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    return rgb
