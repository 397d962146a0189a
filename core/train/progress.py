"""A run's progress from its log: validation error against samples seen and training time, one table.

    python -m core.train.progress checkpoints/realvideo243_offline            # every 5th epoch and the last
    python -m core.train.progress runs/realvideo_offline --every 1

Reads ``log.jsonl`` and ``config.json`` of a run folder (``core.train.run_log``). A long run resumed across sessions
keeps one log: its epoch records carry the training time summed over every invocation (``elapsed_s``), so the table
reads as accuracy per hour of training on the machine that ran it (the log's ``device`` and the config's threads
say which; time is wall-clock and on a shared machine approximate).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EpochRecord:
    epochs_done: int
    target_frames: int
    hours: float
    lr: float
    val_clean_mm: float
    val_noisy_mm: float


def read_progress(run: Path) -> tuple[list[EpochRecord], dict]:
    """Run folder → (one record per finished epoch, in order; the run's config). A resumed epoch logged twice (a run
    stopped inside it re-does it) keeps its last record."""
    config = json.loads((run / "config.json").read_text())
    per_epoch = config["data"]["samples_per_epoch"] * config["data"].get("targets_per_window", 1)
    by_epoch: dict[int, EpochRecord] = {}
    for line in (run / "log.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("event") != "epoch":
            continue
        done = int(r["epoch"]) + 1
        by_epoch[done] = EpochRecord(done, done * per_epoch, float(r["elapsed_s"]) / 3600.0, float(r["lr"]),
                                     float(r["val_mpjpe_clean_mm"]), float(r["val_mpjpe_noisy_mm"]))  # fmt: skip
    return [by_epoch[k] for k in sorted(by_epoch)], config


def progress_table(records: list[EpochRecord], config: dict, every: int = 5) -> str:
    """Markdown: a header line (epochs and target frames done of the schedule's), then every ``every``-th epoch, the
    best one and the last one."""
    if not records:
        return "no finished epoch yet"
    epochs = int(config["optim"]["epochs"])
    total = epochs * records[0].target_frames // records[0].epochs_done
    last = records[-1]
    best = min(records, key=lambda r: r.val_clean_mm)
    lines = [
        f"{last.epochs_done} of {epochs} epochs, {last.target_frames / 1e6:.2f} M of {total / 1e6:.2f} M target "
        f"frames, {last.hours:.1f} h of training (threads: {config['run']['threads']})",
        "",
        "| epochs done | target frames (M) | training hours | learning rate | val clean MPJPE mm "
        "| val noisy MPJPE mm |",
        "|---|---|---|---|---|---|",
    ]
    shown = [r for r in records if r.epochs_done % every == 0 or r is best or r is last]
    for r in shown:
        mark = " (best clean)" if r is best else ""
        lines.append(f"| {r.epochs_done}{mark} | {r.target_frames / 1e6:.2f} | {r.hours:.2f} | {r.lr:.2e} | "
                     f"{r.val_clean_mm:.1f} | {r.val_noisy_mm:.1f} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.train.progress", description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="run folder holding log.jsonl and config.json")
    p.add_argument("--every", type=int, default=5, help="show every N-th epoch (and the best and the last)")
    args = p.parse_args(argv)
    if args.every < 1:
        p.error("--every must be >= 1")
    try:
        records, config = read_progress(args.run)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the run in {args.run}: {exc}", file=sys.stderr)
        return 1
    print(progress_table(records, config, args.every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
