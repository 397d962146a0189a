"""The worker process and its client: start-up both ways, protocol messages, errors, cancel, crash, kill.

Captures use the tiny random lifter (tests/helpers/capture_helpers.tiny_checkpoint) passed through the ``weights``
option; 2D detection is the real MediaPipe, on the committed clip (assets/, so no test here needs ../shared) or on
synthetic frames.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from capture_helpers import tiny_checkpoint, write_video
from repo import REPO_ROOT

from core.worker.client import WorkerClient, WorkerError

REPO = REPO_ROOT
TERMINAL = ("result", "error", "cancelled")
CLIP = REPO / "assets" / "pose2sim_balance_cam04.mp4"  # one person, 1088×1920, 100 frames (BSD-3-Clause)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tiny_checkpoint(tmp_path_factory.mktemp("weights") / "tiny.pt"))


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One worker shared by the tests that leave it healthy (start-up costs imports)."""
    client = WorkerClient(sys.executable, REPO, log_path=tmp_path_factory.mktemp("log") / "worker.log")
    client.start()
    client.wait_ready(60)
    yield client
    client.shutdown()


def _until_done(client: WorkerClient, job: str, timeout: float = 90.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    final = client.wait_for(lambda m: m.get("id") == job and m.get("type") in TERMINAL, timeout, seen)
    return final, [m for m in seen if m.get("id") == job]


def _addon_copy(root: Path) -> Path:
    """The add-on's core/ in a folder with an unusual name (no weights/), as an installed extension would be."""
    addon = root / "Vidéo Mocap add-on"
    shutil.copytree(REPO / "core", addon / "core", ignore=shutil.ignore_patterns("__pycache__"))
    return addon


def test_ready_message(worker: WorkerClient) -> None:
    ready = worker.ready
    assert ready is not None and ready["type"] == "ready"
    assert ready["device"] in ("cpu", "cuda")
    for name in ("python", "numpy", "torch", "mediapipe"):
        assert ready["versions"][name]
    assert ready["log"] == worker.log_path


@pytest.mark.parametrize("how", ["module", "script", "folder"])
def test_starts_from_a_folder_of_any_name(tmp_path: Path, how: str) -> None:
    addon = _addon_copy(tmp_path)
    if how == "module":
        client = WorkerClient(sys.executable, addon, log_path=tmp_path / "w.log")
        client.start()
        assert client.wait_ready(60)["type"] == "ready"
        assert client.shutdown() == 0
        return
    # python <addon>/core/worker/__main__.py (or the folder itself) from an unrelated working directory
    script = addon / "core" / "worker" / ("__main__.py" if how == "script" else "")
    process = subprocess.Popen(
        [sys.executable, str(script), "--log", str(tmp_path / "s.log")],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready = json.loads(process.stdout.readline())  # type: ignore[union-attr]
    assert ready["type"] == "ready"
    out, _ = process.communicate('{"cmd": "nonsense"}\n{"cmd": "shutdown"}\n', timeout=30)
    assert process.returncode == 0
    error = json.loads(out.splitlines()[0])
    known = "known: ['cancel', 'capture', 'live', 'shutdown', 'stop']"
    assert error["kind"] == "bad_command" and known in error["message"]


def test_bad_commands_are_answered_and_the_worker_survives(worker: WorkerClient) -> None:
    for line, expected in [({"cmd": "fly"}, "unknown command"), ({"cmd": "capture"}, "needs an 'id'")]:
        worker.send(line)
        message = worker.wait_for(lambda m: m.get("type") == "error", 10)
        assert message["kind"] == "bad_command" and expected in message["message"]
    assert worker.is_alive()


def test_live_commands_are_dispatched(worker: WorkerClient, tmp_path: Path) -> None:
    """live/stop reach core/live/session.py (docs/live.md) through the worker's handler table."""
    worker.send({"cmd": "stop"})  # no session: idempotent, no answer
    worker.send({"cmd": "live", "id": "l1", "video": str(tmp_path / "missing.mp4")})
    message = worker.wait_for(lambda m: m.get("id") == "l1", 30)
    assert message["type"] == "error" and message["kind"] == "video_missing"


def test_capture_progress_order_and_result(worker: WorkerClient, tmp_path: Path, weights: str) -> None:
    out = tmp_path / "sortie é" / "walk result.npz"  # non-ASCII and spaces; the folder does not exist yet
    options = {"weights": weights, "height": 1.8, "smoothing": 0.2, "frame_start": 10, "frame_end": 40}
    job = worker.capture(CLIP, out, options)
    final, messages = _until_done(worker, job)
    assert final["type"] == "result", final
    assert Path(final["path"]) == out.resolve() and out.is_file()
    progress = [m for m in messages if m["type"] == "progress"]
    order = ["decode", "detect", "lift", "post"]
    stages = [m["stage"] for m in progress]
    assert sorted(set(stages), key=order.index) == order
    assert [order.index(s) for s in stages] == sorted(order.index(s) for s in stages)  # never back to an old stage
    detect = [m for m in progress if m["stage"] == "detect"]
    assert [m["done"] for m in detect] == sorted(m["done"] for m in detect)
    assert detect[-1]["done"] == detect[-1]["total"] == 31 and detect[-1]["fps"] > 0
    assert messages[-1] is final
    with np.load(out) as data:
        assert data["joints_3d_world"].shape == (31, 17, 3)
        assert json.loads(str(data["options_json"]))["height"] == 1.8
    assert final["summary"]["frames"] == 31 and final["summary"]["device"] == "cpu"


def test_errors_have_kinds(worker: WorkerClient, tmp_path: Path, weights: str) -> None:
    noise = write_video(tmp_path / "nobody.mp4", 12, size=(160, 120),
                        painter=lambda img, k: img.__setitem__(slice(None), (k * 20) % 255))  # fmt: skip
    (tmp_path / "text.mp4").write_text("not a video")
    cases = [
        (tmp_path / "missing.mp4", {"weights": weights}, "video_missing"),
        (tmp_path / "text.mp4", {"weights": weights}, "video_unreadable"),
        (noise, {"weights": weights}, "no_person"),
        (noise, {"weights": str(tmp_path / "none.pt")}, "weights_missing"),
        (noise, {"weights": weights, "speed": 2}, "bad_options"),
        (noise, {"weights": weights, "frame_start": 50}, "frame_range"),
    ]
    for video, options, kind in cases:
        final, _ = _until_done(worker, worker.capture(video, tmp_path / "o.npz", options), 60)
        assert (final["type"], final["kind"]) == ("error", kind), final
        assert final["message"] and final["log"] == worker.log_path
    assert not (tmp_path / "o.npz").exists()


def test_default_weights_missing(tmp_path: Path) -> None:
    with WorkerClient(sys.executable, _addon_copy(tmp_path), log_path=tmp_path / "w.log") as client:
        client.wait_ready(60)
        final, _ = _until_done(client, client.capture(CLIP, tmp_path / "o.npz"), 60)
    assert final["kind"] == "weights_missing" and "lifter_offline.pt" in final["message"]


def test_cancel_stops_the_capture_quickly_and_for_good(worker: WorkerClient, tmp_path: Path, weights: str) -> None:
    options = {"weights": weights, "frame_end": 39}
    job = worker.capture(CLIP, tmp_path / "c.npz", options)
    worker.wait_for(lambda m: m.get("id") == job and m.get("stage") == "detect", 60)
    start = time.monotonic()
    worker.cancel(job)
    final, _ = _until_done(worker, job, 5)
    assert final["type"] == "cancelled"
    # The capture thread sees the stop flag at its next frame; only a stuck thread waits for the worker's fallback
    # answer after CANCEL_GRACE_S (0.8 s), and that thread would go on to write its file.
    elapsed = time.monotonic() - start
    assert elapsed < 0.4, f"cancelled after {elapsed:.2f} s"
    # The worker is free again: the same capture, not cancelled, runs to its end and writes its file. The cancelled
    # one started earlier with the same work, so had it gone on it would have written c.npz by now.
    again = worker.capture(CLIP, tmp_path / "full.npz", options)
    assert _until_done(worker, again, 120)[0]["type"] == "result" and (tmp_path / "full.npz").is_file()
    time.sleep(0.5)
    assert not (tmp_path / "c.npz").exists()
    # A capture cancelled at once is cancelled too.
    third = worker.capture(CLIP, tmp_path / "c3.npz", options)
    worker.cancel(third)
    assert _until_done(worker, third, 5)[0]["type"] == "cancelled"


def test_shutdown_during_a_capture_exits_within_a_second(tmp_path: Path, weights: str) -> None:
    client = WorkerClient(sys.executable, REPO, log_path=tmp_path / "w.log")
    client.start()
    client.wait_ready(60)
    job = client.capture(CLIP, tmp_path / "s.npz", {"weights": weights})
    client.wait_for(lambda m: m.get("id") == job and m.get("stage") == "detect", 60)
    start = time.monotonic()
    assert client.shutdown(timeout=5) == 0
    assert time.monotonic() - start < 1.5


def test_a_crash_yields_an_error_with_the_traceback_in_the_log(tmp_path: Path, weights: str) -> None:
    log = tmp_path / "crash.log"
    with WorkerClient(sys.executable, REPO, log_path=log, env={"VIDEO_MOCAP_WORKER_FAULT": "capture"}) as client:
        client.wait_ready(60)
        final, _ = _until_done(client, client.capture(tmp_path / "x.mp4", tmp_path / "o.npz", {"weights": weights}))
        assert client.is_alive()  # a failed capture does not take the worker down
    assert final["type"] == "error" and final["kind"] == "internal"
    assert "RuntimeError" in final["message"] and final["log"] == str(log)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "fault injected" in text


def test_killed_worker_is_reported(tmp_path: Path, weights: str) -> None:
    client = WorkerClient(sys.executable, REPO, log_path=tmp_path / "w.log")
    client.start()
    client.wait_ready(60)
    job = "k1"  # a capture command sent as the add-on's runners send it (core/worker/runners.py): its id is tracked
    client.send({"cmd": "capture", "id": job, "video": str(CLIP),
                 "output": str(tmp_path / "k.npz"), "options": {"weights": weights}})
    client.wait_for(lambda m: m.get("id") == job and m.get("stage") == "detect", 60)
    os.kill(client.pid, 9)  # type: ignore[arg-type]
    seen: list[dict] = []
    deadline = time.monotonic() + 10
    while not client.exited and time.monotonic() < deadline:
        seen += client.poll()
        time.sleep(0.05)
    died = next(m for m in seen if m.get("type") == "error")
    assert died["id"] == job and died["kind"] == "worker_died" and "SIGKILL" in died["message"]
    assert client.exited and seen[-1]["type"] == "exited" and seen[-1]["returncode"] == -9
    assert not client.is_alive() and isinstance(client.log_tail(), str)
    with pytest.raises(WorkerError, match="not running"):
        client.capture("a.mp4", "b.npz")


def test_closing_stdin_stops_the_worker(tmp_path: Path) -> None:
    client = WorkerClient(sys.executable, REPO, log_path=tmp_path / "w.log")
    client.start()
    client.wait_ready(60)
    client._process.stdin.close()  # type: ignore[union-attr]  # what happens when Blender dies
    assert client._process.wait(5) == 0  # type: ignore[union-attr]


def test_client_reports_a_bad_python(tmp_path: Path) -> None:
    client = WorkerClient(tmp_path / "no-python", REPO)
    with pytest.raises(WorkerError, match="cannot start the worker"):
        client.start()
