"""The gravity model (core.world.gravity, core.world.gravity_fit) and how placement combines it (core.world.ground)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import synthetic_motion

from core.data.batch_noise import BatchNoise
from core.data.dataset import CameraPool, MotionBank
from core.data.noise import NoiseConfig
from core.skeleton import JOINT_INDEX, flip
from core.world.gravity import FORMAT, INPUT, GravityModel, GravityModelError
from core.world.gravity_fit import GravityFitConfig, fit, training_batch
from core.world.ground import (
    HALF_WAY,
    PITCH_BLEND,
    PitchBlend,
    camera_angles,
    up_from_angles,
    with_image_gravity,
)
from core.world.model_file import write_model_file

_J = JOINT_INDEX


def torch_net(hidden: int = 8, seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(34, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, hidden),
                               torch.nn.ReLU(), torch.nn.Linear(hidden, 3)).double()  # fmt: skip


def as_model(net: torch.nn.Sequential) -> GravityModel:
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    return GravityModel(tuple((m.weight.detach().numpy(), m.bias.detach().numpy()) for m in linear), {"note": "t"})


def test_numpy_inference_equals_the_torch_network_and_mirrors_exactly() -> None:
    net = torch_net()
    model = as_model(net)
    x = np.random.default_rng(0).normal(size=(5, 17, 2))
    expected = net(torch.from_numpy(x.reshape(5, 34))).detach().numpy()
    np.testing.assert_allclose(model._forward(x), expected, atol=1e-12)
    up = model.per_frame(x)
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0)
    mirrored = model.per_frame(flip(x[:, None])[:, 0])  # the mirror image reads as the mirrored up
    np.testing.assert_allclose(mirrored, up * np.array([-1.0, 1.0, 1.0]), atol=1e-12)
    px = (x + 1.0) * 320.0  # as pixels of a 640×640 frame; a frame with a missing joint is left out of the mean
    clip = model.clip_up(px, 640, 640)
    np.testing.assert_allclose(clip, up.mean(0) / np.linalg.norm(up.mean(0)), atol=1e-12)
    px[2, 5] = np.nan
    kept = up[[0, 1, 3, 4]].mean(0)
    np.testing.assert_allclose(model.clip_up(px, 640, 640), kept / np.linalg.norm(kept), atol=1e-12)
    np.testing.assert_array_equal(model.clip_up(np.full((2, 17, 2), np.nan), 640, 640), [0.0, -1.0, 0.0])


def test_save_load_round_trip_and_refusals(tmp_path: Path) -> None:
    model = as_model(torch_net())
    model.save(tmp_path / "g.json")
    back = GravityModel.load(tmp_path / "g.json")
    x = np.random.default_rng(1).normal(size=(3, 17, 2))
    np.testing.assert_array_equal(back.per_frame(x), model.per_frame(x))
    assert back.info == {"note": "t"}
    text = (tmp_path / "g.json").read_text()
    (tmp_path / "edited.json").write_text(text.replace('"bias": [', '"bias": [1.5, ', 1))
    with pytest.raises(GravityModelError, match="sha256"):
        GravityModel.load(tmp_path / "edited.json")
    write_model_file(tmp_path / "other.json", FORMAT, {**model.numbers(), "input": "33 landmarks"}, {})
    with pytest.raises(GravityModelError, match="another input"):
        GravityModel.load(tmp_path / "other.json")
    short = model.numbers()
    short["layers"] = short["layers"][:2]  # ends in 8 outputs, not 3
    write_model_file(tmp_path / "short.json", FORMAT, short, {})
    with pytest.raises(GravityModelError, match="chain"):
        GravityModel.load(tmp_path / "short.json")
    with pytest.raises(GravityModelError, match="cannot read"):
        GravityModel.load(tmp_path / "missing.json")
    assert INPUT in text


def _bank_and_pool() -> tuple[MotionBank, CameraPool]:
    bank = MotionBank.from_list([synthetic_motion(80, k) for k in range(4)], [str(k) for k in range(4)])
    return bank, CameraPool.build(bank, np.random.default_rng(0), segment_frames=40, random_per_segment=3)


def test_training_labels_are_the_world_up_as_each_camera_sees_it_mirrors_included() -> None:
    bank, pool = _bank_and_pool()
    cfg = GravityFitConfig(noise_probability=0.0)
    x, up = training_batch(bank, pool, BatchNoise(NoiseConfig()), np.random.default_rng(2), 256, cfg)
    assert x.shape == (256, 17, 2) and up.shape == (256, 3)
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0, atol=1e-6)
    # an upright body's image axis (ankles → head; image y points down) runs along the up it is labelled with
    axis = x[:, _J["head"]] - 0.5 * (x[:, _J["l_ankle"]] + x[:, _J["r_ankle"]])
    cos = (axis * up[:, :2]).sum(1) / (np.linalg.norm(axis, axis=1) * np.linalg.norm(up[:, :2], axis=1))
    assert np.median(cos) > 0.98 and cos.min() > 0.8


def test_a_short_fit_beats_assuming_a_level_camera() -> None:
    bank, pool = _bank_and_pool()
    model, figures = fit(bank, pool, GravityFitConfig(steps=500, batch=64, lr=3e-3, hidden=32, threads=1))
    x, up = training_batch(bank, pool, BatchNoise(NoiseConfig()), np.random.default_rng(9), 200, GravityFitConfig())
    error = np.degrees(np.arccos(np.clip((model.per_frame(x) * up).sum(1), -1, 1)))
    level = np.degrees(np.arccos(np.clip(-up[:, 1], -1, 1)))  # the error of "up is the image's up"
    assert np.median(error) < 0.7 * np.median(level) and figures["training_median_frame_error_deg"] > 0


def test_the_pitch_is_blended_and_the_roll_is_the_supports_or_half_way() -> None:
    for pitch, roll in ((10.0, -20.0), (-35.0, 5.0), (60.0, 15.0)):
        assert camera_angles(up_from_angles(pitch, roll)) == pytest.approx((pitch, roll))
    body, image = up_from_angles(10.0, -20.0), up_from_angles(30.0, 5.0)
    half = with_image_gravity(body, image, from_contacts=True, blend=HALF_WAY)
    assert camera_angles(half) == pytest.approx((20.0, -20.0))  # the pitches' mean, the support's roll
    blend = PitchBlend(intercept_deg=-1.0, body=0.8, image=0.3)  # -1 + 8 + 9
    assert camera_angles(with_image_gravity(body, image, True, blend)) == pytest.approx((16.0, -20.0))
    assert camera_angles(with_image_gravity(body, image, False, blend)) == pytest.approx((16.0, -7.5))  # roll: half
    assert camera_angles(with_image_gravity(body, image, True, PitchBlend(0.0, 1.0, 0.0))) == pytest.approx(
        (10.0, -20.0))  # fmt: skip
    shipped = PITCH_BLEND.body + PITCH_BLEND.image
    assert 1.0 <= shipped < 1.3  # both readings regress towards level: together they are scaled up, a little


def test_the_shipped_model_says_how_it_was_made_and_sees_a_pitched_camera() -> None:
    from capture_helpers import standing_world
    from repo import REPO_ROOT

    model = GravityModel.load(REPO_ROOT / "weights" / "gravity.json")
    assert model.info["command"].startswith("python -m core.world.gravity_fit")
    assert "08 held out" in model.info["data"] and "HDM05" not in model.info["data"]
    assert model.info["samples_seen"] == model.info["config"]["steps"] * model.info["config"]["batch"]
    # a person standing 4 m from a camera 1.6 m up, pitched down 30° and rolled 10°, 1280×720, f = 1000 px
    world = standing_world(1.75)
    p, r = np.radians(30.0), np.radians(10.0)
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # world X→x, Z→-y, Y→z
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    R = rz @ rx @ base
    cam = (world - np.array([0.0, -4.0, 1.6])) @ R.T
    xy = 1000.0 * cam[:, :2] / cam[:, 2:3] + np.array([640.0, 360.0])
    pitch, roll = camera_angles(model.clip_up(xy[None], 1280, 720))
    true_pitch, true_roll = camera_angles(R @ np.array([0.0, 0.0, 1.0]))
    assert abs(pitch - true_pitch) < 10.0 and abs(roll - true_roll) < 5.0
    # Its known bias (docs/capture.md): a level camera at hip height reads as looking down, the training cameras'
    # prior (most of them look down at the subject). Bounded here so that a worse model is noticed.
    cam = (world - np.array([0.0, -4.0, 1.0])) @ base.T
    xy = 1000.0 * cam[:, :2] / cam[:, 2:3] + np.array([640.0, 360.0])
    pitch, roll = camera_angles(model.clip_up(xy[None], 1280, 720))
    assert 0.0 < pitch < 15.0 and abs(roll) < 1.0
