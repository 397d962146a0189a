"""Which training batches of a run held windows no camera can see (``core.data.dataset.MIN_DEPTH_M``, ``MAX_ABS_2D``):

    python -m core.train.unseeable checkpoints/realvideo243_offline --epochs 29 59

Every batch depends only on its seed (``core.train.prefetch.draw``), so the batches of any epoch of a run can be
drawn again from its ``config.json`` (those of a one-process run: rank 0, the whole batch). For each step whose
plain draw holds such a window it prints the step, how many, and the batch's largest normalised 2D coordinate: the
windows the sampler now draws again, and which a run from before that rule trained on (a jump in its validation
error usually follows).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


def unseeable_steps(run: Path, epochs: list[int]) -> list[tuple[int, int, int, float]]:
    """(epoch, step, unseeable windows, largest |2D| of the batch) for every step of ``epochs`` with such a window."""
    from ..data.dataset import build_training_data
    from ..models import build_model
    from .config import TrainConfig
    from .loop import REPO_ROOT
    from .prefetch import step_seed

    config = TrainConfig.from_dict(json.loads((run / "config.json").read_text()), str(run / "config.json"))
    model = build_model(config.model)
    data = build_training_data(config.data, model.receptive_field, model.causal_shift, REPO_ROOT,
                               seed=config.run.seed, joints=config.model.joints)  # fmt: skip
    steps = math.ceil(config.data.samples_per_epoch / config.optim.batch_size)
    found = []
    for epoch in epochs:
        for step in range(steps):
            rng = np.random.default_rng(step_seed(config.run.seed, epoch, step, 0))
            x, _, seen = data.train.plain_draw(rng, config.optim.batch_size)
            if not seen.all():
                found.append((epoch, step, int((~seen).sum()), float(np.abs(x).max())))
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.train.unseeable", description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="a run folder with config.json")
    p.add_argument("--epochs", type=int, nargs="+", required=True, help="epochs to draw again (0-based)")
    args = p.parse_args(argv)
    found = unseeable_steps(args.run, args.epochs)
    for epoch, step, count, largest in found:
        print(f"epoch {epoch} step {step}: {count} unseeable window(s), largest |2D| {largest:.1f}")
    print(f"{len(found)} step(s) of {len(args.epochs)} epoch(s) held unseeable windows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
