"""Causal per-frame placement for live mode: the steps of ``core.world.place``, one frame at a time.

Capture sees the whole clip; live mode sees only the past, so every clip-wide statistic becomes a trailing one here,
computed with the *same* functions on a bounded history of ``window_s`` seconds (constant work per frame):

* scale (``estimate_stature``), bone lengths (``core.world.body.bone_lengths``) and the up direction
  (``core.world.ground.up_from_support`` over the history's rigid poses drawn onto the 2D, below, and its contacts,
  combined with the mean of the
  gravity model's per-frame readings over the same history by ``with_image_gravity``, the pitch half way
  (``HALF_WAY``: capture's blend was fitted on whole clips, and weighing the body's reading more makes the level
  follow the jitter of a 3 s history), then with the floor under the history's planted feet by
  ``with_floor_points``): they settle within the first seconds and then follow slow
  changes only; bone lengths are therefore constant only once settled;
* contacts: the causal learned model (``core.world.contact_model``: ``weights/contacts_causal.json``, its cues from
  the past only, computed by ``causal_contact_features`` on the last HISTORY_S seconds) or, where that file is
  missing or damaged, the rule of ``core.world.contacts`` on the past only (the image speed over the last 0.12 s);
  either way a contact counts once it has lasted 0.1 s, and short gaps are not closed (that needs the future);
* root: ``core.world.reprojection.reprojected_root`` for the newest frame (started from the body-size estimate; its
  running median uses past frames only), depth
  smoothed by the forward One-Euro pass, steadied by the planted feet with the forward pass of ``core.world.root``
  (in camera space, levelled last: while the up direction settles, a change of level is not motion; the floor's
  history restarts with it and the feet are pinned again, since both were measured in the old level);
* the pose drawn onto the detected 2D at the root (``core.world.image_fit``, by this frame's confidences; the moves
  through the causal pass of its low-pass), then rigid with the history's bone lengths;
* floor: the trailing median (2 s) of the soles of planted feet (``TrailingFloor`` on the lowest sole until the first
  contact); a foot is locked where its contact starts and released over 0.1 s when it ends;
* the camera's own motion: the session measures it on every frame (``core.camera_motion``) and the 2D that contacts
  and the root read has it removed, as in capture.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..camera import normalize_screen_coordinates
from ..postprocess import (
    ANKLE_FRACTION,
    camera_to_blender,
    estimate_stature,
    focal_from_fov,
    pixels_per_metre,
    root_trajectory,
)  # fmt: skip
from ..retarget.footlock import two_bone_ik
from ..skeleton import JOINT_INDEX
from ..smoothing import OneEuroParams, params_for_strength, smoothing_alpha
from ..world.body import bone_lengths, rigid
from ..world.contact_model import (
    DEFAULT_CAUSAL_PATH,
    HISTORY_S,
    ContactModel,
    ContactModelError,
    causal_contact_features,
)  # fmt: skip
from ..world.contacts import BASELINE_S, FEET, HEIGHT_TOL_M, SPEED_TOL_M_S, heights_above_lowest
from ..world.footlock import LEGS, body_forward
from ..world.ground import (
    CAMERA_UP,
    HALF_WAY,
    body_axis,
    rotation_between,
    up_from_support,
    with_floor_points,
    with_image_gravity,
)  # fmt: skip
from ..world.image_fit import MOVE_CUTOFF_HZ, onto_rays
from ..world.place import FLOOR_WINDOW_S, shipped_gravity_model
from ..world.reprojection import reprojected_root
from ..world.root import ROOT_TAU_S

_J = JOINT_INDEX
# Frames root_trajectory's running median (window 9) needs for an exact newest value: the newest and 4 before it.
_ROOT_FRAMES = 9
FLOOR_PERCENTILE = 25.0  # as floor_offsets


class OneEuroStream:
    """The causal 1€ filter of ``core.smoothing.one_euro`` (Casiez et al. 2012, Eq. 1–4), one sample at a time.

    ``__call__(x (..., C), t)`` returns the filtered sample; the speed is the norm over the last axis. Strength 0 is
    the identity. A non-increasing timestamp reuses the previous time step (the batch filter uses the clip's median
    step, which a stream does not know yet).
    """

    def __init__(self, strength: float) -> None:
        self.params = params_for_strength(strength)
        self._prev: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0
        self._dt = 1.0 / 30.0

    @classmethod
    def low_pass(cls, cutoff_hz: float) -> OneEuroStream:
        """The causal pass of ``core.smoothing.low_pass``: a fixed cutoff, no speed term."""
        stream = cls(0.0)
        stream.params = OneEuroParams(min_cutoff=cutoff_hz, beta=0.0)
        return stream

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.params is None:
            return x.copy()
        if self._prev is None:
            self._prev, self._dx, self._t = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        dt = float(t) - self._t
        dt = dt if dt > 0 else self._dt
        self._t, self._dt = float(t), dt
        p = self.params
        a_d = smoothing_alpha(p.d_cutoff, dt)
        self._dx = a_d * (x - self._prev) / dt + (1.0 - a_d) * self._dx
        speed = np.linalg.norm(self._dx, axis=-1, keepdims=True) if x.ndim > 0 else np.abs(self._dx)
        a = smoothing_alpha(p.min_cutoff + p.beta * speed, dt)
        self._prev = a * x + (1.0 - a) * self._prev
        return self._prev.copy()


class TrailingFloor:
    """``floor_offsets(sole_z, fps, causal=True, window_s, pct)`` streamed: feed one sole height, get that frame's
    floor. Window of w = round(window_s · fps) frames for the percentile, then for the moving average."""

    def __init__(self, fps: float, window_s: float = 2.0, pct: float = FLOOR_PERCENTILE) -> None:
        w = max(1, int(round(window_s * fps)))
        self.pct = pct
        self._soles: deque[float] = deque(maxlen=w)
        self._floors: deque[float] = deque(maxlen=w)

    def __call__(self, sole_z: float) -> float:
        self._soles.append(float(sole_z))
        self._floors.append(float(np.percentile(np.fromiter(self._soles, float), self.pct)))
        return float(np.mean(np.fromiter(self._floors, float)))


class _LiveContacts:
    """``core.world.contacts.foot_contacts`` on the past only: image speed over the last BASELINE_S seconds, a contact
    confirmed once the rule held for ``min_s``."""

    def __init__(self, fps: float, min_s: float = 0.1) -> None:
        self.min_frames = max(1, int(round(min_s * fps)))
        self._past: deque[tuple[float, np.ndarray]] = deque()
        self._run = np.zeros(len(FEET), int)

    def __call__(self, t: float, xy_feet: np.ndarray, px_per_m: float, heights: np.ndarray) -> np.ndarray:
        self._past.append((t, xy_feet))
        while len(self._past) > 1 and self._past[1][0] <= t - BASELINE_S:
            self._past.popleft()  # keep the newest sample at least BASELINE_S old (or the oldest there is)
        t0, xy0 = self._past[0]
        speed = np.linalg.norm(xy_feet - xy0, axis=-1) / max(t - t0, 1e-9) / px_per_m if t > t0 else np.zeros(2)
        raw = (speed < SPEED_TOL_M_S) & (heights < HEIGHT_TOL_M)
        self._run = np.where(raw, self._run + 1, 0)
        return self._run >= self.min_frames


class _LiveLearnedContacts:
    """The causal contact model on a bounded history: each frame's cues are the last row of
    ``causal_contact_features`` over the last HISTORY_S seconds (and two frames more), which equals that row over the
    whole clip; a contact counts once the model said so for ``min_s``."""

    def __init__(self, fps: float, model: ContactModel, min_s: float = 0.1) -> None:
        self.model = model
        self.min_frames = max(1, int(round(min_s * fps)))
        self.keep_s = HISTORY_S + 2.0 / fps
        self._past: deque[tuple[float, np.ndarray, float, np.ndarray]] = deque()
        self._run = np.zeros(len(FEET), int)

    def __call__(self, t: float, xy: np.ndarray, px_per_m: float, pose: np.ndarray, up: np.ndarray) -> np.ndarray:
        """t: seconds; xy: (17, 2) px, camera motion removed; pose: (17, 3) root-relative metres; up: (3,)."""
        self._past.append((t, xy, px_per_m, pose))
        while self._past[0][0] < t - self.keep_s:
            self._past.popleft()
        times, xys, scales, poses = (np.array(column) for column in zip(*self._past, strict=True))
        cues = causal_contact_features(xys, times, scales, poses, up)[-1]
        self._run = np.where(self.model.probability(cues) > self.model.threshold, self._run + 1, 0)
        return self._run >= self.min_frames


def shipped_causal_contact_model() -> ContactModel | None:
    """``weights/contacts_causal.json``, or None (live mode then uses the rule) where it is missing or damaged."""
    try:
        return ContactModel.load(DEFAULT_CAUSAL_PATH)
    except ContactModelError:
        return None


class _LiveFootLock:
    """``core.world.footlock`` causally: the pin is where the contact starts (set again if the level has turned by
    more than REPIN_DEG since: while the up direction settles), the foot is released over ``ramp`` frames when the
    contact ends."""

    REPIN_DEG = 0.2  # the level turned further than this since a pin was set: it was set in another world frame

    def __init__(self, fps: float, blend_s: float = 0.1) -> None:
        self.ramp = max(1, int(round(blend_s * fps)))
        self._anchor: list[np.ndarray | None] = [None, None]
        self._since_release = [0, 0]
        self._pinned_up = [CAMERA_UP, CAMERA_UP]

    @staticmethod
    def _pin(world: np.ndarray, h: str, k: str, a: str) -> np.ndarray:
        """The ankle where the contact starts, moved within 0.999 of the leg's reach of the hip (as capture's
        ``lock_targets``): a pin exactly at full stretch would leave the knee's bend direction undefined."""
        hip, pin = world[_J[h]], world[_J[a]].copy()
        reach = 0.999 * (np.linalg.norm(world[_J[k]] - hip) + np.linalg.norm(pin - world[_J[k]]))
        dist = np.linalg.norm(pin - hip)
        return hip + (pin - hip) * (reach / dist) if dist > reach else pin

    def __call__(self, world: np.ndarray, contacts: np.ndarray, up: np.ndarray) -> np.ndarray:
        """(17, 3) world joints, (2,) contacts, (3,) the camera-space up direction this frame was levelled with."""
        out = world.copy()
        cos_limit = np.cos(np.radians(self.REPIN_DEG))
        forward = body_forward(world)[None]
        for f, (h, k, a) in enumerate(LEGS):
            free = world[_J[a]]
            if contacts[f]:
                if self._anchor[f] is None or self._since_release[f] > 0 or up @ self._pinned_up[f] < cos_limit:
                    self._anchor[f], self._pinned_up[f] = self._pin(world, h, k, a), up.copy()
                self._since_release[f], w = 0, 1.0
            elif self._anchor[f] is not None and self._since_release[f] < self.ramp:
                self._since_release[f] += 1
                w = 1.0 - self._since_release[f] / (self.ramp + 1)
            else:
                self._anchor[f], w = None, 0.0
            if w > 0 and self._anchor[f] is not None:
                target = (1 - w) * free + w * self._anchor[f]
                knee, ankle = two_bone_ik(out[None, _J[h]], out[None, _J[k]], out[None, _J[a]], target[None], forward)
                out[_J[k]], out[_J[a]] = knee[0], ankle[0]
        return out


class LivePost:
    """Root-relative camera-space lifter output → Blender world joints, one frame at a time (see module doc).

    Args:
        width, height: image size in pixels. fps: nominal source rate (sets the window lengths in frames).
        subject_height: metres. smoothing: One-Euro strength 0..1 (live default is light: lag is visible live).
        fov_deg: assumed field of view along the long side. root_motion: estimate the root trajectory.
        window_s: seconds of history for scale, bone lengths and the up direction.
    """

    def __init__(
        self, width: int, height: int, fps: float, *, subject_height: float, smoothing: float, fov_deg: float = 60.0,
        root_motion: bool = True, window_s: float = 3.0,
    ) -> None:  # fmt: skip
        self.width, self.height = int(width), int(height)
        self.subject_height = float(subject_height)
        self.focal = focal_from_fov(self.width, self.height, fov_deg)
        self.root_motion = root_motion
        n = max(1, int(round(window_s * fps)))
        self._raw = np.zeros((n, 17, 3))  # ring buffers: the statistics do not care about order
        self._poses = np.zeros((n, 17, 3))  # smoothed lifted poses: the bone lengths
        self._bodies = np.zeros((n, 17, 3))  # the rigid poses drawn onto the 2D: the support
        self._contacts = np.zeros((n, len(FEET)), bool)
        self._feet_cam = np.zeros((n, len(FEET), 3))  # where the feet were, camera space (the floor's points)
        self._gravity = shipped_gravity_model()  # the image's up per frame (core.world.gravity), when installed
        self._image_up = np.zeros((n, 3))
        self._count = 0
        self._recent_rel: deque[np.ndarray] = deque(maxlen=_ROOT_FRAMES)
        self._recent_xy: deque[np.ndarray] = deque(maxlen=_ROOT_FRAMES)
        # Depth from one view is the noisiest quantity: capture smooths it at least moderately, so do we.
        self._depth = OneEuroStream(max(smoothing, 0.5))
        self._root_smooth = OneEuroStream(smoothing)
        self._pose = OneEuroStream(smoothing)
        self._move = OneEuroStream.low_pass(MOVE_CUTOFF_HZ)  # the pose's moves onto the 2D (core.world.image_fit)
        self._contact_rule = _LiveContacts(fps)
        model = shipped_causal_contact_model()
        self._learned_contacts = _LiveLearnedContacts(fps, model) if model is not None else None
        self._lock = _LiveFootLock(fps)
        self._first_floor = TrailingFloor(fps)
        self._soles: deque[tuple[float, float]] = deque()
        self._soles_up = CAMERA_UP.copy()  # the level the soles were measured with
        self._floor = 0.0
        self._origin: np.ndarray | None = None
        # t, root, size, feet (root-relative), contacts: camera space, levelled with each new frame's level
        self._prev: tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.scale = 1.0
        self.up = CAMERA_UP.copy()
        self.contacts = np.zeros(len(FEET), bool)

    def _history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = min(self._count, len(self._raw))
        return self._raw[:n], self._poses[:n], self._contacts[:n]

    def __call__(self, joints_cam: np.ndarray, xy_px: np.ndarray, t: float, camera_xy: np.ndarray | None = None,
                 conf: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """joints_cam: (17, 3) root-relative camera space (lifter units); xy_px: (17, 2) pixels; t: seconds;
        camera_xy: (2,) px, where the background has moved since the session started (``core.camera_motion``: the
        running sum of its per-frame shifts), removed from ``xy_px`` before speeds and the root read it; conf:
        (17,) this frame's detector confidences (None: all 1), how far each joint is drawn onto its 2D's ray.
        Returns (17, 3) float64 Blender world joints, metres, Z up, feet on z ≈ 0."""
        joints_cam = np.asarray(joints_cam, dtype=np.float64)
        slot = self._count % len(self._raw)
        self._raw[slot] = joints_cam - joints_cam[:1]
        self._count += 1
        raw, _, _ = self._history()
        self.scale = self.subject_height / max(estimate_stature(raw), 1e-6)
        self._recent_rel.append(self._raw[slot])
        still_xy = np.asarray(xy_px, dtype=np.float64) - (0.0 if camera_xy is None else np.asarray(camera_xy, float))
        if self._gravity is not None:
            frame = normalize_screen_coordinates(still_xy[None], self.width, self.height)
            self._image_up[slot] = self._gravity.per_frame(frame)[0]
        self._recent_xy.append(still_xy)
        recent, recent_xy = np.stack(self._recent_rel) * self.scale, np.stack(self._recent_xy)
        px_per_m = pixels_per_metre(recent, recent_xy)
        pose = self._pose(self._raw[slot] * self.scale, t)
        if self._learned_contacts is not None:
            self.contacts = self._learned_contacts(float(t), recent_xy[-1], float(px_per_m[-1]), pose, self.up)
        else:
            heights = heights_above_lowest(pose[None, list(FEET)], self.up)[0]
            self.contacts = self._contact_rule(float(t), recent_xy[-1][list(FEET)], float(px_per_m[-1]), heights)
        start = root_trajectory(recent, recent_xy, self.width, self.height, self.focal, px_per_m)
        size = reprojected_root(recent, recent_xy, self.width, self.height, self.focal, start=start)[-1]
        size[2:] = self._depth(size[2:], t)  # the root by reprojection, camera space
        self._poses[slot], self._contacts[slot] = pose, self.contacts
        _, poses, contacts = self._history()
        seen = pose + size  # as capture (core.world.image_fit): the pose drawn onto the detected 2D, then rigid
        moved = onto_rays(seen[None], still_xy[None], self.width, self.height, self.focal,
                          None if conf is None else np.asarray(conf)[None])[0]  # fmt: skip
        moved = seen + self._move(moved - seen, t)
        body_cam = rigid((moved - moved[:1])[None], bone_lengths(poses))[0]
        self._bodies[slot], self._feet_cam[slot] = body_cam, size + body_cam[list(FEET)]
        bodies = self._bodies[: len(contacts)]  # as capture: the support and the floor read the rigid pose
        self.up, from_contacts = up_from_support(bodies, contacts, body_axis(bodies))
        if self._gravity is not None:  # as capture: combined with the image's up over the same history
            image_up = self._image_up[: min(self._count, len(self._image_up))].mean(axis=0)
            self.up = with_image_gravity(self.up, image_up, from_contacts, HALF_WAY)
        self.up = with_floor_points(self.up, self._feet_cam[: len(contacts)][contacts])  # as capture
        level = rotation_between(self.up, CAMERA_UP)
        body = camera_to_blender(body_cam @ level.T)
        root = self._root(body_cam[list(FEET)], size, level, float(t)) if self.root_motion else np.zeros(3)
        world = body + root
        if self._origin is None:
            self._origin = world[_J["pelvis"], :2].copy()  # the take starts at the scene origin
        world[:, :2] -= self._origin
        if self.up @ self._soles_up < np.cos(np.radians(_LiveFootLock.REPIN_DEG)):  # another world frame now
            self._soles.clear()
            self._soles_up = self.up.copy()
        world[:, 2] -= self._floor_at(world, float(t))
        world = self._lock(world, self.contacts, self.up)
        z = world[:, 2].copy()
        z[list(FEET)] -= ANKLE_FRACTION * self.subject_height
        world[:, 2] -= min(float(z.min()), 0.0)  # nothing below the floor
        return world

    def _root(self, feet_cam: np.ndarray, size: np.ndarray, level: np.ndarray, t: float) -> np.ndarray:
        """Newest root (Blender axes): the reprojected root ``size`` (camera space, depth smoothed) steadied by
        feet planted in this and the previous frame (``feet_cam``: root-relative, camera space). The filter runs in
        camera space and is levelled last, so that a change of level while the up direction settles is not motion.
        """
        size = self._root_smooth(size, t)
        if self._prev is None:
            root = size
        else:
            t0, root0, size0, feet0, c0 = self._prev
            both = c0 & self.contacts
            step = -(feet_cam[both] - feet0[both]).mean(axis=0) if both.any() else size - size0
            alpha = float(np.exp(-max(t - t0, 1e-6) / ROOT_TAU_S))
            root = alpha * (root0 + step) + (1.0 - alpha) * size
        self._prev = (t, root, size, feet_cam.copy(), self.contacts.copy())
        return camera_to_blender(root @ level.T)

    def _floor_at(self, world: np.ndarray, t: float) -> float:
        """Trailing median of the planted soles over FLOOR_WINDOW_S (held between contacts; before the first one,
        the rolling floor of the lowest sole)."""
        soles = world[list(FEET), 2] - ANKLE_FRACTION * self.subject_height
        for f in np.flatnonzero(self.contacts):
            self._soles.append((t, float(soles[f])))
        while self._soles and self._soles[0][0] < t - FLOOR_WINDOW_S:
            self._soles.popleft()
        if self._soles:
            self._floor = float(np.median([s for _, s in self._soles]))
        elif not self._contacts[: min(self._count, len(self._contacts))].any():
            self._floor = self._first_floor(float(soles.min()))
        return self._floor
