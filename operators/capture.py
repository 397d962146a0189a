"""Capture from Video: a modal operator polling a CaptureRunner every 0.1 s, then the bake. Esc/right-click cancels.

In background mode (and tests) invoke/modal never run: ``execute()`` runs the same runner synchronously.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy.props import StringProperty

from ..core.capture_file import load_capture, new_capture_path
from ..core.errors import OptionsError
from ..core.options import CaptureOptions
from ..core.worker.runners import CaptureRequest, CaptureRunner
from .bake import BakeOptions, BakeResult, bake_joints
from .runtime import device_option, user_dir, worker_factory

_TIMER_STEP = 0.1


def bpy_float(value: float) -> float:
    """A FloatProperty value without its single-precision tail (0.1 is stored as 0.10000000149...)."""
    return round(float(value), 6)


def capture_options(settings: Any, device: str, weights: str = "") -> CaptureOptions:
    """The worker's capture options (core/options.py) from the scene settings; raises ValueError when invalid."""
    frames: dict[str, int] = {}
    if settings.use_frame_range:
        if settings.video_frame_end < settings.video_frame_start:
            raise ValueError("the last video frame comes before the first one")
        frames = {"frame_start": settings.video_frame_start, "frame_end": settings.video_frame_end}
    try:
        return CaptureOptions(height=bpy_float(settings.height), smoothing=bpy_float(settings.smoothing),
                              model=settings.model.lower(), device=device, weights=weights or None,
                              hands=bool(settings.hands), mediapipe_3d=bpy_float(settings.mediapipe_3d),
                              **frames)  # fmt: skip
    except OptionsError as exc:
        raise ValueError(str(exc)) from exc


def update_job(context: bpy.types.Context, runner: CaptureRunner | None) -> None:
    """Mirror the runner's progress into WindowManager.video_mocap_job, the status bar and the sidebar."""
    job = context.window_manager.video_mocap_job
    job.running = runner is not None and not runner.finished
    if runner is not None:
        p = runner.progress
        job.stage, job.progress, job.fps = p.stage, p.fraction, p.fps
        job.frames_done, job.frames_total = p.done, p.total
    text = f"Video Mocap: {job.stage} {job.frames_done}/{job.frames_total} ({job.fps:.1f} frames/s)"
    if context.workspace is not None:
        context.workspace.status_text_set(text if job.running else None)
    if context.screen is not None:
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


def bake_capture_file(context: bpy.types.Context, path: str, seconds: float | None = None) -> BakeResult:
    """Load a capture .npz, bake it with the scene's options and record the summary (settings.last_status)."""
    settings = context.scene.video_mocap
    capture = load_capture(path)
    options = BakeOptions(settings.fps_mode, settings.start_frame, settings.set_frame_range)
    result = bake_joints(context, capture.joints_world, capture.fps, capture.clip_name, options, capture.present,
                         capture.contacts, capture.hands)
    settings.last_capture_path = str(path)
    settings.last_frames = result.frames
    settings.last_detection_rate = capture.detection_rate
    settings.last_seconds = seconds if seconds is not None else result.seconds
    settings.last_armature = result.armature
    settings.last_action = result.action
    settings.last_status = (f"{result.frames} frames at {result.fps:.2f} fps, {capture.detection_rate:.0%} detected"
                            f" → {result.armature.name}")
    settings.last_warnings = "\n".join(capture.summary.get("warnings", []))
    return result


class VIDEO_MOCAP_OT_capture(bpy.types.Operator):
    """Capture the motion of the person in the video and bake it onto a new armature"""

    bl_idname = "video_mocap.capture"
    bl_label = "Capture from Video"
    bl_options = {"REGISTER", "UNDO"}

    weights: StringProperty(name="Weights", description="Lifter checkpoint to use instead of the shipped one",
                            subtype="FILE_PATH", options={"HIDDEN", "SKIP_SAVE"})

    _running: CaptureRunner | None = None  # the one capture in flight (class-level: the panel and Cancel see it)
    last_stage_seconds: dict[str, float] = {}  # seconds per stage (worker stages + "bake") of the last capture

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return cls._running is None and context.scene is not None

    @classmethod
    def request_cancel(cls) -> bool:
        if cls._running is None:
            return False
        cls._running.cancel()
        return True

    def _make_runner(self, context: bpy.types.Context) -> CaptureRunner:
        settings = context.scene.video_mocap
        video = Path(bpy.path.abspath(settings.video_path)) if settings.video_path else None
        if video is None or not video.is_file():
            raise ValueError(f"video file not found: {settings.video_path or '(none chosen)'}")
        output = new_capture_path(user_dir("captures"), video.stem)
        weights = bpy.path.abspath(self.weights) if self.weights else ""
        options = capture_options(settings, device_option(context), weights)
        request = CaptureRequest(str(video), str(output), options.to_dict())
        return CaptureRunner(worker_factory(context), request)

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            runner = self._make_runner(context)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        type(self)._running = runner
        try:
            runner.run(on_step=lambda r: update_job(context, r))
        finally:
            type(self)._running = None
        return self._finish(context, runner)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        try:
            self._runner = self._make_runner(context)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        type(self)._running = self._runner
        wm = context.window_manager
        self._timer = wm.event_timer_add(_TIMER_STEP, window=context.window)
        wm.modal_handler_add(self)
        update_job(context, self._runner)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type in {"ESC", "RIGHTMOUSE"} and event.value == "PRESS":
            self._runner.cancel()
        elif event.type != "TIMER":
            return {"PASS_THROUGH"}  # the UI stays usable while the worker runs
        try:
            self._runner.step()
            update_job(context, self._runner)
        except Exception:  # a bug must not leave the operator stuck "running" with a live worker
            self._runner.abort()
            context.window_manager.event_timer_remove(self._timer)
            type(self)._running = None
            update_job(context, None)
            raise
        if not self._runner.finished:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        type(self)._running = None
        return self._finish(context, self._runner)

    def _finish(self, context: bpy.types.Context, runner: CaptureRunner) -> set[str]:
        update_job(context, None)
        settings = context.scene.video_mocap
        if runner.state == "cancelled":
            settings.last_status = "Capture cancelled"
            self.report({"WARNING"}, "Video Mocap: capture cancelled")
            return {"CANCELLED"}
        if runner.state == "failed":
            settings.last_status = f"Capture failed: {runner.error}"
            log = f" (log: {runner.error_log})" if runner.error_log and len(runner.error_log) < 300 else ""
            self.report({"ERROR"}, f"Video Mocap: {runner.error}{log}")
            if runner.error_log:
                print(f"Video Mocap worker log ({runner.error_kind}):\n{runner.error_log}")
            return {"CANCELLED"}
        try:
            result = bake_capture_file(context, runner.result_path or runner.request.output, runner.elapsed)
        except ValueError as exc:
            settings.last_status = f"Bake failed: {exc}"
            self.report({"ERROR"}, f"Video Mocap: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Video Mocap: {settings.last_status}")
        type(self).last_stage_seconds = {**runner.stage_seconds, "bake": result.seconds}
        return {"FINISHED"}


class VIDEO_MOCAP_OT_cancel_capture(bpy.types.Operator):
    """Stop the running capture (the worker is told to stop; nothing is baked)"""

    bl_idname = "video_mocap.cancel_capture"
    bl_label = "Cancel Capture"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return VIDEO_MOCAP_OT_capture._running is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        VIDEO_MOCAP_OT_capture.request_cancel()
        return {"FINISHED"}


CLASSES = (VIDEO_MOCAP_OT_capture, VIDEO_MOCAP_OT_cancel_capture)
