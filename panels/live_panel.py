"""The Live section of the Mocap tab: its settings (camera or stand-in video, smoothing), Start/Stop, the Record
toggle and the session's live figures (frames per second, latency frame read → pose sent, dropped frames).

The settings live on the Scene (``Scene.video_mocap_live``, saved with the file); the running session's figures on
the WindowManager (``WindowManager.video_mocap_live_status``: never saved, never part of undo), written by
operators/live.py on every timer tick.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty


class VIDEO_MOCAP_PG_live(bpy.types.PropertyGroup):
    """Live settings (Scene.video_mocap_live)."""

    source: EnumProperty(name="Source", items=[("CAMERA", "Camera", "A webcam"),
                                               ("FILE", "Video File", "A video played at its own rate, as a camera")])
    camera_index: IntProperty(name="Camera", description="Camera number (0 = the first camera)", default=0, min=0,
                              max=99)
    video_path: StringProperty(name="Video", description="Video standing in for a camera", subtype="FILE_PATH")
    loop: BoolProperty(name="Loop", description="Start the video over at its end")
    smoothing: FloatProperty(name="Smoothing", description="Causal smoothing strength (more = steadier, more lag)",
                             default=0.3, min=0.0, max=1.0, subtype="FACTOR")
    armature: PointerProperty(name="Live Armature", type=bpy.types.Object)


class VIDEO_MOCAP_PG_live_status(bpy.types.PropertyGroup):
    """The running session's figures (WindowManager.video_mocap_live_status: never saved)."""

    running: BoolProperty()
    recording: BoolProperty()
    detected: BoolProperty()
    state: StringProperty()
    fps: FloatProperty()
    latency_ms: FloatProperty()
    frames: IntProperty()
    dropped: IntProperty()
    recorded: IntProperty()
    message: StringProperty()


class VIEW3D_PT_video_mocap_live(bpy.types.Panel):
    bl_label = "Live"
    bl_idname = "VIEW3D_PT_video_mocap_live"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Mocap"
    bl_parent_id = "VIEW3D_PT_video_mocap"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        live = context.scene.video_mocap_live
        status = context.window_manager.video_mocap_live_status
        col = layout.column(align=True)
        col.enabled = not status.running
        col.row(align=True).prop(live, "source", expand=True)
        if live.source == "CAMERA":
            col.prop(live, "camera_index")
        else:
            col.prop(live, "video_path")
            col.prop(live, "loop")
        col.prop(live, "smoothing", slider=True)
        if not status.running:
            layout.operator("video_mocap.live_start", icon="PLAY")
        else:
            row = layout.row(align=True)
            row.operator("video_mocap.live_stop", icon="SNAP_FACE")
            row.operator("video_mocap.live_record", text="Record", icon="REC", depress=status.recording)
            box = layout.box()
            if status.state != "running":
                box.label(text=f"{status.state.capitalize()}…", icon="TIME")
            else:
                box.label(text=f"{status.fps:.1f} fps · {status.latency_ms:.0f} ms latency")
                box.label(text=f"{status.frames} poses · {status.dropped} dropped"
                               + ("" if status.detected else " · nobody in view"))
            if status.recording:
                box.label(text=f"Recording: {status.recorded} frames", icon="REC")
        if status.message:
            layout.label(text=status.message, icon="INFO")


CLASSES = (VIDEO_MOCAP_PG_live, VIDEO_MOCAP_PG_live_status, VIEW3D_PT_video_mocap_live)
_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    bpy.types.Scene.video_mocap_live = PointerProperty(type=VIDEO_MOCAP_PG_live)
    bpy.types.WindowManager.video_mocap_live_status = PointerProperty(type=VIDEO_MOCAP_PG_live_status)


def unregister() -> None:
    del bpy.types.WindowManager.video_mocap_live_status
    del bpy.types.Scene.video_mocap_live
    _unregister_classes()
