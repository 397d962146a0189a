"""A whole clip's world placement (capture): lifter output in camera space → one rigid, levelled skeleton on the
ground with planted feet, in Blender axes. Steps, in order (each in its own module of this package):

1. scale to the subject (``core.postprocess.estimate_stature``) and smooth the pose (One-Euro, root-relative);
2. the root in camera space by reprojection (``reprojection``) and one rigid skeleton that lines up with the video
   (``image_fit``): each joint drawn onto the camera ray through its detected 2D at its own depth, then bone lengths
   once per capture restored joint by joint (``body``);
3. contacts, then gravity (``contact_model``, ``ground``, ``gravity``): the learned contacts (their cues read the
   lifted pose, as the model was trained, with the body axis as up), then the up direction from the centre of mass
   of the rigid pose over them; with the rule instead (``contacts``), three rounds of contacts and up from the body
   axis; then combined with the direction the gravity model reads from the 2D (``ground.with_image_gravity``), then
   with the floor the planted feet stood on (``ground.with_floor_points``: their camera-space positions at the
   reprojected root);
4. level with the full rotation (pitch and roll) and turn into Blender axes;
5. the root path (``root``): the body-size estimate steadied by the planted feet;
6. the floor under the contacts, planted feet locked (``footlock``), and nothing below the floor.

Bone lengths stay exact through 4–6 (rotations, translations and a length-keeping leg IK), so the baked armature
reproduces ``joints_3d_world``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..camera_motion import camera_path, stabilised
from ..postprocess import (
    ANKLE_FRACTION,
    camera_to_blender,
    estimate_stature,
    floor_offsets,
    focal_from_fov,
    pixels_per_metre,
    root_trajectory,
)  # fmt: skip
from ..skeleton import JOINT_INDEX
from ..smoothing import low_pass, smooth
from .body import bone_lengths, rigid
from .contact_model import ContactModel, ContactModelError, contact_features
from .contacts import FEET, foot_contacts, heights_above_lowest, image_speed
from .footlock import lock_feet
from .gravity import GravityModel, GravityModelError
from .ground import (
    CAMERA_UP,
    FLOOR_PRIOR_M2,
    MIN_CONTACT_FRAMES,
    PITCH_BLEND,
    PitchBlend,
    body_axis,
    camera_angles,
    floor_spread_m,
    rotation_between,
    up_from_support,
    with_floor_points,
    with_image_gravity,
)  # fmt: skip
from .image_fit import IMAGE_SHARE, MOVE_CUTOFF_HZ, onto_rays
from .reprojection import reprojected_root
from .root import fuse_root

_J = JOINT_INDEX
ROUNDS = 3
STATIC_SPEED_M_S = 0.3  # a walking pelvis moves ≥ 0.5 m/s; a balancing one a few cm/s
FLOOR_WINDOW_S = 2.0


@dataclass
class Placement:
    """``world`` (T, 17, 3) Blender world joints (Z up, floor z = 0); ``contacts`` (T, 2) bool (left, right foot);
    ``up_camera`` (3,) the estimated up direction in camera space; ``info``: figures for the capture summary;
    ``camera_joints`` (T, 17, 3) the rigid pose at its reprojected root in camera space (x right, y down, z forward),
    which projects onto the video through the pinhole camera of focal length ``focal_px`` (``image_fit.project``)."""

    world: np.ndarray
    contacts: np.ndarray
    up_camera: np.ndarray
    info: dict[str, float | str]
    camera_joints: np.ndarray
    focal_px: float


@lru_cache(maxsize=1)
def shipped_contact_model() -> ContactModel | None:
    """``weights/contacts.json`` (``core.world.contact_model``), read once; None where it is missing or damaged (an
    installation fault): placement then uses the rule, and the summary's ``contacts_from`` says so."""
    try:
        return ContactModel.load()
    except ContactModelError:
        return None


@lru_cache(maxsize=1)
def shipped_gravity_model() -> GravityModel | None:
    """``weights/gravity.json`` (``core.world.gravity``), read once; None where it is missing or damaged: the up
    direction is then the support's alone, and the summary's ``up_from`` says so."""
    try:
        return GravityModel.load()
    except GravityModelError:
        return None


def scaled_pose(rel: np.ndarray, times: np.ndarray, subject_height: float, smoothing: float,
                causal: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Lifter output (T, 17, 3) → (root-relative pose scaled to the subject's height, the same smoothed)."""
    rel = (rel - rel[:, :1]) * subject_height / max(estimate_stature(rel), 1e-6)
    return rel, (smooth(rel, times, smoothing, causal=causal) if smoothing > 0 else rel)


def contacts_and_up(rel: np.ndarray, speed: np.ndarray, fps: float, body_speed: np.ndarray | None = None,
                    cues: np.ndarray | None = None,
                    model: ContactModel | None = None) -> tuple[np.ndarray, np.ndarray, bool]:  # fmt: skip
    """(T, 17, 3) camera-space pose, (T, 2) foot image speed, (T,) the pelvis's image speed → (contacts (T, 2), up
    (3,), from_contacts). Gravity from the support uses the frames where the body is quasi-static (pelvis slower than
    STATIC_SPEED_M_S): the centre of mass is over the feet in balance, not in mid-stride. With a learned ``model``
    and its ``cues`` (computed with the body axis as up) the contacts are the model's; else the rule of
    ``core.world.contacts``, alternating with the up estimate for ROUNDS rounds."""
    fallback = body_axis(rel)
    up, from_contacts = fallback, False
    contacts = np.zeros(speed.shape, bool)
    static = np.ones(len(rel), bool) if body_speed is None else body_speed < STATIC_SPEED_M_S
    if model is not None and cues is not None:
        contacts = model.contacts(cues, fps)
        up, from_contacts = up_from_support(rel, contacts & static[:, None], fallback)
        return contacts, up, from_contacts
    for _ in range(ROUNDS):
        contacts = foot_contacts(speed, heights_above_lowest(rel[:, list(FEET)], up), fps)
        up, from_contacts = up_from_support(rel, contacts & static[:, None], fallback)
    return contacts, up, from_contacts


def fitted_pose(pose: np.ndarray, cam_root: np.ndarray, xy_px: np.ndarray, times: np.ndarray, width: int,
                height: int, focal: float, conf: np.ndarray | None, share: float) -> np.ndarray:  # fmt: skip
    """(T, 17, 3) root-relative pose, (T, 3) its root in camera space, (T, 17, 2) px → (T, 17, 3) camera space: the
    pose drawn onto the 2D's rays (``image_fit``; the moves low-passed), then rigid with the pose's bone lengths."""
    seen = pose + cam_root[:, None]
    moved = onto_rays(seen, xy_px, width, height, focal, conf, share)
    moved = seen + low_pass(moved - seen, times, MOVE_CUTOFF_HZ, causal=False)  # the detector's jitter out
    return rigid(moved, bone_lengths(pose))  # the root stays where it was moved


def contact_floor(world: np.ndarray, contacts: np.ndarray, fps: float, ankle_offset: float) -> np.ndarray:
    """(T,) floor height: the rolling median (FLOOR_WINDOW_S) of the soles of planted feet, interpolated between
    contacts; with no contact at all, ``core.postprocess.floor_offsets`` on the lowest sole."""
    soles = world[:, list(FEET), 2] - ankle_offset  # (T, 2)
    T = len(world)
    if not contacts.any():
        return floor_offsets(soles.min(axis=1), fps, causal=False)
    idx = np.flatnonzero(contacts.any(axis=1))  # frames with a planted foot, and their mean planted sole
    per_frame = (soles[idx] * contacts[idx]).sum(axis=1) / contacts[idx].sum(axis=1)
    half = max(1, int(round(FLOOR_WINDOW_S * fps / 2)))
    lo, hi = np.searchsorted(idx, idx - half), np.searchsorted(idx, idx + half, side="right")
    floor_at = np.array([np.median(per_frame[a:b]) for a, b in zip(lo, hi, strict=True)])
    return np.interp(np.arange(T), idx, floor_at)


def place(
    rel: np.ndarray, xy_px: np.ndarray, times: np.ndarray, width: int, height: int, fps: float, *,
    subject_height: float, smoothing: float, fov_deg: float = 60.0, root_motion: bool = True,
    camera_shift: np.ndarray | None = None, contact_rule: bool = False, image_gravity: bool = True,
    floor_prior_m2: float = FLOOR_PRIOR_M2, conf: np.ndarray | None = None, pitch_blend: PitchBlend = PITCH_BLEND,
    image_share: float = IMAGE_SHARE,
) -> Placement:  # fmt: skip
    """Root-relative camera-space lifter output (T, 17, 3) and the 2D track (T, 17, 2) px → :class:`Placement`.

    ``camera_shift`` (T, 2) px: the background's motion per frame (``core.camera_motion``); speeds and the root's
    image position are read from the 2D with the camera's pan and tilt removed. Foot contacts come from the shipped
    learned model (``core.world.contact_model``), or from the rule with ``contact_rule``; the up direction is combined
    with the gravity model's (``core.world.gravity``, the pitch by ``pitch_blend``) unless ``image_gravity`` is False,
    then with the floor under the planted feet (``ground.with_floor_points`` with ``floor_prior_m2``; 0 = without).
    ``conf`` (T, 17): the detector's confidences, weighing the joints in the root's reprojection (``reprojection``;
    None: all alike) and in drawing them onto their rays (``image_fit``, ``image_share`` of the way; 0 = the
    lifter's pose as it is)."""
    stature = estimate_stature(rel)
    scale = subject_height / max(stature, 1e-6)
    rel, pose = scaled_pose(rel, times, subject_height, smoothing)
    still_xy = stabilised(xy_px, camera_shift)  # as a still camera would have seen it
    px_per_m = pixels_per_metre(rel, xy_px)
    speed = image_speed(still_xy, times, px_per_m, joints=(*FEET, _J["pelvis"]))  # feet, then the pelvis
    model = None if contact_rule else shipped_contact_model()
    cues = contact_features(still_xy, times, px_per_m, pose, body_axis(pose)) if model is not None else None
    # the root in camera space (before levelling) by reprojection: where the planted feet stood, the root path's base
    focal = focal_from_fov(width, height, fov_deg)
    start = root_trajectory(rel, still_xy, width, height, focal, px_per_m)
    cam_root = reprojected_root(rel, still_xy, width, height, focal, conf, start)
    cam_root[:, 2:] = smooth(cam_root[:, 2:], times, max(smoothing, 0.5), causal=False)  # depth: the noisiest
    fitted = fitted_pose(pose, cam_root, still_xy, times, width, height, focal, conf, image_share)
    body_cam = fitted - fitted[:, :1]  # the rigid pose drawn onto the 2D: what the support and the floor read
    contacts, up, from_contacts = contacts_and_up(body_cam, speed[:, :2], fps, speed[:, 2], cues, model)
    gravity = shipped_gravity_model() if image_gravity else None
    if gravity is not None:  # as a still camera would have seen it, like everything placement reads from the 2D
        up = with_image_gravity(up, gravity.clip_up(still_xy, width, height), from_contacts, pitch_blend)
    planted = (cam_root[:, None] + body_cam[:, list(FEET)])[contacts]
    up = with_floor_points(up, planted, floor_prior_m2)
    level = rotation_between(up, CAMERA_UP)
    body = camera_to_blender(body_cam @ level.T)
    if root_motion:
        seen_root = camera_to_blender(cam_root @ level.T)
        seen_root = smooth(seen_root, times, smoothing, causal=False) if smoothing > 0 else seen_root
        root = fuse_root(seen_root, body[:, list(FEET)], contacts, times)
    else:
        root = np.zeros((len(rel), 3))
    world = body + root[:, None, :]
    world[..., :2] -= world[0, _J["pelvis"], :2]  # start at the origin of the scene
    ankle_offset = ANKLE_FRACTION * subject_height
    world[..., 2] -= contact_floor(world, contacts, fps, ankle_offset)[:, None]
    world = lock_feet(world, contacts, fps)
    world[..., 2] -= np.minimum(_lowest(world, ankle_offset), 0.0)[:, None]  # nothing below the floor
    pitch, roll = camera_angles(up)
    spread = floor_spread_m(planted)  # the floor outweighs the other estimates along a spread beyond the prior:
    floor_decides = len(planted) >= MIN_CONTACT_FRAMES and 0.0 < floor_prior_m2 <= spread**2
    info: dict[str, float | str] = {
        "stature_model_m": float(stature), "scale": float(scale), "camera_pitch_deg": pitch, "camera_roll_deg": roll,
        "up_from": ("contacts" if from_contacts else "body axis") + (" and image" if gravity is not None else "")
        + (" and floor" if floor_decides else ""),
        "floor_spread_m": round(spread, 2),
        "contact_fraction": float(contacts.mean()),
        "contacts_from": "rule" if model is None else "learned model",
        "camera_moved_px": _camera_moved(camera_shift),
    }  # fmt: skip
    return Placement(world.astype(np.float32), contacts, up, info, fitted, focal)


def _camera_moved(shift: np.ndarray | None) -> float:
    """How far the background travelled in the image over the clip (the largest distance from its first position)."""
    if shift is None or not len(shift):
        return 0.0
    return round(float(np.linalg.norm(camera_path(shift), axis=-1).max()), 1)


def _lowest(world: np.ndarray, ankle_offset: float) -> np.ndarray:
    """(T,) the lowest point of each frame: soles (ankle - ankle_offset) and every other joint."""
    z = world[..., 2].copy()
    z[:, list(FEET)] -= ankle_offset
    return z.min(axis=1)
