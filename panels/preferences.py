"""Add-on preferences: the worker's Python (install or point to one), the compute device and a worker check."""

from __future__ import annotations

import os

import bpy
from bpy.props import EnumProperty, StringProperty

from ..core.worker.runtime_env import ENV_PYTHON
from ..operators.runtime import ADDON_PACKAGE, runtime_dir, worker_python
from ..operators.runtime_ops import OFFLINE_HELP, InstallState


class VideoMocapPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_PACKAGE  # must be the add-on's package name (extension or legacy)

    python_path: StringProperty(
        name="Python", subtype="FILE_PATH",
        description="An existing Python 3.11 with torch, mediapipe 0.10.21, numpy<2 and OpenCV (leave empty to use "
                    "the environment built by Install Dependencies)")
    device: EnumProperty(name="Device", default="AUTO", items=[
        ("AUTO", "Auto", "CUDA when the worker's torch sees an NVIDIA GPU, else CPU"),
        ("CPU", "CPU", "Always run the networks on the CPU"),
        ("CUDA", "CUDA", "Run the networks on an NVIDIA GPU (needs the CUDA build of torch)"),
    ])

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        job = context.window_manager.video_mocap_job
        box = layout.box()
        box.label(text="Worker Runtime", icon="CONSOLE")
        try:
            choice = worker_python(context)
            where = f"{choice.source}: {choice.path}" if choice.path else "not set up yet"
        except ValueError as exc:
            where = str(exc)
        box.label(text=f"Python ({where})")
        if os.environ.get(ENV_PYTHON):
            box.label(text=f"{ENV_PYTHON} is set and takes precedence", icon="INFO")
        box.prop(self, "python_path")
        box.label(text=f"Runtime folder: {runtime_dir()}")
        if bpy.app.online_access:
            box.operator("video_mocap.install_dependencies", icon="IMPORT")
        else:
            col = box.column(align=True)
            for line in _wrap(OFFLINE_HELP, 90):
                col.label(text=line)
        if job.install_state:
            box.label(text=job.install_state)
        if InstallState.job is not None:
            log = box.column(align=True)
            for line in InstallState.job.log_tail(8):
                log.label(text=line[:140])

        box = layout.box()
        box.prop(self, "device")
        row = box.row()
        row.operator("video_mocap.check_worker", icon="CHECKMARK")
        if job.worker_info:
            for line in _wrap(job.worker_info, 110):
                box.label(text=line)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


CLASSES = (VideoMocapPreferences,)
