"""core.lift.lift_timed: clips at any frame rate are lifted at the model's training rate (issue 17, point 5)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from core.gaps import resample_times
from core.lift import lift_timed


class RecordingLifter(torch.nn.Module):
    """receptive field 1: output = (x, y, 0) of the normalised input; remembers every input it was given."""

    receptive_field = 1
    causal_shift = 0

    def __init__(self, fps: float = 50.0) -> None:
        super().__init__()
        self.config = SimpleNamespace(fps=fps)
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # lift_sequence reads the device from a parameter
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.clone())
        return torch.cat([x, torch.zeros_like(x[..., :1])], dim=-1)


def _track(times: np.ndarray) -> np.ndarray:
    """(T, 17, 2) pixels: every joint moves right at 100 px/s from x = 200 + 10 j, y = 300."""
    xy = np.zeros((len(times), 17, 2), np.float32)
    xy[..., 0] = 200 + 10 * np.arange(17)[None] + 100.0 * times[:, None]
    xy[..., 1] = 300
    return xy


@pytest.mark.parametrize("fps", [5.0, 10.0, 24.0, 25.0, 30.0, 60.0])
def test_any_rate_is_lifted_at_50_fps_and_returned_per_frame(fps: float) -> None:
    times = np.arange(int(3 * fps) + 1) / fps  # 3 seconds
    xy = _track(times)
    model = RecordingLifter()
    # upright off: the test reads what the model saw
    out = lift_timed(model, xy, times, 1000, 1000, flip_tta=False, upright=False)
    assert out.shape == (len(times), 17, 3)
    seen = torch.cat([s[0] for s in model.seen]).numpy()  # (grid frames, 17, 2) normalised
    assert len(seen) == 151  # 3 s at 50 fps, both ends included
    # the model saw the motion at its own rate: 100 px/s = 2 px per 50-fps frame = 0.004 in normalised units
    np.testing.assert_allclose(np.diff(seen[:, 1:, 0], axis=0), 2.0 * 2 / 1000, atol=1e-5)
    # and every frame of the clip gets the pose of its own time back (exact for linear motion)
    expected = xy / 1000 * 2 - np.array([1, 1])
    np.testing.assert_allclose(out[:, 1:, :2], expected[:, 1:], atol=1e-5)
    np.testing.assert_array_equal(out[:, 0], 0.0)


@pytest.mark.parametrize("fps", [10.0, 60.0])
def test_progress_counts_the_clips_frames(fps: float) -> None:
    times = np.arange(int(3 * fps) + 1) / fps  # 151 grid frames at 50 fps; 31 or 181 clip frames
    reports: list[tuple[int, int]] = []
    lift_timed(RecordingLifter(), _track(times), times, 1000, 1000, flip_tta=False, upright=False, chunk=40,
               on_chunk=lambda done, total: reports.append((done, total)))  # fmt: skip
    assert len(reports) == 4  # one per chunk of 40 grid frames
    assert all(total == len(times) for _, total in reports)
    assert reports[-1][0] == len(times)  # ends at 100 %, not at 151 / 181 = 83 %
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def test_clips_at_the_model_rate_are_lifted_unchanged() -> None:
    times = np.arange(40) / 50.0
    model = RecordingLifter()
    lift_timed(model, _track(times), times, 1000, 1000, flip_tta=False, upright=False)
    assert sum(len(s[0]) for s in model.seen) == 40


def test_variable_frame_rate_uses_the_real_times() -> None:
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.uniform(0.02, 0.06, 60))
    xy = _track(times)
    out = lift_timed(RecordingLifter(), xy, times, 1000, 1000, flip_tta=False, upright=False)
    np.testing.assert_allclose(out[:, 1:, :2], (xy / 1000 * 2 - 1)[:, 1:], atol=1e-5)
    with pytest.raises(ValueError, match="increase"):
        lift_timed(RecordingLifter(), xy, times[::-1].copy(), 1000, 1000)
    with pytest.raises(ValueError, match="frame times"):
        lift_timed(RecordingLifter(), xy, times[:-1], 1000, 1000)


def test_resample_times_by_hand() -> None:
    v = np.array([[0.0], [10.0], [30.0]])
    out = resample_times(v, np.array([0.0, 1.0, 2.0]), np.array([-1.0, 0.5, 1.25, 2.0, 5.0]))
    np.testing.assert_allclose(out[:, 0], [0.0, 5.0, 15.0, 30.0, 30.0])
