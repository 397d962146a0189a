"""Rigify limbs left in IK (its default) keep IK: their IK controls are keyed to match the retargeted FK keys by
Rigify's own *Apply Snap IK->FK To Keyframes* operator (``pose.rigify_limb_ik2fk_bake_<rig_id>``, registered by the
generated rig's ``rig_ui.py``), so the artist gets the take on the controls the rig was set up with — foot and hand
IK targets, pole and all — and the FK keys agree with them. The operator's arguments for each limb are the ones the
rig's own UI passes (read from ``rig_ui.py``). Where that script is not registered (a file opened without
auto-run scripts) the limb is keyed to FK instead (``operators.retarget_refine.key_fk_switches``).
"""

from __future__ import annotations

import re

import bpy

_BLOCK = re.compile(r"operator\('pose\.rigify_limb_ik2fk_bake_(\w+)'[^\n]*\n((?:\s+props\.\w+ = [^\n]+\n)+)")
_PROP = re.compile(r"props\.(\w+) = '([^']*)'")


def snap_arguments(target: bpy.types.Object) -> dict[str, dict[str, str]]:
    """Limb property bone (e.g. ``thigh_parent.L``) → the bake operator's arguments, from the rig's UI script."""
    rig_id = target.data.get("rig_id")
    if not rig_id:
        return {}
    out = {}
    for text in bpy.data.texts:
        for match in _BLOCK.finditer(text.as_string()):
            if match.group(1) != rig_id:
                continue
            args = dict(_PROP.findall(match.group(2)))
            if "prop_bone" in args:
                out[args["prop_bone"]] = args
    return out


def key_ik_controls(context: bpy.types.Context, target: bpy.types.Object, limbs: list[str]) -> list[str]:
    """Bake the IK controls of ``limbs`` (property bone names) from the FK keys of the target's current action;
    returns the limbs done. The selection, active object and mode are restored."""
    rig_id = target.data.get("rig_id")
    operator = getattr(bpy.ops.pose, f"rigify_limb_ik2fk_bake_{rig_id}", None) if rig_id else None
    arguments = snap_arguments(target)
    todo = [limb for limb in limbs if limb in arguments]
    if operator is None or not todo:
        return []
    view_layer = context.view_layer
    previous = view_layer.objects.active
    previous_mode = previous.mode if previous is not None else "OBJECT"
    done = []
    try:
        if previous_mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = target
        with context.temp_override(active_object=target, object=target, selected_objects=[target],
                                   selected_editable_objects=[target]):  # fmt: skip
            bpy.ops.object.mode_set(mode="POSE")
            try:
                for limb in todo:
                    if operator(**arguments[limb]) == {"FINISHED"}:
                        done.append(limb)
            finally:
                bpy.ops.object.mode_set(mode="OBJECT")
    finally:
        view_layer.objects.active = previous
        if previous is not None and previous_mode != "OBJECT" and previous.mode != previous_mode:
            bpy.ops.object.mode_set(mode=previous_mode)
    return done
