"""Operators and properties of Video Mocap. register()/unregister() are called by the add-on's root __init__.

One registration path: every module exposes its classes as ``CLASSES``; they are registered here in this order
(property groups first: operators and panels refer to them), and the groups are attached by properties.register_props.
"""

from __future__ import annotations

import bpy

from . import capture, export, import_bake, live, properties, retarget, runtime_ops, select

CLASSES = (*properties.CLASSES, *capture.CLASSES, *import_bake.CLASSES, *export.CLASSES, *select.CLASSES,
           *runtime_ops.CLASSES, *retarget.CLASSES, *live.CLASSES)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    properties.register_props()


def unregister() -> None:
    live.shutdown()  # a running live session owns a worker and a camera
    properties.unregister_props()
    _unregister_classes()
