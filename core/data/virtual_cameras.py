"""Virtual cameras that film world-space motions (Z up, metres): Human3.6M-like rigs and randomised cameras.

Both kinds aim at the motion's mean root position and then back away horizontally (keeping their height) until
every joint of every frame projects inside the image with a margin, so a training sample never has joints off
screen. Cameras follow the ``core.camera.Camera`` contract (x right, y down, z forward; ``x_cam = x @ R.T + t``).

* :func:`h36m_like_rig` — four cameras around the subject like Human3.6M's studio: azimuths ±70° and ±110°
  (``cameras.json``), about 5 m away, 1.5–1.8 m high, focal ≈ 1,150 px at 1000 × 1000 (or the published
  intrinsics and distortion when a ``cameras.json`` is given).
* :func:`random_camera` — height, distance, yaw, pitch and roll offsets, focal length and image size (landscape and
  portrait) drawn from :class:`RandomCameraConfig`, to make the lifter robust to phone and webcam footage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..camera import Camera, normalize_screen_coordinates

H36M_AZIMUTHS_DEG = (70.0, -70.0, 110.0, -110.0)  # Human3.6M camera azimuths (cameras.json), camera index order
_NEAR_M = 0.3  # closer than this to the camera counts as "not in view"
# A fitted camera may back away to at most this factor times the asked distance (or _MAX_EXTRA_M beyond the motion's
# own extent): beyond that the draw is rejected instead of producing an absurd camera (one at 568 m was seen).
_MAX_BACKOFF = 2.5
_MAX_EXTRA_M = 6.0
_RANDOM_TRIES = 20
CAMERA_PRESETS = ("wide", "narrow")


@dataclass
class RandomCameraConfig:
    """Ranges (low, high) sampled uniformly, except focal which is log-uniform (equal odds of tele and wide).

    The defaults cover how people film themselves and others: a phone on the floor or a table (0.2 m) to a CCTV-like
    corner camera (3.5 m), 1.5–10 m away, aimed at the person (which gives pitches from ≈ +25° looking up to
    ≈ −55° looking down) plus a tilt and pan of up to 10° so the person is not always centred, hand-held roll up to
    20°, and phone ultra-wide (f ≈ 0.5 × the long side, ≈ 18 mm equivalent) to 2× tele (f ≈ 2 × the long side).
    """

    height_m: tuple[float, float] = (0.2, 3.5)  # camera above the ground: phone on the floor to CCTV
    distance_m: tuple[float, float] = (1.5, 10.0)  # horizontal, from the motion's mean root (grown to fit)
    yaw_deg: tuple[float, float] = (-180.0, 180.0)  # azimuth of the camera around the subject
    pitch_deg: tuple[float, float] = (-10.0, 10.0)  # optical-axis tilt added to aiming at the subject
    pan_deg: tuple[float, float] = (-10.0, 10.0)  # optical-axis pan added to aiming: the person off-centre
    roll_deg: tuple[float, float] = (-20.0, 20.0)  # hand-held tilt about the optical axis
    focal_over_long_side: tuple[float, float] = (0.5, 2.0)  # phones ≈ 0.5–0.85 (wide), 2 (tele); Human3.6M ≈ 1.15
    image_sizes: tuple[tuple[int, int], ...] = (
        (1000, 1000), (1920, 1080), (1080, 1920), (1280, 720), (720, 1280), (640, 480), (480, 640),
    )  # fmt: skip  # (width, height): square, landscape and portrait
    margin: float = 0.04  # fraction of each image side kept free around the subject
    out_of_frame_prob: float = 0.15  # chance that joints may reach past the image border (margin -out_of_frame_margin)
    out_of_frame_margin: float = 0.05

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("image_sizes", "margin", "out_of_frame_prob", "out_of_frame_margin"):
                continue
            if not (isinstance(value, tuple | list) and len(value) == 2 and value[0] <= value[1]):
                raise ValueError(
                    f"RandomCameraConfig.{f.name} must be a (low, high) pair with low <= high, got {value}"
                )
        if self.height_m[0] <= 0 or self.distance_m[0] <= 0 or self.focal_over_long_side[0] <= 0:
            raise ValueError("RandomCameraConfig: height, distance and focal ranges must be positive")
        if not self.image_sizes or any(len(s) != 2 or min(s) < 16 for s in self.image_sizes):
            raise ValueError(
                f"RandomCameraConfig.image_sizes must be (width, height) pairs >= 16 px: {self.image_sizes}"
            )
        if not 0 <= self.margin < 0.5:
            raise ValueError(f"RandomCameraConfig.margin must be in [0, 0.5), got {self.margin}")
        if not 0 <= self.out_of_frame_prob <= 1 or not 0 <= self.out_of_frame_margin < 0.5:
            raise ValueError("RandomCameraConfig.out_of_frame_prob must be in [0, 1], out_of_frame_margin in [0, 0.5)")

    @classmethod
    def narrow(cls) -> RandomCameraConfig:
        """The ranges the first shipped weights were trained with (heights 0.6–2.4 m, ±8° pitch, ±6° roll,
        always centred and in frame); kept so their configs stay reproducible."""
        return cls(height_m=(0.6, 2.4), distance_m=(2.5, 7.0), pitch_deg=(-8.0, 8.0), pan_deg=(0.0, 0.0),
                   roll_deg=(-6.0, 6.0), focal_over_long_side=(0.6, 1.6), out_of_frame_prob=0.0)  # fmt: skip

    @classmethod
    def preset(cls, name: str) -> RandomCameraConfig:
        """``"wide"`` (the defaults: how people film) or ``"narrow"`` (:meth:`narrow`)."""
        if name not in CAMERA_PRESETS:
            raise ValueError(f"camera preset must be one of {CAMERA_PRESETS}, got {name!r}")
        return cls() if name == "wide" else cls.narrow()

    @classmethod
    def from_dict(cls, d: dict) -> RandomCameraConfig:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"RandomCameraConfig: unknown keys {sorted(unknown)}")
        return cls(**{k: tuple(map(tuple, v)) if k == "image_sizes" else tuple(v) if isinstance(v, list) else v
                      for k, v in d.items()})  # fmt: skip


def look_at(
    position: np.ndarray, target: np.ndarray, roll_deg: float = 0.0, pitch_deg: float = 0.0, pan_deg: float = 0.0
) -> np.ndarray:
    """World→camera rotation (3, 3) for a camera at ``position`` looking at ``target`` in a Z-up world.

    Rows are the camera's x (right), y (down) and z (forward) axes in world coordinates; ``pan_deg`` turns the
    optical axis right (+) about the camera's y axis after aiming, ``pitch_deg`` then tilts it up (+) about the
    camera's x axis, ``roll_deg`` then turns the image clockwise (+).
    """
    forward = np.asarray(target, np.float64) - np.asarray(position, np.float64)
    norm = np.linalg.norm(forward)
    if norm < 1e-9:
        raise ValueError("look_at: camera position and target coincide")
    forward /= norm
    right = np.cross(forward, (0.0, 0.0, 1.0))
    if np.linalg.norm(right) < 1e-6:
        raise ValueError("look_at: looking straight up or down; the image orientation is undefined")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    R = np.stack((right, down, forward))
    p, r, a = np.deg2rad(pitch_deg), np.deg2rad(roll_deg), np.deg2rad(pan_deg)
    pan = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])  # camera-frame y rotation
    tilt = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])  # camera-frame x rotation
    spin = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])  # camera-frame z rotation
    return spin @ tilt @ pan @ R


def in_view(camera: Camera, joints: np.ndarray, margin: float = 0.0) -> bool:
    """True when every (…, J, 3) world joint is in front of the camera and projects inside the image margin."""
    x_cam = camera.world_to_camera(joints.reshape(-1, 1, 3))
    if np.any(x_cam[..., 2] < _NEAR_M):
        return False
    uv = camera.project_camera(x_cam).reshape(-1, 2)
    lo = np.array([camera.width, camera.height]) * margin
    hi = np.array([camera.width, camera.height]) * (1.0 - margin)
    return bool(np.all((uv >= lo) & (uv <= hi)))


def random_camera(joints: np.ndarray, rng: np.random.Generator, config: RandomCameraConfig | None = None) -> Camera:
    """A randomised camera that keeps the whole motion in view.

    Args:
        joints: (T, J, 3) world positions in metres, Z up (joint 0 = root).
        rng: the random generator (seeded by the caller for reproducibility).
        config: sampling ranges (defaults: :class:`RandomCameraConfig`).
    Returns:
        a distortion-free Camera whose image contains all joints of all frames with ``config.margin`` to spare.
    """
    cfg = config or RandomCameraConfig()
    _check_joints(joints)
    failures = []
    for _ in range(_RANDOM_TRIES):
        width, height = cfg.image_sizes[int(rng.integers(len(cfg.image_sizes)))]
        focal = float(np.exp(rng.uniform(*np.log(cfg.focal_over_long_side)))) * max(width, height)
        margin = -cfg.out_of_frame_margin if rng.random() < cfg.out_of_frame_prob else cfg.margin
        try:
            return _fit_camera(
                joints,
                yaw_deg=rng.uniform(*cfg.yaw_deg),
                distance_m=rng.uniform(*cfg.distance_m),
                height_m=rng.uniform(*cfg.height_m),
                pitch_deg=rng.uniform(*cfg.pitch_deg),
                pan_deg=rng.uniform(*cfg.pan_deg),
                roll_deg=rng.uniform(*cfg.roll_deg),
                focal=(focal, focal),
                center=(width / 2.0, height / 2.0),
                size=(width, height),
                margin=margin,
            )
        except ValueError as exc:  # this draw cannot see the motion from a sensible distance: draw another
            failures.append(str(exc))
    raise ValueError(f"random_camera: no usable camera in {_RANDOM_TRIES} draws; last: {failures[-1]}")


def h36m_like_rig(
    joints: np.ndarray,
    rng: np.random.Generator | None = None,
    cameras_json: str | Path | None = None,
    distance_m: tuple[float, float] = (4.5, 5.5),
    height_m: tuple[float, float] = (1.5, 1.8),
    yaw_offset_deg: float | None = None,
    margin: float = 0.02,
) -> list[Camera]:
    """Four Human3.6M-like cameras around the motion (azimuths ±70°, ±110° plus a common yaw offset).

    Args:
        joints: (T, J, 3) world positions in metres, Z up.
        rng: draws each camera's distance and height within the ranges and, if ``yaw_offset_deg`` is None, the
            rig's yaw; None gives the deterministic mid-range rig with yaw 0.
        cameras_json: optional Human3.6M ``cameras.json``: use its four intrinsics (focal, centre, distortion,
            image size); otherwise f = 1150 px, centre (500, 500), 1000 × 1000, no distortion.
        distance_m, height_m: ranges for the horizontal distance and camera height.
        yaw_offset_deg: rotation of the whole rig about the vertical axis through the mean root.
        margin: image-border fraction to keep free; cameras back away to fit the motion.
    """
    _check_joints(joints)
    intrinsics = _h36m_intrinsics(cameras_json)
    if yaw_offset_deg is None:
        yaw_offset_deg = float(rng.uniform(-180, 180)) if rng is not None else 0.0
    rig = []
    for az, intr in zip(H36M_AZIMUTHS_DEG, intrinsics, strict=True):
        dist = float(rng.uniform(*distance_m)) if rng is not None else float(np.mean(distance_m))
        h = float(rng.uniform(*height_m)) if rng is not None else float(np.mean(height_m))
        rig.append(_fit_camera(joints, yaw_deg=az + yaw_offset_deg, distance_m=dist, height_m=h, margin=margin,
                               **intr))  # fmt: skip
    return rig


def view(joints: np.ndarray, camera: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Film world joints: (pixels (T, J, 2), normalised 2D (T, J, 2), root-relative camera-space 3D (T, J, 3)).

    The 3D target is relative to joint 0 (the pelvis) in metres, as in the paper (Liu et al. 2020, Sec. 4.1); the
    2D input uses ``core.camera.normalize_screen_coordinates``.
    """
    x_cam = camera.world_to_camera(np.asarray(joints, dtype=np.float64))
    pixels = camera.project_camera(x_cam)
    normalised = normalize_screen_coordinates(pixels, camera.width, camera.height)
    target = x_cam - x_cam[..., :1, :]
    return pixels.astype(np.float32), normalised.astype(np.float32), target.astype(np.float32)


def _fit_camera(
    joints: np.ndarray,
    *,
    yaw_deg: float,
    distance_m: float,
    height_m: float,
    focal: tuple[float, float],
    center: tuple[float, float],
    size: tuple[int, int],
    margin: float,
    pitch_deg: float = 0.0,
    pan_deg: float = 0.0,
    roll_deg: float = 0.0,
    radial: tuple[float, ...] = (0.0, 0.0, 0.0),
    tangential: tuple[float, ...] = (0.0, 0.0),
    name: str = "virtual",
) -> Camera:
    """Place a camera at the given yaw/height aimed at the mean root, backing away by 10 % steps until it fits.

    Raises ValueError when the motion only fits from further than ``_MAX_BACKOFF`` × the asked distance (and
    ``_MAX_EXTRA_M`` beyond the motion's horizontal extent): such a camera would film a speck, not a person.
    """
    target = joints[:, 0].mean(axis=0)
    yaw = np.deg2rad(yaw_deg)
    direction = np.array([np.cos(yaw), np.sin(yaw), 0.0])
    # Back away from the mean root, also beyond the motion's horizontal extent so no joint is behind the camera.
    reach = float(np.max(np.linalg.norm(joints[..., :2] - target[:2], axis=-1)))
    distance = max(distance_m, reach + 2 * _NEAR_M)
    limit = max(_MAX_BACKOFF * distance_m, reach + _MAX_EXTRA_M)
    while distance <= limit:
        position = np.array([*(target[:2] + direction[:2] * distance), height_m])
        R = look_at(position, target, roll_deg=roll_deg, pitch_deg=pitch_deg, pan_deg=pan_deg)
        cam = Camera(R=R, t=-R @ position, focal=focal, center=center, radial=radial, tangential=tangential,
                     width=int(size[0]), height=int(size[1]), name=name)  # fmt: skip
        if in_view(cam, joints, margin):
            return cam
        distance *= 1.1
    raise ValueError(
        f"could not fit the motion in view within {limit:.1f} m (asked {distance_m:.1f} m, extent {reach:.1f} m, "
        f"height {height_m:.1f} m, pitch {pitch_deg:+.0f}°, pan {pan_deg:+.0f}°); is the motion in metres?"
    )


def _h36m_intrinsics(cameras_json: str | Path | None) -> list[dict]:
    if cameras_json is None:
        default = {"focal": (1150.0, 1150.0), "center": (500.0, 500.0), "size": (1000, 1000)}
        return [dict(default, name=f"h36m_like_{k}") for k in range(4)]
    data = json.loads(Path(cameras_json).read_text())
    try:
        return [
            {
                "focal": tuple(c["focal_length"]),
                "center": tuple(c["center"]),
                "size": (int(c["res_w"]), int(c["res_h"])),
                "radial": tuple(c["radial_distortion"]),
                "tangential": tuple(c["tangential_distortion"]),
                "name": f"h36m_like_{c['id']}",
            }
            for c in data["intrinsic_per_camera_index"]
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{cameras_json}: not a Human3.6M cameras.json ({exc})") from exc


def _check_joints(joints: np.ndarray) -> None:
    if not isinstance(joints, np.ndarray) or joints.ndim != 3 or joints.shape[-1] != 3 or joints.shape[0] == 0:
        raise ValueError(f"joints must be a (T, J, 3) numpy array with T >= 1, got {getattr(joints, 'shape', joints)}")
    if not np.all(np.isfinite(joints)):
        raise ValueError("joints contain NaN or infinite values")
