# SPDX-License-Identifier: GPL-3.0-or-later
"""Video Mocap: markerless motion capture from a single video, for Blender 4.2–5.0.

This file only registers the add-on. The user interface lives in ``operators/`` and ``panels/``; everything heavy
(video decoding, MediaPipe, the lifter network) lives in the bpy-free ``core/`` and runs in a separate worker
process, so a crash or a long computation there can never freeze or crash Blender.
"""

from __future__ import annotations

from . import operators, panels

# Registration order matters: panels and preferences reference operator idnames and scene properties.
_MODULES = (operators, panels)


def register() -> None:
    for module in _MODULES:
        module.register()


def unregister() -> None:
    for module in reversed(_MODULES):
        module.unregister()
