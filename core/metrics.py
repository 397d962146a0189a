"""3D pose error metrics: MPJPE, P-MPJPE, N-MPJPE, MPJVE and mean acceleration error.

All functions are pure and batched on (..., J, 3) poses (numpy arrays or torch tensors, dispatched on type: one
implementation serves both). Errors are in the units of the input (metres in this project; multiply by 1000 for
the millimetres papers report). Temporal metrics take the time axis at -3, i.e. (..., T, J, 3).

Protocol names follow Human3.6M practice as in VideoPose3D (Pavllo et al., CVPR 2019, Sec. 5.1) and the
attention-TCN paper (Liu et al., CVPR 2020, Sec. 4): protocol 1 = MPJPE, protocol 2 = P-MPJPE (error after a
per-pose similarity alignment), N-MPJPE = error after a per-pose scale alignment (Rhodin et al., CVPR 2018).

Reduction (argument ``reduction``) for every metric:
* "mean" (default): scalar mean over everything.
* "none": per-joint error of every pose, shape (..., J) (temporal metrics: (..., T-1, J) or (..., T-2, J)).
* "per_joint": mean over all leading axes, shape (J,).
* "per_frame": mean over joints, shape (...) (temporal metrics: (..., T-1) or (..., T-2)).
A numpy input gives numpy results (a numpy scalar for "mean"); a tensor gives tensors (differentiable).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

REDUCTIONS = ("mean", "none", "per_joint", "per_frame")


def _xp(x: Any) -> Any:
    """The array namespace of x: torch for tensors (without importing torch here), numpy otherwise."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and isinstance(x, torch.Tensor) else np


def _check_pair(pred: Any, gt: Any, min_frames: int = 0) -> None:
    if _xp(pred) is not _xp(gt):
        raise TypeError(f"pred and gt must both be numpy arrays or both torch tensors, got {type(pred).__name__} "
                        f"and {type(gt).__name__}")  # fmt: skip
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError(f"pred and gt shapes differ: {tuple(pred.shape)} vs {tuple(gt.shape)}")
    if pred.ndim < 2 + (min_frames > 0) or pred.shape[-1] != 3:
        want = "(..., T, J, 3)" if min_frames else "(..., J, 3)"
        raise ValueError(f"poses must have shape {want}, got {tuple(pred.shape)}")
    if min_frames and pred.shape[-3] < min_frames:
        raise ValueError(f"need at least {min_frames} frames on axis -3, got {pred.shape[-3]}")


def _reduce(err: Any, reduction: str) -> Any:
    """err: (..., J) per-joint errors → reduced as described in the module docstring."""
    if reduction == "none":
        return err
    if reduction == "mean":
        return err.mean()
    if reduction == "per_frame":
        return err.mean(-1)
    if reduction == "per_joint":
        return err.reshape(-1, err.shape[-1]).mean(0)
    raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")


def _joint_errors(pred: Any, gt: Any) -> Any:
    """(..., J, 3) pair → (..., J) Euclidean distances."""
    return _xp(pred).linalg.norm(pred - gt, axis=-1)


def mpjpe(pred: Any, gt: Any, reduction: str = "mean") -> Any:
    """Mean per-joint position error (protocol 1): mean Euclidean distance between matching joints.

    Args:
        pred, gt: (..., J, 3) poses in the same frame (usually root-relative camera space).
        reduction: see the module docstring.
    Returns:
        Scalar, (..., J), (J,) or (...,) depending on ``reduction``.
    """
    _check_pair(pred, gt)
    return _reduce(_joint_errors(pred, gt), reduction)


def procrustes_align(pred: Any, gt: Any) -> Any:
    """Align each predicted pose to its ground truth by the best similarity transform (scale, rotation, translation).

    Solves min_{s, R, t} Σ_j |s · pred_j @ R + t − gt_j|² per pose (Umeyama, TPAMI 1991): with centred poses
    P, G and the SVD ``P.T @ G = U S Vt``, R = U D Vt where D = diag(1, 1, sign det(U Vt)) keeps R a proper
    rotation (the reflection fix: a mirrored prediction is not folded onto the ground truth), s = tr(D S) / |P|²,
    t = mean(gt) − s · mean(pred) @ R.

    Args:
        pred, gt: (..., J, 3) poses, J >= 3 for a well-defined rotation.
    Returns:
        (..., J, 3) aligned prediction.
    """
    _check_pair(pred, gt)
    xp = _xp(pred)
    mu_p = pred.mean(-2, keepdims=True)
    mu_g = gt.mean(-2, keepdims=True)
    p0, g0 = pred - mu_p, gt - mu_g
    u, s, vt = xp.linalg.svd(p0.swapaxes(-1, -2) @ g0)  # (..., 3, 3), (..., 3), (..., 3, 3)
    # sign det(U Vt) as +-1 (never 0: a rank-deficient H still has det(U Vt) = +-1 up to rounding).
    d = xp.sign(xp.linalg.det(u @ vt))
    d = xp.where(d == 0, xp.ones_like(d), d)
    ones = xp.ones_like(s[..., :2])
    diag = xp.concatenate([ones, d[..., None]], -1)  # (..., 3) = diagonal of D
    rot = (u * diag[..., None, :]) @ vt  # U D Vt
    norm_p = (p0**2).sum((-2, -1))
    eps = xp.finfo(norm_p.dtype).tiny  # all-coincident prediction: scale -> 0 instead of nan
    scale = (s * diag).sum(-1) / norm_p.clip(min=eps)
    return scale[..., None, None] * (p0 @ rot) + mu_g


def p_mpjpe(pred: Any, gt: Any, reduction: str = "mean") -> Any:
    """Protocol 2: MPJPE after per-pose Procrustes alignment with scale (see procrustes_align).

    Args:
        pred, gt: (..., J, 3) poses.
        reduction: see the module docstring.
    Returns:
        Scalar, (..., J), (J,) or (...,) depending on ``reduction``.
    """
    return mpjpe(procrustes_align(pred, gt), gt, reduction)


def n_mpjpe(pred: Any, gt: Any, reduction: str = "mean") -> Any:
    """N-MPJPE: MPJPE after scaling each predicted pose by the least-squares factor s = <pred, gt> / <pred, pred>.

    As in VideoPose3D's ``n_mpjpe``: no centring, so the poses should be root-relative; s is computed per pose
    (over its J joints and 3 channels).

    Args:
        pred, gt: (..., J, 3) root-relative poses.
        reduction: see the module docstring.
    Returns:
        Scalar, (..., J), (J,) or (...,) depending on ``reduction``.
    """
    _check_pair(pred, gt)
    xp = _xp(pred)
    dot = (pred * gt).sum((-2, -1), keepdims=True)
    norm = (pred * pred).sum((-2, -1), keepdims=True)
    scale = dot / norm.clip(min=xp.finfo(norm.dtype).tiny)  # all-zero prediction: scale 0, not nan
    return mpjpe(scale * pred, gt, reduction)


def _diff_time(x: Any) -> Any:
    """(..., T, J, 3) → (..., T-1, J, 3) first differences along the time axis -3."""
    return x[..., 1:, :, :] - x[..., :-1, :, :]


def mpjve(pred: Any, gt: Any, reduction: str = "mean") -> Any:
    """Mean per-joint velocity error: MPJPE of the first differences over time (VideoPose3D, Sec. 5.1).

    Units are (input units) per frame; divide by the frame period for per-second values.

    Args:
        pred, gt: (..., T, J, 3) pose sequences, T >= 2.
        reduction: see the module docstring; "none" gives (..., T-1, J).
    """
    _check_pair(pred, gt, min_frames=2)
    return mpjpe(_diff_time(pred), _diff_time(gt), reduction)


def acceleration_error(pred: Any, gt: Any, reduction: str = "mean") -> Any:
    """Mean acceleration error: MPJPE of the second differences over time (x[t+1] − 2 x[t] + x[t−1]).

    Units are (input units) per frame²; measures jitter, as used for temporal smoothness in video pose work.

    Args:
        pred, gt: (..., T, J, 3) pose sequences, T >= 3.
        reduction: see the module docstring; "none" gives (..., T-2, J).
    """
    _check_pair(pred, gt, min_frames=3)
    return mpjpe(_diff_time(_diff_time(pred)), _diff_time(_diff_time(gt)), reduction)
