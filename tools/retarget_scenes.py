"""The Blender side of ``tools.retarget_figures``: capture and bake a take, load the rigs, retarget, evaluate, draw."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


def _addon() -> None:
    import bpy

    from tools.addon_dev import enable_from_checkout

    enable_from_checkout()
    if not hasattr(bpy.types.Scene, "video_mocap_retarget"):
        from video_mocap.operators import retarget
        from video_mocap.panels import retarget_panel

        retarget.register()
        retarget_panel.register()


def capture_and_bake(video: Path) -> dict[str, Any]:
    """Capture ``video`` with the default options and bake it; the world joints, contacts and the baked take."""
    import bpy

    from core.capture import run_capture
    from core.capture_file import load_capture
    from core.options import CaptureOptions

    _addon()
    from video_mocap.operators.bake import BakeOptions, bake_joints

    with tempfile.TemporaryDirectory() as tmp:
        run_capture(video, Path(tmp) / "take.npz", CaptureOptions())
        cap = load_capture(Path(tmp) / "take.npz")
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = round(cap.fps), 1.0
    baked = bake_joints(bpy.context, cap.joints_world, cap.fps, cap.clip_name, BakeOptions(start_frame=1),
                        cap.present, cap.contacts)  # fmt: skip
    return {"joints": cap.joints_world, "contacts": cap.contacts, "armature": baked.armature, "action": baked.action}


def load_rigs(shared: Path) -> Iterator[tuple[str, Any]]:
    """(name, armature object): the Quaternius avatar, Rigify's meta-rig, its generated rig in FK, then in IK."""
    import addon_utils
    import bpy

    before = set(bpy.data.objects)
    bpy.ops.import_scene.gltf(filepath=str(shared / "avatars" / "quaternius_adventurer.gltf"))
    avatar = next(o for o in set(bpy.data.objects) - before if o.type == "ARMATURE")
    if avatar.animation_data is not None:
        avatar.animation_data.action = None
    for bone in avatar.pose.bones:  # and the pose its clip left (the Root bone too): back to the rest pose
        bone.location, bone.rotation_quaternion, bone.scale = (0, 0, 0), (1, 0, 0, 0), (1, 1, 1)
        bone.rotation_euler = (0, 0, 0)
    avatar.location.x += 3.0
    yield "Quaternius Adventurer", avatar
    addon_utils.enable("rigify", default_set=True)
    bpy.ops.object.armature_human_metarig_add()
    meta = bpy.context.active_object
    meta.location.x -= 3.0
    # Generated from the untouched meta-rig, before that one is retargeted: generated after it, the rig's right leg
    # came out up to 90° and its planted ankles 27 cm off (the meta-rig's take leaks into the generation).
    before = set(bpy.data.objects)
    bpy.ops.pose.rigify_generate()
    rig = next(o for o in set(bpy.data.objects) - before if o.type == "ARMATURE")
    yield "Rigify meta-rig", meta
    yield "Rigify generated (FK)", rig
    yield "Rigify generated (IK)", rig


def retarget_onto(take: dict[str, Any], target: Any, ik: bool) -> tuple[str, np.ndarray]:
    """Retarget the take with the automatic mapping and default options; (summary, frames)."""
    import bpy
    from video_mocap.operators.retarget import run_retarget

    for bone in target.pose.bones:
        if "IK_FK" in bone.keys():
            bone["IK_FK"] = 0.0 if ik else 1.0
    if target.animation_data is not None:
        target.animation_data.action = None
    scene = bpy.context.scene
    props = scene.video_mocap_retarget
    props.source, props.source_action = take["armature"], take["action"]
    _, summary = run_retarget(bpy.context, take["armature"], take["action"], target)
    return summary, np.arange(1, len(take["joints"]) + 1)


def evaluate_rig(target: Any, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The target's pseudo joints per frame and at rest, in world coordinates (T, 17, 3), (17, 3); a generated Rigify
    rig's from its deform bones."""
    import bpy
    from video_mocap.operators.retarget_keys import read_target

    from core.retarget.mapping import detect_preset, resolve_preset
    from core.retarget.presets import PRESETS_BY_NAME
    from core.retarget.target import layout, pseudo_joints

    rig = read_target(target)
    mapping = detect_preset(list(rig.names)).mapping
    if mapping.preset == "rigify":  # a generated rig: measure its deform bones (what the mesh follows, IK or FK)
        mapping = resolve_preset(PRESETS_BY_NAME["rigify_deform"], rig.names)
    lay = layout(rig, mapping)
    world = np.array(target.matrix_world)
    out = []
    for f in frames:
        bpy.context.scene.frame_set(int(f))
        pose = target.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose.bones
        out.append([np.array(pose[n].matrix) for n in rig.names])
    to_world = lambda x: x @ world[:3, :3].T + world[:3, 3]  # noqa: E731
    return to_world(pseudo_joints(np.array(out), rig, lay)), to_world(pseudo_joints(rig.rest, rig, lay))


def sketch(path: Path, title: str, target: Any, frames: np.ndarray) -> None:
    """PNG of the rig's deforming bones (head → tail, evaluated) at the first, middle and last frame."""
    import bpy
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    world = np.array(target.matrix_world)
    bones = [b.name for b in target.data.bones if b.use_deform] or [b.name for b in target.data.bones]
    picks = [int(frames[0]), int(frames[len(frames) // 2]), int(frames[-1])]
    fig = plt.figure(figsize=(10, 4), dpi=90)
    for k, f in enumerate(picks):
        bpy.context.scene.frame_set(f)
        pose = target.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose.bones
        ax = fig.add_subplot(1, 3, k + 1, projection="3d")
        points = []
        for n in bones:
            h = world[:3, :3] @ np.array(pose[n].head) + world[:3, 3]
            t = world[:3, :3] @ np.array(pose[n].tail) + world[:3, 3]
            ax.plot([h[0], t[0]], [h[1], t[1]], [h[2], t[2]], color="tab:blue", lw=1)
            points += [h, t]
        points = np.array(points)
        centre, radius = points.mean(0), 1.0
        ax.set_xlim(centre[0] - radius, centre[0] + radius)
        ax.set_ylim(centre[1] - radius, centre[1] + radius)
        ax.set_zlim(0.0, 2 * radius)
        ax.set_box_aspect((1, 1, 1))
        ax.view_init(elev=10, azim=-60)
        ax.set_title(f"frame {f}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
