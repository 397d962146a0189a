"""MediaPipe's known-harmless console lines kept off the command line's console; everything else passes.

MediaPipe 0.10.21 and its TensorFlow Lite write a few lines from C++ straight to file descriptor 2 in every process
that loads a model (the CLI's own and each 2D helper's), for example::

    W0000 00:00:1796527687.398804    2089 inference_feedback_manager.cc:114] Feedback manager requires a model with a
    single signature inference. Disabling support for feedback tensors.

They say nothing a user can act on (the first is MediaPipe telling itself that its models have one signature; the
NORM_RECT one is the legacy Pose graph's, whose landmarks we check against MediaPipe's own in the tests), yet they
read like errors above the progress bars, and absl offers no setting from Python to lower its level before it
initialises. The worker sends all of its stderr to its log file (``core/worker/client.py``), so the add-on's users
never see them; the CLI filters them instead: :func:`filtered_native_stderr` points descriptor 2 at a pipe, and a
thread copies every line to the console except those matching ``HARMLESS``. Python's own ``sys.stderr`` (progress
bars, our errors and warnings) keeps writing to the console directly; the 2D helper processes inherit the pipe, so
their lines (a traceback included) pass through the same filter. Nothing unknown is hidden.

FFmpeg and OpenCV have settings for this: a file that is not a video makes FFmpeg print ``moov atom not found`` and
OpenCV a ``[ WARN ]`` line before our own one-line error. :func:`quiet_libraries` sets their levels (``QUIET_ENV``)
in the environment, unless the user set them, before this process or a helper imports OpenCV. Only the CLI does
this: the worker keeps them in its log, where they help to tell why a file would not open.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

HARMLESS = tuple(
    re.compile(p)
    for p in (
        rb"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\s*$",
        rb"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.\s*$",
        rb"^W\d{4} [\d:.]+ +\d+ inference_feedback_manager\.cc:\d+\] Feedback manager requires a model with a "
        rb"single signature inference\. Disabling support for feedback tensors\.\s*$",
        rb"^W\d{4} [\d:.]+ +\d+ landmark_projection_calculator\.cc:\d+\] Using NORM_RECT without IMAGE_DIMENSIONS "
        rb"is only supported for the square ROI\. Provide IMAGE_DIMENSIONS or use PROJECTION_MATRIX\.\s*$",
    )
)


QUIET_ENV = {"OPENCV_FFMPEG_LOGLEVEL": "-8", "OPENCV_LOG_LEVEL": "ERROR"}  # AV_LOG_QUIET; OpenCV's errors only
DRAIN_TIMEOUT_S = 2.0  # a bound, in case a child left half a line in the pipe


def harmless(line: bytes) -> bool:
    """Whether one line of native output is one of MediaPipe's known-harmless ones (``HARMLESS``)."""
    return any(p.match(line) for p in HARMLESS)


DRAINED = b"\0video-mocap: everything before this line is on the console\n"


def copy_lines(source: BinaryIO, console: BinaryIO, drained: threading.Event | None = None) -> None:
    """Copy ``source`` line by line to ``console`` until it ends, leaving out the harmless lines; the DRAINED line
    is not copied but sets ``drained``."""
    for line in iter(source.readline, b""):
        if line == DRAINED:
            if drained is not None:
                drained.set()
        elif not harmless(line):
            console.write(line)
            console.flush()


def quiet_libraries() -> None:
    """FFmpeg's log off and OpenCV's warnings off for this process and the ones it starts (before they import OpenCV;
    FFmpeg's level is read when a capture opens), unless the environment already sets them."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)


@contextmanager
def filtered_native_stderr() -> Iterator[None]:
    """Within the block, file descriptor 2 (native code, child processes started in it) goes through the filter;
    ``sys.stderr`` writes to the console as before. Restored on the way out, once the copier has passed on all that
    was written before; what children write later still passes through the filter while they live."""
    try:
        sys.stderr.flush()
        console_fd = os.dup(2)
    except (AttributeError, OSError):  # no stderr at all (pythonw, a closed descriptor): nothing to keep clean
        yield
        return
    read_fd, write_fd = os.pipe()
    console = os.fdopen(os.dup(console_fd), "wb", buffering=0)
    drained = threading.Event()
    copier = threading.Thread(target=copy_lines, args=(os.fdopen(read_fd, "rb"), console, drained), daemon=True)
    copier.start()
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(console_fd), "w", buffering=1, encoding=python_stderr.encoding,
                           errors="backslashreplace")  # fmt: skip
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.write(2, DRAINED)  # what this process wrote reaches the console before it goes on (and may os._exit)
        drained.wait(DRAIN_TIMEOUT_S)
        os.dup2(console_fd, 2)  # this process's end of the pipe closes; the copier ends when the children's do
        os.close(console_fd)
        sys.stderr.close()
        sys.stderr = python_stderr
