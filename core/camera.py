"""Camera geometry: world↔camera transforms, Human3.6M's distorted pinhole projection, pixel normalisation.

Conventions (shared contract, see docs and COMMON brief):
* ``x_cam = x_world @ R.T + t`` — R rotates world→camera, t is the world origin in camera coordinates (metres).
* Camera axes as in OpenCV / Human3.6M: x right, y down (image rows), z forward along the optical axis.
* Quaternions are (w, x, y, z).

The functions used in training (world_to_camera, camera_to_world, project, normalize_screen_coordinates,
image_coordinates) accept numpy arrays or torch tensors; parameters given as numpy are
converted to the tensor's dtype/device. torch is never imported here (the add-on imports this module in Blender).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .rotations import quaternion_to_matrix


def _is_torch(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _like(a: Any, x: Any) -> Any:
    """Convert parameter ``a`` to the array type of ``x`` (tensor with x's dtype/device, or numpy array)."""
    if _is_torch(x):
        torch = sys.modules["torch"]
        return torch.as_tensor(np.array(a) if isinstance(a, np.ndarray) else a, dtype=x.dtype, device=x.device)
    if _is_torch(a):
        raise TypeError("camera parameters are torch tensors but the points are numpy: pass both as one type")
    return np.asarray(a)


def _stack(items: list[Any], x: Any) -> Any:
    if _is_torch(x):
        return sys.modules["torch"].stack(items, dim=-1)
    return np.stack(items, axis=-1)


def _points(x: Any, channels: int, what: str) -> Any:
    """Return x as an array (tensors pass through) after checking its last axis has ``channels`` entries."""
    if not _is_torch(x):
        x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    if x.ndim < 1 or x.shape[-1] != channels:
        raise ValueError(f"{what} must have shape (..., {channels}), got {tuple(x.shape)}")
    return x


# --- rotations and rigid transforms -----------------------------------------------------------------------------


def world_to_camera(x: Any, R: Any, t: Any) -> Any:
    """World → camera coordinates: ``x @ R.T + t``.

    Args:
        x: (..., J, 3) world points.
        R: (3, 3) or (..., 3, 3) world→camera rotation(s), leading axes broadcast against x's (…).
        t: (3,) or (..., 3) translation(s) with the same leading axes as R.
    Returns:
        (..., J, 3) camera-space points, same type as x.
    """
    x = _points(x, 3, "points")
    R, t = _like(R, x), _like(t, x)
    return x @ R.swapaxes(-1, -2) + t[..., None, :]


def camera_to_world(x: Any, R: Any, t: Any) -> Any:
    """Camera → world coordinates, the inverse of world_to_camera: ``(x - t) @ R``. Shapes as in world_to_camera."""
    x = _points(x, 3, "points")
    R, t = _like(R, x), _like(t, x)
    return (x - t[..., None, :]) @ R


# --- projection ---------------------------------------------------------------------------------------------------


def project(x_cam: Any, focal: Any, center: Any, radial: Any = None, tangential: Any = None) -> Any:
    """Pinhole projection of camera-space points to pixels, with Human3.6M's optional lens distortion.

    The distortion model is VideoPose3D's ``project_to_2d`` (common/camera.py), i.e. Human3.6M's: with
    u = (x/z, y/z), r² = |u|², ``u' = u · (1 + k1 r² + k2 r⁴ + k3 r⁶ + p·u) + p r²`` and pixels = f · u' + c.
    When distortion is applied u is clamped to [-1, 1] like VideoPose3D, because the polynomial diverges beyond
    45° off-axis (far outside any Human3.6M image). Points must be in front of the camera (z > 0); this is not
    checked, to keep the function free of host synchronisation in training.

    Args:
        x_cam: (..., J, 3) camera-space points (x right, y down, z forward).
        focal: (2,) or (..., 2) focal lengths in pixels (fx, fy); leading axes broadcast against x_cam's (…).
        center: (2,) or (..., 2) principal point in pixels.
        radial: None or (3,) / (..., 3) k1, k2, k3.
        tangential: None or (2,) / (..., 2) p1, p2.
    Returns:
        (..., J, 2) pixel coordinates, same type as x_cam.
    """
    x_cam = _points(x_cam, 3, "camera-space points")
    focal, center = _like(focal, x_cam)[..., None, :], _like(center, x_cam)[..., None, :]
    u = x_cam[..., :2] / x_cam[..., 2:]
    if radial is not None or tangential is not None:
        u = u.clip(-1, 1)
        r2 = (u**2).sum(-1, keepdims=True)
        scale = 1
        if radial is not None:
            k = _like(radial, x_cam)[..., None, :]
            scale = scale + k[..., 0:1] * r2 + k[..., 1:2] * r2**2 + k[..., 2:3] * r2**3
        if tangential is not None:
            p = _like(tangential, x_cam)[..., None, :]
            u = u * (scale + (p * u).sum(-1, keepdims=True)) + p * r2
        else:
            u = u * scale
    return u * focal + center


def normalize_screen_coordinates(xy: Any, width: int, height: int) -> Any:
    """Pixels → normalised coordinates: x in [-1, 1] over the image width, y scaled by the same factor.

    ``xy / width * 2 - [1, height / width]`` (VideoPose3D), so the aspect ratio is kept and the image centre maps to
    (0, 0); a portrait image spans y in [-h/w, h/w].

    Args:
        xy: (..., 2) pixel coordinates, numpy or torch.
        width, height: image size in pixels (> 0).
    Returns:
        (..., 2) normalised coordinates, same type as xy.
    """
    xy = _points(xy, 2, "pixel coordinates")
    _check_size(width, height)
    return xy / width * 2 - _like([1.0, height / width], xy)


def image_coordinates(xy: Any, width: int, height: int) -> Any:
    """Inverse of normalize_screen_coordinates: (..., 2) normalised → (..., 2) pixels."""
    xy = _points(xy, 2, "normalised coordinates")
    _check_size(width, height)
    return (xy + _like([1.0, height / width], xy)) * width / 2


def _check_size(width: int, height: int) -> None:
    if not (width > 0 and height > 0):
        raise ValueError(f"image size must be positive, got width={width}, height={height}")


# --- the camera record --------------------------------------------------------------------------------------------


def _frozen_array(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape or not np.all(np.isfinite(arr)):
        raise ValueError(f"Camera.{name} must be a finite array of shape {shape}, got {np.shape(value)}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no truth value; cameras compare by identity
class Camera:
    """A calibrated camera: extrinsics (world→camera), intrinsics in pixels and Human3.6M distortion.

    Attributes:
        R: (3, 3) world→camera rotation (proper: det = +1).
        t: (3,) translation in metres, ``x_cam = x_world @ R.T + t``.
        focal: (2,) fx, fy in pixels.  center: (2,) principal point in pixels.
        radial: (3,) k1..k3.  tangential: (2,) p1, p2.
        width, height: image size in pixels.  name: free-form id (e.g. the Human3.6M camera id).
    """

    R: np.ndarray
    t: np.ndarray
    focal: np.ndarray
    center: np.ndarray
    radial: np.ndarray
    tangential: np.ndarray
    width: int
    height: int
    name: str = field(default="")

    def __post_init__(self) -> None:
        shapes = {"R": (3, 3), "t": (3,), "focal": (2,), "center": (2,), "radial": (3,), "tangential": (2,)}
        for name, shape in shapes.items():
            object.__setattr__(self, name, _frozen_array(getattr(self, name), shape, name))
        if not np.allclose(self.R @ self.R.T, np.eye(3), atol=1e-5) or np.linalg.det(self.R) < 0:
            raise ValueError(f"Camera.R must be a proper rotation matrix (orthonormal, det +1), got\n{self.R}")
        if np.any(self.focal <= 0):
            raise ValueError(f"Camera.focal must be positive, got {self.focal}")
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"Camera.{name} must be a positive int, got {value!r}")
            object.__setattr__(self, name, int(value))

    @property
    def position(self) -> np.ndarray:
        """(3,) camera centre in world coordinates: ``-R.T @ t``."""
        return -self.R.T @ self.t

    def world_to_camera(self, x: Any) -> Any:
        """(..., J, 3) world points → (..., J, 3) camera-space points."""
        return world_to_camera(x, self.R, self.t)

    def camera_to_world(self, x: Any) -> Any:
        """(..., J, 3) camera-space points → (..., J, 3) world points."""
        return camera_to_world(x, self.R, self.t)

    def project_camera(self, x_cam: Any) -> Any:
        """(..., J, 3) camera-space points → (..., J, 2) pixels, with this camera's distortion."""
        return project(x_cam, self.focal, self.center, self.radial, self.tangential)

    def project_world(self, x: Any) -> Any:
        """(..., J, 3) world points → (..., J, 2) pixels, with this camera's distortion."""
        return self.project_camera(self.world_to_camera(x))


# --- Human3.6M calibration ----------------------------------------------------------------------------------------


def load_h36m_cameras(path: str | Path) -> dict[str, list[Camera]]:
    """Read Human3.6M's calibration (../shared/data/h36m/cameras.json) into Cameras, 4 per subject.

    The file follows VideoPose3D's tables: ``intrinsic_per_camera_index`` (4 cameras: id, center, focal_length,
    radial_distortion, tangential_distortion, res_w, res_h) and ``extrinsic_per_subject`` (per subject, 4 dicts
    with ``orientation``, a (w, x, y, z) quaternion rotating camera→world, and ``translation``, the camera centre in
    world coordinates in millimetres). We convert to the contract's convention: metres, ``R = Q.T`` (world→camera)
    and ``t = -R @ C``. Subjects without extrinsics (S2–S4 in the file) are left out.

    Human3.6M's world frame is z up, in metres after conversion; the subjects stand near the origin.

    Returns:
        {subject: [Camera × 4]} in camera-index order, each named by its Human3.6M id (e.g. "54138969").
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Human3.6M camera file not found: {path}")
    try:
        data = json.loads(path.read_text())
        intrinsics = data["intrinsic_per_camera_index"]
        extrinsics = data["extrinsic_per_subject"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a Human3.6M camera file (need intrinsic_per_camera_index and "
                         f"extrinsic_per_subject): {exc}") from exc  # fmt: skip
    cameras: dict[str, list[Camera]] = {}
    for subject, per_camera in extrinsics.items():
        if not all(per_camera):  # empty dicts: no extrinsics published for this subject
            continue
        if len(per_camera) != len(intrinsics):
            raise ValueError(f"{path}: {subject} has {len(per_camera)} extrinsics for {len(intrinsics)} cameras")
        cameras[subject] = []
        for intr, extr in zip(intrinsics, per_camera, strict=True):
            cam_to_world = quaternion_to_matrix(np.asarray(extr["orientation"], dtype=np.float64))
            centre = np.asarray(extr["translation"], dtype=np.float64) / 1000.0  # mm → m
            R = cam_to_world.T
            cameras[subject].append(
                Camera(
                    R=R,
                    t=-R @ centre,
                    focal=intr["focal_length"],
                    center=intr["center"],
                    radial=intr["radial_distortion"],
                    tangential=intr["tangential_distortion"],
                    width=int(intr["res_w"]),
                    height=int(intr["res_h"]),
                    name=str(intr["id"]),
                )
            )
    return cameras
