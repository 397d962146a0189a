"""The Retarget panel in the 3D Viewport sidebar ("Mocap" tab): source take, target armature, the editable bone
mapping (a UIList, one row per body part), mapping presets, options and the Retarget button.

Its property groups are in operators/properties.py, its operators in operators/retarget.py.
"""

from __future__ import annotations

import bpy

from ..core.retarget.presets import PRESETS_BY_NAME, ROLE_LABELS
from ..operators.retarget import default_source, default_target


class VIDEO_MOCAP_UL_retarget_mapping(bpy.types.UIList):
    """Body part → target bone, searchable among the target's bones."""

    bl_idname = "VIDEO_MOCAP_UL_retarget_mapping"

    def draw_item(self, context: bpy.types.Context, layout: bpy.types.UILayout, data: object, item: object,
                  icon: int, active_data: object, active_propname: str, index: int = 0, flt_flag: int = 0) -> None:
        row = layout.row(align=True)
        row.label(text=ROLE_LABELS.get(item.role, item.role))
        target = default_target(context)
        if target is not None:
            row.prop_search(item, "bone", target.data, "bones", text="")
        else:
            row.prop(item, "bone", text="")


class VIEW3D_PT_video_mocap_retarget(bpy.types.Panel):
    """Retarget a capture onto your own character."""

    bl_idname = "VIEW3D_PT_video_mocap_retarget"
    bl_label = "Retarget"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Mocap"
    bl_order = 10  # below the capture panel

    def draw(self, context: bpy.types.Context) -> None:
        props = context.scene.video_mocap_retarget
        layout = self.layout
        col = layout.column()
        col.prop(props, "source")
        col.prop(props, "source_action")
        col.prop(props, "target")
        source, target = default_source(context), default_target(context)
        if props.source is None and source is not None:
            col.label(text=f"Using the last capture: {source.name}", icon="INFO")

        row = layout.row(align=True)
        row.operator("video_mocap.retarget_detect", icon="VIEWZOOM")
        row.operator("video_mocap.retarget_preset_load", text="", icon="FILEBROWSER")
        row.operator("video_mocap.retarget_preset_save", text="", icon="FILE_TICK")
        if props.mapping_target:
            preset = PRESETS_BY_NAME.get(props.preset)
            layout.label(text=f"{preset.label if preset else props.preset} mapping for {props.mapping_target}")
        if target is not None and props.mapping_target != target.name:
            layout.label(text=f"Mapping will be detected for {target.name}", icon="INFO")
        layout.template_list("VIDEO_MOCAP_UL_retarget_mapping", "", props, "mapping", props, "mapping_index",
                             rows=6)
        if target is not None:
            layout.prop_search(props, "root_motion", target.data, "bones")

        box = layout.box()
        box.prop(props, "scale_translation")
        box.prop(props, "align_heading")
        box.prop(props, "keep_ik")
        box.prop(props, "foot_lock")
        sub = box.column(align=True)
        sub.enabled = props.foot_lock
        sub.prop(props, "height_tolerance")
        sub.prop(props, "speed_tolerance")

        row = layout.row()
        row.enabled = source is not None and target is not None
        row.operator("video_mocap.retarget", icon="ARMATURE_DATA")


CLASSES = (VIDEO_MOCAP_UL_retarget_mapping, VIEW3D_PT_video_mocap_retarget)
