"""The worker's capture job: one capture in a thread, with progress, cancellation and exactly one terminal message."""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import CaptureError
from ..options import CaptureOptions

CANCEL_GRACE_S = 0.8  # after this the main thread reports "cancelled" itself and abandons the busy thread


class CaptureJob:
    """One capture in a thread. Exactly one terminal message (result/error/cancelled) is sent, by whoever is first.

    ``send`` writes one protocol message (the worker's channel), ``log_path`` is named in error messages, and
    ``force_cpu`` turns the option ``device = "auto"`` into the CPU."""

    def __init__(self, send: Callable[..., None], job_id: str, command: dict[str, Any], *, log_path: str,
                 force_cpu: bool) -> None:  # fmt: skip
        self.send, self.id, self.command = send, job_id, command
        self.log_path, self.force_cpu = log_path, force_cpu
        self.cancel = threading.Event()
        self._done = threading.Lock()
        self.finished = False
        self.thread = threading.Thread(target=self._run, name=f"capture-{job_id}", daemon=True)

    def finish(self, **message: Any) -> bool:
        with self._done:  # sending under the lock: no progress message can follow the terminal one
            if self.finished:
                return False
            self.finished = True
            self.send(id=self.id, **message)
        return True

    def _progress(self, stage: str, done: int, total: int, fps: float) -> None:
        with self._done:
            if not self.finished:
                self.send(type="progress", id=self.id, stage=stage, done=done, total=total, fps=fps)

    def _run(self) -> None:
        try:
            from ..capture import run_capture

            video, output = self.command.get("video"), self.command.get("output")
            if not isinstance(video, str) or not isinstance(output, str):
                raise CaptureError("capture needs string fields 'video' and 'output'", kind="bad_command")
            options = CaptureOptions.from_dict(self.command.get("options"))
            if options.device == "auto" and self.force_cpu:
                options.device = "cpu"
            if os.environ.get("VIDEO_MOCAP_WORKER_FAULT") == "capture":  # test hook: an unexpected crash
                raise RuntimeError("fault injected by VIDEO_MOCAP_WORKER_FAULT")
            summary = run_capture(video, output, options, progress=self._progress, should_stop=self.cancel.is_set)
            self.finish(type="result", path=str(Path(output).resolve()), summary=summary)
        except CaptureError as exc:
            if exc.kind == "cancelled" or self.cancel.is_set():
                self.finish(type="cancelled")
            else:
                print(f"[worker] capture {self.id} failed ({exc.kind}): {exc}", file=sys.stderr)
                self.finish(type="error", kind=exc.kind, message=str(exc), log=self.log_path)
        except ImportError as exc:  # an incomplete worker environment, not a bug
            traceback.print_exc(file=sys.stderr)
            message = (f"The worker's Python cannot import {exc.name or exc}: install the dependencies again "
                       f"(add-on preferences) or choose a Python that has them.")  # fmt: skip
            self.finish(type="error", kind="environment", message=message, log=self.log_path)
        except BaseException as exc:  # anything else is a bug: full traceback to the log, short message to the user
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
            message = f"Unexpected {type(exc).__name__}: {exc}. Details are in the worker log."
            self.finish(type="error", kind="internal", message=message, log=self.log_path)
