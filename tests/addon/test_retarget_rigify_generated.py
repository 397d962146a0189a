"""Retarget onto the rig Rigify generates (what Blender users animate), made inside the test by Blender's bundled
Rigify add-on: its neck runs through a mechanism bone (neck → MCH-ROT-head → head) and every FK control hangs off a
constraint-driven MCH parent. Limbs in FK: Blender's evaluated pose must put each driven control where the solver
wanted it (it was 5–25° off, and the neck made the solve fail with "Singular matrix")."""

from __future__ import annotations

import numpy as np
import pytest
from addon_fakes import enable_addon
from hand_synth import SOURCE, landmarks, walking_hands
from retarget_synth import FPS, walk

from core.hands.angles import finger_angles

FRAMES = 40
CHECKED = ("thigh_fk.L", "shin_fk.L", "upper_arm_fk.L", "forearm_fk.L", "thigh_fk.R", "shin_fk.R",
           "upper_arm_fk.R", "forearm_fk.R", "hips", "chest", "neck", "head", "hand_fk.L", "f_index.03.L",
           "thumb.02.R")  # fmt: skip
FINGERS = {"Thumb": ("thumb.01", "thumb.02", "thumb.03"), "Index": ("f_index.01", "f_index.02", "f_index.03"),
           "Middle": ("f_middle.01", "f_middle.02", "f_middle.03"), "Ring": ("f_ring.01", "f_ring.02", "f_ring.03"),
           "Pinky": ("f_pinky.01", "f_pinky.02", "f_pinky.03")}  # fmt: skip


@pytest.fixture(scope="module")
def generated():  # noqa: ANN201
    import addon_utils
    import bpy

    if bpy.app.version < (4, 4, 0):
        # The bpy 4.2 module segfaults at interpreter exit after a Rigify generation (tests pass, the process then
        # dies with 139, failing the run); the code under test is the same on every version.
        pytest.skip("Blender 4.2's bpy module crashes at exit after Rigify generates a rig")
    enable_addon()
    from video_mocap.operators import retarget
    from video_mocap.panels import retarget_panel

    if not hasattr(bpy.types.Scene, "video_mocap_retarget"):
        retarget.register()
        retarget_panel.register()
    if addon_utils.enable("rigify", default_set=True) is None:
        pytest.skip("Blender's bundled Rigify add-on is not available")
    for collection in (bpy.data.objects, bpy.data.armatures, bpy.data.actions):
        for block in list(collection):
            collection.remove(block)
    bpy.ops.object.armature_human_metarig_add()
    meta = bpy.context.active_object
    bpy.ops.pose.rigify_generate()
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o is not meta)
    for bone in rig.pose.bones:  # legs and the right arm in FK (Rigify's IK/FK switch: 1 = FK); the left arm is
        if "IK_FK" in bone.keys():  # left in IK, Rigify's default: the retarget must key it to FK
            bone["IK_FK"] = 0.0 if bone.name == "upper_arm_parent.L" else 1.0
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(FPS), 1.0
    from video_mocap.operators.bake import BakeOptions, bake_joints
    from video_mocap.operators.retarget import run_retarget

    joints, _ = walk(FRAMES)
    # captured with hands: the finger controls hang off DEF-hand through ORG-palm and MCH-…_drv bones
    baked = bake_joints(bpy.context, joints, FPS, "walk", BakeOptions(start_frame=1), hands=walking_hands(joints))
    scene.video_mocap_retarget.foot_lock = False
    captured = {}
    original = retarget.retarget

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        captured["result"] = original(*args, **kwargs)
        return captured["result"]

    retarget.retarget = spy
    original_drive = retarget.drive_hands

    def spy_hands(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the result with the hands driven
        result, notes = original_drive(*args, **kwargs)
        captured["result"] = result
        return result, notes

    retarget.drive_hands = spy_hands
    try:
        action, summary = run_retarget(bpy.context, baked.armature, baked.action, rig)
    finally:
        retarget.retarget, retarget.drive_hands = original, original_drive
    from video_mocap.operators.retarget_keys import read_target

    names = read_target(rig).names
    wanted, got, flexion, sockets, ik_arm = [], [], [], [], []
    for f in range(1, FRAMES + 1):
        scene.frame_set(f)
        for suffix, mirror in ((".L", True), (".R", False)):
            source = landmarks(baked.armature, SOURCE, "Hand", suffix)
            target = landmarks(rig, FINGERS, "hand_fk", suffix)
            flexion.append(np.abs(finger_angles(target, mirror)[:, 1:] - finger_angles(source, mirror)[:, 1:]))
        pose = rig.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose.bones
        got.append([np.array(pose[n].matrix)[:3, 1] for n in CHECKED])
        # the left arm was left in IK: what the deform chain shows follows the IK controls
        ik_arm.append([np.array(pose[f"ORG-{n}.L"].matrix)[:3, 1] - captured["result"].matrices[
            f - 1, names.index(f"{n}_fk.L"), :3, 1] for n in ("upper_arm", "forearm")])  # fmt: skip
        sockets.append([np.array(pose[n].head) - captured["result"].matrices[f - 1, names.index(n), :3, 3]
                        for n in ("thigh_fk.L", "thigh_fk.R")])  # fmt: skip
        wanted.append([captured["result"].matrices[f - 1, names.index(n), :3, 1] for n in CHECKED])
    switch = []
    for f in (1, FRAMES):
        scene.frame_set(f)
        switch.append(float(rig.pose.bones["upper_arm_parent.L"]["IK_FK"]))
    return {"summary": summary, "wanted": np.array(wanted), "got": np.array(got), "switch": switch,
            "flexion": np.array(flexion), "sockets": np.array(sockets), "ik_arm": np.array(ik_arm)}


def test_the_generated_rig_retargets_and_blender_follows_the_solver(generated) -> None:
    w, g = generated["wanted"], generated["got"]
    cos = (w * g).sum(-1) / np.linalg.norm(w, axis=-1) / np.linalg.norm(g, axis=-1)
    error = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    print("evaluated vs solved bone directions, degrees: mean", error.mean().round(3), "max", error.max().round(3))
    assert error.max() < 0.5, dict(zip(CHECKED, error.max(axis=0).round(2), strict=True))
    assert "rigify mapping" in generated["summary"]


def test_a_limb_left_in_ik_stays_in_ik_with_its_controls_keyed(generated) -> None:
    """Rigify's own IK->FK snap bakes the IK controls from the retargeted FK keys (operators/retarget_ik.py): the
    switch stays in IK and the arm the deform bones show points where the solver wanted (unit direction difference
    < 0.01, about 0.6°)."""
    assert generated["switch"] == [0.0, 0.0], generated["summary"]
    assert "IK controls keyed to match on upper_arm_parent.L" in generated["summary"], generated["summary"]
    assert np.linalg.norm(generated["ik_arm"], axis=-1).max() < 0.01


def test_the_generated_rig_s_finger_controls_follow_the_capture(generated) -> None:
    assert "10 fingers driven" in generated["summary"], generated["summary"]
    error = generated["flexion"]
    print("finger flexion error, degrees: median", np.median(error).round(3), "max", error.max().round(3))
    assert np.median(error) < 0.5 and error.max() < 2.0


def test_the_solver_s_hip_sockets_are_where_blender_puts_them(generated) -> None:
    """The thigh controls hang off MCH-thigh_parent under ORG-spine, which follows the hips control by constraints:
    solved by parents alone the sockets were 17–22 cm off once the pelvis turned; the retarget solves again from
    where Blender puts them (operators/retarget.py)."""
    error = np.linalg.norm(generated["sockets"], axis=-1)
    assert error.max() < 1e-3, error.max()
