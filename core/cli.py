"""Command line capture without Blender: ``python -m core.cli capture VIDEO -o OUT.npz [options]``.

Runs the same pipeline as the worker in-process, with a tqdm progress bar per stage, or with ``--json`` the worker's
JSON-lines messages (progress, then result or error) on stdout. Exit code 0 on success, 1 on a capture error, 2 on
bad arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing.util
import os
import sys
import threading
from typing import Any

from .errors import CaptureError
from .options import DEFAULT_FOV_DEG, DEVICES, MODELS, CaptureOptions

_DEFAULT = CaptureOptions()  # the CLI's defaults are the options' own


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="Video Mocap capture without Blender.")
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="video → 2D → 3D → .npz")
    cap.add_argument("video", help="input video file")
    cap.add_argument("-o", "--output", required=True, help="output .npz")
    cap.add_argument("--model", choices=MODELS, default=_DEFAULT.model,
                     help="offline (looks ahead: most accurate) or causal (past frames only)")
    cap.add_argument("--causal", action="store_const", const="causal", dest="model", help="same as --model causal")
    cap.add_argument("--device", choices=DEVICES, default=_DEFAULT.device)
    cap.add_argument("--height", type=float, default=_DEFAULT.height,
                     help=f"subject height in metres (default {_DEFAULT.height})")
    cap.add_argument("--smoothing", type=float, default=_DEFAULT.smoothing,
                     help=f"0 (off) .. 1 (strong), default {_DEFAULT.smoothing}")
    cap.add_argument("--weights", default=None, help="lifter checkpoint (default: weights/lifter_*.pt)")
    cap.add_argument("--frame-start", type=int, default=None, help="first video frame (0-based, inclusive)")
    cap.add_argument("--frame-end", type=int, default=None, help="last video frame (0-based, inclusive)")
    cap.add_argument("--no-flip-tta", action="store_true", help="disable mirror test-time augmentation")
    cap.add_argument("--detect-workers", type=int, default=_DEFAULT.detect_workers,
                     help="processes detecting 2D in parallel (0 = one per core)")
    cap.add_argument("--hands", action="store_true",
                     help="also capture both hands' fingers (MediaPipe Hands on every frame: slower)")
    cap.add_argument("--mediapipe-3d", type=float, default=_DEFAULT.mediapipe_3d,
                     help="share of MediaPipe's own 3D averaged into the lifter's, 0 (lifter alone) .. 1, "
                          f"default {_DEFAULT.mediapipe_3d}")  # fmt: skip
    cap.add_argument("--fov-deg", type=float, default=_DEFAULT.fov_deg,
                     help="the camera's field of view along the long side, degrees (default: the clip's own focal "
                          f"length where the camera wrote it, else {DEFAULT_FOV_DEG:g})")  # fmt: skip
    cap.add_argument("--json", action="store_true", help="JSON-lines progress/result on stdout instead of a bar")
    return parser


class _Bars:
    """One tqdm bar per stage."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int, fps: float) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = self._tqdm(total=total, desc=stage, unit="frame" if stage != "post" else "step", leave=True)
        self.bar.total = total
        self.bar.update(done - self.bar.n)  # update(), not n =: keeps tqdm's own rate estimate meaningful

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def capture(args: argparse.Namespace) -> int:
    from . import helper_pool
    from .blas_threads import one_blas_thread

    one_blas_thread()  # before NumPy loads, here and in the helpers (they inherit it)

    if args.detect_workers != 1:  # first thing: the 2D helpers start up while this process imports the pipeline
        helper_pool.prewarm(args.detect_workers or None)
    from .capture import run_capture

    def emit(**message: Any) -> None:
        print(json.dumps(message, default=str), flush=True)

    try:
        options = CaptureOptions(
            height=args.height, smoothing=args.smoothing, model=args.model, device=args.device,
            frame_start=args.frame_start, frame_end=args.frame_end, weights=args.weights, flip_tta=not args.no_flip_tta,
            detect_workers=args.detect_workers, hands=args.hands, mediapipe_3d=args.mediapipe_3d, fov_deg=args.fov_deg,
        )  # fmt: skip
    except CaptureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bars = None if args.json else _Bars()
    progress = (
        (lambda s, d, t, f: emit(type="progress", id="cli", stage=s, done=d, total=t, fps=f)) if args.json else bars
    )
    stop = threading.Event()
    try:
        summary = run_capture(args.video, args.output, options, progress=progress, should_stop=stop.is_set)
    except CaptureError as exc:
        if bars is not None:
            bars.close()
        if args.json:
            emit(type="error", id="cli", kind=exc.kind, message=str(exc))
        else:
            print(f"error ({exc.kind}): {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if bars is not None:
            bars.close()
        print("interrupted", file=sys.stderr)
        return 130
    if bars is not None:
        bars.close()
    if args.json:
        emit(type="result", id="cli", path=args.output, summary=summary)
    else:
        t = summary["timings"]
        print(
            f"{summary['frames']} frames at {summary['fps']:.2f} fps, detected {summary['detection_rate']:.0%}, "
            f"{t['total_s']:.1f} s on {summary['device']} → {args.output}"
        )
        for warning in summary["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "capture":
        from .native_log import filtered_native_stderr, quiet_libraries

        quiet_libraries()  # before OpenCV loads, here and in the 2D helpers
        with filtered_native_stderr():  # MediaPipe's known-harmless C++ lines off the console (core/native_log.py)
            return capture(args)
    return 2


def _leave(code: int) -> None:
    """Exit now: the 2D helpers are ended, not waited for (``helper_pool.release``; also one still starting after
    an early error), multiprocessing's finalizers unlink its named semaphores (else its resource tracker reports them
    as leaked), and ``os._exit`` skips the interpreter's teardown — unloading torch and MediaPipe took ≈ 0.7 s after
    the result on the 2-core machine; the worker exits the same way (core/worker/server.py)."""
    helpers = sys.modules.get(f"{__package__}.helper_pool")
    if helpers is not None:
        helpers.release()
    sys.stdout.flush()
    sys.stderr.flush()
    multiprocessing.util._run_finalizers(0)
    os._exit(code)


if __name__ == "__main__":
    _leave(main())
