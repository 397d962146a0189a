"""Bone names → body roles without bpy: side conventions, presets, auto-detection, preset files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retarget_synth import Proportions, humanoid, rigify, same_proportions, source_rest_joints, walk

from core.retarget.mapping import (
    BoneMap,
    detect_preset,
    load_mapping,
    mapping_from_json,
    mapping_to_json,
    resolve_preset,
    save_mapping,
)
from core.retarget.presets import BUILTIN_PRESETS, PRESETS_BY_NAME, REQUIRED_ROLES, ROLE_LABELS, ROLES, Preset
from core.retarget.sides import name_key, split_side, strip_namespace


@pytest.mark.parametrize(("name", "side", "stem"), [
    ("thigh.L", "L", "thigh"), ("shin.R", "R", "shin"), ("thigh_l", "L", "thigh"), ("calf_r", "R", "calf"),
    ("Hand R", "R", "Hand"), ("L_Thigh", "L", "Thigh"), ("r_arm", "R", "arm"), ("LeftUpLeg", "L", "UpLeg"),
    ("RightForeArm", "R", "ForeArm"), ("mixamorig:LeftArm", "L", "Arm"), ("leftUpperLeg", "L", "UpperLeg"),
    ("upperLegRight", "R", "upperLeg"), ("Thigh_Left", "L", "Thigh"), ("J_Bip_L_UpperLeg", "L", "J_Bip_UpperLeg"),
    ("DEF-thigh.L.001", "L", "DEF-thigh.001"), ("Hips", None, "Hips"), ("spine_01", None, "spine_01"),
    ("J_Bip_C_Hips", None, "J_Bip_C_Hips"), ("Bright", None, "Bright"), ("Copyright", None, "Copyright"),
])
def test_side_detection(name: str, side: str | None, stem: str) -> None:
    sided = split_side(name)
    assert (sided.side, sided.stem) == (side, stem)


def test_name_keys_agree_across_conventions() -> None:
    keys = {name_key(n) for n in ("UpperArm.L", "upper_arm_l", "L_UpperArm", "LeftUpperArm", "leftUpperArm")}
    assert keys == {("L", "upperarm")}
    assert strip_namespace("mixamorig1:Hips") == strip_namespace("Character|Hips") == "Hips"


def _names(bones) -> list[str]:  # noqa: ANN001
    return [b.name for b in bones]


def test_every_convention_is_detected_with_every_role() -> None:
    for convention, expected in (("mixamo", "mixamo"), ("mixamo_plain", "mixamo"), ("generic", "generic"),
                                 ("vrm", "vrm"), ("vrm_humanoid", "vrm_humanoid"), ("unreal", "unreal")):
        found = detect_preset(_names(humanoid(convention, Proportions(), seed=0)))
        assert found.preset.name == expected, (convention, found.scores)
        assert found.unmapped == () and found.score == 1.0, (convention, found.unmapped)
        assert not found.mapping.missing_required(), convention
    found = detect_preset(_names(humanoid("unreal", Proportions(), 0)))
    assert found.mapping.bones["thorax"] == "spine_05" and found.mapping.bones["neck"] == "neck_01"


def test_rigify_controls_win_over_deform_bones_and_deform_only_rigs_use_def() -> None:
    control = _names(rigify(Proportions(), 0))
    found = detect_preset(control)
    assert found.preset.name == "rigify"
    assert found.mapping.bones["l_hip"] == "thigh_fk.L" and found.mapping.root_motion == "torso"
    assert found.mapping.bones["spine"] == found.mapping.bones["thorax"] == "chest"  # a one-bone spine chain
    assert found.scores["rigify_deform"] > 0  # the DEF- bones are there too, the controls take priority
    deform = [f"DEF-spine{suffix}" for suffix in ("", ".001", ".002", ".003", ".004", ".005", ".006")]
    deform += [f"DEF-{b}.{s}" for s in "LR" for b in ("thigh", "shin", "foot", "shoulder", "upper_arm", "forearm",
                                                      "hand")]
    found = detect_preset(deform)
    assert found.preset.name == "rigify_deform" and found.mapping.bones["l_hip"] == "DEF-thigh.L"
    assert found.mapping.bones["thorax"] == "DEF-spine.003"


def test_mixamo_needs_its_own_spine_names() -> None:
    # Hips/Spine/Chest with Left/Right limbs is not a Mixamo rig: Mixamo has Spine1/Spine2.
    names = ["Hips", "Spine", "Chest", "Neck", "Head"] + [f"{s}{b}" for s in ("Left", "Right") for b in
                                                          ("UpLeg", "Leg", "Foot", "Arm", "ForeArm", "Hand")]
    found = detect_preset(names)
    assert found.preset.name == "generic" and found.mapping.bones["thorax"] == "Chest"


def test_the_video_mocap_armature_itself_maps_generically() -> None:
    from core.rig_layout import BONE_NAMES

    found = detect_preset(list(BONE_NAMES))
    assert found.mapping.bones["l_hip"] == "Thigh.L" and found.mapping.bones["l_clavicle"] == "Shoulder.L"
    assert not found.mapping.missing_required()


def test_a_rig_without_human_names_is_refused() -> None:
    with pytest.raises(ValueError, match="map the bones by hand"):
        detect_preset(["Bone", "Bone.001", "Bone.002"])
    with pytest.raises(ValueError, match="no bones"):
        detect_preset([])


def test_a_single_spine_bone_is_the_whole_chain() -> None:
    names = ["Hips", "Spine", "Neck", "Head"] + [f"{b}.{s}" for s in "LR" for b in
                                                  ("Thigh", "Shin", "Foot", "UpperArm", "Forearm", "Hand")]
    mapping = resolve_preset(PRESETS_BY_NAME["generic"], names)
    assert mapping.bones["spine"] == mapping.bones["thorax"] == "Spine"


def test_presets_and_labels_cover_the_roles() -> None:
    assert set(ROLE_LABELS) == set(ROLES) and set(REQUIRED_ROLES) <= set(ROLES)
    for preset in BUILTIN_PRESETS:
        assert set(REQUIRED_ROLES) <= set(preset.bones), preset.name
    with pytest.raises(ValueError, match="unknown roles"):
        Preset("bad", "Bad", {"tail": ("Tail",)})
    with pytest.raises(ValueError, match="tuple of candidate"):
        Preset("bad", "Bad", {"pelvis": "Hips"})  # a bare string would be iterated letter by letter


def test_bone_map_validation() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        BoneMap({"hips": "Hips"})
    with pytest.raises(ValueError, match="several roles"):
        BoneMap({"l_hip": "Leg", "r_hip": "Leg"})
    with pytest.raises(ValueError, match="empty bone name"):
        BoneMap({"pelvis": " "})
    shared = BoneMap({"spine": "Spine", "thorax": "Spine"})  # a one-bone spine is fine
    assert shared.missing_bones(["Spine"]) == [] and "pelvis" in shared.missing_required()


def test_preset_file_round_trip(tmp_path: Path) -> None:
    mapping = detect_preset(_names(same_proportions(source_rest_joints(walk(4)[0]), 0))).mapping
    mapping = BoneMap(mapping.bones, "Hips", "mixamo")
    path = save_mapping(tmp_path / "presets" / "my_rig", mapping, "my rig")
    assert path.suffix == ".json" and path.is_file()
    loaded = load_mapping(path)
    assert loaded.bones == mapping.bones and loaded.root_motion == "Hips" and loaded.preset == "my rig"
    doc = json.loads(path.read_text())
    assert list(doc["bones"]) == [r for r in ROLES if r in mapping.bones]  # stable, readable order


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "not a JSON file"),
    ("[1, 2]", "expected a JSON object"),
    ('{"format": "video_mocap.retarget_mapping", "version": 1, "bones": {}, "extra": 1}', "unknown keys"),
    ('{"format": "something_else", "version": 1, "bones": {}}', "not a Video Mocap retarget preset"),
    ('{"format": "video_mocap.retarget_mapping", "version": 9, "bones": {}}', "unsupported preset version"),
    ('{"format": "video_mocap.retarget_mapping", "version": 1, "bones": {"hips": "Hips"}}', "unknown roles"),
    ('{"format": "video_mocap.retarget_mapping", "version": 1, "bones": {"pelvis": 3}}', "map role names"),
    ('{"format": "video_mocap.retarget_mapping", "version": 1, "bones": {}, "root_motion": 5}', "root_motion"),
])
def test_bad_preset_files_are_rejected_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mapping_from_json(text, "preset.json")


def test_missing_preset_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        load_mapping(tmp_path / "nope.json")
    assert mapping_from_json(mapping_to_json(BoneMap({"pelvis": "Hips"}), "x")).bones == {"pelvis": "Hips"}


def test_vroid_english_names_map_leg_to_the_thigh() -> None:
    # A VRoid avatar converted with English bone names (seen 44 % detected by the generic stems: "leg" = shin there).
    names = ["Hips", "Spine", "Chest", "Upper Chest", "Neck", "Head"] + [
        f"{side} {part}" for side in ("Left", "Right")
        for part in ("leg", "knee", "ankle", "toe", "shoulder", "arm", "elbow", "wrist")]  # fmt: skip
    found = detect_preset(names)
    assert found.preset.name == "vroid_english" and found.score == 1.0, found.scores
    assert found.mapping.bones["l_hip"] == "Left leg" and found.mapping.bones["l_knee"] == "Left knee"
    assert found.mapping.bones["thorax"] == "Upper Chest" and found.mapping.bones["r_wrist"] == "Right wrist"
