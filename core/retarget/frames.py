"""Segment frames: one rotation per body segment, built the same way on the source motion and on the target's rest.

Retargeting by rotations needs, for every driven target bone, an orientation of "its" body segment on the source at
each frame and on the target at rest (core.retarget.solve). Both are built here from points with the same recipe,
so a T-pose and an A-pose target give the same motion:

* pelvis: Y = the hip line (left hip − right hip), X from the pelvis' up (spine − pelvis);
* clavicle: Y = thorax → shoulder (on a target: the clavicle bone's head → shoulder), X from the chest's up;
* limbs: Y = the segment (hip → knee, knee → ankle, shoulder → elbow, elbow → wrist), X = the limb's hinge axis:
  the normal of the limb plane (upper × lower) when the knee/elbow is bent, blended smoothly (between 5° and 25° of
  bend) into a *swing-transported* hinge when it is straight: the hinge of a canonical pose (leg straight down,
  arm straight out sideways; hinge = lateral axis for legs, arm × forward for arms) carried by the smallest rotation
  from the canonical limb direction to the current one, in the pelvis (legs) or chest (arms) frame. A knee cannot
  bend forwards, so a leg's plane normal is flipped to agree with that reference (noise near straight legs);
* spine and neck chains: the source polyline (pelvis → spine → thorax, thorax → neck → head) is sampled at the
  arc-length fractions of the target chain's joints and each bone takes the chord between its samples, so a chain
  of any length follows the source curve (exactly when its joints fall on the source joints; a bone spanning a
  source joint is a chord there, a fraction of a degree off the whole chain's direction); each bone's X blends
  from the hip line into the shoulder line along the spine.

Shapes: T frames, J = 17 joints (core.skeleton order), N chain bones. All points in one common space.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX as J
from .rotations import frame, swing, unit

_BEND_START = np.sin(np.radians(5.0))
_BEND_FULL = np.sin(np.radians(25.0))

# Limb segment name → (upper joint, lower joint, end joint, which part of the limb: 0 upper / 1 lower).
LIMB_SEGMENTS: dict[str, tuple[str, str, str, int]] = {
    f"{s}_{part}": (f"{s}_{a}", f"{s}_{b}", f"{s}_{c}", k)
    for s in ("l", "r")
    for (a, b, c), names in ((("hip", "knee", "ankle"), ("thigh", "shin")),
                             (("shoulder", "elbow", "wrist"), ("upper_arm", "forearm")))
    for k, part in enumerate(names)
}


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def torso_axes(joints: np.ndarray) -> dict[str, np.ndarray]:
    """Lateral/up/forward unit axes of the pelvis and the chest. joints (..., J, 3) → dict of (..., 3).

    Forward = lateral × up (a character facing -Y with Z up has lateral +X).
    """
    hips = unit(joints[..., J["l_hip"], :] - joints[..., J["r_hip"], :])
    shoulders = unit(joints[..., J["l_shoulder"], :] - joints[..., J["r_shoulder"], :])
    pelvis_up = frame(joints[..., J["spine"], :] - joints[..., J["pelvis"], :], hips)[..., :, 1]
    chest_up = joints[..., J["thorax"], :] - joints[..., J["spine"], :]
    pelvis_lat = frame(pelvis_up, hips)[..., :, 0]
    chest_lat = frame(chest_up, shoulders)[..., :, 0]
    chest_up = unit(chest_up)
    return {"pelvis_lat": pelvis_lat, "pelvis_up": pelvis_up, "pelvis_fwd": np.cross(pelvis_lat, pelvis_up),
            "chest_lat": chest_lat, "chest_up": chest_up, "chest_fwd": np.cross(chest_lat, chest_up)}


def limb_hinge(joints: np.ndarray, side: str, limb: str, axes: dict[str, np.ndarray]) -> np.ndarray:
    """The hinge axis (knee or elbow) of one limb, see the module docstring. joints (..., J, 3) → (..., 3)."""
    upper, mid, end = (("hip", "knee", "ankle") if limb == "leg" else ("shoulder", "elbow", "wrist"))
    a = unit(joints[..., J[f"{side}_{mid}"], :] - joints[..., J[f"{side}_{upper}"], :])
    b = unit(joints[..., J[f"{side}_{end}"], :] - joints[..., J[f"{side}_{mid}"], :])
    sign = 1.0 if side == "l" else -1.0
    if limb == "leg":
        canon_dir, canon_hinge = -axes["pelvis_up"], axes["pelvis_lat"]
    else:
        canon_dir = sign * axes["chest_lat"]
        canon_hinge = np.cross(canon_dir, axes["chest_fwd"])
    reference = (swing(canon_dir, a) @ canon_hinge[..., None])[..., 0]
    normal = np.cross(a, b)
    bend = np.linalg.norm(normal, axis=-1, keepdims=True)
    normal = unit(normal, reference)
    if limb == "leg":
        normal = np.where(np.sum(normal * reference, -1, keepdims=True) < 0, -normal, normal)
    weight = _smoothstep((bend - _BEND_START) / (_BEND_FULL - _BEND_START))
    return unit(weight * normal + (1 - weight) * reference, reference)


def segment_frames(joints: np.ndarray) -> dict[str, np.ndarray]:
    """Frames of the pelvis, clavicles and limb segments. joints (..., J, 3) → dict name → (..., 3, 3).

    Names: "pelvis", "l_clavicle", "r_clavicle" and the keys of LIMB_SEGMENTS.
    """
    joints = np.asarray(joints, dtype=np.float64)
    axes = torso_axes(joints)
    out = {"pelvis": frame(axes["pelvis_lat"], axes["pelvis_up"])}
    for s in ("l", "r"):
        out[f"{s}_clavicle"] = frame(joints[..., J[f"{s}_shoulder"], :] - joints[..., J["thorax"], :],
                                     axes["chest_up"])
        for limb in ("leg", "arm"):
            hinge = limb_hinge(joints, s, limb, axes)
            for name, (upper, mid, end, part) in LIMB_SEGMENTS.items():
                if name.startswith(f"{s}_") and (name.endswith(("thigh", "shin")) == (limb == "leg")):
                    a, b = (upper, mid) if part == 0 else (mid, end)
                    out[name] = frame(joints[..., J[b], :] - joints[..., J[a], :], hinge)
    return out


def sample_polyline(points: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Points at arc-length fractions along polylines.

    Args: points (T, K+1, 3) polyline vertices; fractions (M,) in [0, 1]. Returns: (T, M, 3).
    """
    seg = np.linalg.norm(np.diff(points, axis=1), axis=-1)  # (T, K)
    cum = np.concatenate([np.zeros((len(points), 1)), np.cumsum(seg, axis=1)], axis=1)  # (T, K+1)
    total = np.maximum(cum[:, -1:], 1e-12)
    s = np.asarray(fractions, dtype=np.float64)[None, :] * total  # (T, M)
    k = np.clip(np.sum(cum[:, None, 1:-1] <= s[:, :, None], axis=-1), 0, seg.shape[1] - 1)  # segment per sample
    start = np.take_along_axis(cum, k, axis=1)
    length = np.maximum(np.take_along_axis(seg, k, axis=1), 1e-12)
    w = np.clip((s - start) / length, 0.0, 1.0)[..., None]
    p0 = np.take_along_axis(points, k[..., None], axis=1)
    p1 = np.take_along_axis(points, (k + 1)[..., None], axis=1)
    return p0 * (1 - w) + p1 * w


def chain_fractions(points: np.ndarray) -> np.ndarray:
    """Cumulative arc-length fractions of a chain's joints. points (N+1, 3) → (N+1,) from 0 to 1."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=-1)
    if seg.sum() <= 1e-9:
        raise ValueError("a spine/neck chain has zero length (its bones sit on top of each other)")
    return np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()


def chain_frames(points: np.ndarray, fractions: np.ndarray, lat_start: np.ndarray,
                 lat_end: np.ndarray) -> np.ndarray:
    """Frames of N chain bones fitted along a polyline.

    Args: points (T, K+1, 3) the polyline; fractions (N+1,) the chain joints' arc-length fractions; lat_start,
    lat_end (T, 3) lateral directions at the chain's start and end (X of each bone blends between them).
    Returns: (T, N, 3, 3).
    """
    fitted = sample_polyline(points, fractions)  # (T, N+1, 3)
    mids = 0.5 * (fractions[1:] + fractions[:-1])  # (N,)
    lateral = (1 - mids)[None, :, None] * lat_start[:, None] + mids[None, :, None] * lat_end[:, None]
    return frame(np.diff(fitted, axis=1), lateral)
