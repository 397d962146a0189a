"""The hands of a bake (the bpy half; the maths is core/hands/rig.py): finger bones added to the capture armature
and their keys, written with the same bulk F-curve path as the body."""

from __future__ import annotations

import bpy
import numpy as np

from ..core.bake_math import RestPose
from ..core.hands.rig import SIDES, HandShape, bone_names, hand_keys, parents, resample_hands, rest_hand
from ..core.hands.track import HandMotion
from ..core.rig_layout import BONE_INDEX
from .action_api import FCurveWriter, write_keys

# (name, head, tail, local Z axis, parent) of one edit bone
EditBone = tuple[str, np.ndarray, np.ndarray, np.ndarray, str]


def hand_edit_bones(rest: RestPose, shape: HandShape) -> list[EditBone]:
    """Both hands' bones for ``operators.bake.build_armature``, at the rest forearms' tails (the wrists)."""
    out: list[EditBone] = []
    for side in SIDES:
        forearm = BONE_INDEX[parents(side)[0]]
        heads, tails, mats = rest_hand(rest.tails[forearm], shape, side)
        out += [(n, heads[i], tails[i], mats[i][:, 2], p) for i, (n, p) in enumerate(zip(bone_names(side),
                                                                                      parents(side), strict=True))]
    return out


def resampled(hands: HandMotion, src_fps: float, dst_fps: float) -> HandMotion:
    """The hand motion at another frame rate (angles linearly, palm rotations by normalised quaternions)."""
    angles, rotation = resample_hands(hands.angles, hands.rotation, src_fps, dst_fps)
    nearest = np.minimum(np.round(np.arange(len(angles)) * src_fps / dst_fps).astype(int), len(hands.seen) - 1)
    return HandMotion(angles, rotation, hands.seen[nearest], hands.present[nearest], hands.shape)


def hand_rest(obj: bpy.types.Object) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Side → (the hand bones' rest matrices (16, 3, 3), the forearm's (3, 3)) as Blender stores them."""
    bones = obj.data.bones
    return {side: (np.array([np.array(bones[n].matrix_local)[:3, :3] for n in bone_names(side)]),
                   np.array(bones[parents(side)[0]].matrix_local)[:3, :3]) for side in SIDES}  # fmt: skip


def write_hand_keys(obj: bpy.types.Object, writer: FCurveWriter, frames: np.ndarray, joints: np.ndarray,
                    hands: HandMotion) -> None:  # fmt: skip
    """Key every hand bone's rotation so Blender shows ``hands`` on the body keyed from ``joints`` (T, 17, 3).
    The bones are in quaternion mode (``operators.bake.build_armature``)."""
    keys = hand_keys(joints, hands.angles, hands.rotation, hands.shape, hand_rest(obj))
    for side in SIDES:
        for i, name in enumerate(bone_names(side)):
            path = f'pose.bones["{name}"].rotation_quaternion'
            for c in range(4):
                write_keys(writer.new(path, c, name), frames, keys[side][:, i, c])
