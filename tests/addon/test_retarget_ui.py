"""The retarget UI headless: registration, the panel and its mapping list, detect / save / load mapping presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from addon_fakes import enable_addon
from blender_env import REPO_ROOT, run_bpy_script
from retarget_synth import FPS, Proportions, humanoid, walk

REGISTER_TWICE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import bpy, addon_utils
from tools.addon_dev import enable_from_checkout
types_before = set(dir(bpy.types))
scene_before = set(bpy.types.Scene.bl_rna.properties.keys())
runs = []
for _ in range(2):
    enable_from_checkout()
    from video_mocap.operators import retarget
    from video_mocap.panels import retarget_panel
    own = not hasattr(bpy.types.Scene, "video_mocap_retarget")  # not (yet) registered by the add-on itself
    if own:
        retarget.register()
        retarget_panel.register()
    added = sorted(set(dir(bpy.types)) - types_before)
    ops = sorted(op for op in dir(bpy.ops.video_mocap) if op.startswith("retarget"))
    if own:
        retarget_panel.unregister()
        retarget.unregister()
    addon_utils.disable("video_mocap", default_set=True, handle_error=None)
    runs.append({"added": added, "ops": ops, "left_types": sorted(set(dir(bpy.types)) - types_before),
                 "left_scene": sorted(set(bpy.types.Scene.bl_rna.properties.keys()) - scene_before),
                 "left_attr": hasattr(bpy.types.Scene, "video_mocap_retarget")})
print("RESULT:" + json.dumps(runs))
"""


def test_register_unregister_twice_leaves_nothing(tmp_path: Path) -> None:
    pytest.importorskip("bpy")
    for run in run_bpy_script(REGISTER_TWICE, tmp_path, str(REPO_ROOT)):
        assert {"VIEW3D_PT_video_mocap_retarget", "VIDEO_MOCAP_UL_retarget_mapping"} <= set(run["added"]), run
        assert run["ops"] == ["retarget", "retarget_detect", "retarget_preset_load", "retarget_preset_save"]
        assert run["left_types"] == [] and run["left_scene"] == [] and run["left_attr"] is False, run


@pytest.fixture(scope="module")
def scene():  # noqa: ANN201
    """The add-on with the retarget classes, a baked 20-frame walk (source) and a VRM rig (active object)."""
    import bpy

    enable_addon()
    from video_mocap.operators import retarget
    from video_mocap.operators.bake import bake_joints
    from video_mocap.panels import retarget_panel

    if not hasattr(bpy.types.Scene, "video_mocap_retarget"):
        retarget.register()
        retarget_panel.register()
    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    source = bake_joints(bpy.context, walk(20)[0], FPS, "ui").armature
    data = bpy.data.armatures.new("Avatar")
    target = bpy.data.objects.new("Avatar", data)
    bpy.context.scene.collection.objects.link(target)
    bpy.context.view_layer.objects.active = target
    bpy.ops.object.mode_set(mode="EDIT")
    from mathutils import Vector

    for b in humanoid("vrm", Proportions(), seed=0):
        bone = data.edit_bones.new(b.name)
        bone.head, bone.tail, bone.roll = Vector(b.head), Vector(b.tail), b.roll
        if b.parent:
            bone.parent = data.edit_bones[b.parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    props = bpy.context.scene.video_mocap_retarget
    props.source, props.target = source, None  # the target comes from the active object
    return bpy.context.scene


class _Layout:
    """Records draw calls, checking property, operator, list and icon names against Blender's RNA."""

    def __init__(self, log: list | None = None) -> None:
        from addon_layout import RecordingLayout

        self._inner = RecordingLayout(log)
        self.log = self._inner.log
        self.enabled = self.active = True

    def _child(self, *args, **kwargs) -> _Layout:  # noqa: ANN002, ANN003
        return _Layout(self.log)

    row = column = box = split = _child

    def __getattr__(self, name: str):  # noqa: ANN204 - prop, operator, label, separator, ...
        return getattr(self._inner, name)

    def prop_search(self, data, prop: str, search_data, search_prop: str, **kwargs) -> None:  # noqa: ANN001, ANN003
        assert prop in data.bl_rna.properties.keys(), prop
        assert search_prop in search_data.bl_rna.properties.keys(), search_prop
        self.log.append(("prop_search", prop))

    def template_list(self, list_type: str, list_id: str, data, prop: str, active_data, active_prop: str,  # noqa: ANN001
                      **kwargs) -> None:  # noqa: ANN003
        import bpy

        assert hasattr(bpy.types, list_type), f"UIList {list_type} is not registered"
        assert prop in data.bl_rna.properties.keys() and active_prop in active_data.bl_rna.properties.keys()
        self.log.append(("template_list", list_type))


def _draw(context) -> list:  # noqa: ANN001
    from types import SimpleNamespace

    from video_mocap.panels.retarget_panel import VIEW3D_PT_video_mocap_retarget

    layout = _Layout()
    VIEW3D_PT_video_mocap_retarget.draw(SimpleNamespace(layout=layout), context)
    return layout.log


def test_panel_draws_in_the_mocap_tab(scene) -> None:
    import bpy
    from video_mocap.panels.retarget_panel import VIEW3D_PT_video_mocap_retarget

    assert (VIEW3D_PT_video_mocap_retarget.bl_space_type, VIEW3D_PT_video_mocap_retarget.bl_region_type,
            VIEW3D_PT_video_mocap_retarget.bl_category) == ("VIEW_3D", "UI", "Mocap")
    log = _draw(bpy.context)
    for entry in (("prop", "source"), ("prop", "target"), ("prop", "foot_lock"), ("operator", "video_mocap.retarget"),
                  ("operator", "video_mocap.retarget_detect"), ("operator", "video_mocap.retarget_preset_save"),
                  ("operator", "video_mocap.retarget_preset_load"),
                  ("template_list", "VIDEO_MOCAP_UL_retarget_mapping"), ("prop_search", "root_motion")):
        assert entry in log, entry
    assert any(k == "label" and "will be detected for Avatar" in str(t) for k, t in log)


def test_detect_fills_the_list_and_rows_draw_with_bone_search(scene) -> None:
    import bpy
    from video_mocap.panels.retarget_panel import VIDEO_MOCAP_UL_retarget_mapping

    assert bpy.ops.video_mocap.retarget_detect() == {"FINISHED"}
    props = scene.video_mocap_retarget
    rows = {row.role: row.bone for row in props.mapping}
    assert props.preset == "vrm" and props.mapping_target == "Avatar"
    assert rows["l_hip"] == "J_Bip_L_UpperLeg" and rows["thorax"] == "J_Bip_C_UpperChest" and len(rows) == 19
    layout = _Layout()
    VIDEO_MOCAP_UL_retarget_mapping.draw_item(None, bpy.context, layout, props, props.mapping[1], 0, props,
                                              "mapping_index")
    assert ("label", "Right Thigh") in layout.log and ("prop_search", "bone") in layout.log
    assert any(k == "label" and "VRM (J_Bip) mapping for Avatar" in str(t) for k, t in _draw(bpy.context))


def test_presets_save_load_and_edited_rows_drive_the_retarget(scene, tmp_path: Path) -> None:
    import bpy
    from video_mocap.operators.action_api import action_fcurves

    assert bpy.ops.video_mocap.retarget_detect() == {"FINISHED"}
    props = scene.video_mocap_retarget
    path = tmp_path / "avatar.json"
    assert bpy.ops.video_mocap.retarget_preset_save(filepath=str(path)) == {"FINISHED"}
    assert json.loads(path.read_text())["bones"]["l_hip"] == "J_Bip_L_UpperLeg"
    for row in props.mapping:  # hand edit: leave the clavicles alone
        if row.role.endswith("clavicle"):
            row.bone = ""
    assert props.preset == "custom"
    assert bpy.ops.video_mocap.retarget() == {"FINISHED"}
    target = bpy.data.objects["Avatar"]
    keyed = {fc.data_path.split('"')[1] for fc in action_fcurves(target.animation_data.action, target)}
    assert "J_Bip_L_Shoulder" not in keyed and "J_Bip_L_UpperArm" in keyed
    assert target.animation_data.action.name == "Avatar_ui"
    assert bpy.ops.video_mocap.retarget_preset_load(filepath=str(path)) == {"FINISHED"}
    assert {r.role: r.bone for r in props.mapping}["l_clavicle"] == "J_Bip_L_Shoulder"
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "video_mocap.retarget_mapping", "version": 1, "bones": {"tail": "x"}}')
    with pytest.raises(RuntimeError, match="unknown roles"):
        bpy.ops.video_mocap.retarget_preset_load(filepath=str(bad))


def test_unmovable_root_and_constraints_are_reported(scene) -> None:
    import bpy
    from mathutils import Vector
    from video_mocap.operators.retarget import run_retarget
    from video_mocap.operators.retarget_keys import source_action

    data = bpy.data.armatures.new("Connected")
    obj = bpy.data.objects.new("Connected", data)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    bones = humanoid("mixamo_plain", Proportions(), seed=1)
    root = data.edit_bones.new("Root")
    root.head, root.tail = Vector((0.0, 0.0, 0.0)), Vector(bones[0].head)
    for b in bones:
        bone = data.edit_bones.new(b.name)
        bone.head, bone.tail = Vector(b.head), Vector(b.tail)
        bone.parent = data.edit_bones[b.parent or "Root"]
    data.edit_bones["Hips"].use_connect = True
    bpy.ops.object.mode_set(mode="OBJECT")
    with pytest.raises(RuntimeError, match="connected to its parent"):
        bpy.ops.video_mocap.retarget(target="Connected")
    source = scene.video_mocap_retarget.source
    avatar = bpy.data.objects["Avatar"]
    constraints = avatar.pose.bones["J_Bip_L_LowerArm"].constraints
    ik = constraints.new("IK")
    try:
        _, summary = run_retarget(bpy.context, source, source_action(source), avatar)
    finally:
        constraints.remove(ik)
    assert "constraints on J_Bip_L_LowerArm may override the keys" in summary
