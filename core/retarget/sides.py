"""Left/right detection in bone names: ``.L/.R``, ``_l/_r``, ``Left/Right`` (any case, camelCase too), ``L_/R_``.

Rigs name sides in many ways: Blender/Rigify ``thigh.L``, Unreal ``thigh_l``, Mixamo ``LeftUpLeg``, VRM
``J_Bip_L_UpperLeg`` and ``leftUpperLeg``, Maya-style ``L_Thigh``. ``split_side`` returns the side and the name with
the side token removed, so a bone can be recognised from its side-free *stem* ("thigh", "upleg", ...). Blender's own
duplicate suffix (``.001``) is kept apart so ``DEF-thigh.L.001`` still reads as a left bone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEP = r"[._\- ]"
_NUMBERED = re.compile(r"^(?P<base>.*?)(?P<num>\.\d{3})?$")
# Order matters: the most explicit conventions first.
_SUFFIX = re.compile(rf"^(?P<stem>.+?){_SEP}(?P<side>[LRlr])$")  # thigh.L, thigh_l, Hand R
_PREFIX = re.compile(rf"^(?P<side>[LRlr]){_SEP}(?P<stem>.+)$")  # L_Thigh, r.arm
_INFIX = re.compile(rf"^(?P<pre>.+?){_SEP}(?P<side>[LR]){_SEP}(?P<post>.+)$")  # J_Bip_L_UpperLeg
_WORD = re.compile(r"(?i)(left|right)")


@dataclass(frozen=True)
class SidedName:
    """side: "L", "R" or None (a centre bone); stem: the name without the side token and without a namespace."""

    side: str | None
    stem: str


def strip_namespace(name: str) -> str:
    """``mixamorig:Hips`` → ``Hips`` (FBX namespaces; also ``mixamorig1:``, ``Character|Hips``)."""
    return re.split(r"[:|]", name)[-1]


def _word_side(name: str) -> SidedName | None:
    """Left/Right as a word: at the start or end, after a separator, or as a camelCase part (``upperLegLeft``)."""
    for match in _WORD.finditer(name):
        start, end = match.span()
        word = match.group(0)
        before_ok = start == 0 or not name[start - 1].isalpha() or word[0].isupper()
        after_ok = end == len(name) or not name[end].isalpha() or name[end].isupper()
        if before_ok and after_ok:
            stem = (name[:start] + name[end:]).strip("._- ")
            return SidedName("L" if word.lower() == "left" else "R", stem)
    return None


def split_side(name: str) -> SidedName:
    """Split a bone name into side and stem. Names without a recognised side token are centre bones (side None)."""
    base = strip_namespace(name)
    numbered = _NUMBERED.match(base)
    num = numbered.group("num") or "" if numbered else ""
    core = numbered.group("base") if numbered else base
    for pattern in (_SUFFIX, _PREFIX):
        match = pattern.match(core)
        if match:
            return SidedName(match.group("side").upper(), match.group("stem") + num)
    match = _INFIX.match(core)
    if match:
        return SidedName(match.group("side"), f"{match.group('pre')}_{match.group('post')}{num}")
    worded = _word_side(core)
    if worded is not None:
        return SidedName(worded.side, worded.stem + num)
    return SidedName(None, core + num)


def normalize_stem(stem: str) -> str:
    """Case- and separator-insensitive key of a stem: ``Upper_Arm`` → ``upperarm``, ``spine_01`` → ``spine01``."""
    return re.sub(r"[^a-z0-9]", "", stem.lower())


def name_key(name: str) -> tuple[str | None, str]:
    """(side, normalised stem) of a bone name: the key used to recognise bones whatever the side convention."""
    sided = split_side(name)
    return sided.side, normalize_stem(sided.stem)
