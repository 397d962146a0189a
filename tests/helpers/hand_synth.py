"""Synthetic hands for the retarget tests: finger motion relative to a walk's forearms, and hand landmarks read off
an evaluated armature's bones (so flexion can be compared with core.hands.angles on any rig)."""

from __future__ import annotations

import numpy as np
from retarget_synth import FPS

from core.bake_math import rest_pose, world_rotations
from core.hands.angles import CHAINS
from core.hands.rig import FOREARM, REST_PALM, SIDES, TEMPLATE
from core.hands.track import HandMotion
from core.rig_layout import BONE_INDEX, BONES

# The capture armature's finger bones (core.hands.rig), per finger base first.
SOURCE = {"Thumb": ("Thumb1", "Thumb2", "Thumb3"), "Index": ("Index1", "Index2", "Index3"),
          "Middle": ("Middle1", "Middle2", "Middle3"), "Ring": ("Ring1", "Ring2", "Ring3"),
          "Pinky": ("Pinky1", "Pinky2", "Pinky3")}  # fmt: skip

def walking_hands(joints: np.ndarray) -> HandMotion:
    """Fingers curling and opening out of phase, wrists bending; rotations relative to the walk's forearms."""
    t = np.arange(len(joints)) / FPS
    angles = np.zeros((len(joints), 2, 5, 4))
    for f in range(5):
        phase = 2 * np.pi * (t / 1.3 + 0.15 * f)
        angles[:, :, f, 1:] = (35 + 30 * np.sin(phase))[:, None, None] * np.array([0.8, 1.0, 0.6])
        angles[:, :, f, 0] = 8 * np.sin(phase / 2)[:, None]
    forearms = world_rotations(joints)[:, [BONE_INDEX[FOREARM[s]] for s in SIDES]]
    rest = rest_pose(np.ones(len(BONES))).matrices
    bend = 0.4 * np.sin(2 * np.pi * t / 1.7)
    c, s = np.cos(bend), np.sin(bend)
    wrist = np.moveaxis(np.array([[np.ones_like(c), 0 * c, 0 * c], [0 * c, c, -s], [0 * c, s, c]]), (0, 1), (-2, -1))
    rotation = np.stack([forearms[:, k] @ rest[BONE_INDEX[FOREARM[side]]].T @ REST_PALM[side] @ wrist
                         for k, side in enumerate(SIDES)], axis=1)  # fmt: skip
    seen = np.ones((len(joints), 2), bool)
    return HandMotion(angles, rotation, seen, seen, TEMPLATE)


def landmarks(obj, names: dict[str, tuple[str, ...]], hand: str, suffix: str) -> np.ndarray:  # noqa: ANN001
    """(21, 3) MediaPipe-order hand points read off the evaluated bones (world)."""
    import bpy

    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    pose, world = evaluated.pose.bones, np.array(evaluated.matrix_world)
    out = np.zeros((21, 3))
    out[0] = pose[hand + suffix].head
    for chain, bones in zip(CHAINS, names.values(), strict=True):
        for k, bone in enumerate(bones):
            out[chain[k]] = pose[bone + suffix].head
        out[chain[3]] = pose[bones[-1] + suffix].tail
    return out @ world[:3, :3].T + world[:3, 3]
