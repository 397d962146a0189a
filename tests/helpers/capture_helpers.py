"""Helpers for the capture tests: tiny synthetic videos (incl. rotated and variable-frame-rate MP4s), synthetic 2D
tracks, a scripted detector run, and tiny random lifter checkpoints.

MP4 patching works on the files OpenCV's FFmpeg muxer writes (``moov`` after ``mdat``, one video track), which is
all these tests need: the display matrix of ``tkhd`` (rotation) and the ``stts`` time-to-sample table (VFR).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from core.skeleton import H36M_JOINTS

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def write_video(
    path: Path, frames: int, size: tuple[int, int] = (96, 64), fps: float = 30.0, fourcc: str = "mp4v",
    painter: Callable[[np.ndarray, int], None] | None = None,
) -> Path:  # fmt: skip
    """Write ``frames`` frames of ``size`` (w, h); frame k shows a bright bar at x = k (or what ``painter`` draws)."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cv2.VideoWriter cannot write {path}"
    for k in range(frames):
        img = np.full((h, w, 3), 40, np.uint8)
        if painter is None:
            img[:, k % w] = 255
            img[:4, :] = (0, 0, 255)  # a red top stripe: tells where "up" is after rotation
        else:
            painter(img, k)
        writer.write(img)
    writer.release()
    return path


def _boxes(data: bytes | bytearray, start: int, end: int) -> list[tuple[bytes, int, int]]:
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size < 8:
            break
        out.append((kind, pos, size))
        pos += size
    return out


def _find(data: bytearray, path: list[bytes]) -> list[tuple[bytes, int, int]]:
    """The chain of (kind, offset, size) boxes along ``path`` from the top level."""
    chain, start, end = [], 0, len(data)
    for kind in path:
        box = next(b for b in _boxes(data, start, end) if b[0] == kind)
        chain.append(box)
        start, end = box[1] + 8, box[1] + box[2]
    return chain


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Write a display matrix rotating by ``degrees`` (90/180/270) into the video track's tkhd, as phones do."""
    data = bytearray(path.read_bytes())
    _, off, _ = _find(data, [b"moov", b"trak", b"tkhd"])[-1]
    version = data[off + 8]
    p = off + 12 + (8 if version == 0 else 16) + 8 + (4 if version == 0 else 8) + 8 + 8
    one, c, s = 1 << 16, {90: 0, 180: -1, 270: 0}[degrees], {90: 1, 180: 0, 270: -1}[degrees]
    matrix = [c * one, s * one, 0, -s * one, c * one, 0, 0, 0, 1 << 30]
    data[p : p + 36] = struct.pack(">9i", *matrix)
    path.write_bytes(bytes(data))


def set_mp4_frame_durations(path: Path, durations: list[int]) -> None:
    """Replace the stts table with one entry per frame (durations in the track's timescale): a VFR clip."""
    data = bytearray(path.read_bytes())
    chain = _find(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    _, off, size = chain[-1]
    body = struct.pack(">I", 0) + struct.pack(">I", len(durations))
    body += b"".join(struct.pack(">II", 1, d) for d in durations)
    new = struct.pack(">I4s", 8 + len(body), b"stts") + body
    delta = len(new) - size
    assert chain[0][1] > _find(data, [b"mdat"])[0][1], "moov must follow mdat (chunk offsets stay valid)"
    for _kind, box_off, box_size in chain[:-1]:
        data[box_off : box_off + 4] = struct.pack(">I", box_size + delta)
    data[off : off + size] = new
    # Durations elsewhere (all version-0 boxes in OpenCV's files) must cover the new timeline, or the demuxer
    # (mdhd) and the edit list (elst) cut the clip at the old length.
    mdhd = _find(data, [b"moov", b"trak", b"mdia", b"mdhd"])[-1][1]
    mvhd = _find(data, [b"moov", b"mvhd"])[-1][1]
    media_scale = struct.unpack(">I", data[mdhd + 20 : mdhd + 24])[0]
    movie_scale = struct.unpack(">I", data[mvhd + 20 : mvhd + 24])[0]
    media = sum(durations)
    movie = round(media * movie_scale / media_scale)
    data[mdhd + 24 : mdhd + 28] = struct.pack(">I", media)
    data[mvhd + 24 : mvhd + 28] = struct.pack(">I", movie)
    tkhd = _find(data, [b"moov", b"trak", b"tkhd"])[-1][1]
    data[tkhd + 28 : tkhd + 32] = struct.pack(">I", movie)
    elst = _find(data, [b"moov", b"trak", b"edts", b"elst"])[-1][1]
    data[elst + 16 : elst + 20] = struct.pack(">I", movie)
    path.write_bytes(bytes(data))


def stick_figure(T: int, size: tuple[int, int] = (640, 480), seed: int = 0) -> np.ndarray:
    """(T, 17, 2) pixels of a plausible, gently moving frontal H36M-17 pose (subject's left on image right)."""
    w, h = size
    s = h / 2.2  # body height ~ 0.8 h
    base = {
        "pelvis": (0, 0), "r_hip": (-0.1, 0), "r_knee": (-0.1, 0.45), "r_ankle": (-0.1, 0.88), "l_hip": (0.1, 0),
        "l_knee": (0.1, 0.45), "l_ankle": (0.1, 0.88), "spine": (0, -0.25), "thorax": (0, -0.5), "neck": (0, -0.62),
        "head": (0, -0.7), "l_shoulder": (0.18, -0.5), "l_elbow": (0.3, -0.25), "l_wrist": (0.35, 0),
        "r_shoulder": (-0.18, -0.5), "r_elbow": (-0.3, -0.25), "r_wrist": (-0.35, 0),
    }  # fmt: skip
    pose = np.array([base[n] for n in H36M_JOINTS], dtype=np.float64) * s
    t = np.arange(T)[:, None, None]
    rng = np.random.default_rng(seed)
    wave = np.zeros((T, 17, 2))
    wave[:, [13, 16], 1] = -0.15 * s * np.sin(2 * np.pi * t[:, :, 0] / 30.0)  # wrists swing
    drift = np.concatenate([0.2 * s * np.sin(2 * np.pi * t / 90.0), np.zeros_like(t, dtype=float)], axis=-1)
    xy = pose[None] + wave + drift + np.array([w / 2, h / 2 - 0.1 * h]) + rng.normal(0, 0.5, (T, 17, 2))
    return xy.astype(np.float32)


def tiny_checkpoint(path: Path, causal: bool = False, widths: tuple[int, ...] = (3, 3)) -> Path:
    """A tiny random attention lifter (receptive field 9) saved like the real weights."""
    import torch

    from core.models import LifterConfig, build_model, save_checkpoint

    torch.manual_seed(0)
    config = LifterConfig(arch="attention", filter_widths=widths, channels=32, groups=4, reduction=8, causal=causal)
    model = build_model(config).eval()
    save_checkpoint(path, model)
    return path


# Heights (fractions of stature, Drillis & Contini) of a standing skeleton whose legs and trunk are vertical, so
# that estimate_stature must return the stature exactly.
_STANDING = {
    "pelvis": (0.0, 0.530), "r_hip": (-0.1, 0.530), "r_knee": (-0.1, 0.285), "r_ankle": (-0.1, 0.039),
    "l_hip": (0.1, 0.530), "l_knee": (0.1, 0.285), "l_ankle": (0.1, 0.039), "spine": (0.0, 0.650),
    "thorax": (0.0, 0.818), "neck": (0.0, 0.900), "head": (0.0, 0.936), "l_shoulder": (0.2, 0.818),
    "l_elbow": (0.25, 0.63), "l_wrist": (0.27, 0.48), "r_shoulder": (-0.2, 0.818), "r_elbow": (-0.25, 0.63),
    "r_wrist": (-0.27, 0.48),
}  # fmt: skip


def standing_world(stature: float) -> np.ndarray:
    """(17, 3) Blender-world joints (x right, y forward, z up) of a person of ``stature`` m facing the camera (-y),
    standing on z = 0 (soles; ankles at 0.039 × stature)."""
    pose = np.zeros((17, 3))
    for j, name in enumerate(H36M_JOINTS):
        x, z = _STANDING[name]
        pose[j] = (-x * stature, 0.0, z * stature)  # facing the camera: the subject's left is on image right...
    pose[:, 0] *= -1  # ...which is +x in the world seen from a camera looking along +y
    return pose


class ScriptedDetector:
    """A fake detector (core.detect's interface): returns ``poses[k]`` on the k-th call (None where ``detected[k]``
    is false).

    ``delay_s`` makes each call sleep, to test cancellation and progress without MediaPipe.
    """

    name = "scripted"

    def __init__(self, xy: np.ndarray, conf: np.ndarray, detected: np.ndarray, delay_s: float = 0.0) -> None:
        self.xy = np.asarray(xy, dtype=np.float32)
        self.conf = np.asarray(conf, dtype=np.float32)
        self.detected = np.asarray(detected, dtype=bool)
        self.delay_s = delay_s
        self.calls = 0

    def detect(self, image: np.ndarray, time_s: float) -> tuple[np.ndarray, np.ndarray] | None:
        if self.delay_s:
            time.sleep(self.delay_s)
        k = min(self.calls, len(self.xy) - 1)
        self.calls += 1
        return (self.xy[k].copy(), self.conf[k].copy()) if self.detected[k] else None

    def close(self) -> None:
        pass


def add_quicktime_item(path: Path, key: str, well_known_type: int, value: bytes, where: str = "moov",
                       full_box: bool = False) -> None:  # fmt: skip
    """Append a QuickTime metadata item (``meta`` with ``hdlr`` mdta, ``keys``, ``ilst``: Apple's QuickTime File
    Format) to the movie (``where="moov"``) or to its video track (``"trak"``), as iPhones write the camera's
    facts; ``full_box``: the MP4 form of ``meta`` with 4 bytes of version and flags. Only sizes change: ``moov``
    follows ``mdat`` in OpenCV's files, so chunk offsets stay valid."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    hdlr = box(b"hdlr", bytes(8) + b"mdta" + bytes(12) + b"\0")
    keys = box(b"keys", bytes(4) + struct.pack(">I", 1) + struct.pack(">I4s", 8 + len(key), b"mdta") + key.encode())
    data = box(b"data", struct.pack(">I", well_known_type) + bytes(4) + value)
    ilst = box(b"ilst", box(struct.pack(">I", 1), data))
    meta = box(b"meta", (bytes(4) if full_box else b"") + hdlr + keys + ilst)
    data_ = bytearray(path.read_bytes())
    chain = _find(data_, [b"moov"] if where == "moov" else [b"moov", b"trak"])
    assert chain[0][1] > _find(data_, [b"mdat"])[0][1], "moov must follow mdat (chunk offsets stay valid)"
    _, off, size = chain[-1]
    data_[off + size : off + size] = meta
    for _kind, box_off, box_size in chain:
        data_[box_off : box_off + 4] = struct.pack(">I", box_size + len(meta))
    path.write_bytes(bytes(data_))
