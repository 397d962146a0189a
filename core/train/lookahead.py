"""Lookahead optimiser wrapper and the Ranger combination (RAdam + Lookahead) used by the paper's training.

Lookahead (Zhang et al., NeurIPS 2019, Algorithm 1): an inner ("fast") optimiser takes k steps; then the slow
weights move a fraction alpha towards the fast weights, and the fast weights restart from the slow ones:
``slow += alpha * (fast - slow); fast := slow``. Liu et al. (CVPR 2020) train with "Ranger", i.e. RAdam + Lookahead
with betas (0.95, 0.999), eps 1e-5, alpha 0.5, k 6. We use the maintained ``torch.optim.RAdam`` for the inner
optimiser and keep only the ~40 lines of Lookahead here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class Lookahead:
    """Wraps an optimiser; every ``k`` inner steps the weights are pulled to ``slow + alpha * (fast - slow)``.

    ``param_groups`` is the inner optimiser's list, so a learning-rate schedule that writes ``group["lr"]`` acts on
    the inner optimiser directly. ``state_dict()`` holds only tensors and plain containers, so it can be saved
    inside a checkpoint that loads with ``torch.load(weights_only=True)``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, alpha: float = 0.5, k: int = 6) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"Lookahead alpha must be in (0, 1], got {alpha}")
        if k < 1:
            raise ValueError(f"Lookahead k must be >= 1, got {k}")
        self.optimizer = optimizer
        self.alpha = alpha
        self.k = k
        self.step_count = 0
        # The slow weights start equal to the initial weights (Algorithm 1, phi_0 = theta_0).
        self.slow = [[p.detach().clone() for p in group["params"]] for group in optimizer.param_groups]

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self) -> None:
        self.optimizer.step()
        self.step_count += 1
        if self.step_count % self.k != 0:
            return
        for group, slow_group in zip(self.optimizer.param_groups, self.slow):
            for p, slow in zip(group["params"], slow_group):
                slow.add_(p.detach() - slow, alpha=self.alpha)
                p.copy_(slow)

    def state_dict(self) -> dict[str, Any]:
        return {
            "inner": self.optimizer.state_dict(),
            "slow": [[s.clone() for s in group] for group in self.slow],
            "step_count": self.step_count,
            "alpha": self.alpha,
            "k": self.k,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["inner"])
        shapes = [[tuple(s.shape) for s in g] for g in self.slow]
        loaded = [[tuple(s.shape) for s in g] for g in state["slow"]]
        if shapes != loaded:
            raise ValueError("Lookahead state does not match the model's parameters (different architecture?)")
        for group, saved in zip(self.slow, state["slow"]):
            for slow, value in zip(group, saved):
                slow.copy_(value)
        self.step_count = int(state["step_count"])
        self.alpha = float(state["alpha"])
        self.k = int(state["k"])


def ranger(
    params: Iterable[torch.nn.Parameter],
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.95, 0.999),
    eps: float = 1e-5,
    alpha: float = 0.5,
    k: int = 6,
    weight_decay: float = 0.0,
) -> Lookahead:
    """Ranger = ``torch.optim.RAdam`` wrapped in :class:`Lookahead` (the defaults are the authors' settings)."""
    inner = torch.optim.RAdam(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    return Lookahead(inner, alpha=alpha, k=k)
