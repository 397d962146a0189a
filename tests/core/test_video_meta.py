"""core.video_meta: the focal length an iPhone writes into its clips, read from the QuickTime metadata atoms."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from capture_helpers import add_quicktime_item, write_video

from core.video import probe
from core.video_meta import FOCAL_35MM_KEY, field_of_view, focal_35mm, fov_from_35mm, fov_from_focal_px


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", 5, size=(96, 64))


@pytest.mark.parametrize(
    ("kind", "raw", "where", "full_box", "expected"),
    [
        (21, struct.pack(">i", 26), "moov", False, 26.0),  # iPhone: a signed integer in the movie's meta
        (1, b"50.00mm", "trak", False, 50.0),  # text in the video track's meta
        (23, struct.pack(">f", 77.5), "moov", True, 77.5),  # a float, in the MP4 (full box) form of meta
    ],
)
def test_the_focal_length_is_read_where_cameras_write_it(clip: Path, kind: int, raw: bytes, where: str,
                                                         full_box: bool, expected: float) -> None:  # fmt: skip
    assert focal_35mm(clip) is None  # OpenCV's file has none: the test can fail
    add_quicktime_item(clip, FOCAL_35MM_KEY, kind, raw, where, full_box)
    assert focal_35mm(clip) == pytest.approx(expected)
    info = probe(clip)  # and the clip still decodes, with the value in its probe
    assert info.focal_35mm == pytest.approx(expected) and (info.width, info.height) == (96, 64)


@pytest.mark.parametrize(
    ("key", "kind", "raw"),
    [
        ("com.apple.quicktime.camera.lens_model", 1, b"iPhone back camera 5.7mm f/1.5"),  # another key
        (FOCAL_35MM_KEY, 21, struct.pack(">i", 0)),  # an absurd value
        (FOCAL_35MM_KEY, 1, b"wide"),  # not a number
        (FOCAL_35MM_KEY, 99, b"\x00\x1a"),  # an unknown type
    ],
)
def test_other_items_and_bad_values_are_no_focal_length(clip: Path, key: str, kind: int, raw: bytes) -> None:
    add_quicktime_item(clip, key, kind, raw)
    assert focal_35mm(clip) is None


def test_damaged_and_foreign_files_give_none(clip: Path, tmp_path: Path) -> None:
    add_quicktime_item(clip, FOCAL_35MM_KEY, 21, struct.pack(">i", 26))
    data = clip.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) - 30])  # the item's end is cut off
    assert focal_35mm(truncated) is None
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a movie at all")
    assert focal_35mm(foreign) is None
    assert focal_35mm(tmp_path / "missing.mp4") is None


def test_field_of_view_from_a_35mm_equivalent_against_hand_computed_values() -> None:
    # 26 mm on the 43.27 mm full-frame diagonal; a 1920 x 1080 picture's diagonal is 2202.91 px: f = 1323.68 px,
    # and the long side's field of view is 2 atan(960 / 1323.68) = 71.9 degrees
    focal_px = 26.0 / 43.27 * math.hypot(1920, 1080)
    assert focal_px == pytest.approx(1323.68, abs=0.01)
    assert fov_from_35mm(26.0, 1920, 1080) == pytest.approx(71.91, abs=0.01)
    assert fov_from_35mm(26.0, 1080, 1920) == pytest.approx(71.91, abs=0.01)  # portrait: the same lens
    assert field_of_view(40.0, 26.0, 1920, 1080, 60.0) == (40.0, "option")  # the option wins
    assert field_of_view(None, 26.0, 1920, 1080, 60.0) == (pytest.approx(71.91, abs=0.01), "file (26 mm equivalent)")
    assert field_of_view(None, None, 1920, 1080, 60.0) == (60.0, "default")


def test_the_field_of_view_of_a_focal_length_by_hand() -> None:
    # 1000 px wide, focal 500 px: the half-width subtends atan(500 / 500) = 45°, so 90°; a portrait frame's long side
    assert fov_from_focal_px(500.0, 1000, 600) == pytest.approx(90.0)
    assert fov_from_focal_px(500.0 / math.tan(math.radians(30.0)), 600, 1000) == pytest.approx(60.0)
