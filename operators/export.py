"""Export the take as BVH (our writer: a choice of up axis, Y by default) or FBX (Blender's exporter, with leaf
bones so every joint position survives), with frame range and scale options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import bpy
import numpy as np
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..core.bvh_write import BvhRig, write_bvh


def export_armature(context: bpy.types.Context) -> bpy.types.Object | None:
    """The active armature, else the last Video Mocap result."""
    obj = context.active_object
    if obj is not None and obj.type == "ARMATURE":
        return obj
    settings = getattr(context.scene, "video_mocap", None)
    last = settings.last_armature if settings is not None else None
    return last if last is not None and last.type == "ARMATURE" else None


def action_range(obj: bpy.types.Object) -> tuple[int, int] | None:
    action = obj.animation_data.action if obj.animation_data else None
    if action is None:
        return None
    start, end = action.frame_range
    return int(round(start)), int(round(end))


class _ExportTake:
    """Options shared by the BVH and FBX exports."""

    use_action_range: BoolProperty(name="Whole Take", description="Export the frame range of the armature's action",
                                   default=True)
    frame_start: IntProperty(name="Start", default=1)
    frame_end: IntProperty(name="End", default=250)
    global_scale: FloatProperty(name="Scale", description="Scale applied to the exported motion", default=1.0,
                                min=0.001, max=1000.0)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return export_armature(context) is not None

    def frame_range(self, obj: bpy.types.Object) -> tuple[int, int]:
        rng = action_range(obj) if self.use_action_range else None
        start, end = rng if rng is not None else (self.frame_start, self.frame_end)
        if end < start:
            raise ValueError(f"the frame range ends ({end}) before it starts ({start})")
        return start, end

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "use_action_range")
        row = layout.row(align=True)
        row.enabled = not self.use_action_range
        row.prop(self, "frame_start")
        row.prop(self, "frame_end")
        layout.prop(self, "global_scale")

    def run(self, context: bpy.types.Context, export: Any) -> set[str]:
        obj = export_armature(context)
        try:
            start, end = self.frame_range(obj)
            folder = Path(bpy.path.abspath(self.filepath)).parent
            if not folder.is_dir() or not os.access(folder, os.W_OK):  # Blender's exporters would raise a traceback
                raise ValueError(f"cannot write into {folder} (missing or read-only folder); choose another")
            export(context, obj, start, end)
        except (ValueError, RuntimeError, OSError) as exc:
            self.report({"ERROR"}, f"Video Mocap: export failed: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Video Mocap: exported {obj.name} frames {start}–{end} to {self.filepath}")
        return {"FINISHED"}


class _Selection:
    """Temporarily select only `obj` (the exporters read the selection), then restore the user's selection."""

    def __init__(self, context: bpy.types.Context, obj: bpy.types.Object) -> None:
        self.view_layer, self.obj = context.view_layer, obj

    def __enter__(self) -> None:
        self.active = self.view_layer.objects.active
        self.selected = [o for o in self.view_layer.objects if o.select_get()]
        for o in self.view_layer.objects:
            o.select_set(o == self.obj)
        self.view_layer.objects.active = self.obj

    def __exit__(self, *exc: object) -> None:
        for o in self.view_layer.objects:
            o.select_set(o in self.selected)
        self.view_layer.objects.active = self.active


def _bones_in_order(arm: bpy.types.Armature) -> list[bpy.types.Bone]:
    """Parents before children (the order a BVH hierarchy is written in)."""
    roots = [b for b in arm.bones if b.parent is None]
    if len(roots) != 1:
        raise ValueError(f"a BVH file has one root bone; the armature has {len(roots)}")
    out: list[bpy.types.Bone] = []
    stack = roots
    while stack:
        bone = stack.pop(0)
        out.append(bone)
        stack = list(bone.children) + stack
    return out


def sample_bvh(context: bpy.types.Context, obj: bpy.types.Object, start: int, end: int):  # noqa: ANN201
    """(BvhRig, rotations (T, B, 3, 3), root positions (T, 3)) of ``obj`` over frames ``start..end``, world axes."""
    bones = _bones_in_order(obj.data)
    index = {b.name: i for i, b in enumerate(bones)}
    world = np.array(obj.matrix_world)
    heads = np.array([world[:3, :3] @ np.array(b.head_local) + world[:3, 3] for b in bones])
    tails = np.array([world[:3, :3] @ np.array(b.tail_local) + world[:3, 3] for b in bones])
    rest = np.array([world[:3, :3] @ np.array(b.matrix_local)[:3, :3] for b in bones])
    rig = BvhRig(tuple(b.name for b in bones), tuple(index[b.parent.name] if b.parent else -1 for b in bones),
                 heads, tails)  # fmt: skip
    scene, old_frame = context.scene, context.scene.frame_current
    rotations, roots = [], []
    try:
        for frame in range(start, end + 1):
            scene.frame_set(frame)
            evaluated = obj.evaluated_get(context.evaluated_depsgraph_get())
            m = [np.array(evaluated.matrix_world) @ np.array(evaluated.pose.bones[b.name].matrix) for b in bones]
            rotations.append(np.stack([mi[:3, :3] for mi in m]) @ np.swapaxes(rest, -1, -2))
            roots.append(m[0][:3, 3])
    finally:
        scene.frame_set(old_frame)
    return rig, np.stack(rotations), np.stack(roots)


class VIDEO_MOCAP_OT_export_bvh(bpy.types.Operator, ExportHelper, _ExportTake):
    """Export the armature's take as BVH, Y up by default (what other tools expect) or Z up like Blender"""

    bl_idname = "video_mocap.export_bvh"
    bl_label = "Export BVH"
    filename_ext = ".bvh"
    filter_glob: StringProperty(default="*.bvh", options={"HIDDEN"})
    up_axis: EnumProperty(
        name="Up Axis",
        items=(("Y", "Y Up", "Y up, -Z forward: other tools and Blender's BVH importer with its defaults"),
               ("Z", "Z Up", "Blender's own axes (import with Up = Z, Forward = Y)")),
        default="Y",
    )  # fmt: skip

    def draw(self, context: bpy.types.Context) -> None:
        super().draw(context)
        self.layout.prop(self, "up_axis")

    def execute(self, context: bpy.types.Context) -> set[str]:
        def export(ctx: bpy.types.Context, obj: bpy.types.Object, start: int, end: int) -> None:
            rig, rotations, roots = sample_bvh(ctx, obj, start, end)
            fps = ctx.scene.render.fps / ctx.scene.render.fps_base
            write_bvh(bpy.path.abspath(self.filepath), rig, rotations, roots, fps, up=self.up_axis,
                      scale=self.global_scale)  # fmt: skip

        return self.run(context, export)


class VIDEO_MOCAP_OT_export_fbx(bpy.types.Operator, ExportHelper, _ExportTake):
    """Export the armature and its take as FBX (Blender's FBX exporter)"""

    bl_idname = "video_mocap.export_fbx"
    bl_label = "Export FBX"
    filename_ext = ".fbx"
    filter_glob: StringProperty(default="*.fbx", options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        def export(ctx: bpy.types.Context, obj: bpy.types.Object, start: int, end: int) -> None:
            scene = ctx.scene
            old_range = scene.frame_start, scene.frame_end
            scene.frame_start, scene.frame_end = start, end  # the FBX exporter bakes the scene range
            try:
                with _Selection(ctx, obj):
                    bpy.ops.export_scene.fbx(filepath=self.filepath, use_selection=True, object_types={"ARMATURE"},
                                             global_scale=self.global_scale, add_leaf_bones=True, bake_anim=True,
                                             bake_anim_simplify_factor=0.0,  # every key exact, none dropped
                                             bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False)
            finally:
                scene.frame_start, scene.frame_end = old_range

        return self.run(context, export)


CLASSES = (VIDEO_MOCAP_OT_export_bvh, VIDEO_MOCAP_OT_export_fbx)
