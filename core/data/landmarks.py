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

Landmarks are not joint centres, so their *proportions* differ from any mocap skeleton's too: MediaPipe's hip
landmarks sit wider and lower than hip joints, its wrist landmark further down the forearm, its shoulders lower
relative to the nose. The ``"mediapipe"`` definition therefore also rescales each bone group by a per-source factor
(:data:`PROPORTION_FACTORS`, printed by ``python -m tools.measure_proportions``: the group lengths, relative to the
leg, of the shared reference's triangulated landmarks over those of each mocap source). Per source, not per motion:
each source keeps its own spread of bodies, shifted to landmark proportions; these proportions account for 36–66 mm
P-MPJPE on the reference when ignored. The factors come from one subject's landmarks: approximate.
"""

from __future__ import annotations

import numpy as np

from ..models.config import JOINT_DEFINITIONS
from ..skeleton import JOINT_INDEX
from .augment import BONE_GROUP, scale_bones

# Per mocap source: the factor of each bone group (core.data.augment's order: hip width, thigh, shin, trunk, neck,
# head, shoulder width, upper arm, forearm) that gives it MediaPipe landmark proportions (tools/measure_proportions).
PROPORTION_FACTORS: dict[str, tuple[float, ...]] = {
    "mb": (1.418, 1.045, 0.956, 1.489, 1.951, 0.879, 1.057, 1.040, 1.465),
    "daz": (1.198, 1.151, 0.877, 1.231, 2.390, 0.865, 1.666, 1.047, 1.191),
    "cmu_extra": (1.161, 1.008, 0.992, 1.529, 2.200, 0.881, 0.979, 1.078, 1.515),
    "hdm05": (1.235, 1.071, 0.934, 1.118, 1.748, 0.892, 0.838, 1.098, 1.615),
}

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


def mediapipe_like(poses: np.ndarray, source: str) -> np.ndarray:
    """:func:`landmark_like` with the bones of mocap ``source`` rescaled to landmark proportions.

    Args:
        poses: (..., 17, 3) skeleton-joint poses. source: a key of :data:`PROPORTION_FACTORS`.
    """
    if source not in PROPORTION_FACTORS:
        raise ValueError(f"no landmark proportions for mocap source {source!r}; known: {sorted(PROPORTION_FACTORS)}")
    out = landmark_like(poses)
    flat = out.reshape(1, -1, 17, 3)
    factors = np.asarray(PROPORTION_FACTORS[source])[BONE_GROUP][None]
    return scale_bones(flat, factors).reshape(out.shape).astype(out.dtype)


def convert(poses: np.ndarray, definition: str, source: str | None = None) -> np.ndarray:
    """Poses in the given joint definition: ``"skeleton"`` returns them as they are, ``"landmarks"`` converts the
    points, ``"mediapipe"`` converts the points and the proportions of mocap ``source``."""
    if definition not in JOINT_DEFINITIONS:
        raise ValueError(f"joint definition must be one of {JOINT_DEFINITIONS}, got {definition!r}")
    if definition == "mediapipe":
        if source is None:
            raise ValueError("the 'mediapipe' joint definition needs the mocap source of the poses")
        return mediapipe_like(poses, source)
    return landmark_like(poses) if definition == "landmarks" else poses
