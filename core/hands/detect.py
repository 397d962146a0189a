"""Both hands per frame from MediaPipe Hands (bundled in mediapipe 0.10.21: palm detection + hand landmarks, full
model), each attached to the body's wrist it belongs to.

MediaPipe labels a hand "Left"/"Right" assuming a mirrored (selfie) image and flips labels on fast turns; a hand put
on the wrong arm is the worst error a capture can show. So the body decides: each detected hand is assigned to the
body wrist (from the pose track, in pixels) its own wrist landmark is nearest to, the pair of hands by the cheaper of
the two assignments; a hand farther than ``MAX_WRIST_GAP`` hand sizes from any body wrist is not attached at all.
MediaPipe's label is kept only to count disagreements.

Detection runs beside the pose detector, frame by frame, in the same processes (``core.detect.detect_track``,
``core.parallel_detect``); each frame's hands are kept as fixed-size arrays (:func:`pack_hands`) and attached to the
wrists once the body track is clean (``core.hands.track``). Cost: ``bench/capture_speed.py`` (hands line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_WRIST_GAP = 1.0  # in hand sizes (wrist → middle-finger knuckle): a hand this far from the body wrist is not its
MAX_HANDS = 2
HAND_KEYS = ("hand_xy", "hand_world", "hand_score")


@dataclass(frozen=True)
class HandObservation:
    """One detected hand: ``xy`` (21, 2) pixels, ``world`` (21, 3) metres (MediaPipe's metric hand landmarks,
    origin near the hand's centre), ``score`` the detector's handedness confidence, ``label`` its "Left"/"Right"."""

    xy: np.ndarray
    world: np.ndarray
    score: float
    label: str

    @property
    def size_px(self) -> float:
        """Wrist → middle-finger knuckle, pixels."""
        return float(np.linalg.norm(self.xy[9] - self.xy[0]))


def pack_hands(hands: list[HandObservation]) -> dict[str, np.ndarray]:
    """One frame's hands → ``hand_xy`` (2, 21, 2), ``hand_world`` (2, 21, 3), ``hand_score`` (2,): MediaPipe's order,
    NaN coordinates and score 0 in an empty slot. Labels are dropped: the body decides the side."""
    xy = np.full((MAX_HANDS, 21, 2), np.nan, np.float32)
    world = np.full((MAX_HANDS, 21, 3), np.nan, np.float32)
    score = np.zeros(MAX_HANDS, np.float32)
    for k, hand in enumerate(hands[:MAX_HANDS]):
        xy[k], world[k], score[k] = hand.xy, hand.world, hand.score
    return {"hand_xy": xy, "hand_world": world, "hand_score": score}


def stack_hands(frames: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-frame :func:`pack_hands` results → (T, ...) arrays (T = 0 gives empty arrays of the right shape)."""
    empty = pack_hands([])
    return {k: np.stack([f[k] for f in frames]) if frames else empty[k][:0] for k in HAND_KEYS}


def unpack_hands(arrays: dict[str, np.ndarray], t: int) -> list[HandObservation]:
    """The hands of frame ``t`` of stacked arrays, back as observations (empty slots skipped)."""
    return [HandObservation(arrays["hand_xy"][t, k], arrays["hand_world"][t, k], float(arrays["hand_score"][t, k]), "")
            for k in range(MAX_HANDS) if np.isfinite(arrays["hand_xy"][t, k]).all()]  # fmt: skip


def assign_to_wrists(hands: list[HandObservation], wrists_px: np.ndarray) -> tuple[HandObservation | None, ...]:
    """Hands → (left, right) by the body's wrists ``wrists_px`` (2, 2) [left, right] pixels (module docstring)."""
    if not hands:
        return (None, None)
    gap = np.array([[np.linalg.norm(h.xy[0] - w) / max(h.size_px, 1.0) for w in wrists_px] for h in hands])
    best: tuple[float, tuple[int | None, int | None]] = (np.inf, (None, None))
    for left in [None, *range(len(hands))]:
        for right in [None, *range(len(hands))]:
            if left is not None and left == right:
                continue
            pairs = [(left, 0), (right, 1)]
            if any(h is not None and gap[h, side] > MAX_WRIST_GAP for h, side in pairs):
                continue
            attached = sum(h is not None for h, _ in pairs)
            cost = sum(gap[h, side] for h, side in pairs if h is not None)
            key = (-attached, cost)  # attach as many hands as allowed, then the closest way
            if key < (-sum(i is not None for i in best[1]), best[0]):
                best = (cost, (left, right))
    return tuple(None if i is None else hands[i] for i in best[1])


class MediaPipeHandsDetector:
    """MediaPipe Hands in video mode (tracking between frames), up to two hands. Frames larger than ``max_side`` are
    downscaled first (a 4K frame only costs conversions). Not as far as the pose's 1280: hands are small, and on the
    bundled 1088×1920 clip a 1280 frame found the left hand later than the full one (test_hand_detection failed)."""

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5,
                 max_side: int = 1920) -> None:  # fmt: skip
        from ..lazy_modules import import_mediapipe

        mp = import_mediapipe()
        self.max_side = int(max_side)
        self._hands = mp.solutions.hands.Hands(
            static_image_mode=False, max_num_hands=2, model_complexity=model_complexity,
            min_detection_confidence=min_detection_confidence, min_tracking_confidence=0.5,
        )  # fmt: skip

    def detect(self, image: np.ndarray) -> list[HandObservation]:
        """(H, W, 3) uint8 BGR (as decoded, like core.detect's pose detector) → the hands seen (possibly none)."""
        from ..mediapipe_image import mediapipe_rgb

        height, width = image.shape[:2]
        result: Any = self._hands.process(mediapipe_rgb(image, self.max_side))
        if not result.multi_hand_landmarks:
            return []
        out = []
        for marks, world, side in zip(result.multi_hand_landmarks, result.multi_hand_world_landmarks,
                                      result.multi_handedness, strict=True):  # fmt: skip
            xy = np.array([[p.x * width, p.y * height] for p in marks.landmark], dtype=np.float32)
            xyz = np.array([[p.x, p.y, p.z] for p in world.landmark], dtype=np.float32)
            label = side.classification[0]
            out.append(HandObservation(xy, xyz, float(label.score), str(label.label)))
        return out

    def close(self) -> None:
        self._hands.close()
