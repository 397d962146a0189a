"""Preferences buttons: Install Dependencies (builds the worker's venv) and Check (starts the worker, shows versions).

Both poll their job from a 0.1 s timer when invoked from the UI, and loop synchronously in execute() (background).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import bpy

from ..core.worker.client import WorkerClient, WorkerError
from ..core.worker.runtime_env import InstallJob, install_commands
from .runtime import addon_preferences, runtime_dir, worker_factory, worker_python

_CHECK_TIMEOUT_S = 120.0
OFFLINE_HELP = ("Online access is disabled: enable Preferences > System > Network > Allow Online Access to install "
                "the packages, or set the path of a Python that already has them (see the add-on documentation)")


class InstallState:
    """The install in flight (module-level: the preferences panel shows its log)."""

    job: InstallJob | None = None


def _describe(context: bpy.types.Context, text: str) -> None:
    context.window_manager.video_mocap_job.install_state = text


class VIDEO_MOCAP_OT_install_dependencies(bpy.types.Operator):
    """Create the worker's Python environment and install its pinned packages (downloads about 1 GB)"""

    bl_idname = "video_mocap.install_dependencies"
    bl_label = "Install Dependencies"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return InstallState.job is None or InstallState.job.state in ("done", "failed", "cancelled")

    def _start(self, context: bpy.types.Context) -> InstallJob | None:
        if not bpy.app.online_access:
            self.report({"ERROR"}, OFFLINE_HELP)
            _describe(context, OFFLINE_HELP)
            return None
        prefs = addon_preferences(context)
        device = prefs.device if prefs is not None else "AUTO"
        folder = runtime_dir()
        job = InstallJob(install_commands(Path(sys.executable), folder, device), folder / "install.log")
        InstallState.job = job
        job.poll()
        return job

    def _done(self, context: bpy.types.Context, job: InstallJob) -> set[str]:
        if job.state == "done":
            _describe(context, "Dependencies installed")
            self.report({"INFO"}, "Video Mocap: dependencies installed")
            return {"FINISHED"}
        _describe(context, f"Install {job.state}: {job.error}")
        self.report({"ERROR"}, f"Video Mocap: install {job.state}: {job.error}")
        return {"CANCELLED"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        while job.poll() not in ("done", "failed", "cancelled"):
            time.sleep(0.2)
        return self._done(context, job)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        _describe(context, "Installing…")
        self._timer = context.window_manager.event_timer_add(0.5, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        job = InstallState.job
        if job.poll() in ("pending", "running"):
            _describe(context, f"Installing: step {job.step + 1}/{len(job.commands)}")
            for area in context.screen.areas if context.screen else ():
                area.tag_redraw()
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        return self._done(context, job)


class VIDEO_MOCAP_OT_check_worker(bpy.types.Operator):
    """Start the capture worker once and show its package versions and compute device"""

    bl_idname = "video_mocap.check_worker"
    bl_label = "Check Worker"

    def _start(self, context: bpy.types.Context) -> WorkerClient | None:
        try:
            self._choice = worker_python(context)
            return worker_factory(context)()
        except (ValueError, OSError, RuntimeError) as exc:
            return self._fail(context, str(exc))

    def _fail(self, context: bpy.types.Context, message: str) -> None:
        context.window_manager.video_mocap_job.worker_info = f"Not ready: {message}"
        self.report({"ERROR"}, f"Video Mocap: {message}")

    def _ready(self, context: bpy.types.Context, ready: dict) -> set[str]:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(ready.get("versions", {}).items()))
        info = f"{ready.get('device', '?')} | {versions} | {self._choice.source}: {self._choice.path}"
        context.window_manager.video_mocap_job.worker_info = info
        self.report({"INFO"}, f"Video Mocap worker: {info}")
        return {"FINISHED"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        client = self._start(context)
        if client is None:
            return {"CANCELLED"}
        try:
            ready = client.wait_ready(timeout=_CHECK_TIMEOUT_S)
        except (WorkerError, TimeoutError) as exc:
            self._fail(context, f"{exc} (details in the worker log: {client.log_path})")
            return {"CANCELLED"}
        finally:
            client.shutdown()
        return self._ready(context, ready)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        self._client = self._start(context)
        if self._client is None:
            return {"CANCELLED"}
        context.window_manager.video_mocap_job.worker_info = "Starting the worker…"
        self._deadline = time.monotonic() + _CHECK_TIMEOUT_S
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        ready = next((m for m in self._client.poll() if m.get("type") == "ready"), None)
        failed = ready is None and (self._client.exited or time.monotonic() > self._deadline)
        if ready is None and not failed:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        self._client.shutdown()
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        if failed:
            self._fail(context, f"the worker did not start (details in the worker log: {self._client.log_path})")
            return {"CANCELLED"}
        return self._ready(context, ready)


CLASSES = (VIDEO_MOCAP_OT_install_dependencies, VIDEO_MOCAP_OT_check_worker)
