"""bpy-free maths of the bake: rest pose from median bone lengths, per-frame bone rotations, quaternions, resampling.

Blender's pose model (for an armature object at the identity transform): a bone's armature-space pose rotation is

    W_b = W_parent · (Rest_parent⁻¹ · Rest_b) · Basis_b

where Rest_* are the edit-bone rest rotations (bone.matrix_local, columns = bone X, Y, Z axes) and Basis_b is the
keyed rotation (pose_bone.rotation_quaternion). We choose W_b per frame (Y axis aimed at the bone's tail joint, Z axis
from a twist reference, see core.rig_layout.TwistRef) and solve for Basis_b. The root bone also gets a location,
expressed in its rest frame: head = rest_head + Rest_root · loc.

Every child bone starts on its parent's axis (core.rig_layout), so the joints reproduce exactly up to the difference
between each frame's bone length and the median length used for the rest pose.

Shapes: T frames, J = 17 joints, B = 16 bones (core.rig_layout.BONES order). Quaternions are (w, x, y, z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gaps import resample_times
from .rig_layout import BONES, REST_FORWARD, TwistRef
from .rotations import make_continuous, matrix_to_quaternion, quaternion_to_matrix
from .skeleton import NUM_JOINTS

_EPS = 1e-9
_HEAD = np.array([b.head_joint for b in BONES])
_TAIL = np.array([b.tail_joint for b in BONES])
_PARENT = np.array([-1 if b.parent is None else [c.name for c in BONES].index(b.parent) for b in BONES])
# The knee/elbow blend: below this limb bend (sin of the angle) the limb plane is unreliable and the torso's forward
# direction takes over smoothly.
_BEND_FULL = np.sin(np.radians(25.0))


@dataclass(frozen=True)
class RestPose:
    """The armature's rest pose in armature space (= Blender world for an object at the identity).

    heads, tails: (B, 3) metres. matrices: (B, 3, 3) rest rotations, columns = bone X, Y, Z axes. lengths: (B,).
    """

    heads: np.ndarray
    tails: np.ndarray
    matrices: np.ndarray
    lengths: np.ndarray


def _check_joints(joints: np.ndarray) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"joints must have shape (T, {NUM_JOINTS}, 3), got {joints.shape}")
    if joints.shape[0] < 1:
        raise ValueError("joints must hold at least one frame")
    if not np.all(np.isfinite(joints)):
        raise ValueError("joints contain NaN or infinite values: fill gaps before baking (core.gaps.fill_gaps)")
    return joints


def median_bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Median over frames of each bone's length.

    Args: joints (T, J, 3). Returns: (B,) metres. Raises ValueError when a bone has (near) zero median length.
    """
    joints = _check_joints(joints)
    lengths = np.median(_norm(joints[:, _TAIL] - joints[:, _HEAD])[..., 0], axis=0)
    short = [BONES[i].name for i in np.flatnonzero(lengths < 1e-4)]
    if short:
        raise ValueError(f"bones with zero median length (joints on top of each other): {short}")
    return lengths


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of (..., 3) arrays (written out: np.cross is several times slower on long batches)."""
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)


def _norm(v: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis, keepdims. (..., 3) → (..., 1)."""
    return np.sqrt(np.einsum("...i,...i->...", v, v))[..., None]


def _frame(y: np.ndarray, z_ref: np.ndarray) -> np.ndarray:
    """Rotation matrices with Y along y and Z as close to z_ref as possible. y, z_ref: (..., 3) → (..., 3, 3)."""
    z = z_ref - np.einsum("...i,...i->...", z_ref, y)[..., None] * y
    z /= np.maximum(_norm(z), _EPS)
    x = _cross(y, z)
    return np.stack([x, y, z], axis=-1)


def rest_pose(lengths: np.ndarray) -> RestPose:
    """A T-pose facing -Y with the given bone lengths, feet on z = 0 (legs straight down from the hips).

    Args: lengths (B,). Returns: RestPose; every bone's Z axis points forward (core.rig_layout.REST_FORWARD).
    """
    lengths = np.asarray(lengths, dtype=np.float64)
    if lengths.shape != (len(BONES),) or np.any(lengths <= 0):
        raise ValueError(f"lengths must be ({len(BONES)},) positive values, got {lengths}")
    dirs = np.array([b.rest_dir for b in BONES], dtype=np.float64)
    heads = np.zeros((len(BONES), 3))
    tails = np.zeros((len(BONES), 3))
    for i, bone in enumerate(BONES):
        if _PARENT[i] >= 0:
            p = _PARENT[i]
            heads[i] = tails[p] if BONES[p].tail_joint == bone.head_joint else heads[p]
        tails[i] = heads[i] + dirs[i] * lengths[i]
    # Stand on the floor: the lowest tail (an ankle) at z = 0.
    lift = -tails[:, 2].min()
    heads[:, 2] += lift
    tails[:, 2] += lift
    forward = np.broadcast_to(np.array(REST_FORWARD), dirs.shape)
    return RestPose(heads, tails, _frame(dirs, forward), lengths.copy())


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Normalise (..., 3) vectors; zero-length ones take `fallback` (broadcastable)."""
    n = _norm(v)
    return np.where(n > 1e-8, v / np.maximum(n, 1e-12), fallback)


def _twist_refs(joints: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-frame Z reference for each bone. joints (T, J, 3), y (T, B, 3) bone directions → (T, B, 3)."""
    fwd0 = np.array(REST_FORWARD)
    pelvis_fwd = _unit(_cross(joints[:, 4] - joints[:, 1], joints[:, 7] - joints[:, 0]), fwd0)
    chest_fwd = _unit(_cross(joints[:, 11] - joints[:, 14], joints[:, 8] - joints[:, 7]), fwd0)
    refs = np.empty_like(y)
    limb_refs: dict[tuple[int, int, int], np.ndarray] = {}  # both bones of a limb share one reference
    for i, bone in enumerate(BONES):
        if bone.twist is TwistRef.PELVIS_FORWARD:
            refs[:, i] = pelvis_fwd
        elif bone.twist is TwistRef.CHEST_FORWARD:
            refs[:, i] = chest_fwd
        else:
            if bone.limb not in limb_refs:
                limb_refs[bone.limb] = _limb_ref(joints, bone.limb, bone.twist, pelvis_fwd, chest_fwd)  # type: ignore
            refs[:, i] = limb_refs[bone.limb]  # type: ignore[index]
    # A reference parallel to the bone leaves no twist information: use the torso's up (bone-independent, stable).
    parallel = np.abs(np.einsum("...i,...i->...", _unit(refs, fwd0), y))[..., None] > 0.999
    up = _unit(joints[:, 8] - joints[:, 0], np.array([0.0, 0.0, 1.0]))[:, None, :]
    return np.where(parallel, up, refs)


def _limb_ref(joints: np.ndarray, limb: tuple[int, int, int], twist: TwistRef, pelvis_fwd: np.ndarray,
              chest_fwd: np.ndarray) -> np.ndarray:
    """Z reference of a leg or arm (T, 3): the limb plane when bent, the torso's forward when straight."""
    a, b, c = limb
    upper = _unit(joints[:, b] - joints[:, a], pelvis_fwd)
    lower = _unit(joints[:, c] - joints[:, b], pelvis_fwd)
    weight = np.clip(_norm(_cross(upper, lower)) / _BEND_FULL, 0.0, 1.0)
    if twist is TwistRef.LEG_KNEE:
        # A knee only bends backwards: the front of the knee is (upper - lower); flip noise that says otherwise.
        front = _unit(upper - lower, pelvis_fwd)
        front = np.where(np.einsum("...i,...i->...", front, pelvis_fwd)[..., None] < 0, -front, front)
        return weight * front + (1 - weight) * pelvis_fwd
    # The forearm folds towards the front of the upper arm (biceps side): lower - upper.
    front = _unit(lower - upper, chest_fwd)
    return weight * front + (1 - weight) * chest_fwd


def world_rotations(joints: np.ndarray) -> np.ndarray:
    """Armature-space bone rotations aiming each bone at its tail joint. joints (T, J, 3) → (T, B, 3, 3)."""
    joints = _check_joints(joints)
    rest_dirs = np.array([b.rest_dir for b in BONES], dtype=np.float64)
    y = _unit(joints[:, _TAIL] - joints[:, _HEAD], rest_dirs)
    return _frame(y, _twist_refs(joints, y))




@dataclass(frozen=True)
class BakedMotion:
    """Keyable channels. rotations: (T, B, 4) pose-bone quaternions (w, x, y, z); root_location: (T, 3) in the root
    bone's rest frame (pose_bone.location)."""

    rest: RestPose
    rotations: np.ndarray
    root_location: np.ndarray


def solve_pose(joints: np.ndarray, rest: RestPose | None = None) -> BakedMotion:
    """Pose-bone rotations and root location reproducing `joints` on the armature.

    Args: joints (T, J, 3) Blender world, metres, gap-free. rest: defaults to rest_pose(median_bone_lengths(joints)).
    Returns: BakedMotion with rotations (T, B, 4) continuous in time and root_location (T, 3).
    """
    joints = _check_joints(joints)
    if rest is None:
        rest = rest_pose(median_bone_lengths(joints))
    world = world_rotations(joints)  # (T, B, 3, 3)
    rest_m = rest.matrices
    # Basis_b = Rest_b^T · Rest_p · W_p^T · W_b (root: Rest_b^T · W_b).
    parent_world = np.where((_PARENT >= 0)[None, :, None, None], world[:, _PARENT], np.eye(3))
    parent_rest = np.where((_PARENT >= 0)[:, None, None], rest_m[_PARENT], np.eye(3))
    rest_offset = np.swapaxes(rest_m, -1, -2) @ parent_rest  # (B, 3, 3)
    basis = rest_offset[None] @ (np.ascontiguousarray(np.swapaxes(parent_world, -1, -2)) @ world)
    root_loc = (joints[:, 0] - rest.heads[0]) @ rest_m[0]  # Rest_root^T · (pelvis - rest head), row vectors
    return BakedMotion(rest, make_continuous(matrix_to_quaternion(basis)), root_loc)


def forward_kinematics(rest: RestPose, rotations: np.ndarray, root_location: np.ndarray) -> np.ndarray:
    """Joint positions of the posed armature (what Blender computes), for tests and previews.

    Args: rest; rotations (T, B, 4); root_location (T, 3). Returns: (T, J, 3).
    """
    world = pose_rotations(rest, rotations)
    t = world.shape[0]
    heads = np.empty((t, len(BONES), 3))
    joints = np.empty((t, NUM_JOINTS, 3))
    for i, bone in enumerate(BONES):
        p = _PARENT[i]
        if p < 0:
            heads[:, i] = rest.heads[i] + root_location @ rest.matrices[i].T
        else:
            # The head's rest offset from the parent head, carried by the parent's pose rotation.
            local = rest.matrices[p].T @ (rest.heads[i] - rest.heads[p])
            heads[:, i] = heads[:, p] + world[:, p] @ local
        joints[:, bone.head_joint] = heads[:, i]
        joints[:, bone.tail_joint] = heads[:, i] + world[:, i][..., :, 1] * rest.lengths[i]
    return joints


def pose_rotations(rest: RestPose, rotations: np.ndarray) -> np.ndarray:
    """Armature-space rotations of the posed armature's bones (Blender's pose model).

    Args: rest; rotations (T, B, 4). Returns: (T, B, 3, 3)."""
    basis = quaternion_to_matrix(rotations)
    world = np.empty_like(basis)
    for i in range(len(BONES)):
        p = _PARENT[i]
        offset = rest.matrices[i] if p < 0 else rest.matrices[p].T @ rest.matrices[i]
        world[:, i] = (offset @ basis[:, i]) if p < 0 else world[:, p] @ offset @ basis[:, i]
    return world


def resample(joints: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Linear resampling in time of (T, J, C) from src_fps to dst_fps → (T', J, C), T' = floor((T-1)·dst/src) + 1."""
    if src_fps <= 0 or dst_fps <= 0:
        raise ValueError(f"frame rates must be positive, got {src_fps} → {dst_fps}")
    joints = np.asarray(joints, dtype=np.float64)
    n_out = int(np.floor((joints.shape[0] - 1) * dst_fps / src_fps + 1e-9)) + 1
    return resample_times(joints, np.arange(joints.shape[0]) / src_fps, np.arange(n_out) / dst_fps)
