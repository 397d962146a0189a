"""Lookahead (core.train.lookahead) and the per-epoch schedules (core.train.schedules), against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from core.train.lookahead import Lookahead, ranger
from core.train.schedules import bn_momentum, cosine_lr, set_bn_momentum, set_lr


def test_lookahead_syncs_every_k_steps_by_hand() -> None:
    # One scalar parameter, plain SGD with lr 1 on loss = p (gradient 1): the fast weight drops by 1 per step.
    p = torch.nn.Parameter(torch.tensor([10.0]))
    opt = Lookahead(torch.optim.SGD([p], lr=1.0), alpha=0.5, k=3)
    seen = []
    for _ in range(6):
        opt.zero_grad()
        p.sum().backward()
        opt.step()
        seen.append(float(p.detach()))
    # steps 1, 2: fast 9, 8; step 3: fast 7 -> slow = 10 + 0.5 * (7 - 10) = 8.5 and fast := 8.5;
    # steps 4, 5: 7.5, 6.5; step 6: fast 5.5 -> slow = 8.5 + 0.5 * (5.5 - 8.5) = 7.0.
    assert seen == pytest.approx([9.0, 8.0, 8.5, 7.5, 6.5, 7.0])
    assert float(opt.slow[0][0]) == pytest.approx(7.0)


def test_lookahead_state_round_trip_continues_identically() -> None:
    torch.manual_seed(0)
    w = torch.randn(4, 3)

    def make() -> tuple[torch.nn.Linear, Lookahead]:
        torch.manual_seed(1)
        lin = torch.nn.Linear(3, 1)
        return lin, ranger(lin.parameters(), lr=1e-2, k=2)

    def step(lin: torch.nn.Linear, opt: Lookahead) -> float:
        loss = (lin(w) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())

    lin_a, opt_a = make()
    losses_a = [step(lin_a, opt_a) for _ in range(7)]
    lin_b, opt_b = make()
    losses_b = [step(lin_b, opt_b) for _ in range(3)]
    lin_c, opt_c = make()
    lin_c.load_state_dict(lin_b.state_dict())
    opt_c.load_state_dict(opt_b.state_dict())
    losses_b += [step(lin_c, opt_c) for _ in range(4)]
    assert losses_a == losses_b


def test_lookahead_rejects_bad_arguments() -> None:
    p = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="alpha"):
        Lookahead(torch.optim.SGD([p], lr=1.0), alpha=0.0)
    with pytest.raises(ValueError, match="k must"):
        Lookahead(torch.optim.SGD([p], lr=1.0), k=0)


def test_ranger_uses_the_papers_radam_settings_and_schedule_sets_lr() -> None:
    p = torch.nn.Parameter(torch.zeros(2))
    opt = ranger([p])
    assert isinstance(opt.optimizer, torch.optim.RAdam)
    group = opt.param_groups[0]
    assert group["betas"] == (0.95, 0.999) and group["eps"] == 1e-5
    assert (opt.alpha, opt.k) == (0.5, 6)
    set_lr(opt, 3e-4)
    assert opt.optimizer.param_groups[0]["lr"] == 3e-4


def test_cosine_lr_by_hand() -> None:
    epochs = 5
    values = [cosine_lr(e, epochs, 1e-3, 1e-5) for e in range(epochs)]
    assert values[0] == pytest.approx(1e-3, rel=1e-12)
    assert values[-1] == pytest.approx(1e-5, rel=1e-12)
    # the middle epoch sits exactly halfway: (1e-3 + 1e-5) / 2
    assert values[2] == pytest.approx(5.05e-4, rel=1e-12)
    # epoch 1 of 5: 1e-5 + 0.99e-3 * (1 + cos(pi / 4)) / 2
    assert values[1] == pytest.approx(1e-5 + 0.99e-3 * (1 + math.sqrt(0.5)) / 2, rel=1e-12)
    assert all(a > b for a, b in zip(values, values[1:]))
    with pytest.raises(ValueError):
        cosine_lr(5, 5, 1e-3, 1e-5)


def test_bn_momentum_decays_from_start_to_end() -> None:
    assert bn_momentum(0, 10) == pytest.approx(0.1)
    assert bn_momentum(9, 10) == pytest.approx(0.001)
    assert bn_momentum(3, 7) == pytest.approx(0.1 * (0.001 / 0.1) ** 0.5)  # geometric midpoint
    net = torch.nn.Sequential(torch.nn.Conv1d(2, 2, 1), torch.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2))
    assert set_bn_momentum(net, 0.05) == 2
    assert net[1].momentum == 0.05 and net[2].momentum == 0.05
