"""How the CMU BVH rigs map onto the 17 Human3.6M joints, as data.

Each H36M joint is the mean of the listed BVH joints (``<name>_End`` is the end site below ``<name>``). These are
*approximations* of Human3.6M's marker-based joints: CMU's joint centres come from a different marker set and
skeleton solver, so e.g. the spine and thorax sit at somewhat different heights along the back (docs/data.md).

Three rigs occur in ../shared/data/cmu (detected from the joint names, not the folder):

* ``mb``  — the MotionBuilder-friendly conversion (Hips, LeftUpLeg, ...), CMU length units.
* ``daz`` — the Daz-friendly generic skeleton (hip, lThigh, ...), centimetres. It has no head end site; the head
  top is approximated by the midpoint of the two eye joints (≈ 11 cm above and in front of the head joint, like
  mb's Head end site ≈ 10 cm above Head).
* ``asf`` — CMU's original ASF bone names (lfemur, ltibia, ...), CMU length units. ``daz/16/*`` uses this rig
  even though it sits in the daz folder (measured: offsets like 2.4 units per shin = 1.35 m would be absurd in cm).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..skeleton import H36M_JOINTS

CMU_UNIT_M = 0.0254 / 0.45  # one CMU length unit in metres (= 0.056444, CMU's ASF "length 0.45" inches)


@dataclass(frozen=True)
class RigMapping:
    """Sources of each H36M joint (in H36M_JOINTS order) and the rig's length unit in metres."""

    name: str
    metres_per_unit: float
    sources: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        if len(self.sources) != len(H36M_JOINTS) or any(len(s) == 0 for s in self.sources):
            raise ValueError(f"RigMapping {self.name!r}: need a non-empty source list for each of the 17 joints")
        if not self.metres_per_unit > 0:
            raise ValueError(f"RigMapping {self.name!r}: metres_per_unit must be positive")


def _mapping(name: str, unit: float, table: dict[str, tuple[str, ...]]) -> RigMapping:
    missing = set(H36M_JOINTS) - set(table)
    extra = set(table) - set(H36M_JOINTS)
    if missing or extra:
        raise ValueError(f"rig {name!r}: missing {sorted(missing)}, unknown {sorted(extra)}")
    return RigMapping(name, unit, tuple(table[j] for j in H36M_JOINTS))


MB = _mapping("mb", CMU_UNIT_M, {
    "pelvis": ("LeftUpLeg", "RightUpLeg"),  # CMU's Hips root sits ~12 cm above the hip-joint midpoint
    "r_hip": ("RightUpLeg",), "r_knee": ("RightLeg",), "r_ankle": ("RightFoot",),
    "l_hip": ("LeftUpLeg",), "l_knee": ("LeftLeg",), "l_ankle": ("LeftFoot",),
    "spine": ("Spine",), "thorax": ("Neck1",), "neck": ("Head",), "head": ("Head_End",),
    "l_shoulder": ("LeftArm",), "l_elbow": ("LeftForeArm",), "l_wrist": ("LeftHand",),
    "r_shoulder": ("RightArm",), "r_elbow": ("RightForeArm",), "r_wrist": ("RightHand",),
})  # fmt: skip

DAZ = _mapping("daz", 0.01, {
    "pelvis": ("lThigh", "rThigh"),
    "r_hip": ("rThigh",), "r_knee": ("rShin",), "r_ankle": ("rFoot",),
    "l_hip": ("lThigh",), "l_knee": ("lShin",), "l_ankle": ("lFoot",),
    "spine": ("abdomen",), "thorax": ("neck",), "neck": ("head",), "head": ("leftEye", "rightEye"),
    "l_shoulder": ("lShldr",), "l_elbow": ("lForeArm",), "l_wrist": ("lHand",),
    "r_shoulder": ("rShldr",), "r_elbow": ("rForeArm",), "r_wrist": ("rHand",),
})  # fmt: skip

ASF = _mapping("asf", CMU_UNIT_M, {
    "pelvis": ("lfemur", "rfemur"),
    "r_hip": ("rfemur",), "r_knee": ("rtibia",), "r_ankle": ("rfoot",),
    "l_hip": ("lfemur",), "l_knee": ("ltibia",), "l_ankle": ("lfoot",),
    "spine": ("upperback",), "thorax": ("upperneck",), "neck": ("head",), "head": ("head_End",),
    "l_shoulder": ("lhumerus",), "l_elbow": ("lradius",), "l_wrist": ("lwrist",),
    "r_shoulder": ("rhumerus",), "r_elbow": ("rradius",), "r_wrist": ("rwrist",),
})  # fmt: skip

RIGS: tuple[RigMapping, ...] = (MB, DAZ, ASF)


def detect_rig(joint_names: tuple[str, ...] | list[str]) -> RigMapping:
    """The rig whose source joints all exist in ``joint_names``; ValueError names what is missing otherwise."""
    names = set(joint_names)
    for rig in RIGS:
        if all(src in names for sources in rig.sources for src in sources):
            return rig
    needed = {rig.name: sorted({s for ss in rig.sources for s in ss} - names) for rig in RIGS}
    raise ValueError(f"unknown BVH rig: not mb, daz or asf (missing joints per rig: {needed})")
