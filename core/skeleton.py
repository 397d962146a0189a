"""The 17-joint Human3.6M skeleton as data, left/right flipping, and detector-keypoint → H36M-17 mappings.

The joint order is the one used by VideoPose3D (Pavllo et al., CVPR 2019) and by the attention-TCN lifter of
Liu et al. (CVPR 2020): the 17 of Human3.6M's 32 mocap joints that move independently. Index 9 ("neck") is
Human3.6M's "Neck/Nose" joint, which sits between the thorax and the head, around the nose/chin.

Detector mappings are data: each H36M joint is listed with the detector landmarks it is the mean of. The table is
turned into a (17, S) weight matrix once, at import; a mapping is then one matrix product for the positions and a
masked minimum for the confidences (a derived joint is only as trustworthy as its least trusted source).

This module imports neither bpy nor torch; torch tensors are accepted wherever noted without importing torch here,
so the add-on can use the joint names inside Blender.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

NUM_JOINTS = 17

H36M_JOINTS: tuple[str, ...] = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "thorax", "neck", "head",
    "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)  # fmt: skip
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(H36M_JOINTS)}

H36M_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
H36M_LEFT: tuple[int, ...] = (4, 5, 6, 11, 12, 13)
H36M_RIGHT: tuple[int, ...] = (1, 2, 3, 14, 15, 16)

# (parent, child) pairs, one per bone, in joint order (16 bones).
H36M_BONES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(H36M_PARENTS) if p >= 0)


def _flip_permutation() -> tuple[int, ...]:
    perm = list(range(NUM_JOINTS))
    for left, right in zip(H36M_LEFT, H36M_RIGHT, strict=True):
        perm[left], perm[right] = right, left
    return tuple(perm)


# Joint j of a flipped pose is joint FLIP_PERMUTATION[j] of the original (an involution). Use it on per-joint data
# without coordinates (e.g. confidences: conf[..., FLIP_PERMUTATION]).
FLIP_PERMUTATION: tuple[int, ...] = _flip_permutation()


def _is_torch(x: Any) -> bool:
    """True for a torch.Tensor, without importing torch (if torch is not loaded, x cannot be a tensor)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def flip(poses: Any) -> Any:
    """Mirror poses left↔right: negate channel 0 (x) and swap the left and right joints.

    Valid for coordinates whose mirror axis is x = 0: normalised 2D (see camera.normalize_screen_coordinates, x in
    [-1, 1]) and camera-space 3D. Used by training augmentation and test-time augmentation alike.

    Args:
        poses: (..., J, C) numpy array or torch tensor, J = 17, C >= 1 (2 or 3 in practice).
    Returns:
        (..., J, C) new array/tensor of the same type, dtype and device; the input is not modified.
    """
    if poses.ndim < 2 or poses.shape[-2] != NUM_JOINTS:
        raise ValueError(f"flip expects poses of shape (..., {NUM_JOINTS}, C), got {tuple(poses.shape)}")
    if _is_torch(poses):
        out = poses[..., list(FLIP_PERMUTATION), :].clone()  # clone: never alias the input
    else:
        out = np.array(poses[..., FLIP_PERMUTATION, :], copy=True)
    out[..., 0] = -out[..., 0]
    return out


# --- detector landmark sets -------------------------------------------------------------------------------------

# MediaPipe Pose (BlazePose) 33 landmarks, in MediaPipe's order.
MEDIAPIPE_LANDMARKS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

_LIMBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("r_hip", ("right_hip",)),
    ("r_knee", ("right_knee",)),
    ("r_ankle", ("right_ankle",)),
    ("l_hip", ("left_hip",)),
    ("l_knee", ("left_knee",)),
    ("l_ankle", ("left_ankle",)),
    ("l_shoulder", ("left_shoulder",)),
    ("l_elbow", ("left_elbow",)),
    ("l_wrist", ("left_wrist",)),
    ("r_shoulder", ("right_shoulder",)),
    ("r_elbow", ("right_elbow",)),
    ("r_wrist", ("right_wrist",)),
)
_TRUNK: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pelvis", ("left_hip", "right_hip")),
    ("thorax", ("left_shoulder", "right_shoulder")),
    # The mean of the four is exactly the midpoint of pelvis (mid-hips) and thorax (mid-shoulders).
    ("spine", ("left_hip", "right_hip", "left_shoulder", "right_shoulder")),
    # H36M's "Neck/Nose" joint: the detector's nose is the closest landmark.
    ("neck", ("nose",)),
    # H36M's head joint is inside the skull; the centroid of eyes and ears is the best estimate MediaPipe offers.
    ("head", ("left_eye", "right_eye", "left_ear", "right_ear")),
)

# Each H36M joint is the unweighted mean of the listed landmarks.
MEDIAPIPE_TO_H36M: tuple[tuple[str, tuple[str, ...]], ...] = _TRUNK + _LIMBS


def mapping_matrix(table: tuple[tuple[str, tuple[str, ...]], ...], source_names: tuple[str, ...]) -> np.ndarray:
    """Turn a (target, sources) table into a (17, S) weight matrix: row j averages the sources of H36M joint j.

    Raises ValueError if a target or source name is unknown or a target is missing/duplicated.
    """
    src_index = {name: i for i, name in enumerate(source_names)}
    weights = np.zeros((NUM_JOINTS, len(source_names)), dtype=np.float64)
    seen: set[str] = set()
    for target, sources in table:
        if target not in JOINT_INDEX or target in seen:
            raise ValueError(f"mapping table: unknown or duplicate H36M joint {target!r}")
        seen.add(target)
        unknown = [s for s in sources if s not in src_index]
        if unknown or not sources:
            raise ValueError(f"mapping table: joint {target!r} has unknown or no sources {unknown}")
        for s in sources:
            weights[JOINT_INDEX[target], src_index[s]] = 1.0 / len(sources)
    if len(seen) != NUM_JOINTS:
        raise ValueError(f"mapping table misses H36M joints {sorted(set(H36M_JOINTS) - seen)}")
    return weights


MEDIAPIPE_WEIGHTS: np.ndarray = mapping_matrix(MEDIAPIPE_TO_H36M, MEDIAPIPE_LANDMARKS)  # (17, 33)
MEDIAPIPE_WEIGHTS.setflags(write=False)


def map_keypoints(xy: Any, conf: Any, weights: np.ndarray) -> tuple[Any, Any]:
    """Map detector keypoints to H36M-17 with a (17, S) weight matrix (see mapping_matrix).

    Args:
        xy: (..., S, 2) keypoint positions (any units), numpy or torch.
        conf: (..., S) confidences/visibilities, same type as xy.
        weights: (17, S) rows summing to 1; a non-zero entry marks a source of that joint.
    Returns:
        ((..., 17, 2) positions, (..., 17) confidences): position = weighted mean of the sources, confidence = the
        minimum confidence of the sources. Same array type (and torch device) as the inputs.
    """
    num_src = weights.shape[1]
    if xy.ndim < 2 or tuple(xy.shape[-2:]) != (num_src, 2):
        raise ValueError(f"expected keypoints of shape (..., {num_src}, 2), got {tuple(xy.shape)}")
    if tuple(conf.shape) != tuple(xy.shape[:-1]):
        raise ValueError(f"confidence shape {tuple(conf.shape)} does not match keypoints {tuple(xy.shape)}[:-1]")
    is_source = weights > 0  # (17, S)
    if _is_torch(xy):
        torch = sys.modules["torch"]
        # copy(): the module-level matrices are read-only and torch refuses to wrap non-writable memory.
        w = torch.from_numpy(weights.copy()).to(dtype=xy.dtype, device=xy.device)
        mask = torch.from_numpy(is_source).to(device=xy.device)
        joints = w @ xy  # (17, S) @ (..., S, 2) -> (..., 17, 2)
        masked = torch.where(mask, conf.unsqueeze(-2), torch.full_like(conf.unsqueeze(-2), float("inf")))
        return joints, masked.amin(dim=-1)
    xy = np.asarray(xy)
    conf = np.asarray(conf)
    joints = weights.astype(np.result_type(xy.dtype, np.float32), copy=False) @ xy
    masked = np.where(is_source, conf[..., None, :], np.inf)  # (..., 17, S)
    return joints, masked.min(axis=-1).astype(conf.dtype, copy=False)


def mediapipe_to_h36m(xy: Any, conf: Any) -> tuple[Any, Any]:
    """MediaPipe Pose landmarks → H36M-17.

    Args:
        xy: (..., 33, 2) landmark positions (pixels or normalised), numpy or torch.
        conf: (..., 33) per-landmark visibility/confidence.
    Returns:
        ((..., 17, 2), (..., 17)); see MEDIAPIPE_TO_H36M for which landmarks feed each joint.
    """
    return map_keypoints(xy, conf, MEDIAPIPE_WEIGHTS)
