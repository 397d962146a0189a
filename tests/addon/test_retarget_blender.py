"""Retarget in Blender: a baked walk onto rigs of every naming convention, measured through Blender's own pose.

The source is a real bake (operators/bake.py) of a synthetic walk with exactly planted feet
(tests/helpers/retarget_synth).
Targets differ in naming, proportions, rest pose (T/A), spine/neck bone counts, bone rolls, rotation modes and object
transform (an Unreal rig in centimetres under a 0.01-scaled object turned to face +X). Every figure is measured on
the pose Blender evaluates (frame_set + pose bones), not on the solver's own forward kinematics.
"""

from __future__ import annotations

import numpy as np
import pytest
from addon_fakes import enable_addon
from retarget_synth import FPS, RigDef, source_rest_joints, target_rigs, walk

from core.retarget.footlock import FootLockConfig, detect_contacts, intervals
from core.retarget.mapping import detect_preset
from core.retarget.target import layout, pseudo_joints
from core.skeleton import JOINT_INDEX as J

# Segments whose direction is compared: source joints a → b against the target bones that represent them. On the
# target the trunk starts at the first spine bone's head and a clavicle at its own head (see _target_points).
SEGMENTS = (("pelvis", "thorax"), ("thorax", "head"), ("l_hip", "l_knee"), ("l_knee", "l_ankle"),
            ("r_hip", "r_knee"), ("r_knee", "r_ankle"), ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"),
            ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"), ("thorax", "l_shoulder"), ("thorax", "r_shoulder"))
FRAMES = 90


def _register():  # noqa: ANN202
    """The add-on, plus the retarget classes when the add-on does not register them (yet)."""
    import bpy

    enable_addon()
    from video_mocap.operators import retarget
    from video_mocap.panels import retarget_panel

    if not hasattr(bpy.types.Scene, "video_mocap_retarget"):
        retarget.register()
        retarget_panel.register()
    return retarget


def _build(rd: RigDef):  # noqa: ANN202
    import bpy
    from mathutils import Vector

    data = bpy.data.armatures.new(rd.name)
    obj = bpy.data.objects.new(rd.name, data)
    bpy.context.scene.collection.objects.link(obj)
    obj.location, obj.rotation_euler, obj.scale = rd.location, (0.0, 0.0, rd.rotation_z), (rd.scale,) * 3
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for b in rd.bones:
        bone = data.edit_bones.new(b.name)
        bone.head, bone.tail, bone.roll = Vector(b.head), Vector(b.tail), b.roll
        if b.parent is not None:
            bone.parent = data.edit_bones[b.parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    if rd.euler:
        for pose_bone in obj.pose.bones:
            pose_bone.rotation_mode = rd.euler
    return obj


def _evaluate(objs: list, frames: np.ndarray) -> dict[str, np.ndarray]:
    """Armature-space pose matrices (T, B, 4, 4) per object, bones in read_target order, from Blender's evaluation."""
    import bpy
    from video_mocap.operators.retarget_keys import read_target

    order = {obj.name: read_target(obj).names for obj in objs}
    out: dict[str, list] = {obj.name: [] for obj in objs}
    for f in frames:
        bpy.context.scene.frame_set(int(f))
        depsgraph = bpy.context.evaluated_depsgraph_get()
        for obj in objs:
            pose = obj.evaluated_get(depsgraph).pose.bones
            out[obj.name].append([np.array(pose[n].matrix) for n in order[obj.name]])
    return {k: np.array(v) for k, v in out.items()}


def _directions(points: dict[str, np.ndarray], starts: dict[int, str] | None = None) -> np.ndarray:
    """(T, segments, 3) unit directions; starts overrides the start point of segment k."""
    starts = starts or {}
    v = np.stack([points[b] - points[starts.get(k, a)] for k, (a, b) in enumerate(SEGMENTS)], axis=1)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _sliding(ankles_world: np.ndarray, contacts: np.ndarray) -> np.ndarray:
    """Per planted interval: the largest horizontal distance (m) the ankle moves from where it was planted."""
    out = []
    for k in range(2):
        for a, b in intervals(contacts[:, k]):
            p = ankles_world[a:b + 1, k, :2]
            out.append(np.linalg.norm(p - p[0], axis=-1).max())
    return np.array(out)


@pytest.fixture(scope="module")
def takes():  # noqa: ANN201
    """Bake the walk, build every target, retarget without and with foot locking; measure everything once."""
    import bpy

    retarget = _register()
    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(FPS), 1.0
    from video_mocap.operators.bake import BakeOptions, bake_joints
    from video_mocap.operators.retarget_keys import read_target

    joints, planted = walk(FRAMES)
    baked = bake_joints(bpy.context, joints, FPS, "walk", BakeOptions(start_frame=1))
    source, source_action = baked.armature, baked.action
    rest = source_rest_joints(joints)
    rigs = target_rigs(rest)
    objs = [_build(rd) for rd in rigs]
    before = {o.name: np.array([np.array(b.matrix_local) for b in o.data.bones]) for o in objs}
    lengths = {o.name: np.array([b.length for b in o.data.bones]) for o in objs}
    props = scene.video_mocap_retarget
    props.source, props.source_action = source, source_action
    frames = np.arange(1, FRAMES + 1)
    result: dict = {"joints": joints, "planted": planted, "rigs": rigs, "objs": [o.name for o in objs],
                    "source": source.name, "source_action": source_action.name, "actions": {}, "poses": {}}
    source_keys = _all_keys(source_action)
    for lock in (False, True):
        props.foot_lock = lock
        for obj in objs:
            assert bpy.ops.video_mocap.retarget(target=obj.name) == {"FINISHED"}
            result["actions"].setdefault(obj.name, []).append(obj.animation_data.action.name)
        result["poses"][lock] = _evaluate(objs, frames)
    result["rest_changed"] = {o.name: float(np.abs(np.array([np.array(b.matrix_local) for b in o.data.bones])
                                                   - before[o.name]).max()) for o in objs}
    result["length_changed"] = {o.name: float(np.abs(np.array([b.length for b in o.data.bones]) - lengths[o.name])
                                              .max()) for o in objs}
    result["source_keys_changed"] = float(np.abs(_all_keys(bpy.data.actions[source_action.name]) - source_keys).max())
    result["rigs_read"] = {o.name: read_target(o) for o in objs}
    result["mappings"] = {o.name: detect_preset(list(o.data.bones.keys())) for o in objs}
    result["matrix_world"] = {o.name: np.array(o.matrix_world) for o in objs}
    result["module"] = retarget
    return result


def _all_keys(action) -> np.ndarray:  # noqa: ANN001
    from video_mocap.operators.action_api import action_fcurves

    values = []
    for fc in sorted(action_fcurves(action), key=lambda c: (c.data_path, c.array_index)):
        co = np.empty(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        values.append(co)
    return np.concatenate(values)


def _target_joints(takes: dict, name: str, lock: bool) -> np.ndarray:
    """The target's pseudo joints (T, 17, 3) in its armature space, from Blender's evaluated pose."""
    rig = takes["rigs_read"][name]
    return pseudo_joints(takes["poses"][lock][name], rig, layout(rig, takes["mappings"][name].mapping))


def _target_directions(takes: dict, name: str, lock: bool) -> np.ndarray:
    """Directions of the target segments: pseudo joints, with the trunk from the first spine bone's head and each
    clavicle from its own head."""
    rig = takes["rigs_read"][name]
    lay = layout(rig, takes["mappings"][name].mapping)
    matrices = takes["poses"][lock][name]
    points = {joint: p for joint, p in zip(J, np.moveaxis(pseudo_joints(matrices, rig, lay), 1, 0))}
    points["spine_start"] = matrices[:, lay.spine[0], :3, 3]
    starts = {0: "spine_start"}
    for k, (a, b) in enumerate(SEGMENTS):
        side = b[0]
        if a == "thorax" and b.endswith("shoulder") and f"{side}_clavicle" in lay.roles:
            points[f"{side}_clavicle"] = matrices[:, lay.roles[f"{side}_clavicle"], :3, 3]
            starts[k] = f"{side}_clavicle"
    return _directions(points, starts)


def test_auto_detection_picks_each_convention(takes) -> None:
    for rd in takes["rigs"]:
        assert takes["mappings"][rd.name].preset.name == rd.preset, (rd.name, takes["mappings"][rd.name].scores)


@pytest.mark.parametrize("lock", [False, True])
def test_limb_directions_follow_the_source(takes, lock: bool) -> None:
    source = _directions({joint: takes["joints"][:, i] for joint, i in J.items()})
    report = {}
    for rd in takes["rigs"]:
        target = _target_directions(takes, rd.name, lock=lock)
        error = np.degrees(np.arccos(np.clip(np.sum(source * target, axis=-1), -1.0, 1.0)))  # (T, segments)
        report[rd.name] = (round(float(error.mean()), 3), round(float(error.max()), 3))
        assert error.mean() < 2.0, (rd.name, error.mean(axis=0))
        # Foot locking bends the legs near contacts (on purpose); without it every segment follows closely.
        assert error.max() < (5.0 if lock else 1.0), (rd.name, error.max(axis=0))
    print(f"direction error (mean, max) degrees, foot lock {lock}:", report)
    assert np.mean([v[0] for v in report.values()]) < 2.0


def test_same_proportion_target_reproduces_the_joints_within_1mm(takes) -> None:
    name = takes["rigs"][0].name
    target = _target_joints(takes, name, lock=False)
    # The target's spine pseudo joint is its chain's midpoint; its real spine joint is the head of Spine1.
    rig = takes["rigs_read"][name]
    target[:, J["spine"]] = takes["poses"][False][name][:, rig.names.index("Spine1"), :3, 3]
    error = np.linalg.norm(target - takes["joints"], axis=-1)
    print(f"same-proportion joint error: max {error.max() * 1000:.4f} mm, mean {error.mean() * 1000:.4f} mm")
    assert error.max() < 1e-3, error.max(axis=0)


def test_foot_locking_stops_sliding_on_every_rig(takes) -> None:
    joints = takes["joints"]
    contacts = detect_contacts(joints[:, [J["l_ankle"], J["r_ankle"]]], FPS, FootLockConfig())
    # The detector finds the walk's true stance phases (up to the blend of lift-off and touch-down).
    assert (contacts == takes["planted"]).mean() > 0.9
    report = {}
    for rd in takes["rigs"]:
        world = takes["matrix_world"][rd.name]
        slides = []
        for lock in (False, True):
            ankles = _target_joints(takes, rd.name, lock)[:, [J["l_ankle"], J["r_ankle"]]]
            slides.append(_sliding(ankles @ world[:3, :3].T + world[:3, 3], contacts))
        report[rd.name] = (round(float(slides[0].max() * 1000), 2), round(float(slides[1].max() * 1000), 3))
        assert slides[1].max() < 1e-3, (rd.name, slides[1])
    print("foot sliding max over planted phases, mm (without lock, with lock):", report)
    # Without locking, other proportions do slide: the lock is what removes it.
    assert max(v[0] for k, v in report.items() if k != "same_size") > 2.0


def test_rest_pose_bone_lengths_and_source_are_untouched(takes) -> None:
    import bpy

    assert max(takes["rest_changed"].values()) == 0.0
    assert max(takes["length_changed"].values()) == 0.0
    assert takes["source_keys_changed"] == 0.0
    source = bpy.data.objects[takes["source"]]
    assert source.animation_data.action.name == takes["source_action"]


def test_actions_are_named_after_target_and_clip_without_overwriting(takes) -> None:
    import bpy

    for name, (first, second) in takes["actions"].items():
        assert first == f"{name}_walk"
        assert second.startswith(f"{name}_walk.") and second != first
        assert bpy.data.actions[first].use_fake_user


def test_euler_rigs_are_keyed_in_their_rotation_mode(takes) -> None:
    import bpy
    from video_mocap.operators.action_api import action_fcurves

    obj = bpy.data.objects["generic_short_apose"]
    paths = {fc.data_path.rsplit(".", 1)[-1] for fc in action_fcurves(obj.animation_data.action, obj)}
    assert paths == {"rotation_euler", "location"}


def test_retarget_is_one_undo_step(takes) -> None:
    import bpy

    bpy.ops.ed.undo_push(message="initial")
    bpy.ops.ed.undo_push(message="before retarget")
    target = takes["objs"][1]
    count = len(bpy.data.actions)
    assert bpy.ops.video_mocap.retarget(target=target) == {"FINISHED"}
    assert len(bpy.data.actions) == count + 1
    bpy.ops.ed.undo()
    assert len(bpy.data.actions) == count


def test_bad_inputs_fail_with_a_clear_message(takes) -> None:
    import bpy

    with pytest.raises(RuntimeError, match="Video Mocap armature"):
        bpy.ops.video_mocap.retarget(source=takes["objs"][0], target=takes["objs"][1])
    with pytest.raises(RuntimeError, match="source armature"):
        bpy.ops.video_mocap.retarget(target=takes["source"])
    with pytest.raises(RuntimeError, match="source armature"):
        bpy.ops.video_mocap.retarget(source=takes["source"], target=takes["source"])
    foreign = bpy.data.actions.new("foreign")
    foreign.use_fake_user = True
    with pytest.raises(RuntimeError, match="does not animate the bones"):
        bpy.ops.video_mocap.retarget(action=foreign.name, target=takes["objs"][1])


def test_retarget_uses_the_captures_own_contacts(takes) -> None:
    import bpy
    from video_mocap.operators.bake import BakeOptions, bake_joints
    from video_mocap.operators.retarget import run_retarget
    from video_mocap.operators.retarget_keys import read_contacts

    joints = takes["joints"]
    contacts = np.zeros((len(joints), 2), bool)
    contacts[: len(joints) // 3, 0] = True  # not the walk's stance phases: only the capture can have said this
    baked = bake_joints(bpy.context, joints, FPS, "walk_contacts", BakeOptions(start_frame=1), contacts=contacts)
    frames = np.arange(1, len(joints) + 1, dtype=np.float64)
    np.testing.assert_array_equal(read_contacts(baked.armature, baked.action, frames), contacts)
    assert read_contacts(bpy.data.objects[takes["source"]], bpy.data.actions[takes["source_action"]], frames) is None
    bpy.context.scene.video_mocap_retarget.foot_lock = True
    target = bpy.data.objects[takes["objs"][0]]
    _, summary = run_retarget(bpy.context, baked.armature, baked.action, target)
    assert f"feet planted {contacts.mean():.0%} of the time" in summary
