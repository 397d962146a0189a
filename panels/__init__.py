"""Panels and preferences of Video Mocap. register()/unregister() are called by the add-on's root __init__.

Every module exposes its classes as ``CLASSES``; the main panel comes before its child panels (retarget, live).
"""

from __future__ import annotations

import bpy

from . import live_panel, main_panel, preferences, retarget_panel

CLASSES = (*preferences.CLASSES, *main_panel.CLASSES, *retarget_panel.CLASSES, *live_panel.CLASSES)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
