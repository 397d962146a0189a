"""Enable the add-on from this checkout in the bpy module, whatever the checkout folder is called."""

from __future__ import annotations

import atexit
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ADDON_NAME = "video_mocap"
REPO_ROOT = Path(__file__).resolve().parent.parent


def enable_from_checkout(repo_root: Path = REPO_ROOT) -> ModuleType:
    """Put a folder holding a `video_mocap` symlink to the checkout on sys.path and enable it as a legacy add-on.

    Returns the add-on module. Raises RuntimeError when Blender refuses to enable it (the error is printed by Blender).
    The folder is removed when the process exits (not earlier: the add-on imports some of its modules lazily).
    """
    import addon_utils
    import bpy

    if ADDON_NAME in bpy.context.preferences.addons and ADDON_NAME in sys.modules:
        return sys.modules[ADDON_NAME]
    parent = Path(tempfile.mkdtemp(prefix="video_mocap_addon_"))
    link = parent / ADDON_NAME
    atexit.register(_remove_link_folder, parent, link)
    try:
        link.symlink_to(repo_root, target_is_directory=True)
    except OSError as exc:  # no symlinks (some Windows set-ups): fail clearly rather than copy a large checkout
        raise RuntimeError(f"cannot create the add-on link {link}: {exc}") from exc
    sys.path.insert(0, str(parent))
    module = addon_utils.enable(ADDON_NAME, default_set=True, handle_error=None)
    if module is None or ADDON_NAME not in bpy.context.preferences.addons:
        raise RuntimeError(f"Blender could not enable the add-on from {repo_root} (see the error above)")
    return module


def _remove_link_folder(parent: Path, link: Path) -> None:
    """Unlink, never rmtree: the link points at the checkout, and a tree walk that followed it would delete it."""
    try:
        if link.is_symlink():
            link.unlink()
        parent.rmdir()
    except OSError:
        pass  # a folder someone else put files in is left alone
