"""The worker process: JSON lines on stdin/stdout (protocol in docs/capture.md); started by core/worker/__main__.py.

Options:
``--log PATH`` (or env VIDEO_MOCAP_WORKER_LOG; default a file in the temp folder) and ``--device cpu`` (or env
VIDEO_MOCAP_FORCE_CPU=1) to never use CUDA.

stdout carries protocol messages only: the real stdout is kept on a private file descriptor and file descriptors 1
and 2 are pointed at the log, so stray prints and native libraries' logging (MediaPipe/glog, TFLite) can never
corrupt the protocol. Captures run in a thread (core/worker/jobs.py); the main thread keeps reading commands, so
``cancel`` is answered within a second even while a stage is busy. Commands are dispatched through
``Worker.handlers`` (name → method); live mode's ``live``/``stop`` (core/live/session.py, docs/live.md) are
registered there and imported on first use.
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..blas_threads import one_blas_thread
from .jobs import CANCEL_GRACE_S, CaptureJob

PROTOCOL_VERSION = 1
DISTRIBUTIONS = ("numpy", "torch", "mediapipe", "opencv-python-headless", "opencv-python")


class Channel:
    """Thread-safe writer of one JSON object per line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, **message: Any) -> None:
        line = json.dumps(message, allow_nan=False, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class Worker:
    """Reads commands, dispatches them through ``handlers``, owns at most one running capture."""

    def __init__(self, channel: Channel, log_path: str, force_cpu: bool) -> None:
        self.channel, self.log_path, self.force_cpu = channel, log_path, force_cpu
        self.job: CaptureJob | None = None
        self.live: Any = None  # core.live.LiveController, created on the first live/stop command
        self.running = True
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "capture": self.on_capture,
            "cancel": self.on_cancel,
            "shutdown": self.on_shutdown,
            "live": lambda command: self._live().on_live(command),
            "stop": lambda command: self._live().on_stop(command),
        }

    def _live(self) -> Any:
        """Live mode (docs/live.md), imported on first use so capture-only workers start as fast as before."""
        if self.live is None:
            from ..live import LiveController

            self.live = LiveController(lambda message: self.channel.send(**message), log_path=self.log_path)
        return self.live

    def error(self, kind: str, message: str, job_id: str | None = None) -> None:
        self.channel.send(type="error", id=job_id, kind=kind, message=message, log=self.log_path)

    def busy(self) -> bool:
        return self.job is not None and not self.job.finished

    def on_capture(self, command: dict[str, Any]) -> None:
        job_id = str(command.get("id", ""))
        if not job_id:
            return self.error("bad_command", "capture needs an 'id'")
        if self.busy():
            return self.error("busy", f"capture {self.job.id} is still running; cancel it first", job_id)  # type: ignore[union-attr]
        self.job = CaptureJob(self.channel.send, job_id, command, log_path=self.log_path, force_cpu=self.force_cpu)
        self.job.thread.start()

    def on_cancel(self, command: dict[str, Any]) -> None:
        job = self.job
        if job is None or job.finished or (command.get("id") not in (None, job.id)):
            return  # nothing to cancel: cancel is idempotent, a late cancel is not an error
        job.cancel.set()
        job.thread.join(CANCEL_GRACE_S)
        # The thread checks the flag every frame / lift chunk; if it is stuck in one long call (an import, a model
        # load), report now and let it die at its next check — its late messages are suppressed by Job.finish.
        job.finish(type="cancelled")

    def on_shutdown(self, command: dict[str, Any]) -> None:
        self.running = False
        if self.busy():
            self.on_cancel({"id": self.job.id})  # type: ignore[union-attr]
        if self.live is not None:
            self.live.shutdown()

    def handle_line(self, line: str) -> None:
        try:
            command = json.loads(line)
        except json.JSONDecodeError as exc:
            return self.error("bad_command", f"not a JSON object: {exc}: {line[:200]!r}")
        if not isinstance(command, dict):
            return self.error("bad_command", f"a command must be a JSON object, got {line[:200]!r}")
        handler = self.handlers.get(command.get("cmd"))  # type: ignore[arg-type]
        if handler is None:
            return self.error("bad_command", f"unknown command {command.get('cmd')!r}; known: {sorted(self.handlers)}")
        try:
            handler(command)
        except Exception as exc:  # a handler bug must not kill the worker
            traceback.print_exc(file=sys.stderr)
            self.error("internal", f"{type(exc).__name__}: {exc}", command.get("id"))

    def serve(self, stdin: TextIO) -> None:
        for line in stdin:
            if line.strip():
                self.handle_line(line)
            if not self.running:
                break
        else:  # stdin closed: the add-on (or Blender) went away; stop any work
            self.on_shutdown({})


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "protocol": str(PROTOCOL_VERSION)}
    for dist in DISTRIBUTIONS:
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def detect_device(force_cpu: bool) -> str:
    """ "cuda" or "cpu". Importing torch takes ~1.5–2 s, so builds that cannot have CUDA are recognised without it:
    forced CPU, a "+cpu" wheel (torch's CPU-only builds carry that local version), macOS."""
    try:
        build = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        build = ""
    if force_cpu or build.endswith("+cpu") or sys.platform == "darwin":
        if importlib.util.find_spec("torch") is None:
            raise ImportError("torch is not installed in this Python environment")
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _warm_up() -> None:
    """Import the heavy modules in the background after "ready", and start the 2D helper processes, so the first
    capture does not wait for them."""
    try:
        from .. import helper_pool

        helper_pool.prewarm()  # first: the helpers' own imports overlap this process's
        from ..lazy_modules import import_mediapipe

        import_mediapipe()
        import torch  # noqa: F401

        from .. import capture, lift  # noqa: F401
    except Exception:
        traceback.print_exc(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    one_blas_thread()  # before anything imports NumPy (core.blas_threads)
    parser = argparse.ArgumentParser(prog="core.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", default=os.environ.get("VIDEO_MOCAP_WORKER_LOG"), help="log file (stderr)")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto", help="cpu: never use CUDA")
    args = parser.parse_args(argv)
    log_path = args.log or os.path.join(tempfile.gettempdir(), f"video_mocap_worker_{os.getpid()}.log")
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "a", encoding="utf-8", buffering=1)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    faulthandler.enable(log)  # segfaults in native code leave a Python stack in the log
    print(f"[worker] pid {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}", file=log)
    force_cpu = args.device == "cpu" or bool(os.environ.get("VIDEO_MOCAP_FORCE_CPU"))
    channel = Channel(protocol)
    worker = Worker(channel, log_path, force_cpu)
    try:
        device = detect_device(force_cpu)
    except Exception as exc:
        traceback.print_exc(file=log)
        channel.send(
            type="error",
            id=None,
            kind="environment",
            message=f"the worker environment is incomplete: {exc}",
            log=log_path,
        )
        return 1
    channel.send(type="ready", versions=versions(), device=device, pid=os.getpid(), log=log_path)
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    worker.serve(sys.stdin)
    job = worker.job
    if job is not None and not job.finished:
        job.thread.join(1.0)
    print("[worker] exit", file=log)
    log.flush()
    protocol.flush()
    # os._exit: native thread pools (TFLite, torch) can keep a normal interpreter exit waiting.
    os._exit(0)
