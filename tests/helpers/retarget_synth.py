"""Synthetic data for the retarget tests: a walk with exactly planted feet, and target rigs in five conventions.

The walk is built in joint space (Blender world, metres, Z up, facing and walking towards -Y) with constant segment
lengths: feet pinned during stance, knees by two-bone IK, a swaying, counter-rotating torso, swinging and rising
arms with bent elbows, a turning head. Target rigs are data (name, parent, head, tail, roll): proportions, rest pose
(T or A), number of spine/neck bones, rolls and naming convention all vary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.bake_math import forward_kinematics, median_bone_lengths, rest_pose
from core.rig_layout import BONES
from core.skeleton import JOINT_INDEX as J

FPS = 30.0
PERIOD = 1.0  # s per gait cycle
SPEED = 0.8  # m/s
STANCE = 0.6  # fraction of the cycle a foot is planted


def _rot(axis: str, angle: np.ndarray) -> np.ndarray:
    """(T,) angles → (T, 3, 3) rotations about a world axis."""
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(angle), np.zeros_like(angle)
    rows = {"x": [[o, z, z], [z, c, -s], [z, s, c]], "y": [[c, z, s], [z, o, z], [-s, z, c]],
            "z": [[c, -s, z], [s, c, z], [z, z, o]]}[axis]
    return np.moveaxis(np.array(rows), (0, 1), (-2, -1))


def _apply(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (r @ np.broadcast_to(v, r.shape[:-2] + (3,))[..., None])[..., 0]


def _foot(t: np.ndarray, offset: float, x: float) -> tuple[np.ndarray, np.ndarray]:
    """Ankle trajectory (T, 3) of one foot and its planted mask (T,)."""
    tau = t / PERIOD + offset
    k = np.floor(tau)
    phase = tau - k
    land = (k - offset) * PERIOD
    lead = SPEED * PERIOD * STANCE / 2  # the foot lands this far ahead of the pelvis
    y0 = -SPEED * land - lead
    y1 = y0 - SPEED * PERIOD
    s = np.clip((phase - STANCE) / (1 - STANCE), 0, 1)
    ease = s * s * (3 - 2 * s)
    planted = phase < STANCE
    y = np.where(planted, y0, y0 + (y1 - y0) * ease)
    z = np.where(planted, 0.0, 0.08 * np.sin(np.pi * s))
    return np.stack([np.full_like(t, x), y, z], axis=-1), planted


def walk(frames: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """A walk: joints (T, 17, 3) and the true planted-foot mask (T, 2) (left, right)."""
    t = np.arange(frames) / FPS
    w = 2 * np.pi * t / PERIOD
    out = np.zeros((frames, 17, 3))
    yaw = np.radians(8) * np.sin(w)
    pelvis = np.stack([0.02 * np.sin(w), -SPEED * t, 0.80 + 0.015 * np.cos(2 * w)], axis=-1)
    out[:, J["pelvis"]] = pelvis
    r_pelvis = _rot("z", yaw)
    for s, sign in (("l", 1.0), ("r", -1.0)):
        out[:, J[f"{s}_hip"]] = pelvis + _apply(r_pelvis, np.array([sign * 0.1, 0.0, 0.0]))
    thigh, shin = 0.44, 0.42
    planted = np.zeros((frames, 2), dtype=bool)
    for k, (s, offset, x) in enumerate((("l", 0.0, 0.1), ("r", 0.5, -0.1))):
        ankle, planted[:, k] = _foot(t, offset, x)
        hip = out[:, J[f"{s}_hip"]]
        to = ankle - hip
        d = np.linalg.norm(to, axis=-1, keepdims=True)
        assert np.all(d < thigh + shin), "the walk asks a leg to reach too far"
        direction = to / d
        forward = _apply(r_pelvis, np.array([0.0, -1.0, 0.0]))
        bend = forward - np.sum(forward * direction, -1, keepdims=True) * direction
        bend /= np.linalg.norm(bend, axis=-1, keepdims=True)
        along = (thigh**2 - shin**2 + d * d) / (2 * d)
        out[:, J[f"{s}_knee"]] = hip + along * direction + np.sqrt(thigh**2 - along**2) * bend
        out[:, J[f"{s}_ankle"]] = ankle
    lean = np.radians(6) + np.radians(3) * np.sin(2 * w)
    r_low = r_pelvis @ _rot("x", -lean)  # leaning forwards (towards -Y)
    out[:, J["spine"]] = pelvis + _apply(r_low, np.array([0.0, 0.0, 0.23]))
    r_chest = _rot("z", -1.5 * yaw) @ _rot("x", -lean - np.radians(4) * np.sin(w)) @ _rot("y", np.radians(4) *
                                                                                         np.sin(w))
    thorax = out[:, J["spine"]] + _apply(r_chest, np.array([0.0, 0.0, 0.26]))
    out[:, J["thorax"]] = thorax
    r_head = r_chest @ _rot("z", np.radians(25) * np.sin(0.5 * w)) @ _rot("x", np.radians(10) * np.sin(0.7 * w))
    out[:, J["neck"]] = thorax + _apply(r_head, np.array([0.0, -0.06, 0.105]))
    out[:, J["head"]] = out[:, J["neck"]] + _apply(r_head, np.array([0.0, 0.05, 0.16]))
    raise_ = np.radians(10) + np.radians(55) * (1 - np.cos(0.5 * w)) / 2  # arms rise sideways and come back
    for s, sign, phase in (("l", 1.0, np.pi), ("r", -1.0, 0.0)):
        shrug = _rot("y", -sign * np.radians(6) * np.sin(w + phase))
        shoulder = thorax + _apply(r_chest @ shrug, np.array([sign * 0.17, 0.0, -0.02]))
        swing_ = np.radians(25) * np.sin(w + phase)
        r_upper = r_chest @ _rot("y", sign * raise_) @ _rot("x", -swing_)
        elbow = shoulder + _apply(r_upper, np.array([0.0, 0.0, -0.29]))
        flex = np.radians(35) + np.radians(30) * (1 + np.sin(w + phase)) / 2
        wrist = elbow + _apply(r_upper @ _rot("x", -flex), np.array([0.0, 0.0, -0.26]))
        out[:, J[f"{s}_shoulder"]], out[:, J[f"{s}_elbow"]], out[:, J[f"{s}_wrist"]] = shoulder, elbow, wrist
    return out, planted


def source_rest_joints(joints: np.ndarray) -> np.ndarray:
    """The (17, 3) rest joints of the armature the bake builds for `joints` (a T-pose, median bone lengths)."""
    rest = rest_pose(median_bone_lengths(joints))
    ident = np.zeros((1, len(BONES), 4))
    ident[..., 0] = 1.0
    return forward_kinematics(rest, ident, np.zeros((1, 3)))[0]


# --- target rigs -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoneDef:
    name: str
    parent: str | None
    head: tuple[float, float, float]
    tail: tuple[float, float, float]
    roll: float


@dataclass(frozen=True)
class RigDef:
    """A target rig: bones (parents first), the preset auto-detection must pick, and the object's transform."""

    name: str
    bones: tuple[BoneDef, ...]
    preset: str
    location: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation_z: float = 0.0  # radians, the object's rotation about world Z
    scale: float = 1.0  # the object's uniform scale; bone coordinates are divided by it
    euler: str | None = None  # rotation mode of every pose bone (None: quaternion)


# Per convention: names of pelvis, spine chain, neck chain, head, then per side (with {s}) clavicle, upper arm,
# forearm, hand, thigh, shin, foot; the side tokens; an optional root and extras.
CONVENTIONS: dict[str, dict] = {
    "mixamo": dict(pelvis="mixamorig:Hips", spine=("mixamorig:Spine", "mixamorig:Spine1", "mixamorig:Spine2"),
                   neck=("mixamorig:Neck",), head="mixamorig:Head", sides=("Left", "Right"),
                   limbs=("mixamorig:{s}Shoulder", "mixamorig:{s}Arm", "mixamorig:{s}ForeArm", "mixamorig:{s}Hand",
                          "mixamorig:{s}UpLeg", "mixamorig:{s}Leg", "mixamorig:{s}Foot")),
    "mixamo_plain": dict(pelvis="Hips", spine=("Spine", "Spine1", "Spine2"), neck=("Neck",), head="Head",
                         sides=("Left", "Right"),
                         limbs=("{s}Shoulder", "{s}Arm", "{s}ForeArm", "{s}Hand", "{s}UpLeg", "{s}Leg", "{s}Foot")),
    "generic": dict(pelvis="Hips", spine=("Spine", "Chest"), neck=("Neck",), head="Head", sides=("L", "R"),
                    limbs=("Shoulder.{s}", "UpperArm.{s}", "LowerArm.{s}", "Hand.{s}", "UpperLeg.{s}",
                           "LowerLeg.{s}", "Foot.{s}")),
    "vrm": dict(pelvis="J_Bip_C_Hips", spine=("J_Bip_C_Spine", "J_Bip_C_Chest", "J_Bip_C_UpperChest"),
                neck=("J_Bip_C_Neck",), head="J_Bip_C_Head", sides=("L", "R"),
                limbs=("J_Bip_{s}_Shoulder", "J_Bip_{s}_UpperArm", "J_Bip_{s}_LowerArm", "J_Bip_{s}_Hand",
                       "J_Bip_{s}_UpperLeg", "J_Bip_{s}_LowerLeg", "J_Bip_{s}_Foot")),
    "vrm_humanoid": dict(pelvis="hips", spine=("spine", "chest", "upperChest"), neck=("neck",), head="head",
                         sides=("left", "right"),
                         limbs=("{s}Shoulder", "{s}UpperArm", "{s}LowerArm", "{s}Hand", "{s}UpperLeg",
                                "{s}LowerLeg", "{s}Foot")),
    "unreal": dict(pelvis="pelvis", spine=tuple(f"spine_0{i}" for i in range(1, 6)), neck=("neck_01", "neck_02"),
                   head="head", sides=("l", "r"), root="root",
                   limbs=("clavicle_{s}", "upperarm_{s}", "lowerarm_{s}", "hand_{s}", "thigh_{s}", "calf_{s}",
                          "foot_{s}")),
}


@dataclass(frozen=True)
class Proportions:
    thigh: float = 0.44
    shin: float = 0.42
    upper_arm: float = 0.28
    forearm: float = 0.25
    torso: float = 0.5  # pelvis → neck base
    neck: float = 0.1
    hip_width: float = 0.1
    hip_drop: float = 0.05  # hips below the pelvis bone's head
    shoulder_width: float = 0.17
    arm_down: float = 0.0  # degrees below horizontal in the rest pose (0: T-pose, 45: A-pose)


def humanoid(convention: str, p: Proportions, seed: int, unit: float = 1.0,
             spine: tuple[str, ...] | None = None) -> list[BoneDef]:
    """A humanoid in a naming convention, facing -Y, ankles 7 cm above z = 0. Rolls random (seeded).
    unit: length unit (100: centimetres). spine: other spine bone names (any count) than the convention's."""
    c = dict(CONVENTIONS[convention])
    if spine is not None:
        c["spine"] = spine
    rng = np.random.default_rng(seed)
    bones: list[BoneDef] = []

    def add(name: str, parent: str | None, head: np.ndarray, tail: np.ndarray) -> None:
        bones.append(BoneDef(name, parent, tuple(np.asarray(head) * unit), tuple(np.asarray(tail) * unit),
                             float(rng.uniform(-np.pi, np.pi))))

    hip_z = 0.07 + p.thigh + p.shin
    pelvis = np.array([0.0, 0.0, hip_z + p.hip_drop])
    root = c.get("root")
    if root:
        add(root, None, np.zeros(3), np.array([0.0, 0.2, 0.0]))
    add(c["pelvis"], root, pelvis, pelvis + [0, 0, 0.08])
    thorax = pelvis + [0, 0, p.torso]
    start = pelvis + [0, 0, 0.06]
    pts = start + np.linspace(0, 1, len(c["spine"]) + 1)[:, None] * (thorax - start)
    parent = c["pelvis"]
    for k, name in enumerate(c["spine"]):
        add(name, parent, pts[k], pts[k + 1])
        parent = name
    chest = parent
    head_base = thorax + [0, 0.0, p.neck]
    pts = thorax + np.linspace(0, 1, len(c["neck"]) + 1)[:, None] * (head_base - thorax)
    for k, name in enumerate(c["neck"]):
        add(name, parent, pts[k], pts[k + 1])
        parent = name
    add(c["head"], parent, head_base, head_base + [0, 0, 0.2])
    down = np.radians(p.arm_down)
    for side, sign in zip(c["sides"], (1.0, -1.0)):
        clav, upper, fore, hand, thigh, shin, foot = (n.format(s=side) for n in c["limbs"])
        shoulder = thorax + [sign * p.shoulder_width, 0.0, -0.03]
        add(clav, chest, thorax + [sign * 0.03, -0.02, -0.02], shoulder)
        arm_dir = np.array([sign * np.cos(down), 0.0, -np.sin(down)])
        elbow = shoulder + arm_dir * p.upper_arm
        wrist = elbow + arm_dir * p.forearm
        add(upper, clav, shoulder, elbow)
        add(fore, upper, elbow, wrist)
        add(hand, fore, wrist, wrist + arm_dir * 0.08)
        hip = pelvis + [sign * p.hip_width, 0.0, -p.hip_drop]
        knee = hip - [0, 0, p.thigh]
        ankle = knee - [0, 0, p.shin]
        add(thigh, c["pelvis"], hip, knee)
        add(shin, thigh, knee, ankle)
        add(foot, shin, ankle, ankle + [0, -0.13, -0.05])
    return bones


def rigify(p: Proportions, seed: int) -> list[BoneDef]:
    """Rigify-style control rig (root, torso, hips, chest, FK limbs, shoulder controls) plus its DEF- bones."""
    rng = np.random.default_rng(seed)
    bones: list[BoneDef] = []

    def add(name: str, parent: str | None, head, tail) -> None:  # noqa: ANN001
        bones.append(BoneDef(name, parent, tuple(map(float, head)), tuple(map(float, tail)),
                             float(rng.uniform(-np.pi, np.pi))))

    hip_z = 0.07 + p.thigh + p.shin
    pelvis = np.array([0.0, 0.0, hip_z + p.hip_drop])
    pivot = pelvis + [0, 0, 0.12]
    thorax = pelvis + [0, 0, p.torso]
    add("root", None, [0, 0, 0], [0, 0.3, 0])
    add("torso", "root", pivot, pivot + [0, 0.25, 0])
    add("hips", "torso", pivot, pelvis)  # Rigify's hips control points down from the pivot
    add("chest", "torso", pivot, thorax)
    add("neck", "chest", thorax, thorax + [0, 0, p.neck])
    add("head", "neck", thorax + [0, 0, p.neck], thorax + [0, 0, p.neck + 0.2])
    add("DEF-spine", "root", pelvis, pivot)
    down = np.radians(p.arm_down)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        shoulder = thorax + [sign * p.shoulder_width, 0.0, -0.03]
        add(f"shoulder.{side}", "chest", thorax + [sign * 0.03, -0.02, -0.02], shoulder)
        arm_dir = np.array([sign * np.cos(down), 0.0, -np.sin(down)])
        elbow, wrist = shoulder + arm_dir * p.upper_arm, shoulder + arm_dir * (p.upper_arm + p.forearm)
        add(f"upper_arm_fk.{side}", f"shoulder.{side}", shoulder, elbow)
        add(f"forearm_fk.{side}", f"upper_arm_fk.{side}", elbow, wrist)
        add(f"hand_fk.{side}", f"forearm_fk.{side}", wrist, wrist + arm_dir * 0.08)
        hip = pelvis + [sign * p.hip_width, 0.0, -p.hip_drop]
        knee, ankle = hip - [0, 0, p.thigh], hip - [0, 0, p.thigh + p.shin]
        add(f"thigh_fk.{side}", "hips", hip, knee)
        add(f"shin_fk.{side}", f"thigh_fk.{side}", knee, ankle)
        add(f"foot_fk.{side}", f"shin_fk.{side}", ankle, ankle + [0, -0.13, -0.05])
        add(f"DEF-thigh.{side}", "DEF-spine", hip, knee)
        add(f"DEF-shin.{side}", f"DEF-thigh.{side}", knee, ankle)
    return bones


def same_proportions(rest: np.ndarray, seed: int) -> list[BoneDef]:
    """Mixamo-named bones (no prefix) whose joints are exactly the source rest joints `rest` (17, 3)."""
    rng = np.random.default_rng(seed)
    bones: list[BoneDef] = []

    def add(name: str, parent: str | None, head, tail) -> None:  # noqa: ANN001
        bones.append(BoneDef(name, parent, tuple(map(float, head)), tuple(map(float, tail)),
                             float(rng.uniform(-np.pi, np.pi))))

    r = {name: rest[i] for name, i in J.items()}
    up = np.array([0.0, 0.0, 0.1])
    mid = 0.5 * (r["spine"] + r["thorax"])
    add("Hips", None, r["pelvis"], r["pelvis"] + up)
    add("Spine", "Hips", r["pelvis"], r["spine"])
    add("Spine1", "Spine", r["spine"], mid)
    add("Spine2", "Spine1", mid, r["thorax"])
    add("Neck", "Spine2", r["thorax"], r["neck"])
    add("Head", "Neck", r["neck"], r["head"])
    for side, s in (("Left", "l"), ("Right", "r")):
        add(f"{side}Shoulder", "Spine2", r["thorax"], r[f"{s}_shoulder"])
        add(f"{side}Arm", f"{side}Shoulder", r[f"{s}_shoulder"], r[f"{s}_elbow"])
        add(f"{side}ForeArm", f"{side}Arm", r[f"{s}_elbow"], r[f"{s}_wrist"])
        add(f"{side}Hand", f"{side}ForeArm", r[f"{s}_wrist"], r[f"{s}_wrist"] + (r[f"{s}_wrist"] - r[f"{s}_elbow"])
            * 0.3)
        add(f"{side}UpLeg", "Hips", r[f"{s}_hip"], r[f"{s}_knee"])
        add(f"{side}Leg", f"{side}UpLeg", r[f"{s}_knee"], r[f"{s}_ankle"])
        add(f"{side}Foot", f"{side}Leg", r[f"{s}_ankle"], r[f"{s}_ankle"] + [0.0, -0.12, -0.04])
    return bones


def target_rigs(source_rest: np.ndarray) -> list[RigDef]:
    """The rigs every retarget test runs on: conventions × proportions × rest poses × spine lengths × transforms."""
    tall = Proportions(thigh=0.50, shin=0.47, upper_arm=0.31, forearm=0.27, torso=0.56, hip_width=0.12)
    short = Proportions(thigh=0.36, shin=0.33, upper_arm=0.22, forearm=0.2, torso=0.42, hip_width=0.09,
                        arm_down=45.0)
    return [
        RigDef("same_size", tuple(same_proportions(source_rest, 1)), "mixamo"),
        RigDef("mixamo_tall", tuple(humanoid("mixamo", tall, 2)), "mixamo", location=(1.5, 0.0, 0.0)),
        RigDef("generic_short_apose", tuple(humanoid("generic", short, 3)), "generic", euler="XYZ"),
        RigDef("vrm", tuple(humanoid("vrm", Proportions(arm_down=30.0), 4)), "vrm"),
        RigDef("vrm_humanoid", tuple(humanoid("vrm_humanoid", tall, 5)), "vrm_humanoid", euler="ZXY"),
        # Unreal: centimetres inside an object scaled by 0.01 and turned to face +X in the world.
        RigDef("unreal_apose_cm", tuple(humanoid("unreal", Proportions(arm_down=45.0, thigh=0.47), 6, unit=100.0)),
               "unreal", location=(-1.5, 0.5, 0.0), rotation_z=np.pi / 2, scale=0.01),
        RigDef("rigify", tuple(rigify(Proportions(shin=0.45, arm_down=20.0), 7)), "rigify"),
    ]


def numpy_rig(bones: list[BoneDef] | tuple[BoneDef, ...]):  # noqa: ANN201 - core.retarget.target.TargetRig
    """A TargetRig from bone definitions without Blender (rest Y along head→tail, X turned by the roll)."""
    from core.retarget.rotations import swing
    from core.retarget.target import TargetRig

    index = {b.name: i for i, b in enumerate(bones)}
    rest = np.zeros((len(bones), 4, 4))
    for i, b in enumerate(bones):
        head, tail = np.array(b.head), np.array(b.tail)
        c, s = np.cos(b.roll), np.sin(b.roll)
        roll = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        rest[i, :3, :3] = swing(np.array([0.0, 1.0, 0.0]), tail - head) @ roll
        rest[i, :3, 3], rest[i, 3, 3] = head, 1.0
    lengths = np.array([np.linalg.norm(np.subtract(b.tail, b.head)) for b in bones])
    parents = tuple(-1 if b.parent is None else index[b.parent] for b in bones)
    basis = np.broadcast_to(np.eye(4), (len(bones), 4, 4)).copy()
    return TargetRig(tuple(b.name for b in bones), parents, rest, lengths, basis)
