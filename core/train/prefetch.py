"""Training batches drawn ahead of the model, in order, by one background thread or by worker processes.

Each batch depends only on (seed, epoch, step, rank) (:func:`draw`), so drawing several at once changes nothing in
the run: the same batches reach the model in the same order, whatever ``[run] data_workers`` is (tested). One
thread (``data_workers = 1``, the default) is enough on the 2-core development machine, where a training step of the
rf-243 model takes seconds; on a GPU the step takes milliseconds while drawing 128 windows of 250 frames takes
~0.3 s on one core (approximate, one machine: mostly the detector-noise model), so several processes keep it fed.

Worker processes are forked: they inherit the training data (hundreds of MB) without pickling it, and they only run
numpy, never torch or CUDA. :class:`BatchQueue` starts them as soon as it is built, so a caller that builds it
before moving the model to a GPU forks a process that has not touched CUDA yet.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from ..data.dataset import TrainingData

_WORKER_DATA: TrainingData | None = None  # set in each worker process by _init_worker


def step_seed(*parts: int) -> int:
    """A 63-bit seed derived from (seed, epoch, step, rank) through numpy's SeedSequence (well mixed)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(2, np.uint32).astype(np.uint64).dot([1 << 31, 1]))


def draw(
    data: TrainingData, seed: int, epoch: int, step: int, rank: int, batch: int
) -> tuple[int, np.ndarray, np.ndarray]:
    """The batch of (epoch, step) on this rank: (its seed, x (B, n + K - 1, J, 2), y (B, K, J, 3))."""
    s = step_seed(seed, epoch, step, rank)
    x, y = data.train.sample(np.random.default_rng(s), batch)
    return s, x, y


def _init_worker(data: TrainingData) -> None:
    global _WORKER_DATA
    _WORKER_DATA = data


def _draw_in_worker(seed: int, epoch: int, step: int, rank: int, batch: int) -> tuple[int, np.ndarray, np.ndarray]:
    assert _WORKER_DATA is not None, "worker process started without its training data"
    return draw(_WORKER_DATA, seed, epoch, step, rank, batch)


class BatchQueue:
    """The batches of positions (epoch, step) in training order, ``workers`` of them drawn ahead.

    ``get(epoch, step)`` returns that position's batch; positions before it that were drawn and not asked for (a
    budget stopped an epoch) are dropped. The queue runs ahead across epoch boundaries up to the last step of the
    last epoch, so a worker pool never waits at the start of an epoch.
    """

    def __init__(self, data: TrainingData, seed: int, rank: int, batch: int, workers: int, steps_per_epoch: int,
                 epochs: int) -> None:  # fmt: skip
        if workers < 1:
            raise ValueError(f"data_workers must be >= 1, got {workers}")
        self.data, self.seed, self.rank, self.batch = data, seed, rank, batch
        self.steps_per_epoch, self.epochs = steps_per_epoch, epochs
        self.ahead = workers
        self.pending: deque[tuple[tuple[int, int], Future]] = deque()
        self.pool: Executor
        if workers == 1:
            self.pool, self.local = ThreadPoolExecutor(max_workers=1), True
        else:
            # Windows has no fork; spawning would pickle hundreds of MB of data into every worker
            if "fork" not in multiprocessing.get_all_start_methods():
                raise ValueError("[run] data_workers > 1 needs the fork start method (Linux or macOS)")
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(data,))
            self.local = False
            self.pool.submit(int).result()  # forks every worker now (fork start: all at the first submission)

    def _next(self, position: tuple[int, int]) -> tuple[int, int] | None:
        epoch, step = position
        if step + 1 < self.steps_per_epoch:
            return epoch, step + 1
        return (epoch + 1, 0) if epoch + 1 < self.epochs else None

    def _submit(self, position: tuple[int, int]) -> None:
        epoch, step = position
        if self.local:
            future = self.pool.submit(draw, self.data, self.seed, epoch, step, self.rank, self.batch)
        else:
            future = self.pool.submit(_draw_in_worker, self.seed, epoch, step, self.rank, self.batch)
        self.pending.append((position, future))

    def get(self, epoch: int, step: int) -> tuple[int, np.ndarray, np.ndarray]:
        """(seed, x, y) of position (epoch, step), as :func:`draw` returns it."""
        while self.pending and self.pending[0][0] != (epoch, step):
            self.pending.popleft()[1].cancel()
        if not self.pending:
            self._submit((epoch, step))
        last: tuple[int, int] | None = self.pending[-1][0]
        while len(self.pending) <= self.ahead and last is not None:
            last = self._next(last)
            if last is not None:
                self._submit(last)
        return self.pending.popleft()[1].result()

    def close(self) -> None:
        for _, future in self.pending:
            future.cancel()
        self.pending.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)
