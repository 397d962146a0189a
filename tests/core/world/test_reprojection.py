"""core.world.reprojection: the root where the lifted pose projects onto the 2D (hand-made perspective scenes)."""

from __future__ import annotations

import numpy as np
import pytest
from capture_helpers import standing_world

from core.world import reprojection
from core.world.reprojection import reprojected_root

W, H, F = 1280, 720, 800.0


def _scene(T: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A standing body in camera axes (y down), root-relative, at known roots 3–5 m away → (rel, pixels, roots)."""
    world = standing_world(1.75)
    rel = np.stack([world[:, 0], -world[:, 2], world[:, 1]], axis=-1)  # Blender → camera axes
    rel = np.repeat((rel - rel[:1])[None], T, axis=0)
    roots = np.stack([np.linspace(-0.5, 0.5, T), np.full(T, 0.3), np.linspace(3.0, 5.0, T)], axis=1)
    points = rel + roots[:, None]
    return rel, F * points[..., :2] / points[..., 2:3] + np.array([W / 2, H / 2]), roots


def test_a_perspective_view_gives_its_root_back_exactly() -> None:
    rel, xy, roots = _scene()
    np.testing.assert_allclose(reprojected_root(rel, xy, W, H, F, median_frames=1), roots, atol=1e-9)


def test_a_misplaced_joint_barely_moves_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    rel, xy, roots = _scene()
    xy[:, 16] += (150.0, -80.0)  # a wrist the detector put elsewhere
    robust = reprojected_root(rel, xy, W, H, F, median_frames=1)
    conf = np.ones(xy.shape[:2])
    conf[:, 16] = 0.0
    np.testing.assert_allclose(reprojected_root(rel, xy, W, H, F, conf, median_frames=1), roots, atol=1e-9)
    monkeypatch.setattr(reprojection, "HUBER_BOX", 1e9)  # plain least squares: the test can fail
    plain = reprojected_root(rel, xy, W, H, F, median_frames=1)
    err_robust = np.linalg.norm(robust - roots, axis=1).max()
    err_plain = np.linalg.norm(plain - roots, axis=1).max()
    assert err_robust < 0.3 * err_plain and err_robust < 0.05


def test_frames_without_three_weighted_joints_keep_the_start() -> None:
    rel, xy, roots = _scene()
    conf = np.ones(xy.shape[:2])
    conf[2, 2:] = 0.0  # frame 2: two joints left
    start = roots + 0.5
    out = reprojected_root(rel, xy, W, H, F, conf, start=start, median_frames=1)
    np.testing.assert_allclose(out[2], start[2])
    np.testing.assert_allclose(np.delete(out, 2, axis=0), np.delete(roots, 2, axis=0), atol=1e-9)
