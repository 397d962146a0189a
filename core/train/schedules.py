"""Per-epoch schedules for training: cosine learning rate and VideoPose3D's BatchNorm momentum decay.

Both are pure functions of the epoch index, evaluated once at the start of each epoch and written into the
optimiser / BatchNorm layers. The authors' code writes ``scheduler.get_lr()`` back into the optimiser every epoch;
on current PyTorch ``get_lr()`` already returns the *next* closed-form step applied to the current lr, so the cosine
is applied twice and the rate collapses early. Computing the value explicitly avoids that bug.
"""

from __future__ import annotations

import math

import torch


def cosine_lr(epoch: int, epochs: int, lr_start: float, lr_end: float) -> float:
    """Learning rate for ``epoch`` in ``[0, epochs)``: ``lr_start`` at the first epoch, ``lr_end`` at the last.

    ``lr(e) = lr_end + (lr_start - lr_end) * (1 + cos(pi * e / (epochs - 1))) / 2`` (SGDR without restarts,
    Loshchilov & Hutter 2017, eq. 5, with T_max = epochs - 1 so the last epoch really trains at ``lr_end``).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if not 0 <= epoch < epochs:
        raise ValueError(f"epoch {epoch} is outside [0, {epochs})")
    if epochs == 1:
        return lr_start
    return lr_end + (lr_start - lr_end) * 0.5 * (1.0 + math.cos(math.pi * epoch / (epochs - 1)))


def bn_momentum(epoch: int, epochs: int, start: float = 0.1, end: float = 0.001) -> float:
    """BatchNorm momentum decayed exponentially from ``start`` (first epoch) to ``end`` (last epoch).

    VideoPose3D (Pavllo et al. 2019, §4 "Implementation details") decays the momentum so the running statistics
    settle as training converges; their loop uses ``start * exp(-e / E * log(start / end))``. We use ``E - 1`` so the
    last epoch reaches ``end`` exactly.
    """
    if not 0 < end <= start <= 1:
        raise ValueError(f"BatchNorm momentum needs 0 < end <= start <= 1, got start={start}, end={end}")
    if epochs <= 1:
        return start
    return start * math.exp(-epoch / (epochs - 1) * math.log(start / end))


def set_bn_momentum(model: torch.nn.Module, momentum: float) -> int:
    """Sets ``momentum`` on every BatchNorm layer of ``model``; returns how many layers were changed."""
    count = 0
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.momentum = momentum
            count += 1
    return count


def set_lr(optimizer: torch.optim.Optimizer | object, lr: float) -> None:
    """Writes ``lr`` into every parameter group (works for :class:`core.train.lookahead.Lookahead` too)."""
    for group in optimizer.param_groups:  # type: ignore[attr-defined]
        group["lr"] = lr
