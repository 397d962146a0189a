"""The Video Mocap armature as data: one bone per skeleton edge, readable names, rest directions and twist references.

This is the single place that says which bone carries which joint. The bake (operators/bake.py), the BVH round trip
test and the retarget feature (bone mapping to Mixamo/Rigify/... rigs) all read it.

Layout: the root bone ``Hips`` starts at the pelvis and points at the spine joint; every other bone spans one edge
(parent joint → child joint) of the Human3.6M-17 tree (``core.skeleton.H36M_PARENTS``). So:

* joint 0 (pelvis) is the head of ``Hips``;
* every other joint j is the **tail** of the bone whose ``tail_joint`` is j, and also the **head** of every bone
  whose ``head_joint`` is j (e.g. r_knee = tail of Thigh.R = head of Shin.R).

Every child bone's head lies on its parent bone's axis (at the parent's head or tail), so a bone's twist never moves
any joint: the joint positions depend only on the bone directions (aimed at the captured joints) and the bone
lengths (medians of the capture). Twist is chosen for stable, artist-friendly rolls (see ``TwistRef``).

Joint ↔ bone table (joint index, H36M name → bone point):

====  ==========  ======================  ================
 j    joint       bone point              bone (head→tail)
====  ==========  ======================  ================
 0    pelvis      head of Hips            Hips: pelvis→spine
 1    r_hip       tail of Hip.R           Hip.R: pelvis→r_hip
 2    r_knee      tail of Thigh.R         Thigh.R: r_hip→r_knee
 3    r_ankle     tail of Shin.R          Shin.R: r_knee→r_ankle
 4    l_hip       tail of Hip.L           Hip.L: pelvis→l_hip
 5    l_knee      tail of Thigh.L         Thigh.L: l_hip→l_knee
 6    l_ankle     tail of Shin.L          Shin.L: l_knee→l_ankle
 7    spine       tail of Hips            Spine: spine→thorax
 8    thorax      tail of Spine           Neck: thorax→neck
 9    neck        tail of Neck            Head: neck→head
 10   head        tail of Head
 11   l_shoulder  tail of Shoulder.L      Shoulder.L: thorax→l_shoulder
 12   l_elbow     tail of UpperArm.L      UpperArm.L: l_shoulder→l_elbow
 13   l_wrist     tail of Forearm.L       Forearm.L: l_elbow→l_wrist
 14   r_shoulder  tail of Shoulder.R      (right arm mirrors the left)
 15   r_elbow     tail of UpperArm.R
 16   r_wrist     tail of Forearm.R
====  ==========  ======================  ================

Blender conventions: Z up, the character faces -Y, so its left side is +X. A bone's local Y axis runs head→tail;
the rest rolls are chosen so every bone's local Z axis points forward (-Y) in the rest pose (a T-pose).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .skeleton import H36M_JOINTS, H36M_PARENTS, NUM_JOINTS


class TwistRef(Enum):
    """Which world direction a bone's local Z axis follows (projected perpendicular to the bone) each frame."""

    PELVIS_FORWARD = "pelvis_forward"  # cross(l_hip - r_hip, spine - pelvis)
    CHEST_FORWARD = "chest_forward"  # cross(l_shoulder - r_shoulder, thorax - spine)
    LEG_KNEE = "leg_knee"  # the front of the knee (limb plane), pelvis forward when the leg is straight
    ARM_ELBOW = "arm_elbow"  # opposite the elbow tip (limb plane), chest forward when the arm is straight


@dataclass(frozen=True)
class BoneSpec:
    """One bone of the Video Mocap armature.

    name: Blender bone name. head_joint/tail_joint: H36M-17 joint indices. parent: parent bone name or None.
    rest_dir: unit direction head→tail in the rest pose (Blender world axes). twist: see TwistRef.
    limb: for LEG_KNEE/ARM_ELBOW, the (upper, lower, end) joints of the limb the bone belongs to.
    """

    name: str
    head_joint: int
    tail_joint: int
    parent: str | None
    rest_dir: tuple[float, float, float]
    twist: TwistRef
    limb: tuple[int, int, int] | None = None


_UP = (0.0, 0.0, 1.0)
_DOWN = (0.0, 0.0, -1.0)
_LEFT = (1.0, 0.0, 0.0)  # the character's left (+X: it faces -Y)
_RIGHT = (-1.0, 0.0, 0.0)

_R_LEG = (1, 2, 3)
_L_LEG = (4, 5, 6)
_L_ARM = (11, 12, 13)
_R_ARM = (14, 15, 16)

# Parents before children (the bake walks this order).
BONES: tuple[BoneSpec, ...] = (
    BoneSpec("Hips", 0, 7, None, _UP, TwistRef.PELVIS_FORWARD),
    BoneSpec("Hip.R", 0, 1, "Hips", _RIGHT, TwistRef.PELVIS_FORWARD),
    BoneSpec("Thigh.R", 1, 2, "Hip.R", _DOWN, TwistRef.LEG_KNEE, _R_LEG),
    BoneSpec("Shin.R", 2, 3, "Thigh.R", _DOWN, TwistRef.LEG_KNEE, _R_LEG),
    BoneSpec("Hip.L", 0, 4, "Hips", _LEFT, TwistRef.PELVIS_FORWARD),
    BoneSpec("Thigh.L", 4, 5, "Hip.L", _DOWN, TwistRef.LEG_KNEE, _L_LEG),
    BoneSpec("Shin.L", 5, 6, "Thigh.L", _DOWN, TwistRef.LEG_KNEE, _L_LEG),
    BoneSpec("Spine", 7, 8, "Hips", _UP, TwistRef.CHEST_FORWARD),
    BoneSpec("Neck", 8, 9, "Spine", _UP, TwistRef.CHEST_FORWARD),
    BoneSpec("Head", 9, 10, "Neck", _UP, TwistRef.CHEST_FORWARD),
    BoneSpec("Shoulder.L", 8, 11, "Spine", _LEFT, TwistRef.CHEST_FORWARD),
    BoneSpec("UpperArm.L", 11, 12, "Shoulder.L", _LEFT, TwistRef.ARM_ELBOW, _L_ARM),
    BoneSpec("Forearm.L", 12, 13, "UpperArm.L", _LEFT, TwistRef.ARM_ELBOW, _L_ARM),
    BoneSpec("Shoulder.R", 8, 14, "Spine", _RIGHT, TwistRef.CHEST_FORWARD),
    BoneSpec("UpperArm.R", 14, 15, "Shoulder.R", _RIGHT, TwistRef.ARM_ELBOW, _R_ARM),
    BoneSpec("Forearm.R", 15, 16, "UpperArm.R", _RIGHT, TwistRef.ARM_ELBOW, _R_ARM),
)

BONE_NAMES: tuple[str, ...] = tuple(b.name for b in BONES)
BONE_INDEX: dict[str, int] = {b.name: i for i, b in enumerate(BONES)}
ROOT_BONE = "Hips"

# The local Z axis every bone has in the rest pose: forward (the character faces -Y).
REST_FORWARD = (0.0, -1.0, 0.0)


@dataclass(frozen=True)
class JointPoint:
    """Where joint j sits on the armature: the head or the tail of a bone."""

    bone: str
    end: str  # "head" | "tail"


def _joint_points() -> tuple[JointPoint, ...]:
    points: list[JointPoint | None] = [None] * NUM_JOINTS
    points[BONES[0].head_joint] = JointPoint(BONES[0].name, "head")
    for bone in BONES:
        points[bone.tail_joint] = JointPoint(bone.name, "tail")
    missing = [H36M_JOINTS[j] for j, p in enumerate(points) if p is None]
    if missing:
        raise AssertionError(f"rig layout leaves joints without a bone: {missing}")
    return tuple(p for p in points if p is not None)


def _validate() -> None:
    """The layout must be a tree over the H36M edges, parents first (checked once at import: a bad edit fails fast)."""
    seen: dict[str, BoneSpec] = {}
    for bone in BONES:
        if bone.parent is not None:
            parent = seen.get(bone.parent)
            if parent is None:
                raise AssertionError(f"bone {bone.name}: parent {bone.parent} must come earlier in BONES")
            if bone.head_joint not in (parent.head_joint, parent.tail_joint):
                raise AssertionError(f"bone {bone.name} must start at its parent's head or tail")
        if H36M_PARENTS[bone.tail_joint] != bone.head_joint:
            raise AssertionError(f"bone {bone.name} is not an edge of the H36M tree")
        seen[bone.name] = bone


_validate()

# JOINT_POINTS[j]: the bone point that reproduces joint j (see the table in the module docstring).
JOINT_POINTS: tuple[JointPoint, ...] = _joint_points()
