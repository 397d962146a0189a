"""Retarget a 17-joint motion onto any rig by rotations, with per-bone rest offsets (Blender's pose model).

For every driven target bone b the source gives a segment frame F_s(t) and the target's rest gives the same
segment's frame F_t (core.retarget.frames, same recipe on both). The bone's armature-space rotation is

    W_b(t) = F_s(t) · F_tᵀ · Rest_b

i.e. the rest offset Oᵦ = F_tᵀ·Rest_b (the bone's rest orientation seen from its segment) is kept, so the target's
rest pose (T-pose, A-pose, any roll) never leaks into the motion and the bone's segment points where the source's
does. Spine and neck chains of any length follow the source curve (core.retarget.frames.chain_frames). Bones that are
not driven keep their current pose relative to their parent (fingers, twist bones, a clavicle left unmapped).

Root translation: the root-motion bone (by default the nearest common ancestor of pelvis and thighs,
core.retarget.target.default_root) moves by the source pelvis displacement from its rest position times the
leg-length ratio (target hip→knee→ankle length over the source's), so a shorter character takes shorter steps. Limb
bones parented elsewhere (a game rig's IK feet under ``Root``) are keyed with a location that puts them at the end of
their limb.
With ``align_heading`` the source is first turned about the up axis so that its rest pose faces the way the
target's rest pose faces (a rig imported facing +Y still walks forwards).

Keys come out in Blender's pose model (for bone b with parent p, rest matrices Rest and pose matrices M, all in
armature space): M_b = M_p · (Rest_p⁻¹·Rest_b) · Basis_b, solved here for Basis_b. Bones are assumed to inherit
rotation and scale from their parents (Blender's default) and to carry no constraints that change their pose.

Shapes: T frames, J = 17 joints, B target bones, D driven bones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import JOINT_INDEX as J
from ..skeleton import NUM_JOINTS
from .footlock import FootLockConfig, lock_targets, two_bone_ik
from .frames import chain_fractions, chain_frames, segment_frames, torso_axes
from .mapping import BoneMap
from .rotations import frame, swing, unit
from .target import Layout, TargetRig, chain_points, detached_head, layout, pseudo_joints

# Role → the source segment frame (core.retarget.frames.segment_frames) that drives its bone.
ROLE_SEGMENTS: dict[str, str] = {
    "pelvis": "pelvis", "l_clavicle": "l_clavicle", "r_clavicle": "r_clavicle",
    "l_hip": "l_thigh", "l_knee": "l_shin", "r_hip": "r_thigh", "r_knee": "r_shin",
    "l_shoulder": "l_upper_arm", "l_elbow": "l_forearm", "r_shoulder": "r_upper_arm", "r_elbow": "r_forearm",
}
# Roles keyed but not aimed: they keep their rest offset to the parent (the 17 joints say nothing about hands/feet).
FOLLOW_ROLES = ("l_ankle", "r_ankle", "l_wrist", "r_wrist")


@dataclass(frozen=True)
class RetargetOptions:
    """scale_translation: scale the root translation by the leg-length ratio (else copy it 1:1).
    align_heading: turn the source about `up` so its rest pose faces like the target's rest pose.
    up: the up axis in the target's armature space. foot_lock: None disables foot locking.
    keep_ik: (the add-on, operators/retarget_ik.py) a Rigify limb left in IK keeps IK, its IK controls keyed by
    Rigify's own IK->FK snap (≈ 0.3 s per limb and frame on the 2-core machine, docs/retarget.md); off: the limb is
    keyed to FK."""

    scale_translation: bool = True
    align_heading: bool = True
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    foot_lock: FootLockConfig | None = None
    keep_ik: bool = True

    def __post_init__(self) -> None:
        if len(self.up) != 3 or not np.linalg.norm(self.up) > 0:
            raise ValueError(f"up must be a non-zero 3-vector, got {self.up}")
        if self.foot_lock is not None and not isinstance(self.foot_lock, FootLockConfig):
            raise ValueError("foot_lock must be a FootLockConfig or None")


@dataclass(frozen=True)
class RetargetResult:
    """driven: (D,) bone indices with keys; rotations: (T, D, 3, 3) pose-bone (basis) rotations; root: index of the
    root-motion bone; root_location: (T, 3) its pose-bone location; matrices: (T, B, 4, 4) armature-space pose;
    joints: (T, J, 3) the target's pseudo joints; scale: leg-length ratio used; heading: (3, 3) source alignment;
    located: bones besides the root keyed with a location (detached limb bones, core.retarget.target.Layout) and
    locations: (T, L, 3) their pose-bone locations (None when there are none)."""

    driven: tuple[int, ...]
    rotations: np.ndarray
    root: int
    root_location: np.ndarray
    matrices: np.ndarray
    joints: np.ndarray
    scale: float
    heading: np.ndarray
    located: tuple[int, ...] = ()
    locations: np.ndarray | None = None


def _check_joints(joints: np.ndarray, name: str, frames: bool) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    ndim = 3 if frames else 2
    if joints.ndim != ndim or joints.shape[-2:] != (NUM_JOINTS, 3) or joints.shape[0] == 0:
        raise ValueError(f"{name} must have shape {'(T, 17, 3)' if frames else '(17, 3)'}, got {joints.shape}")
    if not np.all(np.isfinite(joints)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return joints


def leg_length(joints: np.ndarray) -> float:
    """Mean over both legs of hip→knee + knee→ankle. joints (J, 3)."""
    total = 0.0
    for s in ("l", "r"):
        total += np.linalg.norm(joints[J[f"{s}_knee"]] - joints[J[f"{s}_hip"]])
        total += np.linalg.norm(joints[J[f"{s}_ankle"]] - joints[J[f"{s}_knee"]])
    if total <= 1e-9:
        raise ValueError("zero leg length: the hips, knees and ankles coincide")
    return total / 2


def heading_alignment(source_rest: np.ndarray, target_rest: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The rotation about `up` turning the source rest pose's facing onto the target's. → (3, 3)."""
    def facing(joints: np.ndarray) -> np.ndarray:
        fwd = torso_axes(joints)["pelvis_fwd"]
        return unit(fwd - np.dot(fwd, up) * up)
    fs, ft = facing(source_rest), facing(target_rest)
    angle = np.arctan2(np.dot(up, np.cross(fs, ft)), np.dot(fs, ft))
    k = np.array([[0, -up[2], up[1]], [up[2], 0, -up[0]], [-up[1], up[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _world_rotations(src: np.ndarray, rig: TargetRig, lay: Layout, rest_joints: np.ndarray) -> dict[int, np.ndarray]:
    """Driven bone index → (T, 3, 3) armature-space rotation W_b = F_s · F_tᵀ · Rest_b."""
    rest_rot = rig.rest[:, :3, :3]
    src_frames = segment_frames(src)
    tgt_frames = segment_frames(rest_joints)
    tgt_axes = torso_axes(rest_joints)
    for s in ("l", "r"):  # a clavicle bone rarely starts at the thorax point: use its own head → the shoulder
        if f"{s}_clavicle" in lay.roles:
            head = rig.rest[lay.roles[f"{s}_clavicle"], :3, 3]
            tgt_frames[f"{s}_clavicle"] = frame(rest_joints[J[f"{s}_shoulder"]] - head, tgt_axes["chest_up"])
    out: dict[int, np.ndarray] = {}
    for role, segment in ROLE_SEGMENTS.items():
        if role in lay.roles:
            b = lay.roles[role]
            out[b] = src_frames[segment] @ (tgt_frames[segment].T @ rest_rot[b])
    src_axes = torso_axes(src)
    chains = (("spine", ("pelvis", "spine", "thorax"), "pelvis_lat", "chest_lat"),
              ("neck", ("thorax", "neck", "head"), "chest_lat", "chest_lat"))
    for which, joints, lat0, lat1 in chains:
        bones = lay.spine if which == "spine" else lay.neck
        if not bones:
            continue
        tgt_points = chain_points(rig.rest, rig, lay, which)  # (N+1, 3)
        fractions = chain_fractions(tgt_points)
        tgt = chain_frames(tgt_points[None], fractions, tgt_axes[lat0][None], tgt_axes[lat1][None])[0]
        src_poly = src[:, [J[j] for j in joints]]
        frames = chain_frames(src_poly, fractions, src_axes[lat0], src_axes[lat1])  # (T, N, 3, 3)
        for k, b in enumerate(bones):
            out[b] = frames[:, k] @ (tgt[k].T @ rest_rot[b])
    return out


def _inverse(m: np.ndarray) -> np.ndarray:
    """Inverse of affine (..., 4, 4) matrices: transpose for rotations (the usual case), a general inverse else."""
    rot = m[..., :3, :3]
    rigid = np.abs(rot @ np.swapaxes(rot, -1, -2) - np.eye(3)).max() < 1e-6
    inv_rot = np.swapaxes(rot, -1, -2) if rigid else np.linalg.inv(rot)
    out = np.zeros_like(m)
    out[..., :3, :3] = inv_rot
    out[..., :3, 3] = -(inv_rot @ m[..., :3, 3, None])[..., 0]
    out[..., 3, 3] = 1.0
    return out


def _times(stack: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(T, 4, 4) @ (4, 4) as one matrix product (BLAS), much faster than a stacked matmul."""
    return (np.ascontiguousarray(stack).reshape(-1, 4) @ m).reshape(stack.shape)


def _order(rig: TargetRig, detached: dict[int, int]) -> list[int]:
    """Bones parents first, a detached bone (and its children) after the limb bone it sits on."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(b: int) -> None:
        if b in seen:
            return
        seen.add(b)
        for dep in (rig.parents[b], detached.get(b, -1)):
            if dep >= 0:
                visit(dep)
        order.append(b)

    for b in range(len(rig.names)):
        visit(b)
    return order


def _forward(rig: TargetRig, lay: Layout, world: dict[int, np.ndarray], root_head: np.ndarray, frames: int,
             keyed: set[int], heads: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Pose matrices (T, B, 4, 4), and the bases (T, 4, 4) of the driven, root and `keyed` bones: driven bones take
    their `world` rotation, the root bone's head goes to `root_head`, a detached bone's head where its limb bone
    carries it (lay.detached), every other bone keeps rig.basis; a bone in `heads` has its head there (T, 3): where
    the rig's constraints put it (see :func:`retarget`)."""
    inv_rest = _inverse(rig.rest)
    matrices = np.empty((frames, len(rig.names), 4, 4))
    bases: dict[int, np.ndarray] = {}
    root = lay.root
    for b in _order(rig, lay.detached):
        p = rig.parents[b]
        local = rig.rest[b] if p < 0 else inv_rest[p] @ rig.rest[b]
        base = np.broadcast_to(local, (frames, 4, 4)) if p < 0 else _times(matrices[:, p], local)
        if b in world or b == root or b in lay.detached:
            m = base.copy() if b in world else _times(base, rig.basis[b])
            if b in world:
                m[:, :3, :3] = world[b]
            if b == root:
                m[:, :3, 3] = root_head
            if b in lay.detached:
                m[:, :3, 3] = detached_head(matrices, rig, lay, b)
            if heads is not None and b in heads:
                m[:, :3, 3] = heads[b]  # the model follows the rig; the key (rotation only) is solved as usual
            bases[b] = _inverse(base) @ m
        else:
            m = _times(base, rig.basis[b])
            if b in keyed:
                bases[b] = np.broadcast_to(rig.basis[b], (frames, 4, 4))
        matrices[:, b] = m
    return matrices, bases


def _lock_feet(rig: TargetRig, lay: Layout, world: dict[int, np.ndarray], matrices: np.ndarray,
               contacts: np.ndarray, config: FootLockConfig, up: np.ndarray | None = None) -> None:
    """Pin the target ankles during contacts (core.retarget.footlock); updates `world` in place."""
    joints = pseudo_joints(matrices, rig, lay)
    ankles = joints[:, [J["l_ankle"], J["r_ankle"]]]
    hips = joints[:, [J["l_hip"], J["r_hip"]]]
    rest = pseudo_joints(rig.rest, rig, lay)
    reach = np.array([np.linalg.norm(rest[J[f"{s}_knee"]] - rest[J[f"{s}_hip"]]) +
                      np.linalg.norm(rest[J[f"{s}_ankle"]] - rest[J[f"{s}_knee"]]) for s in ("l", "r")])
    up = torso_axes(rest)["chest_up"] if up is None else up
    floor = (up, rest[[J["l_ankle"], J["r_ankle"]]] @ up)  # the target's own floor: its rest pose stands on it
    goals, weights = lock_targets(ankles, contacts, config.blend_frames, hips, reach * 0.999, floor)
    forward = torso_axes(joints)["pelvis_fwd"]
    for k, s in enumerate(("l", "r")):
        active = weights[:, k] > 0
        if not active.any():
            continue
        hip, knee, ankle = (joints[:, J[f"{s}_{j}"]] for j in ("hip", "knee", "ankle"))
        new_knee, new_ankle = two_bone_ik(hip, knee, ankle, goals[:, k], forward)
        thigh, shin = lay.roles[f"{s}_hip"], lay.roles[f"{s}_knee"]
        turn_thigh = swing(knee - hip, new_knee - hip)
        turn_shin = swing(ankle - knee, new_ankle - new_knee)
        foot = lay.roles.get(f"{s}_ankle")
        if foot is not None:  # the foot keeps its world orientation while the leg bends under it
            world[foot] = np.where(active[:, None, None], matrices[:, foot, :3, :3], world[foot])
        world[thigh] = np.where(active[:, None, None], turn_thigh @ world[thigh], world[thigh])
        world[shin] = np.where(active[:, None, None], turn_shin @ world[shin], world[shin])


def _standing_lift(source: np.ndarray, source_rest: np.ndarray, up: np.ndarray, contacts: np.ndarray | None) -> float:
    """How far above the source rest pose's ankles the take's planted ankles stand (along ``up``).

    The root translation is the pelvis's displacement from the rest pose; a rest pose standing with its ankles on the
    floor while the captured ankles stand at ankle height (the capture's soles are on the floor) would lift the
    target by that difference: planted feet would float. Planted ankles: the frames in ``contacts`` when given, else
    the lower ankle's 5th percentile height.
    """
    ankles = source[:, [J["l_ankle"], J["r_ankle"]]] @ up  # (T, 2)
    if contacts is not None and np.asarray(contacts, dtype=bool).shape == ankles.shape and np.any(contacts):
        planted = float(np.median(ankles[np.asarray(contacts, dtype=bool)]))
    else:
        planted = float(np.percentile(ankles.min(axis=1), 5.0))
    return planted - float(min(source_rest[J["l_ankle"]] @ up, source_rest[J["r_ankle"]] @ up))


def retarget(source: np.ndarray, source_rest: np.ndarray, rig: TargetRig, mapping: BoneMap,
             options: RetargetOptions | None = None, contacts: np.ndarray | None = None,
             heads: dict[int, np.ndarray] | None = None) -> RetargetResult:  # fmt: skip
    """Retarget a motion onto a rig.

    Args:
        source: (T, J, 3) source joints per frame in the target's armature space.
        source_rest: (J, 3) the source skeleton's rest joints, same space (reference for the root translation).
        rig, mapping: the target and its bone map (validated here). options: RetargetOptions.
        contacts: (T, 2) planted (left, right) foot mask from core.retarget.footlock.detect_contacts; used when
            options.foot_lock is set.
        heads: driven bone → (T, 3) its head as the rig really places it, when constraints above it put it
            elsewhere than its parent chain says (a generated Rigify rig's hip sockets follow the ``hips`` control
            through ``ORG-spine``: measured by evaluating a first solve in Blender, operators/retarget.py). Foot
            locking then reaches the planted feet from the real sockets.
    Returns: RetargetResult. Raises ValueError on bad input.
    """
    options = options or RetargetOptions()
    source = _check_joints(source, "source joints", frames=True)
    source_rest = _check_joints(source_rest, "source rest joints", frames=False)
    lay = layout(rig, mapping)
    frames = len(source)
    rest_joints = pseudo_joints(rig.rest, rig, lay)
    up = unit(np.asarray(options.up, dtype=np.float64))
    heading = heading_alignment(source_rest, rest_joints, up) if options.align_heading else np.eye(3)
    pelvis0 = source_rest[J["pelvis"]] + up * _standing_lift(source, source_rest, up, contacts)
    src = (source - pelvis0) @ heading.T + pelvis0
    scale = leg_length(rest_joints) / leg_length(source_rest) if options.scale_translation else 1.0

    world = _world_rotations(src, rig, lay, rest_joints)
    displacement = (src[:, J["pelvis"]] - pelvis0) * scale
    root_head = rig.rest[lay.root, :3, 3] + displacement
    keyed = {lay.roles[r] for r in FOLLOW_ROLES if r in lay.roles}  # hands and feet: keyed, not aimed
    matrices, bases = _forward(rig, lay, world, root_head, frames, keyed, heads)
    if options.foot_lock is not None and contacts is not None:
        contacts = np.asarray(contacts, dtype=bool)
        if contacts.shape != (frames, 2):
            raise ValueError(f"contacts must have shape ({frames}, 2), got {contacts.shape}")
        for role in FOLLOW_ROLES[:2]:
            if role in lay.roles:  # feet become driven so they can keep their orientation
                world.setdefault(lay.roles[role], matrices[:, lay.roles[role], :3, :3].copy())
        _lock_feet(rig, lay, world, matrices, contacts, options.foot_lock, up)
        matrices, bases = _forward(rig, lay, world, root_head, frames, keyed, heads)

    driven = sorted(bases)
    rotations = np.stack([bases[b][:, :3, :3] for b in driven], axis=1)
    located = tuple(sorted(set(lay.detached) - {lay.root}))
    return RetargetResult(tuple(driven), rotations, lay.root, bases[lay.root][:, :3, 3], matrices,
                          pseudo_joints(matrices, rig, lay), float(scale), heading, located,
                          np.stack([bases[b][:, :3, 3] for b in located], axis=1) if located else None)
