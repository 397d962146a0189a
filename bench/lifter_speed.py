"""Lifter speed: parameters, MACs per output frame, sequence-path frames/s, causal streaming ms/frame.

    .venv/bin/python -m bench.lifter_speed [--threads 2] [--frames 10000] [--repeats 5] [--only shipped]

For each configuration (random weights, eval mode, float32): the sequence path lifts a ``--frames`` clip (edge-padded
so every frame gets a pose, one forward call, median and spread of ``--repeats`` runs); streaming feeds the *causal*
twin of the configuration one pose at a time (batch 1, median and p90 ms/frame over 300 steps after a warm-up). MACs
are the matrix-product multiply-adds of the sequence path per output frame, counted by torch.utils.flop_counter (the
elementwise work, e.g. layer 1's k-tap sums, is not included). Process CPU seconds are printed beside the wall time:
on a shared machine the wall time swings with the load average, the CPU time much less; "frames/s if the CPU time had
all threads' cores" = threads / CPU seconds per frame is what the run would reach with the cores to itself (assumes
perfect scaling over the threads, which the folded path's independent per-thread runs approach). With a CUDA device
the same figures are measured there too.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from core.models import CausalStreamer, LifterConfig, build_model, pad_sequence
from core.models.checkpoint import read_checkpoint
from core.models.threads import single_intraop_thread

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"

CONFIGS: dict[str, list[tuple[str, dict]]] = {
    "paper": [
        ("attention n=27 C=1024", {"filter_widths": (3, 3, 3), "channels": 1024}),
        ("attention n=81 C=1024", {"filter_widths": (3, 3, 3, 3), "channels": 1024}),
        ("attention n=243 C=1024", {"filter_widths": (3, 3, 3, 3, 3), "channels": 1024}),
        ("videopose n=243 C=1024", {"arch": "videopose", "filter_widths": (3, 3, 3, 3, 3), "channels": 1024}),
    ],
    "shipped": [
        # The example of a CPU-trainable size; the sizes really shipped are added from weights/ below.
        ("attention n=243 C=256", {"filter_widths": (3, 3, 3, 3, 3), "channels": 256}),
        ("attention n=81 C=256", {"filter_widths": (3, 3, 3, 3), "channels": 256}),
        ("videopose n=243 C=256", {"arch": "videopose", "filter_widths": (3, 3, 3, 3, 3), "channels": 256}),
    ],
}


def _add_shipped_weights() -> None:
    """Add the configuration(s) of weights/lifter_offline.pt (the model "Capture from Video" runs), when present: each
    member of an ensemble (core.lifter_ensemble; the ensemble's time is their sum)."""
    path = WEIGHTS_DIR / "lifter_offline.pt"
    if not path.is_file():
        return
    payload = read_checkpoint(path)
    configs = [m["config"] for m in payload["members"]] if "members" in payload else [payload["config"]]
    for k, config in enumerate(configs):
        overrides = {key: tuple(v) if isinstance(v, list) else v for key, v in config.items() if key != "causal"}
        n = math.prod(config["filter_widths"])
        member = f" member {k}" if len(configs) > 1 else ""
        label = f"weights/lifter_offline.pt{member}: {config['arch']} n={n} C={config['channels']}"
        CONFIGS["shipped"].insert(k, (label, overrides))


_add_shipped_weights()


def make(overrides: dict, causal: bool, device: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(LifterConfig(**{**overrides, "causal": causal})).to(device).eval()


def macs_per_frame(model: torch.nn.Module, frames: int = 1000) -> float:
    x = pad_sequence(model, torch.randn(1, frames, model.config.num_joints, 2))
    counter = FlopCounterMode(display=False)  # thread-local: keep every operation on this thread
    with torch.inference_mode(), single_intraop_thread(), counter:
        model(x)
    return counter.get_total_flops() / 2 / frames


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def sequence_speed(model: torch.nn.Module, frames: int, repeats: int, device: str) -> tuple[list[float], float]:
    """(frames/s of every run, median CPU seconds per 1000 frames)."""
    x = pad_sequence(model, torch.randn(1, frames, model.config.num_joints, 2)).to(device)
    rates, cpus = [], []
    with torch.inference_mode():
        model(x[:, : model.receptive_field + 64])  # warm-up: kernels, folded-weight snapshot
        for _ in range(repeats):
            sync(device)
            w0, c0 = time.perf_counter(), time.process_time()
            model(x)
            sync(device)
            rates.append(frames / (time.perf_counter() - w0))
            cpus.append((time.process_time() - c0) / frames * 1000)
    return rates, statistics.median(cpus)


def streaming_ms(model: torch.nn.Module, steps: int, device: str) -> tuple[float, float]:
    """(median, 90th percentile) ms per causal step at batch 1."""
    streamer = CausalStreamer(model)
    poses = torch.randn(steps + 50, model.config.num_joints, 2, device=device)
    for t in range(50):
        streamer.step(poses[t])
    times = []
    for t in range(50, steps + 50):
        sync(device)
        t0 = time.perf_counter()
        streamer.step(poses[t])
        sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, statistics.quantiles(times, n=10)[-1] * 1000


def run(groups: list[str], frames: int, repeats: int, steps: int, device: str) -> None:
    print(f"\n### {device}" + (f" ({torch.get_num_threads()} threads)" if device == "cpu" else ""))
    print(
        "| model | params | MACs / frame | sequence frames/s (wall): median (min–max) | CPU s / 1000 frames | frames/s "
        "if the CPU time had all threads' cores | streaming ms/frame (causal): median (p90) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for group in groups:
        for label, overrides in CONFIGS[group]:
            model = make(overrides, causal=False, device=device)
            params = sum(p.numel() for p in model.parameters())
            macs = macs_per_frame(model) if device == "cpu" else float("nan")
            rates, cpu = sequence_speed(model, frames, repeats, device)
            del model
            ms, p90 = streaming_ms(make(overrides, causal=True, device=device), steps, device)
            bound = 1000 * torch.get_num_threads() / cpu if device == "cpu" else float("nan")
            print(
                f"| {label} | {params / 1e6:.2f} M | {macs / 1e6:.1f} M | {statistics.median(rates):,.0f} "
                f"({min(rates):,.0f}–{max(rates):,.0f}) | {cpu:.2f} | {bound:,.0f} | {ms:.2f} ({p90:.2f}) |",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=10_000, help="clip length for the sequence path")
    parser.add_argument("--repeats", type=int, default=5, help="sequence runs per model (median and spread)")
    parser.add_argument("--steps", type=int, default=300, help="timed streaming steps per model")
    parser.add_argument("--only", choices=sorted(CONFIGS), help="one group of configurations")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    groups = [args.only] if args.only else ["shipped", "paper"]
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    devices = (
        ["cpu"]
        if args.device == "cpu"
        else ["cuda"]
        if args.device == "cuda"
        else (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    )
    for device in devices:
        run(groups, args.frames, args.repeats, args.steps, device)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
