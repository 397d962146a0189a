"""Training speed: target frames per second of ``python -m core.train`` per model size and targets per window.

    .venv/bin/python -m bench.train_speed [--config configs/realvideo243_videopose_offline.toml] [--steps 40]

A step's cost on the CPU is mostly per *window* (its receptive field through the first layers, and drawing its
detector noise), not per target frame, so more consecutive target frames per window train more frames per second
(docs/training.md, "Cheaper samples"). For each variant of ``--config`` (channels C, targets per window; the windows
per step chosen so that every step sees the same 1,024 target frames) this runs the real training command as a
fresh process for ``--steps`` steps (its data loading and camera fitting untimed), reads the elapsed time of every
5-step interval from its ``log.jsonl`` after the first 10 steps, and prints the median seconds per step with the
spread (min–max over the intervals) and the target frames per second. The machine's 1-minute load average is
printed before each variant: figures from a loaded machine are not comparable (a training run owns both cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS_PER_STEP = 1024
VARIANTS = ((256, 8), (256, 32), (256, 64), (512, 8), (512, 32), (1024, 32))  # (channels, targets per window)
SKIP_STEPS, EVERY = 10, 5


def variant_config(text: str, channels: int, targets: int, log_every: int = EVERY) -> str:
    """The config text with C, targets per window and windows per step (``TARGETS_PER_STEP`` frames) replaced, no
    time budget, a small validation set (its time is not measured) and a log record every ``log_every`` steps."""
    replace = {
        r"(?m)^channels = \d+": f"channels = {channels}",
        r"(?m)^targets_per_window = \d+": f"targets_per_window = {targets}",
        r"(?m)^batch_size = \d+": f"batch_size = {TARGETS_PER_STEP // targets}",
        r"(?m)^max_minutes = \d+": f"max_minutes = 0\nlog_every = {log_every}",
        r"(?m)^val_windows = \d+": "val_windows = 64",
    }
    for pattern, value in replace.items():
        text, n = re.subn(pattern, value, text)
        if n != 1:
            raise SystemExit(f"the config has no single line matching {pattern!r}")
    return text


def seconds_per_step(log: Path, skip: int = SKIP_STEPS) -> list[float]:
    """Seconds per step of every logged interval after step ``skip``, from a run's log.jsonl."""
    records = [json.loads(line) for line in log.read_text().splitlines()]
    steps = [(r["step"], r["elapsed_s"]) for r in records if r.get("event") == "step" and r["step"] >= skip]
    return [(t1 - t0) / (s1 - s0) for (s0, t0), (s1, t1) in zip(steps, steps[1:])]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.train_speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, default=REPO / "configs" / "realvideo243_videopose_offline.toml")
    p.add_argument("--steps", type=int, default=40)
    args = p.parse_args(argv)
    text = args.config.read_text()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; config {args.config.name}, "
          f"{TARGETS_PER_STEP} target frames per step\n")  # fmt: skip
    rows = []
    for channels, targets in VARIANTS:
        with tempfile.TemporaryDirectory(prefix="train_speed_") as tmp:
            config = Path(tmp) / "config.toml"
            config.write_text(variant_config(text, channels, targets))
            load = os.getloadavg()[0]
            print(f"C = {channels}, {targets} targets per window: load before {load:.2f}", flush=True)
            run = Path(tmp) / "run"
            command = ["-m", "core.train", "--config", str(config), "--out", str(run), "--max-steps", str(args.steps)]
            subprocess.run([sys.executable, *command], cwd=REPO, check=True, capture_output=True)
            per_step = seconds_per_step(run / "log.jsonl")
        median = statistics.median(per_step)
        spread = f"{min(per_step):.3f}–{max(per_step):.3f}"
        rows.append(f"| {channels} | {targets} | {TARGETS_PER_STEP // targets} | {median:.3f} ({spread}) "
                    f"| {TARGETS_PER_STEP / median:,.0f} | {load:.2f} |")  # fmt: skip
    print("\n| C | targets per window | windows per step | s per step, median (min–max) | target frames/s "
          "| load before |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
