"""core.hands.angles: finger angles → landmarks → angles, exact and under landmark noise; mirrored hands; limits."""

from __future__ import annotations

import numpy as np
import pytest

from core.hands.angles import LIMITS, finger_angles, hand_from_angles, limits, to_palm

# A right hand in its palm frame (metres): thumb CMC, then index..pinky MCP in the palm plane; the middle MCP on +y.
KNUCKLES = np.array(
    [[0.025, 0.03, 0.0], [0.025, 0.09, 0.0], [0.0, 0.095, 0.0], [-0.02, 0.09, 0.0], [-0.038, 0.08, 0.0]]
)
LENGTHS = np.array([[0.045, 0.032, 0.028], [0.045, 0.026, 0.022], [0.05, 0.03, 0.024], [0.046, 0.028, 0.023],
                    [0.036, 0.021, 0.02]])  # fmt: skip


def _random_angles(rng: np.random.Generator, n: int) -> np.ndarray:
    lo, hi = LIMITS[..., 0] + 5, LIMITS[..., 1] - 5  # inside the limits, away from the edges
    return rng.uniform(lo, hi, (n, 5, 4))


def _place(hand: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hand turned and moved anywhere (the angles must not depend on it)."""
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    return hand @ q.T + rng.normal(size=3)


def test_round_trip_is_exact() -> None:
    rng = np.random.default_rng(0)
    angles = _random_angles(rng, 50)
    hands = _place(hand_from_angles(angles, KNUCKLES, LENGTHS), rng)
    np.testing.assert_allclose(finger_angles(hands), angles, atol=1e-6)


def test_round_trip_under_landmark_noise_is_within_5_degrees() -> None:
    # 1 mm of noise on every landmark (MediaPipe's metric hand landmarks are smoother than that frame to frame).
    rng = np.random.default_rng(1)
    angles = _random_angles(rng, 200)
    hands = hand_from_angles(angles, KNUCKLES, LENGTHS) + rng.normal(0, 0.001, (200, 21, 3))
    error = np.abs(finger_angles(hands) - angles)
    flexion = error[..., 1:]
    print("flexion error, degrees: median", np.median(flexion).round(2), "p95", np.percentile(flexion, 95).round(2))
    assert np.median(flexion) < 5.0 and np.median(error[..., 0]) < 5.0


def test_a_left_hand_is_read_as_its_mirror_image() -> None:
    rng = np.random.default_rng(2)
    angles = _random_angles(rng, 10)
    right = hand_from_angles(angles, KNUCKLES, LENGTHS)
    left = right * np.array([-1.0, 1.0, 1.0])  # the same pose on the other hand
    np.testing.assert_allclose(finger_angles(_place(left, rng), mirror=True), angles, atol=1e-6)
    assert np.abs(finger_angles(left) - angles).max() > 10.0  # read as a right hand, it is wrong


def test_palm_frame_and_limits() -> None:
    hand = hand_from_angles(np.zeros((5, 4)), KNUCKLES, LENGTHS)
    np.testing.assert_allclose(to_palm(hand), hand, atol=1e-12)  # already in its palm frame
    straight = finger_angles(hand)
    np.testing.assert_allclose(straight, 0.0, atol=1e-9)
    bent = np.zeros((5, 4))
    bent[1, 2] = 150.0  # a PIP joint bent past its range
    bent[2, 1] = -80.0  # an MCP bent backwards past its range
    clamped = limits(bent)
    assert clamped[1, 2] == LIMITS[1, 2, 1] and clamped[2, 1] == LIMITS[2, 1, 0]
    # flexion curls the fingers towards the palm side (+normal for a right hand in the palm frame)
    curled = np.zeros((5, 4))
    curled[1:, 1:] = 45.0
    tips = hand_from_angles(curled, KNUCKLES, LENGTHS)[[8, 12, 16, 20]]
    assert (tips[:, 2] > 0.02).all()


@pytest.mark.parametrize("finger", range(5))
def test_each_angle_moves_only_its_finger(finger: int) -> None:
    angles = np.zeros((5, 4))
    angles[finger] = [10.0, 20.0, 30.0, 15.0]
    out = finger_angles(hand_from_angles(angles, KNUCKLES, LENGTHS))
    np.testing.assert_allclose(out, angles, atol=1e-9)
