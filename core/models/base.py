"""The contract every lifter honours (see docs/model.md).

``forward(x: (B, T, J, 2)) -> (B, T - receptive_field + 1, J, 3)``: output i is the 3D pose of input frame
``i + pad + causal_shift`` with ``pad = (receptive_field - 1) // 2``; ``causal_shift`` is the future context removed,
0 for a centred model and ``pad`` for a causal one (VideoPose3D's convention). To get one output per input frame,
edge-pad ``pad + causal_shift`` frames in front and ``pad - causal_shift`` behind (:func:`pad_sequence`).

Two paths, one set of weights: ``T == receptive_field`` runs the *training path* (strided convolutions, one output
per window, cheap per sample); ``T > receptive_field`` runs the *sequence path* (every output of a long sequence in
one pass, reusing convolution results between neighbouring outputs). They agree to float rounding.
"""

from __future__ import annotations

import torch
from torch import nn

from ..lifter_geometry import edge_padding
from .config import LifterConfig
from .geometry import receptive_field


class LifterBase(nn.Module):
    """Shared contract: input checks, ``receptive_field``, ``causal_shift``, path dispatch; and the expansion layer
    both architectures start with (J×2 → C channels over ``filter_widths[0]`` frames, bias-free conv + BatchNorm)."""

    def __init__(self, config: LifterConfig) -> None:
        super().__init__()
        self.config = config
        self._rf = receptive_field(config.filter_widths)
        c, j = config.channels, config.num_joints
        self.expand_conv = nn.Conv1d(2 * j, c, config.filter_widths[0], bias=False)
        self.expand_bn = nn.BatchNorm1d(c)

    @property
    def receptive_field(self) -> int:
        """Input frames per output frame (product of the filter widths)."""
        return self._rf

    @property
    def pad(self) -> int:
        """Half the receptive field: frames of context on each side of a centred model."""
        return (self._rf - 1) // 2

    @property
    def causal_shift(self) -> int:
        """Future frames removed: 0 for a centred model, ``pad`` for a causal one (the output is the window's end)."""
        return self.pad if self.config.causal else 0

    def check_input(self, x: torch.Tensor) -> None:
        """Raises a clear ValueError for a wrongly shaped input."""
        j = self.config.num_joints
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"the lifter expects a torch.Tensor (B, T, {j}, 2), got {type(x).__name__}")
        if x.dim() != 4 or x.shape[2] != j or x.shape[3] != 2:
            raise ValueError(f"the lifter expects input of shape (B, T, {j}, 2), got {tuple(x.shape)}")
        if x.shape[1] < self._rf:
            raise ValueError(
                f"the input has {x.shape[1]} frames, fewer than the receptive field ({self._rf}); "
                f"pad it first (core.models.pad_sequence)"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) normalised 2D -> (B, T - receptive_field + 1, J, 3) root-relative camera-space metres."""
        self.check_input(x)
        if x.shape[1] == self._rf:
            return self.forward_windows(x)
        return self.forward_sequence(x)

    def forward_windows(self, x: torch.Tensor) -> torch.Tensor:
        """Training path: (B, receptive_field, J, 2) -> (B, 1, J, 3)."""
        raise NotImplementedError

    def forward_sequence(self, x: torch.Tensor) -> torch.Tensor:
        """Sequence path: (B, T, J, 2) -> (B, T - receptive_field + 1, J, 3)."""
        raise NotImplementedError


def padding(model: LifterBase) -> tuple[int, int]:
    """(past, future) frames of edge padding so that the output has one pose per input frame (any object with a
    ``receptive_field`` and optionally a ``causal_shift``, so test doubles work too)."""
    return edge_padding(model.receptive_field, getattr(model, "causal_shift", 0))


def pad_sequence(model: LifterBase, x: torch.Tensor) -> torch.Tensor:
    """Edge-pads (B, T, J, 2) along T so that ``model(pad_sequence(model, x))`` has T frames, frame for frame.

    Replicates the first frame ``pad + causal_shift`` times and the last ``pad - causal_shift`` times (the
    VideoPose3D convention; the streaming step() pads its first frames the same way).
    """
    left, right = padding(model)
    parts = [x[:, :1].expand(-1, left, -1, -1), x, x[:, -1:].expand(-1, right, -1, -1)]
    return torch.cat(parts, dim=1)


@torch.no_grad()
def predict(model: LifterBase, x: torch.Tensor, tta: bool = True) -> torch.Tensor:
    """Root-relative 3D of (B, T, J, 2) normalised 2D (T >= receptive field): ``model(x)`` with the root joint set to
    exactly zero, averaged with the mirrored input's mirrored prediction when ``tta`` (flip test-time augmentation,
    VideoPose3D §4, used by Liu et al. 2020; one batched call for both). Returns (B, T - receptive_field + 1, J, 3).

    The one inference helper: capture (``core.lift``), evaluation and the per-epoch validation all go through it.
    """
    from ..skeleton import flip

    if tta:
        both = model(torch.cat([x, flip(x)]))
        pred = 0.5 * (both[: len(x)] + flip(both[len(x) :]))
    else:
        pred = model(x).clone()
    pred[..., 0, :] = 0.0
    return pred


@torch.no_grad()
def infer_sequence(model: LifterBase, x: torch.Tensor) -> torch.Tensor:
    """(T, J, 2) or (B, T, J, 2) normalised 2D -> same leading shape with (..., J, 3): one raw model output per input
    frame (edge padding; no TTA, root as predicted: the reference the equivalence tests compare paths against)."""
    single = x.dim() == 3
    xb = x[None] if single else x
    out = model(pad_sequence(model, xb))
    return out[0] if single else out
