"""The real worker as a WorkerLink (operators/capture_runner.py), on top of core.worker_client.WorkerClient.

The client's reader thread never touches bpy. Liveness is judged by the client's final "exited" message, which the
reader queues only after the worker's stdout is drained: a result written just before the process exits is never
mistaken for a crash.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..core.worker.client import WorkerClient, WorkerError


class ClientWorkerLink:
    """Adapts a started WorkerClient to the runner's send/poll/is_alive/close/log_tail interface."""

    def __init__(self, client: WorkerClient) -> None:
        self.client = client
        self._exited = False

    def send(self, message: dict[str, Any]) -> None:
        try:
            if message.get("cmd") == "capture":  # through capture(): the client then reports a crash mid-capture
                self.client.capture(message["video"], message["output"], message.get("options"), job_id=message["id"])
            elif message.get("cmd") == "cancel":
                self.client.cancel(message["id"])
            else:
                self.client.send(message)
        except WorkerError:
            pass  # the worker is gone: poll() delivers its "exited" message and is_alive() turns False

    def poll(self) -> list[dict[str, Any]]:
        messages = self.client.poll()
        if any(m.get("type") == "exited" for m in messages):
            self._exited = True
        return messages

    def is_alive(self) -> bool:
        return not self._exited

    def close(self) -> None:
        self.client.shutdown()

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = Path(self.client.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_worker_link(python: Path, addon_root: Path, log_dir: Path) -> ClientWorkerLink:
    """Start `python -m core.worker` in addon_root, logging to a new file in log_dir."""
    log_dir.mkdir(parents=True, exist_ok=True)
    client = WorkerClient(python, addon_root, log_path=log_dir / f"worker_{time.strftime('%Y%m%d_%H%M%S')}.log")
    client.start()
    return ClientWorkerLink(client)
