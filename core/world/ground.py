"""Gravity from the body: the up direction in camera space, and the rotation that levels the scene.

One view shows no horizon we can use, but a body that stands keeps its centre of mass above its support: over a
clip, the direction from the planted feet to the centre of mass is, on average, the up direction (exactly so for a
person standing or balancing; in mid-stride dynamics move it, so ``core.world.place`` uses the quasi-static frames).
Unlike "the trunk is vertical" this keeps a real lean: a person leaning sideways moves the hips the other way, the
centre of mass stays over the feet. It corrects both the camera's pitch and its roll. Without contacts (a clip of a
jump, or feet out of view) the body axis (trunk and legs) is the fallback, as before.

A person who walks also shows the floor itself: the feet are planted at different places on it, and the up
direction is perpendicular to it (``with_floor_points``). Standing still shows no floor, walking in a straight line
one direction of it; the estimate above decides the rest.

Camera space: x right, y down, z forward; up is -y for a level camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..retarget.rotations import unit
from ..skeleton import JOINT_INDEX
from .body import centre_of_mass
from .contacts import FEET

_J = JOINT_INDEX
CAMERA_UP = np.array([0.0, -1.0, 0.0])
MIN_CONTACT_FRAMES = 5
OUTLIER_DEG = 25.0
# How far in front of the ankle joints the weight rests (the centre of pressure, mid-foot): with the ankles as the
# support, the true 3D of training clips reads the up direction 3.3° forward (median); this offset removes that bias
# (``python -m core.world.ground_fit``, docs/capture.md). Quiet standing puts it ≈ 5 cm in front of the ankle.
CENTRE_OF_PRESSURE_M = 0.06
# How far (variance, m²) the planted feet must spread along a direction before the floor they lie on outweighs the
# other estimates there: chosen on training clips by ``python -m core.world.ground_fit`` (docs/capture.md).
FLOOR_PRIOR_M2 = 0.07


@dataclass(frozen=True)
class PitchBlend:
    """The camera pitch from the body's and the image's readings (``with_image_gravity``), in degrees:
    ``intercept_deg + body · body's pitch + image · image's pitch``. Both readings regress towards a level camera,
    so weights summing to more than 1 undo part of that."""

    intercept_deg: float
    body: float
    image: float


# Fitted by ordinary least squares of the true pitch on the two readings over training clips (``python -m
# core.world.ground_fit``, docs/capture.md): the body leads, the image adds a third, together 1.1.
PITCH_BLEND = PitchBlend(intercept_deg=-0.148, body=0.816, image=0.289)
HALF_WAY = PitchBlend(intercept_deg=0.0, body=0.5, image=0.5)  # the one before it: live mode's, ground_fit's baseline


def body_axis(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) → (3,) unit: the mean of the median trunk direction (pelvis → thorax) and the median leg direction
    (mid-ankles → pelvis). The fallback up direction."""
    trunk = joints[:, _J["thorax"]] - joints[:, _J["pelvis"]]
    legs = joints[:, _J["pelvis"]] - 0.5 * (joints[:, _J["l_ankle"]] + joints[:, _J["r_ankle"]])
    return unit(unit(np.median(trunk, axis=0)) + unit(np.median(legs, axis=0)))


def up_from_support(joints: np.ndarray, contacts: np.ndarray, fallback: np.ndarray,
                    centre_of_pressure_m: float = CENTRE_OF_PRESSURE_M) -> tuple[np.ndarray, bool]:  # fmt: skip
    """(T, 17, 3) root-relative joints, (T, 2) contacts (left, right) → (unit up (3,), True) from the centre of mass
    over the planted feet, or (``fallback``, False) when fewer than MIN_CONTACT_FRAMES frames have a contact.

    Per frame the vector support → centre of mass, normalised; their mean, recomputed once without the frames more
    than OUTLIER_DEG off it (a stumble, a mis-lifted frame). The support is the planted ankles moved
    ``centre_of_pressure_m`` forwards (the way the hips face, horizontal about ``fallback``): a standing body's
    weight rests on the mid-foot, not under the ankle joint.
    """
    any_contact = contacts.any(axis=1)
    if any_contact.sum() < MIN_CONTACT_FRAMES:
        return fallback, False
    frames = joints[any_contact]
    w = contacts[any_contact].astype(float)
    ankles = (frames[:, list(FEET)] * w[..., None]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    com, hips = centre_of_mass(frames), frames[:, _J["l_hip"]] - frames[:, _J["r_hip"]]
    up = unit(np.asarray(fallback, float))
    for _ in range(2 if centre_of_pressure_m else 1):  # forwards is horizontal about the up direction: refine once
        support = ankles + centre_of_pressure_m * unit(np.cross(hips, up))  # the mid-foot
        v = unit(com - support)
        up = unit(v.mean(axis=0))
    keep = v @ up > math.cos(math.radians(OUTLIER_DEG))
    if keep.sum() >= MIN_CONTACT_FRAMES:
        up = unit(v[keep].mean(axis=0))
    return up, True


def with_floor_points(up: np.ndarray, points: np.ndarray, prior_m2: float = FLOOR_PRIOR_M2) -> np.ndarray:
    """The up direction ``up`` (3,) refined by where the feet were planted: ``points`` (K, 3), camera space, metres.

    Planted feet stand on one flat floor, so the up direction is perpendicular to every direction they spread along:
    a walk towards the camera fixes the pitch, a walk across the frame the roll, a walk that turns the whole plane.
    One view gives the points' depth from the body's size and perspective only (``core.world.reprojection``), so
    the floor is weighed against the prior: the unit vector nearest to the minimiser of
    ``prior_m2 · |u − up|² + mean over points of (u · (p − p̄))²``, i.e. ``(prior_m2 · I + S)⁻¹ · prior_m2 · up``
    with S the points' covariance. Along a direction in which the feet spread by much more than ``prior_m2`` the
    floor decides; where they stay put (a person balancing on the spot) ``up`` is kept. Fewer than
    MIN_CONTACT_FRAMES points: ``up`` unchanged."""
    points = np.asarray(points, float).reshape(-1, 3)
    if len(points) < MIN_CONTACT_FRAMES or prior_m2 <= 0.0:
        return unit(np.asarray(up, float))
    spread = _covariance(points)
    return unit(np.linalg.solve(prior_m2 * np.eye(3) + spread, prior_m2 * unit(np.asarray(up, float))))


def floor_spread_m(points: np.ndarray) -> float:
    """(K, 3) planted-foot points → the standard deviation (m) of their largest spread (0 for fewer than 2)."""
    points = np.asarray(points, float).reshape(-1, 3)
    if len(points) < 2:
        return 0.0
    return float(np.sqrt(max(np.linalg.eigvalsh(_covariance(points))[-1], 0.0)))


def _covariance(points: np.ndarray) -> np.ndarray:
    """(K, 3) points → (3, 3) their covariance about their mean."""
    x = points - points.mean(axis=0)
    return x.T @ x / len(x)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) the smallest rotation taking unit vector ``a`` to unit vector ``b`` (Rodrigues)."""
    a, b = unit(np.asarray(a, float)), unit(np.asarray(b, float))
    v, c = np.cross(a, b), float(a @ b)
    if c < -1.0 + 1e-12:  # opposite: half a turn about any axis perpendicular to a
        axis = unit(np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0]))
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    k = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + k + k @ k / (1.0 + c)


def camera_angles(up_cam: np.ndarray) -> tuple[float, float]:
    """Unit up direction seen in camera space → (pitch, roll) of the camera in degrees: pitch > 0 looks down at the
    subject (the world's up leans back, towards the camera); roll > 0: the world's up leans to the image's right."""
    x, y, z = up_cam
    pitch = math.degrees(math.atan2(-z, -y))
    roll = math.degrees(math.atan2(x, math.hypot(y, z)))
    return pitch, roll


def up_from_angles(pitch_deg: float, roll_deg: float) -> np.ndarray:
    """(pitch, roll) in degrees, as :func:`camera_angles` gives them → the unit up direction in camera space."""
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    return np.array([math.sin(r), -math.cos(r) * math.cos(p), -math.cos(r) * math.sin(p)])


def with_image_gravity(up_body: np.ndarray, up_image: np.ndarray, from_contacts: bool,
                       blend: PitchBlend = PITCH_BLEND) -> np.ndarray:  # fmt: skip
    """The body's up estimate combined with the image's (``core.world.gravity``): the pitch by ``blend``; the roll
    the body's where it comes from the support (quasi-static frames, :func:`up_from_support`), else half way
    between the two.

    Roll is seen in the image itself (the body's axis turns in the frame) and the support gets it right, a real
    sideways lean included. Pitch needs depth: the lifter's pitch regresses towards a level camera, the image
    model's more so, and a forward lean and a camera looking down look alike from one view, so neither estimate is
    exact there; the blend weighs them as they erred on training clips. From the body axis (no quasi-static frame:
    a walk leans the body along its way, which can be any direction in the frame) the roll is not the support's
    either, and the image's counts half. The blend errs less than the half share it replaced on held-out training
    clips and on fresh ones (HDM05), in the median; its larger errors grow (docs/capture.md)."""
    pitch_b, roll_b = camera_angles(up_body)
    pitch_i, roll_i = camera_angles(up_image)
    pitch = blend.intercept_deg + blend.body * pitch_b + blend.image * pitch_i
    return up_from_angles(pitch, roll_b if from_contacts else 0.5 * (roll_b + roll_i))
