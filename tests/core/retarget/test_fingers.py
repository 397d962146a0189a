"""core.retarget.fingers.find_fingers on the naming conventions users bring: Mixamo (a tip bone after three
phalanges), Quaternius (metacarpals from the wrist), Unreal 5 (named metacarpals), generated Rigify (fingers under
``ORG-hand``, beside ``DEF-``/``MCH-`` copies and a ``_master`` control), and a rig missing fingers."""

from __future__ import annotations

import numpy as np

from core.retarget.fingers import find_fingers
from core.retarget.mapping import BoneMap
from core.retarget.rotations import frame
from core.retarget.target import TargetRig

BODY = {"pelvis": "hips", "thorax": "chest", "l_hip": "thigh.L", "r_hip": "thigh.R", "l_knee": "shin.L",
        "r_knee": "shin.R", "l_shoulder": "arm.L", "r_shoulder": "arm.R", "l_elbow": "forearm.L",
        "r_elbow": "forearm.R"}  # fmt: skip
FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _rig(bones: list[tuple[str, str | None, tuple, tuple]]) -> TargetRig:
    names = [b[0] for b in bones]
    rest = np.tile(np.eye(4), (len(bones), 1, 1))
    for i, (_, _, head, tail) in enumerate(bones):
        y = np.subtract(tail, head)
        rest[i, :3, :3] = frame(y, np.cross(y, [0, 0, 1.0]) + [0, 0, 1e-3])
        rest[i, :3, 3] = head
    parents = tuple(-1 if p is None else names.index(p) for _, p, _, _ in bones)
    lengths = np.array([np.linalg.norm(np.subtract(t, h)) for _, _, h, t in bones])
    return TargetRig(tuple(names), parents, rest, lengths, np.tile(np.eye(4), (len(bones), 1, 1)))


def _body() -> list[tuple[str, str | None, tuple, tuple]]:
    out = [("hips", None, (0, 0, 1), (0, 0, 1.1)), ("chest", "hips", (0, 0, 1.1), (0, 0, 1.4))]
    for s, x in (("L", 1), ("R", -1)):
        out += [(f"thigh.{s}", "hips", (0.1 * x, 0, 1), (0.1 * x, 0, 0.5)),
                (f"shin.{s}", f"thigh.{s}", (0.1 * x, 0, 0.5), (0.1 * x, 0, 0.1)),
                (f"arm.{s}", "chest", (0.2 * x, 0, 1.4), (0.5 * x, 0, 1.4)),
                (f"forearm.{s}", f"arm.{s}", (0.5 * x, 0, 1.4), (0.75 * x, 0, 1.4))]  # fmt: skip
    return out


def _hand(hand: str, pattern: str, parent: str = "forearm.L", bones: int = 3, metacarpals: bool = False,
          fingers: tuple[str, ...] = FINGERS, holder: str | None = None) -> list[tuple]:  # fmt: skip
    """A left hand at x = 0.75; ``pattern`` formats (finger, number) into a bone name."""
    out: list[tuple] = [(hand, parent, (0.75, 0, 1.4), (0.83, 0, 1.4))]
    for k, finger in enumerate(fingers):
        y = -0.03 + 0.015 * k
        prev = holder or hand
        start = 0.75 if metacarpals else 0.83
        if metacarpals:
            out.append((pattern.format(finger=finger, n=1), prev, (0.75, 0, 1.4), (0.83, y, 1.4)))
            prev, start = out[-1][0], 0.83
        for n in range(2 if metacarpals else 1, bones + 1):
            x = start + 0.025 * (n - (2 if metacarpals else 1))
            out.append((pattern.format(finger=finger, n=n), prev, (x, y, 1.4), (x + 0.025, y, 1.4)))
            prev = out[-1][0]
    return out


def _found(rig: TargetRig, wrist: str) -> dict[str, list[str]]:
    hands = find_fingers(rig, BoneMap({**BODY, "l_wrist": wrist}))
    return {f: [rig.names[b] for b in chain] for f, chain in hands["left"].fingers.items()}


def test_mixamo_takes_the_three_phalanges_not_the_tip() -> None:
    rig = _rig(_body() + _hand("LeftHand", "LeftHand{finger}{n}", bones=4))
    found = _found(rig, "LeftHand")
    assert found["Index"] == ["LeftHandindex1", "LeftHandindex2", "LeftHandindex3"]
    assert len(found) == 5


def test_quaternius_skips_metacarpals_from_the_wrist_but_not_the_thumbs() -> None:
    rig = _rig(_body() + _hand("Wrist.L", "{finger}{n}.L", bones=4, metacarpals=True))
    found = _found(rig, "Wrist.L")
    assert found["Middle"] == ["middle2.L", "middle3.L", "middle4.L"]
    assert found["Thumb"] == ["thumb1.L", "thumb2.L", "thumb3.L"]


def test_unreal_metacarpals_are_skipped_by_name() -> None:
    bones = _body() + _hand("hand_l", "{finger}_0{n}_l")
    bones += [("index_metacarpal_l", "hand_l", (0.75, 0, 1.4), (0.8, 0, 1.4))]
    assert _found(_rig(bones), "hand_l")["Index"] == ["index_01_l", "index_02_l", "index_03_l"]


def test_generated_rigify_fingers_under_org_hand_without_mechanism_bones() -> None:
    bones = _body() + [("hand_fk.L", "forearm.L", (0.75, 0, 1.4), (0.83, 0, 1.4))]
    bones += _hand("ORG-hand.L", "f_{finger}.0{n}.L", holder=None)[0:1]
    bones += [("f_index.01_master.L", "ORG-hand.L", (0.83, 0, 1.4), (0.9, 0, 1.4))]
    for prefix in ("", "DEF-", "MCH-"):
        bones += [(prefix + name, "ORG-hand.L" if parent == "ORG-hand.L" else prefix + parent, head, tail)
                  for name, parent, head, tail in _hand("ORG-hand.L", "f_{finger}.0{n}.L")[1:]]  # fmt: skip
    rig = _rig(bones)
    assert _found(rig, "hand_fk.L")["Index"] == ["f_index.01.L", "f_index.02.L", "f_index.03.L"]
    # mapped to the deform bones (the rigify_deform preset), the DEF- fingers are the ones driven
    deform = _rig(_body() + [(("DEF-" + n) if n != "forearm.L" else n, ("DEF-" + p) if p != "forearm.L" else p, h, t)
                             for n, p, h, t in _hand("hand.L", "f_{finger}.0{n}.L")])  # fmt: skip
    assert _found(deform, "DEF-hand.L")["Ring"][0] == "DEF-f_ring.01.L"


def test_missing_fingers_are_named() -> None:
    rig = _rig(_body() + _hand("hand.L", "{finger}.0{n}.L", fingers=("thumb", "index", "middle")))
    hands = find_fingers(rig, BoneMap({**BODY, "l_wrist": "hand.L"}))
    assert hands["left"].missing == ("Ring", "Pinky") and "right" not in hands


def test_vrm_names_and_the_vrm1_thumb_metacarpal() -> None:
    bones = _body() + [("J_Bip_L_Hand", "forearm.L", (0.75, 0, 1.4), (0.83, 0, 1.4))]
    parts = ("Proximal", "Intermediate", "Distal")
    for k, finger in enumerate(("Thumb", "Index", "Middle", "Ring", "Little")):
        prev, y = "J_Bip_L_Hand", -0.03 + 0.015 * k
        names = ("Metacarpal", "Proximal", "Distal") if finger == "Thumb" else parts
        for n, part in enumerate(names):
            x = 0.83 + 0.025 * n
            bones.append((f"left{finger}{part}", prev, (x, y, 1.4), (x + 0.025, y, 1.4)))
            prev = bones[-1][0]
    found = _found(_rig(bones), "J_Bip_L_Hand")
    assert found["Thumb"] == ["leftThumbMetacarpal", "leftThumbProximal", "leftThumbDistal"]
    assert found["Pinky"] == ["leftLittleProximal", "leftLittleIntermediate", "leftLittleDistal"]


def test_a_hand_with_too_few_fingers_is_left_alone_with_a_note() -> None:
    from core.retarget.fingers import drive_hands
    from core.retarget.solve import RetargetResult

    rig = _rig(_body() + _hand("hand.L", "{finger}.0{n}.L", fingers=("thumb",)))
    hands = find_fingers(rig, BoneMap({**BODY, "l_wrist": "hand.L"}))
    t, b = 3, len(rig.names)
    result = RetargetResult((0,), np.tile(np.eye(3), (t, 1, 1, 1)), 0, np.zeros((t, 3)),
                            np.tile(np.eye(4), (t, b, 1, 1)), np.zeros((t, 17, 3)), 1.0, np.eye(3))  # fmt: skip
    out, notes = drive_hands(result, rig, hands, {"left": np.tile(np.eye(3), (t, 16, 1, 1))})
    assert out.driven == (0,) and notes == ["left hand: fewer than two fingers found, hand and fingers not driven"]
