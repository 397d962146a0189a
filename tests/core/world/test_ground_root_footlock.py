"""core.world.ground (gravity from the support), root (contacts steady the root), footlock (leg IK)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from capture_helpers import standing_world

from core.skeleton import JOINT_INDEX
from core.world.body import bone_lengths, centre_of_mass, rigid
from core.world.footlock import lock_feet
from core.world.ground import (
    CAMERA_UP,
    CENTRE_OF_PRESSURE_M,
    body_axis,
    camera_angles,
    floor_spread_m,
    rotation_between,
    up_from_support,
    with_floor_points,
)
from core.world.root import fuse_root

J = JOINT_INDEX


def _rot_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_z(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _to_camera(world: np.ndarray, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """World (Z up) → camera axes (y down, z forward), the camera pitched down by ``pitch`` and rolled by ``roll``."""
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # world X→x, Z→-y, Y→z
    return world @ (_rot_z(roll) @ _rot_x(pitch) @ base).T


def test_rotation_between_and_camera_angles() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        a, b = rng.normal(size=3), rng.normal(size=3)
        a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        R = rotation_between(a, b)
        np.testing.assert_allclose(R @ a, b, atol=1e-12)
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(R) == pytest.approx(1.0)
    np.testing.assert_allclose(rotation_between(CAMERA_UP, -CAMERA_UP) @ CAMERA_UP, -CAMERA_UP, atol=1e-12)
    up = _to_camera(np.array([[0.0, 0.0, 1.0]]), pitch=20.0)[0]
    assert camera_angles(up)[0] == pytest.approx(20.0) and camera_angles(up)[1] == pytest.approx(0.0, abs=1e-9)
    up = _to_camera(np.array([[0.0, 0.0, 1.0]]), roll=-15.0)[0]
    assert abs(camera_angles(up)[1]) == pytest.approx(15.0)


def _leaning_figure() -> np.ndarray:
    """Standing, the trunk leaning 20° sideways, the hips shifted the other way so the centre of mass stays over
    the feet (how people lean). World, Z up, 30 frames."""
    world = standing_world(1.75).copy()
    top = [J[n] for n in ("spine", "thorax", "neck", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder",
                          "r_elbow", "r_wrist")]  # fmt: skip
    pelvis = world[J["pelvis"]].copy()
    world[top] = (world[top] - pelvis) @ _rot_x(0).T @ np.array(
        [[math.cos(0.35), 0, math.sin(0.35)], [0, 1, 0], [-math.sin(0.35), 0, math.cos(0.35)]]
    ).T + pelvis
    feet = 0.5 * (world[J["l_ankle"]] + world[J["r_ankle"]])
    mid_foot = feet[:2] + CENTRE_OF_PRESSURE_M * np.array([0.0, -1.0])  # it faces -Y: the weight on the mid-foot
    upper = [i for i in range(17) if i not in (J["l_ankle"], J["r_ankle"])]
    for _ in range(30):  # the body moves back over its feet (legs tilt slightly); the shanks follow in part
        world[upper, :2] -= centre_of_mass(world)[:2] - mid_foot
    return np.repeat(world[None], 30, axis=0)


@pytest.mark.parametrize(("pitch", "roll"), [(0.0, 0.0), (30.0, 0.0), (-10.0, 25.0)])
def test_up_from_support_keeps_a_real_lean_and_sees_pitch_and_roll(pitch: float, roll: float) -> None:
    world = _leaning_figure()
    cam = _to_camera(world - world[:, :1], pitch, roll)
    true_up = _to_camera(np.array([[0.0, 0.0, 1.0]]), pitch, roll)[0]
    contacts = np.ones((30, 2), bool)
    up, from_contacts = up_from_support(cam, contacts, body_axis(cam))
    assert from_contacts
    assert np.degrees(np.arccos(np.clip(up @ true_up, -1, 1))) < 0.5
    # The body axis (the fallback) is pulled by the lean: it would straighten it.
    assert np.degrees(np.arccos(np.clip(body_axis(cam) @ true_up, -1, 1))) > 5.0
    up, from_contacts = up_from_support(cam, np.zeros((30, 2), bool), body_axis(cam))
    assert not from_contacts and np.allclose(up, body_axis(cam))


def test_the_support_is_the_mid_foot_in_front_of_the_ankles() -> None:
    # The centre of mass over the mid-foot, CENTRE_OF_PRESSURE_M in front of the ankles: exact with the offset; with
    # the ankles themselves as the support, the up direction leans forwards by atan(offset / height of the centre of
    # mass above the ankles).
    world = _leaning_figure()
    cam = _to_camera(world - world[:, :1], 20.0, 0.0)
    true_up = _to_camera(np.array([[0.0, 0.0, 1.0]]), 20.0, 0.0)[0]
    contacts = np.ones((30, 2), bool)
    up, _ = up_from_support(cam, contacts, body_axis(cam))
    assert np.degrees(np.arccos(np.clip(up @ true_up, -1, 1))) < 0.05
    at_ankles, _ = up_from_support(cam, contacts, body_axis(cam), centre_of_pressure_m=0.0)
    height = centre_of_mass(world[:1])[0, 2] - world[0, J["l_ankle"], 2]
    lean = np.degrees(np.arccos(np.clip(at_ankles @ true_up, -1, 1)))
    assert lean == pytest.approx(np.degrees(np.arctan(CENTRE_OF_PRESSURE_M / height)), abs=0.05)
    forward = _to_camera(np.array([[0.0, -1.0, 0.0]]), 20.0, 0.0)[0]
    assert (at_ankles - true_up) @ forward > 0  # towards where the body faces


def test_with_floor_points_against_hand_computed_values() -> None:
    up = np.array([0.2, -1.0, 0.0])
    # feet planted along a line across the frame (x): variance of 41 even steps over [-2, 2] m = 1.4 m², so the
    # x component keeps prior / (prior + 1.4) of its size; y and z, where the feet did not spread, are kept
    line = np.stack([np.linspace(-2.0, 2.0, 41), np.zeros(41), np.full(41, 5.0)], axis=1)
    expected = np.array([0.2 * 0.1 / 1.5, -1.0, 0.0])
    np.testing.assert_allclose(with_floor_points(up, line, 0.1), expected / np.linalg.norm(expected), atol=1e-12)
    assert floor_spread_m(line) == pytest.approx(math.sqrt(1.4))
    # a floor walked in two directions: its normal, whatever the prior said (here 30° off)
    plane = np.stack(np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-2, 2, 9)), -1).reshape(-1, 2)
    tilt = _rot_x(12.0)  # a camera pitched 12°: the floor's axes and normal in camera space
    points = np.c_[plane[:, 0], np.zeros(81), plane[:, 1]] @ tilt.T + np.array([0.0, 1.5, 6.0])
    normal = tilt @ np.array([0.0, -1.0, 0.0])
    got = with_floor_points(_rot_x(30.0) @ normal, points, 0.1)
    k = 0.1 / (0.1 + 5.0 / 3.0)  # 9 even steps over [-2, 2] m: variance 5/3 m² along both axes of the floor
    angle = np.degrees(np.arccos(np.clip(got @ normal, -1, 1)))
    assert angle == pytest.approx(np.degrees(np.arctan(np.tan(np.radians(30.0)) * k)), abs=1e-6)
    # no spread, too few points, or no prior: the estimate is kept
    unit_up = up / np.linalg.norm(up)
    np.testing.assert_allclose(with_floor_points(up, np.tile([0.1, 1.6, 4.0], (20, 1)), 0.1), unit_up)
    np.testing.assert_allclose(with_floor_points(up, line[:4], 0.1), unit_up)
    np.testing.assert_allclose(with_floor_points(up, line, 0.0), unit_up)


def test_lock_feet_holds_a_planted_ankle() -> None:
    world = np.repeat(standing_world(1.75)[None], 40, axis=0).copy()
    world[:, :, 2] -= 0.03  # the knees must bend to put the ankle 3 cm higher than it hangs
    rng = np.random.default_rng(3)
    world[:, J["l_ankle"]] += rng.normal(0, 0.01, (40, 3)) + [0, 0, 0.03]  # a jittery but planted foot...
    world = rigid(world, bone_lengths(world))  # ...on a rigid skeleton, as capture's
    contacts = np.zeros((40, 2), bool)
    contacts[5:30, 0] = True
    out = lock_feet(world, contacts, fps=30.0)
    ankle = out[5:30, J["l_ankle"]]
    assert np.abs(ankle - ankle[0]).max() < 1e-6  # pinned
    np.testing.assert_allclose(ankle[0], world[5:30, J["l_ankle"]].mean(axis=0), atol=1e-3)  # at the run's mean
    forward = np.cross(world[0, J["l_hip"]] - world[0, J["r_hip"]], [0, 0, 1])
    assert ((out[5:30, J["l_knee"]] - world[5:30, J["l_knee"]]) @ forward > 0).all()  # and it bends forwards
    for a, b in (("l_hip", "l_knee"), ("l_knee", "l_ankle")):
        np.testing.assert_allclose(np.linalg.norm(out[:, J[a]] - out[:, J[b]], axis=-1),
                                   np.linalg.norm(world[:, J[a]] - world[:, J[b]], axis=-1), atol=1e-9)  # fmt: skip
    np.testing.assert_array_equal(out[:, J["r_ankle"]], world[:, J["r_ankle"]])  # the free foot is untouched


def test_fuse_root_follows_the_planted_foot() -> None:
    T = 50
    t = np.arange(T) / 25.0
    true_root = np.stack([0.8 * t, np.zeros(T), np.zeros(T)], axis=1)  # walking 0.8 m/s along x
    feet_rel = np.zeros((T, 2, 3))
    feet_rel[:, 0, 0] = 0.3 - 0.8 * t  # the left foot stays at x = 0.3 in the world
    contacts = np.zeros((T, 2), bool)
    contacts[:, 0] = True
    noisy = true_root + np.random.default_rng(0).normal(0, 0.1, (T, 3))  # the body-size estimate: noisy depth
    fused = fuse_root(noisy, feet_rel, contacts, t)
    step = np.diff(fused, axis=0)
    np.testing.assert_allclose(step, 0.8 / 25.0 * np.array([1, 0, 0])[None].repeat(T - 1, 0), atol=0.01)
    # without contacts it is the size estimate itself
    np.testing.assert_allclose(fuse_root(noisy, feet_rel, np.zeros((T, 2), bool), t), noisy, atol=1e-9)
