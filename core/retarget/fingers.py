"""Fingers and hands for the retarget (issue 14): a capture with hands drives the target's hand and finger bones.

**Finding the fingers** (:func:`find_fingers`): under the bone mapped to each wrist role, every descendant whose
name holds a finger's word (thumb; index; middle; ring; pinky or little) is that finger's, in parent order. One rule
covers the conventions we ship presets for — Mixamo ``LeftHandIndex1–4`` (4 = tip), Unreal ``index_01_l`` (UE5
also ``index_metacarpal_l``), Rigify ``f_index.01.L`` (controls; ``DEF-``/``ORG-``/``MCH-`` and ``_master`` skipped
unless the hand itself is a ``DEF-`` bone; its finger controls hang off ``DEF-hand`` through ``ORG-palm`` and are
linked through ``MCH-…_drv`` bones), VRM ``J_Bip_L_Index1`` / ``leftIndexProximal`` (VRM 1: ``leftThumbMetacarpal``
starts the thumb), Quaternius ``Index1–4`` (1 = metacarpal, from the wrist): when the fingers' first bones all start
at one point they are metacarpals and are skipped (not the thumb's: the capture's thumb starts with its metacarpal),
other fingers' bones named ``metacarpal`` likewise; then the first three are the finger (the thumb: metacarpal,
proximal, distal). A finger without three bones is skipped and named in the retarget's summary.

**Driving them**: the same recipe as the body (core.retarget.solve): W_b(t) = F_s(t) · F_tᵀ · Rest_b, with F a
segment frame built the same way on the source and on the target's rest pose: Y along the segment (a bone's head to
the next finger bone's head, the last one's own tail; the hand: wrist → middle knuckle), Z the palm's side (the
target's palm normal from its wrist, index and little-finger knuckles). The source frames are the capture
armature's own hand bones (core.hands.rig: Y along the bone, Z to the palm). Bones between the hand and the fingers
(a Rigify palm) keep their pose; keys are solved against them.

Shapes: T frames; frames (T, 16, 3, 3) per hand in core.hands.rig.bone_names order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..hands.rig import FINGER_NAMES, SIDES
from .mapping import BoneMap
from .rotations import frame, unit
from .solve import RetargetResult
from .target import MECHANISM_PREFIXES, TargetRig

WORDS = {"Thumb": ("thumb",), "Index": ("index",), "Middle": ("middle",), "Ring": ("ring",),
         "Pinky": ("pinky", "little", "pinkie")}  # fmt: skip
WRIST_ROLE = {"left": "l_wrist", "right": "r_wrist"}
_TOGETHER = 0.3  # first finger bones whose heads lie this close (in their lengths) start at the wrist: metacarpals


@dataclass(frozen=True)
class HandBones:
    """One target hand: ``hand`` bone index; ``fingers`` finger name → 3 bone indices (base first); ``missing``
    fingers not found; ``holder``: the bone the fingers were found under (the hand, or on a generated Rigify rig
    its ``DEF-``/``ORG-`` twin, whose subtree holds the finger controls)."""

    hand: int
    fingers: dict[str, tuple[int, int, int]]
    missing: tuple[str, ...]
    holder: int


def _bare(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def _descendants(rig: TargetRig, root: int) -> list[int]:
    inside = {root}
    out = []
    for b, p in enumerate(rig.parents):
        if p in inside:
            inside.add(b)
            out.append(b)
    return out


def find_fingers(rig: TargetRig, mapping: BoneMap) -> dict[str, HandBones]:
    """Side → the target's hand and finger bones (module docstring); sides whose wrist role is unmapped are absent."""
    out = {}
    for side in SIDES:
        hand_name = mapping.bones.get(WRIST_ROLE[side])
        if hand_name is None or hand_name not in rig.index:
            continue
        hand = rig.index[hand_name]
        plain = hand_name.replace("_fk", "").replace("_ik", "")  # Rigify: finger controls hang off the deform hand
        holders = [hand] + [rig.index[n] for n in (f"DEF-{plain}", f"ORG-{plain}") if n in rig.index]
        for holder in holders:
            fingers, missing = _fingers_under(rig, holder, deform=hand_name.startswith("DEF-"))
            if fingers:
                break
        out[side] = HandBones(hand, fingers, tuple(missing), holder)
    return out


def _fingers_under(rig: TargetRig, holder: int, deform: bool) -> tuple[dict[str, tuple[int, int, int]], list[str]]:
    """The finger chains below ``holder`` (module docstring) and the fingers missing there."""
    below = _descendants(rig, holder)
    chains: dict[str, list[int]] = {}
    for finger in FINGER_NAMES:
        chain: list[int] = []
        for b in below:
            name, bare = rig.names[b], _bare(rig.names[b])
            if not any(w in bare for w in WORDS[finger]) or "master" in bare:
                continue
            if "metacarpal" in bare and finger != "Thumb":  # the capture's thumb starts with its metacarpal (VRM 1)
                continue
            if name.startswith(MECHANISM_PREFIXES) or name.startswith("DEF-") != deform:
                continue
            if chain and _control_parent(rig, b) != chain[-1]:
                continue  # not the next bone of this finger's chain
            chain.append(b)
        chains[finger] = chain
    # Metacarpals: the fingers' first bones all start at one point (the wrist), where phalanges start at knuckles
    # spread across the palm.
    firsts = [c[0] for f, c in chains.items() if f != "Thumb" and len(c) > 3]
    if len(firsts) >= 2:
        heads = rig.rest[firsts, :3, 3]
        spread = np.linalg.norm(heads[:, None] - heads[None], axis=-1).max()
        if spread < _TOGETHER * float(np.median(rig.lengths[firsts])):
            chains = {f: (c[1:] if f != "Thumb" and len(c) > 3 else c) for f, c in chains.items()}
    fingers = {f: (c[0], c[1], c[2]) for f, c in chains.items() if len(c) >= 3}
    return fingers, [f for f in FINGER_NAMES if f not in fingers]


def _control_parent(rig: TargetRig, b: int) -> int:
    """The nearest ancestor that is not a mechanism bone (generated Rigify links its finger controls through
    ``MCH-…_drv`` bones: f_index.02.L → MCH-f_index.02_drv.L → f_index.01.L)."""
    p = rig.parents[b]
    while p >= 0 and rig.names[p].startswith(MECHANISM_PREFIXES):
        p = rig.parents[p]
    return p


def _segments(rig: TargetRig, hand: HandBones) -> dict[int, np.ndarray]:
    """Bone index → its rest segment direction (module docstring)."""
    heads = rig.rest[:, :3, 3]
    tails = heads + rig.rest[:, :3, 1] * rig.lengths[:, None]
    out = {}
    middle = hand.fingers.get("Middle") or next(iter(hand.fingers.values()))
    out[hand.hand] = heads[middle[0]] - heads[hand.hand]
    for chain in hand.fingers.values():
        for k, b in enumerate(chain):
            out[b] = (heads[chain[k + 1]] if k < 2 else tails[b]) - heads[b]
    return out


def _palm_normal(rig: TargetRig, hand: HandBones, side: str) -> np.ndarray:
    """The target's rest palm normal, towards the palm: (index − wrist) × (little − wrist) on a right hand."""
    heads = rig.rest[:, :3, 3]
    bases = [hand.fingers[f][0] for f in FINGER_NAMES[1:] if f in hand.fingers]
    wrist = heads[hand.hand]
    normal = np.cross(heads[bases[0]] - wrist, heads[bases[-1]] - wrist)
    return unit(-normal if side == "left" else normal)


def drive_hands(result: RetargetResult, rig: TargetRig, hands: dict[str, HandBones],
                source: dict[str, np.ndarray]) -> tuple[RetargetResult, list[str]]:  # fmt: skip
    """The result with each target hand and its fingers driven by the source hand frames ``source[side]``
    (T, 16, 3, 3), already in the target's armature space (heading applied). Returns (result, notes)."""
    driven = list(result.driven)
    rotations = [result.rotations[:, k] for k in range(len(driven))]
    matrices = result.matrices.copy()
    rest = rig.rest[:, :3, :3]
    notes = []
    for side, hand in hands.items():
        if side not in source or len(hand.fingers) < 2:
            if side in source:
                notes.append(f"{side} hand: fewer than two fingers found, hand and fingers not driven")
            continue
        src = source[side]
        normal = _palm_normal(rig, hand, side)
        targets = {hand.hand: src[:, 0]}
        for f, finger in enumerate(FINGER_NAMES):
            for k, b in enumerate(hand.fingers.get(finger, ())):
                targets[b] = src[:, 1 + 3 * f + k]
        wanted = {b: targets[b] @ frame(seg, np.cross(seg, normal)).T @ rest[b]
                  for b, seg in _segments(rig, hand).items()}  # fmt: skip
        # Forward kinematics down the hand's subtree: driven bones take their wanted rotation, others keep their pose.
        for b in sorted({hand.hand, *_descendants(rig, hand.hand), *_descendants(rig, hand.holder)}):
            p = rig.parents[b]
            local = rest[p].T @ rest[b] if p >= 0 else rest[b]
            parent = matrices[:, p, :3, :3] if p >= 0 else np.eye(3)
            if b in wanted:
                basis = local.T @ np.swapaxes(parent, -1, -2) @ wanted[b]
                matrices[:, b, :3, :3] = wanted[b]
                if b in driven:
                    rotations[driven.index(b)] = basis
                else:
                    driven.append(b)
                    rotations.append(basis)
            else:
                matrices[:, b, :3, :3] = parent @ local @ rig.basis[b, :3, :3]
        if hand.missing:
            notes.append(f"{side} hand: no {', '.join(hand.missing).lower()} finger found, skipped")
    return dataclasses.replace(result, driven=tuple(driven), rotations=np.stack(rotations, axis=1),
                               matrices=matrices), notes  # fmt: skip
