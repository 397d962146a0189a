"""Bake captured 3D joints onto a new armature `<clip>_Mocap` with an action `<clip>_mocap` (the bpy half of the bake).

The maths (rest pose, bone rotations, quaternions) is bpy-free in core/bake_math.py; the bone layout is data in
core/rig_layout.py. Here we only create Blender data: the armature from the rest pose, then F-curves written in bulk
(operators/action_api.py). Blender's own rest matrices (after roll alignment, in float32) are read back and used to
solve the pose, so what Blender evaluates is exactly what we solved for.

The bake never changes the user's selection, active object or mode once it returns, and never reuses an existing
object, armature or action: Blender appends ``.001``-style suffixes to new data-blocks whose name is taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import bpy
import numpy as np
from mathutils import Vector

from ..core.bake_math import RestPose, median_bone_lengths, resample, rest_pose, solve_pose
from ..core.capture_file import CONTACT_FEET
from ..core.hands.track import HandMotion
from ..core.rig_layout import BONES, ROOT_BONE
from .action_api import FCurveWriter, write_keys
from .bake_hands import EditBone, hand_edit_bones, resampled, write_hand_keys

FPS_MODES = ("SCENE_FROM_CLIP", "RESAMPLE")
_MAX_NAME = 50  # Blender names hold 63 bytes; leave room for "_Mocap" and a ".001" suffix


@dataclass
class BakeOptions:
    """fps_mode: SCENE_FROM_CLIP sets the scene frame rate to the clip's; RESAMPLE resamples the motion to the scene
    frame rate. start_frame: scene frame of the first key. set_frame_range: make the scene range cover the motion."""

    fps_mode: str = "SCENE_FROM_CLIP"
    start_frame: int = 1
    set_frame_range: bool = True

    def __post_init__(self) -> None:
        if self.fps_mode not in FPS_MODES:
            raise ValueError(f"fps_mode must be one of {FPS_MODES}, got {self.fps_mode!r}")
        if not isinstance(self.start_frame, int) or isinstance(self.start_frame, bool):
            raise ValueError(f"start_frame must be an int, got {self.start_frame!r}")


@dataclass
class BakeResult:
    armature: bpy.types.Object
    action: bpy.types.Action
    frames: int
    fps: float
    frame_start: int
    frame_end: int
    seconds: float


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def set_scene_fps(scene: bpy.types.Scene, fps: float) -> None:
    """Exact non-integer rates too: 29.97 → fps 30, fps_base 1.001."""
    scene.render.fps = max(1, round(fps))
    scene.render.fps_base = scene.render.fps / fps


def _clip_base(clip_name: str) -> str:
    name = clip_name.strip() or "Capture"
    return name[:_MAX_NAME]


class _SelectionState:
    """The user's mode, selection and active object, restored after the bake (even when it fails)."""

    def __init__(self, context: bpy.types.Context) -> None:
        self.view_layer = context.view_layer
        self.active = self.view_layer.objects.active
        self.mode = self.active.mode if self.active is not None else "OBJECT"
        self.selected = [o for o in self.view_layer.objects if o.select_get()]

    def restore(self) -> None:
        for obj in self.view_layer.objects:
            obj.select_set(obj in self.selected)
        self.view_layer.objects.active = self.active
        if self.active is not None and self.mode != "OBJECT" and self.active.mode != self.mode:
            bpy.ops.object.mode_set(mode=self.mode)


def build_armature(context: bpy.types.Context, name: str, rest: RestPose,
                   extra: list[EditBone] | None = None) -> bpy.types.Object:  # fmt: skip
    """A new armature object at the origin with one bone per core.rig_layout.BONES entry, linked to the scene;
    ``extra`` bones (the hands: operators/bake_hands.py) after them."""
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    context.scene.collection.objects.link(obj)
    view_layer = context.view_layer
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")  # edit bones exist only in edit mode
    try:
        for i, spec in enumerate(BONES):
            bone = data.edit_bones.new(spec.name)
            bone.head = Vector(rest.heads[i])
            bone.tail = Vector(rest.tails[i])
            bone.align_roll(Vector(rest.matrices[i][:, 2]))  # local Z forward (core.rig_layout.REST_FORWARD)
            if spec.parent is not None:
                bone.parent = data.edit_bones[spec.parent]
                bone.use_connect = (bone.head - bone.parent.tail).length < 1e-6
        for name_, head, tail, z_axis, parent in extra or []:
            bone = data.edit_bones.new(name_)
            bone.head, bone.tail = Vector(head), Vector(tail)
            bone.align_roll(Vector(z_axis))
            bone.parent = data.edit_bones[parent]
            bone.use_connect = (bone.head - bone.parent.tail).length < 1e-6
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    for pose_bone in obj.pose.bones:
        pose_bone.rotation_mode = "QUATERNION"
    return obj


def armature_rest(obj: bpy.types.Object) -> RestPose:
    """The rest pose exactly as Blender stored it (float32 heads, rolls after align_roll)."""
    bones = obj.data.bones
    mats = np.array([np.array(bones[b.name].matrix_local)[:3, :3] for b in BONES])
    heads = np.array([np.array(bones[b.name].head_local) for b in BONES])
    tails = np.array([np.array(bones[b.name].tail_local) for b in BONES])
    return RestPose(heads, tails, mats, np.linalg.norm(tails - heads, axis=-1))


def bake_joints(
    context: bpy.types.Context,
    joints_world: np.ndarray,
    fps: float,
    clip_name: str,
    options: BakeOptions | None = None,
    present: np.ndarray | None = None,
    contacts: np.ndarray | None = None,
    hands: HandMotion | None = None,
) -> BakeResult:
    """Create `<clip>_Mocap` + action `<clip>_mocap` (fake user) whose bones reproduce joints_world.

    Args:
        joints_world: (T, 17, 3) Blender world coordinates (Z up, metres), gap-free.
        fps: frame rate of joints_world. clip_name: base of the object/action names.
        present: (T,) bool, frames with a person (core.presence); elsewhere the armature is hidden (viewport and
            render keys), so no skeleton shows where the video has nobody. None: every frame.
        contacts: (T, 2) bool, left/right foot planted (core.world.contacts): keyed on the object's custom
            properties ``contact_left`` / ``contact_right`` (0/1, a key per frame) for later tools. None: not keyed.
        hands: finger motion (core.hands.track, from a capture with hands on): the armature gets a hand and three
            bones per finger on each arm (core.hands.rig), keyed. None: no hand bones.
    Returns: BakeResult. Raises ValueError on bad input (nothing is created then).
    """
    options = options or BakeOptions()
    start = time.perf_counter()
    joints = np.asarray(joints_world, dtype=np.float64)
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"the capture's frame rate must be positive, got {fps}")
    scene = context.scene
    shown = np.ones(len(joints), bool) if present is None else np.asarray(present, bool)
    if shown.shape != (len(joints),):
        raise ValueError(f"present has {shown.shape} entries for {len(joints)} frames")
    planted = None if contacts is None else np.asarray(contacts, bool)
    if planted is not None and planted.shape != (len(joints), len(CONTACT_FEET)):
        raise ValueError(f"contacts has {planted.shape} entries for {len(joints)} frames, 2 feet")
    if options.fps_mode == "RESAMPLE":
        target_fps = scene_fps(scene)
        joints = resample(joints, fps, target_fps)
        nearest = np.minimum(np.round(np.arange(len(joints)) * fps / target_fps).astype(int), len(shown) - 1)
        shown = shown[nearest]
        planted = None if planted is None else planted[nearest]
        hands = None if hands is None else resampled(hands, fps, target_fps)
    else:
        target_fps = float(fps)
    lengths = median_bone_lengths(joints)  # validates shape and finiteness before anything is created

    state = _SelectionState(context)
    if state.active is not None and state.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    base = _clip_base(clip_name)
    try:
        rest = rest_pose(lengths)
        extra = None if hands is None else hand_edit_bones(rest, hands.shape)
        obj = build_armature(context, f"{base}_Mocap", rest, extra)
        motion = solve_pose(joints, armature_rest(obj))
        action = bpy.data.actions.new(f"{base}_mocap")
        action.use_fake_user = True  # keep the take even when it is unassigned
        frames = options.start_frame + np.arange(len(joints), dtype=np.float64)
        writer = FCurveWriter(action, obj)
        for i, spec in enumerate(BONES):
            path = f'pose.bones["{spec.name}"].rotation_quaternion'
            for c in range(4):
                write_keys(writer.new(path, c, spec.name), frames, motion.rotations[:, i, c])
        for c in range(3):
            write_keys(writer.new(f'pose.bones["{ROOT_BONE}"].location', c, ROOT_BONE), frames,
                       motion.root_location[:, c])
        if hands is not None:
            write_hand_keys(obj, writer, frames, joints, hands)
        if not shown.all():  # a key per frame: exact on every frame, whatever the interpolation
            for prop in ("hide_viewport", "hide_render"):
                write_keys(writer.new(prop, 0, "Object Transforms"), frames, (~shown).astype(np.float64))
        if planted is not None:
            for f, foot in enumerate(CONTACT_FEET):
                obj[f"contact_{foot}"] = 0
                write_keys(writer.new(f'["contact_{foot}"]', 0, "Contacts"), frames, planted[:, f].astype(np.float64))
    finally:
        state.restore()

    if options.fps_mode == "SCENE_FROM_CLIP":
        set_scene_fps(scene, target_fps)
    frame_end = int(frames[-1])
    if options.set_frame_range:
        scene.frame_start = options.start_frame
        scene.frame_end = frame_end
    obj["video_mocap"] = {"clip": clip_name, "fps": target_fps, "frames": len(joints), "action": action.name}
    return BakeResult(obj, action, len(joints), target_fps, options.start_frame, frame_end,
                      time.perf_counter() - start)


def armature_joints(context: bpy.types.Context, obj: bpy.types.Object, frames: list[int]) -> np.ndarray:
    """(len(frames), 17, 3) world joint positions of a Video Mocap armature as Blender evaluates it (previews)."""
    from ..core.rig_layout import JOINT_POINTS

    scene = context.scene
    current = scene.frame_current
    out = np.empty((len(frames), len(JOINT_POINTS), 3))
    try:
        for i, frame in enumerate(frames):
            scene.frame_set(frame)
            evaluated = obj.evaluated_get(context.evaluated_depsgraph_get())
            for j, point in enumerate(JOINT_POINTS):
                bone = evaluated.pose.bones[point.bone]
                out[i, j] = evaluated.matrix_world @ (bone.head if point.end == "head" else bone.tail)
    finally:
        scene.frame_set(current)
    return out
