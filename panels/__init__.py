"""Panels and preferences of Video Mocap. register()/unregister() are called by the add-on's root __init__."""

from __future__ import annotations

import bpy

from . import live_panel, main_panel, preferences, retarget_panel

CLASSES = (*preferences.CLASSES, *main_panel.CLASSES)
# Feature panels registered after the main panel (they may be its children or sit below it), unregistered before.
_FEATURES = (retarget_panel, live_panel)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    for feature in _FEATURES:
        feature.register()


def unregister() -> None:
    for feature in reversed(_FEATURES):
        feature.unregister()
    _unregister_classes()
