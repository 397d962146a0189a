"""Live mode's worker side (core/live/session.py, core/live/source.py): a video file as a stand-in camera,
real-time pacing, newest-frame-only delivery under a slow consumer, stop within a second, clear camera errors, the
worker dispatch.

The lifter is a tiny random causal checkpoint (capture_helpers.tiny_checkpoint: build_model + save_checkpoint);
MediaPipe runs for real in one test, a scripted detector (stick-figure poses) elsewhere to keep the set fast.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from capture_helpers import ScriptedDetector, stick_figure, tiny_checkpoint

from core.live import LiveController, run_live
from core.live.source import Grabber, LiveSourceError

CLIP = "videos/intel_worker_walking_480x270.mp4"  # 480×270, 16.67 fps, 71 frames


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tiny_checkpoint(tmp_path_factory.mktemp("live") / "tiny_causal.pt", causal=True))


@pytest.fixture(scope="module")
def clip(shared_dir: Path) -> str:
    path = shared_dir / CLIP
    if not path.is_file():
        pytest.skip(f"the shared clip {CLIP} is absent (looked at {path})")
    return str(path)


def scripted() -> ScriptedDetector:
    xy = stick_figure(400, size=(480, 270))
    return ScriptedDetector(xy, np.ones(xy.shape[:2], np.float32), np.ones(len(xy), bool))


class Recorder:
    """A ``send`` that keeps (wall time, message); optionally slow, optionally stopping after n poses."""

    def __init__(self, stop: threading.Event | None = None, stop_after: int = 0, delay_s: float = 0.0) -> None:
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.stop, self.stop_after, self.delay_s = stop, stop_after, delay_s

    def __call__(self, message: dict[str, Any]) -> None:
        json.dumps(message, allow_nan=False)  # what the worker's channel does: must be plain, finite JSON
        self.messages.append((time.perf_counter(), message))
        if message["type"] == "pose":
            time.sleep(self.delay_s)
            if self.stop is not None and self.stop_after and len(self.poses) >= self.stop_after:
                self.stop.set()

    @property
    def poses(self) -> list[dict[str, Any]]:
        return [m for _, m in self.messages if m["type"] == "pose"]

    def types(self) -> list[str]:
        return [m["type"] for _, m in self.messages]


def test_video_file_session_streams_poses_in_order(clip: str, weights: str) -> None:
    send = Recorder()
    run_live({"id": "s1", "video": clip, "options": {"weights": weights}}, send, threading.Event())
    types = send.types()
    assert types[0] == "live_started" and types[-1] == "live_stopped", types[:3] + types[-3:]
    started, stopped = send.messages[0][1], send.messages[-1][1]
    assert started["image_size"] == [480, 270] and started["fps"] == pytest.approx(16.667, abs=0.01)
    poses = send.poses
    frames = [p["frame"] for p in poses]
    assert len(poses) >= 10, f"only {len(poses)} poses from a 71-frame clip"
    assert all(b > a for a, b in zip(frames, frames[1:])), frames
    assert all(b["t"] > a["t"] for a, b in zip(poses, poses[1:]))
    joints = np.array([p["joints_3d_world"] for p in poses])
    assert joints.shape == (len(poses), 17, 3) and np.isfinite(joints).all()
    assert all(p["latency_ms"] > 0 for p in poses) and poses[-1]["fps"] > 0
    assert stopped["reason"] == "end_of_video" and stopped["frames"] == len(poses)
    assert stopped["frames_read"] == 71 and stopped["frames"] + stopped["dropped"] <= 71
    assert {"detect", "lift", "post", "latency"} <= set(stopped["timings_ms"])


class _With3D(ScriptedDetector):
    """The scripted detector with a 3D body of its own (as MediaPipe's world landmarks), found on odd calls only."""

    last_world = None
    seen = 0

    def detect(self, image: np.ndarray, time_s: float) -> Any:
        self.seen += 1
        pose = super().detect(image, time_s) if self.seen % 2 == 1 else None
        self.last_world = None if pose is None else np.full((17, 3), float(self.seen), np.float32)
        return pose


def test_live_fusion_gets_the_detectors_own_3d(clip: str, weights: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.fuse3d import LiveFusion

    calls: list[tuple[float | None, float]] = []
    original = LiveFusion.__call__

    def spy(self: LiveFusion, lifted: np.ndarray, mediapipe: np.ndarray | None, time_s: float) -> np.ndarray:
        calls.append((None if mediapipe is None else float(mediapipe[0, 0]), self.share))
        return original(self, lifted, mediapipe, time_s)

    monkeypatch.setattr(LiveFusion, "__call__", spy)
    stop = threading.Event()
    xy = stick_figure(400, size=(480, 270))
    detector = _With3D(xy, np.ones(xy.shape[:2], np.float32), np.ones(len(xy), bool))
    send = Recorder(stop, stop_after=6)
    run_live({"id": "s9", "video": clip, "options": {"weights": weights, "mediapipe_3d": 0.7}}, send, stop,
             detector=detector)  # fmt: skip
    assert len(calls) >= 6 and all(share == 0.7 for _, share in calls)
    found = [v for v, _ in calls if v is not None]
    assert found and all(v % 2 == 1 for v in found)  # the 3D of the call that found the person
    assert any(v is None for v, _ in calls)  # and None on frames where nobody was found


def test_slow_consumer_gets_the_newest_frame_not_a_queue(clip: str, weights: str) -> None:
    stop = threading.Event()
    send = Recorder(stop, stop_after=8, delay_s=0.25)  # 4 source frames (60 ms each) pass during every send
    run_live({"id": "s2", "video": clip, "options": {"weights": weights}}, send, stop, detector=scripted())
    stopped = send.messages[-1][1]
    assert stopped["type"] == "live_stopped" and stopped["dropped"] >= 8, stopped
    poses = [(t, m) for t, m in send.messages if m["type"] == "pose"]
    frames = [m["frame"] for _, m in poses]
    assert all(b - a >= 2 for a, b in zip(frames, frames[1:])), f"stale frames were not skipped: {frames}"
    # How far each pose lags behind the clip's own clock: bounded with a newest-frame slot; with a queue it would
    # grow by ~0.2 s per pose (1.4 s by the 8th).
    t0, m0 = poses[0]
    lag = [(t - t0) - (m["t"] - m0["t"]) for t, m in poses]
    assert max(lag) < 0.35, f"poses fall behind the camera: lag {np.round(lag, 3)}"


def test_stop_ends_the_loop_within_one_second(clip: str, weights: str) -> None:
    stop = threading.Event()
    send = Recorder()
    command = {"id": "s3", "video": clip, "options": {"weights": weights, "loop": True, "flip_tta": True}}
    thread = threading.Thread(target=run_live, args=(command, send, stop), kwargs={"detector": scripted()})
    thread.start()
    deadline = time.monotonic() + 30
    while len(send.poses) < 3 and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(send.poses) >= 3, send.types()
    t_stop = time.perf_counter()
    stop.set()
    thread.join(1.0)
    assert not thread.is_alive(), "run_live still running 1 s after stop"
    t_end, last = send.messages[-1]
    assert last["type"] == "live_stopped" and last["reason"] == "stopped" and t_end - t_stop < 1.0


@pytest.mark.parametrize(
    ("command", "kind", "words"),
    [
        ({"camera": 99}, "camera_unavailable", "Camera 99 could not be opened"),
        ({"camera": 120}, "bad_source", "0..99"),
        ({"video": "/nonexistent/take.mp4"}, "video_missing", "not found"),
        ({"camera": 0, "video": "x.mp4"}, "bad_command", "exactly one"),
        ({"camera": 0, "options": {"fps": 30}}, "bad_options", "unknown live option"),
    ],
)
def test_source_and_command_errors_are_clear(command: dict[str, Any], kind: str, words: str, weights: str) -> None:
    send = Recorder()
    run_live({"id": "e", "options": {"weights": weights}, **command}, send, threading.Event())
    assert send.types() == ["error"]
    error = send.messages[0][1]
    assert error["id"] == "e" and error["kind"] == kind and words in error["message"], error


def test_offline_weights_are_refused(clip: str, tmp_path: Path) -> None:
    offline = tiny_checkpoint(tmp_path / "offline.pt", causal=False)
    send = Recorder()
    run_live({"id": "w", "video": clip, "options": {"weights": str(offline)}}, send, threading.Event())
    assert send.types() == ["error"] and send.messages[0][1]["kind"] == "weights_not_causal"


class FakeCamera:
    """A camera whose reads succeed ``good`` times, then fail forever (unplugged), at ``period`` s per read."""

    is_file, description, fps, width, height = False, "camera 3", 30.0, 480, 270

    def __init__(self, good: int, period: float = 0.002) -> None:
        self.good, self.period, self.reads = good, period, 0

    def read(self):  # noqa: ANN201
        from core.live.source import SourceFrame

        time.sleep(self.period)
        self.reads += 1
        if self.reads > self.good:
            return None
        return SourceFrame(self.reads - 1, self.reads * self.period, time.perf_counter(),
                           np.zeros((self.height, self.width, 3), np.uint8))

    def release(self) -> None:
        pass


def test_unplugged_camera_is_reported_as_lost() -> None:
    grabber = Grabber(FakeCamera(good=5))  # type: ignore[arg-type]
    grabber.start()
    grabber._thread.join(5.0)
    assert isinstance(grabber.error, LiveSourceError) and grabber.error.kind == "camera_lost"
    assert "stopped delivering images after 5 frames" in str(grabber.error) and grabber.mailbox.closed


def test_camera_unplugged_mid_session_ends_it_with_an_error(weights: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.live.source.FrameSource", lambda source: FakeCamera(good=20, period=0.01))
    send = Recorder()
    run_live({"id": "u", "camera": 3, "options": {"weights": weights}}, send, threading.Event(), detector=scripted())
    types = send.types()
    assert types[0] == "live_started" and "pose" in types and types[-1] == "error", types
    assert send.messages[-1][1]["kind"] == "camera_lost" and "live_stopped" not in types


def test_busy_camera_without_frames_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("core.live.source.FIRST_FRAME_TIMEOUT_S", 0.1)
    grabber = Grabber(FakeCamera(good=0))  # type: ignore[arg-type]
    grabber.start()
    grabber._thread.join(5.0)
    assert grabber.error is not None and grabber.error.kind == "camera_no_frames"
    assert "in use by another application" in str(grabber.error)


def test_worker_dispatch_of_live_and_stop(clip: str, weights: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact registration the worker needs (see docs/live.md), on the real Worker class."""
    from core.worker.server import Channel, Worker

    monkeypatch.setattr("core.detect.MediaPipePoseDetector", lambda **_: scripted())
    out = io.StringIO()
    worker = Worker(Channel(out), "/tmp/worker.log", force_cpu=True)
    worker.live = LiveController(lambda m: worker.channel.send(**m), log_path=worker.log_path)
    worker.handlers.update(live=worker.live.on_live, stop=worker.live.on_stop)

    def messages() -> list[dict[str, Any]]:
        return [json.loads(line) for line in out.getvalue().splitlines()]

    worker.handle_line(json.dumps({"cmd": "live", "id": "d1", "video": clip, "options": {"weights": weights}}))
    deadline = time.monotonic() + 30
    while not any(m["type"] == "pose" for m in messages()) and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.handle_line(json.dumps({"cmd": "live", "id": "d2", "camera": 0}))  # one session at a time
    t0 = time.monotonic()
    worker.handle_line(json.dumps({"cmd": "stop", "id": "d1"}))
    assert time.monotonic() - t0 < 1.0 and not worker.live.running()
    seen = messages()
    busy = next(m for m in seen if m["type"] == "error")
    assert busy["id"] == "d2" and busy["kind"] == "busy" and busy["log"] == "/tmp/worker.log"
    assert seen[-1]["type"] == "live_stopped" and seen[-1]["id"] == "d1"
