"""Import a capture .npz (from the capture CLI or an earlier run) and bake it; re-bake the last capture."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ImportHelper

from .capture import bake_capture_file


class VIDEO_MOCAP_OT_import_capture(bpy.types.Operator, ImportHelper):
    """Load a capture .npz written by the capture command line and bake it onto a new armature"""

    bl_idname = "video_mocap.import_capture"
    bl_label = "Import Capture"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.npz", options={"HIDDEN"})

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            bake_capture_file(context, self.filepath)
        except ValueError as exc:
            self.report({"ERROR"}, f"Video Mocap: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Video Mocap: {context.scene.video_mocap.last_status}")
        return {"FINISHED"}


class VIDEO_MOCAP_OT_bake(bpy.types.Operator):
    """Bake the last capture again with the current frame rate and start frame options (a new armature and action)"""

    bl_idname = "video_mocap.bake"
    bl_label = "Bake Again"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        settings = getattr(context.scene, "video_mocap", None)
        return settings is not None and Path(bpy.path.abspath(settings.last_capture_path)).is_file()

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            bake_capture_file(context, bpy.path.abspath(context.scene.video_mocap.last_capture_path))
        except ValueError as exc:
            self.report({"ERROR"}, f"Video Mocap: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Video Mocap: {context.scene.video_mocap.last_status}")
        return {"FINISHED"}


CLASSES = (VIDEO_MOCAP_OT_import_capture, VIDEO_MOCAP_OT_bake)
