"""Add-on properties: capture options and the last result on the Scene (saved with the file), the running job's
progress on the WindowManager (transient: never saved, never part of undo)."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

FPS_MODE_ITEMS = [
    ("SCENE_FROM_CLIP", "Match Scene to Clip", "Set the scene frame rate to the video's and key every video frame"),
    ("RESAMPLE", "Resample to Scene", "Keep the scene frame rate and resample the motion to it"),
]
MODEL_ITEMS = [
    ("OFFLINE", "Offline", "Uses past and future frames: the most accurate"),
    ("CAUSAL", "Causal", "Uses past frames only (like live mode): less latency, a little less accurate"),
]


class VIDEO_MOCAP_PG_settings(bpy.types.PropertyGroup):
    """Capture options (Scene.video_mocap) and the summary of the last capture."""

    video_path: StringProperty(name="Video", description="Video file to capture", subtype="FILE_PATH")
    height: FloatProperty(name="Subject Height", description="Height of the filmed person, used to scale the motion",
                          default=1.75, min=0.5, max=2.5, unit="LENGTH")
    smoothing: FloatProperty(name="Smoothing", description="Temporal smoothing strength (0 = none)",
                             default=0.5, min=0.0, max=1.0, subtype="FACTOR")
    use_frame_range: BoolProperty(name="Limit Frames", description="Capture only part of the video")
    video_frame_start: IntProperty(name="First", description="First video frame (0-based)", default=0, min=0)
    video_frame_end: IntProperty(name="Last", description="Last video frame (inclusive)", default=100, min=0)
    fps_mode: EnumProperty(name="Frame Rate", items=FPS_MODE_ITEMS, default="SCENE_FROM_CLIP")
    start_frame: IntProperty(name="Start Frame", description="Scene frame of the first key", default=1)
    set_frame_range: BoolProperty(name="Set Scene Range", description="Make the scene frame range cover the take",
                                  default=True)
    model: EnumProperty(name="Model", items=MODEL_ITEMS, default="OFFLINE")

    # Summary of the last run (kept in the file so the panel can show it after reopening).
    last_status: StringProperty(name="Last Status")
    last_capture_path: StringProperty(name="Last Capture", subtype="FILE_PATH")
    last_frames: IntProperty(name="Frames")
    last_detection_rate: FloatProperty(name="Detection Rate", subtype="FACTOR", min=0.0, max=1.0)
    last_seconds: FloatProperty(name="Time", unit="TIME_ABSOLUTE")
    last_armature: PointerProperty(name="Armature", type=bpy.types.Object)
    last_action: PointerProperty(name="Action", type=bpy.types.Action)


class VIDEO_MOCAP_PG_job(bpy.types.PropertyGroup):
    """Progress of the running capture (WindowManager.video_mocap_job), written by the modal operator."""

    running: BoolProperty(name="Running")
    stage: StringProperty(name="Stage")
    progress: FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")
    frames_done: IntProperty(name="Frames Done")
    frames_total: IntProperty(name="Frames Total")
    fps: FloatProperty(name="Frames per Second")
    # Preferences helpers: worker check and dependency install output.
    worker_info: StringProperty(name="Worker")
    install_state: StringProperty(name="Install State")


CLASSES = (VIDEO_MOCAP_PG_settings, VIDEO_MOCAP_PG_job)


def register_props() -> None:
    bpy.types.Scene.video_mocap = PointerProperty(type=VIDEO_MOCAP_PG_settings)
    bpy.types.WindowManager.video_mocap_job = PointerProperty(type=VIDEO_MOCAP_PG_job)


def unregister_props() -> None:
    del bpy.types.WindowManager.video_mocap_job
    del bpy.types.Scene.video_mocap
