"""The target rig as arrays, and where the 17 body joints sit on it ("pseudo joints").

A target bone's rest pose comes from Blender's ``bone.matrix_local`` (armature space, columns = bone X, Y, Z, last
column = head). Given a bone map, the target's body joints are read off the mapped bones: a limb joint is the head
of the bone at that joint (or, if that role is unmapped, the tail of the bone before it); the thorax is the head of
the first neck bone (or of the head bone, or the tail of the last spine bone); the spine joint is the middle of the
spine chain. These pseudo joints give the target's rest segment frames (core.retarget.frames) and, posed, are what
the tests compare with the source.

Shapes: B bones, T frames, J = 17 joints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..skeleton import JOINT_INDEX, NUM_JOINTS
from .frames import sample_polyline
from .mapping import BoneMap
from .rotations import unit


@dataclass(frozen=True)
class TargetRig:
    """names: (B,) bone names; parents: (B,) parent index or -1, parents listed before children; rest: (B, 4, 4)
    bone.matrix_local (rigid); lengths: (B,) rest lengths; basis: (B, 4, 4) the pose (matrix_basis) kept by bones
    the retarget does not drive."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    rest: np.ndarray
    lengths: np.ndarray
    basis: np.ndarray

    def __post_init__(self) -> None:
        b = len(self.names)
        if b == 0:
            raise ValueError("the target armature has no bones")
        if len(set(self.names)) != b:
            raise ValueError("bone names must be unique")
        shapes = {"parents": (len(self.parents),), "rest": np.shape(self.rest), "lengths": np.shape(self.lengths),
                  "basis": np.shape(self.basis)}
        expected = {"parents": (b,), "rest": (b, 4, 4), "lengths": (b,), "basis": (b, 4, 4)}
        bad = {k: v for k, v in shapes.items() if v != expected[k]}
        if bad:
            raise ValueError(f"TargetRig shapes {bad} do not match {b} bones (expected {expected})")
        for i, p in enumerate(self.parents):
            if not -1 <= p < i:
                raise ValueError(f"bone {self.names[i]!r}: parent index {p} must be -1 or an earlier bone")

    @property
    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    def chain(self, first: str, last: str) -> list[int]:
        """Bone indices from `first` down to `last` along parent links (inclusive). Raises if not an ancestor."""
        idx = self.index
        path = [idx[last]]
        while path[-1] != idx[first]:
            parent = self.parents[path[-1]]
            if parent < 0:
                raise ValueError(f"bone {last!r} does not descend from {first!r}: they cannot form a chain")
            path.append(parent)
        return path[::-1]


# A limb joint's bone and the bone before it on the limb: the joint sits at that bone's tail.
LIMB_LINKS: tuple[tuple[str, str], ...] = tuple(
    (f"{s}_{b}", f"{s}_{a}") for s in ("l", "r")
    for a, b in (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))
)  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """Bone indices of a mapped rig. roles: role → bone index; spine/neck: chain bone indices (possibly empty);
    root: the bone receiving the root translation; detached: bone → the limb bone that must carry it, for limb bones
    not parented under the limb (game rigs: IK feet under ``Root``), which are keyed with a location."""

    roles: dict[str, int]
    spine: tuple[int, ...]
    neck: tuple[int, ...]
    root: int
    detached: dict[int, int] = field(default_factory=dict)


def _ancestors(rig: TargetRig, b: int) -> list[int]:
    """b, its parent, ... up to the top bone."""
    out = [b]
    while rig.parents[out[-1]] >= 0:
        out.append(rig.parents[out[-1]])
    return out


# Rigify's mechanism bones: constraint-driven helpers between the controls (a generated rig's neck runs
# neck → MCH-ROT-head → head). Keys on them fight their constraints; the controls around them are driven instead.
MECHANISM_PREFIXES = ("MCH-", "ORG-")


def _animated(rig: TargetRig, chain: list[int]) -> tuple[int, ...]:
    """A spine or neck chain without mechanism bones (its first and last bones are always kept)."""
    inner = [b for b in chain[1:-1] if not rig.names[b].startswith(MECHANISM_PREFIXES)]
    return tuple(chain[:1] + inner + chain[-1:]) if len(chain) > 1 else tuple(chain)


def default_root(rig: TargetRig, roles: dict[str, int]) -> int:
    """The bone the root translation goes to when the map names none: the nearest common ancestor of the pelvis
    and both thighs. That is the pelvis on most rigs; on game rigs whose thighs hang off a ``Body`` bone beside the
    hips it is that bone (translating the hips alone would fly the torso off the legs)."""
    chains = [_ancestors(rig, roles[r]) for r in ("pelvis", "l_hip", "r_hip") if r in roles]
    common = set(chains[0]).intersection(*chains[1:])
    return next(b for b in chains[0] if b in common) if common else roles["pelvis"]


def layout(rig: TargetRig, mapping: BoneMap) -> Layout:
    """Validate a bone map against a rig and resolve its chains. Raises ValueError with what is missing."""
    missing = mapping.missing_bones(rig.names)
    if missing:
        raise ValueError(f"the target armature has no bones named {missing} (fix the mapping)")
    required = mapping.missing_required()
    if required:
        raise ValueError(f"these body parts must be mapped to a bone: {required}")
    idx = rig.index
    roles = {r: idx[b] for r, b in mapping.bones.items()}
    spine = _animated(rig, rig.chain(mapping.bones.get("spine", mapping.bones["thorax"]), mapping.bones["thorax"]))
    neck_names = [mapping.bones[r] for r in ("neck", "head") if r in mapping.bones]
    neck = _animated(rig, rig.chain(neck_names[0], neck_names[-1])) if neck_names else ()
    root = idx[mapping.root_motion] if mapping.root_motion else default_root(rig, roles)
    detached = {roles[joint]: roles[before] for joint, before in LIMB_LINKS
                if joint in roles and before in roles and roles[before] not in _ancestors(rig, roles[joint])}
    return Layout(roles, spine, neck, root, detached)


def _head(m: np.ndarray) -> np.ndarray:
    return m[..., :3, 3]


def _tail(m: np.ndarray, lengths: np.ndarray, i: int) -> np.ndarray:
    return m[..., i, :3, 3] + m[..., i, :3, 1] * lengths[i]


def chain_points(matrices: np.ndarray, rig: TargetRig, lay: Layout, which: str) -> np.ndarray:
    """The polyline of the spine or neck chain: its bones' heads plus its end point. (..., B, 4, 4) → (..., N+1, 3).

    Spine end: the thorax pseudo joint. Neck end: the last bone's head plus its length along the direction that is
    the torso's up in the rest pose, carried by the bone (rest tails of imported rigs often point anywhere; a head
    points up in every rest pose).
    """
    bones = lay.spine if which == "spine" else lay.neck
    heads = _head(matrices[..., list(bones), :, :])
    if which == "spine":
        end = thorax_point(matrices, rig, lay)
    else:
        rest_up = unit(thorax_point(rig.rest, rig, lay) - _head(rig.rest[lay.roles["pelvis"]]))
        local_up = rig.rest[bones[-1], :3, :3].T @ rest_up
        end = heads[..., -1, :] + (matrices[..., bones[-1], :3, :3] @ local_up) * rig.lengths[bones[-1]]
    return np.concatenate([heads, end[..., None, :]], axis=-2)


def thorax_point(matrices: np.ndarray, rig: TargetRig, lay: Layout) -> np.ndarray:
    """Head of the first neck bone, else the tail of the last spine bone. → (..., 3)."""
    if lay.neck:
        return _head(matrices[..., lay.neck[0], :, :])
    return _tail(matrices, rig.lengths, lay.spine[-1])


def detached_head(matrices: np.ndarray, rig: TargetRig, lay: Layout, b: int) -> np.ndarray:
    """Where detached bone ``b``'s head belongs in a pose (..., B, 4, 4): its rest head, carried rigidly by the limb
    bone it sits on (not that bone's tail: importers place tails by heuristics). → (..., 3)."""
    limb = lay.detached[b]
    local = np.linalg.inv(rig.rest[limb]) @ np.append(rig.rest[b, :3, 3], 1.0)
    return (matrices[..., limb, :, :] @ local)[..., :3]


def pseudo_joints(matrices: np.ndarray, rig: TargetRig, lay: Layout) -> np.ndarray:
    """The 17 body joints on a posed or rest rig. matrices (..., B, 4, 4) armature space → (..., J, 3)."""
    out = np.zeros(matrices.shape[:-3] + (NUM_JOINTS, 3))
    roles = lay.roles
    out[..., JOINT_INDEX["pelvis"], :] = _head(matrices[..., roles["pelvis"], :, :])
    for s in ("l", "r"):
        for chain in (("hip", "knee", "ankle"), ("shoulder", "elbow", "wrist")):
            for k, joint in enumerate(chain):
                role = f"{s}_{joint}"
                if role in roles and roles[role] in lay.detached:  # carried rigidly by its limb bone
                    point = detached_head(matrices, rig, lay, roles[role])
                elif role in roles:
                    point = _head(matrices[..., roles[role], :, :])
                else:  # the tail of the previous bone of the limb
                    point = _tail(matrices, rig.lengths, roles[f"{s}_{chain[k - 1]}"])
                out[..., JOINT_INDEX[role], :] = point
    spine = chain_points(matrices, rig, lay, "spine")
    flat = spine.reshape((-1,) + spine.shape[-2:])
    out[..., JOINT_INDEX["spine"], :] = sample_polyline(flat, np.array([0.5]))[:, 0].reshape(spine.shape[:-2] + (3,))
    out[..., JOINT_INDEX["thorax"], :] = thorax_point(matrices, rig, lay)
    if lay.neck:
        neck = chain_points(matrices, rig, lay, "neck")
        out[..., JOINT_INDEX["neck"], :] = neck[..., -2, :]
        out[..., JOINT_INDEX["head"], :] = neck[..., -1, :]
    else:
        out[..., JOINT_INDEX["neck"], :] = out[..., JOINT_INDEX["head"], :] = out[..., JOINT_INDEX["thorax"], :]
    return out
