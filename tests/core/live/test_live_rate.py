"""core.live.rate.RateAdapter: live frames at any rate drive the causal lifter at its training rate, causally."""

from __future__ import annotations

import numpy as np
import pytest

from core.live.rate import RateAdapter


class Recorder:
    def __init__(self) -> None:
        self.inputs: list[np.ndarray] = []

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        self.inputs.append(xy.copy())
        return np.concatenate([xy, np.full((len(xy), 1), len(self.inputs), np.float32)], axis=1)


def _xy(t: float) -> np.ndarray:
    """(17, 2) a pose moving right at 1 unit/s."""
    xy = np.zeros((17, 2), np.float32)
    xy[:, 0] = t
    return xy


@pytest.mark.parametrize("fps", [5.0, 10.0, 24.0, 25.0, 30.0, 60.0])
def test_steps_come_at_50_fps_with_the_2d_of_their_own_time(fps: float) -> None:
    rec = Recorder()
    rate = RateAdapter(rec, 50.0)
    times = np.arange(int(2 * fps) + 1) / fps  # 2 s
    for t in times:
        out = rate.push(_xy(t), t)
        assert out[0, 0] <= t + 1e-6 and t - out[0, 0] < 0.02 + 1e-6  # the latest tick, at most 20 ms old
    seen = np.array([x[0, 0] for x in rec.inputs])
    np.testing.assert_allclose(seen, np.arange(101) / 50.0, atol=1e-5)  # one step per 20 ms, 2D of that instant
    assert rate.steps == 101


def test_frames_faster_than_the_model_hold_the_last_pose() -> None:
    rec = Recorder()
    rate = RateAdapter(rec, 50.0)
    a = rate.push(_xy(0.0), 0.0)
    b = rate.push(_xy(0.01), 0.01)  # 10 ms later: no 50 fps tick yet
    assert rate.steps == 1 and np.array_equal(a, b)


def test_a_stall_or_a_loop_restarts_the_clock_instead_of_replaying() -> None:
    rec = Recorder()
    rate = RateAdapter(rec, 50.0, max_gap_s=0.5)
    rate.push(_xy(0.0), 0.0)
    rate.push(_xy(3.0), 3.0)  # 3 s stall: one step at the new frame, not 150
    assert rate.steps == 2 and rec.inputs[-1][0, 0] == 3.0
    rate.push(_xy(0.0), 0.0)  # a looped file starts again
    assert rate.steps == 3 and rec.inputs[-1][0, 0] == 0.0
    with pytest.raises(ValueError):
        RateAdapter(rec, 0.0)
