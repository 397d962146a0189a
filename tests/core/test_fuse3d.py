"""core.fuse3d: MediaPipe's per-frame weight with its ramps, and the average, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from core.fuse3d import SMOOTH_S, LiveFusion, fuse, mediapipe_weights, smooth_over_time, smoothing_s


def test_weights_ramp_to_zero_around_unusable_frames() -> None:
    times = np.arange(10) * 0.1  # 10 fps
    usable = np.array([True, True, True, True, True, False, True, True, True, True])
    w = mediapipe_weights(usable, times, 0.5, ramp_s=0.3)
    # distance to frame 5 in s: 0.5 0.4 0.3 0.2 0.1 0 0.1 0.2 0.3 0.4 → 0.5 · min(1, d / 0.3)
    np.testing.assert_allclose(w, 0.5 * np.minimum(1.0, np.array([5, 4, 3, 2, 1, 0, 1, 2, 3, 4]) / 3.0), atol=1e-12)
    assert mediapipe_weights(np.ones(4, bool), times[:4], 0.7).tolist() == [0.7] * 4
    assert mediapipe_weights(np.zeros(3, bool), times[:3], 0.7).tolist() == [0.0] * 3
    # uneven frame times: the ramp is in seconds, not frames
    w = mediapipe_weights(np.array([False, True, True]), np.array([0.0, 0.05, 1.0]), 1.0, ramp_s=0.1)
    np.testing.assert_allclose(w, [0.0, 0.5, 1.0])


def test_fuse_is_the_weighted_mean_of_root_centred_poses() -> None:
    lifted = np.zeros((3, 2, 3), np.float32)
    lifted[:, 1] = [0.0, -1.0, 0.0]  # root at 0, a second joint 1 m up (camera y points down)
    mp = np.zeros((3, 2, 3))
    mp[:, 0] = [5.0, 5.0, 5.0]  # MediaPipe's origin differs: centred on joint 0 first
    mp[:, 1] = mp[:, 0] + [0.2, -0.8, 0.0]
    mp[2] = np.nan  # nothing known on frame 2: the lifted pose stays
    out = fuse(lifted, mp, np.array([0.0, 0.5, 0.5]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], lifted[0])
    np.testing.assert_allclose(out[1, 1], [0.1, -0.9, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[2], lifted[2])
    assert (out[:, 0] == 0).all()


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_fuse_ends(share: float) -> None:
    rng = np.random.default_rng(0)
    lifted = rng.normal(size=(4, 17, 3)).astype(np.float32)
    lifted -= lifted[:, :1]
    mp = rng.normal(size=(4, 17, 3))
    out = fuse(lifted, mp, np.full(4, share))
    np.testing.assert_allclose(out, lifted if share == 0.0 else mp - mp[:, :1], atol=1e-6)


def test_live_fusion_ramps_up_after_a_frame_without_mediapipe() -> None:
    live = LiveFusion(0.5, ramp_s=0.2)
    lifted = np.zeros((2, 3))
    mp = np.array([[0.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    assert live(lifted, mp, 0.0)[1, 1] == pytest.approx(-0.5)  # nothing missed yet: the full share at once
    assert live(lifted, None, 0.1)[1, 1] == 0.0  # nobody: the lifted pose
    assert live(lifted, np.full((2, 3), np.nan), 0.15)[1, 1] == 0.0  # not finite: the same
    assert live(lifted, mp, 0.2)[1, 1] == pytest.approx(-0.5 * 0.05 / 0.2)  # 0.05 s after the last miss
    assert live(lifted, mp, 0.4)[1, 1] == pytest.approx(-0.5)
    assert LiveFusion(0.0)(lifted, mp, 0.0) is lifted


def test_live_fusion_equals_the_clip_fusion_when_nothing_is_missed() -> None:
    rng = np.random.default_rng(1)
    lifted = rng.normal(size=(20, 17, 3))
    lifted -= lifted[:, :1]
    mp = rng.normal(size=(20, 17, 3))
    times = np.arange(20) / 30.0
    live = LiveFusion(0.5)
    streamed = np.stack([live(lifted[i], mp[i], t) for i, t in enumerate(times)])
    np.testing.assert_allclose(streamed, fuse(lifted, mp, mediapipe_weights(np.ones(20, bool), times, 0.5)))


def test_capture_leaves_mediapipe_out_where_it_saw_another_body() -> None:
    # core.capture's use: no MediaPipe 3D on frames without a real detection or with left/right swapped back.
    from core.capture import _fuse_mediapipe
    from core.detect import Track2D

    T = 40
    rng = np.random.default_rng(2)
    lifted = rng.normal(size=(T, 17, 3)).astype(np.float32)
    lifted -= lifted[:, :1]
    detected, swapped = np.ones(T, bool), np.zeros(T, bool)
    detected[10], swapped[30] = False, True
    track = Track2D(np.zeros((T, 17, 2), np.float32), np.ones((T, 17), np.float32), detected, np.arange(T),
                    np.arange(T) / 30.0, swapped, world=rng.normal(size=(T, 17, 3)).astype(np.float32))  # fmt: skip
    camera = lifted.copy()
    share = _fuse_mediapipe(camera, track, 0.5)
    np.testing.assert_allclose(camera[[10, 30]], lifted[[10, 30]], atol=1e-6)
    assert np.abs(camera[20] - lifted[20]).max() > 0.1 and 0.3 < share < 0.5
    untouched = lifted.copy()
    assert _fuse_mediapipe(untouched, track, 0.0) == 0.0 and np.array_equal(untouched, lifted)


def test_smoothing_over_time_by_hand() -> None:
    times = np.arange(15) / 50.0
    impulse = np.zeros((15, 1))
    impulse[7] = 1.0
    out = smooth_over_time(impulse, times, 0.02)  # σ = 1 frame, radius 3: frames 4..10 see their whole kernel
    w = np.exp(-0.5 * np.arange(-3, 4) ** 2)
    np.testing.assert_allclose(out[4:11, 0], w / w.sum(), atol=1e-12)
    assert (out[:4, 0] == 0.0).all() and (out[11:, 0] == 0.0).all()
    times = times[:9]
    np.testing.assert_allclose(smooth_over_time(np.full((9, 2), 3.0), times, 0.02), 3.0)  # a constant stays
    gappy = np.arange(9, dtype=float)[:, None]
    gappy[4] = np.nan
    out = smooth_over_time(gappy, times, 0.02)
    assert np.isnan(out[4, 0]) and np.isfinite(np.delete(out, 4, axis=0)).all()  # unknown: neither counted nor filled
    weights = np.exp(-0.5 * np.array([-3, -2, -1, 0, 2, 3]) ** 2)  # frame 3's neighbourhood without frame 4
    np.testing.assert_allclose(out[3, 0], (weights * np.array([0, 1, 2, 3, 5, 6])).sum() / weights.sum())
    np.testing.assert_array_equal(smooth_over_time(gappy, times, 0.0), gappy)


def test_mediapipe_is_smoothed_over_one_clip_frame_at_least_20_ms() -> None:
    assert smoothing_s(np.arange(10) / 60.0) == SMOOTH_S == 0.02
    assert smoothing_s(np.arange(10) / 16.667) == pytest.approx(0.06, abs=1e-4)  # a 16.7 fps clip: one frame
    assert smoothing_s(np.array([0.0])) == SMOOTH_S
