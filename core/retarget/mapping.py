"""Bone maps: resolving a preset against a rig's bone names, auto-detecting the preset, and preset files (JSON).

Auto-detection scores every built-in preset on the rig's bone names: the weighted fraction of roles it resolves
(core.retarget.presets.ROLE_WEIGHTS), halved when a required role (pelvis, hips, thorax) stays unresolved, zero when
a name the preset requires is absent. The best score wins; ties go to the higher priority (a generated Rigify rig
resolves both the control and the DEF- presets fully: the controls win).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .presets import BUILTIN_PRESETS, REQUIRED_ROLES, ROLE_WEIGHTS, ROLES, Preset
from .sides import name_key, normalize_stem, strip_namespace

FILE_FORMAT = "video_mocap.retarget_mapping"
FILE_VERSION = 1
# Roles that may share one bone: a one-bone spine chain (spine = thorax) or neck chain (neck = head).
_SHAREABLE = ({"spine", "thorax"}, {"neck", "head"})


@dataclass(frozen=True)
class BoneMap:
    """role → target bone name (core.retarget.presets.ROLES; unmapped roles are absent).

    root_motion: the bone that receives the root translation (None: the pelvis bone). preset: where it came from.
    """

    bones: dict[str, str]
    root_motion: str | None = None
    preset: str = "custom"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.bones) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; valid roles are {', '.join(ROLES)}")
        blank = sorted(r for r, b in self.bones.items() if not isinstance(b, str) or not b.strip())
        if blank:
            raise ValueError(f"roles {blank} map to an empty bone name (remove them instead)")
        by_bone: dict[str, set[str]] = {}
        for role, bone in self.bones.items():
            by_bone.setdefault(bone, set()).add(role)
        for bone, roles in by_bone.items():
            if len(roles) > 1 and roles not in _SHAREABLE:
                raise ValueError(f"bone {bone!r} is mapped to several roles {sorted(roles)}")

    def missing_bones(self, bone_names: list[str] | tuple[str, ...]) -> list[str]:
        """Mapped names (and the root-motion bone) that the rig does not have."""
        present = set(bone_names)
        wanted = list(self.bones.values()) + ([self.root_motion] if self.root_motion else [])
        return sorted({b for b in wanted if b not in present})

    def missing_required(self) -> list[str]:
        return [r for r in REQUIRED_ROLES if r not in self.bones]


@dataclass(frozen=True)
class Detection:
    """The detected preset, its bone map, its score (0..1), the roles it left unmapped and every preset's score."""

    preset: Preset
    mapping: BoneMap
    score: float
    unmapped: tuple[str, ...]
    scores: dict[str, float] = field(default_factory=dict)


def _exact_index(names: list[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name in names:
        index.setdefault(strip_namespace(name).lower(), name)
    return index


def _generic_index(names: list[str]) -> dict[tuple[str | None, str], str]:
    index: dict[tuple[str | None, str], str] = {}
    for name in names:
        index.setdefault(name_key(name), name)
    return index


def resolve_preset(preset: Preset, bone_names: list[str] | tuple[str, ...]) -> BoneMap:
    """The bone map a preset gives on a rig: for each role, the first candidate the rig has (roles left out if none).

    A bone is used for one role only, except a one-bone spine (spine = thorax) or neck (neck = head) chain.
    """
    names = list(bone_names)
    exact = _exact_index(names)
    generic = _generic_index(names) if preset.generic else {}
    bones: dict[str, str] = {}
    used: dict[str, str] = {}  # bone → role
    for role in ROLES:
        side = {"l": "L", "r": "R"}.get(role.split("_")[0]) if role[1] == "_" else None
        for candidate in preset.bones.get(role, ()):
            if preset.generic:
                found = generic.get((side, normalize_stem(candidate)))
            else:
                found = exact.get(strip_namespace(candidate).lower())
            if found is not None and (found not in used or {role, used[found]} in _SHAREABLE):
                bones[role] = found
                used.setdefault(found, role)
                break
    # A generic rig with a single spine bone: that bone is the whole spine chain. (Named conventions list their
    # chest bones explicitly; letting them fall back would make e.g. Mixamo claim rigs that lack Spine1/Spine2.)
    if preset.generic and "spine" in bones and "thorax" not in bones:
        bones["thorax"] = bones["spine"]
    root = next((exact[c.lower()] for c in preset.root_motion if c.lower() in exact), None)
    return BoneMap(bones, root, preset.name)


def score_mapping(preset: Preset, mapping: BoneMap, bone_names: list[str] | tuple[str, ...]) -> float:
    """Weighted fraction of roles resolved, halved if a required role is missing, 0 if a required name is absent."""
    lower = {strip_namespace(n).lower() for n in bone_names}
    if any(r.lower() not in lower for r in preset.required):
        return 0.0
    total = sum(ROLE_WEIGHTS.values())
    score = sum(ROLE_WEIGHTS[r] for r in mapping.bones) / total
    return score * (0.5 if mapping.missing_required() else 1.0)


def detect_preset(bone_names: list[str] | tuple[str, ...], presets: tuple[Preset, ...] = BUILTIN_PRESETS) -> Detection:
    """Pick the preset that best fits a rig's bone names (see the module docstring). Raises ValueError if none fits."""
    if not bone_names:
        raise ValueError("the target armature has no bones")
    best: tuple[float, int, Preset, BoneMap] | None = None
    scores: dict[str, float] = {}
    for preset in presets:
        mapping = resolve_preset(preset, bone_names)
        score = score_mapping(preset, mapping, bone_names)
        scores[preset.name] = round(score, 4)
        if best is None or (round(score, 6), preset.priority) > (round(best[0], 6), best[1]):
            best = (score, preset.priority, preset, mapping)
    assert best is not None
    score, _, preset, mapping = best
    if score <= 0.0:
        raise ValueError("no bone-name preset matches this armature: map the bones by hand (Retarget panel)")
    unmapped = tuple(r for r in ROLES if r not in mapping.bones)
    return Detection(preset, mapping, score, unmapped, scores)


# --- preset files ---------------------------------------------------------------------------------------------------

_FILE_KEYS = {"format", "version", "name", "bones", "root_motion"}


def mapping_to_json(mapping: BoneMap, name: str) -> str:
    """A preset file's text: {"format", "version", "name", "bones": {role: bone}, "root_motion"}."""
    doc = {"format": FILE_FORMAT, "version": FILE_VERSION, "name": name,
           "bones": {r: mapping.bones[r] for r in ROLES if r in mapping.bones}, "root_motion": mapping.root_motion}
    return json.dumps(doc, indent=2) + "\n"


def mapping_from_json(text: str, source: str = "<string>") -> BoneMap:
    """Parse a preset file. Raises ValueError naming `source` on any malformed or unknown content."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not a JSON file ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{source}: expected a JSON object")
    unknown = sorted(set(doc) - _FILE_KEYS)
    if unknown:
        raise ValueError(f"{source}: unknown keys {unknown} (expected {sorted(_FILE_KEYS)})")
    if doc.get("format") != FILE_FORMAT:
        raise ValueError(f"{source}: not a Video Mocap retarget preset (format {doc.get('format')!r})")
    if doc.get("version") != FILE_VERSION:
        raise ValueError(f"{source}: unsupported preset version {doc.get('version')!r} (this add-on reads "
                         f"{FILE_VERSION})")
    bones = doc.get("bones")
    if not isinstance(bones, dict) or not all(isinstance(v, str) for v in bones.values()):
        raise ValueError(f"{source}: 'bones' must map role names to bone names")
    root = doc.get("root_motion")
    if root is not None and not isinstance(root, str):
        raise ValueError(f"{source}: 'root_motion' must be a bone name or null")
    try:
        return BoneMap(dict(bones), root or None, str(doc.get("name", "custom")))
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def save_mapping(path: str | Path, mapping: BoneMap, name: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".json":
        path = path.with_suffix(".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mapping_to_json(mapping, name), encoding="utf-8")
    return path


def load_mapping(path: str | Path) -> BoneMap:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"preset file not found: {path}")
    return mapping_from_json(path.read_text(encoding="utf-8"), str(path))
