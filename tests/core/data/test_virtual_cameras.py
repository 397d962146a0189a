"""core.data.virtual_cameras: rigs and random cameras keep the whole motion in view and follow the contract."""

from __future__ import annotations

import numpy as np
import pytest

from core.camera import Camera, normalize_screen_coordinates
from core.data.virtual_cameras import (
    RandomCameraConfig,
    h36m_like_rig,
    in_view,
    look_at,
    random_camera,
    view,
)


def _walk(T: int = 200, length_m: float = 4.0) -> np.ndarray:
    """(T, 17, 3) a crude standing figure translating `length_m` along x, Z up, feet on z = 0."""
    rng = np.random.default_rng(0)
    body = rng.uniform((-0.25, -0.15, 0.05), (0.25, 0.15, 1.65), size=(17, 3))
    body[0] = (0.0, 0.0, 0.9)
    shift = np.zeros((T, 1, 3))
    shift[:, 0, 0] = np.linspace(0, length_m, T)
    return body[None] + shift


def _all_inside(cam: Camera, joints: np.ndarray) -> bool:
    uv = cam.project_world(joints)
    return bool(np.all((uv >= 0) & (uv <= (cam.width, cam.height))))


def test_look_at_axes() -> None:
    R = look_at(np.array([0.0, -5.0, 1.0]), np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(R, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)  # right, down, forward
    tilted = look_at(np.array([0.0, -5.0, 1.0]), np.array([0.0, 0.0, 1.0]), pitch_deg=10.0)
    assert tilted[2, 2] > 0.17  # optical axis now points up
    with pytest.raises(ValueError, match="straight up"):
        look_at(np.zeros(3), np.array([0.0, 0.0, 1.0]))


def test_random_cameras_keep_all_joints_in_the_image() -> None:
    joints = _walk()
    rng = np.random.default_rng(1)
    cfg = RandomCameraConfig(out_of_frame_prob=0.0)
    sizes, heights = set(), []
    for _ in range(40):
        cam = random_camera(joints, rng, cfg)
        assert isinstance(cam, Camera) and _all_inside(cam, joints) and in_view(cam, joints, cfg.margin)
        assert np.all(cam.world_to_camera(joints)[..., 2] > 0)
        sizes.add((cam.width, cam.height))
        heights.append(cam.position[2])
    assert any(w > h for w, h in sizes) and any(w < h for w, h in sizes)  # landscape and portrait
    assert cfg.height_m[0] <= min(heights) and max(heights) <= cfg.height_m[1]


def test_wide_cameras_look_down_and_up_roll_and_sometimes_crop() -> None:
    """The default ranges reach overhead and floor-level views, hand-held roll and joints past the border."""
    joints = _walk(50, 0.3)
    rng = np.random.default_rng(5)
    cams = [random_camera(joints, rng) for _ in range(300)]
    pitch = np.degrees(np.arcsin(np.array([c.R[2, 2] for c in cams])))  # optical axis below (-) / above (+) horizon
    roll = np.degrees(np.arctan2(np.array([c.R[0, 2] for c in cams]), 1.0))
    assert pitch.min() < -35 and pitch.max() > 15
    assert np.abs(roll).max() > 10
    cropped = [not _all_inside(c, joints) for c in cams]
    assert 0.03 < np.mean(cropped) < 0.3
    assert all(in_view(c, joints, -RandomCameraConfig().out_of_frame_margin) for c in cams)


def test_camera_fitting_fails_loudly_instead_of_backing_away_without_limit() -> None:
    # a 10x tele lens 1.5 m from a person can only fit them from tens of metres: refuse, do not produce that camera
    cfg = RandomCameraConfig(distance_m=(1.5, 1.5), focal_over_long_side=(10.0, 10.0), out_of_frame_prob=0.0)
    with pytest.raises(ValueError, match="no usable camera.*could not fit"):
        random_camera(_walk(20, 0.0), np.random.default_rng(0), cfg)


def test_h36m_like_rig_geometry() -> None:
    joints = _walk(100, length_m=0.5)
    rig = h36m_like_rig(joints, rng=np.random.default_rng(2))
    assert len(rig) == 4
    centre = joints[:, 0].mean(axis=0)
    azimuths = []
    for cam in rig:
        offset = cam.position - centre
        assert 4.5 <= np.linalg.norm(offset[:2]) <= 5.5 + 1e-9 and 1.5 <= cam.position[2] <= 1.8
        assert cam.focal[0] == 1150.0 and (cam.width, cam.height) == (1000, 1000)
        assert _all_inside(cam, joints)
        forward = cam.R[2]
        np.testing.assert_allclose(forward, -offset / np.linalg.norm(offset), atol=1e-9)  # looks at the subject
        azimuths.append(np.degrees(np.arctan2(offset[1], offset[0])))
    gaps = np.sort((np.array(azimuths) - azimuths[0]) % 360)
    np.testing.assert_allclose(gaps, [0, 40, 180, 220], atol=1e-6)  # ±70°, ±110° pattern


def test_rig_with_published_intrinsics(shared_dir) -> None:
    rig = h36m_like_rig(_walk(50, 0.3), cameras_json=shared_dir / "data/h36m/cameras.json")
    assert [c.name for c in rig][0] == "h36m_like_54138969"
    assert rig[0].height == 1002 and abs(rig[0].focal[0] - 1145.05) < 0.01 and rig[0].radial[0] < 0


def test_long_motion_pushes_the_camera_back() -> None:
    short, long = _walk(100, 0.2), _walk(100, 12.0)
    cfg = RandomCameraConfig(distance_m=(3.0, 3.0), yaw_deg=(90.0, 90.0))  # side view of the walk
    near = random_camera(short, np.random.default_rng(3), cfg)
    far = random_camera(long, np.random.default_rng(3), cfg)
    assert _all_inside(far, long)
    assert np.linalg.norm(far.position[:2] - long[:, 0, :2].mean(0)) > 2 * np.linalg.norm(
        near.position[:2] - short[:, 0, :2].mean(0)
    )


def test_view_outputs() -> None:
    joints = _walk(20)
    cam = random_camera(joints, np.random.default_rng(4))
    pixels, normalised, target = view(joints, cam)
    assert pixels.shape == normalised.shape == (20, 17, 2) and target.shape == (20, 17, 3)
    np.testing.assert_allclose(target[:, 0], 0.0)
    np.testing.assert_allclose(normalised, normalize_screen_coordinates(pixels, cam.width, cam.height), atol=1e-5)
    x_cam = cam.world_to_camera(joints)
    np.testing.assert_allclose(target, x_cam - x_cam[:, :1], atol=1e-5)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="T, J, 3"):
        random_camera(np.zeros((10, 17, 2)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown keys"):
        RandomCameraConfig.from_dict({"fov": 60})
    with pytest.raises(ValueError, match="low <= high"):
        RandomCameraConfig(height_m=(2.0, 1.0))
    assert RandomCameraConfig.from_dict({"image_sizes": [[640, 480]]}).image_sizes == ((640, 480),)
