"""A run that starts from a finished model's weights (``[optim] init_from``): a second schedule, not a resume.

A resume (``--resume last.pt``) continues one schedule exactly, optimiser state included; that state is 2-3× the
weights (Ranger's moments and Lookahead's slow copy: 69 MB for the VideoPose3D rf-243 model at C = 512), too much
to commit between sessions for every run. Starting a new cosine schedule from a finished ``model.pt`` (a warm
restart, Loshchilov & Hutter, "SGDR", ICLR 2017) trains the same network further with a fresh optimiser, and needs
only the weights, which are committed anyway. The model file's architecture must equal the run's ``[model]``; its
weights' sha256 is recorded in the run's log and in the model it produces, so the lineage stays checkable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..data.dataset import resolve_path
from ..models.checkpoint import read_single
from ..models.config import LifterConfig

REPO_ROOT = Path(__file__).resolve().parents[2]


class InitWeightsError(ValueError):
    """``init_from`` names a file that is not a single lifter of the run's architecture."""


def load_init_weights(model: torch.nn.Module, config: LifterConfig, init_from: str | Path,
                      repo_root: Path = REPO_ROOT) -> dict[str, Any]:  # fmt: skip
    """Loads the weights of the single-lifter file ``init_from`` (relative paths from ``repo_root``) into ``model``
    (built from ``config``).

    Returns what the run records of its start: the file as given, its weights' sha256 and the file's own training record
    (its ``extra``: command, epochs, wall time, config), so that a model card can count all the training it had.

    Raises:
        InitWeightsError: the file holds another architecture (any ``[model]`` setting differs) or no lifter.
    """
    path = resolve_path(init_from, repo_root)
    try:
        payload = read_single(path)
    except (OSError, RuntimeError) as exc:  # missing, damaged, an ensemble, a bad checksum
        raise InitWeightsError(f"optim.init_from: {exc}") from exc
    try:
        have = LifterConfig.from_dict(payload["config"]).to_dict()
    except (TypeError, ValueError) as exc:
        raise InitWeightsError(f"optim.init_from: {path} holds an unreadable model config: {exc}") from exc
    wanted = config.to_dict()
    if have != wanted:
        differ = sorted(k for k in set(have) | set(wanted) if have.get(k) != wanted.get(k))
        raise InitWeightsError(f"optim.init_from: {path} is a different model ([model] {', '.join(differ)} differ)")
    model.load_state_dict(payload["state_dict"])
    # the file's own training record (which may itself start from another): model cards add its samples and hours
    return {"init_from": str(init_from), "init_sha256": payload["sha256"], "init_extra": payload.get("extra", {})}
