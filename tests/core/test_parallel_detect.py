"""core.parallel_detect: chunk plan by hand; the multi-process 2D equals one process away from the seams."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from repo import REPO_ROOT

from core.detect import MediaPipePoseDetector, detect_track
from core.errors import Cancelled
from core.parallel_detect import (
    COLD_START_FRAMES,
    HEAD_START_FRAMES,
    MIN_CHUNK_FRAMES,
    OVERLAP_FRAMES,
    detect_clip,
    plan_chunks,
)
from core.video import iter_frames

CLIP = REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4"  # committed: 100 frames, one person


def test_plan_chunks_by_hand() -> None:
    assert plan_chunks(0, 9, 4) == [(0, 9)]  # too short to split
    assert plan_chunks(0, 216, 1) == [(0, 216)]
    # 217 frames, 2 workers: the first chunk is HEAD_START_FRAMES (10) longer than the second
    assert HEAD_START_FRAMES == 10
    assert plan_chunks(0, 216, 2) == [(0, 113), (114, 216)]  # 114 and 103 frames: (217 - 10) / 2 = 103.5
    assert plan_chunks(0, 216, 2, head_start=22) == [(0, 119), (120, 216)]  # 22 + (217 - 22) / 2 = 119.5 → 120
    chunks = plan_chunks(10, 1009, 4)
    assert chunks[0][0] == 10 and chunks[-1][1] == 1009 and len(chunks) == 4
    assert all(b[0] == a[1] + 1 for a, b in zip(chunks, chunks[1:]))  # contiguous, no gaps, no overlap
    lengths = [b - a + 1 for a, b in chunks]
    assert lengths[0] - lengths[1] == pytest.approx(HEAD_START_FRAMES, abs=1)
    assert min(lengths) >= MIN_CHUNK_FRAMES


def test_two_processes_match_one_away_from_the_seam() -> None:
    one = MediaPipePoseDetector()
    try:
        ref = detect_track(iter_frames(CLIP), one)
    finally:
        one.close()
    seen: list[int] = []
    threads = cv2.getNumThreads()
    stats: dict = {}
    par = detect_clip(str(CLIP), 0, 99, workers=2, on_frame=seen.append, min_chunk=30, stats=stats)
    assert cv2.getNumThreads() == threads  # one OpenCV thread per process only while detecting (THREADS_EACH)
    np.testing.assert_array_equal(par.frame_indices, np.arange(100))
    np.testing.assert_allclose(par.times, ref.times)
    assert par.detected.all() and ref.detected.all()
    (seam,) = stats["detect_seams"]
    warm, cold = HEAD_START_FRAMES, HEAD_START_FRAMES + COLD_START_FRAMES  # the first chunk's head start
    assert seam in (round((100 - warm) / 2 + warm), round((100 - cold) / 2 + cold))  # warm helpers, or starting
    box = np.ptp(ref.xy[..., 1], axis=1).max()
    err = np.linalg.norm(par.xy - ref.xy, axis=-1).max(axis=1) / box  # per frame, worst joint, box heights
    assert np.all(err[:seam] < 1e-6)  # the first chunk is the same computation
    assert par.world.shape == (100, 17, 3)  # MediaPipe's own 3D comes back from the helpers too (core.fuse3d)
    np.testing.assert_allclose(par.world[:seam], ref.world[:seam], atol=1e-6)
    # after the seam, within the world landmarks' own frame-to-frame jitter (worst joint: median 3 cm, max 16 cm here)
    worst = np.abs(par.world[seam:] - ref.world[seam:]).max(axis=(1, 2))
    assert np.median(worst) < 0.05 and worst.max() < 0.15, worst.round(3)
    # after OVERLAP_FRAMES of warm-up the helper's tracker is within detector jitter of the single run
    assert np.median(err[seam:]) < 0.02 and err[seam:].max() < 0.06, (seam, OVERLAP_FRAMES, err[seam:].round(3))
    assert seen and seen[-1] == 100 and seen == sorted(seen)
    # the camera's motion is measured in every process; a helper's first kept frame against its last warm-up frame
    assert par.camera_shift.shape == (100, 2) and par.camera_shift[0].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(par.camera_shift, ref.camera_shift, atol=0.2)


def test_the_head_start_covers_helpers_still_starting() -> None:
    from concurrent.futures import wait

    from core import helper_pool

    helper_pool.release()  # fresh helpers, as in a new CLI process
    helper_pool.prewarm(2)
    stats: dict = {}
    detect_clip(str(CLIP), 0, 99, workers=2, min_chunk=30, stats=stats)  # at once: the helper is still importing
    assert COLD_START_FRAMES == 3
    assert stats["detect_seams"] == [56]  # round((100 - 13) / 2 + 13): COLD_START_FRAMES more for the first chunk
    wait(helper_pool.warming)
    assert helper_pool.is_warm()
    detect_clip(str(CLIP), 0, 99, workers=2, min_chunk=30, stats=stats)
    assert stats["detect_seams"] == [55]  # (100 - 10) / 2 + 10, warm helpers: HEAD_START_FRAMES (10) only


def test_cancel_stops_every_process() -> None:
    with pytest.raises(Cancelled):
        detect_clip(str(CLIP), 0, 99, workers=2, should_stop=lambda: True, min_chunk=30)
    # the pool is usable again right away
    track = detect_clip(str(CLIP), 0, 99, workers=2, min_chunk=30)
    assert len(track.frame_indices) == 100


def test_release_ends_the_helpers_and_a_later_capture_starts_new_ones() -> None:
    import time

    from core import helper_pool

    detect_clip(str(CLIP), 0, 99, workers=2, min_chunk=30)
    helpers = list(helper_pool.helpers(1)[0]._processes.values())
    assert helpers and all(h.is_alive() for h in helpers)
    helper_pool.release()
    deadline = time.monotonic() + 5.0
    while any(h.is_alive() for h in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(h.is_alive() for h in helpers)
    track = detect_clip(str(CLIP), 0, 99, workers=2, min_chunk=30)
    assert len(track.frame_indices) == 100


def test_helpers_end_when_their_parent_is_killed(tmp_path) -> None:  # noqa: ANN001
    """A killed worker must not leave its 2D helpers behind (they hold MediaPipe in memory)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from core import helper_pool\n"
        "if __name__ == '__main__':\n"
        "    ex = helper_pool.helpers(1)[0]\n"
        "    print(ex.submit(os.getpid).result(), flush=True)\n"
        "    import time; time.sleep(60)\n"
    )
    path = tmp_path / "parent.py"
    path.write_text(script)
    parent = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        helper = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(helper, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.kill(helper, signal.SIGKILL)
        raise AssertionError("the helper outlived its killed parent by 10 s")
    finally:
        parent.kill()


@pytest.mark.parametrize("prewarm", [False, True])
def test_a_script_without_a_main_guard_gets_a_clear_error(tmp_path, prewarm: bool) -> None:  # noqa: ANN001
    # Helpers are spawned: they re-import the calling script, which without `if __name__ == "__main__":` tries to
    # start helpers again and dies. The caller must get a CaptureError saying what to do, not BrokenProcessPool —
    # also when the pool broke before the capture (prewarm, as the CLI does), at the helpers' submission.
    import subprocess
    import sys

    script = tmp_path / "capture_script.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "from core.errors import CaptureError\n"
        "from core.helper_pool import prewarm\n"
        "from core.parallel_detect import detect_clip\n"
        + ("prewarm(2)\ntime.sleep(5)\n" if prewarm else "")
        + "try:\n"
        f"    detect_clip({str(CLIP)!r}, 0, 99, workers=2, min_chunk=30)\n"
        "    print('RESULT ok')\n"
        "except CaptureError as exc:\n"
        "    print('RESULT', exc.kind, '__main__' in str(exc))\n"
    )  # fmt: skip
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    results = [line for line in out.stdout.splitlines() if line.startswith("RESULT")]
    assert results[-1:] == ["RESULT detect_helpers_failed True"], (out.stdout[-2000:], out.stderr[-2000:])
