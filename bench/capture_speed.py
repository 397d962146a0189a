"""Capture pipeline speed: seconds per stage, real-time factor, worker start-up, worker peak memory.

    .venv/bin/python bench/capture_speed.py [--weights PATH] [--device cpu|cuda] [--skip-memory]

Clips: the bundled clip (pose2sim_balance_cam04, 1088×1920 portrait, 60 fps, 100 frames) and a 30 fps 720p clip
made here by resizing a shared clip with OpenCV (pexels_dancing_rooftop if present, else intel_worker_walking).
Memory: the worker's peak RSS (VmHWM) for the 720p clip, the same clip 4× longer and a 4K (2160×3840) clip — the
stream must keep it flat. Weights: the trained ``weights/lifter_offline.pt`` when present, else a randomly
initialised lifter of the default (paper) size, which costs the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.capture import run_capture  # noqa: E402
from core.detect import MediaPipePoseDetector  # noqa: E402
from core.options import CaptureOptions  # noqa: E402
from core.video import iter_frames, probe  # noqa: E402
from core.weights import default_weights  # noqa: E402
from core.worker.client import WorkerClient  # noqa: E402

SHARED = REPO.parent / "shared" / "videos"


class TimedDetector(MediaPipePoseDetector):
    """MediaPipe with the time spent inside detect() accumulated."""

    seconds = 0.0

    def detect(self, image, time_s):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return super().detect(image, time_s)
        finally:
            self.seconds += time.perf_counter() - t0


def resized_clip(src: Path, dst: Path, size: tuple[int, int], fps: float, loops: int = 1) -> Path:
    """Re-encode ``src`` at ``size`` (w, h) and ``fps`` (mp4v), ``loops`` times in a row."""
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(loops):
        for frame in iter_frames(src):
            writer.write(cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA))
    writer.release()
    return dst


def full_size_random_weights(folder: Path) -> Path:
    from core.models import LifterConfig, build_model, save_checkpoint

    path = folder / "random_default_lifter.pt"
    save_checkpoint(path, build_model(LifterConfig()).eval())
    return path


def bench_clip(video: Path, weights: Path, device: str, out: Path) -> dict[str, Any]:
    info = probe(video)
    t0 = time.perf_counter()
    n_decoded = sum(1 for _ in iter_frames(video, prefetch=0))
    decode_only = time.perf_counter() - t0
    detector = TimedDetector()
    t0 = time.perf_counter()
    summary = run_capture(video, out, CaptureOptions(weights=str(weights), device=device), detector=detector)
    wall = time.perf_counter() - t0
    detector.close()
    t = summary["timings"]
    duration = n_decoded / info.fps
    return {
        "clip": video.name, "size": f"{info.width}x{info.height}", "fps": round(info.fps, 3), "frames": n_decoded,
        "decode_only_s": round(decode_only, 3), "detect_s": round(detector.seconds, 3),
        "decode_detect_s": round(t["decode_detect_s"], 3), "lift_s": round(t["lift_s"], 3),
        "decode_detect_cpu_s": round(t["decode_detect_cpu_s"], 3), "lift_cpu_s": round(t["lift_cpu_s"], 3),
        "post_s": round(t["post_s"], 3), "load_s": round(t["load_s"], 3), "total_s": round(wall, 3),
        "realtime_factor": round(duration / wall, 2),
        "realtime_factor_excl_load": round(duration / (wall - t["load_s"]), 2),
        "device": summary["device"], "receptive_field": summary["receptive_field"],
    }  # fmt: skip


def bench_startup(runs: int = 3) -> dict[str, float]:
    times = []
    for _ in range(runs):
        client = WorkerClient(sys.executable, REPO)
        t0 = time.perf_counter()
        client.start()
        client.wait_ready(60)
        times.append(time.perf_counter() - t0)
        client.shutdown()
    return {"ready_median_s": round(statistics.median(times), 3), "ready_max_s": round(max(times), 3)}


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def bench_memory(clips: dict[str, Path], weights: Path, out: Path) -> dict[str, float]:
    """Peak RSS of a fresh worker per clip (so each figure is that clip's own peak)."""
    peaks = {}
    for name, clip in clips.items():
        with WorkerClient(sys.executable, REPO) as client:
            client.wait_ready(60)
            job = client.capture(clip, out, {"weights": str(weights)})
            final = client.wait_for(lambda m, job=job: m.get("id") == job and m.get("type") != "progress", 1800)
            assert final["type"] == "result", final
            peaks[name] = round(_peak_rss_mb(client.pid), 1)  # type: ignore[arg-type]
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="capture_bench_"))
    weights = args.weights or default_weights("offline")
    note = "trained weights"
    if not weights.is_file():
        weights, note = full_size_random_weights(tmp), "random weights, default (paper) size: same cost as trained"
    bundled = SHARED / "pose2sim_balance_cam04.mp4"
    source = SHARED / "pexels_dancing_rooftop_640x360.mp4"
    source = source if source.is_file() else SHARED / "intel_worker_walking_480x270.mp4"
    clip720 = resized_clip(source, tmp / "clip_720p_30fps.mp4", (1280, 720), 30.0)
    results: dict[str, Any] = {"weights": f"{weights.name} ({note})", "720p_source": source.name}
    results["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]  # the CPU may be shared
    results["startup"] = bench_startup()
    results["bundled"] = bench_clip(bundled, weights, args.device, tmp / "a.npz")
    results["720p"] = bench_clip(clip720, weights, args.device, tmp / "b.npz")
    if not args.skip_memory:
        long720 = resized_clip(source, tmp / "clip_720p_x4.mp4", (1280, 720), 30.0, loops=4)
        clip4k = resized_clip(bundled, tmp / "clip_2160x3840.mp4", (2160, 3840), 60.0)
        clips = {"720p": clip720, "720p_4x_longer": long720, "4k_portrait": clip4k}
        results["worker_peak_rss_mb"] = bench_memory(clips, weights, tmp / "m.npz")
    results["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
