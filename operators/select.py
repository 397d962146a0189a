"""Select the result of the last capture: the armature (object mode) or all its bones (pose mode)."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty


class VIDEO_MOCAP_OT_select_result(bpy.types.Operator):
    """Select the armature of the last capture"""

    bl_idname = "video_mocap.select_result"
    bl_label = "Select Result"
    bl_options = {"REGISTER", "UNDO"}

    target: EnumProperty(name="Select", items=[
        ("ARMATURE", "Armature", "Select the armature and make it active"),
        ("BONES", "Bones", "Select the armature and all its bones in pose mode"),
    ])

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = getattr(context.scene, "video_mocap", None)
        obj = settings.last_armature if settings is not None else None
        return obj is not None and obj.name in context.view_layer.objects

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = context.scene.video_mocap.last_armature
        active = context.view_layer.objects.active
        if active is not None and active.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        for other in context.view_layer.objects:
            other.select_set(other == obj)
        context.view_layer.objects.active = obj
        if self.target == "BONES":
            bpy.ops.object.mode_set(mode="POSE")
            bpy.ops.pose.select_all(action="SELECT")  # bone selection moved from Bone to PoseBone in 5.0
        return {"FINISHED"}


CLASSES = (VIDEO_MOCAP_OT_select_result,)
