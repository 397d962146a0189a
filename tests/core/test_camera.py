"""core.camera: rotations, world↔camera round trips, projection by hand, normalisation, Human3.6M calibration."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from core.camera import (
    Camera,
    camera_to_world,
    image_coordinates,
    load_h36m_cameras,
    normalize_screen_coordinates,
    project,
    world_to_camera,
)
from core.rotations import quaternion_to_matrix


def _random_rotations(n: int, seed: int) -> np.ndarray:
    return quaternion_to_matrix(np.random.default_rng(seed).normal(size=(n, 4)))


def _camera(**overrides: object) -> Camera:
    fields = dict(R=np.eye(3), t=np.zeros(3), focal=[1000.0, 1100.0], center=[500.0, 400.0], radial=np.zeros(3),
                  tangential=np.zeros(2), width=1000, height=800)  # fmt: skip
    fields.update(overrides)
    return Camera(**fields)


def test_quaternion_to_matrix_known_rotations() -> None:
    np.testing.assert_allclose(quaternion_to_matrix(np.array([1.0, 0, 0, 0])), np.eye(3))
    half = math.sqrt(0.5)
    rz90 = quaternion_to_matrix(np.array([half, 0, 0, half]))  # 90° about +z: x → y, y → -x
    np.testing.assert_allclose(rz90 @ [1.0, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(rz90 @ [0, 1.0, 0], [-1, 0, 0], atol=1e-12)
    # Un-normalised input is normalised; q and -q give the same rotation.
    np.testing.assert_allclose(quaternion_to_matrix(np.array([-2 * half, 0, 0, -2 * half])), rz90, atol=1e-12)


def test_quaternion_to_matrix_batched_is_proper_and_torch_agrees() -> None:
    q = np.random.default_rng(0).normal(size=(3, 5, 4))
    m = quaternion_to_matrix(q)
    assert m.shape == (3, 5, 3, 3)
    np.testing.assert_allclose(m @ m.swapaxes(-1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(m), np.ones((3, 5)))
    np.testing.assert_allclose(quaternion_to_matrix(torch.from_numpy(q)).numpy(), m)


def test_world_camera_round_trip_numpy_and_torch() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6, 17, 3))
    R, t = _random_rotations(1, 3)[0], rng.normal(size=3)
    cam = world_to_camera(x, R, t)
    np.testing.assert_allclose(cam[1, 2, 3], R @ x[1, 2, 3] + t)
    np.testing.assert_allclose(camera_to_world(cam, R, t), x, atol=1e-12)
    # Per-sample rotations (B, 3, 3) and translations (B, 3), tensors with numpy parameters.
    Rb, tb = _random_rotations(4, 5)[:, None], rng.normal(size=(4, 1, 3))  # broadcast over the 6 frames
    xt = torch.from_numpy(x).float()
    cam_t = world_to_camera(xt, Rb, tb)
    assert cam_t.dtype == torch.float32
    np.testing.assert_allclose(cam_t[2, 0, 5].numpy(), Rb[2, 0] @ x[2, 0, 5] + tb[2, 0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(camera_to_world(cam_t, Rb, tb), xt, rtol=1e-5, atol=1e-5)


def test_camera_record_round_trip_and_position() -> None:
    R = _random_rotations(1, 7)[0]
    position = np.array([1.0, -4.0, 1.5])
    camera = _camera(R=R, t=-R @ position)
    np.testing.assert_allclose(camera.position, position)
    np.testing.assert_allclose(camera.world_to_camera(position[None]), np.zeros((1, 3)), atol=1e-12)
    x = np.random.default_rng(8).normal(size=(5, 17, 3))
    np.testing.assert_allclose(camera.camera_to_world(camera.world_to_camera(x)), x, atol=1e-12)


def test_project_known_point_without_distortion() -> None:
    x = np.array([[0.5, -0.25, 2.0]])  # u = (0.25, -0.125)
    np.testing.assert_allclose(project(x, [1000.0, 1100.0], [500.0, 400.0]), [[750.0, 262.5]])
    np.testing.assert_allclose(_camera().project_world(x), [[750.0, 262.5]])


def test_project_known_point_with_distortion() -> None:
    x = np.array([[0.5, -0.25, 2.0]])
    k, p = [0.1, 0.01, 0.001], [0.002, -0.003]
    # By hand: u = (0.25, -0.125); r² = 0.078125; radial = 1 + 0.1 r² + 0.01 r⁴ + 0.001 r⁶ = 1.0078740119934082;
    # p·u = 0.0005 + 0.000375 = 0.000875; u' = u (radial + p·u) + p r² = (0.252343503, -0.126328001).
    expected = [[1000 * 0.252343503 + 500, 1100 * -0.126328001 + 400]]  # (752.3435, 261.0392)
    np.testing.assert_allclose(project(x, [1000.0, 1100.0], [500.0, 400.0], k, p), expected, rtol=1e-8)
    camera = _camera(radial=k, tangential=p)
    np.testing.assert_allclose(camera.project_world(x), expected, rtol=1e-8)
    torch_px = project(torch.tensor(x), [1000.0, 1100.0], [500.0, 400.0], k, p)
    np.testing.assert_allclose(torch_px.numpy(), expected, rtol=1e-8)


def test_barrel_distortion_pulls_points_towards_the_centre() -> None:
    x = np.array([[0.4, 0.3, 1.0]])
    plain = project(x, [1000.0, 1000.0], [0.0, 0.0])
    barrel = project(x, [1000.0, 1000.0], [0.0, 0.0], radial=[-0.2, 0.0, 0.0])
    # r² = 0.25, so the radial factor is 1 - 0.2 · 0.25 = 0.95 exactly.
    np.testing.assert_allclose(barrel, plain * 0.95)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1088, 1920), (480, 270), (1000, 1002)])
def test_normalize_image_coordinates_round_trip(width: int, height: int) -> None:
    corners = np.array([[0.0, 0.0], [width, height], [width / 2, height / 2]])
    norm = normalize_screen_coordinates(corners, width, height)
    aspect = height / width
    np.testing.assert_allclose(norm, [[-1, -aspect], [1, aspect], [0, 0]], atol=1e-12)
    xy = np.random.default_rng(width).uniform(0, [width, height], size=(10, 17, 2))
    np.testing.assert_allclose(image_coordinates(normalize_screen_coordinates(xy, width, height), width, height), xy)
    xy_t = torch.from_numpy(xy)
    torch.testing.assert_close(normalize_screen_coordinates(xy_t, width, height),
                               torch.from_numpy(normalize_screen_coordinates(xy, width, height)))  # fmt: skip


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="positive"):
        normalize_screen_coordinates(np.zeros((3, 2)), 0, 100)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        normalize_screen_coordinates(np.zeros((3, 3)), 100, 100)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        world_to_camera(np.zeros((17, 2)), np.eye(3), np.zeros(3))
    with pytest.raises(ValueError, match="proper rotation"):
        _camera(R=np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="width"):
        _camera(width=0)
    with pytest.raises(ValueError, match="focal"):
        _camera(focal=[1000.0, -1.0])
    with pytest.raises(ValueError, match="shape"):
        _camera(radial=[0.1, 0.2])


def test_camera_is_frozen_and_read_only() -> None:
    camera = _camera()
    with pytest.raises(dataclasses.FrozenInstanceError):
        camera.width = 10  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        camera.R[0, 0] = 2.0


def test_load_h36m_cameras_geometry(shared_dir: Path) -> None:
    path = shared_dir / "data" / "h36m" / "cameras.json"
    if not path.is_file():
        pytest.skip(f"Human3.6M calibration not found at {path}")
    cameras = load_h36m_cameras(path)
    assert set(cameras) == {"S1", "S5", "S6", "S7", "S8", "S9", "S11"}  # S2–S4 have no extrinsics
    for subject, cams in cameras.items():
        assert [c.name for c in cams] == ["54138969", "55011271", "58860488", "60457274"]
        for cam in cams:
            where = f"{subject}/{cam.name}"
            distance = np.linalg.norm(cam.position)
            assert 4.0 < distance < 6.0, f"{where}: camera {distance:.2f} m from the origin"
            assert 1.0 < cam.position[2] < 2.5, f"{where}: camera height {cam.position[2]:.2f} m (z up)"
            optical_axis = cam.R[2]  # camera +z in world coordinates
            cos = optical_axis @ (-cam.position) / distance
            assert cos > math.cos(math.radians(15)), f"{where}: looks {math.degrees(math.acos(cos)):.1f}° off"
            # A person standing at the origin (feet at z=0, head at 1.7 m) is in view, upright (head above feet).
            feet, head = cam.project_world(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.7]]))
            assert 0 < feet[0] < cam.width and 0 < head[1] < feet[1] < cam.height, f"{where}: {feet}, {head}"


def test_load_h36m_cameras_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_h36m_cameras(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cameras": []}))
    with pytest.raises(ValueError, match="intrinsic_per_camera_index"):
        load_h36m_cameras(bad)
