"""core.video: metadata (fps incl. 29.97 and VFR, size, rotation), streaming, frame ranges, and every bad input."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from capture_helpers import set_mp4_frame_durations, set_mp4_rotation, write_video
from repo import REPO_ROOT

from core.errors import VideoError
from core.video import _open, iter_frames, probe, resolve_range


def _bar_position(image: np.ndarray) -> int:
    """Column of the bright bar write_video draws at x = frame index."""
    return int(image[image.shape[0] // 2, :, 1].argmax())


def test_shared_clips_portrait_and_landscape(shared_dir: Path) -> None:
    portrait = probe(shared_dir / "videos" / "pose2sim_balance_cam04.mp4")
    assert (portrait.width, portrait.height, portrait.frame_count, portrait.rotation) == (1088, 1920, 100, 0)
    assert portrait.fps == pytest.approx(60.0)
    landscape = probe(shared_dir / "videos" / "intel_worker_walking_480x270.mp4")
    assert (landscape.width, landscape.height, landscape.frame_count) == (480, 270, 71)
    assert landscape.fps == pytest.approx(50 / 3, rel=1e-4)
    frames = list(iter_frames(landscape.path))
    assert len(frames) == 71 and frames[0].image.shape == (270, 480, 3)
    # Presentation times follow the frame rate.
    assert np.allclose(np.diff([f.time_s for f in frames]), 1 / landscape.fps, atol=1e-3)


def test_ntsc_frame_rate(tmp_path: Path) -> None:
    info = probe(write_video(tmp_path / "ntsc.mp4", 6, fps=30000 / 1001))
    assert info.fps == pytest.approx(29.97, abs=0.005)


def test_variable_frame_rate_reports_average_and_real_timestamps(tmp_path: Path) -> None:
    path = write_video(tmp_path / "vfr.mp4", 10, fps=30)  # timescale 15360: 512 = 1/30 s, 1024 = 1/15 s
    set_mp4_frame_durations(path, [512] * 5 + [1024] * 5)
    info = probe(path)
    assert info.fps == pytest.approx(10 / (5 / 30 + 5 / 15), rel=1e-3)  # the average rate: 20 fps
    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(10))
    assert [_bar_position(f.image) for f in frames] == list(range(10))
    steps = np.diff([f.time_s for f in frames])
    assert np.allclose(steps[:5], 1 / 30, atol=1e-3) and np.allclose(steps[5:], 1 / 15, atol=1e-3)


@pytest.mark.parametrize("degrees", [90, 270])
def test_phone_rotation_is_applied_and_reported(tmp_path: Path, degrees: int) -> None:
    path = write_video(tmp_path / "phone.mp4", 4, size=(96, 64))
    set_mp4_rotation(path, degrees)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (64, 96, degrees)
    image = next(iter_frames(path)).image
    assert image.shape == (96, 64, 3)
    # The red stripe written along the top of the stored frame is now along a vertical side of the displayed one.
    red = (image[..., 2] > 200) & (image[..., 1] < 80)
    side = red[:, :4].mean() if degrees == 270 else red[:, -4:].mean()
    assert side > 0.9 and red[:4].mean() < 0.2


def test_frame_range_is_inclusive_and_exact(tmp_path: Path) -> None:
    path = write_video(tmp_path / "range.mp4", 20)
    frames = list(iter_frames(path, 5, 9))
    assert [f.index for f in frames] == [5, 6, 7, 8, 9]
    assert [_bar_position(f.image) for f in frames] == [5, 6, 7, 8, 9]
    info = probe(path)
    assert resolve_range(info, None, None) == (0, 19)
    assert resolve_range(info, 3, 500) == (3, 19)  # clamped to the clip
    for bad in [(-1, None), (20, None), (10, 5)]:
        with pytest.raises(VideoError, match="frame_"):
            resolve_range(info, *bad)


def test_prefetch_matches_direct_decode_and_stops_its_thread(tmp_path: Path) -> None:
    path = write_video(tmp_path / "p.mp4", 30)
    direct = [f.image for f in iter_frames(path, prefetch=0)]
    threaded = [f.image for f in iter_frames(path, prefetch=3)]
    assert len(direct) == len(threaded) == 30
    assert all(np.array_equal(a, b) for a, b in zip(direct, threaded))
    stream = iter_frames(path, prefetch=2)
    next(stream)
    stream.close()  # abandoning the stream early must stop the decoder thread
    assert not any(t.name == "video-decode" for t in threading.enumerate())


def test_one_decoding_thread_gives_the_same_frames() -> None:
    # Detection processes decode with one FFmpeg thread each (core.helper_pool.THREADS_EACH): same frames, and
    # the setting reaches the decoder. H.264, as users' clips are.
    clip = REPO_ROOT / "assets" / "pose2sim_balance_cam04.mp4"
    default = [f.image for f in iter_frames(clip, 0, 19)]
    single = [f.image for f in iter_frames(clip, 0, 19, threads=1)]
    assert len(default) == len(single) == 20 and all(np.array_equal(a, b) for a, b in zip(default, single))
    cap = _open(clip, threads=1)
    try:
        assert cap.get(cv2.CAP_PROP_N_THREADS) == 1
    finally:
        cap.release()


def test_non_ascii_and_spaces_in_path(tmp_path: Path) -> None:
    folder = tmp_path / "vidéos d'été ü 日本"
    folder.mkdir()
    path = write_video(folder / "mon clip é 1.mp4", 5)
    assert probe(path).frame_count == 5
    assert len(list(iter_frames(path))) == 5


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="not found") as err:
        probe(tmp_path / "nope.mp4")
    assert err.value.kind == "video_missing"


def test_folder_empty_file_and_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="Not a file") as err:
        probe(tmp_path)
    assert err.value.kind == "video_unreadable"
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="0 bytes") as err:
        probe(tmp_path / "empty.mp4")
    assert err.value.kind == "video_empty"
    (tmp_path / "notes.mp4").write_text("this is not a video\n" * 50)
    with pytest.raises(VideoError, match="Cannot open notes.mp4 as a video") as err:
        probe(tmp_path / "notes.mp4")
    assert err.value.kind == "video_unreadable"
    cv2.imwrite(str(tmp_path / "still.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(VideoError, match="still image"):
        probe(tmp_path / "still.png")


def test_zero_frames(tmp_path: Path) -> None:
    path = tmp_path / "zero.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (32, 32))
    writer.release()
    assert path.stat().st_size > 0  # a valid container with a header and no frame
    with pytest.raises(VideoError, match="zero frames") as err:
        probe(path)
    assert err.value.kind == "video_empty"


def test_truncated_clip_ends_cleanly(tmp_path: Path, shared_dir: Path) -> None:
    """A clip cut mid-stream (copy interrupted) decodes what is there and stops, without hanging or raising."""
    src = shared_dir / "videos" / "intel_worker_walking_480x270.mp4"
    path = tmp_path / "cut.mp4"
    shutil.copy(src, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    try:
        info = probe(path)
    except VideoError as exc:  # moov at the end of the file: nothing can be decoded, and we say so
        assert exc.kind in ("video_unreadable", "video_empty")
        return
    assert 0 < len(list(iter_frames(path))) <= info.frame_count
