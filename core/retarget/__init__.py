"""Retargeting captured motion onto any humanoid armature (bpy-free; the Blender side is operators/retarget.py).

* sides.py: left/right and stems in bone names (``.L/.R``, ``_l/_r``, ``Left/Right``, ``L_/R_``, VRM ``_L_``).
* presets.py: bone-name presets as data (Mixamo, Rigify controls / deform, VRM, VRM humanoid, Unreal, generic).
* mapping.py: bone maps, preset resolution, auto-detection scoring, preset files (JSON).
* frames.py: segment frames built identically on the source motion and the target rest pose.
* target.py: the target rig as arrays, its chains and its body joints.
* solve.py: per-frame rotations with rest offsets, chains, root translation; Blender pose-bone keys.
* footlock.py: contact detection and foot locking by two-bone IK.

See docs/retarget.md.
"""

from .footlock import FootLockConfig, detect_contacts
from .mapping import BoneMap, Detection, detect_preset, load_mapping, resolve_preset, save_mapping
from .presets import BUILTIN_PRESETS, ROLES, Preset
from .solve import RetargetOptions, RetargetResult, retarget
from .target import TargetRig

__all__ = ["BUILTIN_PRESETS", "ROLES", "BoneMap", "Detection", "FootLockConfig", "Preset", "RetargetOptions",
           "RetargetResult", "TargetRig", "detect_contacts", "detect_preset", "load_mapping", "resolve_preset",
           "retarget", "save_mapping"]
