"""Rigs whose bones hang off constraint-driven parents (a generated Rigify rig: each FK control's parent is an MCH
bone that follows the torso, or not, by constraints): the solver (core.retarget.solve) assumes plain parent chains,
so its keys would turn those bones by whatever the constraints add (19–33° on Rigify FK limbs). Here Blender itself
evaluates the rig: per frame, the solved bases are set, the rig is evaluated, and each driven bone's basis is solved
again against its parent's *evaluated* matrix, until the bones point where the solver wanted them (a few rounds: one
per level of constrained parents). Rigs without constraints above a driven bone skip this entirely.
"""

from __future__ import annotations

import dataclasses

import bpy
import numpy as np

from ..core.retarget.solve import RetargetResult
from ..core.retarget.target import TargetRig
from ..core.rotations import matrix_to_quaternion

MAX_ROUNDS = 12
TOLERANCE_DEG = 0.05


def _constrained_above(target: bpy.types.Object, names: list[str]) -> bool:
    """Does any of these bones have an active constraint on itself or on an ancestor?"""
    for name in names:
        bone = target.pose.bones[name]
        while bone is not None:
            if any(not c.mute and c.influence > 0 for c in bone.constraints):
                return True
            bone = bone.parent
    return False


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Largest angle between corresponding rotation matrices (..., 3, 3)."""
    rel = np.einsum("...ji,...jk->...ik", a, b)
    cos = (np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))).max())


def refine_for_constraints(context: bpy.types.Context, target: bpy.types.Object, rig: TargetRig,
                           result: RetargetResult, watch: tuple[int, ...] = ()
                           ) -> tuple[RetargetResult, float, dict[int, np.ndarray]]:  # fmt: skip
    """The result with bases re-solved against Blender's evaluated parents, the worst remaining error (degrees)
    between a driven bone's evaluated and wanted rotation (0 when nothing needed refining), and where Blender put the
    heads of the ``watch`` bones on every frame (armature space, (T, 3) each; empty when nothing needed refining)."""
    names = [rig.names[b] for b in result.driven]
    if not _constrained_above(target, names):
        return result, 0.0, {}
    pose = target.pose.bones
    saved = {n: (pose[n].rotation_mode, tuple(pose[n].rotation_quaternion), pose[n].location.copy()) for n in names}
    root = rig.names[result.root]
    saved_root = pose[root].location.copy()
    animation = target.animation_data
    action = animation.action if animation is not None else None
    if animation is not None:
        animation.action = None  # the pose is set by hand below, not by the rig's current action
    # Limbs left in IK are keyed to FK afterwards (key_fk_switches): evaluate them in FK, as they will play (bones
    # hanging off the deform chain, a generated rig's fingers, follow whichever chain is active).
    in_ik = {bone.name: float(bone["IK_FK"]) for bone in limbs_in_ik(target, rig, result)}
    for name in in_ik:
        pose[name]["IK_FK"] = 1.0
    inv_rest = np.linalg.inv(rig.rest[:, :3, :3])
    local = {b: (rig.rest[b, :3, :3] if rig.parents[b] < 0 else inv_rest[rig.parents[b]] @ rig.rest[b, :3, :3])
             for b in result.driven}  # fmt: skip
    want = result.matrices[:, list(result.driven), :3, :3]
    rotations = result.rotations.copy()
    worst = 0.0
    heads = {b: np.empty((len(want), 3)) for b in watch}
    try:
        for n in names:
            pose[n].rotation_mode = "QUATERNION"
        bases: np.ndarray | None = None  # the parents' evaluated frames of the previous frame: a warm start
        for t in range(len(want)):
            pose[root].location = result.root_location[t]
            if bases is not None:
                rotations[t] = np.einsum("kji,kjl->kil", bases, want[t])
            for _ in range(MAX_ROUNDS):
                for k, n in enumerate(names):
                    pose[n].rotation_quaternion = _quaternion(rotations[t, k])
                context.view_layer.update()
                evaluated = target.evaluated_get(context.evaluated_depsgraph_get()).pose.bones
                got = np.array([np.array(evaluated[n].matrix)[:3, :3] for n in names])
                got /= np.linalg.norm(got, axis=-2, keepdims=True)
                error = _angle_deg(got, want[t])
                if error < TOLERANCE_DEG:
                    break
                bases = np.empty((len(names), 3, 3))
                for k, (b, n) in enumerate(zip(result.driven, names, strict=True)):
                    parent = evaluated[n].parent
                    base = (np.array(parent.matrix)[:3, :3] if parent is not None else np.eye(3)) @ local[b]
                    bases[k] = base / np.linalg.norm(base, axis=0, keepdims=True)
                    rotations[t, k] = bases[k].T @ want[t, k]
            worst = max(worst, error)
            for b in watch:
                heads[b][t] = evaluated[rig.names[b]].head
    finally:
        for n, (mode, quat, loc) in saved.items():
            pose[n].rotation_mode, pose[n].rotation_quaternion, pose[n].location = mode, quat, loc
        pose[root].location = saved_root
        for name, value in in_ik.items():
            pose[name]["IK_FK"] = value
        if animation is not None:
            animation.action = action
    return dataclasses.replace(result, rotations=rotations), worst, heads


def _quaternion(m: np.ndarray) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in matrix_to_quaternion(m))


def key_fk_switches(target: bpy.types.Object, action: bpy.types.Action, result: RetargetResult, rig: TargetRig,
                    frames: np.ndarray, skip: tuple[str, ...] = ()) -> list[str]:  # fmt: skip
    """Rigify limbs left in IK (its ``IK_FK`` property below 1 on the limb's parent control) ignore FK keys: key the
    switch to FK (1) on the new action for every limb whose FK controls were keyed. Returns the switched bones."""
    from .action_api import FCurveWriter, write_keys

    switched = []
    writer = FCurveWriter(action, target)
    for bone in limbs_in_ik(target, rig, result):
        if bone.name in skip:  # its IK controls were keyed instead (operators/retarget_ik.py)
            continue
        write_keys(writer.new(f'pose.bones["{bone.name}"]["IK_FK"]', 0, bone.name), frames, np.ones(len(frames)))
        switched.append(bone.name)
    return switched


def limbs_in_ik(target: bpy.types.Object, rig: TargetRig, result: RetargetResult) -> list[bpy.types.PoseBone]:
    """The Rigify limb property bones (``IK_FK`` below 1) whose FK controls the result keys."""
    keyed = {rig.names[b] for b in result.driven}
    out = []
    for bone in target.pose.bones:
        if "IK_FK" not in bone.keys() or float(bone["IK_FK"]) >= 1.0:
            continue
        # Rigify names the limb's property bone <limb>_parent.<side> and its first FK control <limb>_fk.<side>.
        fk_control = bone.name.replace("_parent", "_fk")
        if fk_control in keyed or any(child.name in keyed for child in bone.children_recursive):
            out.append(bone)
    return out
