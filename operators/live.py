"""Live preview from a webcam (or a video file standing in for one): Start/Stop/Record operators (docs/live.md).

* ``LiveRunner`` (core/worker/live_runner.py, no bpy) starts a worker, sends ``live``, follows its messages and
  hands the newest pose to ``LiveArmature.apply``.
* ``LiveArmature`` poses a live armature directly (pose-bone rotations, no keyframes), solved by the bake's maths.
* A modal operator calls ``LivePreview.tick`` from a timer; each finished take (Record off, or Stop while
  recording) is baked through the capture bake (``operators.bake.bake_joints``) at the camera's frame rate.

The camera is opened only by the worker, only after the artist presses Start (the manifest's ``camera`` permission).
"""

from __future__ import annotations

import time

import bpy
import numpy as np

from ..core.bake_math import RestPose, median_bone_lengths, rest_pose, solve_pose
from ..core.hands.rig import SIDES, TEMPLATE, bone_names, hand_keys
from ..core.live.take import Take
from ..core.options import LiveOptions
from ..core.rig_layout import BONES, ROOT_BONE
from ..core.worker.live_runner import LiveRequest, LiveRunner
from .bake import BakeOptions, BakeResult, armature_rest, bake_joints, build_armature
from .bake_hands import hand_edit_bones, hand_rest

_TIMER_STEP = 1.0 / 60.0  # poll faster than any camera, so the newest pose is shown with at most ~17 ms extra delay


class LiveArmature:
    """An armature posed directly from world joints (no action, no keyframes). Built from the first pose's bone
    lengths with the bake's armature builder, or an existing Video Mocap armature reused."""

    def __init__(self, context: bpy.types.Context, obj: bpy.types.Object | None = None, name: str = "Live") -> None:
        self.context, self.name = context, name
        self.obj: bpy.types.Object | None = None
        self.rest: RestPose | None = None
        self.hand_rest: tuple[bpy.types.Object, dict[str, tuple[np.ndarray, np.ndarray]]] | None = None
        if obj is not None and obj.type == "ARMATURE" and all(b.name in obj.pose.bones for b in BONES):
            self.obj, self.rest = obj, armature_rest(obj)

    def apply(self, joints: np.ndarray, hands: dict[str, np.ndarray] | None = None) -> bool:
        """Pose the armature to (17, 3) world joints (and ``hands``, core.live.hands output, when live hands are on:
        an armature built then gets hand bones); False when the pose cannot be solved (degenerate bones)."""
        try:
            if not self.valid():  # never built, or deleted by the artist meanwhile
                lengths = median_bone_lengths(joints[None])
                rest = rest_pose(lengths)
                extra = None if hands is None else hand_edit_bones(rest, TEMPLATE)
                self.obj = build_armature(self.context, f"{self.name}_Mocap", rest, extra)
                self.rest = armature_rest(self.obj)
            motion = solve_pose(joints[None], self.rest)
        except ValueError:
            return False
        bones = self.obj.pose.bones
        for i, spec in enumerate(BONES):
            bones[spec.name].rotation_quaternion = motion.rotations[0, i]
        bones[ROOT_BONE].location = motion.root_location[0]
        if hands is not None and all(bone_names(s)[0] in bones for s in SIDES):
            self._pose_hands(joints, hands)
        return True

    def _pose_hands(self, joints: np.ndarray, hands: dict[str, np.ndarray]) -> None:
        bones = self.obj.pose.bones
        if self.hand_rest is None or self.hand_rest[0] is not self.obj:  # read once per armature, not per pose
            self.hand_rest = (self.obj, hand_rest(self.obj))
        keys = hand_keys(joints[None], hands["angles"][None], hands["rotation"][None], TEMPLATE, self.hand_rest[1])
        for side in SIDES:
            for i, name in enumerate(bone_names(side)):  # quaternion mode: set by build_armature / the bake
                bones[name].rotation_quaternion = keys[side][0, i]

    def valid(self) -> bool:
        """The armature exists (not yet built, deleted by the artist or undone: False)."""
        try:
            return self.obj is not None and self.obj.name in bpy.data.objects
        except ReferenceError:
            return False


def bake_take(context: bpy.types.Context, take: Take) -> BakeResult:
    """Bake a finished take onto a new armature + action (the capture bake, the scene's bake options), and show it
    in the main panel's summary."""
    settings = context.scene.video_mocap
    options = BakeOptions(settings.fps_mode, settings.start_frame, settings.set_frame_range)
    result = bake_joints(context, take.on_frame_grid(), take.fps, f"Live_{time.strftime('%H%M%S')}", options,
                         hands=take.hand_motion())  # fmt: skip
    settings.last_frames, settings.last_detection_rate, settings.last_seconds = result.frames, 1.0, result.seconds
    settings.last_armature, settings.last_action = result.armature, result.action
    settings.last_status = f"Live take: {result.frames} frames at {result.fps:.2f} fps → {result.armature.name}"
    return result


class LivePreview:
    """What the timer drives: runner + live armature + baking of finished takes + the panel's figures."""

    def __init__(self, runner: LiveRunner, armature: LiveArmature) -> None:
        self.runner, self.armature = runner, armature
        self.baked: list[BakeResult] = []
        self.message = ""

    def tick(self, context: bpy.types.Context) -> bool:
        """One timer step; True once the session has ended (and its last take is baked)."""
        before = (self.runner.applied, self.runner.state, self.runner.recording)
        self.armature.context = context  # the context of this call: a stored one may be stale in a later tick
        self.runner.step()
        for take in self.runner.pop_takes():
            try:
                self.baked.append(bake_take(context, take))
                self.message = context.scene.video_mocap.last_status
            except ValueError as exc:
                self.message = f"The take could not be baked: {exc}"
        if self.runner.state == "failed":
            self.message = f"Live stopped: {self.runner.error}"
        # Redraw only when something changed: the timer runs at 60 Hz, most ticks bring nothing new.
        changed = before != (self.runner.applied, self.runner.state, self.runner.recording)
        update_status(context, self, redraw=changed or self.runner.finished)
        return self.runner.finished


def update_status(context: bpy.types.Context, preview: LivePreview | None, redraw: bool = True) -> None:
    """Mirror the session into WindowManager.video_mocap_live_status (the panel's figures) and redraw."""
    status = context.window_manager.video_mocap_live_status
    runner = preview.runner if preview is not None else None
    status.running = runner is not None and not runner.finished
    if runner is not None:
        status.state, status.fps, status.latency_ms = runner.state, runner.fps, runner.latency_ms
        status.hands_ms = runner.hands_ms
        status.frames, status.dropped, status.recording = runner.received, runner.dropped, runner.recording
        status.recorded, status.detected, status.message = runner.recorded, runner.detected, preview.message
    if redraw and context.screen is not None:
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def _make_preview(context: bpy.types.Context) -> LivePreview:
    from .capture import bpy_float
    from .runtime import worker_factory

    live = context.scene.video_mocap_live
    options = LiveOptions(height=bpy_float(context.scene.video_mocap.height), smoothing=bpy_float(live.smoothing),
                          loop=live.source == "FILE" and live.loop, hands=bool(live.hands),
                          mediapipe_3d=bpy_float(live.mediapipe_3d))
    if live.source == "CAMERA":
        request = LiveRequest(camera=live.camera_index, options=options.to_dict())
    else:
        video = bpy.path.abspath(live.video_path) if live.video_path else ""
        if not video:
            raise ValueError("choose a video file for live mode, or switch the source to Camera")
        request = LiveRequest(video=video, options=options.to_dict())
    armature = LiveArmature(context, live.armature)
    runner = LiveRunner(worker_factory(context), request)
    runner.apply_pose = lambda joints: armature.apply(joints, runner.hands)
    return LivePreview(runner, armature)


class VIDEO_MOCAP_OT_live_start(bpy.types.Operator):
    """Start the live preview: the camera drives a live armature; Record takes become actions"""

    bl_idname = "video_mocap.live_start"
    bl_label = "Start Live"
    bl_options = {"REGISTER", "UNDO"}  # the session (live armature, baked takes) is one undo step

    active: LivePreview | None = None  # the one session (class-level: Stop, Record and the panel see it)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return cls.active is None and context.scene is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        """Background mode (no timers): runs a video-file session to its end, synchronously."""
        if context.scene.video_mocap_live.source == "CAMERA":
            self.report({"ERROR"}, "a live camera preview needs Blender's interface; use a video file here")
            return {"CANCELLED"}
        if not self._begin(context):
            return {"CANCELLED"}
        while not type(self).active.tick(context):  # type: ignore[union-attr]
            time.sleep(0.01)
        return self._finish(context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if not self._begin(context):
            return {"CANCELLED"}
        self._timer = context.window_manager.event_timer_add(_TIMER_STEP, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}  # the interface stays usable while previewing
        preview = type(self).active
        try:
            done = preview is None or preview.tick(context)
        except Exception:  # a bug must not leave a camera running with nobody polling it
            if preview is not None:
                preview.runner.abort()
            done = True
            context.window_manager.event_timer_remove(self._timer)
            self._finish(context)
            raise
        if not done:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        return self._finish(context)

    def _begin(self, context: bpy.types.Context) -> bool:
        try:
            type(self).active = _make_preview(context)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        update_status(context, type(self).active)
        return True

    def _finish(self, context: bpy.types.Context) -> set[str]:
        preview, type(self).active = type(self).active, None
        update_status(context, preview)
        if preview is None:
            return {"CANCELLED"}
        if preview.armature.valid():  # reused by the next session
            context.scene.video_mocap_live.armature = preview.armature.obj
        if preview.runner.state == "failed":
            self.report({"ERROR"}, f"Video Mocap live: {preview.runner.error}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Video Mocap live: {preview.runner.received} poses, {len(preview.baked)} take(s)")
        return {"FINISHED"}


class VIDEO_MOCAP_OT_live_stop(bpy.types.Operator):
    """Stop the live preview (a take being recorded is baked into an action)"""

    bl_idname = "video_mocap.live_stop"
    bl_label = "Stop Live"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return VIDEO_MOCAP_OT_live_start.active is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        VIDEO_MOCAP_OT_live_start.active.runner.stop()  # type: ignore[union-attr]
        return {"FINISHED"}


class VIDEO_MOCAP_OT_live_record(bpy.types.Operator):
    """Start recording a take, or end it: the take is baked into a new action at the camera's frame rate"""

    bl_idname = "video_mocap.live_record"
    bl_label = "Record"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        preview = VIDEO_MOCAP_OT_live_start.active
        return preview is not None and (preview.runner.state == "running" or preview.runner.recording)

    def execute(self, context: bpy.types.Context) -> set[str]:
        runner = VIDEO_MOCAP_OT_live_start.active.runner  # type: ignore[union-attr]
        if runner.recording:
            runner.stop_recording()  # baked by the next timer tick, in the modal operator's context
        else:
            runner.start_recording()
        return {"FINISHED"}


CLASSES = (VIDEO_MOCAP_OT_live_start, VIDEO_MOCAP_OT_live_stop, VIDEO_MOCAP_OT_live_record)


def shutdown() -> None:
    """Called before the add-on's classes are unregistered."""
    preview, VIDEO_MOCAP_OT_live_start.active = VIDEO_MOCAP_OT_live_start.active, None
    if preview is not None:
        preview.runner.abort()  # never leave a camera open when the add-on goes away
