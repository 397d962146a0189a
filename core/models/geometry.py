"""The temporal stack's index arithmetic (``core.lifter_geometry``, torch-free, the one definition) with its index
arrays as tensors for the torch model."""

from __future__ import annotations

import torch

from .. import lifter_geometry as _g
from ..lifter_geometry import (  # noqa: F401 - re-exported: the model's modules import them from here
    anchor,
    conv_plan,
    frames_per_position,
    num_positions,
    num_units,
    receptive_field,
    tap_offsets,
    unit_dilation,
    unit_target_layer,
)


def position_frames(widths: tuple[int, ...], layer: int, causal: bool) -> torch.Tensor:
    """(P_l,) frame of each position of ``layer`` (``core.lifter_geometry.position_frames``) as a tensor."""
    return torch.from_numpy(_g.position_frames(widths, layer, causal))


def unit_taps(num_in: int, kernel: int, unit_dilation_: int, branch: int, causal: bool) -> torch.Tensor:
    """(P_out, kernel) input positions of a unit's taps (``core.lifter_geometry.unit_taps``) as a tensor."""
    return torch.from_numpy(_g.unit_taps(num_in, kernel, unit_dilation_, branch, causal))


def unit_anchors(num_in: int, kernel: int, unit_dilation_: int, causal: bool) -> torch.Tensor:
    """(P_out,) residual positions of a unit (``core.lifter_geometry.unit_anchors``) as a tensor."""
    return torch.from_numpy(_g.unit_anchors(num_in, kernel, unit_dilation_, causal))
