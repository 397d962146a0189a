"""Finger joint angles from MediaPipe's 21 hand landmarks, with anatomical limits, and the hand they describe.

Landmarks (MediaPipe Hands): 0 wrist; thumb 1 CMC, 2 MCP, 3 IP, 4 tip; index 5 MCP, 6 PIP, 7 DIP, 8 tip; middle 9–12;
ring 13–16; pinky 17–20. Metric 3D (``multi_hand_world_landmarks``) or any 3D in one unit.

The palm frame (per hand and frame): origin at the wrist; ``forward`` wrist → middle MCP; ``normal`` the palm normal
(index MCP − wrist) × (pinky MCP − wrist), pointing out of the palm of a right hand (a left hand is mirrored first:
``mirror=True``); ``across = forward × normal`` (towards the thumb): a right-handed frame. Every finger is a chain
of three bones (proximal, middle, distal phalanx; for the thumb: metacarpal, proximal, distal) with four angles, in
degrees:

* ``spread``: the first bone's turn about the palm normal away from its rest direction (the metacarpal direction
  wrist → knuckle; for the thumb: the palm's forward direction), positive towards the thumb side;
* ``flex1``, ``flex2``, ``flex3``: each bone's bend towards the palm relative to the previous bone (the first one
  relative to the metacarpal direction, spread removed), about the finger's own lateral axis.

Twist about the bone axis is not observable from points and is taken as zero. The angles follow the
flexion-then-abduction convention of a hinge-and-saddle finger model; ``limits`` clamps them to ranges from the
hand-surgery literature (approximate, active range of motion: MCP −30…90°, PIP 0…110°, DIP −10…90°, abduction
±30°; thumb CMC/MCP/IP narrower).

Shapes: (..., 21, 3) landmarks; (..., 5, 4) angles [spread, flex1, flex2, flex3] for thumb, index, middle, ring,
pinky.
"""

from __future__ import annotations

import numpy as np

from ..retarget.rotations import unit

FINGERS = ("thumb", "index", "middle", "ring", "pinky")
CHAINS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))  # base, joints…, tip
WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
# (low, high) degrees per finger and angle [spread, flex1, flex2, flex3]: approximate active ranges.
LIMITS = np.array([
    [(-30, 60), (-20, 50), (-10, 60), (-20, 80)],  # thumb: CMC abduction, CMC, MCP, IP flexion
    [(-30, 30), (-30, 90), (0, 110), (-10, 90)],
    [(-30, 30), (-30, 90), (0, 110), (-10, 90)],
    [(-30, 30), (-30, 90), (0, 110), (-10, 90)],
    [(-30, 30), (-30, 90), (0, 110), (-10, 90)],
], dtype=float)  # fmt: skip


def palm_frame(landmarks: np.ndarray, mirror: bool = False) -> np.ndarray:
    """(..., 21, 3) → (..., 3, 3) rows ``across``, ``forward``, ``normal`` (right-handed; a left hand with
    ``mirror=True`` gets the frame of its mirror image, so both hands share one angle convention)."""
    p = landmarks * np.array([-1.0, 1.0, 1.0]) if mirror else landmarks
    forward = unit(p[..., MIDDLE_MCP, :] - p[..., WRIST, :])
    normal = unit(np.cross(p[..., INDEX_MCP, :] - p[..., WRIST, :], p[..., PINKY_MCP, :] - p[..., WRIST, :]))
    normal = unit(normal - (normal * forward).sum(-1, keepdims=True) * forward)
    across = np.cross(forward, normal)
    return np.stack([across, forward, normal], axis=-2)


def _signed_angle(a: np.ndarray, b: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Angle (degrees) from a to b about ``axis`` (vectors (..., 3), taken in the plane normal to axis)."""
    a = unit(a - (a * axis).sum(-1, keepdims=True) * axis)
    b = unit(b - (b * axis).sum(-1, keepdims=True) * axis)
    return np.degrees(np.arctan2((np.cross(a, b) * axis).sum(-1), (a * b).sum(-1)))


def to_palm(landmarks: np.ndarray, mirror: bool = False) -> np.ndarray:
    """(..., 21, 3) → the same points in the palm frame (x across, y forward, z normal; wrist at the origin)."""
    p = np.asarray(landmarks, dtype=float) * (np.array([-1.0, 1.0, 1.0]) if mirror else 1.0)
    frame = palm_frame(p)
    return np.einsum("...ij,...kj->...ki", frame, p - p[..., WRIST : WRIST + 1, :])


def finger_angles(landmarks: np.ndarray, mirror: bool = False) -> np.ndarray:
    """(..., 21, 3) landmarks → (..., 5, 4) angles in degrees (module docstring), not clamped. The exact inverse of
    :func:`hand_from_angles` on its own hands; measured points are projected onto each finger's bending plane."""
    q = to_palm(landmarks, mirror)
    normal = np.broadcast_to(np.array([0.0, 0.0, 1.0]), q.shape[:-2] + (3,))
    out = np.zeros(q.shape[:-2] + (5, 4))
    for f, chain in enumerate(CHAINS):
        rest = _rest_direction(q[..., chain[0], :], f, normal)
        bones = [unit(q[..., chain[k + 1], :] - q[..., chain[k], :]) for k in range(3)]
        direction = unit(bones[0] - (bones[0] * normal).sum(-1, keepdims=True) * normal)
        out[..., f, 0] = -_signed_angle(rest, direction, normal)
        lateral = unit(np.cross(direction, normal))  # flexion turns a bone towards the palm (+normal)
        previous = direction
        for k in range(3):
            out[..., f, k + 1] = _signed_angle(previous, bones[k], lateral)
            previous = bones[k]
    return out


def _rest_direction(base: np.ndarray, finger: int, normal: np.ndarray) -> np.ndarray:
    """A finger's zero-spread direction in the palm frame: its metacarpal (wrist → knuckle) in the palm plane; the
    thumb's: the palm's forward direction."""
    if finger == 0:
        return np.broadcast_to(np.array([0.0, 1.0, 0.0]), normal.shape)
    return unit(base - (base * normal).sum(-1, keepdims=True) * normal)


def _rotate(v: np.ndarray, axis: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rodrigues: rotate (..., 3) ``v`` about unit ``axis`` by ``degrees`` (...,)."""
    a = np.radians(degrees)[..., None]
    return v * np.cos(a) + np.cross(axis, v) * np.sin(a) + axis * (axis * v).sum(-1, keepdims=True) * (1 - np.cos(a))


def limits(angles: np.ndarray) -> np.ndarray:
    """(..., 5, 4) angles clamped to LIMITS."""
    return np.clip(angles, LIMITS[..., 0], LIMITS[..., 1])


def hand_from_angles(angles: np.ndarray, knuckles: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The right hand the angles describe, in its palm frame (x across, y forward, z normal; wrist at 0).

    Args:
        angles: (..., 5, 4) degrees. knuckles: (5, 3) the chain bases (thumb CMC, index…pinky MCP) in the palm frame,
            in the palm plane (z = 0). lengths: (5, 3) bone lengths per finger.
    Returns:
        (..., 21, 3) landmarks (the wrist at the origin).
    """
    angles = np.asarray(angles, dtype=float)
    shape = angles.shape[:-2]
    out = np.zeros(shape + (21, 3))
    normal = np.broadcast_to(np.array([0.0, 0.0, 1.0]), shape + (3,))
    for f, chain in enumerate(CHAINS):
        base = np.broadcast_to(np.asarray(knuckles[f], dtype=float), shape + (3,))
        out[..., chain[0], :] = base
        direction = _rotate(_rest_direction(base, f, normal), normal, -angles[..., f, 0])
        lateral = unit(np.cross(direction, normal))
        point = base
        for k in range(3):
            direction = _rotate(direction, lateral, angles[..., f, k + 1])
            point = point + direction * lengths[f, k]
            out[..., chain[k + 1], :] = point
    return out
