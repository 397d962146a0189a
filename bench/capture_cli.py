"""End-to-end capture speed as a user gets it: ``python -m core.cli capture`` as a whole process.

    .venv/bin/python -m bench.capture_cli [--runs 3]

Clip: a 30 fps 1280×720 clip of ≈ 7 s, made here by re-encoding the shared rooftop dance clip (217 frames; local
only, never committed) — or the walking clip when it is absent. Each configuration runs ``--runs`` times as a fresh
process (imports, weights, detection, lifting, post-processing, file written: everything a user waits for); the
table gives the median and the spread (min–max) of the wall time and the real-time factor (clip duration / wall
time), for 2D detection in one process and in one process per core (core/parallel_detect.py), and with hands on
(``--hands``: MediaPipe Hands beside the pose in every process, issue 14). It also compares
the two runs' 2D: the frames within ±5 of a chunk seam and the others, in % of the person's box height. The
machine (CPU model, cores) and its 1-minute load before each configuration are printed: figures from a loaded
machine are not comparable.

As a user's second capture finds them: the repository's bytecode is compiled first (Python writes it on a first
run, but not where PYTHONDONTWRITEBYTECODE is set, as on the development machine: each run would then compile every
changed module again), and one untimed capture reads the clip, the weights and the libraries into the page cache.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.helper_pool import default_workers  # noqa: E402
from core.video import iter_frames  # noqa: E402

VIDEOS = REPO.parent / "shared" / "videos"


def make_clip(dst: Path) -> tuple[Path, float]:
    src = VIDEOS / "pexels_dancing_rooftop_640x360.mp4"
    if not src.is_file():
        src = VIDEOS / "intel_worker_walking_480x270.mp4"
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1280, 720))
    frames = 0
    while frames < 210:  # ≈ 7 s at 30 fps, looping a short source
        for frame in iter_frames(src):
            writer.write(cv2.resize(frame.image, (1280, 720), interpolation=cv2.INTER_CUBIC))
            frames += 1
            if frames >= 210:
                break
    writer.release()
    return dst, frames / 30.0


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def run_cli(clip: Path, out: Path, workers: int, hands: bool = False) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core.cli", "capture", str(clip), "-o", str(out), "--json",
                    "--detect-workers", str(workers), *(["--hands"] if hands else [])],
                   cwd=REPO, check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - t0


_FLOOR_CODE = """
import statistics, sys, time
t0 = time.perf_counter()
from core.detect import MediaPipePoseDetector
from core.video import iter_frames
detector = MediaPipePoseDetector()
start = time.perf_counter() - t0
per_frame, t = [], time.perf_counter()
first, last = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (0, None)
if len(sys.argv) > 3:  # one part of several processes at once: one OpenCV thread each, as capture runs them
    import cv2
    cv2.setNumThreads(1)
for frame in iter_frames(sys.argv[1], first, last, threads=1 if len(sys.argv) > 3 else 0):
    detector.detect(frame.image, frame.time_s)
    now = time.perf_counter()
    per_frame.append(now - t)
    t = now
print(start, statistics.median(per_frame[1:]), len(per_frame))
"""


def detection_floor(clip: Path, cores: int, duration: float) -> str:
    """The wall time detection alone needs, from one process's own figures: MediaPipe's import and graph build plus
    every frame's decode and detection (median), the frames shared by ``cores`` processes with no warm-up overlap;
    and the same measured with ``cores`` processes running at once."""
    out = subprocess.run([sys.executable, "-c", _FLOOR_CODE, str(clip)], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.split()  # fmt: skip
    start, frame_s, frames = float(out[0]), float(out[1]), int(out[2])
    floor = start + frames * frame_s / cores
    together = _detection_together(clip, frames, cores)
    return (f"detection alone, one process: import + graph build {start:.2f} s, decode + detect "
            f"{1000 * frame_s:.1f} ms per frame (median) → with {cores} processes at best "
            f"{floor:.2f} s for {frames} frames, "
            f"{duration / floor:.2f}× real time before any lifting; measured, {cores} such processes at once on "
            f"equal parts (one OpenCV thread each, as capture runs them): {together:.2f} s, "
            f"{duration / together:.2f}× real time")  # fmt: skip


def _detection_together(clip: Path, frames: int, cores: int) -> float:
    """Wall time of ``cores`` fresh processes detecting equal parts of the clip at the same time (imports included):
    what detection alone costs when every core runs one, sharing caches and memory bandwidth."""
    bounds = [round(frames * k / cores) for k in range(cores + 1)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", _FLOOR_CODE, str(clip), str(a), str(b - 1)], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for a, b in zip(bounds[:-1], bounds[1:])]  # fmt: skip
    for p in procs:
        p.wait()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {cpu_name()}, {cores} cores; python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="video_mocap_bench_") as tmp:
        clip, duration = make_clip(Path(tmp) / "clip_720p30.mp4")
        for package in ("core", "bench"):
            compileall.compile_dir(REPO / package, quiet=1)
        run_cli(clip, Path(tmp) / "warm_up.npz", default_workers())
        rows, tracks, seams = [], {}, {}
        for workers, hands in ((1, False), (default_workers(), False), (default_workers(), True)):
            print(f"detect_workers={workers} hands={hands}: load before {os.getloadavg()[0]:.2f}", flush=True)
            out = Path(tmp) / f"w{workers}{'h' if hands else ''}.npz"
            walls = [run_cli(clip, out, workers, hands) for _ in range(args.runs)]
            if not hands:
                with np.load(out) as f:
                    tracks[workers] = f["joints_2d"].copy()
                    seams[workers] = json.loads(str(f["summary_json"]))["timings"].get("detect_seams", [])
            rows.append((workers, hands, walls))
        lines = [
            "| 2D processes | hands | wall s median (min–max) | × real time median (min–max) |",
            "|---|---|---|---|",
        ]
        for workers, hands, walls in rows:
            med, lo, hi = statistics.median(walls), min(walls), max(walls)
            lines.append(f"| {workers} | {'on' if hands else 'off'} | {med:.2f} ({lo:.2f}–{hi:.2f}) | "
                         f"{duration / med:.2f} ({duration / hi:.2f}–{duration / lo:.2f}) |")  # fmt: skip
        print(f"clip: 1280×720, 30 fps, {duration:.1f} s; {args.runs} runs each")
        print("\n".join(lines))
        print(detection_floor(clip, cores, duration))
        a, b = tracks[1], tracks[default_workers()]
        box = np.nanmax(np.ptp(a[..., 1], axis=1))
        err = 100 * np.nanmax(np.linalg.norm(a - b, axis=-1), axis=1) / box
        near = np.zeros(len(a), bool)
        for s in seams[default_workers()]:
            near[max(0, s - 5) : s + 6] = True
        if seams[default_workers()]:
            print(f"2D, parallel vs one process (worst joint per frame, % of box height): near seams "
                  f"{seams[default_workers()]} median "
                  f"{np.median(err[near]):.2f} max {err[near].max():.2f}; elsewhere median {np.median(err[~near]):.2f} "
                  f"max {err[~near].max():.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
