"""The Live section of the Mocap tab: its settings (camera or stand-in video, smoothing), Start/Stop, the Record
toggle and the session's live figures (frames per second, latency frame read → pose sent, dropped frames).

The settings live on the Scene (``Scene.video_mocap_live``, saved with the file); the running session's figures on
the WindowManager (``WindowManager.video_mocap_live_status``: never saved, never part of undo), written by
operators/live.py on every timer tick. Both property groups are in operators/properties.py.
"""

from __future__ import annotations

import bpy


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
        col.prop(live, "mediapipe_3d", slider=True)
        col.prop(live, "hands")
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
                if live.hands:
                    box.label(text=f"Hands: {status.hands_ms:.0f} ms per frame")
                box.label(text=f"{status.frames} poses · {status.dropped} dropped"
                               + ("" if status.detected else " · nobody in view"))
            if status.recording:
                box.label(text=f"Recording: {status.recorded} frames", icon="REC")
        if status.message:
            layout.label(text=status.message, icon="INFO")


CLASSES = (VIEW3D_PT_video_mocap_live,)
