"""Live mode: camera (or a video file as a stand-in camera) → MediaPipe → causal lifter, streamed → world pose.

``run_live(command, send, stop)`` runs one session in the caller's thread until ``stop`` is set, the file ends or
the camera fails, sending protocol messages (docs/live.md)::

    {"type": "live_started", "id", "fps", "image_size": [w, h], "source", "receptive_field", "device"}
    {"type": "pose", "id", "frame", "t", "joints_3d_world": [[x, y, z] * 17], "latency_ms", "fps", "detected"}
        (with hands on, also "hands": {"angles": 2×5×4, "rotation": 2×3×3, "seen": [left, right]}, "hands_ms")
    {"type": "live_stopped", "id", "frames", "dropped", "reason", "timings_ms": {...}}   or   {"type": "error", ...}

Exactly one of ``live_stopped`` / ``error`` ends a session. Per frame the work is constant: one MediaPipe call in
tracking mode, one ``CausalStreamer.step`` (the causal lifter of Liu et al. 2020 §5.2, one new column per layer),
and ``LivePost`` on a bounded history. A grabber thread keeps only the newest frame (core/live/source.py), so when
the pipeline is slower than the camera, frames are dropped instead of queued and the latency stays bounded.

``LiveController`` is the worker's side: ``live`` starts a session thread, ``stop`` ends it within a second.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import CaptureError
from ..fuse3d import LiveFusion
from ..options import LiveOptions
from ..upright import LiveUpright, turn_2d, turn_3d

Send = Callable[[dict[str, Any]], None]
POLL_S = 0.05  # the loop checks ``stop`` at least this often while waiting for a frame


def parse_source(command: dict[str, Any]) -> int | str:
    """The command's ``camera`` (index) or ``video`` (path): exactly one of them."""
    camera, video = command.get("camera"), command.get("video")
    if (camera is None) == (video is None):
        raise CaptureError("live needs exactly one of 'camera' (an index such as 0) or 'video' (a file path)",
                           kind="bad_command")
    if camera is not None and (isinstance(camera, bool) or not isinstance(camera, int)):
        raise CaptureError(f"'camera' must be an integer index, got {camera!r}", kind="bad_command")
    if video is not None and (not isinstance(video, str) or not video):
        raise CaptureError(f"'video' must be a file path, got {video!r}", kind="bad_command")
    return camera if camera is not None else video


class HeldTrack:
    """Causal gap filling of the 2D track: joints below ``min_confidence`` (or the whole body, when nobody was
    found) keep their last confident position — the causal counterpart of ``core.gaps.fill_gaps`` holding the
    ends. A joint never yet confident uses its current, unsure position rather than nothing."""

    def __init__(self, min_confidence: float) -> None:
        self.min_confidence = min_confidence
        self.last: np.ndarray | None = None  # (17, 2) pixels

    def update(self, pose: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray | None:
        """pose: ((17, 2) pixels, (17,) confidence) or None. Returns (17, 2) filled pixels, None before anyone."""
        if pose is None:
            return None if self.last is None else self.last.copy()
        xy, conf = np.asarray(pose[0], dtype=np.float64), np.asarray(pose[1])
        valid = (conf >= self.min_confidence) & np.isfinite(xy).all(axis=-1)
        out = xy.copy()
        if self.last is not None:
            out[~valid] = self.last[~valid]
        self.last = np.where(np.isfinite(out), out, 0.0)
        return self.last.copy()


class RateMeter:
    """Events per second over the last ``window_s`` seconds."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float) -> float:
        self._times.append(now)
        while now - self._times[0] > self.window_s:
            self._times.popleft()
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class LiveSession:
    """One opened live session: source, lifter stream, detector, post-processing. ``run`` sends the messages."""

    def __init__(self, job_id: str, source: int | str, options: LiveOptions, detector: Any | None = None,
                 hands_detector: Any | None = None) -> None:  # fmt: skip
        import torch

        from ..camera import normalize_screen_coordinates
        from ..lift import load_lifter
        from ..models.ensemble import streamer_for
        from ..weights import default_weights, lifter_model, resolve_device
        from .rate import RateAdapter
        from .source import FrameSource

        self.id, self.options = job_id, options
        self._normalize = normalize_screen_coordinates
        self.source = FrameSource(source)  # first: camera errors are the most likely and the cheapest to find
        # One thread for the lifter: its per-frame step is a few small matrix-vector products, where a thread pool's
        # hand-offs cost more than they save (128-channel causal model on a loaded 2-core machine: 2.5 ms vs 41 ms
        # median per step). With torch's OpenMP backend this applies to the calling (session) thread only.
        self._torch_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self.device = resolve_device(options.device)
            weights = options.weights or str(default_weights("causal"))
            model = load_lifter(weights, device=self.device)
            if lifter_model(model) != "causal":
                raise CaptureError(f"live mode needs causal lifter weights; {weights} is an offline (centred) model "
                                   "that would need future frames", kind="weights_not_causal")
            self.receptive_field = int(model.receptive_field)
            self.streams = [streamer_for(model)] + ([streamer_for(model)] if options.flip_tta else [])
            self.rate = RateAdapter(self._step, model_fps=float(getattr(model.config, "fps", 50.0)))
            self.upright = LiveUpright()
            self.own_detector = detector is None
            if detector is None:
                from ..detect import MediaPipePoseDetector

                detector = MediaPipePoseDetector(max_side=options.max_side)  # tracking mode (static_image_mode off)
            self.detector = detector
            self.hands = None
            if options.hands:
                from .hands import LiveHands

                # Hands are small: not below 1280 px (the pose's 640 would lose most of them).
                self.hands = LiveHands(options.smoothing, hands_detector, max_side=max(options.max_side, 1280))
        except BaseException:
            self.source.release()
            torch.set_num_threads(self._torch_threads)
            raise
        self.size = (self.source.width, self.source.height)
        self.post = self._make_post(*self.size)
        self.track = HeldTrack(options.min_confidence)
        self.fusion = LiveFusion(options.mediapipe_3d)
        self._background, self._camera_xy = self._camera_motion()
        keys = ("detect", "lift", "post", "latency") + (("hands",) if self.hands is not None else ())
        self.timings: dict[str, deque[float]] = {k: deque(maxlen=2000) for k in keys}

    @staticmethod
    def _camera_motion() -> tuple[Any, np.ndarray]:
        """A fresh background-motion tracker and the camera's running displacement (core.camera_motion)."""
        from ..camera_motion import BackgroundMotion

        return BackgroundMotion(), np.zeros(2)

    def _make_post(self, width: int, height: int) -> Any:
        from .post import LivePost

        o = self.options
        return LivePost(width, height, self.source.fps, subject_height=o.height, smoothing=o.smoothing,
                        fov_deg=o.fov_deg, root_motion=o.root_motion)

    def lift(self, xy_px: np.ndarray, t_s: float) -> np.ndarray:
        """(17, 2) pixels of the frame at ``t_s`` → (17, 3) root-relative camera-space 3D, lifted at the model's
        training rate (``core.live.rate.RateAdapter``), flip TTA averaged if enabled, from upright input (the 2D turned
        by the running median of the body's image angle, ``core.upright.LiveUpright``, the 3D turned back)."""
        norm = self._normalize(xy_px.astype(np.float32), *self.size)
        roll = self.upright.update(norm, t_s)  # upright input, as capture lifts (core/upright.py)
        out = turn_3d(np.asarray(self.rate.push(turn_2d(norm, -roll), t_s), np.float64), roll)
        out[0] = 0.0  # root-relative by definition
        return out

    def _step(self, norm: np.ndarray) -> np.ndarray:
        """One model-rate step of the streaming lifter(s) on normalised 2D (17, 2)."""
        from ..skeleton import flip

        out = self.streams[0].step(norm)
        if len(self.streams) > 1:
            out = 0.5 * (out + flip(self.streams[1].step(flip(norm))))
        return out

    def run(self, send: Send, stop: threading.Event) -> None:
        from .source import Grabber

        if self.own_detector:
            self.warm_up()
        grabber = Grabber(self.source, loop_file=self.options.loop)
        grabber.start()
        send({"type": "live_started", "id": self.id, "fps": round(self.source.fps, 3),
              "image_size": [self.source.width, self.source.height], "source": self.source.description,
              "receptive_field": self.receptive_field, "device": self.device})  # fmt: skip
        rate, frames = RateMeter(), 0
        try:
            while not stop.is_set():
                frame = grabber.mailbox.take(POLL_S)
                if frame is None:
                    if grabber.mailbox.closed:
                        break
                    continue
                t0 = time.perf_counter()
                size = (frame.image.shape[1], frame.image.shape[0])
                if size != self.size:  # a camera that reported no size, or changed its resolution
                    self.size, self.post = size, self._make_post(*size)
                    self._background, self._camera_xy = self._camera_motion()
                pose = self.detector.detect(frame.image, frame.time_s)
                # The background is followed on every frame, a person or not, so its running sum stays whole.
                shift = self._background.step(frame.image, None if pose is None else pose[0])
                self._camera_xy = self._camera_xy + np.nan_to_num(shift)
                t1 = time.perf_counter()
                xy = self.track.update(pose)
                if xy is None:
                    continue  # nobody seen yet: nothing to lift
                rel = self.lift(xy, frame.time_s)
                own_3d = getattr(self.detector, "last_world", None) if pose is not None else None
                rel = self.fusion(rel, own_3d, frame.time_s)  # MediaPipe's own 3D averaged in (core.fuse3d)
                t2 = time.perf_counter()
                conf = pose[1] if pose is not None else np.zeros(len(xy))  # a held pose: no new evidence
                world = self.post(rel, xy, frame.time_s, self._camera_xy, conf)
                t3 = time.perf_counter()
                if not np.isfinite(world).all():
                    continue  # degenerate detection (all joints on one pixel): skip rather than send NaN
                extra, t4 = {}, t3
                if self.hands is not None:
                    hands = self.hands(frame.image, xy, world, self.post.up, frame.time_s)
                    hands_ms = 1000.0 * (time.perf_counter() - t3)
                    extra = {"hands": {"angles": np.round(hands["angles"], 2).tolist(),
                                       "rotation": np.round(hands["rotation"], 5).tolist(),
                                       "seen": hands["seen"].tolist()}, "hands_ms": round(hands_ms, 2)}  # fmt: skip
                    self.timings["hands"].append(hands_ms)
                    t4 = time.perf_counter()
                latency = t4 - frame.read_at
                frames += 1
                for key, value in (("detect", t1 - t0), ("lift", t2 - t1), ("post", t3 - t2), ("latency", latency)):
                    self.timings[key].append(1000.0 * value)
                send({"type": "pose", "id": self.id, "frame": frame.index, "t": round(frame.time_s, 4),
                      "joints_3d_world": np.round(world, 4).tolist(), "latency_ms": round(1000.0 * latency, 2),
                      "fps": round(rate.tick(t4), 2), "detected": pose is not None, **extra})  # fmt: skip
        finally:
            grabber.stop()
            self.close()
        if grabber.error is not None and not stop.is_set():
            raise grabber.error
        reason = "stopped" if stop.is_set() or not grabber.ended else "end_of_video"
        timings = {k: round(statistics.median(v), 2) for k, v in self.timings.items() if v}
        send({"type": "live_stopped", "id": self.id, "frames": frames, "dropped": grabber.mailbox.dropped,
              "frames_read": grabber.frames_read, "reason": reason, "timings_ms": timings})  # fmt: skip

    def warm_up(self) -> None:
        """One detection on a black frame before the clock starts: MediaPipe builds its graph on the first call
        (about a second), which would otherwise drop the first second of frames."""
        black = np.zeros((max(self.size[1], 1), max(self.size[0], 1), 3), np.uint8)
        self.detector.detect(black, 0.0)
        if self.hands is not None:
            self.hands.detector.detect(black)

    def close(self) -> None:
        import torch

        if self.own_detector:
            self.detector.close()
        if self.hands is not None:
            self.hands.close()
        self.source.release()
        torch.set_num_threads(self._torch_threads)


def run_live(command: dict[str, Any], send: Send, stop: threading.Event, *, detector: Any | None = None,
             hands_detector: Any | None = None) -> None:  # fmt: skip
    """Run one live session for a worker ``live`` command (see module doc); never raises.

    ``detector`` replaces MediaPipe (tests). Errors become ``{"type": "error", "id", "kind", "message"}``.
    """
    job_id = str(command.get("id") or "")
    try:
        if not job_id:
            raise CaptureError("live needs an 'id'", kind="bad_command")
        source = parse_source(command)
        options = LiveOptions.from_dict(command.get("options"))
        session = LiveSession(job_id, source, options, detector, hands_detector)
        if stop.is_set():  # stopped while the model and MediaPipe were loading
            session.close()
            send({"type": "live_stopped", "id": job_id, "frames": 0, "dropped": 0, "frames_read": 0,
                  "reason": "stopped", "timings_ms": {}})  # fmt: skip
            return
        session.run(send, stop)
    except CaptureError as exc:
        print(f"[live] {job_id} failed ({exc.kind}): {exc}", file=sys.stderr)
        send({"type": "error", "id": job_id, "kind": exc.kind, "message": str(exc)})
    except Exception as exc:  # a bug: traceback to the log (the worker's stderr), a short message to the user
        traceback.print_exc(file=sys.stderr)
        try:
            send({"type": "error", "id": job_id, "kind": "internal",
                  "message": f"Unexpected {type(exc).__name__} in live mode: {exc}. Details are in the worker log."})
        except Exception:  # the channel itself failed (the add-on went away): nobody is left to tell
            traceback.print_exc(file=sys.stderr)


class LiveController:
    """The worker's ``live``/``stop`` handlers: at most one session, in a thread; ``stop`` returns within 1 s.

    ``send`` writes one message (the worker's channel); ``log_path`` is added to error messages.
    """

    def __init__(self, send: Send, log_path: str | None = None) -> None:
        self._send, self.log_path = send, log_path
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()
        self.id: str | None = None

    def send(self, message: dict[str, Any]) -> None:
        if message.get("type") == "error" and self.log_path:
            message = {**message, "log": self.log_path}
        self._send(message)

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def on_live(self, command: dict[str, Any]) -> None:
        if self.running():
            self.send({"type": "error", "id": command.get("id"), "kind": "busy",
                       "message": f"live session {self.id} is still running; stop it first"})
            return
        self.id, self.stop_event = str(command.get("id") or ""), threading.Event()
        self.thread = threading.Thread(target=run_live, args=(command, self.send, self.stop_event),
                                       name=f"live-{self.id}", daemon=True)
        self.thread.start()

    def on_stop(self, command: dict[str, Any]) -> None:
        """Stop the session (``id`` absent or matching); idempotent. The session itself sends ``live_stopped``."""
        if command.get("id") not in (None, self.id):
            return
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(1.0)

    def shutdown(self) -> None:
        self.on_stop({})
