"""Errors of capture and live mode (the pipeline, the options, the weights, the camera), each with a machine-readable
``kind``.

The worker turns any of these into ``{"type": "error", "kind": ..., "message": ...}`` (see docs/capture.md); the
message is written for the artist (what went wrong and what to do), the traceback goes to the worker's log only.
"""

from __future__ import annotations


class CaptureError(Exception):
    """Base class: a capture failed for a reason the user can act on. ``kind`` names the reason."""

    kind: str = "capture_failed"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class VideoError(CaptureError):
    """The video cannot be used: kinds ``video_missing``, ``video_unreadable``, ``video_empty``, ``frame_range``."""

    kind = "video_unreadable"


class NoPersonError(CaptureError):
    """MediaPipe found nobody in any frame of the clip (or of the chosen frame range)."""

    kind = "no_person"


class WeightsError(CaptureError):
    """Lifter weights missing (``weights_missing``) or corrupted (``weights_corrupt``)."""

    kind = "weights_missing"


class OptionsError(CaptureError):
    """Invalid capture options (unknown key, value out of range)."""

    kind = "bad_options"


class Cancelled(CaptureError):
    """The capture was cancelled by the user; not a failure."""

    kind = "cancelled"
