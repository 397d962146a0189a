"""The Mocap tab of the 3D Viewport sidebar: video, options, Capture/Cancel with progress, summary, export."""

from __future__ import annotations

import bpy


class VIEW3D_PT_video_mocap(bpy.types.Panel):
    bl_label = "Video Mocap"
    bl_idname = "VIEW3D_PT_video_mocap"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Mocap"

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        settings = context.scene.video_mocap
        job = context.window_manager.video_mocap_job
        layout.prop(settings, "video_path")

        col = layout.column(align=True)
        col.enabled = not job.running
        col.prop(settings, "height")
        col.prop(settings, "smoothing", slider=True)
        col.row(align=True).prop(settings, "model", expand=True)
        col.prop(settings, "mediapipe_3d", slider=True)
        col.prop(settings, "hands")
        col.prop(settings, "use_frame_range")
        row = col.row(align=True)
        row.enabled = settings.use_frame_range
        row.prop(settings, "video_frame_start")
        row.prop(settings, "video_frame_end")
        col.separator()
        col.prop(settings, "fps_mode", text="")
        col.prop(settings, "start_frame")
        col.prop(settings, "set_frame_range")

        if job.running:
            text = f"{job.stage.capitalize()} {job.frames_done}/{job.frames_total} · {job.fps:.1f} frames/s"
            layout.progress(factor=job.progress, type="BAR", text=text)
            layout.operator("video_mocap.cancel_capture", icon="CANCEL")
        else:
            layout.operator("video_mocap.capture", icon="ARMATURE_DATA")
        row = layout.row(align=True)
        row.operator("video_mocap.import_capture", icon="IMPORT")
        row.operator("video_mocap.bake", icon="REC")
        _draw_summary(layout, settings)


def _draw_summary(layout: bpy.types.UILayout, settings: bpy.types.PropertyGroup) -> None:
    if not settings.last_status:
        return
    box = layout.box()
    box.label(text=settings.last_status, icon="INFO")
    if settings.last_frames:
        box.label(text=f"{settings.last_frames} frames · {settings.last_detection_rate:.0%} detected · "
                       f"{settings.last_seconds:.1f} s")
    for warning in filter(None, settings.last_warnings.split("\n")):  # the capture's warnings, one per line
        box.label(text=warning, icon="ERROR")
    if settings.last_armature is None:
        return
    row = box.row(align=True)
    row.operator("video_mocap.select_result", text="Armature", icon="RESTRICT_SELECT_OFF").target = "ARMATURE"
    row.operator("video_mocap.select_result", text="Bones", icon="BONE_DATA").target = "BONES"
    row = box.row(align=True)
    row.operator("video_mocap.export_bvh", text="BVH", icon="EXPORT")
    row.operator("video_mocap.export_fbx", text="FBX", icon="EXPORT")


CLASSES = (VIEW3D_PT_video_mocap,)
