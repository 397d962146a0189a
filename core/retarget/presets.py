"""Bone-name presets as data: which bone of a Mixamo, Rigify, VRM, VRoid, Unreal or generic rig plays each body role.

Roles are the 17 Human3.6M joints (core.skeleton.H36M_JOINTS) plus the two clavicles, each naming *the bone at that
body part*:

* limbs: the bone that starts at the joint (``l_hip`` → the left thigh, ``l_knee`` → the left shin, ``l_ankle`` →
  the left foot, ``l_shoulder`` → the upper arm, ``l_elbow`` → the forearm, ``l_wrist`` → the hand);
* trunk: ``pelvis`` → the hips/pelvis bone (it also receives the root translation unless the preset names a
  ``root_motion`` bone); ``spine`` → the *first* and ``thorax`` → the *last* bone of the spine chain (every bone on
  the parent path between them is driven too, see core.retarget.solve); ``neck`` → the first neck bone and ``head``
  → the head bone (the neck chain, same rule);
* ``l_clavicle``/``r_clavicle`` (optional): the shoulder/clavicle bone between the chest and the upper arm.

A preset lists, per role, candidate names tried in order (the first bone present wins), compared case-insensitively
and without an FBX namespace (``mixamorig:Hips`` matches ``Hips``). The generic preset is different: it lists
side-free *stems* that are matched with any side convention (core.retarget.sides).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..skeleton import H36M_JOINTS

CLAVICLE_ROLES: tuple[str, ...] = ("l_clavicle", "r_clavicle")
ROLES: tuple[str, ...] = H36M_JOINTS + CLAVICLE_ROLES
# Roles without which no retarget makes sense: the pelvis and chest frames need the hips, the thorax and the
# shoulders; a leg or an arm is only driven with both of its upper bones.
REQUIRED_ROLES: tuple[str, ...] = ("pelvis", "thorax", "l_hip", "r_hip", "l_knee", "r_knee", "l_shoulder",
                                   "r_shoulder", "l_elbow", "r_elbow")
# Detection weights: hands, feet and clavicles count less (many simple rigs lack them).
ROLE_WEIGHTS: dict[str, float] = {
    r: (0.25 if r in CLAVICLE_ROLES else 0.5 if r in ("l_wrist", "r_wrist", "l_ankle", "r_ankle") else 1.0)
    for r in ROLES
}


@dataclass(frozen=True)
class Preset:
    """A naming convention.

    name: identifier (also the JSON/UI key). label: shown in the UI. bones: role → candidate bone names.
    root_motion: candidates for the bone receiving the root translation (empty: the pelvis bone).
    required: bone names that must all exist for the preset to apply (e.g. Rigify's ``torso`` control).
    priority: breaks ties between presets that resolve equally well (the more specific convention wins).
    generic: candidates are side-free stems matched with any side convention (core.retarget.sides).
    """

    name: str
    label: str
    bones: dict[str, tuple[str, ...]]
    root_motion: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    priority: int = 0
    generic: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.bones) - set(ROLES))
        if unknown:
            raise ValueError(f"preset {self.name!r}: unknown roles {unknown} (roles are {ROLES})")
        empty = [r for r, names in self.bones.items() if not names or isinstance(names, str)]
        if empty:
            raise ValueError(f"preset {self.name!r}: roles {empty} need a tuple of candidate names")


def _limbs(left: str, right: str, **parts: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Role → candidates for both sides from ``{s}`` patterns keyed by side-free role (hip, knee, ..., clavicle)."""
    out: dict[str, tuple[str, ...]] = {}
    for role, patterns in parts.items():
        patterns = (patterns,) if isinstance(patterns, str) else patterns
        for prefix, side in (("l_", left), ("r_", right)):
            out[prefix + role] = tuple(p.format(s=side) for p in patterns)
    return out


MIXAMO = Preset(
    "mixamo", "Mixamo",
    {
        "pelvis": ("Hips",), "spine": ("Spine",), "thorax": ("Spine2", "Spine1"), "neck": ("Neck",),
        "head": ("Head",),
        **_limbs("Left", "Right", hip="{s}UpLeg", knee="{s}Leg", ankle="{s}Foot", clavicle="{s}Shoulder",
                 shoulder="{s}Arm", elbow="{s}ForeArm", wrist="{s}Hand"),
    },
    priority=30,
)

RIGIFY = Preset(
    "rigify", "Rigify (control rig)",
    {
        "pelvis": ("hips",), "spine": ("chest",), "thorax": ("chest",), "neck": ("neck",), "head": ("head",),
        **_limbs("L", "R", hip="thigh_fk.{s}", knee="shin_fk.{s}", ankle="foot_fk.{s}", clavicle="shoulder.{s}",
                 shoulder="upper_arm_fk.{s}", elbow="forearm_fk.{s}", wrist="hand_fk.{s}"),
    },
    root_motion=("torso",),
    required=("torso", "hips", "chest"),
    priority=50,  # a generated Rigify rig also holds DEF- bones: drive the controls when they exist
)

RIGIFY_DEFORM = Preset(
    "rigify_deform", "Rigify (deform bones / metarig)",
    {
        "pelvis": ("DEF-spine", "spine"), "spine": ("DEF-spine.001", "spine.001"),
        "thorax": ("DEF-spine.003", "spine.003"), "neck": ("DEF-spine.004", "spine.004"),
        "head": ("DEF-spine.006", "spine.006"),
        **_limbs("L", "R", hip=("DEF-thigh.{s}", "thigh.{s}"), knee=("DEF-shin.{s}", "shin.{s}"),
                 ankle=("DEF-foot.{s}", "foot.{s}"), clavicle=("DEF-shoulder.{s}", "shoulder.{s}"),
                 shoulder=("DEF-upper_arm.{s}", "upper_arm.{s}"), elbow=("DEF-forearm.{s}", "forearm.{s}"),
                 wrist=("DEF-hand.{s}", "hand.{s}")),
    },
    priority=40,
)

VRM = Preset(
    "vrm", "VRM (J_Bip)",
    {
        "pelvis": ("J_Bip_C_Hips",), "spine": ("J_Bip_C_Spine",),
        "thorax": ("J_Bip_C_UpperChest", "J_Bip_C_Chest"), "neck": ("J_Bip_C_Neck",), "head": ("J_Bip_C_Head",),
        **_limbs("L", "R", hip="J_Bip_{s}_UpperLeg", knee="J_Bip_{s}_LowerLeg", ankle="J_Bip_{s}_Foot",
                 clavicle="J_Bip_{s}_Shoulder", shoulder="J_Bip_{s}_UpperArm", elbow="J_Bip_{s}_LowerArm",
                 wrist="J_Bip_{s}_Hand"),
    },
    priority=40,
)

VRM_HUMANOID = Preset(
    "vrm_humanoid", "VRM humanoid names",
    {
        "pelvis": ("hips",), "spine": ("spine",), "thorax": ("upperChest", "chest"), "neck": ("neck",),
        "head": ("head",),
        **_limbs("left", "right", hip="{s}UpperLeg", knee="{s}LowerLeg", ankle="{s}Foot", clavicle="{s}Shoulder",
                 shoulder="{s}UpperArm", elbow="{s}LowerArm", wrist="{s}Hand"),
    },
    priority=35,
)

# VRoid avatars converted for Blender (CATS / MMD English names): "Left leg" is the thigh, "Left knee" the shin.
VROID_ENGLISH = Preset(
    "vroid_english", "VRoid / MMD English names",
    {
        "pelvis": ("Hips",), "spine": ("Spine",), "thorax": ("Upper Chest", "Chest"), "neck": ("Neck",),
        "head": ("Head",),
        **_limbs("Left", "Right", hip="{s} leg", knee="{s} knee", ankle="{s} ankle", clavicle="{s} shoulder",
                 shoulder="{s} arm", elbow="{s} elbow", wrist="{s} wrist"),
    },
    priority=38,
)

UNREAL = Preset(
    "unreal", "Unreal Engine mannequin",
    {
        "pelvis": ("pelvis",), "spine": ("spine_01",), "thorax": ("spine_05", "spine_03"),
        "neck": ("neck_01",), "head": ("head",),
        **_limbs("l", "r", hip="thigh_{s}", knee="calf_{s}", ankle="foot_{s}", clavicle="clavicle_{s}",
                 shoulder="upperarm_{s}", elbow="lowerarm_{s}", wrist="hand_{s}"),
    },
    priority=40,
)

# Side-free stems (normalised: lower case, no separators), most specific first.
GENERIC = Preset(
    "generic", "Generic names",
    {
        "pelvis": ("hips", "pelvis", "hip", "root"),
        "spine": ("spine", "spine01", "spine1", "abdomen", "waist", "lowerback"),
        "thorax": ("upperchest", "chest", "thorax", "spine05", "spine04", "spine03", "spine3", "spine2", "spine02",
                   "spine1", "spine01", "upperback"),
        "neck": ("neck", "neck01", "neck1"),
        "head": ("head",),
        **{f"{p}_{role}": stems for p in ("l", "r") for role, stems in {
            "hip": ("upleg", "upperleg", "thigh", "femur", "leg1", "hip"),
            "knee": ("leg", "lowerleg", "shin", "calf", "knee", "leg2", "loleg"),
            "ankle": ("foot", "ankle"),
            "clavicle": ("shoulder", "clavicle", "collar"),
            "shoulder": ("arm", "upperarm", "uparm", "humerus", "arm1"),
            "elbow": ("forearm", "lowerarm", "elbow", "loarm", "arm2"),
            "wrist": ("hand", "wrist"),
        }.items()},
    },
    generic=True,
)

BUILTIN_PRESETS: tuple[Preset, ...] = (RIGIFY, RIGIFY_DEFORM, VRM, UNREAL, VROID_ENGLISH, VRM_HUMANOID, MIXAMO, GENERIC)
PRESETS_BY_NAME: dict[str, Preset] = {p.name: p for p in BUILTIN_PRESETS}

# What each role means, for the mapping list in the UI.
ROLE_LABELS: dict[str, str] = {
    "pelvis": "Pelvis / Hips", "spine": "Spine (first bone)", "thorax": "Chest (last spine bone)", "neck": "Neck",
    "head": "Head",
    **{f"{p}_{role}": f"{side} {label}" for p, side in (("l", "Left"), ("r", "Right")) for role, label in (
        ("clavicle", "Clavicle"), ("shoulder", "Upper Arm"), ("elbow", "Forearm"), ("wrist", "Hand"),
        ("hip", "Thigh"), ("knee", "Shin"), ("ankle", "Foot"))},
}
