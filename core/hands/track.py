"""A clip's hands, from the raw detections to what the bake keys (issue 14).

1. :func:`attach_hands`: each frame's hands attached to the cleaned body's wrists (``core.hands.detect``), so the
   body's left/right repair decides the side, never MediaPipe's label.
2. :func:`hand_motion`: per hand and frame the finger angles (``core.hands.angles``, clamped to the anatomical
   limits) and the palm rotation in Blender world axes, from MediaPipe's metric hand landmarks (camera axes) turned
   by the capture's levelling (``core.world.place``), its bend at the wrist limited (:func:`limit_wrist`). The palm
   is kept relative to the lifted forearm while it is
   filled and smoothed, so a hand stays on its arm: gaps up to ``MAX_FILL_S`` are interpolated; longer ones (and the
   clip's ends) ease over ``BLEND_S`` into a relaxed hand in line with the forearm and are not ``present``.
   Zero-phase One-Euro smoothing (the capture's strength) follows; it adapts to speed, so a fast grab keeps its
   timing. One hand shape per capture (:func:`measure_shape`), like the body's one set of bone lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..bake_math import rest_pose, world_rotations
from ..postprocess import camera_to_blender
from ..rig_layout import BONE_INDEX, BONES
from ..rotations import make_continuous, matrix_to_quaternion, quaternion_to_matrix
from ..skeleton import JOINT_INDEX
from ..smoothing import smooth
from ..world.ground import CAMERA_UP, rotation_between
from .angles import CHAINS, _rotate, finger_angles, limits, palm_frame, to_palm
from .detect import assign_to_wrists, unpack_hands
from .rig import FOREARM, MIRROR, REST_PALM, SIDES, TEMPLATE, HandShape

MAX_FILL_S = 0.25  # a hand lost for longer is not guessed: it eases into the relaxed hand
BLEND_S = 0.2
MIN_SHAPE_FRAMES = 10  # hand-frames needed to measure the capture's hand shape (else the template hand)
# A relaxed hand (degrees; [spread, flex1, flex2, flex3] per finger): the fingers slightly curled, more towards the
# little finger, as a hand hangs at rest.
RELAXED = np.array([[0, 10, 10, 10], [0, 10, 15, 10], [0, 12, 18, 10], [0, 14, 20, 12], [0, 16, 22, 12]], float)
# Filter scale: angles (radians) and quaternion components are filtered as the arc they sweep at this radius (m), so
# the One-Euro speed threshold, tuned on joints in metres, means a finger-sized motion.
ARC_RADIUS_M = 0.05
WRISTS = (JOINT_INDEX["l_wrist"], JOINT_INDEX["r_wrist"])
FOREARMS = [BONE_INDEX[FOREARM[s]] for s in SIDES]
# The rest hand's palm relative to the rest forearm, as quaternions (left, right): a lost hand eases into it.
NEUTRAL_PALM = [matrix_to_quaternion(rest_pose(np.ones(len(BONES))).matrices[f].T @ REST_PALM[s])
                for f, s in zip(FOREARMS, SIDES, strict=True)]  # fmt: skip
# The palm's forward axis stays within this of the forearm's: the wrist flexes ≈ 70–80° and extends ≈ 60–70°
# (approximate active ranges); MediaPipe's 3D of a small or edge-on hand sometimes says more.
WRIST_SWING_DEG = 85.0


@dataclass
class HandTrack:
    """Hands attached to wrists (axis 1: left, right): ``xy`` (T, 2, 21, 2) px, ``world`` (T, 2, 21, 3) m (camera
    axes, MediaPipe's metric hand landmarks), NaN where unseen; ``seen`` (T, 2) bool; ``confidence`` (T, 2)
    MediaPipe's hand score (0 where unseen)."""

    xy: np.ndarray
    world: np.ndarray
    seen: np.ndarray
    confidence: np.ndarray | None = None


@dataclass
class HandMotion:
    """What the bake keys (axis 1: left, right). ``angles`` (T, 2, 5, 4) degrees, within the limits; ``rotation``
    (T, 2, 3, 3) palm rotation, Blender world ← palm model (core.hands.rig); ``seen`` (T, 2) detected;
    ``present`` (T, 2) detected or filled over a short gap; ``shape`` the capture's hand."""

    angles: np.ndarray
    rotation: np.ndarray
    seen: np.ndarray
    present: np.ndarray
    shape: HandShape


def attach_hands(raw: dict[str, np.ndarray], body_xy: np.ndarray) -> HandTrack:
    """Raw per-frame hands (``core.detect.Track2D.hands``) → hands on the body's wrists (``body_xy`` (T, 17, 2) px,
    the cleaned track)."""
    t = len(body_xy)
    xy, world = np.full((t, 2, 21, 2), np.nan), np.full((t, 2, 21, 3), np.nan)
    confidence = np.zeros((t, 2))
    for i in range(t):
        attached = assign_to_wrists(unpack_hands(raw, i), body_xy[i, list(WRISTS)])
        for side, hand in enumerate(attached):
            if hand is not None:
                xy[i, side], world[i, side], confidence[i, side] = hand.xy, hand.world, hand.score
    return HandTrack(xy, world, np.isfinite(xy).all(axis=(2, 3)), confidence)


def measure_shape(track: HandTrack) -> HandShape:
    """The capture's hand from its seen hands (both sides, the left mirrored): median knuckles in the palm frame and
    median phalanx lengths; the template hand when fewer than MIN_SHAPE_FRAMES were seen or the result is not a
    plausible adult hand (wrist → middle knuckle 6–13 cm)."""
    palms = [to_palm(track.world[track.seen[:, s], s], mirror=s == 0) for s in range(2)]
    points = np.concatenate(palms)
    if len(points) < MIN_SHAPE_FRAMES:
        return TEMPLATE
    knuckles = np.median(points[:, [1, 5, 9, 13, 17]], axis=0)
    knuckles[:, 2] = 0.0  # in the palm plane (the model's convention)
    knuckles[2, 0] = 0.0  # the middle knuckle defines forward
    chains = np.array(CHAINS)
    lengths = np.median(np.linalg.norm(points[:, chains[:, 1:]] - points[:, chains[:, :-1]], axis=-1), axis=0)
    if not 0.06 <= knuckles[2, 1] <= 0.13:
        return TEMPLATE
    return HandShape(knuckles, lengths)


def camera_palms(world: np.ndarray, side: int) -> np.ndarray:
    """(T, 21, 3) camera-axes landmarks of one hand → (T, 3, 3) palm rotations (camera ← palm model, proper)."""
    if side == 0:  # left: the frame of the mirror image, mirrored back; the model is the mirrored one
        return MIRROR @ np.swapaxes(palm_frame(world, mirror=True), -1, -2) @ MIRROR
    return np.swapaxes(palm_frame(world), -1, -2)


def limit_wrist(relative: np.ndarray) -> np.ndarray:
    """(..., 3, 3) palm rotations in the forearm's frame (its Y axis along the forearm) with the palm's forward axis
    turned back to within WRIST_SWING_DEG of the forearm, about the axis that moves it least; the twist about the
    forearm (pronation) is kept."""
    forward = relative[..., :, 1]
    angle = np.degrees(np.arccos(np.clip(forward[..., 1], -1.0, 1.0)))
    excess = np.maximum(angle - WRIST_SWING_DEG, 0.0)
    axis = np.cross(forward, np.array([0.0, 1.0, 0.0]))
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    axis = np.where(norm > 1e-9, axis / np.maximum(norm, 1e-12), np.array([1.0, 0.0, 0.0]))
    columns = [_rotate(relative[..., :, k], axis, excess) for k in range(3)]
    return np.stack(columns, axis=-1)


def hand_motion(track: HandTrack, joints_world: np.ndarray, up_camera: np.ndarray, times: np.ndarray,
                smoothing: float) -> HandMotion:  # fmt: skip
    """Angles and palm rotations for the bake (module docstring). joints_world (T, 17, 3) the placed body;
    up_camera (3,) the capture's up direction in camera axes (``core.world.place.Placement.up_camera``)."""
    t = len(joints_world)
    to_world = camera_to_blender(np.eye(3)).T @ rotation_between(up_camera, CAMERA_UP)
    forearms = world_rotations(joints_world)[:, FOREARMS]  # (T, 2, 3, 3)
    angles, rotation = np.zeros((t, 2, 5, 4)), np.zeros((t, 2, 3, 3))
    present = np.zeros((t, 2), bool)
    for s in range(len(SIDES)):
        seen = track.seen[:, s]
        observed = np.zeros((t, 5, 4))
        relative = np.tile(np.eye(3), (t, 1, 1))
        if seen.any():
            observed[seen] = limits(finger_angles(track.world[seen, s], mirror=s == 0))
            palm = to_world @ camera_palms(track.world[seen, s], s)
            relative[seen] = limit_wrist(np.swapaxes(forearms[seen, s], -1, -2) @ palm)
        filled, present[:, s] = fill_hand(np.radians(observed.reshape(t, 20)) * ARC_RADIUS_M, seen, times,
                                          np.radians(RELAXED.ravel()) * ARC_RADIUS_M)  # fmt: skip
        quats = _continuous_where(matrix_to_quaternion(relative), seen)
        q_filled, _ = fill_hand(quats * ARC_RADIUS_M, seen, times, _near(NEUTRAL_PALM[s], quats, seen)
                                * ARC_RADIUS_M)  # fmt: skip
        if smoothing > 0:
            filled, q_filled = smooth(filled, times, smoothing, causal=False), smooth(q_filled, times, smoothing,
                                                                                     causal=False)  # fmt: skip
        angles[:, s] = limits(np.degrees(filled / ARC_RADIUS_M).reshape(t, 5, 4))
        q = q_filled / np.linalg.norm(q_filled, axis=-1, keepdims=True)
        rotation[:, s] = forearms[:, s] @ quaternion_to_matrix(q)
    return HandMotion(angles, rotation, track.seen.copy(), present, measure_shape(track))


def _continuous_where(quats: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(T, 4) quaternions with the sign flips removed along the seen frames (the others are not used)."""
    out = quats.copy()
    if seen.any():
        out[seen] = make_continuous(quats[seen])
    return out


def _near(q: np.ndarray, quats: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """``q`` or ``-q`` (the same rotation), whichever is nearer the seen quaternions (so blends take the short way)."""
    if seen.any() and float((quats[seen] @ q).mean()) < 0:
        return -q
    return q


def fill_hand(values: np.ndarray, seen: np.ndarray, times: np.ndarray,
              neutral: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fill (T, D) ``values`` where not ``seen``: gaps up to MAX_FILL_S between seen frames linearly; elsewhere
    ``neutral`` (D,), eased into from each seen edge over BLEND_S. Returns (filled (T, D), present (T,): seen or
    filled over a short gap)."""
    t = len(values)
    out = np.tile(np.asarray(neutral, dtype=np.float64), (t, 1))
    present = seen.copy()
    idx = np.flatnonzero(seen)
    if idx.size == 0:
        return out, present
    out[idx] = values[idx]
    frames = np.flatnonzero(~seen)
    after = np.searchsorted(idx, frames)  # the next seen frame's position in idx
    prev = idx[np.maximum(after - 1, 0)]
    nxt = idx[np.minimum(after, idx.size - 1)]
    has_prev, has_next = after > 0, after < idx.size
    short = has_prev & has_next & (times[nxt] - times[prev] <= MAX_FILL_S + 1e-9)
    w = np.where(short, (times[frames] - times[prev]) / np.maximum(times[nxt] - times[prev], 1e-9), 0.0)[:, None]
    interp = (1 - w) * values[prev] + w * values[nxt]
    w_prev = np.where(has_prev, np.clip(1 - (times[frames] - times[prev]) / BLEND_S, 0, 1), 0.0)
    w_next = np.where(has_next, np.clip(1 - (times[nxt] - times[frames]) / BLEND_S, 0, 1), 0.0)
    total = np.maximum(w_prev + w_next, 1.0)
    eased = neutral + ((w_prev / total)[:, None] * (values[prev] - neutral)
                       + (w_next / total)[:, None] * (values[nxt] - neutral))  # fmt: skip
    out[frames] = np.where(short[:, None], interp, eased)
    present[frames] = short
    return out, present
