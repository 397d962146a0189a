"""Retarget a Video Mocap take onto the user's own armature (the bpy half; the maths is core/retarget/).

Settings and the editable bone mapping live on the Scene (``Scene.video_mocap_retarget``), one row per body role
(core.retarget.presets.ROLES). The mapping is auto-detected from the target's bone names (Mixamo, Rigify, VRM,
Unreal, generic) whenever the list was made for another armature, and can be saved to / loaded from a JSON preset.

Retarget reads the source take without touching it, solves the target's pose per frame (core.retarget.solve) and
writes the keys in bulk onto a new action ``<target>_<clip>`` (Blender suffixes the name if it is taken). The
target's rest pose and bone lengths are never changed (no Edit Mode). Each operator is one undo step.
"""

from __future__ import annotations

import bpy
import numpy as np
from bpy.props import StringProperty

from ..core.retarget.fingers import drive_hands, find_fingers
from ..core.retarget.footlock import FootLockConfig, detect_contacts
from ..core.retarget.mapping import BoneMap, detect_preset, load_mapping, save_mapping
from ..core.retarget.presets import ROLES
from ..core.retarget.solve import RetargetOptions, RetargetResult, retarget
from ..core.retarget.target import TargetRig
from ..core.skeleton import JOINT_INDEX
from .properties import VIDEO_MOCAP_PG_retarget
from .retarget_ik import key_ik_controls
from .retarget_keys import (
    is_mocap_armature,
    read_contacts,
    read_source,
    read_source_hands,
    read_target,
    source_action,
    write_target_keys,
)
from .retarget_refine import key_fk_switches, limbs_in_ik, refine_for_constraints

_CLIP_SUFFIXES = ("_mocap", "_Mocap")
SOCKET_TOLERANCE_M = 0.005


def settings(context: bpy.types.Context) -> VIDEO_MOCAP_PG_retarget:
    return context.scene.video_mocap_retarget


def fill_mapping(props: VIDEO_MOCAP_PG_retarget, mapping: BoneMap, target_name: str) -> None:
    """Show a bone map in the list: one row per role, in ROLES order."""
    props.mapping.clear()
    for role in ROLES:
        row = props.mapping.add()
        row.role, row.bone = role, mapping.bones.get(role, "")
    props.mapping_target = target_name
    props.preset = mapping.preset
    props.root_motion = mapping.root_motion or ""


def mapping_from_list(props: VIDEO_MOCAP_PG_retarget) -> BoneMap:
    bones = {row.role: row.bone.strip() for row in props.mapping if row.bone.strip()}
    return BoneMap(bones, props.root_motion.strip() or None, props.preset or "custom")


def default_source(context: bpy.types.Context) -> bpy.types.Object | None:
    """The panel's source, else the armature of the last capture (Scene.video_mocap.last_armature)."""
    props = settings(context)
    if props.source is not None:
        return props.source
    last = getattr(getattr(context.scene, "video_mocap", None), "last_armature", None)
    return last if is_mocap_armature(last) else None


def default_target(context: bpy.types.Context) -> bpy.types.Object | None:
    """The panel's target, else the active object when it is an armature other than the source."""
    obj = settings(context).target or context.active_object
    if obj is None or obj.type != "ARMATURE" or obj == default_source(context):
        return None
    return obj


def resolve_target(context: bpy.types.Context, name: str = "") -> bpy.types.Object:
    obj = bpy.data.objects.get(name) if name else default_target(context)
    if obj is None or obj.type != "ARMATURE":
        raise ValueError("choose a target armature (select it or set Target in the Retarget panel)")
    if obj == default_source(context):
        raise ValueError("the target is the source armature: choose your character's armature")
    return obj


def current_mapping(context: bpy.types.Context, target: bpy.types.Object) -> BoneMap:
    """The list's mapping when it was made for this target, else auto-detected (and shown in the list)."""
    props = settings(context)
    if props.mapping_target == target.name and len(props.mapping):
        return mapping_from_list(props)
    mapping = detect_preset(list(target.data.bones.keys())).mapping
    fill_mapping(props, mapping, target.name)
    return mapping


def clip_name(source: bpy.types.Object, action: bpy.types.Action) -> str:
    info = source.get("video_mocap")
    clip = info.get("clip") if info is not None and hasattr(info, "get") else None
    if clip:
        return str(clip)
    for suffix in _CLIP_SUFFIXES:
        if action.name.endswith(suffix):
            return action.name[: -len(suffix)]
    return action.name


def run_retarget(context: bpy.types.Context, source: bpy.types.Object, action: bpy.types.Action,
                 target: bpy.types.Object) -> tuple[bpy.types.Action, str]:
    """Retarget `action` of `source` onto `target`; returns the new action and a one-line summary."""
    props = settings(context)
    mapping = current_mapping(context, target)
    frames, joints, rest = read_source(source, action)
    rig = read_target(target)
    inverse = np.linalg.inv(np.array(target.matrix_world))

    def to_target(points: np.ndarray) -> np.ndarray:
        return points @ inverse[:3, :3].T + inverse[:3, 3]

    up = inverse[:3, :3] @ np.array([0.0, 0.0, 1.0])
    lock = FootLockConfig(props.height_tolerance, props.speed_tolerance) if props.foot_lock else None
    contacts = None
    if lock is not None:  # the capture's own contacts (it saw the 2D) when the take carries them, else detected here
        contacts = read_contacts(source, action, frames)
        if contacts is None:
            ankles = joints[:, [JOINT_INDEX["l_ankle"], JOINT_INDEX["r_ankle"]]]
            contacts = detect_contacts(ankles, context.scene.render.fps / context.scene.render.fps_base, lock)
    options = RetargetOptions(props.scale_translation, props.align_heading, tuple(up / np.linalg.norm(up)), lock,
                              props.keep_ik)  # fmt: skip
    root = mapping.root_motion or mapping.bones.get("pelvis", "")
    if root in target.data.bones and target.data.bones[root].use_connect:
        raise ValueError(f"the root motion bone {root!r} is connected to its parent and cannot move: "
                         "choose another Root Motion Bone")
    src, src_rest = to_target(joints), to_target(rest)
    result = retarget(src, src_rest, rig, mapping, options, contacts)
    result, hand_notes = _drive_hands(source, action, frames, rig, mapping, result, inverse[:3, :3])
    sockets = tuple(rig.index[mapping.bones[r]] for r in ("l_hip", "r_hip"))
    result, residual, heads = refine_for_constraints(context, target, rig, result, watch=sockets)
    if heads and max(np.abs(heads[b] - result.matrices[:, b, :3, 3]).max() for b in sockets) > SOCKET_TOLERANCE_M:
        # Constraints put the hip sockets elsewhere than the parent chain says (a generated Rigify rig: they follow
        # the hips control through ORG-spine): solve again from where Blender put them, so that foot locking
        # reaches the planted feet from the real sockets.
        result = retarget(src, src_rest, rig, mapping, options, contacts, heads=heads)
        result, hand_notes = _drive_hands(source, action, frames, rig, mapping, result, inverse[:3, :3])
        result, residual, _ = refine_for_constraints(context, target, rig, result)
    new_action = bpy.data.actions.new(f"{target.name}_{clip_name(source, action)}")
    new_action.use_fake_user = True
    write_target_keys(target, new_action, rig, result, frames)
    in_ik = [bone.name for bone in limbs_in_ik(target, rig, result)]
    ik_keyed = key_ik_controls(context, target, in_ik) if options.keep_ik else []  # Rigify's own IK->FK snap
    switched = key_fk_switches(target, new_action, result, rig, frames, skip=tuple(ik_keyed))
    planted = "" if contacts is None else f", feet planted {contacts.mean():.0%} of the time"
    # Constraints on driven bones override the keys (e.g. an IK chain left on): say so rather than fail silently.
    constrained = [rig.names[b] for b in result.driven
                   if any(not c.mute and c.influence > 0 for c in target.pose.bones[rig.names[b]].constraints)]
    warning = f"; constraints on {', '.join(constrained[:4])} may override the keys" if constrained else ""
    if residual > 0:
        warning += f"; constraint-driven parents evaluated in Blender (worst remaining {residual:.2f}°)"
    if ik_keyed:
        warning += f"; IK controls keyed to match on {', '.join(ik_keyed)} (the limbs stay in IK)"
    if switched:
        warning += f"; keyed FK on {', '.join(switched)} (the keys drive the FK controls; the rig was in IK)"
    warning += "".join(f"; {note}" for note in hand_notes)
    return new_action, (f"{new_action.name}: {len(frames)} frames on {len(result.driven)} bones "
                        f"({mapping.preset} mapping, leg ratio {result.scale:.2f}{planted}){warning}")


def _drive_hands(source: bpy.types.Object, action: bpy.types.Action, frames: np.ndarray, rig: TargetRig,
                 mapping: BoneMap, result: RetargetResult, to_target: np.ndarray) -> tuple[RetargetResult, list[str]]:
    """A take captured with hands drives the target's hands and fingers (core.retarget.fingers); else unchanged."""
    hands = read_source_hands(source, action, frames)
    if not hands:
        return result, []
    turn = result.heading @ (to_target / np.linalg.norm(to_target, axis=0, keepdims=True))
    found = find_fingers(rig, mapping)
    if not found:
        return result, ["hands: the target's hand bones are not mapped, fingers not driven"]
    result, notes = drive_hands(result, rig, found, {side: turn @ f for side, f in hands.items()})
    fingers = sum(len(h.fingers) for h in found.values())
    return result, [f"{fingers} fingers driven", *notes]


class VIDEO_MOCAP_OT_retarget(bpy.types.Operator):
    """Bake the Video Mocap take onto the target armature as a new action"""

    bl_idname = "video_mocap.retarget"
    bl_label = "Retarget"
    bl_options = {"REGISTER", "UNDO"}

    source: StringProperty(name="Source", description="Source armature (empty: the panel's)")
    action: StringProperty(name="Take", description="Source action (empty: the panel's or the source's)")
    target: StringProperty(name="Target", description="Target armature (empty: the panel's or the active one)")

    def execute(self, context: bpy.types.Context) -> set[str]:
        props = settings(context)
        try:
            source = bpy.data.objects.get(self.source) if self.source else default_source(context)
            if source is None or not is_mocap_armature(source):
                raise ValueError("choose a Video Mocap armature as the source (a baked capture)")
            panel_action = props.source_action if not self.source else None  # the panel's take is for its source
            action = (bpy.data.actions.get(self.action) if self.action else panel_action) or source_action(source)
            if action is None:
                raise ValueError(f"{source.name!r} has no take to retarget (no action)")
            target = resolve_target(context, self.target)
            if target == source:
                raise ValueError("the target is the source armature: choose your character's armature")
            _, summary = run_retarget(context, source, action, target)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, summary)
        return {"FINISHED"}


class VIDEO_MOCAP_OT_retarget_detect(bpy.types.Operator):
    """Fill the bone mapping from the target's bone names (Mixamo, Rigify, VRM, Unreal, generic)"""

    bl_idname = "video_mocap.retarget_detect"
    bl_label = "Detect Mapping"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            target = resolve_target(context)
            found = detect_preset(list(target.data.bones.keys()))
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        fill_mapping(settings(context), found.mapping, target.name)
        missing = f"; unmapped: {', '.join(found.unmapped)}" if found.unmapped else ""
        self.report({"INFO"}, f"{found.preset.label} ({found.score:.0%}){missing}")
        return {"FINISHED"}


class VIDEO_MOCAP_OT_retarget_preset_save(bpy.types.Operator):
    """Save the bone mapping as a preset file (JSON)"""

    bl_idname = "video_mocap.retarget_preset_save"
    bl_label = "Save Mapping Preset"
    filepath: StringProperty(subtype="FILE_PATH")
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        self.filepath = f"{settings(context).mapping_target or 'mapping'}.json"
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        props = settings(context)
        try:
            path = save_mapping(self.filepath, mapping_from_list(props), props.mapping_target or "custom")
        except (ValueError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"saved {path}")
        return {"FINISHED"}


class VIDEO_MOCAP_OT_retarget_preset_load(bpy.types.Operator):
    """Load a bone mapping preset file (JSON) into the list, for the current target"""

    bl_idname = "video_mocap.retarget_preset_load"
    bl_label = "Load Mapping Preset"
    bl_options = {"REGISTER", "UNDO"}
    filepath: StringProperty(subtype="FILE_PATH")
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            mapping = load_mapping(self.filepath)
            target = resolve_target(context)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        missing = mapping.missing_bones(list(target.data.bones.keys()))
        fill_mapping(settings(context), mapping, target.name)
        if missing:
            self.report({"WARNING"}, f"{target.name} has no bones {missing}: fix these rows")
        return {"FINISHED"}


CLASSES = (VIDEO_MOCAP_OT_retarget,
           VIDEO_MOCAP_OT_retarget_detect, VIDEO_MOCAP_OT_retarget_preset_save, VIDEO_MOCAP_OT_retarget_preset_load)
