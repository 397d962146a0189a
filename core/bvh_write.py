"""BVH writing with a choice of up axis (Y up by default: what other tools expect).

Blender's own BVH exporter writes the armature's axes as they are (Z up) with no option, so Blender's importer with
its defaults and every Y-up tool show the figure lying down. This writer takes the armature as arrays (rest heads and
tails, parents) and each bone's pose rotation relative to its rest orientation in world axes; the Blender half
(``operators/export.py``) samples those from the evaluated armature.

The BVH model: a joint's OFFSET is its rest head relative to its parent's; its channels hold the rotation relative
to the parent (``L_b = G_parent^T G_b`` for world pose rotations ``G``), written as ``Zrotation Xrotation Yrotation``
(R = Rz·Rx·Ry on column vectors); the root also carries its position. Leaf bones get an End Site at their tail, so
every joint position — wrists, ankles, head top — survives the round trip. Axes: ``C`` maps our Z-up world to the
file's (Y up: (x, y, z) → (x, z, −y), which Blender's importer with its defaults ``-Z`` forward, ``Y`` up maps back);
positions become ``C p``, rotations ``C R Cᵀ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .rotations import matrix_to_euler

UP_AXES = ("Y", "Z")
_TO_FILE = {"Y": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]), "Z": np.eye(3)}


@dataclass
class BvhRig:
    """Bones in parent-before-child order: names, parent indices (-1 = root), rest heads and tails (B, 3), world."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    heads: np.ndarray
    tails: np.ndarray

    def __post_init__(self) -> None:
        B = len(self.names)
        if len(self.parents) != B or self.heads.shape != (B, 3) or self.tails.shape != (B, 3):
            raise ValueError("BvhRig: names, parents, heads and tails need one entry per bone")
        if any(p >= b for b, p in enumerate(self.parents)) or self.parents[0] != -1:
            raise ValueError("BvhRig: bone 0 must be the root and every parent must come before its children")


def write_bvh(
    path: str | Path,
    rig: BvhRig,
    rotations: np.ndarray,
    root_positions: np.ndarray,
    fps: float,
    *,
    up: str = "Y",
    scale: float = 1.0,
) -> None:
    """Write ``path``.

    Args:
        rig: the armature at rest (world axes, Z up, metres).
        rotations: (T, B, 3, 3) each bone's world pose rotation relative to its rest orientation.
        root_positions: (T, 3) the root bone's head in the world.
        fps: frames per second. up: "Y" or "Z", the file's up axis. scale: applied to every length (100: cm).
    """
    if up not in UP_AXES:
        raise ValueError(f"BVH up axis must be one of {UP_AXES}, got {up!r}")
    T, B = rotations.shape[:2]
    if rotations.shape != (T, B, 3, 3) or B != len(rig.names) or root_positions.shape != (T, 3) or T < 1:
        raise ValueError(f"write_bvh: rotations (T, {len(rig.names)}, 3, 3) and root positions (T, 3) needed")
    if not fps > 0 or not scale > 0:
        raise ValueError("write_bvh: fps and scale must be positive")
    C = _TO_FILE[up]
    parent_rot = np.stack([rotations[:, p] if p >= 0 else np.broadcast_to(np.eye(3), (T, 3, 3))
                           for p in rig.parents], axis=1)  # fmt: skip
    local = np.swapaxes(parent_rot, -1, -2) @ rotations  # (T, B, 3, 3)
    local = C @ local @ C.T
    angles = np.degrees(np.stack([matrix_to_euler(local[:, b], "YXZ") for b in range(B)], axis=1))  # (T, B, xyz)
    lines = ["HIERARCHY"]
    children: dict[int, list[int]] = {b: [] for b in range(B)}
    for b, p in enumerate(rig.parents):
        if p >= 0:
            children[p].append(b)

    def emit(b: int, depth: int) -> None:
        pad = "\t" * depth
        offset = rig.heads[b] - (rig.heads[rig.parents[b]] if rig.parents[b] >= 0 else rig.heads[b])
        kind = "ROOT" if rig.parents[b] < 0 else "JOINT"
        channels = "6 Xposition Yposition Zposition" if b == 0 else "3"
        lines.extend([f"{pad}{kind} {rig.names[b]}", f"{pad}{{", f"{pad}\tOFFSET {_vec(C @ offset * scale)}",
                      f"{pad}\tCHANNELS {channels} Zrotation Xrotation Yrotation"])  # fmt: skip
        for c in children[b]:
            emit(c, depth + 1)
        if not children[b]:
            end = C @ (rig.tails[b] - rig.heads[b]) * scale
            lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {_vec(end)}", f"{pad}\t}}"])
        lines.append(f"{pad}}}")

    emit(0, 0)
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {1.0 / fps:.8f}"]
    root = root_positions @ C.T * scale
    zxy = angles[..., [2, 0, 1]].reshape(T, -1)  # per bone: Z, X, Y as the CHANNELS lines say
    for t in range(T):
        lines.append(" ".join(f"{v:.6f}" for v in np.concatenate([root[t], zxy[t]])))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _vec(v: np.ndarray) -> str:
    return " ".join(f"{x:.6f}" for x in v)
