"""Training/validation samples (core.data.dataset): shapes, alignment, flip, noise batching, held-out split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lifter_synth import synthetic_motion

from core.data import virtual_cameras as vc
from core.data.batch_noise import BatchNoise, hold_window_edges
from core.data.config import DataConfig
from core.data.dataset import MAX_ABS_2D, CameraPool, MotionBank, WindowSampler, training_motions
from core.data.render import CameraBatch, render_windows, window_offsets
from core.data.validation_set import cmu_validation_sequences
from core.skeleton import flip


def make_sampler(rf: int = 9, shift: int = 0, **kwargs: float) -> WindowSampler:
    bank = MotionBank.from_list([synthetic_motion(60, 0), synthetic_motion(5, 1)], ["long", "short"])
    pool = CameraPool.build(bank, np.random.default_rng(0), segment_frames=30, random_per_segment=2, rigs_per_segment=1)
    return WindowSampler(bank, pool, rf, shift, **kwargs)


def _passing_camera_sampler(start_m: float, end_m: float) -> WindowSampler:
    """A person walking along world +x from ``start_m`` to ``end_m`` (0.5 m to the side) past one camera at the
    origin (1 m up) that looks along +x: the frames before x ≈ 0 are behind it."""
    motion = synthetic_motion(60, 0)
    motion[..., :2] -= motion[:, :1, :2]  # no walk of its own: the root over the origin
    motion[..., 0] += np.linspace(start_m, end_m, 60, dtype=np.float32)[:, None]
    motion[..., 1] += 0.5
    R = np.array([[[0, -1, 0], [0, 0, -1], [1, 0, 0]]], np.float32)  # camera x = -world y, y = -world z, z = world x
    t = -(R[0] @ np.array([0.0, 0.0, 1.0], np.float32))[None]
    cams = CameraBatch(R, t, np.array([[1000.0, 1000.0]], np.float32), np.array([[640.0, 360.0]], np.float32),
                       np.array([[1280, 720]]))  # fmt: skip
    pool = CameraPool(cams, 1, 1, np.zeros(60, dtype=np.int64))
    bank = MotionBank.from_list([motion], ["past the camera"])
    return WindowSampler(bank, pool, 9, 0, rig_fraction=0.0, noise_probability=0.0, flip_probability=0.0)


def test_windows_no_camera_can_see_are_drawn_again() -> None:
    sampler = _passing_camera_sampler(-3.0, 6.0)
    _, _, seen = sampler.plain_draw(np.random.default_rng(1), 64)
    assert seen.any() and not seen.all()  # the plain draws hold windows behind the camera
    x, y = sampler.sample(np.random.default_rng(1), 64)
    assert np.isfinite(x).all() and np.abs(x).max() <= MAX_ABS_2D and x.shape == (64, 9, 17, 2)
    assert (x[..., 10, 1] < x[..., 3, 1]).all()  # the head above the ankle: seen from the front, never from behind
    # a seeable window is the same window, drawn again or not: the first draw's seeable ones stay in place
    x_first, y_first, seen_first = sampler.plain_draw(np.random.default_rng(1), 64)
    np.testing.assert_array_equal(x[seen_first], x_first[seen_first])
    np.testing.assert_array_equal(y[seen_first], y_first[seen_first])


def test_a_sampler_whose_windows_are_never_seeable_says_so() -> None:
    with pytest.raises(ValueError, match="unseeable"):  # always behind the camera
        _passing_camera_sampler(-6.0, -3.0).sample(np.random.default_rng(1), 8)
    close = _passing_camera_sampler(0.4, 0.4)  # in front, but so close that the 2D lies far outside the frame
    _, _, seen = close.plain_draw(np.random.default_rng(1), 8)
    assert not seen.any()
    with pytest.raises(ValueError, match="unseeable"):
        close.sample(np.random.default_rng(1), 8)


def test_window_offsets_centre_and_causal() -> None:
    assert window_offsets(5, 0).tolist() == [-2, -1, 0, 1, 2]
    assert window_offsets(5, 2).tolist() == [-4, -3, -2, -1, 0]  # causal: the target is the last frame
    with pytest.raises(ValueError, match="odd"):
        window_offsets(4, 0)
    with pytest.raises(ValueError, match="causal_shift"):
        window_offsets(5, 3)


def test_sample_shapes_types_root_and_determinism() -> None:
    sampler = make_sampler()
    x, y = sampler.sample(np.random.default_rng(3), 64)
    assert x.shape == (64, 9, 17, 2) and y.shape == (64, 1, 17, 3)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert np.all(y[:, :, 0] == 0)  # root-relative target
    assert np.all(np.isfinite(x)) and np.abs(x).max() < 3  # normalised coordinates
    # bones are metres-scale: thigh length of the synthetic skeleton is ~0.42 m
    assert 0.3 < np.median(np.linalg.norm(y[:, 0, 2] - y[:, 0, 1], axis=-1)) < 0.55
    x2, y2 = sampler.sample(np.random.default_rng(3), 64)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


@pytest.mark.parametrize("causal_shift", [0, 4])
def test_multi_target_windows_extend_the_single_target_window(causal_shift: int) -> None:
    """K targets per window = the single-target window plus K - 1 more frames, targets at consecutive frames."""
    one = make_sampler(shift=causal_shift, noise_probability=0.0, flip_probability=0.0)
    many = make_sampler(shift=causal_shift, noise_probability=0.0, flip_probability=0.0, targets=4)
    x1, y1 = one.sample(np.random.default_rng(5), 16)
    x4, y4 = many.sample(np.random.default_rng(5), 16)
    assert x4.shape == (16, 12, 17, 2) and y4.shape == (16, 4, 17, 3)
    np.testing.assert_array_equal(x4[:, :9], x1)
    np.testing.assert_array_equal(y4[:, :1], y1)
    # target k is frame g + k of the motion (g = the drawn first target, clipped at the motion's end), seen by the
    # window's camera: replay the sampler's draws by hand
    rng = np.random.default_rng(5)
    bank = many.bank
    g = rng.integers(0, bank.num_frames, size=16)
    cams = many.pool.draw(rng, g, many.rig_fraction)
    m = np.searchsorted(bank.starts, g, side="right") - 1
    for k in range(4):
        frame = np.minimum(g + k, bank.starts[m] + bank.lengths[m] - 1)
        x_cam = np.einsum("bij,bkj->bki", cams.R, bank.poses[frame]) + cams.t[:, None]
        np.testing.assert_allclose(y4[:, k], x_cam - x_cam[:, :1], atol=1e-5)


def test_bone_scaling_and_tilt_change_the_body_not_the_sample_contract() -> None:
    plain = make_sampler(noise_probability=0.0, flip_probability=0.0)
    scaled = make_sampler(noise_probability=0.0, flip_probability=0.0, bone_scale_std=0.2, tilt_deg=20.0)
    _, y0 = plain.sample(np.random.default_rng(5), 64)
    _, y1 = scaled.sample(np.random.default_rng(5), 64)
    thigh0 = np.linalg.norm(y0[:, 0, 2] - y0[:, 0, 1], axis=-1)
    thigh1 = np.linalg.norm(y1[:, 0, 2] - y1[:, 0, 1], axis=-1)
    assert np.all(y1[:, :, 0] == 0) and np.std(thigh1 / thigh0) > 0.05
    # left and right thighs share their factor, so a symmetric body stays symmetric
    left0 = np.linalg.norm(y0[:, 0, 5] - y0[:, 0, 4], axis=-1)
    left1 = np.linalg.norm(y1[:, 0, 5] - y1[:, 0, 4], axis=-1)
    np.testing.assert_allclose(thigh1 / thigh0, left1 / left0, rtol=1e-4)


def test_render_matches_the_single_camera_reference() -> None:
    joints = synthetic_motion(12, 4)
    cams = [vc.random_camera(joints, np.random.default_rng(k)) for k in range(3)]
    batch = CameraBatch.stack(cams)
    pixels, _, target = render_windows(np.repeat(joints[None], 3, axis=0), batch, target_index=5)
    for k, cam in enumerate(cams):
        ref_pixels, _, ref_target = vc.view(joints, cam)
        np.testing.assert_allclose(pixels[k], ref_pixels, rtol=1e-4, atol=1e-2)
        np.testing.assert_allclose(target[k], ref_target[5], atol=1e-5)


def test_flip_augmentation_mirrors_input_and_target_together() -> None:
    plain = make_sampler(noise_probability=0.0, flip_probability=0.0)
    flipped = make_sampler(noise_probability=0.0, flip_probability=1.0)
    x0, y0 = plain.sample(np.random.default_rng(5), 32)
    x1, y1 = flipped.sample(np.random.default_rng(5), 32)
    np.testing.assert_array_equal(x1, flip(x0))
    np.testing.assert_array_equal(y1, flip(y0))


def test_short_motions_are_edge_replicated() -> None:
    bank = MotionBank.from_list([synthetic_motion(3, 2)], ["tiny"])
    pool = CameraPool.build(bank, np.random.default_rng(0), random_per_segment=1, rigs_per_segment=0)
    x, _ = WindowSampler(bank, pool, 9, 0, noise_probability=0.0, flip_probability=0.0).sample(
        np.random.default_rng(0), 8
    )
    # 9-frame windows of a 3-frame motion: the first/last frames repeat, so at most 3 distinct frames per window
    for window in x:
        assert len(np.unique(window.reshape(9, -1), axis=0)) <= 3


def test_batch_noise_keeps_windows_apart() -> None:
    # Windows far apart on screen: any leak of one window's values into another would be an error of ~1e4 px.
    rng = np.random.default_rng(0)
    clean = np.stack([synthetic_motion(21, k)[..., :2] * 300 + 5000 * k for k in range(12)]).astype(np.float32)
    noisy = BatchNoise(tracks_per_batch=3).apply(clean, rng)
    box = 1.65 * 300
    assert np.abs(noisy - clean).max() < box  # label swaps move joints by a body width at most
    assert np.abs(noisy - clean).mean() > 0.002 * box  # but the noise is there


def test_hold_window_edges_by_hand() -> None:
    px = np.arange(5, dtype=np.float32)[None, :, None, None].repeat(2, axis=3)  # (1, 5, 1, 2): value = frame
    valid = np.array([[False, True, True, False, False]])[..., None]
    out = hold_window_edges(px, valid)
    assert out[0, :, 0, 0].tolist() == [1, 1, 2, 2, 2]


def test_training_motions_exclude_the_validation_subject(shared_dir: Path) -> None:
    motions = training_motions(DataConfig(), shared_dir / "data" / "cmu")
    assert motions and not any(m.subject == "08" for m in motions)
    assert {m.skeleton for m in motions} == {"mb", "daz"}
    only_mb = training_motions(DataConfig(sources=("mb",), max_motions=3), shared_dir / "data" / "cmu")
    assert len(only_mb) == 3 and all(m.skeleton == "mb" for m in only_mb)


def test_validation_sequences_are_deterministic(shared_dir: Path) -> None:
    root = shared_dir / "data" / "cmu"
    a = cmu_validation_sequences(root, ("08",), noisy=True, seed=8)
    b = cmu_validation_sequences(root, ("08",), noisy=True, seed=8)
    clean = cmu_validation_sequences(root, ("08",), noisy=False, seed=8)
    assert len(a) == 4 * 11 and {s.group for s in a} == {f"mb/08_{k:02d}" for k in range(1, 12)}
    for s, t, c in zip(a, b, clean):
        np.testing.assert_array_equal(s.x2d, t.x2d)
        np.testing.assert_array_equal(s.y3d, c.y3d)  # same cameras for both conditions
        assert 0 < np.abs(s.x2d - c.x2d).mean() < 0.05  # noisy differs, by a detector-sized amount


def test_camera_pool_cache_round_trip(tmp_path: Path) -> None:
    bank = MotionBank.from_list([synthetic_motion(40, 3)], ["m"])
    built = CameraPool.cached(bank, 5, 20, 2, 1, cache_dir=tmp_path)
    assert len(list((tmp_path / "camera_pools").glob("*.npz"))) == 1
    loaded = CameraPool.cached(bank, 5, 20, 2, 1, cache_dir=tmp_path)
    assert (loaded.per_segment, loaded.random_per_segment) == (6, 2)
    np.testing.assert_array_equal(loaded.cams.R, built.cams.R)
    np.testing.assert_array_equal(loaded.segment_of_frame, built.segment_of_frame)
    assert built.cams.R.shape == (2 * 6, 3, 3)  # 2 segments of 20 frames, 2 random + 4 rig cameras each
    other = CameraPool.cached(bank, 6, 20, 2, 1, cache_dir=tmp_path)  # another seed: another pool
    assert not np.array_equal(other.cams.R, built.cams.R)
