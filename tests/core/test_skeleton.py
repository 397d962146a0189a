"""core.skeleton: the H36M-17 skeleton data, flip, and the MediaPipe-33 → H36M-17 mapping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.skeleton import (
    FLIP_PERMUTATION,
    H36M_BONES,
    H36M_JOINTS,
    H36M_LEFT,
    H36M_PARENTS,
    H36M_RIGHT,
    JOINT_INDEX,
    MEDIAPIPE_LANDMARKS,
    MEDIAPIPE_TO_H36M,
    MEDIAPIPE_WEIGHTS,
    NUM_JOINTS,
    flip,
    mapping_matrix,
    mediapipe_to_h36m,
)

J = JOINT_INDEX
MP = {name: i for i, name in enumerate(MEDIAPIPE_LANDMARKS)}


def test_skeleton_tables_are_consistent() -> None:
    assert len(H36M_JOINTS) == len(H36M_PARENTS) == NUM_JOINTS == 17
    assert H36M_PARENTS[0] == -1 and all(0 <= p < c for c, p in enumerate(H36M_PARENTS) if c > 0)
    assert len(H36M_BONES) == 16
    assert H36M_JOINTS[9] == "neck" and H36M_PARENTS[J["head"]] == J["neck"]
    for left, right in zip(H36M_LEFT, H36M_RIGHT, strict=True):
        assert H36M_JOINTS[left] == "l_" + H36M_JOINTS[right][2:]
    assert len(MEDIAPIPE_LANDMARKS) == 33


def test_flip_mirrors_x_and_swaps_named_sides() -> None:
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(2, 5, 17, 3)).astype(np.float32)
    original = poses.copy()
    out = flip(poses)
    np.testing.assert_array_equal(poses, original)  # input untouched
    assert out.dtype == np.float32 and out.shape == poses.shape
    sign = np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    for a, b in [("l_wrist", "r_wrist"), ("r_knee", "l_knee"), ("l_shoulder", "r_shoulder")]:
        np.testing.assert_array_equal(out[..., J[a], :], poses[..., J[b], :] * sign)
    for centre in ("pelvis", "spine", "thorax", "neck", "head"):
        np.testing.assert_array_equal(out[..., J[centre], :], poses[..., J[centre], :] * sign)


def test_flip_is_an_involution_numpy_and_torch_agree() -> None:
    poses = np.random.default_rng(1).normal(size=(4, 17, 2))
    np.testing.assert_array_equal(flip(flip(poses)), poses)
    tensor = torch.from_numpy(poses.copy())
    flipped = flip(tensor)
    assert isinstance(flipped, torch.Tensor)
    np.testing.assert_array_equal(flipped.numpy(), flip(poses))
    np.testing.assert_array_equal(tensor.numpy(), poses)  # torch input untouched too
    torch.testing.assert_close(flip(flipped), tensor)


def test_flip_permutation_matches_flip_and_rejects_bad_shapes() -> None:
    conf = np.arange(17.0)
    as_pose = np.stack([np.zeros(17), conf], axis=-1)
    np.testing.assert_array_equal(flip(as_pose)[:, 1], conf[list(FLIP_PERMUTATION)])
    with pytest.raises(ValueError, match="17"):
        flip(np.zeros((16, 3)))


def _mediapipe_landmarks() -> tuple[np.ndarray, np.ndarray]:
    """Landmark i sits at (10 i, 1000 - i) with confidence 0.5 + i / 100 unless set below."""
    idx = np.arange(33.0)
    xy = np.stack([10 * idx, 1000 - idx], axis=-1)
    conf = 0.5 + idx / 100
    conf[MP["left_hip"]], conf[MP["right_hip"]] = 0.9, 0.3
    conf[MP["left_shoulder"]], conf[MP["right_shoulder"]] = 0.2, 0.8
    conf[MP["left_ear"]] = 0.1
    return xy, conf


def test_mediapipe_mapping_midpoints_and_min_confidence() -> None:
    xy, conf = _mediapipe_landmarks()
    joints, jconf = mediapipe_to_h36m(xy, conf)
    assert joints.shape == (17, 2) and jconf.shape == (17,)
    # left_hip = 23, right_hip = 24, left_shoulder = 11, right_shoulder = 12 in MediaPipe's order.
    np.testing.assert_allclose(joints[J["pelvis"]], [235.0, 976.5])  # mid-hips: x = 10 * 23.5
    np.testing.assert_allclose(joints[J["thorax"]], [115.0, 988.5])  # mid-shoulders: x = 10 * 11.5
    np.testing.assert_allclose(joints[J["spine"]], [175.0, 982.5])  # midpoint of the two above
    np.testing.assert_allclose(joints[J["neck"]], [0.0, 1000.0])  # the nose
    np.testing.assert_allclose(joints[J["head"]], [55.0, 994.5])  # mean of eyes 2, 5 and ears 7, 8
    np.testing.assert_allclose(joints[J["l_wrist"]], xy[MP["left_wrist"]])
    np.testing.assert_allclose(joints[J["r_ankle"]], xy[MP["right_ankle"]])
    assert jconf[J["pelvis"]] == pytest.approx(0.3)
    assert jconf[J["thorax"]] == pytest.approx(0.2)
    assert jconf[J["spine"]] == pytest.approx(0.2)
    assert jconf[J["head"]] == pytest.approx(0.1)
    assert jconf[J["neck"]] == pytest.approx(conf[MP["nose"]])
    assert jconf[J["r_elbow"]] == pytest.approx(conf[MP["right_elbow"]])


def test_mediapipe_mapping_batched_and_torch() -> None:
    xy, conf = _mediapipe_landmarks()
    batch_xy = np.stack([xy, xy * 2], axis=0)[:, None]  # (2, 1, 33, 2)
    batch_conf = np.stack([conf, conf], axis=0)[:, None]
    joints, jconf = mediapipe_to_h36m(batch_xy, batch_conf)
    assert joints.shape == (2, 1, 17, 2) and jconf.shape == (2, 1, 17)
    np.testing.assert_allclose(joints[1, 0], 2 * mediapipe_to_h36m(xy, conf)[0])
    t_joints, t_conf = mediapipe_to_h36m(torch.from_numpy(batch_xy).float(), torch.from_numpy(batch_conf).float())
    assert t_joints.dtype == torch.float32
    np.testing.assert_allclose(t_joints.numpy(), joints, rtol=1e-6)
    np.testing.assert_allclose(t_conf.numpy(), jconf, rtol=1e-6)


def test_mapping_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="33"):
        mediapipe_to_h36m(np.zeros((17, 2)), np.zeros(17))
    with pytest.raises(ValueError, match="confidence shape"):
        mediapipe_to_h36m(np.zeros((33, 2)), np.zeros(32))
    with pytest.raises(ValueError, match="unknown"):
        mapping_matrix((("pelvis", ("tail",)),), MEDIAPIPE_LANDMARKS)
    with pytest.raises(ValueError, match="misses"):
        mapping_matrix(MEDIAPIPE_TO_H36M[:-1], MEDIAPIPE_LANDMARKS)


def test_mapping_weights_rows_are_means() -> None:
    np.testing.assert_allclose(MEDIAPIPE_WEIGHTS.sum(axis=1), np.ones(17))
    assert MEDIAPIPE_WEIGHTS[J["spine"], MP["left_shoulder"]] == pytest.approx(0.25)
