"""core.data.landmarks (mocap joints → detector-like points), core.data.augment, core.data.extra_mocap."""

from __future__ import annotations

import numpy as np
import pytest

from core.data.augment import random_bone_scales, scale_bones, tilt
from core.data.extra_mocap import load_extra_motions, to_world
from core.data.landmarks import convert, landmark_like
from core.skeleton import H36M_BONES, JOINT_INDEX

J = JOINT_INDEX


def _standing() -> np.ndarray:
    """(17, 3) a person facing +y (their left is -x), Z up, skeleton joints like core.data.cmu maps them."""
    p = np.zeros((17, 3))
    p[J["pelvis"]] = (0, 0, 0.95)  # CMU-like: pelvis = mid-hips here, but thorax/spine/head are skeleton joints
    p[J["l_hip"]], p[J["r_hip"]] = (-0.1, 0, 0.95), (0.1, 0, 0.95)
    p[J["l_knee"]], p[J["r_knee"]] = (-0.1, 0, 0.5), (0.1, 0, 0.5)
    p[J["l_ankle"]], p[J["r_ankle"]] = (-0.1, 0, 0.08), (0.1, 0, 0.08)
    p[J["spine"]] = (0, -0.05, 1.1)  # the lower back's end, behind the body's midline
    p[J["thorax"]] = (0, -0.04, 1.5)  # CMU Neck1: above the shoulders
    p[J["neck"]] = (0, 0, 1.6)  # CMU Head joint (skull base)
    p[J["head"]] = (0, 0.03, 1.75)  # head end site
    p[J["l_shoulder"]], p[J["r_shoulder"]] = (-0.18, 0, 1.4), (0.18, 0, 1.4)
    p[J["l_elbow"]], p[J["r_elbow"]] = (-0.2, 0, 1.1), (0.2, 0, 1.1)
    p[J["l_wrist"]], p[J["r_wrist"]] = (-0.2, 0.1, 0.85), (0.2, 0.1, 0.85)
    return p


def test_landmark_like_trunk_and_face_by_hand() -> None:
    p = _standing()
    out = landmark_like(p)
    np.testing.assert_allclose(out[J["pelvis"]], (0, 0, 0.95))
    np.testing.assert_allclose(out[J["thorax"]], (0, 0, 1.4))  # mid-shoulders, not Neck1
    np.testing.assert_allclose(out[J["spine"]], (0, 0, 1.175))  # mid(pelvis, thorax)
    # head up = (0, 0.03, 0.15) normalised; forward (+y) made orthogonal to it
    up = np.array([0, 0.03, 0.15]) / np.hypot(0.03, 0.15)
    fwd = np.array([0, 1.0, 0]) - up[1] * up
    fwd /= np.linalg.norm(fwd)
    np.testing.assert_allclose(out[J["neck"]], np.array([0, 0, 1.6]) + 0.07 * fwd - 0.028 * up, atol=1e-9)
    np.testing.assert_allclose(out[J["head"]], np.array([0, 0, 1.6]) + 0.022 * fwd, atol=1e-9)
    for name in ("l_hip", "r_knee", "l_ankle", "l_shoulder", "r_elbow", "l_wrist"):
        np.testing.assert_array_equal(out[J[name]], p[J[name]])
    np.testing.assert_array_equal(p, _standing())  # input untouched


def test_landmark_like_is_batched_and_rotation_equivariant() -> None:
    p = _standing()
    a = np.radians(40)
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    batch = np.stack([p, p @ R.T])[None]  # (1, 2, 17, 3)
    out = landmark_like(batch)
    assert out.shape == (1, 2, 17, 3)
    np.testing.assert_allclose(out[0, 1], out[0, 0] @ R.T, atol=1e-9)


def test_convert_and_bad_input() -> None:
    p = _standing()
    assert convert(p, "skeleton") is p
    np.testing.assert_array_equal(convert(p, "landmarks"), landmark_like(p))
    with pytest.raises(ValueError, match="joint definition"):
        convert(p, "mediapipe")
    with pytest.raises(ValueError, match="17, 3"):
        landmark_like(np.zeros((17, 2)))


def test_scale_bones_by_hand() -> None:
    p = _standing()[None, None]  # (1, 1, 17, 3)
    np.testing.assert_allclose(scale_bones(p, np.ones((1, 16))), p)
    scales = np.ones((1, 16))
    scales[0, J["l_knee"] - 1] = 2.0  # the left thigh doubles: knee and ankle move down by one thigh length
    out = scale_bones(p, scales)[0, 0]
    np.testing.assert_allclose(out[J["l_knee"]], (-0.1, 0, 0.05))
    np.testing.assert_allclose(out[J["l_ankle"]], (-0.1, 0, 0.05 - 0.42))
    np.testing.assert_allclose(out[J["r_ankle"]], p[0, 0, J["r_ankle"]])


def test_random_bone_scales_are_symmetric_and_spread() -> None:
    s = random_bone_scales(np.random.default_rng(0), 500, 0.1)
    assert s.shape == (500, 16)
    np.testing.assert_array_equal(s[:, J["l_knee"] - 1], s[:, J["r_knee"] - 1])
    np.testing.assert_array_equal(s[:, J["spine"] - 1], s[:, J["thorax"] - 1])
    assert 0.08 < np.log(s[:, 0]).std() < 0.12 and np.log(s).max() <= 0.25 + 1e-12


def test_tilt_keeps_bones_and_pelvis_centre() -> None:
    world = np.repeat(_standing()[None, None], 3, axis=1)  # (1, 3, 17, 3)
    out = tilt(world, np.random.default_rng(1), 20.0)
    for p, c in H36M_BONES:
        np.testing.assert_allclose(np.linalg.norm(out[..., c, :] - out[..., p, :], axis=-1),
                                   np.linalg.norm(world[..., c, :] - world[..., p, :], axis=-1), atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(out[0, :, 0], world[0, :, 0], atol=1e-9)
    up = out[0, 0, J["thorax"]] - out[0, 0, J["pelvis"]]
    angle = np.degrees(np.arccos(up[2] / np.linalg.norm(up)))
    assert 0 < angle <= 20.0 + 1e-9


def test_extra_mocap_clip_to_world() -> None:
    clip = np.zeros((4, 19, 3), np.float32)
    clip[:, :, 1] = np.linspace(0.1, 1.7, 19)  # Y up: heights 0.1..1.7
    clip[:, :, 2] = 2.0  # Y-up z → our -y
    out = to_world(clip)
    assert out.shape == (4, 17, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, 1], -2.0)
    np.testing.assert_allclose(out[0, :, 2], clip[0, :17, 1] - 0.1, atol=1e-6)  # the lowest point (a toe) on z = 0
    with pytest.raises(ValueError, match="T, 19, 3"):
        to_world(np.zeros((4, 17, 3)))


def test_extra_mocap_sets_load(shared_dir) -> None:
    motions, names = load_extra_motions(shared_dir / "data/extra_mocap", ("cmu_extra", "hdm05"))
    assert len(motions) == len(names) > 300 and names[0].startswith(("cmu_extra/", "hdm05/"))
    assert 50_000 < sum(len(m) for m in motions) < 56_000
    pelvis = np.median(np.concatenate([m[:, 0, 2] for m in motions]))
    assert 0.8 < pelvis < 1.0  # metres, Z up, feet on the ground
    with pytest.raises(ValueError, match="unknown extra mocap"):
        load_extra_motions(shared_dir / "data/extra_mocap", ("h36m",))


def test_mediapipe_proportions_scale_each_bone_group_by_its_factor() -> None:
    from core.data.augment import BONE_GROUP
    from core.data.landmarks import PROPORTION_FACTORS, mediapipe_like

    p = _standing()
    lm, mp = landmark_like(p), mediapipe_like(p, "mb")
    factors = np.asarray(PROPORTION_FACTORS["mb"])[BONE_GROUP]
    for k, (parent, child) in enumerate(H36M_BONES):
        before = np.linalg.norm(lm[child] - lm[parent])
        after = np.linalg.norm(mp[child] - mp[parent])
        assert after == pytest.approx(before * factors[k], rel=1e-6)
    np.testing.assert_allclose(mp[J["pelvis"]], lm[J["pelvis"]])  # the root stays
    # mid-hips and mid-shoulders stay exact: symmetric factors
    np.testing.assert_allclose(mp[J["thorax"]], 0.5 * (mp[J["l_shoulder"]] + mp[J["r_shoulder"]]), atol=1e-9)
    np.testing.assert_allclose(convert(p[None, None], "mediapipe", "hdm05")[0, 0], mediapipe_like(p, "hdm05"))
    with pytest.raises(ValueError, match="source"):
        convert(p, "mediapipe")
    with pytest.raises(ValueError, match="proportions"):
        mediapipe_like(p, "h36m")
