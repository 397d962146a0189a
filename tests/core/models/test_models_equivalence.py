"""Two paths and a stream, one set of weights: strided windows == sequence == folded sequence == causal step().

Random weights and random BatchNorm statistics (so that folding BatchNorm is really exercised), eval mode.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.models import CausalStreamer, LifterConfig, build_model, infer_sequence

TOL = 1e-4
ALL_WIDTHS = [
    (3, 3),
    (3, 3, 3),
    (3, 3, 3, 3),
    (3, 3, 3, 3, 3),
    (3, 5, 3),
    (3, 5, 5),
    (3, 7, 7),
    (3, 5, 5, 5),
    (3, 7, 7, 7),
    (5, 3, 3),
]


def random_model(arch: str, widths: tuple[int, ...], causal: bool, channels: int = 8, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = build_model(
        LifterConfig(arch=arch, filter_widths=widths, channels=channels, groups=2, reduction=4, causal=causal)
    )
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm1d):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
    return model.eval()


def poses(t: int, batch: int = 1, seed: int = 1) -> torch.Tensor:
    """Smooth random 2D tracks, (B, T, 17, 2): nearby frames correlate, as real motion does."""
    g = torch.Generator().manual_seed(seed)
    steps = 0.05 * torch.randn(batch, t, 17, 2, generator=g)
    return 0.3 * torch.randn(batch, 1, 17, 2, generator=g) + steps.cumsum(dim=1)


def windows(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The training path on every window of x (one batch of windows), (B, T - n + 1, J, 3)."""
    n = model.receptive_field
    b, t = x.shape[:2]
    wins = x.unfold(1, n, 1).permute(0, 1, 4, 2, 3).reshape(-1, n, 17, 2)  # (B * T_out, n, J, 2)
    with torch.no_grad():
        return model(wins).reshape(b, t - n + 1, 17, 3)


@pytest.mark.parametrize("widths", ALL_WIDTHS)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("arch", ["attention", "videopose"])
def test_strided_equals_sequence(arch: str, widths: tuple[int, ...], causal: bool) -> None:
    model = random_model(arch, widths, causal)
    n = model.receptive_field
    extra = 12 if n < 500 else 4
    x = poses(n + extra, batch=2)
    ref = windows(model, x)
    with torch.no_grad():
        fast = model(x)  # eval + no_grad: the folded path (BatchNorm folded, shared layer-1 projections)
    slow = model(x).detach()  # autograd on: the differentiable reference sequence path
    assert fast.shape == ref.shape == (2, extra + 1, 17, 3)
    assert (fast - ref).abs().max() < TOL
    assert (slow - ref).abs().max() < TOL
    assert ref.abs().max() > 1e-3  # a dead network would agree trivially


@pytest.mark.parametrize("widths", [(3, 3, 3), (3, 5, 3), (3, 3, 3, 3), (5, 3, 3)])
@pytest.mark.parametrize("arch", ["attention", "videopose"])
def test_streaming_equals_causal_sequence(arch: str, widths: tuple[int, ...]) -> None:
    model = random_model(arch, widths, causal=True)
    n = model.receptive_field
    x = poses(n + 30)[0]  # longer than the window: the ring buffers wrap around
    ref = infer_sequence(model, x)
    streamer = CausalStreamer(model)
    got = torch.stack([streamer.step(x[t]) for t in range(x.shape[0])])
    assert (got - ref).abs().max() < TOL
    # reset() starts a new stream whose first frames are padded with its own first pose.
    streamer.reset()
    y = poses(12, seed=5)[0]
    ref_y = infer_sequence(model, y)
    got_y = np.stack([streamer.step(y[t].numpy()) for t in range(12)])  # numpy in, numpy out
    assert np.abs(got_y - ref_y.numpy()).max() < TOL


@pytest.mark.parametrize("widths", [(3, 3, 3, 3, 3), (3, 7, 7)])
def test_streaming_large_windows_first_frames(widths: tuple[int, ...]) -> None:
    """The replicated-first-pose padding agrees with the sequence path's edge padding for big windows too."""
    model = random_model("attention", widths, causal=True)
    x = poses(20)[0]
    streamer = CausalStreamer(model)
    got = torch.stack([streamer.step(x[t]) for t in range(20)])
    assert (got - infer_sequence(model, x)).abs().max() < TOL


def test_streamer_rejects_centred_or_training_models_and_bad_poses() -> None:
    with pytest.raises(ValueError, match="causal"):
        CausalStreamer(random_model("attention", (3, 3), causal=False))
    model = random_model("attention", (3, 3), causal=True).train()
    with pytest.raises(ValueError, match="eval"):
        CausalStreamer(model)
    streamer = CausalStreamer(model.eval())
    with pytest.raises(ValueError, match=r"\(17, 2\)"):
        streamer.step(torch.zeros(16, 2))
    with pytest.raises(ValueError, match="NaN"):
        streamer.step(torch.full((17, 2), float("nan")))


def test_folded_snapshot_follows_weight_updates() -> None:
    """The cached folded weights are rebuilt when the weights change (e.g. after an optimiser step)."""
    model = random_model("attention", (3, 3, 3), causal=False)
    x = poses(40)
    with torch.no_grad():
        before = model(x)
        model.layers[0].point_conv.weight.mul_(1.5)
        after = model(x)
    assert (after - before).abs().max() > 1e-4
    assert (after - windows(model, x)).abs().max() < TOL


def test_inference_is_repeatable_and_leaves_weights_untouched() -> None:
    """Fused buffers are updated in place: no result may leak into the weights or the next call."""
    model = random_model("attention", (3, 3), causal=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = poses(30)
    with torch.no_grad():
        first = model(x)
        second = model(x)
    streamer = CausalStreamer(model)
    run1 = torch.stack([streamer.step(x[0, t]) for t in range(12)])
    streamer.reset()
    run2 = torch.stack([streamer.step(x[0, t]) for t in range(12)])
    assert torch.equal(first, second) and torch.equal(run1, run2)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize(
    "overrides",
    [{"branches": 1, "groups": 1}, {"branches": 2, "groups": 4, "activation": "relu"}, {"channels": 12, "groups": 3}],
)
@pytest.mark.parametrize("causal", [False, True])
def test_other_attention_hyper_parameters(overrides: dict, causal: bool) -> None:
    """M, G, C and the activation change the folded code paths (grouped layouts, branch sums): still equal."""
    torch.manual_seed(3)
    cfg = {"filter_widths": (3, 5, 3), "channels": 8, "reduction": 4, "causal": causal, **overrides}
    model = build_model(LifterConfig(**cfg)).eval()
    x = poses(model.receptive_field + 9)
    with torch.no_grad():
        fast = model(x)
    assert (fast - windows(model, x)).abs().max() < TOL
    if causal:
        streamer = CausalStreamer(model)
        got = torch.stack([streamer.step(x[0, t]) for t in range(x.shape[1])])
        assert (got - infer_sequence(model, x[0])).abs().max() < TOL


def test_fast_mish_matches_torch() -> None:
    from core.models.blocks import mish_

    x = torch.cat([torch.linspace(-30, 30, 20001), torch.tensor([-1e4, -100.0, 0.0, 100.0, 1e4])])
    ref = torch.nn.functional.mish(x.double())
    got = mish_(x.clone()).double()
    assert torch.isfinite(got).all()
    assert ((got - ref).abs() <= 1e-6 * (1 + x.double().abs())).all()


def test_streamer_and_folded_cache_work_across_grad_modes() -> None:
    """Built inside inference_mode, used outside it (and the reverse): no inference-tensor errors, same results."""
    model = random_model("attention", (3, 3, 3), causal=True)
    x = poses(40)
    with torch.inference_mode():
        streamer = CausalStreamer(model)
        a = model(x)
    with torch.no_grad():
        b = model(x)
    got = torch.stack([streamer.step(x[0, t]) for t in range(40)])
    assert torch.equal(a, b) and (got - infer_sequence(model, x[0])).abs().max() < TOL


def test_model_built_inside_inference_mode() -> None:
    with torch.inference_mode():
        model = random_model("attention", (3, 3, 3), causal=False)
        x = poses(40)
        assert (model(x) - windows(model, x)).abs().max() < TOL


def test_mish_module_matches_torch_values_and_gradients() -> None:
    from core.models.blocks import Mish

    x = torch.cat([torch.linspace(-25, 25, 2001, dtype=torch.float64), torch.tensor([-1e4, 1e4], dtype=torch.float64)])
    x.requires_grad_(True)
    ref = torch.nn.functional.mish(x)
    (g_ref,) = torch.autograd.grad(ref.sum(), x)
    got = Mish()(x)
    (g_got,) = torch.autograd.grad(got.sum(), x)
    assert torch.allclose(got, ref, atol=1e-12) and torch.allclose(g_got, g_ref, atol=1e-10)
    assert torch.autograd.gradcheck(Mish(), (torch.randn(20, dtype=torch.float64, requires_grad=True),))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    ("p_in", "kernel", "dilation"), [(81, 3, 1), (81, 3, 3), (81, 3, 9), (81, 3, 27), (25, 5, 5), (9, 3, 1)]
)
def test_attention_branch_equals_padded_dilated_convolution(
    causal: bool, p_in: int, kernel: int, dilation: int
) -> None:
    """The gathered-taps branch (training path) is the strided, dilated, replicate-padded grouped convolution."""
    from core.models.attention import AttentionLayer
    from core.models.geometry import conv_plan

    torch.manual_seed(1)
    layer = AttentionLayer(16, kernel, 3, 4, 4, "relu", 0.0, causal)
    for m in range(3):
        x = torch.randn(5, 16, p_in, requires_grad=True)
        weight = layer.branch_convs[m].weight
        left, right, start, num_out = conv_plan(p_in, kernel, dilation, m, causal)
        padded = torch.nn.functional.pad(x, (left, right), mode="replicate")[..., start:]
        expected = torch.nn.functional.conv1d(
            padded, weight, stride=kernel * dilation, dilation=dilation * (m + 1), groups=4
        )[..., :num_out]
        got = layer.branch(x, m, dilation)
        assert got.shape == expected.shape == (5, 16, p_in // (kernel * dilation))
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
        g_got = torch.autograd.grad(got.square().sum(), (x, weight))
        g_expected = torch.autograd.grad(expected.square().sum(), (x, weight))
        for a, b in zip(g_got, g_expected):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
