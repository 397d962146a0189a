"""The add-on's jobs as plain objects (no bpy): a capture (``CaptureRunner``) and what it shares with a live session
(``WorkerJob``; core/worker/live_runner.py). Each starts a worker (``WorkerClient``), sends its command, follows the
messages (JSON-lines protocol in docs/capture.md). Tests drive them with a fake client (tests/addon_fakes.py).

The modal operator calls ``step()`` from a 0.1 s timer; ``execute()`` (background mode, tests) calls ``run()``, which
loops over the same ``step()``.

States: starting (worker launched, waiting for "ready") → running (capture sent) → done | failed | cancelled.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .client import WorkerClient, WorkerError

TERMINAL = ("done", "failed", "cancelled")


@dataclass
class CaptureRequest:
    """video: input path; output: .npz the worker writes; options: capture options (docs/capture.md)."""

    video: str
    output: str
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.video:
            raise ValueError("choose a video file first")
        if not self.output.endswith(".npz"):
            raise ValueError(f"the capture output must be an .npz file, got {self.output!r}")


@dataclass
class Progress:
    stage: str = "start"
    done: int = 0
    total: int = 0
    fps: float = 0.0

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


class WorkerJob:
    """What a capture (CaptureRunner) and a live session (live_runner.LiveRunner) share: one worker process,
    launched lazily inside ``step()`` and then watched for death and for a missed ``ready``; failures are recorded
    in ``error_kind``/``error``/``error_log``. Subclasses implement ``_end(state)``."""

    worker_label = "worker"  # how messages name the process
    state: str
    ready_timeout: float
    error_kind: str
    error: str
    error_log: str
    _worker: WorkerClient | None
    _start_worker: Callable[[], WorkerClient]
    _t_start: float

    def _ensure_worker(self) -> bool:
        """Launch the worker on the first step; False (the job has failed) when it cannot be started."""
        if self._worker is None:
            try:
                self._worker = self._start_worker()
            except (OSError, ValueError, RuntimeError) as exc:  # WorkerError is a RuntimeError
                self._fail("worker_start", f"could not start the {self.worker_label}: {exc}")
                return False
        return True

    def _watch_worker(self, now: float) -> str | None:
        """Fail the job if the worker died or missed its ready timeout; returns the new state, else None."""
        assert self._worker is not None
        if self._worker.exited:
            return self._fail("worker_died", f"the {self.worker_label} stopped unexpectedly", self._worker.log_tail())
        if self.state == "starting" and now - self._t_start > self.ready_timeout:
            return self._fail("worker_timeout", f"the {self.worker_label} was not ready after "
                              f"{self.ready_timeout:.0f} s", self._worker.log_tail())  # fmt: skip
        return None

    def _send(self, command: dict[str, Any]) -> None:
        try:
            self._worker.send(command)  # type: ignore[union-attr]
        except WorkerError:
            pass  # the worker is gone: poll() delivers its "exited" message and _watch_worker fails the job

    def _fail(self, kind: str, message: str, log: str = "") -> str:
        self.error_kind, self.error, self.error_log = kind, message, log
        return self._end("failed")

    def _end(self, state: str) -> str:
        raise NotImplementedError


class CaptureRunner(WorkerJob):
    """Drives one capture through a worker. Thread-free: everything happens inside step()."""

    worker_label = "capture worker"

    def __init__(
        self,
        start_worker: Callable[[], WorkerClient],
        request: CaptureRequest,
        *,
        ready_timeout: float = 300.0,
        cancel_grace: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start_worker = start_worker
        self.request = request
        self.job_id = uuid.uuid4().hex[:12]
        self.ready_timeout = ready_timeout
        self.cancel_grace = cancel_grace
        self._clock = clock
        self.state = "starting"
        self.progress = Progress()
        self.result_path: str | None = None
        self.error_kind = ""
        self.error = ""
        self.error_log = ""
        self.versions: dict[str, Any] = {}
        self.device = ""
        # Seconds spent per stage ("start" = worker launch until ready), for summaries and the demo.
        self.stage_seconds: dict[str, float] = {}
        self._worker: WorkerClient | None = None
        self._t_start = clock()
        self._t_stage = self._t_start
        self._cancel_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    @property
    def elapsed(self) -> float:
        return self._clock() - self._t_start

    def step(self) -> str:
        """Advance the job as far as possible without blocking; returns the state."""
        if self.finished:
            return self.state
        if not self._ensure_worker():
            return self.state
        for message in self._worker.poll():  # type: ignore[union-attr]
            self._handle(message)
            if self.finished:
                return self.state
        now = self._clock()
        if self._cancel_at is not None and now - self._cancel_at > self.cancel_grace:
            return self._end("cancelled")  # the worker did not confirm in time: shutdown() kills it
        return self._watch_worker(now) or self.state

    def cancel(self) -> None:
        """Ask the worker to stop; the state becomes "cancelled" once it confirms (or after cancel_grace)."""
        if self.finished or self._cancel_at is not None:
            return
        self._cancel_at = self._clock()
        if self._worker is None or self.state == "starting":
            self._end("cancelled")
            return
        self._send({"cmd": "cancel", "id": self.job_id})

    def abort(self) -> None:
        """Stop at once: close (and if need be kill) the worker without waiting for its confirmation."""
        if not self.finished:
            self._end("cancelled")

    def run(self, poll_interval: float = 0.05, on_step: Callable[[CaptureRunner], None] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> str:
        """Synchronous loop over step() (background mode and tests)."""
        while not self.finished:
            self.step()
            if on_step is not None:
                on_step(self)
            if not self.finished:
                sleep(poll_interval)
        return self.state

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if message.get("id") not in (None, self.job_id):
            return  # a message about another job (a previous, cancelled one)
        if kind == "ready" and self.state == "starting":
            self.versions = dict(message.get("versions", {}))
            self.device = str(message.get("device", ""))
            self._stage("load")  # until the first progress: imports and lifter loading
            self.state = "running"
            self._send({"cmd": "capture", "id": self.job_id, "video": self.request.video,
                        "output": self.request.output, "options": self.request.options})
        elif kind == "progress":
            stage = str(message.get("stage", ""))
            if stage != self.progress.stage:
                self._stage(stage)
            self.progress = Progress(stage, int(message.get("done", 0)), int(message.get("total", 0)),
                                     float(message.get("fps", 0.0)))
        elif kind == "result":
            self.result_path = str(message.get("path") or self.request.output)
            self._end("done")
        elif kind == "error":
            self._fail(str(message.get("kind", "error")), str(message.get("message", "capture failed")),
                       str(message.get("log", "")))
        elif kind == "cancelled":
            self._end("cancelled")

    def _stage(self, new_stage: str) -> None:
        self._close_stage()
        self.progress = Progress(new_stage)

    def _close_stage(self) -> None:
        now = self._clock()
        old = self.progress.stage
        self.stage_seconds[old] = self.stage_seconds.get(old, 0.0) + now - self._t_stage
        self._t_stage = now

    def _end(self, state: str) -> str:
        self._close_stage()
        self.state = state
        if self._worker is not None:
            self._worker.shutdown()
        return self.state
