"""The worker's log files in the add-on's logs folder: one per worker start, only the newest KEEP kept.

Each start of the worker (a capture, live mode) writes its stderr and tracebacks to a new file (``client.py``), which
the error messages name. Without a bound they would pile up in the user's folder, one per Blender session and more;
the oldest are deleted when a new one is made. A file that cannot be deleted (still open on Windows by a worker that
runs) is left for next time.
"""

from __future__ import annotations

import time
from pathlib import Path

KEEP = 20
PREFIX, SUFFIX = "worker_", ".log"


def new_log_path(folder: Path, now: float | None = None, keep: int = KEEP) -> Path:
    """The path for a new worker log in ``folder`` (``worker_YYYYmmdd_HHMMSS.log``; ``_2``, ``_3``… if taken), after
    deleting all but the newest ``keep - 1`` logs there (newest by name: the names sort by time)."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(now))
    old = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    for path in old[: max(0, len(old) - (keep - 1))]:
        try:
            path.unlink()
        except OSError:
            pass  # in use: next time
    path, n = folder / f"{PREFIX}{stamp}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = folder / f"{PREFIX}{stamp}_{n}{SUFFIX}"
    return path
