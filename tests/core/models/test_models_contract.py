"""The lifter contract: shapes, frame alignment, causality, gradients, input errors (tiny random models)."""

from __future__ import annotations

import pytest
import torch

from core.models import LifterConfig, build_model, infer_sequence, pad_sequence

ARCHS = ["attention", "videopose"]


def tiny(arch: str, widths: tuple[int, ...] = (3, 3, 3), causal: bool = False, **kw: object) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(
        LifterConfig(arch=arch, filter_widths=widths, channels=16, groups=4, reduction=8, causal=causal, **kw)
    )


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("widths", [(3, 3), (3, 5, 3)])
def test_output_shapes(arch: str, causal: bool, widths: tuple[int, ...]) -> None:
    model = tiny(arch, widths, causal)
    n = model.receptive_field
    for training in (True, False):
        model.train(training)
        for t in (n, n + 6):
            out = model(torch.randn(3, t, 17, 2))
            assert out.shape == (3, t - n + 1, 17, 3)
            assert torch.isfinite(out).all()
    model.eval()
    seq = torch.randn(11, 17, 2)
    assert infer_sequence(model, seq).shape == (11, 17, 3)
    assert infer_sequence(model, seq[None].expand(2, -1, -1, -1)).shape == (2, 11, 17, 3)
    assert pad_sequence(model, seq[None]).shape[1] == 11 + n - 1


@pytest.mark.parametrize("arch", ARCHS)
def test_bad_inputs_have_clear_errors(arch: str) -> None:
    model = tiny(arch)
    with pytest.raises(ValueError, match="fewer than the receptive field"):
        model(torch.randn(1, 26, 17, 2))
    with pytest.raises(ValueError, match=r"\(B, T, 17, 2\)"):
        model(torch.randn(1, 27, 16, 2))
    with pytest.raises(ValueError, match=r"\(B, T, 17, 2\)"):
        model(torch.randn(27, 17, 2))
    with pytest.raises(ValueError, match="torch.Tensor"):
        model([[0.0]])


@pytest.mark.parametrize("arch", ARCHS)
def test_output_is_aligned_with_its_frame(arch: str) -> None:
    """Output i of a centred model is frame i + pad: a pose moved into that frame changes that output most."""
    model = tiny(arch, (3, 3)).eval()
    base = torch.zeros(1, 9, 17, 2) + torch.linspace(-0.5, 0.5, 17)[None, None, :, None]
    bumped = base.clone()
    bumped[:, 4] += 0.3 * torch.randn(17, 2)  # the target frame of the 9-frame window
    with torch.no_grad():
        d_target = (model(bumped) - model(base)).abs().sum()
        side = base.clone()
        side[:, 0] = bumped[:, 4]
        d_side = (model(side) - model(base)).abs().sum()
    assert d_target > 0 and d_target != d_side


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("widths", [(3, 3, 3), (5, 3, 3)])
def test_causal_output_ignores_future_frames(arch: str, widths: tuple[int, ...]) -> None:
    """Causal: output at frame t has zero gradient w.r.t. every input after t (sequence path, eval mode)."""
    model = tiny(arch, widths, causal=True).eval()
    x = torch.randn(1, 40, 17, 2, requires_grad=True)
    padded = pad_sequence(model, x)  # all padding in the past
    out = model(padded)
    assert out.shape[1] == 40
    for t in (0, 7, 25, 39):
        (grad,) = torch.autograd.grad(out[0, t].sum(), x, retain_graph=True)
        per_frame = grad.abs().sum(dim=(0, 2, 3))
        assert per_frame[t + 1 :].eq(0).all(), f"output {t} depends on later frames"
        assert per_frame[t] > 0, "the output must depend on its own frame"
    # A centred model does look ahead (the test above can fail).
    centred = tiny(arch, widths, causal=False).eval()
    out = centred(pad_sequence(centred, x))
    (grad,) = torch.autograd.grad(out[0, 7].sum(), x)
    assert grad[0, 8:].abs().sum() > 0


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("causal", [False, True])
def test_every_parameter_receives_a_gradient(arch: str, causal: bool) -> None:
    model = tiny(arch, (3, 3, 3, 3), causal, dropout=0.0).train()
    x = torch.randn(4, 81, 17, 2)
    model(x).square().mean().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"parameters without gradient: {missing}"
    model.zero_grad()
    model(torch.randn(2, 90, 17, 2)).square().mean().backward()  # the sequence path trains too
    assert all(p.grad is not None for p in model.parameters())


def test_window_only_sees_its_receptive_field() -> None:
    """Sequence output i depends on input frames i .. i + n - 1 and nothing else."""
    model = tiny("attention", (3, 5, 3)).eval()
    n = model.receptive_field
    x = torch.randn(1, n + 20, 17, 2, requires_grad=True)
    out = model(x)
    (grad,) = torch.autograd.grad(out[0, 10].sum(), x)
    per_frame = grad.abs().sum(dim=(0, 2, 3))
    assert per_frame[:10].eq(0).all() and per_frame[10 + n :].eq(0).all()
    assert (per_frame[10 : 10 + n] > 0).sum() > n // 2


def test_attention_is_invariant_to_translating_the_pose_but_not_the_output() -> None:
    """W^(0) is a normalised cross-correlation: moving every 2D pose by the same offset leaves it unchanged."""
    from core.models.attention import pose_ncc

    x = torch.randn(2, 27, 17, 2)
    w = pose_ncc(x, x[:, 13])
    shifted = pose_ncc(x + torch.tensor([0.3, -0.2]), x[:, 13] + torch.tensor([0.3, -0.2]))
    assert torch.allclose(w, shifted, atol=1e-6)
    assert torch.allclose(w[:, 13], torch.ones(2)) and (w >= 0).all() and (w <= 1 + 1e-6).all()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("widths", [(3, 3), (5, 3), (3, 5, 3), (3, 3, 3)])
def test_temporal_attention_correlates_with_the_target_frame(widths: tuple[int, ...], causal: bool) -> None:
    """W^(0) is each frame's correlation with the target frame: exactly 1 there (centre, or last when causal) and
    below 1 elsewhere (random poses), on the training path and on every window of the sequence path."""
    model = tiny("attention", widths, causal).eval()
    n = model.receptive_field
    target = n - 1 if causal else (n - 1) // 2  # n is odd: the middle frame
    seen: list[torch.Tensor] = []
    model.temporal_attention.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    torch.manual_seed(1)
    x = torch.randn(2, n + 4, 17, 2)
    with torch.no_grad():
        model.forward_windows(x[:, :n])
        model.forward_sequence_reference(x)
    windows, sequence = seen[0], seen[1].reshape(2, 5, n)
    for w0 in (windows, *sequence.unbind(1)):
        assert w0.shape == (2, n)
        torch.testing.assert_close(w0[:, target], torch.ones(2))
        others = torch.cat([w0[:, :target], w0[:, target + 1 :]], dim=1)
        assert (others < 0.99).all(), (target, w0)
