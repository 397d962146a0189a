"""Capture and live options: one typed, validated dataclass per mode, shared by the worker, the CLI and the add-on.

The dataclasses are the one schema: the worker parses commands with ``from_dict`` (unknown keys are errors), the
add-on's operators build them and send ``to_dict()``, and the add-on's panel defaults are read from their fields
(``field_default``), so a default is written once, here.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import OptionsError

DEVICES = ("auto", "cpu", "cuda")
# The lifter: offline (centred window: past and future frames) or causal (past frames only; what live mode uses).
MODELS = ("offline", "causal")
# A capture's field of view (long side) when neither the option nor the file gives one.
DEFAULT_FOV_DEG = 60.0


class OptionsBase:
    """One ``from_dict``/``to_dict`` for the option dataclasses below; ``WHAT`` prefixes error messages."""

    WHAT: ClassVar[str] = "option"

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Any:
        if d is not None and not isinstance(d, dict):
            raise OptionsError(f"{cls.WHAT}s must be an object, got {d!r}")
        d = dict(d or {})
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        known = {f.name for f in fields}
        unknown = sorted(set(d) - known)
        if unknown:
            raise OptionsError(f"unknown {cls.WHAT}(s) {unknown}; known: {sorted(known)}")
        for f in fields:
            value = d.get(f.name)
            if f.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                d[f.name] = float(value)  # JSON has no float/int distinction
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def field_default(cls, name: str) -> Any:
        """The default of one field (the add-on's panel properties start from these)."""
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name == name:
                return f.default
        raise KeyError(name)


@dataclass
class CaptureOptions(OptionsBase):
    """Options of one capture (the worker's ``capture`` command ``options`` object; unknown keys are errors).

    height: subject height in metres. smoothing: 0 (off) .. 1 (strong) One-Euro strength; the default is tuned on
    the real clips (docs/capture.md, "Smoothing"). model: "offline" or "causal" lifter (picks the bundled weights;
    with a ``weights`` file, the file's model decides). device: "auto" (CUDA if available), "cpu" or "cuda".
    frame_start / frame_end: 0-based video frames, both inclusive, None = start / end of the clip.
    weights: lifter checkpoint path (None = the bundled weights for the chosen model). flip_tta: mirror test-time
    augmentation. root_motion: estimate the root trajectory (else the pelvis stays above the origin).
    fov_deg: the camera's field of view along the image's long side, degrees (the depth of the root path, and the
    pitch a walk shows); None = the clip's own 35 mm-equivalent focal length where the camera wrote it into the file
    (iPhone clips, core/video_meta.py), else DEFAULT_FOV_DEG (the summary's ``fov_deg`` and ``fov_from`` say which).
    min_confidence: joints below this MediaPipe visibility are interpolated over time.
    detect_workers: processes detecting 2D in parallel (core/parallel_detect.py); 0 = one per core.
    hands: also detect both hands (MediaPipe Hands) and capture finger motion (core/hands); MediaPipe Hands runs
    on every frame, so the capture is slower (docs/performance.md, the hands-on row).
    mediapipe_3d: 0..1, the share of MediaPipe's own 3D (its world landmarks) in the pose, averaged with the
    lifter's where MediaPipe is trusted (core/fuse3d.py); 0 = the lifter alone.
    """

    WHAT: ClassVar[str] = "capture option"

    height: float = 1.75
    smoothing: float = 0.1
    model: str = "offline"
    device: str = "auto"
    frame_start: int | None = None
    frame_end: int | None = None
    weights: str | None = None
    flip_tta: bool = True
    root_motion: bool = True
    fov_deg: float | None = None
    min_confidence: float = 0.3
    detect_workers: int = 0
    hands: bool = False
    mediapipe_3d: float = 0.5

    def __post_init__(self) -> None:
        check_shared_options(self, self.WHAT, bools=("flip_tta", "root_motion", "hands"))
        w = self.detect_workers
        if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 64:
            raise OptionsError(f"{self.WHAT} 'detect_workers' must be an integer in 0..64 (0 = per core), got {w!r}")
        if self.model not in MODELS:
            raise OptionsError(f"{self.WHAT} 'model' must be one of {MODELS}, got {self.model!r}")
        for name in ("frame_start", "frame_end"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise OptionsError(f"{self.WHAT} {name!r} must be a frame number >= 0 or null, got {value!r}")
        if self.frame_start is not None and self.frame_end is not None and self.frame_end < self.frame_start:
            raise OptionsError(f"frame_end ({self.frame_end}) is before frame_start ({self.frame_start})")


@dataclass
class LiveOptions(OptionsBase):
    """Options of a live session (the ``live`` command's ``options``; unknown keys are errors).

    height: subject height (m). smoothing: One-Euro strength 0..1 (lighter than capture's: live lag is visible).
    device: where the lifter runs; "cpu" by default, since one small matrix-vector step per frame gains nothing from
    a GPU round trip. weights: causal checkpoint (None = the bundled causal weights). flip_tta: also lift the
    mirrored pose (2× lifter time). root_motion, fov_deg, min_confidence: as in capture. loop: restart a video file
    at its end. max_side: frames are downscaled to this longest side before MediaPipe (it works on a 256×256 crop).
    hands: also track both hands' fingers (MediaPipe Hands on every frame; its cost per frame is reported).
    mediapipe_3d: as in capture, causally (core.fuse3d.LiveFusion).
    """

    WHAT: ClassVar[str] = "live option"

    height: float = 1.75
    smoothing: float = 0.3
    device: str = "cpu"
    weights: str | None = None
    flip_tta: bool = False
    root_motion: bool = True
    fov_deg: float = DEFAULT_FOV_DEG
    min_confidence: float = 0.3
    loop: bool = False
    max_side: int = 640
    hands: bool = False
    mediapipe_3d: float = 0.5

    def __post_init__(self) -> None:
        check_shared_options(self, self.WHAT, bools=("flip_tta", "root_motion", "loop", "hands"))
        if isinstance(self.max_side, bool) or not isinstance(self.max_side, int) or not 256 <= self.max_side <= 4096:
            raise OptionsError(f"{self.WHAT} 'max_side' must be an integer in [256, 4096], got {self.max_side!r}")


def check_shared_options(options: Any, what: str, bools: tuple[str, ...]) -> None:
    """Validate the fields capture and live mode share (height, smoothing, fov_deg, mediapipe_3d, min_confidence,
    device, weights)
    and the boolean fields named in ``bools``; ``what`` prefixes the messages ("capture option", "live option")."""
    check_number("height", options.height, 0.5, 2.5, what)
    check_number("smoothing", options.smoothing, 0.0, 1.0, what)
    if options.fov_deg is not None or not isinstance(options, CaptureOptions):  # None: capture reads the file's
        check_number("fov_deg", options.fov_deg, 10.0, 150.0, what)
    check_number("mediapipe_3d", options.mediapipe_3d, 0.0, 1.0, what)
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
