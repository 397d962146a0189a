"""core.detect: the detector protocol with a scripted fake, gap filling, left/right swap repair, real MediaPipe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from capture_helpers import ScriptedDetector, stick_figure, write_video
from repo import REPO_ROOT

from core.detect import MediaPipePoseDetector, Track2D, clean_track, detect_track, fix_lr_swaps
from core.errors import Cancelled, NoPersonError
from core.skeleton import FLIP_PERMUTATION, H36M_LEFT, H36M_RIGHT
from core.video import iter_frames


def _track(xy: np.ndarray, detected: np.ndarray, conf: np.ndarray | None = None) -> Track2D:
    T = len(xy)
    conf = np.ones((T, 17), np.float32) if conf is None else conf
    xy = np.where(detected[:, None, None], xy, np.nan).astype(np.float32)
    conf = np.where(detected[:, None], conf, 0).astype(np.float32)
    return Track2D(xy, conf, detected, np.arange(T), np.arange(T) / 30.0, np.zeros(T, bool))


def test_detect_track_with_scripted_detector(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4", 12)
    xy = stick_figure(12)
    detected = np.ones(12, bool)
    detected[[3, 4]] = False
    seen: list[int] = []
    track = detect_track(iter_frames(video), ScriptedDetector(xy, np.ones((12, 17)), detected), on_frame=seen.append)
    assert seen == list(range(1, 13))
    assert track.detected.tolist() == detected.tolist()
    assert np.isnan(track.xy[3]).all() and (track.conf[3] == 0).all()
    assert np.allclose(track.xy[5], xy[5])
    assert track.frame_indices.tolist() == list(range(12))
    assert track.detection_rate == pytest.approx(10 / 12)
    assert track.world is None  # a detector without its own 3D


class _With3D(ScriptedDetector):
    """A scripted detector that also has a 3D body of its own (as MediaPipe's world landmarks)."""

    last_world = None

    def detect(self, image: np.ndarray, time_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        pose = super().detect(image, time_s)
        self.last_world = None if pose is None else np.full((17, 3), float(self.calls), np.float32)
        return pose


def test_detect_track_keeps_the_detectors_own_3d(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4", 6)
    detected = np.array([True, False, True, True, False, True])
    track = detect_track(iter_frames(video), _With3D(stick_figure(6), np.ones((6, 17)), detected))
    assert track.world.shape == (6, 17, 3) and track.world.dtype == np.float32
    assert np.isnan(track.world[~detected]).all()
    assert track.world[detected, 0, 0].tolist() == [1.0, 3.0, 4.0, 6.0]  # the call that found each frame's person
    cleaned = clean_track(track)  # passed on untouched, and through a helper's arrays
    assert cleaned.world is track.world
    np.testing.assert_array_equal(Track2D.from_arrays(track.arrays()).world, track.world)


def test_detect_track_cancels(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4", 10)
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        detect_track(iter_frames(video), ScriptedDetector(stick_figure(10), np.ones((10, 17)), np.ones(10, bool)),
                     should_stop=lambda: next(calls) >= 3)  # fmt: skip


def test_person_leaving_the_frame_is_bridged_and_flagged() -> None:
    xy = stick_figure(60)
    detected = np.ones(60, bool)
    detected[20:35] = False  # walks out for half a second
    detected[:3] = False  # and enters late
    clean = clean_track(_track(xy, detected))
    assert np.isfinite(clean.xy).all()
    assert clean.detected.tolist() == detected.tolist()
    # Linear in time between the last frame before and the first after the gap; held before the first detection.
    w = (27 - 19) / (35 - 19)
    assert np.allclose(clean.xy[27], (1 - w) * xy[19] + w * xy[35], atol=1e-3)
    assert np.allclose(clean.xy[0], xy[3]) and np.allclose(clean.xy[40], xy[40])


def test_low_confidence_joints_are_interpolated() -> None:
    xy = stick_figure(30)
    conf = np.ones((30, 17), np.float32)
    conf[10:15, 13] = 0.05  # left wrist occluded for 5 frames
    noisy = xy.copy()
    noisy[10:15, 13] += 200.0  # what a detector reports for an occluded joint: garbage
    clean = clean_track(_track(noisy, np.ones(30, bool), conf), min_confidence=0.3)
    assert np.abs(clean.xy[10:15, 13] - xy[10:15, 13]).max() < 30.0  # interpolated, not the garbage
    assert np.allclose(clean.xy[:, 12], xy[:, 12])  # confident joints untouched


def test_no_person_in_any_frame() -> None:
    with pytest.raises(NoPersonError, match="No person was detected in any of the 25 frames") as err:
        clean_track(_track(stick_figure(25), np.zeros(25, bool)))
    assert err.value.kind == "no_person"


def _swap(xy: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = xy.copy()
    out[frames] = out[frames][:, list(FLIP_PERMUTATION)]
    return out


@pytest.mark.parametrize(
    "segments",
    [[(30, 50)], [(0, 12)], [(70, 90)], [(10, 11), (40, 41), (55, 70)]],
    ids=["middle", "start", "end", "single-frames-and-run"],
)
def test_lr_swaps_are_found_and_undone(segments: list[tuple[int, int]]) -> None:
    xy = stick_figure(90, seed=1)
    truth = np.zeros(90, bool)
    for a, b in segments:
        truth[a:b] = True
    swapped = fix_lr_swaps(_swap(xy, truth), np.ones(90, bool))
    assert swapped.tolist() == truth.tolist()
    clean = clean_track(_track(_swap(xy, truth), np.ones(90, bool)))
    assert clean.swapped.tolist() == truth.tolist()
    assert np.allclose(clean.xy, xy, atol=1e-4)


def test_lr_swap_repair_across_a_detection_gap() -> None:
    xy = stick_figure(60, seed=2)
    detected = np.ones(60, bool)
    detected[25:30] = False
    truth = np.zeros(60, bool)
    truth[30:38] = True
    swapped = fix_lr_swaps(np.where(detected[:, None, None], _swap(xy, truth), np.nan), detected)
    assert swapped.tolist() == truth.tolist()


def test_no_swaps_reported_on_a_consistent_track() -> None:
    xy = stick_figure(120, seed=3)
    assert not fix_lr_swaps(xy, np.ones(120, bool)).any()
    # In a frontal view the subject's left joints are on the image's right; the helper is built that way.
    assert (xy[:, list(H36M_LEFT), 0] > xy[:, list(H36M_RIGHT), 0]).all()


def test_mediapipe_detector_on_a_real_frame_and_an_empty_one() -> None:
    clip = REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4"  # committed
    frame = next(iter_frames(clip))
    detector = MediaPipePoseDetector()
    try:
        assert detector.detect(np.zeros((480, 640, 3), np.uint8), 0.0) is None
        pose = detector.detect(frame.image, 0.0)
    finally:
        detector.close()
    assert pose is not None
    xy, conf = pose
    assert xy.shape == (17, 2) and conf.shape == (17,)
    # MediaPipe's own 3D (world landmarks), on the same joints: metres, hip-centred, camera axes (y down)
    world = detector.last_world
    assert world.shape == (17, 3) and np.abs(world[0]).max() < 0.05
    assert world[10, 1] < world[0, 1] - 0.4 and world[3, 1] > world[0, 1] + 0.4  # head up, ankles down
    h, w = frame.image.shape[:2]
    assert ((xy >= 0) & (xy <= [w, h])).all()  # pixels of the full-size frame, not of the downscaled copy
    assert conf[[0, 1, 4, 8]].min() > 0.5  # pelvis, hips, thorax clearly visible
    # The head is above the pelvis, the ankles below the knees (image y grows downwards).
    assert xy[10, 1] < xy[0, 1] and xy[3, 1] > xy[2, 1] and xy[6, 1] > xy[5, 1]


def test_mediapipe_loads_without_matplotlib_until_something_uses_it() -> None:
    # A fresh process (this one may have pyplot loaded already): the detector's MediaPipe import leaves pyplot as
    # the stub, and the first use of pyplot loads the real module.
    code = (
        "import sys\n"
        "from core.detect import MediaPipePoseDetector\n"
        "MediaPipePoseDetector().close()\n"
        "print('matplotlib.figure' in sys.modules, 'matplotlib.colors' in sys.modules)\n"
        "import matplotlib.pyplot as plt\n"
        "print(callable(plt.figure), 'matplotlib.figure' in sys.modules)\n"
    )
    assert _fresh_python(code) == ["False", "False", "True", "True"]
    # A submodule imported first (reads the stub package's __path__) loads the real package too.
    code = (
        "from core.lazy_modules import defer_unused_imports\n"
        "defer_unused_imports()\n"
        "import matplotlib.colors, matplotlib\n"
        "print(matplotlib.colors.to_hex('red'), hasattr(matplotlib, 'rcParams'))\n"
    )
    assert _fresh_python(code) == ["#ff0000", "True"]


def test_mediapipe_loads_without_its_unused_modules_until_something_uses_them() -> None:
    # The detector's import leaves the Tasks API, the drawing helpers and the download helper as stubs (pose itself
    # works); the first attribute read on a stub loads the real module, also through the parent's attribute.
    code = (
        "import sys\n"
        "from core.detect import MediaPipePoseDetector\n"
        "MediaPipePoseDetector().close()\n"
        "stub = lambda n: 'first use' in (sys.modules[n].__doc__ or '')\n"
        "print(stub('mediapipe.tasks.python'), stub('mediapipe.python.solutions.drawing_utils'), "
        "stub('mediapipe.python.solutions.download_utils'), 'urllib.request' in sys.modules)\n"
        "import mediapipe as mp\n"
        "print(mp.tasks.vision.PoseLandmarker.__name__, stub('mediapipe.tasks.python'))\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "print(callable(drawing_utils.draw_landmarks), stub('mediapipe.python.solutions.drawing_utils'))\n"
    )
    assert _fresh_python(code) == ["True", "True", "True", "False", "PoseLandmarker", "False", "True", "False"]


def _fresh_python(code: str) -> list[str]:
    """The words ``code`` prints in a new interpreter (this one may have matplotlib loaded already)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()
