"""2D pose detection: the ``Detector`` protocol, MediaPipe Pose, a scripted fake for tests, and track clean-up.

Pipeline for one clip: ``detect_track`` runs a detector over a frame stream and keeps, per frame, the H36M-17
pixels, the per-joint confidences and whether a person was found. ``clean_track`` then

1. undoes whole-body left/right label swaps (``fix_lr_swaps``): MediaPipe Pose swaps the sides of the whole body in
   back/side views (32 % of the frames of one view of a real 4-camera recording, see
   ../shared/data/mediapipe_2d_noise.md); the lifter would turn such a frame into a body facing the other way;
2. fills missing frames and low-confidence joints by linear interpolation over time, held at the ends
   (``core.gaps.fill_gaps``, the same function the training noise model uses), keeping the ``detected`` mask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .errors import Cancelled, NoPersonError
from .gaps import fill_gaps
from .lazy_modules import import_mediapipe
from .mediapipe_image import mediapipe_rgb
from .others import OtherPeople
from .skeleton import FLIP_PERMUTATION, H36M_LEFT, H36M_RIGHT, MEDIAPIPE_WEIGHTS, NUM_JOINTS, mediapipe_to_h36m
from .video import Frame

Pose2D = tuple[np.ndarray, np.ndarray]  # ((17, 2) pixels, (17,) confidence in [0, 1])


class Detector(Protocol):
    """Finds one person in a frame. Called on consecutive frames of one clip (trackers may use the history)."""

    name: str

    def detect(self, image: np.ndarray, time_s: float) -> Pose2D | None:
        """image: (H, W, 3) uint8 BGR. Returns H36M-17 pixels (17, 2) and confidences (17,), or None (nobody)."""
        ...

    def close(self) -> None:
        """Release native resources."""
        ...

    # A detector that also estimates the body in 3D (MediaPipe's world landmarks) says so with an attribute
    # ``last_world``: (17, 3) metres of the last ``detect`` call, camera axes, or None; ``detect_track`` keeps it.


class MediaPipePoseDetector:
    """MediaPipe Pose (BlazePose full, ``model_complexity=1``) in video/tracking mode.

    Only complexity 1 is offered: its model ships inside the mediapipe 0.10.21 wheel, while 0 (lite) and 2 (heavy)
    are downloaded on first use, which the worker must never do. Landmark ``visibility`` is used as confidence.
    Frames larger than ``max_side`` are downscaled first: BlazePose runs on a 256×256 crop anyway, and resizing once
    is cheaper than MediaPipe's own conversions of a full 4K frame.
    """

    name = "mediapipe_pose_full"
    last_world: np.ndarray | None = None  # (17, 3) m, hip-centred, camera axes: MediaPipe's own 3D of the last frame

    def __init__(
        self,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
        max_side: int = 1280,
    ) -> None:
        mp = import_mediapipe()  # lazy: 0.3 s import, only in the worker after "ready"

        self.max_side = int(max_side)
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def detect(self, image: np.ndarray, time_s: float) -> Pose2D | None:
        height, width = image.shape[:2]
        result = self._pose.process(mediapipe_rgb(image, self.max_side))
        self.last_world = None
        if result.pose_landmarks is None:
            return None
        if result.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float32)
            self.last_world = (MEDIAPIPE_WEIGHTS @ world).astype(np.float32)
        arr = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float32)
        # Landmarks are normalised to the image MediaPipe saw; scale back to the original frame's pixels.
        xy = arr[:, :2] * np.array([width, height], dtype=np.float32)
        return mediapipe_to_h36m(xy, arr[:, 2])

    def close(self) -> None:
        self._pose.close()


TRACK_KEYS = ("xy", "conf", "detected", "frame_indices", "times", "swapped")
_OPTIONAL_KEYS = ("camera_shift", "world", "others")  # Track2D arrays that may be None


class HandsDetector(Protocol):
    """Finds up to two hands in a frame (``core.hands.detect.MediaPipeHandsDetector``); ``pack`` turns one frame's
    result into fixed-size arrays (``core.hands.detect.pack_hands``)."""

    def detect(self, image: np.ndarray) -> list: ...

    def close(self) -> None: ...


@dataclass
class Track2D:
    """A clip's 2D track. All arrays share T (the decoded frames).

    xy: (T, 17, 2) pixels; conf: (T, 17); detected: (T,) bool (a person was found in that frame);
    frame_indices: (T,) int, 0-based clip frame numbers; times: (T,) s presentation times;
    swapped: (T,) bool, frames whose left/right labels ``clean_track`` swapped back.
    camera_shift: (T, 2) px, the background's displacement since the previous frame (``core.camera_motion``; NaN
    where unknown), or None when not measured.
    world: (T, 17, 3) m, the detector's own 3D (MediaPipe's world landmarks: hip-centred, camera axes; NaN where
    nobody was found), or None from a detector without one. Used by ``core.fuse3d``. As detected: ``clean_track``
    does not relabel it on swapped frames, where MediaPipe saw the body facing the other way (fuse3d leaves those
    frames out).
    hands: the raw hands (``core.hands.detect.pack_hands``: arrays ``hand_xy`` (T, 2, 21, 2) px, ``hand_world``
    (T, 2, 21, 3) m, ``hand_score`` (T, 2), in MediaPipe's order, NaN/0 where fewer than two were seen), or None
    when hands were not detected. Not yet attached to a wrist: that needs the cleaned body (``core.hands.track``).
    others: (T,) float32, 1 where another person was seen (``core.others``), 0 where nobody else was, NaN on the
    frames not checked; None when nobody looked.
    """

    xy: np.ndarray
    conf: np.ndarray
    detected: np.ndarray
    frame_indices: np.ndarray
    times: np.ndarray
    swapped: np.ndarray
    hands: dict[str, np.ndarray] | None = None
    camera_shift: np.ndarray | None = None
    world: np.ndarray | None = None
    others: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every per-frame array by name (the hands' too): what a detection helper sends back, what merging joins."""
        out = {k: getattr(self, k) for k in TRACK_KEYS}
        for k in _OPTIONAL_KEYS:
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out | (self.hands or {})

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Track2D:
        hands = {k: v for k, v in arrays.items() if k not in (*TRACK_KEYS, *_OPTIONAL_KEYS)}
        return cls(**{k: arrays[k] for k in TRACK_KEYS}, hands=hands or None,
                   **{k: arrays.get(k) for k in _OPTIONAL_KEYS})  # fmt: skip

    @property
    def detection_rate(self) -> float:
        return float(self.detected.mean()) if len(self.detected) else 0.0


def detect_track(
    frames: Iterable[Frame],
    detector: Detector,
    *,
    on_frame: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    hands: HandsDetector | None = None,
    others: OtherPeople | None = None,
) -> Track2D:
    """Run ``detector`` (and ``hands``, when given) on every frame (streamed: only the small per-frame results are
    kept).

    ``on_frame(n)`` is called after the n-th frame (for progress); ``should_stop()`` is polled per frame and raises
    ``Cancelled``. Undetected frames hold NaN in ``xy`` and 0 in ``conf``. The camera's own motion is measured on
    the same frames (``Track2D.camera_shift``, ``core.camera_motion``), and with ``others`` other people are looked
    for every few seconds (``Track2D.others``, ``core.others``).
    """
    from .camera_motion import BackgroundMotion
    from .hands.detect import pack_hands, stack_hands

    hand_frames: list[dict[str, np.ndarray]] = []
    xy: list[np.ndarray] = []
    conf: list[np.ndarray] = []
    detected: list[bool] = []
    indices: list[int] = []
    times: list[float] = []
    shift: list[tuple[float, float]] = []
    seen_others: list[float] = []
    world: list[np.ndarray] = []
    missing_world = np.full((NUM_JOINTS, 3), np.nan, dtype=np.float32)
    background = BackgroundMotion()
    missing_xy = np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32)
    missing_conf = np.zeros(NUM_JOINTS, dtype=np.float32)
    for frame in frames:
        if should_stop is not None and should_stop():
            raise Cancelled("Capture cancelled during 2D detection.")
        pose = detector.detect(frame.image, frame.time_s)
        if hands is not None:
            hand_frames.append(pack_hands(hands.detect(frame.image)))
        xy.append(missing_xy if pose is None else np.asarray(pose[0], dtype=np.float32))
        conf.append(missing_conf if pose is None else np.asarray(pose[1], dtype=np.float32))
        detected.append(pose is not None)
        own_3d = getattr(detector, "last_world", None) if pose is not None else None
        world.append(missing_world if own_3d is None else np.asarray(own_3d, dtype=np.float32))
        shift.append(background.step(frame.image, None if pose is None else xy[-1]))
        if others is not None:
            seen_others.append(others.check(frame.image, frame.time_s, None if pose is None else xy[-1]))
        indices.append(frame.index)
        times.append(frame.time_s)
        if on_frame is not None:
            on_frame(len(indices))
    T = len(indices)
    return Track2D(
        xy=np.stack(xy) if T else np.zeros((0, NUM_JOINTS, 2), np.float32),
        conf=np.stack(conf) if T else np.zeros((0, NUM_JOINTS), np.float32),
        detected=np.array(detected, dtype=bool),
        frame_indices=np.array(indices, dtype=np.int64),
        times=np.array(times, dtype=np.float64),
        swapped=np.zeros(T, dtype=bool),
        hands=None if hands is None else stack_hands(hand_frames),
        camera_shift=np.array(shift, dtype=np.float32).reshape(T, 2),
        world=np.stack(world) if T and hasattr(detector, "last_world") else None,
        others=None if others is None else np.array(seen_others, dtype=np.float32).reshape(T),
    )


_LR = np.array(H36M_LEFT + H36M_RIGHT)


def fix_lr_swaps(xy: np.ndarray, detected: np.ndarray, max_gap: int = 15) -> np.ndarray:
    """Find frames whose whole-body left/right labels are swapped, by temporal consistency.

    A two-state dynamic programme (Viterbi) over the detected frames: state 1 = "labels swapped". The transition
    cost between consecutive detections is the mean distance of the 12 left/right joints between the two frames
    under their states, in units of body size and divided by the frame gap; a true swap shows up as a jump of about
    a shoulder/hip width that relabelling removes. Relabelling every frame gives the same transition costs, so a tiny
    per-frame cost on state 1 makes the majority labelling win: we assume MediaPipe is right more often than not.
    Detections more than ``max_gap`` frames apart are not linked (each such run picks its own majority).

    Args:
        xy: (T, 17, 2) pixels (NaN where not detected). detected: (T,) bool.
    Returns:
        (T,) bool, true where the labels should be swapped back.
    """
    swapped = np.zeros(len(xy), dtype=bool)
    idx = np.flatnonzero(detected & np.isfinite(xy).all(axis=(1, 2)))
    if idx.size < 2:
        return swapped
    poses = xy[idx][:, _LR].astype(np.float64)  # (N, 12, 2)
    flipped = xy[idx][:, list(FLIP_PERMUTATION)][:, _LR].astype(np.float64)
    scale = float(np.median(np.linalg.norm(poses - poses.mean(axis=1, keepdims=True), axis=-1).mean(axis=1)))
    scale = max(scale, 1e-6)
    states = np.stack([poses, flipped])  # (2, N, 12, 2)
    gaps = np.diff(idx)
    prior = np.array([0.0, 1e-6])
    cost = prior.copy()
    back = np.zeros((idx.size, 2), dtype=np.int64)
    for k in range(1, idx.size):
        # d[a, b]: previous frame in state a, this frame in state b.
        d = np.linalg.norm(states[:, None, k - 1] - states[None, :, k], axis=-1).mean(axis=-1) / scale
        d = d / gaps[k - 1] if gaps[k - 1] <= max_gap else np.zeros((2, 2))
        total = cost[:, None] + d
        back[k] = total.argmin(axis=0)
        cost = total.min(axis=0) + prior
    state = int(cost.argmin())
    for k in range(idx.size - 1, -1, -1):
        swapped[idx[k]] = bool(state)
        state = int(back[k, state])
    return swapped


def clean_track(track: Track2D, min_confidence: float = 0.3, fix_swaps: bool = True) -> Track2D:
    """Undo left/right swaps, then fill undetected frames and joints below ``min_confidence`` over time.

    Raises:
        NoPersonError: nobody was detected in any frame.
    """
    if not track.detected.any():
        raise NoPersonError(
            f"No person was detected in any of the {len(track.detected)} frames. Check that the whole body is "
            "visible and well lit, or choose another frame range."
        )
    xy, conf = track.xy.copy(), track.conf.copy()
    swapped = fix_lr_swaps(xy, track.detected) if fix_swaps else np.zeros(len(xy), dtype=bool)
    xy[swapped] = xy[swapped][:, list(FLIP_PERMUTATION)]
    conf[swapped] = conf[swapped][:, list(FLIP_PERMUTATION)]
    valid = track.detected[:, None] & (conf >= min_confidence)
    if not valid.any():
        valid = track.detected[:, None] & np.ones_like(valid)  # every joint is unsure: keep them rather than fail
    filled = fill_gaps(xy, valid)
    return Track2D(filled.astype(np.float32), conf, track.detected.copy(), track.frame_indices, track.times, swapped,
                   track.hands, track.camera_shift, track.world, track.others)
