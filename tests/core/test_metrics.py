"""core.metrics against hand-computed values and known transforms, numpy and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.metrics import acceleration_error, mpjpe, mpjve, n_mpjpe, p_mpjpe, procrustes_align
from core.rotations import quaternion_to_matrix


def _poses(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(*shape, 17, 3))


def test_mpjpe_two_joints_by_hand() -> None:
    pred = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    gt = np.array([[3.0, 4.0, 0.0], [1.0, 1.0, 3.0]])  # distances 5 and 2
    assert mpjpe(pred, gt) == pytest.approx(3.5)
    np.testing.assert_allclose(mpjpe(pred, gt, reduction="none"), [5.0, 2.0])
    assert mpjpe(torch.tensor(pred), torch.tensor(gt)).item() == pytest.approx(3.5)


def test_mpjpe_reductions_by_hand() -> None:
    gt = np.zeros((2, 3, 2, 3))  # (B=2, T=3, J=2, 3)
    pred = gt.copy()
    pred[0, :, 0, 0] = 1.0  # joint 0 off by 1 in every frame of sequence 0
    pred[1, 2, 1, 2] = 6.0  # joint 1 off by 6 in the last frame of sequence 1
    assert mpjpe(pred, gt) == pytest.approx((3 * 1 + 6) / 12)
    np.testing.assert_allclose(mpjpe(pred, gt, reduction="per_joint"), [3 / 6, 6 / 6])
    np.testing.assert_allclose(mpjpe(pred, gt, reduction="per_frame"), [[0.5, 0.5, 0.5], [0, 0, 3]])
    assert mpjpe(pred, gt, reduction="none").shape == (2, 3, 2)
    with pytest.raises(ValueError, match="reduction"):
        mpjpe(pred, gt, reduction="sum")


def test_p_mpjpe_is_zero_for_a_similarity_transform() -> None:
    gt = _poses(4, 5)
    rot = quaternion_to_matrix(np.random.default_rng(1).normal(size=(4, 5, 4)))  # one rotation per pose
    pred = 2.5 * gt @ rot.swapaxes(-1, -2) + np.array([0.3, -1.0, 4.0])
    assert mpjpe(pred, gt) > 0.5  # the transform really moves the poses
    assert p_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-9)
    value = p_mpjpe(torch.from_numpy(pred), torch.from_numpy(gt))
    assert isinstance(value, torch.Tensor) and value.item() == pytest.approx(0.0, abs=1e-9)


def test_p_mpjpe_does_not_fold_a_mirror_image() -> None:
    # Six centred joints on the axes; G^T G = diag(18, 8, 2). The mirror image (x → -x) cannot be reached by a
    # proper rotation. By hand (reflection fix, Umeyama): R flips z as well, scale s = (18 + 8 - 2) / 28 = 6/7,
    # aligned = 6/7 · (x, y, -z): errors 3/7 (x joints), 2/7 (y joints), 13/7 (z joints) → mean 6/7.
    # An alignment allowing reflections would return 0.
    gt = np.array([[3.0, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1]])
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, gt) == pytest.approx(6 / 7)
    np.testing.assert_allclose(p_mpjpe(mirrored, gt, reduction="none"), [3 / 7, 3 / 7, 2 / 7, 2 / 7, 13 / 7, 13 / 7])
    # The same after moving both poses rigidly, and in torch.
    rot = quaternion_to_matrix(np.array([0.3, -0.5, 0.8, 0.1]))
    shift = np.array([1.0, 2.0, -3.0])
    assert p_mpjpe(mirrored @ rot.T + shift, gt @ rot.T + shift) == pytest.approx(6 / 7)
    assert p_mpjpe(torch.from_numpy(mirrored), torch.from_numpy(gt)).item() == pytest.approx(6 / 7)


def test_p_mpjpe_aligns_each_frame_separately() -> None:
    gt = _poses(3, seed=2)
    pred = gt.copy()
    pred[1] = gt[1] @ quaternion_to_matrix(np.array([0.5, 0.5, 0.5, 0.5])).T  # frame 1 rotated only
    pred[2] = gt[2] * -1.0  # point reflection = a rotation (180°) composed with a mirror: not alignable
    per_frame = p_mpjpe(pred, gt, reduction="per_frame")
    assert per_frame[:2] == pytest.approx([0.0, 0.0], abs=1e-9)
    assert per_frame[2] > 0.1


def test_procrustes_alignment_is_least_squares_optimal() -> None:
    gt = _poses(seed=3)
    pred = 1.3 * (gt + 0.05 * _poses(seed=4)) + 2.0

    def sse(aligned: np.ndarray) -> float:
        return float(((aligned - gt) ** 2).sum())

    best = sse(procrustes_align(pred, gt))
    assert best <= sse((pred - 2.0) / 1.3) + 1e-12  # no worse than undoing the known transform
    rng = np.random.default_rng(5)
    aligned = procrustes_align(pred, gt)
    centre = aligned.mean(axis=0)
    for _ in range(20):  # any small change of rotation, scale or translation makes the fit worse
        small = quaternion_to_matrix(np.concatenate([[1.0], 0.02 * rng.normal(size=3)]))
        moved = (1 + 0.01 * rng.normal()) * (aligned - centre) @ small.T + centre + 0.01 * rng.normal(size=3)
        assert sse(moved) > best


def test_p_mpjpe_degenerate_prediction_is_finite() -> None:
    gt = _poses(seed=6)
    # All predicted joints coincide: the best scale is 0, the aligned pose is gt's centroid.
    expected = np.linalg.norm(gt - gt.mean(axis=0), axis=-1).mean()
    assert p_mpjpe(np.zeros_like(gt), gt) == pytest.approx(expected)


def test_n_mpjpe_is_scale_invariant() -> None:
    gt = _poses(6, seed=5)
    pred = gt + 0.1 * _poses(6, seed=6)
    base = n_mpjpe(pred, gt)
    assert base > 0.01
    for scale in (0.25, 3.0, 1000.0):
        assert n_mpjpe(scale * pred, gt) == pytest.approx(base, rel=1e-9)
    assert n_mpjpe(3.0 * gt, gt) == pytest.approx(0.0, abs=1e-12)
    t = n_mpjpe(torch.from_numpy(3.0 * pred), torch.from_numpy(gt))
    assert t.item() == pytest.approx(base, rel=1e-9)


def test_n_mpjpe_by_hand() -> None:
    # One joint, pred = (1, 0, 0), gt = (1, 1, 0): s = <p, g> / <p, p> = 1, residual (0, 1, 0) → 1.
    # Second pose: pred = (2, 0, 0), gt = (1, 0, 0): s = 1/2 → 0 error.
    pred = np.array([[[1.0, 0, 0]], [[2.0, 0, 0]]])
    gt = np.array([[[1.0, 1, 0]], [[1.0, 0, 0]]])
    np.testing.assert_allclose(n_mpjpe(pred, gt, reduction="per_frame"), [1.0, 0.0])


def test_mpjve_zero_for_constant_offset_and_by_hand() -> None:
    gt = _poses(2, 10, seed=7)
    assert mpjve(gt + np.array([0.5, -2.0, 1.0]), gt) == pytest.approx(0.0, abs=1e-12)
    # gt still; pred slides 0.1 per frame along x → velocity error 0.1 everywhere.
    still = np.zeros((5, 17, 3))
    sliding = still.copy()
    sliding[..., 0] = 0.1 * np.arange(5)[:, None]
    assert mpjve(sliding, still) == pytest.approx(0.1)
    assert mpjve(sliding, still, reduction="none").shape == (4, 17)
    value = mpjve(torch.from_numpy(sliding), torch.from_numpy(still))
    assert value.item() == pytest.approx(0.1)


def test_acceleration_error_by_hand() -> None:
    gt = np.zeros((4, 1, 3))
    pred = gt.copy()
    pred[1, 0, 2] = 2.0  # a one-frame spike: second differences at t=1, 2 are -4 and +2 in z
    np.testing.assert_allclose(acceleration_error(pred, gt, reduction="per_frame"), [4.0, 2.0])
    assert acceleration_error(pred, gt) == pytest.approx(3.0)
    # Constant velocity drift has zero acceleration error (but non-zero velocity error).
    drift = gt + 0.1 * np.arange(4.0)[:, None, None]
    assert acceleration_error(drift, gt) == pytest.approx(0.0, abs=1e-12)
    assert mpjve(drift, gt) == pytest.approx(0.1 * np.sqrt(3))
    torch_value = acceleration_error(torch.from_numpy(pred), torch.from_numpy(gt))
    assert torch_value.item() == pytest.approx(3.0)


def test_metrics_are_differentiable_in_torch() -> None:
    pred = torch.from_numpy(_poses(2, 4, seed=8)).requires_grad_(True)
    gt = torch.from_numpy(_poses(2, 4, seed=9))
    (mpjpe(pred, gt) + n_mpjpe(pred, gt) + mpjve(pred, gt)).backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_bad_inputs_raise_clear_errors() -> None:
    a = _poses(3)
    with pytest.raises(ValueError, match="shapes differ"):
        mpjpe(a, a[:2])
    with pytest.raises(ValueError, match=r"\(\.\.\., J, 3\)"):
        mpjpe(a[..., :2], a[..., :2])
    with pytest.raises(TypeError, match="both"):
        mpjpe(a, torch.from_numpy(a))
    with pytest.raises(ValueError, match="at least 3 frames"):
        acceleration_error(a[:2], a[:2])
    with pytest.raises(ValueError, match="at least 2 frames"):
        mpjve(a[:1], a[:1])
