"""core.lift (padding, chunking, flip TTA, causality, weights errors), core.postprocess and core.smoothing."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from capture_helpers import standing_world, stick_figure, tiny_checkpoint

from core.camera import normalize_screen_coordinates
from core.errors import Cancelled, WeightsError
from core.lift import ShortClipWarning, lift_sequence, load_lifter
from core.models import infer_sequence, padding
from core.postprocess import camera_to_blender, estimate_stature
from core.skeleton import FLIP_PERMUTATION, JOINT_INDEX
from core.smoothing import params_for_strength, smooth
from core.world.place import place

torch.set_num_threads(1)
W, H = 640, 480


@pytest.fixture(scope="module", params=[False, True], ids=["offline", "causal"])
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    path = tiny_checkpoint(tmp_path_factory.mktemp("w") / "tiny.pt", causal=request.param)
    return load_lifter(path)


def test_padding_matches_the_models_own_sequence_inference(model) -> None:  # noqa: ANN001
    past, future = padding(model)
    assert past + future == model.receptive_field - 1
    assert future == (0 if model.config.causal else past)
    xy = stick_figure(40)
    ours = lift_sequence(model, xy, W, H, flip_tta=False, upright=False)  # the model's own input, as given
    ref = infer_sequence(model, torch.from_numpy(normalize_screen_coordinates(xy, W, H)).float()).numpy()
    assert ours.shape == (40, 17, 3)
    assert np.allclose(ours[:, 1:], ref[:, 1:], atol=1e-5)
    assert (ours[:, 0] == 0).all()


def test_chunks_give_the_same_result(model) -> None:  # noqa: ANN001
    xy = stick_figure(50)
    assert np.allclose(lift_sequence(model, xy, W, H, chunk=7), lift_sequence(model, xy, W, H), atol=1e-5)


def test_flip_tta_makes_the_output_mirror_equivariant(model) -> None:  # noqa: ANN001
    xy = stick_figure(30)
    mirrored = xy[:, list(FLIP_PERMUTATION)].copy()
    mirrored[..., 0] = W - mirrored[..., 0]  # the mirror image of the clip, labels swapped as a detector would
    a = lift_sequence(model, xy, W, H)
    b = lift_sequence(model, mirrored, W, H)
    b_back = b[:, list(FLIP_PERMUTATION)] * np.array([-1.0, 1.0, 1.0])
    assert np.allclose(a, b_back, atol=1e-5)
    assert not np.allclose(a, lift_sequence(model, xy, W, H, flip_tta=False), atol=1e-4)


def test_causal_output_never_depends_on_later_frames(model) -> None:  # noqa: ANN001
    xy = stick_figure(30)
    changed = xy.copy()
    changed[20:] += 50.0
    a, b = lift_sequence(model, xy, W, H), lift_sequence(model, changed, W, H)
    if model.config.causal:
        assert np.allclose(a[:20], b[:20], atol=1e-6)
    else:  # the offline model looks pad frames ahead
        assert not np.allclose(a[20 - padding(model)[1] : 20], b[20 - padding(model)[1] : 20], atol=1e-6)


def test_clip_shorter_than_receptive_field_is_padded_with_a_warning(model) -> None:  # noqa: ANN001
    with pytest.warns(ShortClipWarning, match="fewer than the lifter's receptive field"):
        out = lift_sequence(model, stick_figure(3), W, H)
    assert out.shape == (3, 17, 3) and np.isfinite(out).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lift_sequence(model, stick_figure(model.receptive_field), W, H)


def test_lifting_cancels_between_chunks(model) -> None:  # noqa: ANN001
    done: list[int] = []
    with pytest.raises(Cancelled):
        lift_sequence(model, stick_figure(40), W, H, chunk=10, on_chunk=lambda d, t: done.append(d),
                      should_stop=lambda: len(done) >= 2)  # fmt: skip
    assert done == [10, 20]


def test_missing_and_corrupted_weights(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found") as err:
        load_lifter(tmp_path / "none.pt")
    assert err.value.kind == "weights_missing"
    good = tiny_checkpoint(tmp_path / "good.pt")
    # Tampered weights, archive intact: the stored sha256 no longer matches.
    checkpoint = torch.load(good, weights_only=True)
    state = next(v for v in checkpoint.values() if isinstance(v, dict) and any(torch.is_tensor(t) for t in v.values()))
    name = next(k for k, t in state.items() if torch.is_tensor(t) and t.is_floating_point())
    state[name] = state[name] + 1.0
    torch.save(checkpoint, tmp_path / "tampered.pt")
    with pytest.raises(WeightsError, match="checksum") as err:
        load_lifter(tmp_path / "tampered.pt")
    assert err.value.kind == "weights_corrupt"
    # A damaged file (bytes overwritten in the middle, as a broken download would leave it).
    data = bytearray(good.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\0" * 64
    (tmp_path / "damaged.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError) as err:
        load_lifter(tmp_path / "damaged.pt")
    assert err.value.kind == "weights_corrupt"
    (tmp_path / "text.pt").write_text("not a checkpoint")
    with pytest.raises(WeightsError, match="Cannot load lifter weights"):
        load_lifter(tmp_path / "text.pt")


# --- post-processing -------------------------------------------------------------------------------------------


def _world_to_camera(world: np.ndarray, pitch_deg: float = 0.0, distance: float = 4.0) -> np.ndarray:
    """Inverse of camera_to_blender plus a camera at (0, -distance, 1) pitched down by pitch_deg."""
    shifted = world - np.array([0.0, -distance, 1.0])
    cam = np.stack([shifted[..., 0], -shifted[..., 2], shifted[..., 1]], axis=-1)
    a = math.radians(pitch_deg)  # camera pitched down: the scene rotates up in camera space
    rot = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    return cam @ rot.T


def _project(cam: np.ndarray, focal: float) -> np.ndarray:
    return focal * cam[..., :2] / cam[..., 2:3] + np.array([W / 2, H / 2])


def _scene(T: int = 90, fps: float = 30.0, stature: float = 1.6):  # noqa: ANN202
    """A person gliding 2 m to the right (feet and all, 0.67 m/s: faster than a planted foot may move, see
    core.world.contacts; slower, the feet would read as planted and hold the root), with a 0.25 m jump in the
    middle; world, times."""
    t = np.arange(T) / fps
    world = np.repeat(standing_world(stature)[None], T, axis=0)
    world[..., 0] += np.linspace(0.0, 2.0, T)[:, None]
    jump = (t > 1.2) & (t < 1.5)
    world[jump, :, 2] += 0.25 * np.sin(np.pi * (t[jump] - 1.2) / 0.3)[:, None]
    return world, t


def test_axes_and_stature() -> None:
    assert np.allclose(camera_to_blender(np.array([1.0, 2.0, 3.0])), [1.0, 3.0, -2.0])  # y down → z up
    world = standing_world(1.62)
    assert estimate_stature(np.repeat(world[None], 5, axis=0)) == pytest.approx(1.62, rel=1e-6)


@pytest.mark.parametrize("pitch", [0.0, 15.0])
def test_place_scales_levels_floors_and_tracks_the_root(pitch: float) -> None:
    world_true, t = _scene()
    cam = _world_to_camera(world_true, pitch)
    fov = 60.0
    focal = 0.5 * W / math.tan(math.radians(fov) / 2)
    xy = _project(cam, focal)
    rel = (cam - cam[:, :1]) * (1.75 / 1.6)  # a lifter with the wrong scale: place must fix it
    # the body's levelling is exact on the true 3D; the image's reading (core.world.gravity) is tested on its own
    placed = place(rel, xy, t, W, H, 30.0, subject_height=1.8, smoothing=0.3, fov_deg=fov, image_gravity=False)
    out, info = placed.world, placed.info
    assert info["scale"] * 1.75 == pytest.approx(1.8, rel=1e-3)
    assert info["camera_pitch_deg"] == pytest.approx(pitch, abs=0.5)
    scale = 1.8 / 1.6
    # Upright in the world and the right size.
    trunk = out[:, JOINT_INDEX["thorax"]] - out[:, JOINT_INDEX["pelvis"]]
    assert np.degrees(np.arctan2(np.linalg.norm(trunk[:, :2], axis=1), trunk[:, 2])).max() < 2.0
    # Feet on the floor: never below, and touching it in the frames where the subject stands.
    soles = out[:, [JOINT_INDEX["r_ankle"], JOINT_INDEX["l_ankle"]], 2].min(axis=1) - 0.039 * 1.8
    assert soles.min() > -1e-6
    standing = (t < 1.1) | (t > 1.6)
    assert np.abs(soles[standing & (t > 0.3)]).max() < 0.03
    # The jump survives (peak 0.25 m in the world = 0.28 m at the scaled size), slightly smoothed.
    assert soles.max() == pytest.approx(0.25 * scale, abs=0.08)
    # Sideways glide: 2 m in the world, scale × 2 m for the scaled subject, starting at the origin.
    pelvis = out[:, JOINT_INDEX["pelvis"]]
    assert np.allclose(pelvis[0, :2], 0.0, atol=1e-6)
    assert pelvis[-1, 0] - pelvis[0, 0] == pytest.approx(2.0 * scale, rel=0.1)
    assert np.abs(pelvis[:, 1]).max() < 0.15  # no depth motion invented


def test_without_root_motion_the_pelvis_stays_above_the_origin() -> None:
    world_true, t = _scene()
    cam = _world_to_camera(world_true)
    out = place(cam - cam[:, :1], _project(cam, 500.0), t, W, H, 30.0, subject_height=1.75, smoothing=0.0,
                root_motion=False).world
    assert np.abs(out[:, 0, :2]).max() < 1e-5


# --- smoothing -------------------------------------------------------------------------------------------------


def test_smoothing_strength_mapping_and_validation() -> None:
    assert params_for_strength(0.0) is None
    cutoffs = [params_for_strength(s).min_cutoff for s in (0.1, 0.5, 1.0)]  # type: ignore[union-attr]
    assert cutoffs == sorted(cutoffs, reverse=True)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="smoothing strength"):
            params_for_strength(bad)


def test_smoothing_removes_jitter_more_with_strength_and_offline_has_no_lag() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(300) / 30.0
    clean = np.stack([np.sin(2 * np.pi * 0.5 * t), np.cos(2 * np.pi * 0.3 * t), 0.2 * t], axis=-1)[:, None]
    noisy = clean + rng.normal(0, 0.02, clean.shape)
    slow = clean * 0.05  # slow motion: where jitter is visible and the 1€ filter smooths hardest
    slow_noisy = slow + noisy - clean
    # Jitter (mean absolute acceleration) falls with the strength, and so does the error...
    jitter = [np.abs(np.diff(smooth(slow_noisy, t, s, causal=False), 2, axis=0)).mean() for s in (0.0, 0.3, 0.6, 1.0)]
    assert jitter == sorted(jitter, reverse=True) and jitter[-1] < 0.2 * jitter[0]
    err = [np.sqrt(((smooth(slow_noisy, t, s, causal=False) - slow) ** 2).mean()) for s in (0.0, 0.5, 1.0)]
    assert err == sorted(err, reverse=True) and err[-1] < 0.4 * err[0]
    # ...while fast motion keeps its bandwidth (the speed term): peaks of the 1 m amplitude sine survive.
    fast = smooth(clean, t, 1.0, causal=False)
    assert np.abs(fast[:, 0, 0]).max() > 0.9
    ramp = np.linspace(0, 3, 300)[:, None, None] * np.ones((1, 1, 3))  # constant speed 0.3 m/s
    lag_causal = (ramp - smooth(ramp, t, 0.8, causal=True))[150:250].mean()
    lag_offline = (ramp - smooth(ramp, t, 0.8, causal=False))[150:250].mean()
    assert lag_causal > 0.005 and abs(lag_offline) < 1e-3


def test_smoothing_handles_variable_and_duplicate_timestamps() -> None:
    t = np.array([0.0, 0.033, 0.066, 0.066, 0.2, 0.25, 0.3])
    x = np.arange(7, dtype=float)[:, None, None] * np.ones((1, 2, 3))
    out = smooth(x, t, 0.5, causal=True)
    assert np.isfinite(out).all() and (np.diff(out[:, 0, 0]) >= 0).all()


def test_low_pass_is_a_first_order_filter_at_its_cutoff() -> None:
    from core.smoothing import low_pass

    t = np.arange(5) / 10.0  # dt = 0.1 s
    step = np.array([0.0, 1.0, 1.0, 1.0, 1.0])
    alpha = 1.0 / (1.0 + 1.0 / (2 * np.pi * 1.0) / 0.1)  # tau = 1 / (2 pi fc), alpha = 1 / (1 + tau / dt)
    expected = [0.0, alpha, alpha + (1 - alpha) * alpha, 1 - (1 - alpha) ** 3, 1 - (1 - alpha) ** 4]
    np.testing.assert_allclose(low_pass(step, t, 1.0, causal=True), expected, atol=1e-12)
    # a fast wiggle (±0.3 at 25 Hz) on a constant is cut to a tenth whatever its speed, where the 1€ filter's speed
    # term lets a quarter of it through even at full strength
    wiggle = 1.0 + 0.3 * (-1.0) ** np.arange(200)
    t = np.arange(200) / 50.0
    assert np.abs(low_pass(wiggle, t, 1.0, causal=False) - 1.0)[50:-50].max() < 0.03  # past the start-up
    assert np.abs(smooth(wiggle, t, 1.0, causal=False) - 1.0)[50:-50].max() > 0.05
