"""The camera's focal length from a clip's own metadata (QuickTime ``mdta`` items), when the camera wrote it.

iPhones (and apps using AVFoundation) store ``com.apple.quicktime.camera.focal_length.35mm_equivalent`` in a
``meta`` atom — the movie's (``moov/meta``) or the video track's (``moov/trak/meta``) — as the item list of Apple's
QuickTime File Format: ``keys`` (a table of ``mdta`` key names) and ``ilst`` (one child per item, its type the key's
1-based index, holding a ``data`` atom: 4 bytes of type, 4 of locale, then the value: UTF-8 text such as
``"26.00mm"`` or a big-endian integer or float). OpenCV does not expose these, so the atoms are read here: the
top-level atoms are skipped by their sizes (the media data is never read), ``moov`` is read whole. Anything
unexpected (another container, a damaged file, an absurd value) gives None: the capture then assumes its prior.

A 35 mm-equivalent focal length is defined on the 43.27 mm diagonal of a full-frame sensor, so the focal length in
pixels is that fraction of the picture's diagonal (:func:`fov_from_35mm` turns it into the capture's field of view
along the long side).
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

FOCAL_35MM_KEY = "com.apple.quicktime.camera.focal_length.35mm_equivalent"
FULL_FRAME_DIAGONAL_MM = 43.27
PLAUSIBLE_MM = (8.0, 800.0)  # ultra-wide phone lenses to long teles: anything outside is a damaged value
MAX_MOOV_BYTES = 64 << 20


def focal_35mm(path: str | Path) -> float | None:
    """The clip's 35 mm-equivalent focal length in mm, or None (no such item, not a QuickTime/MP4 file, damaged)."""
    try:
        moov = _read_moov(Path(path))
        if moov is None:
            return None
        for meta in _meta_atoms(moov):
            value = _items(meta).get(FOCAL_35MM_KEY)
            mm = _millimetres(value)
            if mm is not None:
                return mm
    except (OSError, struct.error, ValueError, IndexError):
        return None
    return None


def fov_from_35mm(focal_mm: float, width: int, height: int) -> float:
    """A 35 mm-equivalent focal length and the picture's size in pixels → the field of view along the long side,
    degrees (the convention of ``CaptureOptions.fov_deg``)."""
    return fov_from_focal_px(focal_mm / FULL_FRAME_DIAGONAL_MM * math.hypot(width, height), width, height)


def fov_from_focal_px(focal_px: float, width: int, height: int) -> float:
    """A focal length in pixels → the field of view along the picture's long side, degrees
    (``core.postprocess.focal_from_fov``'s inverse)."""
    return math.degrees(2.0 * math.atan(max(width, height) / 2.0 / focal_px))


def field_of_view(fov_deg: float | None, focal_mm: float | None, width: int, height: int,
                  default_deg: float) -> tuple[float, str]:  # fmt: skip
    """The field of view a capture assumes (long side, degrees) and where it comes from: the option where one is
    given, else the file's focal length, else ``default_deg``."""
    if fov_deg is not None:
        return float(fov_deg), "option"
    if focal_mm is not None:
        return fov_from_35mm(focal_mm, width, height), f"file ({focal_mm:g} mm equivalent)"
    return float(default_deg), "default"


def _header(data: bytes, pos: int, end: int) -> tuple[bytes, int, int] | None:
    """The atom starting at ``pos`` (``data`` holds at least its first 16 bytes from there): (type, header length,
    size), a size of 0 meaning "to ``end``"; None where the size is impossible."""
    size, kind = struct.unpack(">I4s", data[:8])
    header = 8
    if size == 1 and len(data) >= 16:
        size, header = struct.unpack(">Q", data[8:16])[0], 16
    elif size == 0:
        size = end - pos
    return None if size < header or pos + size > end else (kind, header, size)


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the atoms in data[start:end]; stops at the first malformed size."""
    out, pos = [], start
    while pos + 8 <= end:
        atom = _header(data[pos : min(pos + 16, end)], pos, end)
        if atom is None:
            break
        kind, header, size = atom
        out.append((kind, pos + header, pos + size))
        pos += size
    return out


def _read_moov(path: Path) -> bytes | None:
    """The payload of the top-level ``moov`` atom, found by skipping the others by their sizes."""
    with path.open("rb") as f:
        end = f.seek(0, 2)
        pos = 0
        while pos + 8 <= end:
            f.seek(pos)
            atom = _header(f.read(16), pos, end)
            if atom is None:
                return None
            kind, header, size = atom
            if kind == b"moov":
                if size > MAX_MOOV_BYTES:
                    return None
                f.seek(pos + header)
                return f.read(size - header)
            pos += size
    return None


def _meta_atoms(moov: bytes) -> list[bytes]:
    """The payloads of ``meta`` atoms in the movie, its user data and its tracks."""
    metas = []
    for kind, a, b in _boxes(moov, 0, len(moov)):
        if kind == b"meta":
            metas.append(moov[a:b])
        elif kind in (b"trak", b"udta"):
            metas += [moov[c:d] for k, c, d in _boxes(moov, a, b) if k == b"meta"]
    return metas


def _items(meta: bytes) -> dict[str, object]:
    """``mdta`` key name → first value of a ``meta`` payload; QuickTime's meta has no version field, the MP4
    (full box) form has four bytes of it: whichever parses into a ``keys`` atom."""
    for start in (0, 4):
        children = {kind: (a, b) for kind, a, b in _boxes(meta, start, len(meta))}
        if b"keys" in children and b"ilst" in children:
            keys = _keys(meta, *children[b"keys"])
            out: dict[str, object] = {}
            for kind, a, b in _boxes(meta, *children[b"ilst"]):
                index = struct.unpack(">I", kind)[0]
                if 1 <= index <= len(keys) and keys[index - 1] not in out:
                    value = _data_value(meta, a, b)
                    if value is not None:
                        out[keys[index - 1]] = value
            return out
    return {}


def _keys(meta: bytes, start: int, end: int) -> list[str]:
    count = struct.unpack(">I", meta[start + 4 : start + 8])[0]
    names, pos = [], start + 8
    for _ in range(count):
        size = struct.unpack(">I", meta[pos : pos + 4])[0]
        if size < 8 or pos + size > end:
            break
        names.append(meta[pos + 8 : pos + size].decode("utf-8", "replace"))  # after size and namespace
        pos += size
    return names


def _data_value(meta: bytes, start: int, end: int) -> object | None:
    """The value of the first ``data`` atom of an item: text, or a big-endian integer or float."""
    for kind, a, b in _boxes(meta, start, end):
        if kind != b"data" or b - a < 8:
            continue
        well_known = struct.unpack(">I", meta[a : a + 4])[0] & 0xFFFFFF
        raw = meta[a + 8 : b]
        if well_known == 1:
            return raw.decode("utf-8", "replace")
        if well_known in (21, 22) and len(raw) in (1, 2, 4, 8):
            return int.from_bytes(raw, "big", signed=well_known == 21)
        if well_known == 23 and len(raw) == 4:
            return struct.unpack(">f", raw)[0]
        if well_known == 24 and len(raw) == 8:
            return struct.unpack(">d", raw)[0]
        return None
    return None


def _millimetres(value: object) -> float | None:
    """27, 26.0 or "26.00mm" → 26.0 within PLAUSIBLE_MM; anything else None."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*(?:mm)?\s*", value)
        value = float(match.group(1)) if match else None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if PLAUSIBLE_MM[0] <= value <= PLAUSIBLE_MM[1] else None
    return None
