"""A stand-in for bpy.types.UILayout that checks every call a draw() makes against Blender's RNA.

Headless Blender has no regions to draw in, so panels are drawn into this recorder: property names must exist on
the data's RNA, operators must be registered and their properties real, icons valid, progress factors in [0, 1].
"""

from __future__ import annotations

from typing import Any

import bpy

_ICONS = set(bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"].enum_items.keys())


class OperatorProps:
    def __init__(self, idname: str) -> None:
        module, name = idname.split(".")
        op = getattr(getattr(bpy.ops, module), name)
        object.__setattr__(self, "_props", set(op.get_rna_type().properties.keys()))
        object.__setattr__(self, "idname", idname)

    def __setattr__(self, key: str, value: Any) -> None:
        assert key in self._props, f"operator {self.idname} has no property {key!r}"


class RecordingLayout:
    """Records (kind, detail) tuples in `log`, shared by all sub-layouts."""

    def __init__(self, log: list[tuple[str, Any]] | None = None) -> None:
        self.log = [] if log is None else log
        self.enabled = True
        self.active = True
        self.alert = False

    def _child(self, *args: Any, **kwargs: Any) -> RecordingLayout:
        return RecordingLayout(self.log)

    row = column = box = split = column_flow = grid_flow = _child

    @staticmethod
    def _icon(kwargs: dict[str, Any]) -> None:
        icon = kwargs.get("icon")
        assert icon is None or icon in _ICONS, f"unknown icon {icon!r}"

    def prop(self, data: Any, name: str, **kwargs: Any) -> None:
        assert name in data.bl_rna.properties.keys(), f"{data.bl_rna.identifier} has no property {name!r}"
        self._icon(kwargs)
        self.log.append(("prop", name))

    def operator(self, idname: str, **kwargs: Any) -> OperatorProps:
        self._icon(kwargs)
        self.log.append(("operator", idname))
        return OperatorProps(idname)

    def label(self, text: str = "", **kwargs: Any) -> None:
        self._icon(kwargs)
        self.log.append(("label", text))

    def progress(self, factor: float = 0.0, type: str = "BAR", text: str = "") -> None:  # noqa: A002 - Blender's name
        assert 0.0 <= factor <= 1.0 and type in ("BAR", "RING"), (factor, type)
        self.log.append(("progress", text))

    def separator(self, **kwargs: Any) -> None:
        pass


class DrawProxy:
    """`self` for a draw() call: the given layout, every other attribute from the real RNA instance."""

    def __init__(self, target: Any, layout: RecordingLayout) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "layout", layout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)
