"""The 2D helper processes' pool: started, warmed, handed to a capture and ended (``core.parallel_detect`` detects
with it).

This module imports nothing heavy (no NumPy, OpenCV or MediaPipe), so a caller can start the helpers first thing: the
CLI does before it imports the capture pipeline (≈ 0.15 s on the 2-core machine), and the helpers' own start-up — a
fresh Python importing NumPy, OpenCV and MediaPipe and building its graph, ≈ 0.3 s — overlaps those imports instead of
following them (``core.parallel_detect.COLD_START_FRAMES`` is the head start still left to make up).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

# OpenCV and FFmpeg threads per detecting process once every core has its own process: their hand-offs then only
# cost CPU (approximate, one machine: one 720p frame's background motion ≈ 1.8 ms of CPU with one thread, ≈ 2.9 ms
# with two; FFmpeg decoding likewise, core.video.iter_frames; core.parallel_detect reads it too).
THREADS_EACH = 1

_pool: tuple[ProcessPoolExecutor, Any, Any, int] | None = None  # (executor, progress queue, cancel event, size)
_pool_lock = threading.Lock()
pending: list[Future] = []  # the helper jobs of the last capture
warming: list[Future] = []  # prewarm's jobs: done once every helper has imported MediaPipe
# In a helper: the progress queue (frames kept so far, in steps) and the cancel event, from the initializer.
progress: Any = None
cancel: Any = None


def default_workers() -> int:
    """Processes to detect with: the machine's cores (at most 8)."""
    return max(1, min(os.cpu_count() or 1, 8))


def prewarm(workers: int | None = None) -> None:
    """Start the helper processes now (MediaPipe imported and its graph built once), e.g. while the lifter loads."""
    workers = default_workers() if workers is None else workers
    if workers > 1:
        executor = helpers(workers - 1)[0]
        warming[:] = [executor.submit(_warm) for _ in range(workers - 1)]


def is_warm() -> bool:
    """Whether every helper of the last :func:`prewarm` has MediaPipe loaded."""
    return bool(warming) and all(f.done() for f in warming)


def helpers(size: int) -> tuple[ProcessPoolExecutor, Any, Any, int]:
    """The helper pool, created on first use (spawned: forking a process that runs torch threads can deadlock)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[3] < size:
            if _pool is not None:
                _pool[0].shutdown(wait=False, cancel_futures=True)
            ctx = mp.get_context("spawn")
            queue, event = ctx.Queue(), ctx.Event()
            executor = ProcessPoolExecutor(size, mp_context=ctx, initializer=_init_helper,
                                           initargs=(queue, event, os.getpid()))  # fmt: skip
            _pool = (executor, queue, event, size)
            warming.clear()  # new helpers: cold until a prewarm of theirs is done
        return _pool


def release() -> None:
    """End the helper processes now, without waiting for them: for a process that has its result and is leaving
    (the CLI). Joining idle helpers at exit, each unloading MediaPipe, took ≈ 0.5 s on the 2-core machine.

    The pool's manager thread is waited for (it ends within milliseconds once its processes are gone): it drops the
    pool's queues as it ends, and their named semaphores are unlinked and unregistered from multiprocessing's
    resource tracker in that thread. A process that left in between (``os._exit``, as the CLI does) had unlinked a
    semaphore without unregistering it, and the tracker reported it as leaked (a rare failure of
    tests/core/test_capture_e2e.py::test_cli_errors_are_one_clear_line)."""
    processes, manager = forget()
    for process in processes:
        process.kill()
    for process in processes:
        process.join(1.0)
    if manager is not None:
        manager.join(2.0)


def forget() -> tuple[list[Any], Any]:
    """Drop the pool (broken, or no longer wanted), so the next capture starts fresh helpers; returns its processes
    (no longer waited for) and its manager thread (None if it had none)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    pending.clear()
    warming.clear()
    if pool is None:
        return [], None
    # private to CPython's pool, but the only handles on them
    processes = list((pool[0]._processes or {}).values())
    manager = getattr(pool[0], "_executor_manager_thread", None)
    pool[0].shutdown(wait=False, cancel_futures=True)
    return processes, manager


def _init_helper(queue: Any, event: Any, parent: int) -> None:
    import cv2

    global progress, cancel
    progress, cancel = queue, event
    cv2.setNumThreads(THREADS_EACH)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this helper when its parent is gone: a killed worker (or CLI) would otherwise leave it waiting forever
    for work (it holds both ends of its task pipe, so it never sees end-of-file) with MediaPipe in memory."""
    while os.getppid() == parent:
        time.sleep(0.1)  # a CLI that has written its result exits at once: its helpers follow within 0.1 s
    os._exit(0)


def _warm() -> int:
    from .detect import MediaPipePoseDetector

    MediaPipePoseDetector().close()
    return os.getpid()
