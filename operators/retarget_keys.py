"""Blender data ↔ arrays for the retarget: the source take as joints, the target rig as a TargetRig, keys out.

* Source: a Video Mocap armature (bones of core.rig_layout) and its action. The quaternion and root-location
  F-curves are sampled on every frame of the action and run through the bake's own forward kinematics
  (core.bake_math.forward_kinematics), so no frame_set/depsgraph evaluation is needed and the source is only read.
* Target: rest matrices (``bone.matrix_local``), lengths, parents and the current ``matrix_basis`` of every bone.
* Keys: written in bulk with the add-on's F-curve writer (operators/action_api.py: Blender 4.2–5.0 action APIs),
  in each pose bone's own rotation mode (quaternion, any Euler order, axis-angle).
"""

from __future__ import annotations

import bpy
import numpy as np

from ..core.bake_math import forward_kinematics, pose_rotations
from ..core.capture_file import CONTACT_FEET
from ..core.hands.rig import SIDES, bone_names, hand_forward, parents
from ..core.retarget.solve import RetargetResult
from ..core.retarget.target import TargetRig
from ..core.rig_layout import BONE_INDEX, BONES, ROOT_BONE
from ..core.rotations import (
    make_continuous,
    matrix_to_axis_angle,
    matrix_to_euler,
    matrix_to_quaternion,
    quaternion_to_matrix,
)
from .action_api import FCurveWriter, action_fcurves, write_keys
from .bake import armature_rest
from .bake_hands import hand_rest


def is_mocap_armature(obj: bpy.types.Object | None) -> bool:
    """True for an armature holding every bone of the Video Mocap layout (core.rig_layout)."""
    if obj is None or obj.type != "ARMATURE":
        return False
    names = obj.data.bones.keys()
    return all(b.name in names for b in BONES)


def source_action(obj: bpy.types.Object) -> bpy.types.Action | None:
    """The take of a Video Mocap armature: its assigned action, else the one the bake recorded on it."""
    if obj.animation_data is not None and obj.animation_data.action is not None:
        return obj.animation_data.action
    info = obj.get("video_mocap")
    name = info.get("action") if info is not None and hasattr(info, "get") else None
    return bpy.data.actions.get(name) if name else None


def _sample(fcurve: bpy.types.FCurve | None, frames: np.ndarray, default: float) -> np.ndarray:
    """F-curve values on integer frames: straight from the keys when there is one key per frame, else evaluated."""
    if fcurve is None:
        return np.full(len(frames), default)
    points = fcurve.keyframe_points
    co = np.empty(2 * len(points), dtype=np.float32)
    points.foreach_get("co", co)
    co = co.reshape(-1, 2)
    if len(co) == len(frames) and np.allclose(co[:, 0], frames):
        return co[:, 1].astype(np.float64)
    return np.array([fcurve.evaluate(float(f)) for f in frames])


def read_source(obj: bpy.types.Object, action: bpy.types.Action) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample a Video Mocap take.

    Returns: (frames (T,) scene frame numbers, joints (T, 17, 3) world, rest joints (17, 3) world).
    Raises ValueError when obj is not a Video Mocap armature or the action holds no keys.
    """
    if not is_mocap_armature(obj):
        raise ValueError(f"{obj.name!r} is not a Video Mocap armature (it lacks the bones of a baked capture)")
    assigned = obj.animation_data is not None and obj.animation_data.action == action
    curves = {(fc.data_path, fc.array_index): fc for fc in action_fcurves(action, obj if assigned else None)}
    if not any(path.startswith(f'pose.bones["{b.name}"]') for path, _ in curves for b in BONES):
        raise ValueError(f"action {action.name!r} does not animate the bones of a Video Mocap armature")
    start, end = (int(round(f)) for f in action.frame_range)
    frames = np.arange(start, end + 1, dtype=np.float64)
    rotations = _quaternions(curves, [b.name for b in BONES], frames)
    path = f'pose.bones["{ROOT_BONE}"].location'
    location = np.stack([_sample(curves.get((path, c)), frames, 0.0) for c in range(3)], axis=-1)
    rest = armature_rest(obj)
    identity = np.zeros((1, len(BONES), 4))
    identity[..., 0] = 1.0
    world = np.array(obj.matrix_world)

    def to_world(points: np.ndarray) -> np.ndarray:
        return points @ world[:3, :3].T + world[:3, 3]

    joints = forward_kinematics(rest, rotations, location)
    rest_joints = forward_kinematics(rest, identity, np.zeros((1, 3)))[0]
    return frames, to_world(joints), to_world(rest_joints)


def _quaternions(curves: dict, names: list[str], frames: np.ndarray) -> np.ndarray:
    """(T, len(names), 4) unit quaternions sampled from the bones' rotation_quaternion F-curves."""
    out = np.empty((len(frames), len(names), 4))
    for i, name in enumerate(names):
        path = f'pose.bones["{name}"].rotation_quaternion'
        for c in range(4):
            out[:, i, c] = _sample(curves.get((path, c)), frames, 1.0 if c == 0 else 0.0)
    return out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)  # as Blender does


def read_source_hands(obj: bpy.types.Object, action: bpy.types.Action, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Side → (T, 16, 3, 3) world rotations of a Video Mocap take's hand bones (core.hands.rig order: Hand, then
    three per finger), through the same forward kinematics as the body; {} for a take captured without hands."""
    if any(bone_names(side)[0] not in obj.data.bones for side in SIDES):
        return {}
    assigned = obj.animation_data is not None and obj.animation_data.action == action
    curves = {(fc.data_path, fc.array_index): fc for fc in action_fcurves(action, obj if assigned else None)}
    body = pose_rotations(armature_rest(obj), _quaternions(curves, [b.name for b in BONES], frames))
    world = np.array(obj.matrix_world)[:3, :3]
    world = world / np.linalg.norm(world, axis=0, keepdims=True)  # rotations only (an object scale is no turn)
    out = {}
    for side, (rest, forearm_rest) in hand_rest(obj).items():
        basis = quaternion_to_matrix(_quaternions(curves, list(bone_names(side)), frames))
        forearm = body[:, BONE_INDEX[parents(side)[0]]]
        out[side] = world @ hand_forward(basis, forearm, rest, forearm_rest)
    return out


def read_contacts(obj: bpy.types.Object, action: bpy.types.Action, frames: np.ndarray) -> np.ndarray | None:
    """(len(frames), 2) bool: the capture's own foot contacts (left, right) keyed by the bake on the armature's
    ``contact_left`` / ``contact_right`` properties, or None when the action has no such keys (older takes)."""
    assigned = obj.animation_data is not None and obj.animation_data.action == action
    curves = {fc.data_path: fc for fc in action_fcurves(action, obj if assigned else None)}
    paths = [f'["contact_{foot}"]' for foot in CONTACT_FEET]
    if not all(p in curves for p in paths):
        return None
    return np.stack([_sample(curves[p], frames, 0.0) > 0.5 for p in paths], axis=1)


def read_target(obj: bpy.types.Object) -> TargetRig:
    """The target armature as a TargetRig (bones ordered parents first)."""
    if obj.type != "ARMATURE":
        raise ValueError(f"{obj.name!r} is not an armature")
    if obj.mode == "EDIT":
        raise ValueError(f"leave Edit Mode on {obj.name!r} first (its rest pose is being edited)")
    ordered: list[bpy.types.Bone] = []
    stack = [b for b in obj.data.bones if b.parent is None][::-1]
    while stack:
        bone = stack.pop()
        ordered.append(bone)
        stack.extend(list(bone.children)[::-1])
    index = {b.name: i for i, b in enumerate(ordered)}
    pose = obj.pose.bones
    return TargetRig(
        names=tuple(b.name for b in ordered),
        parents=tuple(-1 if b.parent is None else index[b.parent.name] for b in ordered),
        rest=np.array([np.array(b.matrix_local) for b in ordered]),
        lengths=np.array([b.length for b in ordered]),
        basis=np.array([np.array(pose[b.name].matrix_basis) for b in ordered]),
    )


def write_target_keys(obj: bpy.types.Object, action: bpy.types.Action, rig: TargetRig, result: RetargetResult,
                      frames: np.ndarray) -> int:
    """Key the driven bones' rotations (in each bone's rotation mode) and the locations of the root bone and of
    detached limb bones (result.located) on `action`, assigned to obj. Returns the number of F-curves written."""
    writer = FCurveWriter(action, obj)
    count = 0
    for k, b in enumerate(result.driven):
        name = rig.names[b]
        pose_bone = obj.pose.bones[name]
        mode = pose_bone.rotation_mode
        if mode == "QUATERNION":
            path, values = "rotation_quaternion", make_continuous(matrix_to_quaternion(result.rotations[:, k]))
        elif mode == "AXIS_ANGLE":
            path, values = "rotation_axis_angle", matrix_to_axis_angle(result.rotations[:, k])
        else:
            path, values = "rotation_euler", matrix_to_euler(result.rotations[:, k], mode)
        for c in range(values.shape[-1]):
            write_keys(writer.new(f'pose.bones["{name}"].{path}', c, name), frames, values[:, c])
            count += 1
    located = [(result.root, result.root_location)]
    if result.locations is not None:
        located += [(b, result.locations[:, k]) for k, b in enumerate(result.located)]
    for b, location in located:
        name = rig.names[b]
        for c in range(3):
            write_keys(writer.new(f'pose.bones["{name}"].location', c, name), frames, location[:, c])
            count += 1
    return count
