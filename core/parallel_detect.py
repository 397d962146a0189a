"""2D detection on all cores: the clip cut into contiguous chunks, each detected by its own MediaPipe in a process.

MediaPipe Pose keeps one core busy (CPU/wall ≈ 1.03 measured on the development machine) and does not release the
GIL enough for threads to help, so the parallelism is processes: this process detects the first chunk while
``workers - 1`` helper processes (``core.helper_pool``: spawned, kept alive and warm between captures) detect the
others, each decoding its own part of the file. A helper starts its chunk ``overlap`` frames early and drops those
frames: the tracker and MediaPipe's landmark smoothing settle on them, so the seam frames match what one process
would give up to the detector's own frame-to-frame jitter (``bench/capture_cli.py`` measures the difference).
Everything that needs the whole clip — gap filling, the left/right repair — runs on the merged track afterwards
(``clean_track``).

The first chunk is longer than the others by the helpers' warm-up frames (``HEAD_START_FRAMES``), so all finish
together when the helpers are warm (``core.helper_pool.prewarm``, called by the CLI and the worker at start-up,
while the lifter loads), and by ``COLD_START_FRAMES`` more while they are still starting (the CLI's first and only
capture). One core, one short clip, or a caller's own detector: one process, exactly as before.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import helper_pool
from .detect import MediaPipePoseDetector, Track2D, detect_track
from .errors import Cancelled, CaptureError
from .others import OtherPeople
from .video import iter_frames

# Warm-up frames a helper detects and drops before its chunk: the tracker's first frame runs the person detector and
# MediaPipe's landmark smoothing settles within a few frames (bench/capture_cli.py compares the seams with one process).
OVERLAP_FRAMES = 10
HEAD_START_FRAMES = OVERLAP_FRAMES  # a warm helper spends that many frames on warm-up: the first chunk is that longer
# A helper still starting (its own Python, NumPy, OpenCV and MediaPipe imports; started by the CLI before it imports
# the pipeline, core.helper_pool) begins its chunk ≈ 0.15 s after this process begins its own on the 2-core machine,
# and then detects a little faster per frame (this one also loads the lifter and reports progress): about this many
# frames more for the first chunk (approximate, one machine: the summary's timings give detect_finish_gap_s, the last
# helper's finish minus this process's; over 6 CLI captures of the 7 s 720p clip it was −0.13…−0.01 s with 4 frames
# before the CLI set one BLAS thread, +0.03…+0.12 s with 2 frames after, −0.06…+0.003 s in 3 runs with 3).
COLD_START_FRAMES = 3
MIN_CHUNK_FRAMES = 60  # below this a chunk costs more in warm-up than it saves
# Frames a detecting process decodes ahead in a thread (core.video.iter_frames) once every core has its own process:
# none, decoding in turn with detection. A decoding thread only helps where a core would otherwise idle; here it
# competes with the other process (CLI capture of the 7 s 720p clip ≈ 3 % faster without, approximate, one machine).
PREFETCH_EACH = 0


def plan_chunks(start: int, end: int, workers: int, min_chunk: int = MIN_CHUNK_FRAMES,
                head_start: int = HEAD_START_FRAMES) -> list[tuple[int, int]]:  # fmt: skip
    """Contiguous (first, last) frame ranges covering ``start..end``; the first one ``head_start`` frames longer.

    Fewer chunks when the clip is short: none of the others shorter than ``min_chunk``.
    """
    total = end - start + 1
    n = max(1, min(workers, (total - head_start) // max(1, min_chunk)))
    if n == 1:
        return [(start, end)]
    rest = (total - head_start) / n  # the other chunks' length
    bounds = [start] + [round(start + head_start + rest * k) for k in range(1, n)] + [end + 1]
    return [(a, b - 1) for a, b in zip(bounds[:-1], bounds[1:])]


def detect_clip(
    video: str,
    start: int,
    end: int,
    *,
    workers: int,
    on_frame: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    min_chunk: int = MIN_CHUNK_FRAMES,
    hands: bool = False,
    stats: dict[str, Any] | None = None,
) -> Track2D:
    """MediaPipe 2D of frames ``start..end`` (inclusive), in ``workers`` processes; same result type and progress
    and cancel contract as :func:`core.detect.detect_track` (``on_frame(n)`` with the frames done so far).
    ``hands``: MediaPipe Hands too, on every frame, in the same processes (``core.hands.detect``). ``stats``, when
    given, receives ``detect_seams``: the first frame of each helper's chunk (none when one process did all), and
    ``detect_finish_gap_s``: when the last helper finished minus when this process did (seconds)."""
    cold = not helper_pool.is_warm()  # helpers not started, or still importing
    chunks = plan_chunks(start, end, workers, min_chunk, HEAD_START_FRAMES + (COLD_START_FRAMES if cold else 0))
    if stats is not None:
        stats["detect_seams"] = [a for a, _ in chunks[1:]]
    if len(chunks) == 1:
        detector, hand_detector, others = MediaPipePoseDetector(), _hands_detector(hands), OtherPeople()
        try:
            return detect_track(iter_frames(video, start, end), detector, on_frame=on_frame, should_stop=should_stop,
                                hands=hand_detector, others=others)  # fmt: skip
        finally:
            _close(detector, hand_detector, others)
    executor, progress, cancel, _ = helper_pool.helpers(len(chunks) - 1)
    # helpers of a cancelled capture stop within a frame of starting; never share them
    wait(helper_pool.pending, timeout=30)
    cancel.clear()
    _drain(progress)
    done = {"own": 0, "helpers": 0}

    def report(n: int) -> None:
        done["own"] = n
        done["helpers"] += _drain(progress)
        if on_frame is not None:
            on_frame(done["own"] + done["helpers"])

    detector = hand_detector = others = None
    try:
        helper_pool.pending[:] = futures = [
            executor.submit(_detect_chunk, str(video), max(start, a - OVERLAP_FRAMES), a, b, hands)
            for a, b in chunks[1:]
        ]
        finished: list[float] = []  # when each helper's result arrived (the pool's manager thread records it)
        for future in futures:
            future.add_done_callback(lambda _f: finished.append(time.perf_counter()))
        detector, hand_detector, others = MediaPipePoseDetector(), _hands_detector(hands), OtherPeople()
        with _opencv_threads(helper_pool.THREADS_EACH):
            frames = iter_frames(video, *chunks[0], threads=helper_pool.THREADS_EACH, prefetch=PREFETCH_EACH)
            parts = [detect_track(frames, detector, on_frame=report, should_stop=should_stop, hands=hand_detector,
                                  others=others)]  # fmt: skip
        own_done = time.perf_counter()
        parts += [_wait(f, report, done, should_stop, cancel) for f in futures]
        if stats is not None:  # > 0: this process waited for the helpers; < 0: they idled (tunes COLD_START_FRAMES)
            # a callback may not have run yet when its result is back: then it finished just now
            last = max(finished) if len(finished) == len(futures) else time.perf_counter()
            stats["detect_finish_gap_s"] = round(last - own_done, 3)
    except BrokenProcessPool as exc:
        helper_pool.forget()
        raise CaptureError(
            "The 2D helper processes stopped before finishing. From a Python script, call run_capture under "
            "'if __name__ == \"__main__\":' (helpers are started with 'spawn' and re-import the script), or set "
            "detect_workers=1 to detect in this process only.", kind="detect_helpers_failed",
        ) from exc  # fmt: skip
    except BaseException:
        cancel.set()  # the helpers stop at their next frame; the next capture waits for that (pending)
        raise
    finally:
        _close(detector, hand_detector, others)
    merged = _merge(parts)
    if on_frame is not None:  # helpers' last progress messages may still be in flight: the count is known now
        on_frame(len(merged.frame_indices))
    return merged


@contextmanager
def _opencv_threads(n: int) -> Iterator[None]:
    """OpenCV's own thread count set to ``n`` for the block (process-wide), then restored."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(n)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _hands_detector(on: bool) -> Any:
    if not on:
        return None
    from .hands.detect import MediaPipeHandsDetector

    return MediaPipeHandsDetector()


def _close(*detectors: Any) -> None:
    for detector in detectors:
        if detector is not None:
            detector.close()


def _wait(future: Future, report: Callable[[int], None], done: dict[str, int],
          should_stop: Callable[[], bool] | None, cancel: Any) -> Track2D:  # fmt: skip
    while True:
        try:
            return Track2D.from_arrays(future.result(timeout=0.1))
        except TimeoutError:
            if should_stop is not None and should_stop():
                cancel.set()
                raise Cancelled("Capture cancelled during 2D detection.") from None
            report(done["own"])


def _merge(parts: list[Track2D]) -> Track2D:
    arrays = [p.arrays() for p in parts]
    return Track2D.from_arrays({k: np.concatenate([a[k] for a in arrays]) for k in arrays[0]})


def _drain(progress: Any) -> int:
    total = 0
    while True:
        try:
            total += progress.get_nowait()
        except queue.Empty:
            return total


def _detect_chunk(video: str, first: int, keep_from: int, last: int, hands: bool = False) -> dict[str, np.ndarray]:
    """In a helper: detect ``first..last``, keep ``keep_from..last`` (the earlier frames only warm the tracker)."""
    reported = 0

    def on_frame(n: int) -> None:
        nonlocal reported
        kept = max(0, n - (keep_from - first))
        if kept - reported >= 10 or n == last - first + 1:
            helper_pool.progress.put(kept - reported)
            reported = kept

    detector, hand_detector, others = MediaPipePoseDetector(), _hands_detector(hands), OtherPeople()
    try:
        frames = iter_frames(video, first, last, threads=helper_pool.THREADS_EACH, prefetch=PREFETCH_EACH)
        track = detect_track(frames, detector, on_frame=on_frame, should_stop=helper_pool.cancel.is_set,
                             hands=hand_detector, others=others)  # fmt: skip
    finally:
        _close(detector, hand_detector, others)
    keep = track.frame_indices >= keep_from
    return {k: v[keep] for k, v in track.arrays().items()}
