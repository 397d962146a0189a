"""Hands in a capture (issue 14): scripted hands with known finger angles through the whole pipeline (the body's
wrists decide the side, short gaps filled, long ones eased into a relaxed hand), the capture file's hand arrays, and
real MediaPipe Hands on the bundled clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from capture_helpers import ScriptedDetector, stick_figure, tiny_checkpoint, write_video
from repo import REPO_ROOT

from core.capture import run_capture
from core.capture_file import load_capture
from core.hands.angles import LIMITS, hand_from_angles
from core.hands.detect import HandObservation
from core.hands.rig import MIRROR, TEMPLATE
from core.hands.track import MAX_FILL_S, RELAXED, fill_hand
from core.options import CaptureOptions
from core.skeleton import JOINT_INDEX

T, FPS = 40, 30.0
SHORT_GAP = range(10, 14)  # 4 frames = 0.13 s: filled
LONG_GAP = range(20, 35)  # 0.5 s: not guessed


def _rotation(k: int) -> np.ndarray:
    """A palm rotation that turns with the frame (camera axes)."""
    a, b = 0.05 * k, 0.3
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rz @ rx


class ScriptedHands:
    """Both hands at the body's wrists with known angles; MediaPipe's labels deliberately wrong, the right hand
    missing in SHORT_GAP and LONG_GAP."""

    def __init__(self, body_xy: np.ndarray, angles: np.ndarray) -> None:
        self.body_xy, self.angles, self.calls = body_xy, angles, 0

    def detect(self, image: np.ndarray) -> list[HandObservation]:
        k = min(self.calls, T - 1)
        self.calls += 1
        hands = []
        for side, joint in ((0, "l_wrist"), (1, "r_wrist")):
            if side == 1 and (k in SHORT_GAP or k in LONG_GAP):
                continue
            model = hand_from_angles(self.angles[k, side], TEMPLATE.knuckles, TEMPLATE.lengths)
            world = model @ (_rotation(k) @ (MIRROR if side == 0 else np.eye(3))).T
            xy = np.tile(self.body_xy[k, JOINT_INDEX[joint]], (21, 1))
            xy[9] += (0, -30)  # a 30-pixel hand
            hands.append(HandObservation(xy.astype(np.float32), world.astype(np.float32), 0.9,
                                         "Left" if side == 1 else "Right"))  # fmt: skip
        return hands[::-1]

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, np.ndarray]:
    tmp = tmp_path_factory.mktemp("hands")
    rng = np.random.default_rng(0)
    angles = rng.uniform(LIMITS[..., 0] + 5, LIMITS[..., 1] - 5, (T, 2, 5, 4))
    body = stick_figure(T)
    video = write_video(tmp / "clip.mp4", T, size=(640, 480), fps=FPS)
    out = tmp / "hands.npz"
    # The scripted palms turn freely against the tiny random lifter's forearms: the wrist limit is lifted here
    # (test_the_wrist_bends_at_most_its_limit_and_keeps_its_twist checks it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("core.hands.track.WRIST_SWING_DEG", 180.0)
        run_capture(video, out, CaptureOptions(weights=str(tiny_checkpoint(tmp / "tiny.pt")), hands=True,
                                               smoothing=0.0),
                    detector=ScriptedDetector(body, np.ones((T, 17)), np.ones(T, bool)),
                    hands_detector=ScriptedHands(body, angles))  # fmt: skip
    return load_capture(out), angles


def test_finger_angles_survive_the_pipeline_on_the_right_arm(scripted: tuple) -> None:
    capture, angles = scripted
    hands = capture.hands
    assert hands is not None and hands.angles.shape == (T, 2, 5, 4)
    seen = hands.seen
    assert seen[:, 0].all() and not seen[list(SHORT_GAP) + list(LONG_GAP), 1].any() and seen[:10, 1].all()
    # MediaPipe's labels were swapped and the list reversed: the body's wrists put each hand on its own arm
    np.testing.assert_allclose(hands.angles[seen], angles[seen], atol=1e-3)


def test_palm_turns_as_in_the_camera_and_rotations_are_proper(scripted: tuple) -> None:
    rot = scripted[0].hands.rotation
    np.testing.assert_allclose(np.linalg.det(rot), 1.0, atol=1e-5)
    # the capture's levelling is one rotation for the clip: relative turns between frames are kept exactly
    for a, b in ((0, 5), (3, 17)):
        turn = np.arccos(np.clip((np.trace(rot[a, 0].T @ rot[b, 0]) - 1) / 2, -1, 1))
        expected = np.arccos(np.clip((np.trace(_rotation(a).T @ _rotation(b)) - 1) / 2, -1, 1))
        assert turn == pytest.approx(expected, abs=1e-4)


def test_short_gaps_are_filled_long_ones_ease_into_a_relaxed_hand(scripted: tuple) -> None:
    hands = scripted[0].hands
    assert hands.present[list(SHORT_GAP), 1].all() and not hands.present[list(LONG_GAP), 1].any()
    middle = hands.angles[27, 1]  # the long gap's middle: ≥ 0.2 s from both edges
    np.testing.assert_allclose(middle, RELAXED, atol=1e-3)
    assert np.all(hands.angles >= LIMITS[..., 0] - 1e-3) and np.all(hands.angles <= LIMITS[..., 1] + 1e-3)


def test_fill_hand_hand_computed() -> None:
    times = np.arange(10) / 10.0  # 10 fps
    seen = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 1], bool)
    values = np.arange(10, dtype=float)[:, None] * 2
    filled, present = fill_hand(values, seen, times, np.array([100.0]))
    assert filled[2, 0] == pytest.approx(4.0)  # a 0.2 s gap ≤ MAX_FILL_S: linear
    assert MAX_FILL_S < 0.6 and present.tolist() == [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    # frame 4: 0.1 s after the last seen (value 6), BLEND_S = 0.2 s: half way to the neutral 100
    assert filled[4, 0] == pytest.approx(53.0) and filled[6, 0] == pytest.approx(100.0)
    assert filled[8, 0] == pytest.approx(0.5 * 18 + 0.5 * 100)


def test_a_file_without_hands_loads_with_none(scripted: tuple, tmp_path: Path) -> None:
    path = scripted[0].path
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files if not k.startswith("hand")}
    np.savez(tmp_path / "old.npz", **arrays)
    assert load_capture(tmp_path / "old.npz").hands is None
    broken = dict(arrays, hand_angles=np.zeros((T, 2, 5, 4)))
    np.savez(tmp_path / "broken.npz", **broken)
    with pytest.raises(ValueError, match="hand data incomplete"):
        load_capture(tmp_path / "broken.npz")


def test_real_hands_on_the_bundled_clip(tmp_path: Path) -> None:
    """MediaPipe Pose and Hands on 40 frames of the balancing clip where its left hand is visible (frames 33-76;
    before that MediaPipe finds a 'hand' on the background, 3–6 hand sizes from both wrists: not attached)."""
    out = tmp_path / "real.npz"
    summary = run_capture(REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4", out,
                          CaptureOptions(weights=str(tiny_checkpoint(tmp_path / "tiny.pt")), hands=True,
                                         frame_start=33, frame_end=72, detect_workers=1))  # fmt: skip
    hands = load_capture(out).hands
    assert hands is not None and summary["hands_seen"][0] > 0.9 and summary["hands_seen"][1] == 0
    with np.load(out) as data:
        confidence = data["hand_confidence"]
    assert np.all(confidence[hands.seen] > 0.5) and np.all(confidence[~hands.seen] == 0)
    assert np.all(np.isfinite(hands.angles)) and np.all(hands.angles <= LIMITS[..., 1] + 1e-3)
    flex = hands.angles[hands.seen[:, 0], 0, 1:, 1:]
    assert np.median(flex) > 0  # a relaxed real hand curls towards its palm: the left hand is read as a left hand


def test_the_wrist_bends_at_most_its_limit_and_keeps_its_twist() -> None:
    from core.hands.track import WRIST_SWING_DEG, limit_wrist

    def turn(axis: str, deg: float) -> np.ndarray:
        a = np.radians(deg)
        c, s = np.cos(a), np.sin(a)
        if axis == "x":
            return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    twisted = turn("y", 70.0)  # pronation about the forearm only: allowed whatever its size
    bent = turn("x", 120.0) @ twisted  # and bent 120° at the wrist: too far
    limited = limit_wrist(np.stack([twisted, turn("x", 40.0), bent]))
    np.testing.assert_allclose(limited[:2], [twisted, turn("x", 40.0)], atol=1e-12)
    np.testing.assert_allclose(np.degrees(np.arccos(limited[2][1, 1])), WRIST_SWING_DEG, atol=1e-6)
    np.testing.assert_allclose(limited[2], turn("x", WRIST_SWING_DEG) @ twisted, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(limited), 1.0)
