"""core.others: another person in the frame, looked for with the tracked one painted out (real imagery: the shared
Pose2Sim view beside itself)."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from capture_helpers import tiny_checkpoint
from repo import REPO_ROOT

from core.capture import run_capture
from core.detect import MediaPipePoseDetector
from core.options import CaptureOptions
from core.others import MARGIN_BOTTOM, MARGIN_SIDE, MARGIN_TOP, PAINT, OtherPeople, painted_out
from core.presence import assess_presence

CLIP = REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4"


def test_painted_out_covers_the_widened_box_of_the_joints() -> None:
    image = np.zeros((200, 300, 3), np.uint8)
    xy = np.full((17, 2), np.nan)
    xy[0], xy[1] = (100.0, 50.0), (140.0, 150.0)  # box 40 x 100 px: margins 20 px beside, 30 above, 10 below
    out = painted_out(image, xy)
    assert MARGIN_SIDE * 100 == 20 and MARGIN_TOP * 100 == 30 and MARGIN_BOTTOM * 100 == 10
    painted = np.argwhere((out == PAINT).all(axis=-1))
    assert painted.min(axis=0).tolist() == [20, 80] and painted.max(axis=0).tolist() == [159, 159]
    assert (image == 0).all()  # a copy: the frame itself is untouched


def test_one_check_per_slot_of_clip_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []
    others = OtherPeople(every_s=2.0)
    monkeypatch.setattr(others, "_someone_else", lambda image: calls.append(1.0) or True)
    xy = np.zeros((17, 2))
    frames = [(0.0, xy), (0.5, xy), (1.9, xy), (2.0, None), (2.1, xy), (3.9, xy), (4.5, xy)]
    got = [others.check(np.zeros((4, 4, 3), np.uint8), t, p) for t, p in frames]
    # slots [0, 2) [2, 4) [4, 6): the first frame of each with a tracked person; 2.0 s has nobody tracked
    assert [i for i, v in enumerate(got) if not math.isnan(v)] == [0, 4, 6] and len(calls) == 3


@pytest.fixture(scope="module")
def frames() -> tuple[np.ndarray, np.ndarray]:
    """A frame of the shared view (one person) and the same frame beside itself (two people)."""
    cap = cv2.VideoCapture(str(CLIP))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 50)
    ok, one = cap.read()
    cap.release()
    assert ok
    one = cv2.resize(one, (one.shape[1] // 2, one.shape[0] // 2))  # 544 x 960: quicker, still a clear person
    return one, np.hstack([one, one])


def test_a_second_person_is_found_and_the_tracked_one_is_not(frames: tuple[np.ndarray, np.ndarray]) -> None:
    one, two = frames
    for image, expected in ((one, 0.0), (two, 1.0)):
        detector = MediaPipePoseDetector()
        try:
            pose = detector.detect(image, 0.0)
        finally:
            detector.close()
        assert pose is not None
        others = OtherPeople()
        try:
            assert others.check(image, 0.0, pose[0]) == expected
        finally:
            others.close()


def test_the_warning_names_the_times() -> None:
    T, fps = 50, 25.0
    xy = np.tile(np.array([[320.0, 100.0]] * 8 + [[320.0, 400.0]] * 9)[None], (T, 1, 1))
    others = np.full(T, np.nan)
    others[[0, 25]] = [0.0, 1.0]
    p = assess_presence(xy, np.full((T, 17), 0.9), np.ones(T, bool), np.arange(T) / fps, 480, others)
    assert p.warnings == ["another person is visible (at 1.0 s; 1 of 2 checks): only one person is captured, the one "
                          "MediaPipe tracks, and it may switch to the other: check the result"]  # fmt: skip
    others[25] = 0.0
    assert assess_presence(xy, np.full((T, 17), 0.9), np.ones(T, bool), np.arange(T) / fps, 480, others).warnings == []


def test_a_capture_of_two_people_warns_and_of_one_does_not(frames: tuple[np.ndarray, np.ndarray],
                                                           tmp_path: Path) -> None:  # fmt: skip
    weights = str(tiny_checkpoint(tmp_path / "tiny.pt"))
    for name, image, warned in (("one.mp4", frames[0], False), ("two.mp4", frames[1], True)):
        video = tmp_path / name
        h, w = image.shape[:2]
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
        for _ in range(25):  # 2.5 s: checks at 0 s and 2 s
            writer.write(image)
        writer.release()
        summary = run_capture(video, tmp_path / f"{name}.npz", CaptureOptions(weights=weights, detect_workers=1))
        assert any(w.startswith("another person is visible") for w in summary["warnings"]) == warned
