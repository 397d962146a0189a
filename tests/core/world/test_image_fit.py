"""core.world.image_fit on hand-computed values: joints drawn onto the rays of their 2D, and the pinhole projection."""

from __future__ import annotations

import numpy as np
import pytest

from core.world.image_fit import onto_rays, project

W, H, F = 200, 100, 50.0


def _one_joint(x: float, y: float, z: float) -> np.ndarray:
    return np.array([[[x, y, z]]])


def test_a_confident_joint_goes_onto_its_ray_at_its_own_depth() -> None:
    point = _one_joint(0.1, 0.0, 2.0)
    pixel = np.array([[[100.0 + 10.0, 50.0 - 5.0]]])  # the ray through it: x = 10 / 50 · z, y = -5 / 50 · z
    out = onto_rays(point, pixel, W, H, F)
    np.testing.assert_allclose(out, [[[0.4, -0.2, 2.0]]], atol=1e-12)
    np.testing.assert_allclose(project(out, W, H, F), pixel, atol=1e-9)


@pytest.mark.parametrize(("conf", "share", "x"), [(0.5, 1.0, 0.25), (1.0, 0.5, 0.25), (0.0, 1.0, 0.1), (1.0, 0.0, 0.1)])
def test_confidence_and_share_set_how_far(conf: float, share: float, x: float) -> None:
    point = _one_joint(0.1, 0.0, 2.0)
    pixel = np.array([[[110.0, 50.0]]])  # its ray meets depth 2 at x = 0.4
    out = onto_rays(point, pixel, W, H, F, conf=np.array([[conf]]), share=share)
    np.testing.assert_allclose(out, [[[x, 0.0, 2.0]]], atol=1e-12)


def test_nan_confidence_counts_as_none() -> None:
    point = _one_joint(0.1, 0.0, 2.0)
    out = onto_rays(point, np.array([[[110.0, 50.0]]]), W, H, F, conf=np.array([[np.nan]]))
    np.testing.assert_allclose(out, point)
