"""core.models.blocks.Dropout: nn.Dropout's contract (drop with probability p, scale the rest, identity in eval)."""

from __future__ import annotations

import pytest
import torch

from core.models.blocks import Dropout


def test_training_drops_a_fraction_p_and_scales_the_rest() -> None:
    torch.manual_seed(0)
    x = torch.rand(1000, 1000) + 0.5  # never 0: a zero in the output is a dropped element
    x.requires_grad_()
    y = Dropout(0.2).train()(x)
    kept = y != 0
    # 10^6 draws: the kept fraction's standard deviation is 0.0004
    assert abs(kept.float().mean().item() - 0.8) < 0.003
    torch.testing.assert_close(y[kept], x[kept] / 0.8)
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.8)  # the gradient goes through the same mask


def test_eval_mode_and_p_zero_are_the_identity() -> None:
    x = torch.randn(4, 5)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_a_probability_outside_0_1_is_an_error(p: float) -> None:
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(p)
