"""F-curves on an action across Blender 4.2–5.0, chosen by feature detection (never by version number).

* Blender 4.2/4.3: legacy actions, ``action.fcurves.new(data_path, index=, action_group=)``.
* Blender 4.4/4.5: both APIs exist; we use the layered one (it is the future and matches 5.0). Their bpy_extras
  has no public "ensure channelbag" helper yet, so the same three RNA calls are made here (layer, keyframe strip,
  ``strip.channelbag(slot, ensure=True)``).
* Blender 5.0: ``Action.fcurves`` is gone. The action gets a slot for the object, and the F-curves live in the
  channelbag of that slot (``bpy_extras.anim_utils.action_ensure_channelbag_for_slot``).

Keys are written in bulk: ``keyframe_points.add`` + ``foreach_set`` (never ``keyframe_insert`` in a loop, which is
orders of magnitude slower).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bpy
import numpy as np

try:  # Blender >= 5.0
    from bpy_extras.anim_utils import action_ensure_channelbag_for_slot
except ImportError:  # Blender 4.2–4.5
    action_ensure_channelbag_for_slot = None

# Enum value of Keyframe.interpolation for foreach_set ('CONSTANT' = 0, 'LINEAR' = 1, 'BEZIER' = 2).
_LINEAR = 1


def uses_layered_actions() -> bool:
    """True when this Blender has slotted (layered) actions with keyframe strips and channelbags (4.4+)."""
    return all(hasattr(bpy.types, name) for name in ("ActionSlot", "ActionKeyframeStrip", "ActionChannelbag"))


def _channelbag(action: bpy.types.Action, slot: Any, ensure: bool) -> Any:
    """The channelbag of `slot` in the action's first layer/strip (created when ensure), or None."""
    if ensure and action_ensure_channelbag_for_slot is not None:
        return action_ensure_channelbag_for_slot(action, slot)
    if len(action.layers) == 0:
        if not ensure:
            return None
        action.layers.new("Layer")
    layer = action.layers[0]
    if len(layer.strips) == 0:
        if not ensure:
            return None
        layer.strips.new(type="KEYFRAME")
    return layer.strips[0].channelbag(slot, ensure=ensure)


class FCurveWriter:
    """Creates F-curves for one object on one action, on whichever action API this Blender offers."""

    def __init__(self, action: bpy.types.Action, obj: bpy.types.Object) -> None:
        if obj.animation_data is None:
            obj.animation_data_create()
        obj.animation_data.action = action
        self.layered = uses_layered_actions()
        if self.layered:
            slot = obj.animation_data.action_slot
            if slot is None:
                slot = action.slots.new(id_type="OBJECT", name=obj.name)
                obj.animation_data.action_slot = slot
            self._bag: Any = _channelbag(action, slot, ensure=True)
            self._group_param = "group_name" in self._bag.fcurves.bl_rna.functions["new"].parameters.keys()
        else:
            self._bag = action
            self._group_param = True

    def new(self, data_path: str, index: int, group: str) -> bpy.types.FCurve:
        """A new F-curve for data_path[index], grouped under `group` (the bone name, as Blender's keying does)."""
        if not self.layered:
            return self._bag.fcurves.new(data_path, index=index, action_group=group)
        if self._group_param:
            return self._bag.fcurves.new(data_path, index=index, group_name=group)
        fcurve = self._bag.fcurves.new(data_path, index=index)  # 4.4: groups are assigned separately
        groups = self._bag.groups
        fcurve.group = groups.get(group) or groups.new(group)
        return fcurve

    @property
    def fcurves(self) -> Sequence[bpy.types.FCurve]:
        return self._bag.fcurves


def action_fcurves(action: bpy.types.Action, obj: bpy.types.Object | None = None) -> list[bpy.types.FCurve]:
    """All F-curves of `action` (for `obj`'s slot on layered actions; all slots when obj is None)."""
    if not uses_layered_actions():
        return list(action.fcurves)
    slots = [obj.animation_data.action_slot] if obj is not None and obj.animation_data else list(action.slots)
    curves: list[bpy.types.FCurve] = []
    for slot in slots:
        bag = _channelbag(action, slot, ensure=False) if slot is not None else None
        if bag is not None:
            curves.extend(bag.fcurves)
    return curves


def write_keys(fcurve: bpy.types.FCurve, frames: np.ndarray, values: np.ndarray) -> None:
    """Replace nothing, append len(frames) linear keys in one go. frames, values: (T,)."""
    count = len(frames)
    co = np.empty((count, 2), dtype=np.float32)
    co[:, 0] = frames
    co[:, 1] = values
    points = fcurve.keyframe_points
    points.add(count)
    points.foreach_set("co", co.ravel())
    points.foreach_set("interpolation", np.full(count, _LINEAR, dtype=np.int32))
    fcurve.update()
