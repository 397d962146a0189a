"""The capture pipeline: video → 2D track → 3D camera space → Blender world → .npz (docs/capture.md).

One function, ``run_capture``, used by the worker (in a thread, with progress messages and cancellation) and by the
CLI. It streams the video (bounded memory: only per-frame 2D results are kept), so the stages are:
``decode`` (open + probe), ``detect`` (decode and MediaPipe, overlapped), ``lift`` (chunks of frames), ``post``.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .capture_file import save_capture
from .detect import Detector, HandsDetector, Track2D, clean_track, detect_track
from .errors import CaptureError, OptionsError
from .helper_pool import default_workers
from .options import DEFAULT_FOV_DEG, CaptureOptions
from .parallel_detect import detect_clip
from .presence import assess_presence
from .video import iter_frames, probe, resolve_range
from .video_meta import field_of_view
from .weights import default_weights, lifter_model, resolve_device

# Longest clip lifted in NumPy on the CPU. Importing torch costs ≈ 1 s of CPU next to detection, while its sequence
# path lifts the shipped ensemble faster per frame than the NumPy forward with one BLAS thread, so on a long clip
# torch wins back its import: 32–48 s of clip measured with the two-member ensemble this bound was set for, ≈ 220 s
# with today's four members (torch's lead per frame shrank); between the bound and the crossover the difference is
# under a second of CPU. `python -m bench.lift_path` measures both and prints the crossover (docs/performance.md;
# approximate: one machine, and detection's load moves it).
NUMPY_LIFT_MAX_S = 60.0

# Called as progress(stage, done, total, frames_per_second).
ProgressFn = Callable[[str, int, int, float], None]


def _check_output(output: Path) -> None:
    if output.suffix.lower() != ".npz":
        raise OptionsError(f"The output file must end in .npz, got {output.name}")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaptureError(f"Cannot create the output folder {output.parent}: {exc}", kind="output_unwritable") from exc
    if not os.access(output.parent, os.W_OK):
        raise CaptureError(f"The output folder is not writable: {output.parent}", kind="output_unwritable")


class _Throttle:
    """Calls progress at most every ``interval`` s (and always for the last item) with the running rate;
    ``on_first()`` once, when the first item is done."""

    def __init__(self, progress: ProgressFn | None, stage: str, total: int, interval: float = 0.1,
                 on_first: Callable[[], Any] | None = None) -> None:  # fmt: skip
        self.progress, self.stage, self.total, self.interval = progress, stage, total, interval
        self.start = self.last = time.perf_counter()
        self.on_first = on_first

    def __call__(self, done: int, force: bool = False) -> None:
        if done and self.on_first is not None:
            self.on_first()
            self.on_first = None
        now = time.perf_counter()
        if self.progress is None or (not force and now - self.last < self.interval and done < self.total):
            return
        self.last = now
        rate = done / (now - self.start) if now > self.start else 0.0
        self.progress(self.stage, done, max(self.total, done), round(rate, 2))


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    return fn(*args, **kwargs), round(time.perf_counter() - t0, 3)


def _load_lifter(weights: Path, requested_device: str, clip_s: float) -> tuple[Any, str]:
    """(model, device), in the loader thread. On the CPU, for clips up to NUMPY_LIFT_MAX_S, the lifter
    runs in NumPy (``core.lifter_numpy``) and torch is not imported at all. Where torch is needed (CUDA, a long clip,
    or to find out whether there is a GPU), it is imported here, not before detection."""
    from .lift import load_lifter

    device = resolve_device(requested_device)
    return load_lifter(weights, device=device, numpy_ok=clip_s <= NUMPY_LIFT_MAX_S), device


def _detect(video: str | os.PathLike[str], start: int, end: int, options: CaptureOptions, detector: Detector | None,
            hands_detector: HandsDetector | None, report: _Throttle, should_stop: Callable[[], bool] | None,
            timings: dict[str, Any]) -> Track2D:  # fmt: skip
    """The clip's raw 2D (and hands, when on): MediaPipe on every core (core/parallel_detect.py), or a given
    detector in this process."""
    if detector is None:
        workers = options.detect_workers or default_workers()
        timings["detect_workers"] = workers
        return detect_clip(str(video), start, end, workers=workers, on_frame=report, should_stop=should_stop,
                           hands=options.hands, stats=timings)  # fmt: skip
    if options.hands and hands_detector is None:
        from .hands.detect import MediaPipeHandsDetector

        hands_detector = MediaPipeHandsDetector()
    return detect_track(iter_frames(video, start, end), detector, on_frame=report, should_stop=should_stop,
                        hands=hands_detector if options.hands else None)  # fmt: skip


def _hands(options: CaptureOptions, track: Track2D, placed: Any, notes: list[str]) -> tuple[Any, Any]:
    """(HandMotion, HandTrack) of the clip (core.hands.track) when hands are on, else (None, None)."""
    if not options.hands or track.hands is None:
        return None, None
    from .hands.track import attach_hands, hand_motion

    hand_track = attach_hands(track.hands, track.xy)
    hands = hand_motion(hand_track, placed.world, placed.up_camera, track.times, options.smoothing)
    if not hands.seen.any():
        notes.append("hands were on, but no hand was found near the body's wrists in any frame")
    return hands, hand_track


def _fuse_mediapipe(camera: Any, track: Track2D, share: float) -> float:
    """Average MediaPipe's own 3D into ``camera`` (in place, core/fuse3d.py) where it belongs to the tracked person:
    real detections whose left/right labels were not swapped back. Returns MediaPipe's mean share over the clip."""
    if track.world is None or share <= 0.0:
        return 0.0
    from .fuse3d import fuse_clip

    camera[:], weights = fuse_clip(camera, track.world, track.detected & ~track.swapped, track.times, share)
    return float(weights.mean())


def _check_lifter(options: CaptureOptions) -> Path:
    """The weights file to lift with; a missing GPU or weights file is reported now, not after the 2D."""
    if options.device == "cuda":
        resolve_device("cuda")
    weights = Path(options.weights) if options.weights else default_weights(options.model)
    if not weights.is_file():
        from .lift import load_lifter

        load_lifter(weights, device="cpu")  # raises the user-facing "weights not found" error
    return weights


def _lift(model: Any, track: Track2D, info: Any, options: CaptureOptions, progress: ProgressFn | None,
          should_stop: Callable[[], bool] | None, timings: dict[str, Any]) -> tuple[Any, list[Any]]:  # fmt: skip
    """(T, 17, 3) camera-space 3D of the cleaned track and the warnings the lifter raised (a short clip's)."""
    from .lift import lift_timed  # imported by the loader thread by now

    t0, c0 = time.perf_counter(), time.process_time()
    lift_report = _Throttle(progress, "lift", len(track.xy))
    lift_report(0, force=True)  # the stage starts now; the first chunk may take seconds
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        camera = lift_timed(
            model, track.xy, track.times, info.width, info.height, flip_tta=options.flip_tta,
            should_stop=should_stop, on_chunk=lambda done, _t: lift_report(done, force=True),
        )  # fmt: skip
    timings["lift_s"] = time.perf_counter() - t0
    timings["lift_cpu_s"] = time.process_time() - c0
    return camera, list(caught)


def _place(camera: Any, track: Track2D, info: Any, options: CaptureOptions, fov_deg: float, notes: list[str]) -> Any:
    """The clip-wide placement (``core.world.place``); a missing or damaged contact or gravity model is a note."""
    from .world.place import place, shipped_gravity_model

    placed = place(camera, track.xy, track.times, info.width, info.height, info.fps, subject_height=options.height,
                   smoothing=options.smoothing, fov_deg=fov_deg, root_motion=options.root_motion,
                   camera_shift=track.camera_shift, conf=track.conf)  # fmt: skip
    if placed.info.get("contacts_from") == "rule":
        notes.append("weights/contacts.json is missing or damaged: foot contacts come from the simpler rule "
                     "(reinstall the add-on)")  # fmt: skip
    if shipped_gravity_model() is None:
        notes.append("weights/gravity.json is missing or damaged: the up direction comes from the body alone "
                     "(reinstall the add-on)")  # fmt: skip
    return placed


def run_capture(
    video: str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: CaptureOptions,
    *,
    detector: Detector | None = None,
    hands_detector: HandsDetector | None = None,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Capture ``video`` into ``output`` (.npz, keys in docs/capture.md). Returns the summary (also in the file).

    ``detector`` defaults to MediaPipe Pose on every core (``core.parallel_detect``, ``options.detect_workers``); a
    given detector runs in this process (with ``hands_detector``, or MediaPipe Hands, when ``options.hands``). The
    lifter loads in a background thread meanwhile. Raises ``CaptureError``
    subclasses with a ``kind`` for every failure the user can act on, ``Cancelled`` when ``should_stop()`` became
    true.
    """
    t_start = time.perf_counter()
    output = Path(output)
    _check_output(output)
    info = probe(video)  # cheap, and the most common mistake: check the video before loading anything
    start, end = resolve_range(info, options.frame_start, options.frame_end)
    weights = _check_lifter(options)
    # The lifter loads in the background while detection starts: torch's import alone is about a second of CPU
    # (bench.lift_path; a process's first capture, the worker imports it once).
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lifter-load")
    model_future = loader.submit(_timed, _load_lifter, weights, options.device, (end - start + 1) / info.fps)
    loader.shutdown(wait=False)
    total = end - start + 1
    if progress is not None:
        progress("decode", 0, total, 0.0)
    timings: dict[str, Any] = {}

    report = _Throttle(progress, "detect", total, on_first=lambda: timings.setdefault(
        "first_progress_s", round(time.perf_counter() - t_start, 3)))
    t0, c0 = time.perf_counter(), time.process_time()
    raw = _detect(video, start, end, options, detector, hands_detector, report, should_stop, timings)
    timings["decode_detect_s"] = time.perf_counter() - t0
    # CPU seconds of the whole process (all threads): comparable between runs on a shared, loaded machine.
    timings["decode_detect_cpu_s"] = time.process_time() - c0
    report(len(raw.detected), force=True)
    presence = assess_presence(raw.xy, raw.conf, raw.detected, raw.times, info.height, raw.others)
    raw.detected = presence.real  # phantoms are not detections: never lifted, never used to fill a gap
    track = clean_track(raw, options.min_confidence)
    (model, device), timings["load_s"] = model_future.result()
    notes: list[str] = []
    kind = lifter_model(model)  # decided once, here: the rest of the pipeline follows the weights
    if kind != options.model:
        notes.append(f"the weights {weights.name} hold the {kind} model, but the option model is {options.model}; "
                     "the weights decide")

    camera, caught = _lift(model, track, info, options, progress, should_stop, timings)
    mp_share = _fuse_mediapipe(camera, track, options.mediapipe_3d)

    t0 = time.perf_counter()
    if progress is not None:
        progress("post", 0, 2, 0.0)
    # The whole clip is known: the clip-wide placement (core.world), whichever model lifted it.
    fov_deg, fov_from = field_of_view(options.fov_deg, info.focal_35mm, info.width, info.height, DEFAULT_FOV_DEG)
    placed = _place(camera, track, info, options, fov_deg, notes)
    world, post_info = placed.world, placed.info
    hands, hand_track = _hands(options, track, placed, notes)
    timings["post_s"] = time.perf_counter() - t0
    if progress is not None:
        progress("post", 1, 2, 0.0)
    summary: dict[str, Any] = {
        "video": str(info.path), "frames": int(len(track.xy)), "fps": info.fps, "image_size": [info.width, info.height],
        "rotation": info.rotation, "detection_rate": track.detection_rate, "lr_swaps_fixed": int(track.swapped.sum()),
        "device": device, "weights": str(weights), "receptive_field": int(model.receptive_field),
        "warnings": notes + presence.warnings + [str(w.message) for w in caught], **post_info,
        "mediapipe_3d_share": round(mp_share, 3), "fov_deg": round(fov_deg, 1), "fov_from": fov_from,
    }  # fmt: skip
    if hands is not None:  # the fraction of frames each hand (left, right) was detected in
        summary["hands_seen"] = [round(float(f), 3) for f in hands.seen.mean(axis=0)]
    timings["total_s"] = time.perf_counter() - t_start
    summary["timings"] = timings
    save_capture(output, joints_2d=track.xy, confidence=track.conf, detected=track.detected, joints_3d_camera=camera,
                 joints_3d_world=world, fps=info.fps, frame_indices=track.frame_indices, times=track.times,
                 lr_swapped=track.swapped, present=presence.present, contacts=placed.contacts,
                 image_size=(info.width, info.height), hands=hands, hand_track=hand_track,
                 camera_shift=track.camera_shift, joints_3d_mediapipe=track.world,
                 options=options.to_dict(),
                 summary=summary)
    if progress is not None:
        progress("post", 2, 2, 0.0)
    return summary
