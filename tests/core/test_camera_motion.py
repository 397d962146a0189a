"""core.camera_motion: the background's motion measured on frames moved by known amounts; a person moving the other
way does not pull the estimate; the running sum and the stabilised track by hand."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.camera_motion import BackgroundMotion, camera_path, stabilised

W, H = 640, 360
PW, PH = 330, 300  # the person's box: most of the frame's texture, so an unmasked median would follow the person


def _scene(seed: int = 0) -> np.ndarray:
    """A textured background larger than the frame (blurred noise: corners everywhere)."""
    noise = np.random.default_rng(seed).integers(0, 255, (H + 200, W + 200, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 1.5)


def _frame(scene: np.ndarray, camera_xy: np.ndarray, person_xy: np.ndarray | None) -> np.ndarray:
    """The frame seen when the background has moved to ``camera_xy`` (sub-pixel), with a textured 'person' box
    whose top-left corner is at ``person_xy``."""
    m = np.float32([[1, 0, camera_xy[0] - 100], [0, 1, camera_xy[1] - 100]])
    image = cv2.warpAffine(scene, m, (W, H), flags=cv2.INTER_LINEAR)
    if person_xy is not None:
        x, y = np.round(person_xy).astype(int)
        image[y : y + PH, x : x + PW] = _scene(1)[:PH, :PW]  # its own texture, moving its own way
    return image


def _person_joints(corner: np.ndarray) -> np.ndarray:
    """17 points spread over the person's box (what the detector would report)."""
    u = np.linspace(0, 1, 17)
    return np.stack([corner[0] + PW * u, corner[1] + PH * u[::-1]], axis=1)


def test_background_motion_is_measured_and_the_person_ignored() -> None:
    scene = _scene()
    steps = np.array([[0, 0], [3.0, -1.5], [2.5, -2.0], [-4.0, 0.5], [0.7, 0.3], [6.0, 4.0]])
    camera = np.cumsum(steps, axis=0)
    person = np.array([[200.0, 20.0]]) + np.arange(len(steps))[:, None] * np.array([-9.0, 5.0])  # the other way
    motion = BackgroundMotion()
    got = np.array([motion.step(_frame(scene, c, p), _person_joints(p)) for c, p in zip(camera, person, strict=True)])
    assert got[0].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(got[1:], steps[1:], atol=0.25)


def test_features_followed_into_the_person_are_dropped() -> None:
    # Features are followed from frame to frame (core.camera_motion.REDETECT_BELOW); the person walking across the
    # frame covers background features, which would then ride along with the person (8 px off without the drop).
    scene = _scene()
    rng = np.random.default_rng(5)
    steps = np.concatenate([[[0.0, 0.0]], rng.uniform(-1.5, 1.5, (39, 2))])
    camera = np.cumsum(steps, axis=0)
    person = np.array([[300.0, 30.0]]) + np.arange(40)[:, None] * np.array([-7.0, 0.0])
    motion = BackgroundMotion()
    got = np.array([motion.step(_frame(scene, c, p), _person_joints(p)) for c, p in zip(camera, person, strict=True)])
    np.testing.assert_allclose(got[1:], steps[1:], atol=0.25)


def test_a_blank_frame_gives_unknown_motion() -> None:
    motion = BackgroundMotion()
    blank = np.full((H, W, 3), 128, np.uint8)
    assert motion.step(blank, None) == (0.0, 0.0)
    assert np.isnan(motion.step(blank, None)).all()


def test_camera_path_and_stabilised_by_hand() -> None:
    shift = np.array([[0.0, 0.0], [2.0, -1.0], [np.nan, np.nan], [1.0, 1.0]])
    np.testing.assert_array_equal(camera_path(shift), [[0, 0], [2, -1], [2, -1], [3, 0]])
    xy = np.zeros((4, 17, 2)) + np.array([10.0, 20.0])
    still = stabilised(xy, shift)
    np.testing.assert_array_equal(still[:, 0], [[10, 20], [8, 21], [8, 21], [7, 20]])
    assert stabilised(xy, None) is xy


@pytest.mark.parametrize("size", [(1280, 720), (320, 180)])
def test_frame_sizes_scale_back_to_the_frame_pixels(size: tuple[int, int]) -> None:
    scene = cv2.resize(_scene(), (size[0] + 400, size[1] + 400))
    motion = BackgroundMotion()
    frames = [cv2.warpAffine(scene, np.float32([[1, 0, dx - 200], [0, 1, -200]]), size) for dx in (0.0, 8.0)]
    motion.step(frames[0], None)
    assert motion.step(frames[1], None) == pytest.approx((8.0, 0.0), abs=0.3)
