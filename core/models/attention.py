"""The two attention mechanisms of Liu et al. (CVPR 2020), as window-level modules (the training path).

* :class:`TemporalAttention` (§3.2, eq. 1-3): ``W^(0)`` is the positive normalised cross-correlation between every
  input frame's 2D pose and the target frame's; ``W^(l) = sigmoid(theta^(l)T W^(l-1))`` gives one weight per input
  position of layer l, which multiplies that position's tensor (eq. 1).
* :class:`AttentionLayer` (§3.3, eq. 4-6, with VideoPose3D's residual block around it): M branches
  ``act(BN(grouped conv))`` with dilations 1..M over the same input, summed (U), global-average pooled over the
  window (s), ``z = ReLU(BN(FC(s)))`` to r channels, M vectors ``FC_m(z)`` soft-maxed across branches, weighted sum
  (V); then ``act(BN(conv1x1(V)))`` plus the residual (the block's input at the unit's anchor).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import Dropout, make_activation
from .geometry import anchor, num_positions, unit_anchors, unit_taps


def normalized_poses(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(..., J, 2) -> (..., 2J) unit vectors of the poses centred on their mean joint (the NCC's normalisation).

    Centring on the centroid makes the correlation translation invariant, as a normalised cross-correlation is;
    a degenerate pose (all joints equal) maps to the zero vector, i.e. correlation 0.
    """
    centred = x - x.mean(dim=-2, keepdim=True)
    flat = centred.flatten(-2)
    return flat / flat.norm(dim=-1, keepdim=True).clamp_min(eps)


def pose_ncc(window: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Positive normalised cross-correlation W^(0) (eq. 2).

    Args:
        window: (..., n, J, 2) poses of a window.
        target: (..., J, 2) the target frame's pose.
    Returns:
        (..., n) correlations clamped to [0, 1] (anti-correlated frames get no weight).
    """
    u = normalized_poses(window)
    v = normalized_poses(target)
    return (u @ v.unsqueeze(-1)).squeeze(-1).clamp_min(0.0)


class TemporalAttention(nn.Module):
    """Chain of learned maps theta^(l): (P_{l-1}) -> (P_l), l = 1..L-1, with W^(0) over the n input frames."""

    def __init__(self, widths: tuple[int, ...]) -> None:
        super().__init__()
        sizes = [num_positions(widths, layer) for layer in range(len(widths))]
        self.thetas = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1], bias=False) for i in range(len(widths) - 1))

    def forward(self, w0: torch.Tensor) -> list[torch.Tensor]:
        """(N, n) W^(0) -> [W^(1) (N, P_1), ..., W^(L-1) (N, P_{L-1})] (eq. 3)."""
        weights, w = [], w0
        for theta in self.thetas:
            w = torch.sigmoid(theta(w))
            weights.append(w)
        return weights


class AttentionLayer(nn.Module):
    """Layer l >= 1: kernel attention over M dilated grouped convolutions, 1x1 convolution, residual."""

    def __init__(
        self,
        channels: int,
        kernel: int,
        branches: int,
        groups: int,
        reduction: int,
        act: str,
        dropout: float,
        causal: bool,
    ) -> None:
        super().__init__()
        self.kernel, self.branches, self.groups, self.causal = kernel, branches, groups, causal
        self.branch_convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, groups=groups, bias=False) for _ in range(branches)
        )
        self.branch_bns = nn.ModuleList(nn.BatchNorm1d(channels) for _ in range(branches))
        self.fc_reduce = nn.Linear(channels, reduction, bias=False)  # BN follows: a bias would be redundant
        self.fc_bn = nn.BatchNorm1d(reduction)
        self.fc_expand = nn.Linear(reduction, branches * channels)
        self.point_conv = nn.Conv1d(channels, channels, 1, bias=False)
        self.point_bn = nn.BatchNorm1d(channels)
        self.act = make_activation(act)
        self.drop = Dropout(dropout)
        self._tap_cache: dict[
            tuple[int, int, int, str], torch.Tensor | None
        ] = {}  # (P_in, m, dilation, device) -> taps

    def branch(self, x: torch.Tensor, m: int, dilation: int) -> torch.Tensor:
        """Branch m of the unit with ``dilation``: (N, C, P) -> (N, C, P // (k * dilation)), before BN.

        The strided, dilated grouped convolution reads only ``P_out * k`` of the P positions: they are gathered first
        (replicate padding = clamped positions, :func:`core.lifter_geometry.unit_taps`) and convolved with stride k.
        PyTorch's CPU convolution backward works over every input position, so a high-dilation unit with 1-3 outputs
        of an 81-position window cost as much as unit 0: the gather makes layer 1's branches ~1.6x faster forward
        plus backward (approximate, one machine); same function, tested against the padded dilated convolution.
        """
        taps = self._taps(x.shape[-1], m, dilation, x.device)
        window = x if taps is None else x.index_select(2, taps)
        return F.conv1d(window, self.branch_convs[m].weight, stride=self.kernel, groups=self.groups)

    def _taps(self, p_in: int, m: int, dilation: int, device: torch.device) -> torch.Tensor | None:
        """(P_out * k,) positions read by branch m's taps, output by output; None when that is every position."""
        key = (p_in, m, dilation, str(device))
        if key not in self._tap_cache:
            taps = unit_taps(p_in, self.kernel, dilation, m, self.causal).flatten()
            self._tap_cache[key] = None if torch.equal(taps, torch.arange(p_in)) else taps.to(device)
        return self._tap_cache[key]

    def select(self, u_sum: torch.Tensor) -> torch.Tensor:
        """Kernel attention weights (eq. 5-6): pooled (N, C) -> (N, M, C), soft-maxed across the M branches."""
        z = F.relu(self.fc_bn(self.fc_reduce(u_sum)))
        logits = self.fc_expand(z).unflatten(-1, (self.branches, -1))
        return torch.softmax(logits, dim=1)

    def forward(self, x: torch.Tensor, dilation: int = 1) -> torch.Tensor:
        """(N, C, P) attention-weighted input -> (N, C, P // (k * dilation)) (unit with ``dilation``)."""
        feats = [self.act(self.branch_bns[m](self.branch(x, m, dilation))) for m in range(self.branches)]
        u = feats[0]
        for f in feats[1:]:
            u = u + f
        att = self.select(u.mean(dim=-1))
        v = feats[0] * att[:, 0, :, None]
        for m in range(1, self.branches):
            v = v + feats[m] * att[:, m, :, None]
        y = self.drop(self.act(self.point_bn(self.point_conv(self.drop(v)))))
        res = x[..., unit_anchors(x.shape[-1], self.kernel, dilation, self.causal).to(x.device)]
        return res + y


def target_index(n: int, causal: bool) -> int:
    """Frame of an n-frame window whose 3D pose is predicted (centre, or last when causal)."""
    return anchor(n, causal)
