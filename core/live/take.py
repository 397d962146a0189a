"""A recorded live take: the poses received while Record was on, put back on the camera's frame grid for the bake.

Live mode drops frames when the pipeline is slower than the camera, and the add-on may skip messages, so a take
holds poses for *some* camera frames. Baking them one key per received pose would play the take too fast; instead
every camera frame from the first to the last recorded one gets a key, and the missing ones are interpolated with
``core.gaps.fill_gaps`` (the same linear rule as capture's gap filling). The key rate is the camera's frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..gaps import fill_gaps
from ..hands.rig import TEMPLATE
from ..hands.track import HandMotion
from ..rotations import make_continuous, matrix_to_quaternion, quaternion_to_matrix
from ..skeleton import NUM_JOINTS

# A measured rate further than this from the camera's stated rate replaces it (webcams often state 30 and deliver
# 15 in low light).
FPS_TOLERANCE = 0.05


@dataclass
class Take:
    """Recorded poses. frames: camera frame numbers (strictly increasing); times: seconds; joints: (17, 3) each,
    Blender world. nominal_fps: the rate the source stated (``live_started``)."""

    nominal_fps: float
    frames: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    joints: list[np.ndarray] = field(default_factory=list)
    hands: list[dict[str, np.ndarray] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not np.isfinite(self.nominal_fps) or self.nominal_fps <= 0:
            raise ValueError(f"a take needs the camera's frame rate (> 0), got {self.nominal_fps}")

    def add(self, frame: int, t: float, joints: np.ndarray, hands: dict[str, np.ndarray] | None = None) -> bool:
        """Append one pose (and its hands: ``core.live.hands.LiveHands`` output, when live hands are on); ignored
        (False) when it is not newer than the last one or is malformed."""
        joints = np.asarray(joints, dtype=np.float64)
        if joints.shape != (NUM_JOINTS, 3) or not np.isfinite(joints).all():
            return False
        if self.frames and frame <= self.frames[-1]:
            return False
        self.frames.append(int(frame))
        self.times.append(float(t))
        self.joints.append(joints)
        self.hands.append(hands)
        return True

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def span(self) -> int:
        """Camera frames from the first to the last recorded pose, inclusive (0 when empty)."""
        return self.frames[-1] - self.frames[0] + 1 if self.frames else 0

    @property
    def fps(self) -> float:
        """The key rate: the stated camera rate, unless the recorded timestamps clearly say otherwise."""
        if len(self.frames) >= 2 and self.times[-1] > self.times[0]:
            measured = (self.frames[-1] - self.frames[0]) / (self.times[-1] - self.times[0])
            if abs(measured / self.nominal_fps - 1.0) > FPS_TOLERANCE:
                return float(measured)
        return float(self.nominal_fps)

    def on_frame_grid(self) -> np.ndarray:
        """(span, 17, 3): one pose per camera frame first..last, dropped frames linearly interpolated."""
        if not self.frames:
            raise ValueError("the take is empty: nothing was recorded")
        rows = np.asarray(self.frames) - self.frames[0]
        values = np.zeros((self.span, NUM_JOINTS, 3))
        valid = np.zeros((self.span, NUM_JOINTS), dtype=bool)
        values[rows] = np.stack(self.joints)
        valid[rows] = True
        return fill_gaps(values, valid)


    def hand_motion(self) -> HandMotion | None:
        """The take's hands on the same frame grid as ``on_frame_grid`` (angles and palm quaternions linearly
        interpolated over frames without them), or None when no pose carried hands."""
        if not any(h is not None for h in self.hands):
            return None
        rows = np.asarray(self.frames) - self.frames[0]
        have = np.array([h is not None for h in self.hands])
        angles = np.zeros((self.span, 2, 20))
        quats = np.zeros((self.span, 2, 4))
        seen = np.zeros((self.span, 2), bool)
        valid = np.zeros((self.span, 2), bool)
        for row, hands in zip(rows[have], (h for h in self.hands if h is not None), strict=True):
            angles[row] = np.asarray(hands["angles"], dtype=np.float64).reshape(2, 20)
            quats[row] = matrix_to_quaternion(np.asarray(hands["rotation"], dtype=np.float64))
            seen[row], valid[row] = np.asarray(hands["seen"], bool), True
        for s in range(2):
            quats[valid[:, s], s] = make_continuous(quats[valid[:, s], s])
        angles = fill_gaps(angles, valid)
        quats = fill_gaps(quats, valid)
        quats /= np.linalg.norm(quats, axis=-1, keepdims=True)
        return HandMotion(angles.reshape(self.span, 2, 5, 4), quaternion_to_matrix(quats), seen, seen, TEMPLATE)
