"""Quaternion slerp against hand-derived rotations: across hemispheres and at weights other than 1/2.

Quaternions are (w, x, y, z); a turn of a degrees about Z is (cos a/2, 0, 0, sin a/2). q and -q are the same rotation,
so results are compared up to sign.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import rotations as quat


def about_z(deg: float) -> np.ndarray:
    half = np.radians(deg) / 2
    return np.array([np.cos(half), 0.0, 0.0, np.sin(half)])


def assert_same_rotation(q: np.ndarray, expected: np.ndarray) -> None:
    sign = 1.0 if np.dot(q, expected) >= 0 else -1.0
    np.testing.assert_allclose(sign * q, expected, atol=1e-12)


# 170° → -170° about Z: the short way is 20° through 180°, not 340° through 0°. The two quaternions lie in opposite
# hemispheres (their dot product is cos 170° < 0), which is the case a slerp without the sign flip gets wrong.
@pytest.mark.parametrize(("weight", "deg"), [(0.0, 170.0), (0.25, 175.0), (0.5, 180.0), (0.75, 185.0), (1.0, 190.0)])
def test_slerp_takes_the_short_way_across_hemispheres(weight: float, deg: float) -> None:
    q0, q1 = about_z(170.0), about_z(-170.0)
    assert np.dot(q0, q1) < 0
    assert_same_rotation(quat.slerp(q0, q1, weight), about_z(deg))


@pytest.mark.parametrize(("weight", "deg"), [(0.1, 9.0), (0.25, 22.5), (1 / 3, 30.0), (0.9, 81.0)])
def test_slerp_moves_at_constant_angular_speed(weight: float, deg: float) -> None:
    """0° → 90°: the angle grows linearly with the weight (a normalised linear blend gives 21.6° at 0.25)."""
    assert_same_rotation(quat.slerp(about_z(0.0), about_z(90.0), weight), about_z(deg))


def test_slerp_broadcasts_weights_and_keeps_unit_length() -> None:
    q0 = np.stack([about_z(170.0), about_z(0.0)])
    q1 = np.stack([about_z(-170.0), about_z(90.0)])
    out = quat.slerp(q0[None], q1[None], np.array([[0.25], [0.75]]))  # (2 weights, 2 pairs, 4)
    assert out.shape == (2, 2, 4)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, atol=1e-12)
    assert_same_rotation(out[1, 0], about_z(185.0))
    assert_same_rotation(out[1, 1], about_z(67.5))


def test_slerp_of_a_rotation_with_its_negative_is_constant() -> None:
    """q and -q are the same rotation: every weight gives it back (no 0/0 on the antipodal pair)."""
    q = about_z(40.0)
    for weight in (0.0, 0.3, 1.0):
        assert_same_rotation(quat.slerp(q, -q, weight), q)
