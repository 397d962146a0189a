"""LifterConfig validation and the width-derived geometry (receptive field, taps, anchors)."""

from __future__ import annotations

import pytest
import torch

from core.models import LifterConfig, build_model
from core.models.geometry import (
    conv_plan,
    num_positions,
    num_units,
    position_frames,
    receptive_field,
    unit_anchors,
    unit_dilation,
    unit_taps,
)

PAPER_WIDTHS = {
    (3, 3, 3): 27,
    (3, 3, 3, 3): 81,
    (3, 3, 3, 3, 3): 243,
    (3, 5, 3): 45,
    (3, 5, 5): 75,
    (3, 7, 7): 147,
    (3, 5, 5, 5): 375,
    (3, 7, 7, 7): 1029,
}


@pytest.mark.parametrize(("widths", "frames"), sorted(PAPER_WIDTHS.items()))
@pytest.mark.parametrize("arch", ["attention", "videopose"])
def test_receptive_field_per_width_set(arch: str, widths: tuple[int, ...], frames: int) -> None:
    with torch.device("meta"):  # no memory, no init cost: only the geometry is under test
        model = build_model(LifterConfig(arch=arch, filter_widths=widths, channels=16, groups=4))
    assert model.receptive_field == frames
    assert model.pad == (frames - 1) // 2
    assert model.causal_shift == 0
    with torch.device("meta"):
        causal = build_model(LifterConfig(arch=arch, filter_widths=widths, channels=16, groups=4, causal=True))
    assert causal.causal_shift == (frames - 1) // 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"filter_widths": (3, 4, 3)}, "odd"),
        ({"filter_widths": (3, 1)}, "odd and >= 3"),
        ({"filter_widths": ()}, "empty"),
        ({"filter_widths": (3,)}, "at least 2"),
        ({"filter_widths": (3, 3.0)}, "integers"),
        ({"filter_widths": "333"}, "sequence"),
        ({"arch": "transformer"}, "arch"),
        ({"channels": 0}, "channels"),
        ({"channels": 20, "groups": 8}, "divisible"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"causal": "yes"}, "causal"),
        ({"activation": "gelu"}, "activation"),
        ({"num_joints": 0}, "num_joints"),
        ({"branches": 0}, "branches"),
        ({"reduction": True}, "reduction"),
    ],
)
def test_config_rejects_invalid_values(bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LifterConfig(**bad)


def test_from_dict_rejects_unknown_keys_and_round_trips() -> None:
    with pytest.raises(ValueError, match="unknown lifter config key.*'chanels'"):
        LifterConfig.from_dict({"arch": "attention", "chanels": 256})
    with pytest.raises(ValueError, match="dict"):
        LifterConfig.from_dict([("arch", "attention")])  # type: ignore[arg-type]
    cfg = LifterConfig.from_dict({"arch": "videopose", "filter_widths": [3, 5, 3], "channels": 32, "causal": True})
    assert cfg.filter_widths == (3, 5, 3) and cfg.act == "relu"
    d = cfg.to_dict()
    assert d["filter_widths"] == [3, 5, 3] and "activation" not in d
    assert LifterConfig.from_dict(d) == cfg
    mish = LifterConfig(arch="videopose", filter_widths=(3, 3), activation="mish")
    assert LifterConfig.from_dict(mish.to_dict()).act == "mish"
    assert LifterConfig().act == "mish"  # the attention lifter uses Mish (Liu et al. §5)


def test_videopose_allows_a_single_width() -> None:
    model = build_model(LifterConfig(arch="videopose", filter_widths=(5,), channels=8))
    assert model(torch.randn(1, 7, 17, 2)).shape == (1, 3, 17, 3)


@pytest.mark.parametrize("widths", sorted(PAPER_WIDTHS))
@pytest.mark.parametrize("causal", [False, True])
def test_strided_plan_matches_clamped_taps(widths: tuple[int, ...], causal: bool) -> None:
    """The training path's pad/slice/stride plan reads exactly the window positions the folded path gathers."""
    n = receptive_field(widths)
    for layer in range(1, len(widths)):
        p_in, k = num_positions(widths, layer), widths[layer]
        for unit in range(num_units(widths, layer)):
            dil = unit_dilation(widths, layer, unit)
            for branch in range(3):
                taps = unit_taps(p_in, k, dil, branch, causal)
                left, right, start, num_out = conv_plan(p_in, k, dil, branch, causal)
                padded = torch.cat(
                    [torch.zeros(left, dtype=torch.long), torch.arange(p_in), torch.full((right,), p_in - 1)]
                )[start:]
                stride, step = k * dil, dil * (branch + 1)
                read = torch.stack([padded[u * stride + step * torch.arange(k)] for u in range(num_out)])
                assert torch.equal(read, taps), (widths, layer, unit, branch)
            # A unit's output lands on the positions of the layer it feeds, anchored at the same frames.
            fed = layer + unit + 1
            anchors = unit_anchors(p_in, k, dil, causal)
            assert anchors.numel() == num_positions(widths, fed)
            assert torch.equal(position_frames(widths, layer, causal)[anchors], position_frames(widths, fed, causal))
    assert num_positions(widths, len(widths)) == 1
    assert position_frames(widths, len(widths), causal).tolist() == [n - 1 if causal else (n - 1) // 2]


def test_causal_taps_never_read_the_future() -> None:
    for branch in range(3):
        taps = unit_taps(81, 3, 3, branch, causal=True)
        anchors = unit_anchors(81, 3, 3, causal=True)
        assert (taps <= anchors[:, None]).all()
