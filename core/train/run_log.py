"""What a training run tells the world: the JSON-lines log, the progress bar, the per-rank receipt.

Only rank 0 writes the log and shows the bar; every rank writes its receipt (so a launcher, and the DDP test, can
check that all ranks trained and ended with the same weights).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm


class RunLog:
    """``out_dir/log.jsonl`` (one record per ``log_every`` steps, per epoch, at start and end) and a tqdm bar."""

    def __init__(self, out_dir: Path, main: bool, total_steps: int, done_steps: int, config: dict[str, Any]) -> None:
        self.out_dir, self.main = out_dir, main
        self.file = None
        if main:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "config.json").write_text(json.dumps(config, indent=2))
            self.file = (out_dir / "log.jsonl").open("a")
        self.bar = tqdm(total=total_steps, initial=done_steps, disable=not main, unit="step", dynamic_ncols=True,
                        mininterval=1.0 if sys.stderr.isatty() else 30.0)  # fmt: skip

    def record(self, event: str, **fields: Any) -> None:
        if self.file is not None:
            self.file.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "event": event, **fields}) + "\n")
            self.file.flush()

    def step(self, epochs: int, epoch: int, loss_mm: float, lr: float, speed: float) -> None:
        self.bar.update(1)
        self.bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{loss_mm:.1f}mm", lr=f"{lr:.2e}",
                             sps=f"{speed:.0f}", refresh=False)  # fmt: skip

    def write(self, line: str) -> None:
        self.bar.write(line)

    def close(self) -> None:
        self.bar.close()
        if self.file is not None:
            self.file.close()
            self.file = None

    def receipt(self, rank: int, **fields: Any) -> None:
        path = self.out_dir / "ranks" / f"rank{rank}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"rank": rank, **fields}))


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 of the trainable parameters: identical on every rank when DDP really averaged the gradients.

    Buffers are left out on purpose: BatchNorm running statistics are updated locally after the last broadcast.
    """
    digest = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(p.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
