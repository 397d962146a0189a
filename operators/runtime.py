"""Where the add-on lives, its preferences, its runtime folder, and how to launch the capture worker."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bpy

from ..core.worker.client import WorkerClient
from ..core.worker.logs import new_log_path
from ..core.worker.runtime_env import PythonChoice, resolve_worker_python

# "video_mocap" when enabled as a legacy add-on from a folder, "bl_ext.<repo>.video_mocap" as an extension.
ADDON_PACKAGE = __package__.rpartition(".")[0]
# The add-on root (the folder holding core/): the worker runs with it as the working directory.
ADDON_ROOT = Path(__file__).resolve().parent.parent


def addon_preferences(context: bpy.types.Context) -> Any | None:
    addon = context.preferences.addons.get(ADDON_PACKAGE)
    return addon.preferences if addon is not None else None


def user_dir(name: str) -> Path:
    """A writable per-user folder of this add-on (created): the extension's user folder, or, when enabled as a plain
    add-on from a folder (development, tests), a folder under Blender's user config."""
    try:
        return Path(bpy.utils.extension_path_user(ADDON_PACKAGE, path=name, create=True))
    except ValueError:  # "package does not name an extension": a legacy add-on
        return Path(bpy.utils.user_resource("CONFIG", path=os.path.join("video_mocap", name), create=True))


def runtime_dir() -> Path:
    return user_dir("runtime")


def worker_python(context: bpy.types.Context) -> PythonChoice:
    """The Python that will run the worker (core.worker.runtime_env.resolve_worker_python)."""
    prefs = addon_preferences(context)
    user_python = bpy.path.abspath(prefs.python_path) if prefs is not None and prefs.python_path else ""
    return resolve_worker_python(user_python, runtime_dir(), os.environ)


def device_option(context: bpy.types.Context) -> str:
    prefs = addon_preferences(context)
    return prefs.device.lower() if prefs is not None else "auto"


def worker_factory(context: bpy.types.Context) -> Callable[[], WorkerClient]:
    """A function that starts the worker process; raises ValueError with the fix when no Python is set up."""
    choice = worker_python(context)
    if choice.path is None:
        raise ValueError("the capture worker has no Python yet: open Preferences > Add-ons > Video Mocap and click "
                         "Install Dependencies, or set the path of a Python that has the packages")
    python = choice.path
    log_dir = user_dir("logs")

    def start() -> WorkerClient:
        """Start `python -m core.worker` in the add-on root, logging to a new file in the logs folder (the newest
        ones kept: core/worker/logs.py)."""
        log_dir.mkdir(parents=True, exist_ok=True)
        client = WorkerClient(python, ADDON_ROOT, log_path=new_log_path(log_dir))
        client.start()
        return client

    return start
