"""A live session driven from the add-on (no bpy): start a worker, send ``live``, follow its messages (docs/live.md).

``step()`` applies only the **newest** pose of everything received since the last call (older ones are stale for
display) and records every pose while Record is on. Tests drive it with a fake client, without an event loop.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..live.take import Take
from .client import WorkerClient
from .runners import WorkerJob

TERMINAL = ("stopped", "failed")


@dataclass
class LiveRequest:
    """camera: index, or None for a video file; video: stand-in video path; options: the ``live`` options."""

    camera: int | None = None
    video: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.camera is None) == (not self.video):
            raise ValueError("choose either a camera or a video file for live mode")
        if self.camera is not None and self.camera < 0:
            raise ValueError(f"the camera index must be 0 or more, got {self.camera}")

    def command(self, job_id: str) -> dict[str, Any]:
        source = {"camera": self.camera} if self.camera is not None else {"video": self.video}
        return {"cmd": "live", "id": job_id, **source, "options": self.options}


class LiveRunner(WorkerJob):
    """Drives one live session through a worker. States: starting (worker launched) → opening (``live`` sent) →
    running → stopping → stopped | failed. Everything happens inside ``step()``; nothing blocks."""

    def __init__(
        self, start_worker: Callable[[], WorkerClient], request: LiveRequest, *,
        apply_pose: Callable[[np.ndarray], None] | None = None, ready_timeout: float = 300.0,
        stop_grace: float = 3.0, clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._start_worker, self.request, self.apply_pose = start_worker, request, apply_pose
        self.job_id = uuid.uuid4().hex[:12]
        self.ready_timeout, self.stop_grace, self._clock = ready_timeout, stop_grace, clock
        self.state = "starting"
        self.source_fps, self.image_size, self.source = 0.0, (0, 0), ""
        self.fps = self.latency_ms = 0.0
        self.frame, self.received, self.applied, self.dropped, self.detected = -1, 0, 0, 0, False
        self.hands: dict[str, np.ndarray] | None = None  # the newest pose's hands (live hands on), for apply_pose
        self.hands_ms = 0.0  # what detecting them cost on that frame
        self.error_kind = self.error = self.error_log = ""
        self.recording = False
        self.takes: list[Take] = []  # finished takes, waiting to be baked (pop_takes)
        self._take: Take | None = None
        self._worker: WorkerClient | None = None
        self._t_start = clock()
        self._stop_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    @property
    def recorded(self) -> int:
        return len(self._take) if self._take is not None else 0

    def step(self) -> str:
        """Handle every message received since the last call, apply the newest pose once; returns the state."""
        if self.finished:
            return self.state
        if not self._ensure_worker():
            return self.state
        newest = None
        for message in self._worker.poll():  # type: ignore[union-attr]
            pose = self._handle(message)
            newest = pose if pose is not None else newest
            if self.finished:
                break
        if newest is not None and self.apply_pose is not None:
            self.apply_pose(newest)
            self.applied += 1
        if self.finished:
            return self.state
        now = self._clock()
        if self._stop_at is not None and now - self._stop_at > self.stop_grace:
            return self._end("stopped")  # no confirmation in time: shutdown() ends the worker anyway
        return self._watch_worker(now) or self.state

    def start_recording(self) -> bool:
        """Start a new take (only while poses flow)."""
        if self.state != "running" or self.recording:
            return False
        self._take, self.recording = Take(self.source_fps), True
        return True

    def stop_recording(self) -> Take | None:
        """End the take; a non-empty one is queued in ``takes`` and returned."""
        take, self._take, self.recording = self._take, None, False
        if take is None or not len(take):
            return None
        self.takes.append(take)
        return take

    def pop_takes(self) -> list[Take]:
        takes, self.takes = self.takes, []
        return takes

    def stop(self) -> None:
        """Ask the worker to stop; "stopped" follows its ``live_stopped`` (or ``stop_grace`` s)."""
        if self.finished or self._stop_at is not None:
            return
        self._stop_at = self._clock()
        if self._worker is None or self.state == "starting":
            self._end("stopped")
            return
        self.state = "stopping"
        self._send({"cmd": "stop", "id": self.job_id})

    def abort(self) -> None:
        if not self.finished:
            self._end("stopped")

    def _handle(self, message: dict[str, Any]) -> np.ndarray | None:
        kind = message.get("type")
        if message.get("id") not in (None, self.job_id):
            return None
        if kind == "ready" and self.state == "starting":
            self.state = "opening"
            self._send(self.request.command(self.job_id))
        elif kind == "live_started":
            self.state = "running" if self.state == "opening" else self.state
            self.source_fps = float(message.get("fps") or 30.0)
            self.image_size = tuple(message.get("image_size") or (0, 0))  # type: ignore[assignment]
            self.source = str(message.get("source", ""))
        elif kind == "pose":
            joints = np.asarray(message.get("joints_3d_world"), dtype=np.float64)
            if joints.shape != (17, 3) or not np.isfinite(joints).all():
                return None
            self.frame, self.received = int(message.get("frame", self.frame + 1)), self.received + 1
            self.fps, self.latency_ms = float(message.get("fps", 0.0)), float(message.get("latency_ms", 0.0))
            self.detected = bool(message.get("detected", True))
            self.hands = _hands(message.get("hands"))
            self.hands_ms = float(message.get("hands_ms", 0.0))
            if self._take is not None:
                self._take.add(self.frame, float(message.get("t", 0.0)), joints, self.hands)
            return joints
        elif kind == "live_stopped":
            self.dropped = int(message.get("dropped", 0))
            self._end("stopped")
        elif kind == "error":
            self._fail(str(message.get("kind", "error")), str(message.get("message", "live mode failed")),
                       str(message.get("log", "")))
        return None

    def _end(self, state: str) -> str:
        self.stop_recording()  # a take in progress is kept, whatever ended the session
        self.state = state
        if self._worker is not None:
            self._worker.shutdown()
        return self.state


def _hands(value: Any) -> dict[str, np.ndarray] | None:
    """A pose message's ``hands`` as arrays (core.live.hands), or None when absent or malformed."""
    if not isinstance(value, dict):
        return None
    try:
        hands = {"angles": np.asarray(value["angles"], np.float64),
                 "rotation": np.asarray(value["rotation"], np.float64), "seen": np.asarray(value["seen"], bool)}
    except (KeyError, TypeError, ValueError):
        return None
    shapes = {"angles": (2, 5, 4), "rotation": (2, 3, 3), "seen": (2,)}
    if any(hands[k].shape != shape for k, shape in shapes.items()) or not np.isfinite(hands["rotation"]).all():
        return None
    return hands
