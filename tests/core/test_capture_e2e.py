"""End-to-end captures of the shared real clips with the real MediaPipe (each clip runs once per session).

With the tiny random lifter the 3D pose itself is meaningless, so these tests check what does not depend on
trained weights: detection rate, 2D limb-length stability, left/right labels against MediaPipe's own, scaling to
the subject height, feet on the floor, the file format. When the trained ``weights/lifter_offline.pt`` exists, the
3D checks (bone-length stability, upright body, left/right agreement of 3D and 2D) run on the same 2D tracks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from capture_helpers import ScriptedDetector, add_quicktime_item, stick_figure, tiny_checkpoint, write_video
from repo import REPO_ROOT

from core.capture import run_capture
from core.capture_file import load_capture
from core.detect import MediaPipePoseDetector, fix_lr_swaps
from core.errors import Cancelled, CaptureError
from core.options import CaptureOptions
from core.postprocess import ANKLE_FRACTION
from core.skeleton import FLIP_PERMUTATION, H36M_JOINTS, JOINT_INDEX
from core.video_meta import FOCAL_35MM_KEY, fov_from_35mm
from core.weights import default_weights
from core.world.place import place

REPO = REPO_ROOT
J = JOINT_INDEX
LIMBS = [("r_hip", "r_knee"), ("r_knee", "r_ankle"), ("l_hip", "l_knee"), ("l_knee", "l_ankle"),
         ("l_shoulder", "l_elbow"), ("r_shoulder", "r_elbow")]  # fmt: skip


class RecordingDetector(MediaPipePoseDetector):
    """MediaPipe, keeping its raw H36M output per frame (None when nobody was found)."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[Any] = []

    def detect(self, image: np.ndarray, time_s: float) -> Any:
        pose = super().detect(image, time_s)
        self.raw.append(pose)
        return pose


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tiny_checkpoint(tmp_path_factory.mktemp("weights") / "tiny.pt"))


@pytest.fixture(scope="module")
def balance(weights: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """pose2sim_balance_cam04 (portrait 1088×1920, 60 fps, 100 frames; committed in assets/) captured in-process."""
    out = tmp_path_factory.mktemp("e2e") / "balance.npz"
    detector = RecordingDetector()
    try:
        summary = run_capture(REPO / "assets" / "pose2sim_balance_cam04.mp4", out,
                              CaptureOptions(weights=weights, height=1.75), detector=detector)  # fmt: skip
    finally:
        detector.close()
    with np.load(out) as data:
        arrays = {k: data[k] for k in data.files}
    return {"summary": summary, "data": arrays, "raw": detector.raw}


@pytest.fixture(scope="module")
def walking(shared_dir: Path, weights: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """intel_worker_walking (480×270, 16.67 fps, 71 frames, walks in and away) through the CLI with --json."""
    out = tmp_path_factory.mktemp("e2e cli") / "walking é.npz"
    video = shared_dir / "videos" / "intel_worker_walking_480x270.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", "capture", str(video), "-o", str(out), "--weights", weights,
         "--height", "1.7", "--device", "cpu", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    messages = [json.loads(line) for line in proc.stdout.splitlines()]
    with np.load(out) as data:
        arrays = {k: data[k] for k in data.files}
    return {"messages": messages, "data": arrays, "stderr": proc.stderr}


# --- fast runs of the whole pipeline with a scripted detector ----------------------------------------------------


def test_pipeline_with_a_fake_detector_short_clip(tmp_path: Path, weights: str) -> None:
    """6 frames at 50 fps < receptive field 9: padded, a warning in the summary, still a result; stages in order."""
    video = write_video(tmp_path / "clip é.mp4", 6, size=(640, 480), fps=50.0)
    detected = np.array([True, True, False, True, True, True])
    detector = ScriptedDetector(stick_figure(6), np.ones((6, 17)), detected)
    stages: list[str] = []
    out = tmp_path / "out.npz"
    summary = run_capture(video, out, CaptureOptions(weights=weights), detector=detector,
                          progress=lambda stage, done, total, fps: stages.append(stage))  # fmt: skip
    assert any("fewer than the lifter's receptive field" in w for w in summary["warnings"])
    assert list(dict.fromkeys(stages)) == ["decode", "detect", "lift", "post"]
    with np.load(out) as d:
        assert d["detected"].tolist() == detected.tolist() and d["joints_3d_world"].shape == (6, 17, 3)
        assert json.loads(str(d["summary_json"]))["frames"] == 6
        assert "joints_3d_mediapipe" not in d.files and summary["mediapipe_3d_share"] == 0.0  # no 3D of its own
        arrays = dict(d)
    assert load_capture(out).camera_shift.shape == (6, 2)
    arrays["camera_shift"] = np.zeros((5, 2), np.float32)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="camera_shift has shape"):
        load_capture(tmp_path / "bad.npz")


def test_the_field_of_view_comes_from_the_option_the_file_or_the_default(tmp_path: Path, weights: str) -> None:
    # An iPhone clip says its lens (26 mm equivalent): the root path's depth uses it unless the option says otherwise.
    video = write_video(tmp_path / "clip.mp4", 12, size=(640, 480))
    track = stick_figure(12)

    def capture(name: str, **options: Any) -> tuple[dict[str, Any], np.ndarray]:
        fake = ScriptedDetector(track, np.ones((12, 17)), np.ones(12, bool))
        summary = run_capture(video, tmp_path / name, CaptureOptions(weights=weights, **options), detector=fake)
        return summary, load_capture(tmp_path / name).joints_world

    default, world_default = capture("a.npz")
    assert (default["fov_deg"], default["fov_from"]) == (60.0, "default")
    add_quicktime_item(video, FOCAL_35MM_KEY, 21, (26).to_bytes(4, "big"))
    from_file, world_file = capture("b.npz")
    assert from_file["fov_from"] == "file (26 mm equivalent)"
    assert from_file["fov_deg"] == pytest.approx(round(fov_from_35mm(26.0, 640, 480), 1))
    assert not np.allclose(world_file, world_default)  # another depth for the same 2D: the test can fail
    option, world_option = capture("c.npz", fov_deg=60.0)
    assert (option["fov_deg"], option["fov_from"]) == (60.0, "option")
    np.testing.assert_array_equal(world_option, world_default)


def test_pipeline_cancel_and_frame_range(tmp_path: Path, weights: str) -> None:
    video = write_video(tmp_path / "clip.mp4", 40, size=(640, 480))
    slow = ScriptedDetector(stick_figure(40), np.ones((40, 17)), np.ones(40, bool), delay_s=0.02)
    with pytest.raises(Cancelled):
        run_capture(video, tmp_path / "c.npz", CaptureOptions(weights=weights), detector=slow,
                    should_stop=lambda: slow.calls >= 5)  # fmt: skip
    assert slow.calls == 5 and not (tmp_path / "c.npz").exists()
    fake = ScriptedDetector(stick_figure(40), np.ones((40, 17)), np.ones(40, bool))
    run_capture(video, tmp_path / "r.npz", CaptureOptions(weights=weights, frame_start=10, frame_end=29), detector=fake)
    with np.load(tmp_path / "r.npz") as d:
        assert d["frame_indices"].tolist() == list(range(10, 30))


def test_detection_does_not_wait_for_torch(tmp_path: Path, weights: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The device is chosen in the lifter's loader thread (torch's import is ≈ 2 s of CPU); only an explicit "cuda"
    is checked before detection, so that a missing GPU is reported before the 2D, not after."""
    import threading

    import core.capture

    video = write_video(tmp_path / "clip.mp4", 12, size=(320, 240))
    callers: list[tuple[str, bool]] = []
    real = core.capture.resolve_device

    def recording(requested: str) -> str:
        callers.append((requested, threading.current_thread() is threading.main_thread()))
        return real(requested)

    monkeypatch.setattr(core.capture, "resolve_device", recording)
    fake = ScriptedDetector(stick_figure(12), np.ones((12, 17)), np.ones(12, bool))
    summary = run_capture(video, tmp_path / "a.npz", CaptureOptions(weights=weights), detector=fake)
    assert callers == [("auto", False)] and summary["device"] in ("cpu", "cuda")
    import torch

    if not torch.cuda.is_available():
        fake = ScriptedDetector(stick_figure(12), np.ones((12, 17)), np.ones(12, bool))
        with pytest.raises(CaptureError) as err:
            run_capture(video, tmp_path / "c.npz", CaptureOptions(weights=weights, device="cuda"), detector=fake)
        assert err.value.kind == "device_unavailable" and fake.calls == 0 and not (tmp_path / "c.npz").exists()


def _soles(world: np.ndarray, height: float) -> np.ndarray:
    return world[:, [J["r_ankle"], J["l_ankle"]], 2].min(axis=1) - ANKLE_FRACTION * height


def _bone(points: np.ndarray, a: str, b: str) -> float:
    """Median length of bone a-b over the frames."""
    return float(np.median(np.linalg.norm(points[:, J[a]] - points[:, J[b]], axis=-1)))


def _cv(points: np.ndarray, a: str, b: str) -> float:
    length = np.linalg.norm(points[:, J[a]] - points[:, J[b]], axis=-1)
    return float(length.std() / length.mean())


def test_file_format(balance: dict[str, Any]) -> None:
    d = balance["data"]
    T = 100
    shapes = {"joints_2d": (T, 17, 2), "confidence": (T, 17), "detected": (T,), "joints_3d_camera": (T, 17, 3),
              "joints_3d_world": (T, 17, 3), "fps": (), "frame_indices": (T,), "image_size": (2,),
              "options_json": (), "joint_names": (17,), "camera_shift": (T, 2)}  # fmt: skip
    for key, shape in shapes.items():
        assert d[key].shape == shape, key
    assert d["detected"].dtype == bool and np.isfinite(d["joints_3d_world"]).all()
    assert float(d["fps"]) == pytest.approx(60.0) and d["image_size"].tolist() == [1088, 1920]
    assert d["frame_indices"].tolist() == list(range(T))
    assert tuple(d["joint_names"]) == H36M_JOINTS
    assert json.loads(str(d["options_json"]))["height"] == 1.75
    assert (d["joints_3d_camera"][:, 0] == 0).all()  # root-relative
    # the Pose2Sim cameras stand on tripods: the background barely moves (sub-pixel per frame, a few px in all)
    assert np.abs(d["camera_shift"]).max() < 1.0 and json.loads(str(d["summary_json"]))["camera_moved_px"] < 5.0


def test_the_pose_is_the_lifters_averaged_with_mediapipes_own(balance: dict[str, Any], weights: str) -> None:
    from core.fuse3d import fuse, mediapipe_weights, smooth_over_time, smoothing_s
    from core.lift import lift_timed, load_lifter

    d, summary = balance["data"], balance["summary"]
    w, h = (int(v) for v in d["image_size"])
    lifted = lift_timed(load_lifter(weights), d["joints_2d"], d["times"], w, h, flip_tta=True)
    mp = d["joints_3d_mediapipe"]
    assert mp.shape == (100, 17, 3) and np.isfinite(mp[d["detected"]]).all()
    share = mediapipe_weights(d["detected"] & ~d["lr_swapped"], d["times"], CaptureOptions().mediapipe_3d)
    assert smoothing_s(d["times"]) == 0.02  # 60 fps: one frame at 50 fps
    expected = fuse(lifted, smooth_over_time(mp, d["times"], 0.02), share)
    np.testing.assert_allclose(d["joints_3d_camera"], expected, atol=1e-5)
    assert np.abs(d["joints_3d_camera"] - lifted).max() > 0.05  # MediaPipe's 3D did count
    assert summary["mediapipe_3d_share"] == pytest.approx(share.mean(), abs=1e-3) and share.mean() > 0.4


def test_detection_rate(balance: dict[str, Any], walking: dict[str, Any]) -> None:
    assert balance["summary"]["detection_rate"] >= 0.95
    detected = walking["data"]["detected"]
    assert 0.8 <= detected.mean() < 1.0  # the worker walks into the picture: the first frames have nobody
    assert not detected[0] and detected[-1]
    assert np.isfinite(walking["data"]["joints_2d"]).all()  # bridged/held, never NaN


def test_2d_limb_lengths_are_stable(balance: dict[str, Any]) -> None:
    xy = balance["data"]["joints_2d"]
    cvs = {f"{a}-{b}": _cv(xy, a, b) for a, b in LIMBS}
    assert max(cvs.values()) < 0.2, cvs


def test_left_right_labels_agree_with_mediapipe(balance: dict[str, Any]) -> None:
    d = balance["data"]
    assert not d["lr_swapped"].any()  # this view never confuses MediaPipe
    raw = balance["raw"]
    for t, pose in enumerate(raw):
        if pose is None:
            continue
        xy, conf = pose
        ok = conf >= 0.3
        assert np.allclose(d["joints_2d"][t][ok], xy[ok], atol=1e-3)
    # The subject is seen from behind (checked on the frames): their left hip is on the image's left.
    assert (d["joints_2d"][:, J["l_hip"], 0] < d["joints_2d"][:, J["r_hip"], 0]).mean() > 0.95


def test_lr_swaps_injected_into_the_real_track_are_undone(balance: dict[str, Any]) -> None:
    """Swap the labels of a third of the real MediaPipe track (as in the back view of mediapipe_2d_noise.md)."""
    xy = balance["data"]["joints_2d"]
    truth = np.zeros(len(xy), bool)
    truth[30:62] = True
    truth[80:83] = True
    swapped = xy.copy()
    swapped[truth] = swapped[truth][:, list(FLIP_PERMUTATION)]
    assert fix_lr_swaps(swapped, np.ones(len(xy), bool)).tolist() == truth.tolist()


def test_scaled_to_the_subject_and_standing_on_the_floor(balance: dict[str, Any], walking: dict[str, Any]) -> None:
    for run, height in ((balance, 1.75), (walking, 1.7)):
        world = run["data"]["joints_3d_world"]
        # Not estimate_stature (placement scales with it, so it would check itself): by Drillis & Contini, the leg
        # chain (hip to ankle) plus the trunk chain (hip to eye) span 0.936 - 0.039 of the stature.
        legs = np.mean([_bone(world, f"{s}_hip", f"{s}_knee") + _bone(world, f"{s}_knee", f"{s}_ankle") for s in "rl"])
        trunk = sum(_bone(world, a, b) for a, b in (("pelvis", "spine"), ("spine", "thorax"), ("thorax", "neck"),
                                                    ("neck", "head")))  # fmt: skip
        assert legs + trunk == pytest.approx((0.936 - 0.039) * height, rel=0.02)
        soles = _soles(world, height)
        assert soles.min() > -1e-4  # never below the floor
        assert np.median(soles) < 0.05  # and on it, not floating


def test_cli_json_messages(walking: dict[str, Any]) -> None:
    messages = walking["messages"]
    assert messages[-1]["type"] == "result" and messages[-1]["summary"]["frames"] == 71
    stages = [m["stage"] for m in messages[:-1]]
    assert stages[0] == "decode" and stages[-1] == "post" and "detect" in stages and "lift" in stages
    lift = [m for m in messages if m.get("stage") == "lift"]
    assert lift[-1]["done"] == lift[-1]["total"] == 71  # a 16.67 fps clip lifted at 50 fps still ends at 100 %
    # MediaPipe's C++ log lines (core/native_log.py) stay off the console: with --json, nothing at all is there
    assert walking["stderr"] == ""


@pytest.mark.parametrize(("video", "kind"), [("missing.mp4", "video_missing"), ("text.mp4", "video_unreadable")])
def test_cli_errors_are_one_clear_line(tmp_path: Path, video: str, kind: str) -> None:
    # The 2D helpers start with the command (prewarm); an early error must end them quietly, not let a helper that is
    # still starting print a traceback, nor leave semaphores for multiprocessing's resource tracker to report.
    (tmp_path / "text.mp4").write_text("not a video")
    out = subprocess.run([sys.executable, "-m", "core.cli", "capture", str(tmp_path / video), "-o",
                          str(tmp_path / "o.npz")], cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 1 and out.stderr.startswith(f"error ({kind}): ")
    # one line: no traceback, no semaphores reported leaked, no FFmpeg or OpenCV log lines before it
    assert out.stderr.count("\n") == 1, out.stderr[-2000:]
    assert not (tmp_path / "o.npz").exists()


# --- with the trained weights ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["lifter", "with MediaPipe 3D"])
def trained(balance: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """The shipped offline lifter on the real clip, alone and averaged with MediaPipe's own 3D as capture does by
    default (core.fuse3d), placed in the world."""
    path = default_weights("offline")
    if not path.is_file():
        pytest.skip(f"trained weights not present ({path}); the 3D plausibility checks need them")
    from core.fuse3d import fuse_clip
    from core.lift import lift_timed, load_lifter

    d = balance["data"]
    w, h = (int(v) for v in d["image_size"])
    camera = lift_timed(load_lifter(path), d["joints_2d"], d["times"], w, h)  # at the model's rate, as capture does
    if request.param != "lifter":
        camera, _ = fuse_clip(camera, d["joints_3d_mediapipe"], d["detected"] & ~d["lr_swapped"], d["times"],
                              CaptureOptions().mediapipe_3d)  # fmt: skip
    world = place(camera, d["joints_2d"], d["times"], w, h, float(d["fps"]), subject_height=1.75, smoothing=0.5).world
    return {"camera": camera, "world": world, "xy": d["joints_2d"]}


# History: the first weights (2026-11-21) missed four of these targets on this steep overhead view; the realvideo
# weights (2026-12-03) fixed the upper arm, thigh symmetry and soles; the clip-wide placement of core.world (one rigid
# skeleton, gravity from the centre of mass over the planted feet) fixed the last two, which were strict expected
# failures until then.


# Each target is its own test: a strict xfail that bundled a passing check with a failing one would keep reading
# "xfailed" after a regression in the passing half.
def test_trained_3d_bone_lengths_are_stable(trained: dict[str, Any]) -> None:
    world = trained["world"]
    cvs = {f"{a}-{b}": _cv(world, a, b) for a, b in LIMBS}
    assert max(cvs.values()) < 0.1, cvs


def _median_lengths(world: np.ndarray) -> dict[str, float]:
    return {f"{a}-{b}": _bone(world, a, b) for a, b in LIMBS}


def test_trained_3d_leg_lengths_are_human(trained: dict[str, Any]) -> None:
    length = _median_lengths(trained["world"])
    for side in ("r", "l"):  # a 1.75 m adult: thigh and shin 0.35–0.5 m
        assert 0.3 < length[f"{side}_hip-{side}_knee"] < 0.6 and 0.3 < length[f"{side}_knee-{side}_ankle"] < 0.6


def test_trained_3d_upper_arm_lengths_are_human(trained: dict[str, Any]) -> None:
    length = _median_lengths(trained["world"])  # upper arm 0.25–0.35 m (left: 0.47 m today)
    for side in ("r", "l"):
        assert 0.2 < length[f"{side}_shoulder-{side}_elbow"] < 0.45, length


def test_trained_3d_thighs_are_symmetric(trained: dict[str, Any]) -> None:
    length = _median_lengths(trained["world"])  # left/right 0.77 today
    assert 0.85 < length["l_hip-l_knee"] / length["r_hip-r_knee"] < 1.15, length


def test_trained_3d_is_upright(trained: dict[str, Any]) -> None:
    world = trained["world"]
    assert (world[:, J["head"], 2] > world[:, J["pelvis"], 2] + 0.3).mean() > 0.95


def test_trained_3d_soles_are_on_the_floor(trained: dict[str, Any]) -> None:
    assert np.median(_soles(trained["world"], 1.75)) < 0.05


def test_trained_3d_left_right_agrees_with_2d(trained: dict[str, Any]) -> None:
    camera, xy = trained["camera"], trained["xy"]
    for left, right in (("l_hip", "r_hip"), ("l_shoulder", "r_shoulder")):
        dx2 = xy[:, J[left], 0] - xy[:, J[right], 0]
        dx3 = camera[:, J[left], 0] - camera[:, J[right], 0]
        clear = np.abs(dx2) > 0.5 * np.median(np.abs(dx2))
        assert (np.sign(dx2[clear]) == np.sign(dx3[clear])).mean() > 0.9
