"""Index arithmetic of the temporal stack, derived from the filter widths alone (no hard-coded slices).

Plain Python and NumPy (no torch): the torch model (``core.models``) and the NumPy inference (``core.lifter_numpy``)
share it; ``core.models.geometry`` gives the index arrays as tensors.

Vocabulary (L = len(widths), layers 0..L-1, n = receptive field = prod(widths)):

* A *position* of layer l is one input tensor of that layer inside one window. Layer l has
  ``P_l = n / (k_0 ... k_{l-1})`` positions, each summarising ``D_l = k_0 ... k_{l-1}`` consecutive frames.
* The *anchor* of a block of ``s`` items is the item a unit is centred on: the middle one, or the last one when
  causal (only the past may be seen). A position's anchor frame is where the sequence path stores it.
* Unit j of layer l (Liu et al. §4, Algorithm 1, eq. 7) is layer l's convolution with dilation
  ``k_{l+1} ... k_{l+j}`` (the kernels of the next layers' unit 0) and stride ``k_l x dilation``; its output has
  exactly the positions of layer ``l + j + 1``'s input and is summed there. Unit 0 is the plain TCN unit.
* Kernel-attention branch m (§3.3) multiplies the unit's dilation by ``m + 1``; taps that leave the window are
  clamped to its edge (replicate padding inside the window), so the receptive field stays n.
"""

from __future__ import annotations

import math

import numpy as np


def receptive_field(widths: tuple[int, ...]) -> int:
    """Frames seen by one output frame: the product of the filter widths."""
    return math.prod(widths)


def frames_per_position(widths: tuple[int, ...], layer: int) -> int:
    """D_l: frames summarised by one input position of ``layer`` (1 for layer 0, the raw frames)."""
    return math.prod(widths[:layer])


def num_positions(widths: tuple[int, ...], layer: int) -> int:
    """P_l: input positions of ``layer`` in one window (layer L means the single output position)."""
    return receptive_field(widths) // frames_per_position(widths, layer)


def anchor(size: int, causal: bool) -> int:
    """Index of the item a block of ``size`` items is anchored on: the centre, or the last item when causal."""
    return size - 1 if causal else (size - 1) // 2


def num_units(widths: tuple[int, ...], layer: int) -> int:
    """Units of ``layer``: unit j feeds layer ``layer + j + 1``, which must exist (the last layer feeds the output)."""
    return 1 + max(0, len(widths) - 2 - layer)


def unit_dilation(widths: tuple[int, ...], layer: int, unit: int) -> int:
    """Dilation of unit ``unit`` of ``layer``, in that layer's positions: the next ``unit`` layers' kernels."""
    return math.prod(widths[layer + 1 : layer + 1 + unit])


def unit_target_layer(layer: int, unit: int) -> int:
    """The layer whose input sums the output of unit ``unit`` of ``layer`` (L = the network output)."""
    return layer + unit + 1


def tap_offsets(kernel: int, dilation: int, causal: bool) -> list[int]:
    """Offsets of a kernel's taps from the anchor: centred, or ending at the anchor when causal."""
    first = -(kernel - 1) if causal else -((kernel - 1) // 2)
    return [dilation * (first + i) for i in range(kernel)]


def position_frames(widths: tuple[int, ...], layer: int, causal: bool) -> np.ndarray:
    """(P_l,) frame (from the window's first frame) that the sequence path stores each position of ``layer`` at."""
    d = frames_per_position(widths, layer)
    return np.arange(num_positions(widths, layer)) * d + anchor(d, causal)


def unit_taps(num_in: int, kernel: int, unit_dilation_: int, branch: int, causal: bool) -> np.ndarray:
    """(P_out, kernel) input positions read by each output of a unit, clamped to the window (replicate padding).

    Args:
        num_in: input positions of the layer in one window.
        kernel: the layer's filter width k.
        unit_dilation_: the unit's dilation (1 for unit 0); stride = kernel x dilation.
        branch: kernel-attention branch m; its taps are ``m + 1`` times further apart.
        causal: anchor on the last position of each block.
    """
    stride = kernel * unit_dilation_
    num_out = num_in // stride
    anchors = np.arange(num_out) * stride + anchor(stride, causal)
    offsets = np.array(tap_offsets(kernel, unit_dilation_ * (branch + 1), causal))
    return np.clip(anchors[:, None] + offsets[None, :], 0, num_in - 1)


def unit_anchors(num_in: int, kernel: int, unit_dilation_: int, causal: bool) -> np.ndarray:
    """(P_out,) input position each output of a unit is anchored on (where its residual is read)."""
    stride = kernel * unit_dilation_
    return np.arange(num_in // stride) * stride + anchor(stride, causal)


def edge_padding(receptive_field_: int, causal_shift: int) -> tuple[int, int]:
    """(past, future) frames of edge padding so that a lifter's output has one pose per input frame: half the
    receptive field on each side, moved ``causal_shift`` frames into the past."""
    pad = (int(receptive_field_) - 1) // 2
    return pad + int(causal_shift), pad - int(causal_shift)


def conv_plan(num_in: int, kernel: int, unit_dilation_: int, branch: int, causal: bool) -> tuple[int, int, int, int]:
    """How to run a unit branch as one strided, dilated convolution over a window (the training path).

    Returns ``(pad_left, pad_right, start, num_out)``: replicate-pad the window, drop ``start`` items, then convolve
    with stride ``kernel * unit_dilation_`` and dilation ``unit_dilation_ * (branch + 1)``; keep ``num_out`` outputs.
    Gives the same taps as :func:`unit_taps`.
    """
    stride = kernel * unit_dilation_
    num_out = num_in // stride
    offsets = tap_offsets(kernel, unit_dilation_ * (branch + 1), causal)
    first = anchor(stride, causal) + offsets[0]
    last = (num_out - 1) * stride + anchor(stride, causal) + offsets[-1]
    pad_left = max(0, -first)
    pad_right = max(0, last - (num_in - 1))
    return pad_left, pad_right, first + pad_left, num_out
