"""Frame sources for live mode: a camera, or a video file played back at its own frame rate as a stand-in camera.

A ``Grabber`` thread reads frames as fast as the source delivers them and keeps **only the newest** in a one-slot
mailbox (``LatestFrame``). The processing loop takes whatever is newest when it is free; a frame it never took is
counted as dropped. There is no queue, so a slow pipeline costs frame rate, never latency: the frame it processes
is at most one source period old.

Camera failures are told apart where OpenCV lets us: ``camera_unavailable`` (the index does not open: no such
camera, or the OS refused access), ``camera_no_frames`` (it opens but delivers nothing: usually busy in another
application), ``camera_lost`` (frames stopped arriving mid-run: unplugged).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import CaptureError
from ..video import probe

# A camera that delivers no frame for this long after opening is treated as busy / not streaming.
FIRST_FRAME_TIMEOUT_S = 5.0
# Consecutive failed reads after frames were flowing before we call the camera lost (a USB hiccup is one or two).
MAX_READ_FAILURES = 10
# Camera drivers often report 0 or nonsense as their frame rate; this is assumed until measured.
FALLBACK_CAMERA_FPS = 30.0


class LiveSourceError(CaptureError):
    """The camera or stand-in video cannot be used. Kinds: ``camera_unavailable``, ``camera_no_frames``,
    ``camera_lost``, ``bad_source``, and the video kinds of ``core.video.probe`` (``video_missing``...)."""

    kind = "camera_unavailable"


@dataclass(frozen=True)
class SourceFrame:
    """One frame: source frame number (cameras: frames read since opening), time in seconds (files: presentation
    time; cameras: read time since the first frame), ``read_at`` (``time.perf_counter()`` when the read returned:
    the start of the latency clock), BGR image (H, W, 3) uint8."""

    index: int
    time_s: float
    read_at: float
    image: np.ndarray


class FrameSource:
    """An opened camera (``int`` index) or video file (``str`` path), with ``fps``, ``width``, ``height``.

    Raises:
        LiveSourceError: the camera cannot be opened / the file is no readable video.
    """

    def __init__(self, source: int | str) -> None:
        if isinstance(source, bool) or not isinstance(source, int | str):
            raise LiveSourceError(f"a live source is a camera index (0, 1, ...) or a video path, got {source!r}",
                                  kind="bad_source")
        self.is_file = isinstance(source, str)
        if self.is_file:
            info = probe(source)  # VideoError with a clear kind for a missing/unreadable/empty file
            self.description = Path(info.path).name
            self.fps, self.width, self.height = info.fps, info.width, info.height
            self._cap = cv2.VideoCapture(info.path, cv2.CAP_FFMPEG)
        else:
            if not 0 <= source < 100:
                raise LiveSourceError(f"camera index must be in 0..99, got {source}", kind="bad_source")
            self.description = f"camera {source}"
            self._cap = cv2.VideoCapture(source)
            if not self._cap.isOpened():
                self._cap.release()
                raise LiveSourceError(
                    f"Camera {source} could not be opened: there is no camera with that index, or the system denied "
                    "access to it. Check that it is plugged in, try index 0, and allow camera access for Blender.",
                    kind="camera_unavailable",
                )
            # A one-frame driver buffer where supported: older buffered frames would only add latency.
            self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            fps = float(self._cap.get(cv2.CAP_PROP_FPS))
            self.fps = fps if math.isfinite(fps) and 1.0 <= fps <= 240.0 else FALLBACK_CAMERA_FPS
            self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._count = 0
        self._t0: float | None = None

    def read(self) -> SourceFrame | None:
        """The next frame, or None (end of file / failed camera read). Blocks until the source delivers."""
        ok, image = self._cap.read()
        now = time.perf_counter()
        if not ok or image is None:
            return None
        if self._t0 is None:
            self._t0 = now
        index = self._count
        self._count += 1
        t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if self.is_file else now - self._t0
        if self.height <= 0 or self.width <= 0:  # some camera drivers report 0 × 0 until the first frame
            self.height, self.width = image.shape[:2]
        return SourceFrame(index, t, now, image)

    @property
    def frames_read(self) -> int:
        return self._count

    def rewind(self) -> None:
        """Start a file over from its first frame (frame numbers restart at 0)."""
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._count = 0

    def release(self) -> None:
        self._cap.release()


class LatestFrame:
    """A one-slot mailbox: ``put`` replaces the waiting frame (counted as dropped), ``take`` returns the newest."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: SourceFrame | None = None
        self.dropped = 0
        self.closed = False

    def put(self, frame: SourceFrame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1  # never taken: the consumer was busy for a whole source period
            self._frame = frame
            self._cond.notify()

    def close(self) -> None:
        """No more frames will come; ``take`` returns None once the last one was taken."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def take(self, timeout: float) -> SourceFrame | None:
        """The newest frame not yet taken, waiting up to ``timeout`` s; None on time-out or when closed and empty."""
        with self._cond:
            if self._frame is None and not self.closed:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
            return frame


class Grabber:
    """Reads ``source`` in a daemon thread into a ``LatestFrame``; files are paced to their frame rate.

    After the thread ends, ``error`` holds a ``LiveSourceError`` for a camera failure (None at the end of a file or
    when stopped) and ``mailbox.closed`` is true. ``frames_read`` counts every frame read.
    """

    def __init__(self, source: FrameSource, *, loop_file: bool = False) -> None:
        self.source = source
        self.loop_file = loop_file
        self.mailbox = LatestFrame()
        self.error: LiveSourceError | None = None
        self.frames_read = 0
        self.ended = False  # the file ended (not an error)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-grabber", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            if self.source.is_file:
                self._run_file()
            else:
                self._run_camera()
        except Exception as exc:  # OpenCV raising mid-read: report it like a lost camera, never die silently
            self.error = LiveSourceError(f"reading {self.source.description} failed: {exc}", kind="camera_lost")
        finally:
            self.mailbox.close()

    def _run_file(self) -> None:
        period = 1.0 / self.source.fps
        start = time.perf_counter()
        offset = 0  # frames of earlier loops, so indices and times keep increasing when looping
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is None:
                if not self.loop_file or self.source.frames_read == 0:
                    self.ended = True
                    return
                offset += self.source.frames_read
                self.source.rewind()
                continue
            n = offset + frame.index
            # A camera delivers frame n at n / fps: wait for that moment, then stamp the frame as read now.
            due = start + n * period
            if self._stop.wait(max(0.0, due - time.perf_counter())):
                return
            self.frames_read += 1
            self.mailbox.put(SourceFrame(n, n * period, time.perf_counter(), frame.image))

    def _run_camera(self) -> None:
        failures = 0
        opened = time.perf_counter()
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is not None:
                failures = 0
                self.frames_read += 1
                self.mailbox.put(frame)
                continue
            failures += 1
            if self.frames_read == 0 and time.perf_counter() - opened > FIRST_FRAME_TIMEOUT_S:
                self.error = LiveSourceError(
                    f"{self.source.description.capitalize()} opened but delivered no image in "
                    f"{FIRST_FRAME_TIMEOUT_S:.0f} s: it is probably in use by another application (close it and "
                    "try again) or it needs a moment after plugging in.",
                    kind="camera_no_frames",
                )
                return
            if self.frames_read > 0 and failures >= MAX_READ_FAILURES:
                self.error = LiveSourceError(
                    f"{self.source.description.capitalize()} stopped delivering images after {self.frames_read} "
                    "frames: it was unplugged or another application took it over.",
                    kind="camera_lost",
                )
                return
            time.sleep(0.02)  # a failed read can return at once: do not spin
