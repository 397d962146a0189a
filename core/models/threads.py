"""CPU threading for inference: whole chunks per thread instead of every small operation split across threads.

PyTorch splits each operation across its intra-op threads and joins them at a barrier. For the many small
operations of per-target inference that join costs more than it saves, and on a busy machine a barrier waits for a
descheduled thread (a 256-element softmax measured 3 us with one thread, 8 ms with two under load). So the folded
sequence path runs independent runs of targets on ``torch.get_num_threads()`` Python threads (PyTorch releases the
GIL inside operations) with one intra-op thread each, and the streaming step runs on one thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch


@contextmanager
def single_intraop_thread() -> Iterator[int]:
    """Sets PyTorch's intra-op threads to 1 inside the block (restored after); yields the previous count.

    The setting is process-wide: do not run other PyTorch work concurrently that relies on intra-op threads.
    """
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield before
    finally:
        if before != 1:
            torch.set_num_threads(before)


def run_parallel(jobs: Iterable[Callable[[], None]], workers: int) -> None:
    """Runs independent no-grad jobs on ``workers`` threads, one intra-op thread each; re-raises the first error."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            job()
        return
    with single_intraop_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(_no_grad(job)) for job in jobs]:
            future.result()


def _no_grad(job: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        with torch.inference_mode():  # grad mode is thread-local: set it in the worker thread
            job()

    return run
