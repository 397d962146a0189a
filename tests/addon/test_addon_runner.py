"""The capture job logic without an event loop: CaptureRunner.step() against a scripted fake worker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from addon_fakes import FakeWorker, enable_addon
from addon_synth import synthetic_joints


@pytest.fixture(scope="module")
def runner_mod():  # noqa: ANN201 - the module
    enable_addon()
    from video_mocap.core.worker import runners

    return runners


def _request(runner_mod, tmp_path: Path):  # noqa: ANN001, ANN202
    return runner_mod.CaptureRequest("clip.mp4", str(tmp_path / "out.npz"), {"height": 1.8})


def test_happy_path_reports_progress_and_result(runner_mod, tmp_path: Path) -> None:
    worker = FakeWorker("ok", synthetic_joints(20))
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path))
    seen = []
    assert runner.run(poll_interval=0, on_step=lambda r: seen.append((r.state, r.progress.stage))) == "done"
    capture = next(m for m in worker.sent if m["cmd"] == "capture")
    assert capture["id"] == runner.job_id and capture["options"] == {"height": 1.8}
    assert ("running", "detect") in seen and ("running", "lift") in seen
    assert runner.result_path == str(tmp_path / "out.npz") and Path(runner.result_path).is_file()
    assert runner.device == "cpu" and runner.versions == {"torch": "fake"}
    assert {"decode", "detect", "lift"} <= set(runner.stage_seconds)
    assert worker.closed


def test_worker_error_is_reported_with_kind_and_log(runner_mod, tmp_path: Path) -> None:
    worker = FakeWorker("error")
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path))
    assert runner.run(poll_interval=0) == "failed"
    assert (runner.error_kind, runner.error, runner.error_log) == ("no_person", "nobody in the video",
                                                                   "/tmp/worker.log")
    assert worker.closed


def test_cancel_sends_cancel_and_ends_cancelled(runner_mod, tmp_path: Path) -> None:
    worker = FakeWorker("slow")
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path))
    for _ in range(4):
        runner.step()
    assert runner.state == "running"
    runner.cancel()
    assert {"cmd": "cancel", "id": runner.job_id} in worker.sent
    assert runner.run(poll_interval=0) == "cancelled" and worker.closed


def test_cancel_gives_up_waiting_after_the_grace_time(runner_mod, tmp_path: Path) -> None:
    clock = [0.0]
    worker = FakeWorker("slow")
    worker.send = lambda message: worker.sent.append(message)  # never confirms a cancel
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path), cancel_grace=2.0,
                                      clock=lambda: clock[0])
    runner.step()
    runner.cancel()
    assert runner.step() == "running"
    clock[0] = 2.5
    assert runner.step() == "cancelled" and worker.closed


def test_abort_closes_the_worker_at_once(runner_mod, tmp_path: Path) -> None:
    worker = FakeWorker("slow")
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path))
    runner.step()
    runner.step()
    runner.abort()
    assert runner.state == "cancelled" and worker.closed
    assert not any(m["cmd"] == "cancel" for m in worker.sent)


def test_dead_worker_fails_with_its_log(runner_mod, tmp_path: Path) -> None:
    runner = runner_mod.CaptureRunner(lambda: FakeWorker("die"), _request(runner_mod, tmp_path))
    assert runner.run(poll_interval=0) == "failed"
    assert runner.error_kind == "worker_died" and runner.error_log == "fake log tail"


def test_ready_timeout_and_start_failure(runner_mod, tmp_path: Path) -> None:
    clock = [0.0]
    runner = runner_mod.CaptureRunner(lambda: FakeWorker("silent"), _request(runner_mod, tmp_path),
                                      ready_timeout=10.0, clock=lambda: clock[0])
    assert runner.step() == "starting"
    clock[0] = 11.0
    assert runner.step() == "failed" and runner.error_kind == "worker_timeout"

    def broken() -> FakeWorker:
        raise OSError("no such python")

    runner = runner_mod.CaptureRunner(broken, _request(runner_mod, tmp_path))
    assert runner.step() == "failed" and "no such python" in runner.error


def test_messages_for_other_jobs_are_ignored(runner_mod, tmp_path: Path) -> None:
    worker = FakeWorker("ok", synthetic_joints(10))
    worker._queue.insert(1, {"type": "result", "id": "stale-job", "path": "/nowhere.npz"})
    runner = runner_mod.CaptureRunner(lambda: worker, _request(runner_mod, tmp_path))
    assert runner.run(poll_interval=0) == "done" and runner.result_path != "/nowhere.npz"


def test_request_validation(runner_mod) -> None:
    with pytest.raises(ValueError, match="video"):
        runner_mod.CaptureRequest("", "x.npz")
    with pytest.raises(ValueError, match="npz"):
        runner_mod.CaptureRequest("a.mp4", "x.json")
    assert np.isclose(runner_mod.Progress("lift", 5, 10).fraction, 0.5)
