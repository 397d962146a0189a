"""All the add-on's property groups: settings on the Scene (saved with the file: capture options and the last
result, retarget settings and mapping, live settings), running jobs' figures on the WindowManager (transient: never
saved, never part of undo). Defaults of options the worker receives are read from core/options.py."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..core.options import CaptureOptions, LiveOptions
from ..core.retarget.solve import RetargetOptions
from .retarget_keys import is_mocap_armature

FPS_MODE_ITEMS = [
    ("SCENE_FROM_CLIP", "Match Scene to Clip", "Set the scene frame rate to the video's and key every video frame"),
    ("RESAMPLE", "Resample to Scene", "Keep the scene frame rate and resample the motion to it"),
]
# One item per core.options.MODELS value (upper case: Blender's enum convention).
MODEL_ITEMS = [
    ("OFFLINE", "Offline", "Uses past and future frames: the most accurate"),
    ("CAUSAL", "Causal", "Uses past frames only (like live mode): less latency, a little less accurate"),
]


class VIDEO_MOCAP_PG_settings(bpy.types.PropertyGroup):
    """Capture options (Scene.video_mocap) and the summary of the last capture."""

    video_path: StringProperty(name="Video", description="Video file to capture", subtype="FILE_PATH")
    height: FloatProperty(name="Subject Height", description="Height of the filmed person, used to scale the motion",
                          default=CaptureOptions.field_default("height"), min=0.5, max=2.5, unit="LENGTH")
    smoothing: FloatProperty(name="Smoothing", description="Temporal smoothing strength (0 = none)",
                             default=CaptureOptions.field_default("smoothing"), min=0.0, max=1.0, subtype="FACTOR")
    use_frame_range: BoolProperty(name="Limit Frames", description="Capture only part of the video")
    video_frame_start: IntProperty(name="First", description="First video frame (0-based)", default=0, min=0)
    video_frame_end: IntProperty(name="Last", description="Last video frame (inclusive)", default=100, min=0)
    fps_mode: EnumProperty(name="Frame Rate", items=FPS_MODE_ITEMS, default="SCENE_FROM_CLIP")
    start_frame: IntProperty(name="Start Frame", description="Scene frame of the first key", default=1)
    set_frame_range: BoolProperty(name="Set Scene Range", description="Make the scene frame range cover the take",
                                  default=True)
    model: EnumProperty(name="Model", items=MODEL_ITEMS, default=CaptureOptions.field_default("model").upper())
    hands: BoolProperty(name="Hands", description="Also capture both hands' fingers (MediaPipe Hands on every frame: "
                        "a slower capture); the armature gets finger bones",
                        default=CaptureOptions.field_default("hands"))  # fmt: skip
    mediapipe_3d: FloatProperty(name="MediaPipe 3D", description="Share of MediaPipe's own 3D averaged into the "
                                "lifter's pose where MediaPipe is trusted (0 = the lifter alone)",
                                default=CaptureOptions.field_default("mediapipe_3d"), min=0.0, max=1.0,
                                subtype="FACTOR")  # fmt: skip

    # Summary of the last run (kept in the file so the panel can show it after reopening).
    last_status: StringProperty(name="Last Status")
    last_warnings: StringProperty(name="Last Warnings", description="The last capture's warnings, one per line")
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


# --- retarget (operators/retarget.py) ------------------------------------------------------------------------


def _is_armature(_self: bpy.types.PropertyGroup, obj: bpy.types.Object) -> bool:
    return obj.type == "ARMATURE"


def _is_mocap(_self: bpy.types.PropertyGroup, obj: bpy.types.Object) -> bool:
    return is_mocap_armature(obj)


def _edited(_row: bpy.types.PropertyGroup, context: bpy.types.Context) -> None:
    """A hand edit makes the mapping custom (fill_mapping sets the preset name after filling the rows)."""
    context.scene.video_mocap_retarget.preset = "custom"


class VIDEO_MOCAP_PG_retarget_bone(bpy.types.PropertyGroup):
    """One row of the mapping: a body role and the target bone playing it (empty: not driven)."""

    role: StringProperty(name="Body Part")
    bone: StringProperty(name="Bone", description="Target bone for this body part (empty: leave it alone)",
                         update=_edited)


class VIDEO_MOCAP_PG_retarget(bpy.types.PropertyGroup):
    """Retarget settings and mapping (Scene.video_mocap_retarget)."""

    source: PointerProperty(name="Source", type=bpy.types.Object, poll=_is_mocap,
                            description="Video Mocap armature whose take is retargeted")
    source_action: PointerProperty(name="Take", type=bpy.types.Action,
                                   description="Action of the source to retarget (empty: the source's current one)")
    target: PointerProperty(name="Target", type=bpy.types.Object, poll=_is_armature,
                            description="Armature that receives the motion (empty: the active armature)")
    mapping: CollectionProperty(type=VIDEO_MOCAP_PG_retarget_bone)
    mapping_index: IntProperty(name="Active Row")
    mapping_target: StringProperty(name="Mapped Armature", description="Armature the mapping list was made for")
    preset: StringProperty(name="Preset", description="Where the mapping came from")
    root_motion: StringProperty(name="Root Motion Bone",
                                description="Bone that receives the translation (empty: the pelvis bone)")
    scale_translation: BoolProperty(name="Scale by Leg Length", default=True,
                                    description="Scale the root translation by the target/source leg-length ratio")
    align_heading: BoolProperty(name="Align Facing", default=True,
                                description="Turn the motion so that it starts facing the way the target faces")
    keep_ik: BoolProperty(name="Keep IK", default=RetargetOptions().keep_ik,
                          description="Rigify limbs left in IK stay in IK: their IK controls are keyed with Rigify's "
                          "own IK->FK snap (slow: about 0.3 s per limb and frame); off: keyed to FK")
    foot_lock: BoolProperty(name="Foot Locking", default=True,
                            description="Pin each foot while it is planted on the source (no foot sliding)")
    height_tolerance: FloatProperty(name="Contact Height", default=0.05, min=0.001, max=0.5, unit="LENGTH",
                                    description="How far above its lowest point a foot still counts as planted")
    speed_tolerance: FloatProperty(name="Contact Speed", default=0.25, min=0.01, max=5.0, unit="VELOCITY",
                                   description="Speed (m/s) below which a grounded foot counts as planted")


# --- live (operators/live.py, panels/live_panel.py) ----------------------------------------------------------


class VIDEO_MOCAP_PG_live(bpy.types.PropertyGroup):
    """Live settings (Scene.video_mocap_live)."""

    source: EnumProperty(name="Source", items=[("CAMERA", "Camera", "A webcam"),
                                               ("FILE", "Video File", "A video played at its own rate, as a camera")])
    camera_index: IntProperty(name="Camera", description="Camera number (0 = the first camera)", default=0, min=0,
                              max=99)
    video_path: StringProperty(name="Video", description="Video standing in for a camera", subtype="FILE_PATH")
    loop: BoolProperty(name="Loop", description="Start the video over at its end")
    smoothing: FloatProperty(name="Smoothing", description="Causal smoothing strength (more = steadier, more lag)",
                             default=LiveOptions.field_default("smoothing"), min=0.0, max=1.0, subtype="FACTOR")
    hands: BoolProperty(name="Hands", description="Also track both hands' fingers (MediaPipe Hands on every frame: "
                        "lowers the frame rate; its cost is shown while running)",
                        default=LiveOptions.field_default("hands"))  # fmt: skip
    mediapipe_3d: FloatProperty(name="MediaPipe 3D", description="Share of MediaPipe's own 3D averaged into the "
                                "lifter's pose (0 = the lifter alone)",
                                default=LiveOptions.field_default("mediapipe_3d"), min=0.0, max=1.0,
                                subtype="FACTOR")  # fmt: skip
    armature: PointerProperty(name="Live Armature", type=bpy.types.Object)


class VIDEO_MOCAP_PG_live_status(bpy.types.PropertyGroup):
    """The running session's figures (WindowManager.video_mocap_live_status: never saved)."""

    running: BoolProperty()
    recording: BoolProperty()
    detected: BoolProperty()
    state: StringProperty()
    fps: FloatProperty()
    latency_ms: FloatProperty()
    hands_ms: FloatProperty()
    frames: IntProperty()
    dropped: IntProperty()
    recorded: IntProperty()
    message: StringProperty()


CLASSES = (VIDEO_MOCAP_PG_settings, VIDEO_MOCAP_PG_job, VIDEO_MOCAP_PG_retarget_bone, VIDEO_MOCAP_PG_retarget,
           VIDEO_MOCAP_PG_live, VIDEO_MOCAP_PG_live_status)
# Where each group is attached: (owner type, attribute, group).
_POINTERS = (
    (bpy.types.Scene, "video_mocap", VIDEO_MOCAP_PG_settings),
    (bpy.types.Scene, "video_mocap_retarget", VIDEO_MOCAP_PG_retarget),
    (bpy.types.Scene, "video_mocap_live", VIDEO_MOCAP_PG_live),
    (bpy.types.WindowManager, "video_mocap_job", VIDEO_MOCAP_PG_job),
    (bpy.types.WindowManager, "video_mocap_live_status", VIDEO_MOCAP_PG_live_status),
)


def register_props() -> None:
    """Attach the groups (after CLASSES are registered)."""
    for owner, name, group in _POINTERS:
        setattr(owner, name, PointerProperty(type=group))


def unregister_props() -> None:
    for owner, name, _group in reversed(_POINTERS):
        delattr(owner, name)
