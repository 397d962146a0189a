"""core.world.body (centre of mass, rigid skeleton) and core.world.contacts, on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.skeleton import H36M_PARENTS, JOINT_INDEX
from core.world.body import COM_WEIGHTS, bone_lengths, centre_of_mass, rigid
from core.world.contacts import (
    baseline_speed,
    clean_runs,
    foot_contacts,
    heights_above_lowest,
    image_speed,
    precision_recall,
)  # fmt: skip

J = JOINT_INDEX


def test_centre_of_mass_weights() -> None:
    assert COM_WEIGHTS.sum() == pytest.approx(1.0)
    # Winter's table by hand: the trunk (0.497) splits equally between pelvis and thorax; the thigh (0.100) puts
    # 0.567 of its mass at the hip end; the pelvis also gets nothing else.
    assert COM_WEIGHTS[J["pelvis"]] == pytest.approx(0.497 * 0.5)
    assert COM_WEIGHTS[J["r_knee"]] == pytest.approx(0.100 * 0.433 + 0.0465 * 0.567)
    joints = np.zeros((2, 17, 3))
    joints[1, :, 2] = 1.0  # every joint at z = 1 → the centre of mass too
    np.testing.assert_allclose(centre_of_mass(joints), [[0, 0, 0], [0, 0, 1]], atol=1e-12)


def _random_poses(rng: np.random.Generator, T: int = 40) -> np.ndarray:
    return np.cumsum(rng.normal(0, 0.2, (T, 17, 3)), axis=1)  # any tree shape will do


def test_rigid_makes_bones_constant_and_each_joint_nearest_its_own_place() -> None:
    rng = np.random.default_rng(0)
    poses = _random_poses(rng)
    lengths = bone_lengths(poses)
    out = rigid(poses, lengths)
    for c, p in enumerate(H36M_PARENTS):
        if p < 0:
            continue
        a, b = poses[:, c] - out[:, p], out[:, c] - out[:, p]  # from the *placed* parent towards the joint
        np.testing.assert_allclose(np.linalg.norm(b, axis=-1), lengths[c], rtol=1e-9)
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        np.testing.assert_allclose(cos, 1.0, atol=1e-9)
    np.testing.assert_allclose(out[:, 0], poses[:, 0])
    assert lengths[J["l_knee"]] == lengths[J["r_knee"]]  # left and right share one length
    np.testing.assert_allclose(rigid(out, lengths), out, atol=1e-12)  # a rigid pose stays as it is


def test_rigid_does_not_carry_a_length_error_down_the_limb() -> None:
    # pelvis at 0, right hip 0.2 m out along x (its length says 0.1), knee straight below the hip's *given* place
    pose = np.zeros((1, 17, 3))
    pose[0, J["r_hip"]] = [0.2, 0.0, 0.0]
    pose[0, J["r_knee"]] = [0.2, 0.0, -0.4]
    lengths = np.zeros(17)
    lengths[J["r_hip"]], lengths[J["r_knee"]] = 0.1, 0.4
    out = rigid(pose, lengths)[0]
    np.testing.assert_allclose(out[J["r_hip"]], [0.1, 0.0, 0.0], atol=1e-12)
    # the knee keeps 0.4 m from the placed hip (0.1, 0, 0), towards its own place (0.2, 0, -0.4): not (0.1, 0, -0.4)
    direction = np.array([0.1, 0.0, -0.4]) / math.hypot(0.1, 0.4)
    np.testing.assert_allclose(out[J["r_knee"]], [0.1, 0.0, 0.0] + 0.4 * direction, atol=1e-12)


def test_bone_lengths_are_medians() -> None:
    poses = np.zeros((3, 17, 3))
    poses[:, J["r_hip"], 0] = [0.1, 0.2, 0.9]  # median 0.2; the left hip mirrors it at 0.2 → shared 0.2
    poses[:, J["l_hip"], 0] = -0.2
    assert bone_lengths(poses)[J["r_hip"]] == pytest.approx(0.2)


def test_clean_runs_closes_short_gaps_and_drops_short_runs() -> None:
    m = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1], bool)[:, None]
    expect = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1]
    assert clean_runs(m, min_len=2, max_gap=1)[:, 0].astype(int).tolist() == expect


def test_baseline_speed_is_exact_for_steady_motion() -> None:
    t = np.arange(50) / 50.0
    p = np.stack([1.5 * t, np.zeros_like(t)], axis=-1)[:, None]  # 1.5 m/s along x
    np.testing.assert_allclose(baseline_speed(p, t, 0.12), 1.5, rtol=1e-9)
    np.testing.assert_allclose(baseline_speed(p, t, 0.12, full_span=True), 1.5, rtol=1e-9)


def test_full_span_windows_slide_inward_at_the_ends() -> None:
    # positions 0, 0, 0, 0, 1 at 1 s steps, a 2 s baseline (one frame either side): the last frame's clipped window
    # is frames 3..4 (1 m in 1 s), the full-span one frames 2..4 (1 m in 2 s); the first likewise frames 0..2
    t = np.arange(5.0)
    p = np.array([0.0, 0.0, 0.0, 0.0, 1.0])[:, None, None]
    assert baseline_speed(p, t, 2.0)[:, 0].tolist() == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert baseline_speed(p, t, 2.0, full_span=True)[:, 0].tolist() == [0.0, 0.0, 0.0, 0.5, 0.5]


def test_image_speed_ignores_changes_of_scale() -> None:
    # A still foot while the body walks towards the camera (pixels per metre grow): the foot's pixels do not move,
    # so its speed is 0; dividing positions by the scale first would report ~1 m/s.
    t = np.arange(60) / 30.0
    xy = np.zeros((60, 17, 2))
    xy[:, :, 0] = 900.0
    px_per_m = np.linspace(300, 600, 60)
    assert np.abs(image_speed(xy, t, px_per_m)).max() < 1e-9


def test_foot_contacts_need_a_still_and_low_foot() -> None:
    T = 30
    speed = np.zeros((T, 2))
    height = np.zeros((T, 2))
    speed[10:20, 0] = 2.0  # left foot swings
    height[:, 1] = 0.2  # right foot held up, still
    c = foot_contacts(speed, height, fps=30.0)
    assert c[:10, 0].all() and not c[10:20, 0].any() and c[20:, 0].all()
    assert not c[:, 1].any()


def test_heights_and_precision_recall() -> None:
    feet = np.array([[[0, 0, 0.1], [0, 0, 0.3]]])
    np.testing.assert_allclose(heights_above_lowest(feet, np.array([0, 0, 1.0])), [[0.0, 0.2]])
    pred = np.array([[1, 1], [0, 1]], bool)
    truth = np.array([[1, 0], [0, 1]], bool)
    assert precision_recall(pred, truth) == pytest.approx((2 / 3, 1.0))
