"""Capture options: one typed, validated dataclass shared by the worker, the CLI and the add-on's summary."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .capture_errors import OptionsError

# Default smoothing strength, tuned on the real clips (docs/capture.md, "Smoothing").
DEFAULT_SMOOTHING = 0.1
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class CaptureOptions:
    """Options of one capture (the worker's ``capture`` command ``options`` object; unknown keys are errors).

    height: subject height in metres. smoothing: 0 (off) .. 1 (strong) One-Euro strength. causal: use the causal
    lifter (no look-ahead; what live mode uses). device: "auto" (CUDA if available), "cpu" or "cuda".
    frame_start / frame_end: 0-based video frames, both inclusive, None = start / end of the clip.
    weights: lifter checkpoint path (None = the bundled weights for the chosen model). flip_tta: mirror test-time
    augmentation. root_motion: estimate the root trajectory (else the pelvis stays above the origin).
    fov_deg: assumed camera field of view along the image's long side (depth of the root trajectory).
    min_confidence: joints below this MediaPipe visibility are interpolated over time.
    """

    height: float = 1.75
    smoothing: float = DEFAULT_SMOOTHING
    causal: bool = False
    device: str = "auto"
    frame_start: int | None = None
    frame_end: int | None = None
    weights: str | None = None
    flip_tta: bool = True
    root_motion: bool = True
    fov_deg: float = 60.0
    min_confidence: float = 0.3

    def __post_init__(self) -> None:
        check_shared_options(self, "option", bools=("causal", "flip_tta", "root_motion"))
        for name in ("frame_start", "frame_end"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise OptionsError(f"option {name!r} must be a frame number >= 0 or null, got {value!r}")
        if self.frame_start is not None and self.frame_end is not None and self.frame_end < self.frame_start:
            raise OptionsError(f"frame_end ({self.frame_end}) is before frame_start ({self.frame_start})")

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> CaptureOptions:
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise OptionsError(f"unknown capture option(s) {unknown}; known: {sorted(known)}")
        for name in ("height", "smoothing", "fov_deg", "min_confidence"):
            if isinstance(d.get(name), int) and not isinstance(d.get(name), bool):
                d[name] = float(d[name])  # JSON has no float/int distinction
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def check_shared_options(options: Any, what: str, bools: tuple[str, ...]) -> None:
    """Validate the fields capture and live mode share (height, smoothing, fov_deg, min_confidence, device, weights)
    and the boolean fields named in ``bools``; ``what`` prefixes the messages ("option", "live option")."""
    check_number("height", options.height, 0.5, 2.5, what)
    check_number("smoothing", options.smoothing, 0.0, 1.0, what)
    check_number("fov_deg", options.fov_deg, 10.0, 150.0, what)
    check_number("min_confidence", options.min_confidence, 0.0, 1.0, what)
    for name in bools:
        if not isinstance(getattr(options, name), bool):
            raise OptionsError(f"{what} {name!r} must be true or false, got {getattr(options, name)!r}")
    if options.device not in DEVICES:
        raise OptionsError(f"{what} 'device' must be one of {DEVICES}, got {options.device!r}")
    if options.weights is not None and not isinstance(options.weights, str):
        raise OptionsError(f"{what} 'weights' must be a path string or null, got {options.weights!r}")


def check_number(name: str, value: Any, lo: float, hi: float, what: str = "option") -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or not lo <= value <= hi:
        raise OptionsError(f"{what} {name!r} must be a number in [{lo}, {hi}], got {value!r}")
