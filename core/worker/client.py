"""Client side of the worker protocol, for the Blender add-on (and tests, the CLI, benchmarks).

Standard library only (no numpy/torch/mediapipe): it runs inside Blender's UI process. A reader thread turns the
worker's stdout into dicts on a queue; ``poll()`` drains it without blocking, so a modal operator can call it from
a 0.1 s timer. When the worker process dies (killed, crashed in native code, out of memory), the reader synthesises
``{"type": "error", "kind": "worker_died", ...}`` for the running capture and a final ``{"type": "exited"}``.

Typical use::

    client = WorkerClient(python_exe, addon_root, log_path=log)
    client.start()
    ...poll() until a "ready" message (or client.wait_ready(timeout=30))
    job = client.capture(video, out_npz, {"height": 1.8})
    ...poll(): progress / result / error / cancelled messages with "id" == job
    client.cancel(job); client.shutdown()
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class WorkerError(RuntimeError):
    """The worker could not be started or is not running."""


class WorkerClient:
    """Starts ``python -m core.worker`` (cwd = add-on root) and exchanges JSON lines with it.

    Args:
        python: the Python executable of the worker environment (must have torch, mediapipe, OpenCV, numpy).
        addon_root: the folder that contains ``core/`` (default: this file's parent's parent).
        log_path: worker log (stderr + tracebacks); default a new file in the temp folder.
        force_cpu: start the worker with ``--device cpu``.
        env: extra environment variables for the worker.
    """

    def __init__(
        self,
        python: str | os.PathLike[str] = sys.executable,
        addon_root: str | os.PathLike[str] | None = None,
        *,
        log_path: str | os.PathLike[str] | None = None,
        force_cpu: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.python = str(python)
        self.addon_root = Path(addon_root) if addon_root is not None else Path(__file__).resolve().parent.parent
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="video_mocap_worker_", suffix=".log")
            os.close(fd)
        self.log_path = str(log_path)
        self.force_cpu = force_cpu
        self.env = dict(env or {})
        self.ready: Message | None = None  # the "ready" message once received
        self.active: set[str] = set()  # capture ids without a terminal message yet
        # True once poll() has handed out the final "exited" message. The reader queues it only after the worker's
        # stdout is drained, so a result written just before the process exits is never mistaken for a crash.
        self.exited = False
        self._process: subprocess.Popen[bytes] | None = None
        self._messages: queue.Queue[Message] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    # --- process ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker process (returns at once; "ready" arrives through poll())."""
        if self.is_alive():
            return
        command = [self.python, "-u", "-m", "core.worker", "--log", self.log_path]
        if self.force_cpu:
            command += ["--device", "cpu"]
        env = {**os.environ, **self.env, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONHOME", None)  # Blender sets it for its own Python; it would break another interpreter
        env.pop("PYTHONPATH", None)
        log = open(self.log_path, "ab")
        try:
            self._process = subprocess.Popen(
                command, cwd=str(self.addon_root), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )  # fmt: skip
        except OSError as exc:
            raise WorkerError(f"cannot start the worker with {self.python!r}: {exc}") from exc
        finally:
            log.close()  # the child holds its own handle
        self._reader = threading.Thread(target=self._read, args=(self._process,), name="worker-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                message = {"type": "log", "line": line}
            if not isinstance(message, dict):
                message = {"type": "log", "line": line}
            self._track(message)
            self._messages.put(message)
        code = process.wait()
        with self._lock:
            orphans = sorted(self.active)
            self.active.clear()
        why = _describe_exit(code)
        for job in orphans:  # a capture was running: the add-on must learn it failed, not wait forever
            self._messages.put({
                "type": "error", "id": job, "kind": "worker_died", "log": self.log_path,
                "message": f"The capture worker stopped unexpectedly ({why}) during the capture. See {self.log_path}.",
            })  # fmt: skip
        self._messages.put({"type": "exited", "returncode": code, "message": why, "log": self.log_path})

    def _track(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "ready":
            self.ready = message
        elif kind in ("result", "error", "cancelled"):
            with self._lock:
                self.active.discard(message.get("id"))  # type: ignore[arg-type]

    # --- commands -----------------------------------------------------------------------------------------------
    def send(self, command: Message) -> None:
        """Send one command object; raises WorkerError when the worker is not running. A ``capture`` command's id is
        tracked, so a worker that dies during the capture yields a ``worker_died`` error for it."""
        capture_id = command.get("id") if command.get("cmd") == "capture" else None
        if capture_id is not None:
            with self._lock:
                self.active.add(capture_id)
        try:
            self._write(command)
        except WorkerError:
            if capture_id is not None:
                with self._lock:
                    self.active.discard(capture_id)
            raise

    def _write(self, command: Message) -> None:
        process = self._process
        if process is None or process.stdin is None or process.poll() is not None:
            raise WorkerError("the capture worker is not running")
        try:
            process.stdin.write((json.dumps(command) + "\n").encode("utf-8"))
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(f"the capture worker is not reachable: {exc}") from exc

    def capture(
        self, video: str | os.PathLike[str], output: str | os.PathLike[str], options: Message | None = None,
        job_id: str | None = None,
    ) -> str:  # fmt: skip
        """Start a capture; returns its id (messages for it carry ``"id": id``)."""
        job = job_id or f"capture-{os.getpid()}-{next(self._ids)}"
        self.send({"cmd": "capture", "id": job, "video": str(video), "output": str(output), "options": options or {}})
        return job

    def cancel(self, job_id: str) -> None:
        if self.is_alive():
            self.send({"cmd": "cancel", "id": job_id})

    # --- messages -----------------------------------------------------------------------------------------------
    def poll(self) -> list[Message]:
        """All messages received since the last call (never blocks)."""
        out: list[Message] = []
        while True:
            try:
                out.append(self._messages.get_nowait())
            except queue.Empty:
                return out
            if out[-1].get("type") == "exited":
                self.exited = True

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the worker's log (for error reports)."""
        try:
            text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(
        self, predicate: Callable[[Message], bool], timeout: float, collect: list[Message] | None = None
    ) -> Message:
        """Block until a message satisfies ``predicate`` (for scripts and tests; Blender should poll()).

        Every message seen is appended to ``collect`` if given. Raises TimeoutError, or WorkerError when the worker
        exits first.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching worker message within {timeout} s (log: {self.log_path})")
            try:
                message = self._messages.get(timeout=min(remaining, 0.1))
            except queue.Empty:
                continue
            if collect is not None:
                collect.append(message)
            if predicate(message):
                return message
            if message.get("type") == "exited":
                raise WorkerError(f"the worker exited: {message.get('message')} (log: {self.log_path})")

    def wait_ready(self, timeout: float = 60.0) -> Message:
        """Block until "ready" (or an error before it)."""
        if self.ready is not None:
            return self.ready
        message = self.wait_for(lambda m: m.get("type") in ("ready", "error"), timeout)
        if message.get("type") == "error":
            raise WorkerError(f"the worker failed to start: {message.get('message')} (log: {self.log_path})")
        return message

    # --- shutdown -----------------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 3.0) -> int | None:
        """Ask the worker to stop (cancelling a running capture); kill it if it does not exit in ``timeout``."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            try:
                self.send({"cmd": "shutdown"})
                process.stdin.close()  # type: ignore[union-attr]
            except (WorkerError, OSError):
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5.0)
        if self._reader is not None:
            self._reader.join(2.0)
        return process.returncode

    def kill(self) -> None:
        """Kill the worker at once (the reader then reports ``worker_died`` for a running capture)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def __enter__(self) -> WorkerClient:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _describe_exit(code: int) -> str:
    if code < 0:
        import signal

        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
