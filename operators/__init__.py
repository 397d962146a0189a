"""Operators and properties of Video Mocap. register()/unregister() are called by the add-on's root __init__."""

from __future__ import annotations

import bpy

from . import capture, export, import_bake, live, properties, retarget, runtime_ops, select

CLASSES = (*properties.CLASSES, *capture.CLASSES, *import_bake.CLASSES, *export.CLASSES, *select.CLASSES,
           *runtime_ops.CLASSES)
# Feature modules that register their own classes and properties (after ours, unregistered before ours).
_FEATURES = (retarget, live)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    properties.register_props()
    for feature in _FEATURES:
        feature.register()


def unregister() -> None:
    for feature in reversed(_FEATURES):
        feature.unregister()
    properties.unregister_props()
    _unregister_classes()
