"""Mocap skeleton joints → the joints a 2D detector sees (the "landmarks" joint definition).

The lifter runs on MediaPipe landmarks mapped to H36M-17 by ``core.skeleton.MEDIAPIPE_TO_H36M``: thorax = the
mid-shoulder point, spine = the mean of hips and shoulders, "neck" = the nose, head = the centroid of eyes and ears.
Mocap gives *skeleton* joints instead (CMU: thorax = Neck1, spine = the end of the lower back, neck = the Head joint,
head = the head end site): on the same poses these sit 36–42 mm from the detector's points, an offset no zero-mean
noise model can teach. A model trained with ``LifterConfig.joints = "landmarks"`` sees 2D *and* 3D built by
:func:`landmark_like` from the mocap, so what it learns to lift is what capture feeds it.

Trunk joints are exact re-definitions (means of mocap joints). The face points cannot be: mocap has no face. We take
the ear midpoint at the mocap head joint (CMU "Head" sits at the skull base, ear height: measured 0.28 torso
lengths above the shoulders on CMU mb against 0.30 for the ear midpoint on the shared Pose2Sim reference) and place
eyes and nose by offsets along the head's facing direction, measured on the reference's triangulated landmarks
(``../shared/data/pose2sim_balance``, all 33 MediaPipe points): eye/ear centroid 2.2 cm in front of the ear midpoint,
nose 5.3 cm in front and 2.8 cm below it (we use 7 cm, between that single subject and the ≈ 9–10 cm of adult
anthropometry). These two joints are approximate (a few cm); the other fifteen are exact.
"""

from __future__ import annotations

import numpy as np

from ..models.config import JOINT_DEFINITIONS
from ..skeleton import JOINT_INDEX

_EYE_EAR_CENTROID_FORWARD_M = 0.022
_NOSE_FORWARD_M = 0.07
_NOSE_DOWN_M = 0.028

_P, _LH, _RH = JOINT_INDEX["pelvis"], JOINT_INDEX["l_hip"], JOINT_INDEX["r_hip"]
_LS, _RS = JOINT_INDEX["l_shoulder"], JOINT_INDEX["r_shoulder"]
_SPINE, _THORAX, _NOSE, _HEAD = JOINT_INDEX["spine"], JOINT_INDEX["thorax"], JOINT_INDEX["neck"], JOINT_INDEX["head"]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def landmark_like(poses: np.ndarray) -> np.ndarray:
    """Skeleton-joint H36M-17 poses → detector-like H36M-17 poses (see the module docstring).

    Args:
        poses: (..., 17, 3) world or camera positions in metres, joints as ``core.data.cmu`` maps them
            (thorax = neck base, neck = head joint, head = head top/end site).
    Returns:
        (..., 17, 3) new array: pelvis = mid-hips, thorax = mid-shoulders, spine = mid(pelvis, thorax),
        neck = nose, head = eye/ear centroid; limbs unchanged.
    """
    poses = np.asarray(poses)
    if poses.ndim < 2 or poses.shape[-2:] != (17, 3):
        raise ValueError(f"landmark_like expects (..., 17, 3) poses, got {poses.shape}")
    out = np.array(poses, dtype=np.result_type(poses.dtype, np.float32), copy=True)
    pelvis = 0.5 * (poses[..., _LH, :] + poses[..., _RH, :])
    thorax = 0.5 * (poses[..., _LS, :] + poses[..., _RS, :])
    ear_mid = poses[..., _NOSE, :]  # the mocap head joint
    # Facing: the torso's forward (left-to-right shoulders × up) made orthogonal to the head's own up axis.
    head_up = _unit(poses[..., _HEAD, :] - ear_mid)
    forward = np.cross(poses[..., _LS, :] - poses[..., _RS, :], thorax - pelvis)
    forward = _unit(forward - (forward * head_up).sum(-1, keepdims=True) * head_up)
    out[..., _P, :] = pelvis
    out[..., _THORAX, :] = thorax
    out[..., _SPINE, :] = 0.5 * (pelvis + thorax)
    out[..., _NOSE, :] = ear_mid + _NOSE_FORWARD_M * forward - _NOSE_DOWN_M * head_up
    out[..., _HEAD, :] = ear_mid + _EYE_EAR_CENTROID_FORWARD_M * forward
    return out


def convert(poses: np.ndarray, definition: str) -> np.ndarray:
    """Poses in the given joint definition: ``"skeleton"`` returns them as they are, ``"landmarks"`` converts."""
    if definition not in JOINT_DEFINITIONS:
        raise ValueError(f"joint definition must be one of {JOINT_DEFINITIONS}, got {definition!r}")
    return landmark_like(poses) if definition == "landmarks" else poses
