"""core.data.bvh: hand-computed forward kinematics, channel orders, end sites, resampling, bad input."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core import rotations as quat
from core.data.bvh import parse_bvh, read_bvh, resample

# Chest rotates Z·X·Y, Leg X·Y·Z: the expected positions below differ if either order is composed the other way.
TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
  JOINT Leg
  {
    OFFSET 2 0 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 0 -4 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
1 2 3 0 0 0   90 90 0   90 0 90
0 0 0 90 0 0  0 0 0     0 0 90
"""


def test_tiny_bvh_forward_kinematics_by_hand() -> None:
    motion = parse_bvh(TINY)
    assert motion.skeleton.names == ("Hips", "Chest", "Chest_End", "Leg", "Leg_End")
    assert motion.skeleton.parents == (-1, 0, 1, 0, 3)
    assert motion.skeleton.end_site == (False, False, True, False, True)
    assert motion.frame_time == 0.5
    p = motion.positions()
    # Frame 0: root translated; Chest = Rz90·Rx90 maps (0,5,0) → (0,0,5); Leg = Rx90·Rz90 maps (0,-4,0) → (4,0,0).
    np.testing.assert_allclose(p[0], [[1, 2, 3], [1, 12, 3], [1, 12, 8], [3, 2, 3], [7, 2, 3]], atol=1e-12)
    # Frame 1: root turned 90° about Z carries both children; Leg adds another 90° about Z (180° in total).
    np.testing.assert_allclose(p[1], [[0, 0, 0], [-10, 0, 0], [-15, 0, 0], [0, 2, 0], [0, 6, 0]], atol=1e-12)


def test_channel_order_matters() -> None:
    swapped = TINY.replace("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Xrotation Zrotation Yrotation")
    p = parse_bvh(swapped).positions()
    # Now the first two Chest values mean X=90 then Z=90: Rx90·Rz90 maps (0,5,0) → (-5,0,0).
    np.testing.assert_allclose(p[0, 2], [1 - 5, 12, 3], atol=1e-12)


def test_resample_slerps_rotations_and_keeps_bones_rigid() -> None:
    motion = parse_bvh(TINY)
    half = resample(motion, fps_in=2.0, fps_out=4.0)  # frames at t = 0, 0.25, 0.5 s
    assert half.num_frames == 3 and half.frame_time == 0.25
    np.testing.assert_allclose(half.translations[1, 0], [0.5, 1.0, 1.5])
    expected = quat.slerp(motion.rotations[0], motion.rotations[1], 0.5)
    np.testing.assert_allclose(half.rotations[1], expected, atol=1e-12)
    # Root halfway through its 0° → 90° turn: 45° about Z.
    np.testing.assert_allclose(half.rotations[1, 0], [np.cos(np.pi / 8), 0, 0, np.sin(np.pi / 8)], atol=1e-12)
    np.testing.assert_allclose(half.positions()[[0, 2]], motion.positions(), atol=1e-12)
    p = half.positions()
    parents = half.skeleton.parents
    lengths = np.linalg.norm(p[:, 1:] - p[:, list(parents[1:])], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(lengths[0], lengths.shape), atol=1e-12)


# The root turns 170° → -170° about Z (quaternions in opposite hemispheres: the short way is through 180°) while the
# arm turns 0° → 90° about X; resampling 2 → 8 fps puts frames at weights 0, 1/4, 1/2, 3/4, 1.
ACROSS = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT Arm
  {
    OFFSET 10 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
0 0 0 170 0 0  0 0 0
4 0 0 -170 0 0  0 90 0
"""


def test_resample_across_hemispheres_by_hand() -> None:
    out = resample(parse_bvh(ACROSS), fps_in=2.0, fps_out=8.0)
    assert out.num_frames == 5
    weight = np.arange(5) / 4
    a = np.radians(170.0 + 20.0 * weight)  # root: 170°, 175°, 180°, 185°, 190° (= -170°)
    b = np.radians(90.0 * weight)  # arm: 0°, 22.5°, 45°, 67.5°, 90° (constant angular speed)
    root = np.stack([4 * weight, 0 * weight, 0 * weight], axis=-1)
    arm = root + 10 * np.stack([np.cos(a), np.sin(a), 0 * a], axis=-1)
    # Rz(a)·Rx(b) maps the end site's (0, 5, 0) to Rz(a)·(0, 5 cos b, 5 sin b).
    end = arm + 5 * np.stack([-np.cos(b) * np.sin(a), np.cos(b) * np.cos(a), np.sin(b)], axis=-1)
    np.testing.assert_allclose(out.positions(), np.stack([root, arm, end], axis=1), atol=1e-9)


def _rot(axis: str, deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return {"X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]), "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
            "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])}[axis]  # fmt: skip


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "ZYX", "YXZ", "XZ", "Y"])
def test_euler_composition_matches_matrix_products(order: str) -> None:
    angles = np.array([37.0, -71.0, 123.0])[: len(order)]
    expected = np.eye(3)
    for axis, angle in zip(order, angles):
        expected = expected @ _rot(axis, angle)
    np.testing.assert_allclose(quat.quaternion_to_matrix(quat.from_euler(angles, order)), expected, atol=1e-12)
    q = quat.from_euler(np.stack([angles, angles * 0.5]), order)
    product = quat.quaternion_to_matrix(quat.multiply(q[0], q[1]))
    np.testing.assert_allclose(product, quat.quaternion_to_matrix(q[0]) @ quat.quaternion_to_matrix(q[1]), atol=1e-12)


def test_frames_drops_t_pose() -> None:
    motion = parse_bvh(TINY).frames(1)
    assert motion.num_frames == 1
    np.testing.assert_allclose(motion.positions()[0, 0], [0, 0, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense", "not a BVH"),
        (TINY.replace("Frames: 2", "Frames: 3"), "promises 3 frames"),
        (TINY.replace("Zrotation Xrotation Yrotation", "Zrotation Xrotation Wrotation"), "CHANNELS"),
        (TINY.replace("OFFSET 0 10 0", "OFFSET 0 ten 0"), "OFFSET"),
        (TINY.replace("Frame Time: 0.5", "Frame Time: 0"), "positive"),
    ],
)
def test_bad_files_raise_clear_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_bvh(text)


def test_windows_line_endings_and_bom(tmp_path) -> None:
    path = tmp_path / "crlf.bvh"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    np.testing.assert_allclose(read_bvh(path).positions(), parse_bvh(TINY).positions())


def test_read_bvh_names_the_file(tmp_path) -> None:
    bad = tmp_path / "bad.bvh"
    bad.write_text(TINY.replace("Frames: 2", "Frames: 5"))
    with pytest.raises(ValueError, match="bad.bvh"):
        read_bvh(bad)


def test_real_cmu_resampled_bones_are_rigid(shared_dir) -> None:
    # 05_06: cartwheel-like start, pirouettes and jumps: fast rotations.
    motion = read_bvh(shared_dir / "data/cmu/mb/05/05_06.bvh").frames(1)
    p = resample(motion, 120.0, 50.0).positions() * 0.056444
    parents = np.array(motion.skeleton.parents[1:])
    lengths = np.linalg.norm(p[:, 1:] - p[:, parents], axis=-1)
    assert lengths.std(axis=0).max() < 1e-6


def test_large_file_load_time(shared_dir, tmp_path) -> None:
    """Prints read times (no assertion on time: speed targets belong in bench/); checks the frames all arrive."""
    source = shared_dir / "data/cmu/mb/01/01_06.bvh"  # the longest mb file, 5,134 frames
    text = source.read_text()
    header, motion = text.split("MOTION", 1)
    rows = [r for r in motion.splitlines()[3:] if r.strip()]
    frames = 3 * 60 * 120  # a 3-minute take at 120 fps, built by repeating the real frames
    period = len(rows)
    rows = (rows * (frames // period + 1))[:frames]
    big = tmp_path / "three_minutes.bvh"
    big.write_text(f"{header}MOTION\nFrames: {frames}\nFrame Time: 0.0083333\n" + "\n".join(rows) + "\n")
    for path in (source, big):
        start = time.perf_counter()
        loaded = read_bvh(path)
        elapsed = time.perf_counter() - start
        print(
            f"\nread_bvh({path.name}: {path.stat().st_size / 1e6:.1f} MB, {loaded.num_frames} frames) {elapsed:.3f} s"
        )
    assert loaded.num_frames == frames
    np.testing.assert_array_equal(loaded.rotations[period + 7], loaded.rotations[7])  # repeated rows parse alike
