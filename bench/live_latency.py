"""Benchmark: live mode's latency (frame read → pose delivered) and sustained fps at 480p and 720p, and the causal
lifter's own share. Targets (CPU, 480p): ≥ 25 fps sustained, ≤ 60 ms median latency, lifter ≤ 5 ms. Run from the
repository root:

    .venv/bin/python -m bench.live_latency [--seconds 10] [--source-fps 30] [--clip PATH] [--weights PATH]

Inputs are made by resizing a shared clip with OpenCV into a temp folder (854×480 and 1280×720, written at
``--source-fps`` so the file plays like a webcam at that rate), then played through ``core.live.run_live`` exactly as
the worker does (real MediaPipe, grabber thread, causal streaming lifter, per-frame post-processing). The lifter is
``weights/lifter_causal.pt`` when present, else a random model of configs/attention_causal.toml (one rf-81 lifter:
cheaper than the shipped two-member ensemble, so its figures are not the shipped cost). Latency is measured per pose
from the moment the frame's read returned to the moment the pose is handed to ``send``; sustained fps is poses
delivered per second of wall time. The load average and the process CPU time per pose (decode + MediaPipe + lifter +
post, all threads) are printed: on a shared machine the wall-clock figures follow the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLIPS = ("pexels_dancing_rooftop_640x360.mp4", "intel_worker_walking_480x270.mp4")
SIZES = {"480p": (854, 480), "720p": (1280, 720)}


def make_input(clip: Path, size: tuple[int, int], fps: float, out: Path) -> Path:
    """``clip`` resized to ``size`` (w, h), written at ``fps``."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    while True:
        ok, image = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    cap.release()
    writer.release()
    return out


def lifter_weights(path: str | None, tmp: Path) -> Path:
    """The shipped causal weights, or a random model of the causal training config (one lifter, not the ensemble)."""
    if path:
        return Path(path)
    shipped = REPO / "weights" / "lifter_causal.pt"
    if shipped.is_file():
        return shipped
    from core.models import LifterConfig, build_model, save_checkpoint

    config = tomllib.loads((REPO / "configs" / "attention_causal.toml").read_text())["model"]
    model = build_model(LifterConfig.from_dict(config)).eval()
    save_checkpoint(tmp / "causal_random.pt", model)
    return tmp / "causal_random.pt"


def lifter_step_ms(weights: Path, steps: int = 500) -> tuple[float, float, int]:
    """Median and p95 ms of the live stream's step alone (``streamer_for``: a ``CausalStreamer``, or one per member
    of an ensemble; one thread, as in live mode), and the receptive field."""
    import numpy as np
    import torch

    from core.lift import load_lifter
    from core.models.ensemble import streamer_for

    torch.set_num_threads(1)
    model = load_lifter(weights)
    stream = streamer_for(model)
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (17, 2)).astype(np.float32)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        stream.step(x)
        times.append(1000.0 * (time.perf_counter() - t0))
    times = times[50:]  # warm-up
    return statistics.median(times), float(np.percentile(times, 95)), int(model.receptive_field)


def run_session(video: Path, weights: Path, seconds: float, hands: bool = False) -> dict[str, Any]:
    """One live session on ``video`` (looped) for ``seconds`` after the first pose; figures from its messages."""
    import numpy as np

    from core.live import run_live

    poses: list[tuple[float, dict[str, Any]]] = []
    end: dict[str, Any] = {}
    stop = threading.Event()

    def send(message: dict[str, Any]) -> None:
        if message["type"] == "pose":
            poses.append((time.perf_counter(), message))
            if poses[-1][0] - poses[0][0] >= seconds:
                stop.set()
        elif message["type"] in ("live_stopped", "error"):
            end.update(message)

    cpu0 = time.process_time()
    options = {"weights": str(weights), "loop": True, "hands": hands}
    run_live({"id": "bench", "video": str(video), "options": options}, send, stop)
    cpu = time.process_time() - cpu0
    if end.get("type") != "live_stopped" or len(poses) < 2:
        raise RuntimeError(f"the live session failed: {end}")
    latency = np.array([m["latency_ms"] for _, m in poses])
    span = poses[-1][0] - poses[0][0]
    return {"poses": len(poses), "fps": (len(poses) - 1) / span, "latency_median": float(np.median(latency)),
            "latency_p95": float(np.percentile(latency, 95)), "dropped": end["dropped"],
            "frames_read": end["frames_read"], "timings": end["timings_ms"],
            "cpu_ms_per_pose": 1000.0 * cpu / len(poses)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per input size")
    parser.add_argument("--source-fps", type=float, default=30.0, help="frame rate the inputs play at (a webcam's)")
    parser.add_argument("--clip", help="source clip (default: a shared clip from ../shared/videos)")
    parser.add_argument("--weights", help="causal lifter checkpoint (default: shipped, else random of the config)")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    clip = Path(args.clip) if args.clip else next(
        (p for p in (REPO.parent / "shared" / "videos" / c for c in CLIPS) if p.is_file()), None)  # fmt: skip
    if clip is None or not clip.is_file():
        print("no input clip: pass --clip PATH (../shared/videos is absent)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="video_mocap_live_bench_"))
    weights = lifter_weights(args.weights, tmp)
    step_median, step_p95, receptive_field = lifter_step_ms(weights)
    print(f"Python {platform.python_version()}, {platform.processor() or 'cpu'}, {os.cpu_count()} CPUs; clip "
          f"{clip.name} at {args.source_fps:g} fps; lifter {weights.name} (receptive field {receptive_field})")
    print(f"lifter alone: stream step median {step_median:.2f} ms, p95 {step_p95:.2f} ms (1 thread)")
    print("| input | hands | sustained fps | latency median | latency p95 | dropped/read | detect | hands | lift | "
          "post | process CPU per pose | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sizes:
        video = make_input(clip, SIZES[name], args.source_fps, tmp / f"{name}.mp4")
        for hands in (False, True):  # hands on: MediaPipe Hands on every frame too (issue 14)
            r = run_session(video, weights, args.seconds, hands)
            t = r["timings"]
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            hands_ms = f"{t['hands']:.1f} ms" if "hands" in t else "–"
            print(f"| {name} {SIZES[name][0]}×{SIZES[name][1]} | {'on' if hands else 'off'} | {r['fps']:.1f} | "
                  f"{r['latency_median']:.1f} ms | {r['latency_p95']:.1f} ms | {r['dropped']}/{r['frames_read']} | "
                  f"{t['detect']:.1f} ms | {hands_ms} | {t['lift']:.2f} ms | {t['post']:.2f} ms | "
                  f"{r['cpu_ms_per_pose']:.0f} ms | {load:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
