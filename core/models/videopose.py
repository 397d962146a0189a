"""VideoPose3D temporal model (Pavllo et al., CVPR 2019, §3 and Fig. 2), the paper's baseline, under our contract.

Layer 0 expands the J x 2 input to C channels with a width-k_0 convolution; layer l >= 1 is a residual block
``x + drop(act(BN(conv1x1(drop(act(BN(conv_k_l(x)))))))``; a 1x1 convolution projects to J x 3. The training path
uses stride = width (each window gives one output, no unused intermediate results); the sequence path uses
dilation = frames per position (every output of a sequence in one pass). Same weights, same results.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import LifterBase
from .blocks import Dropout, activation_inplace, fold_conv_bn, make_activation
from .config import LifterConfig
from .geometry import anchor, frames_per_position


class VideoPoseLifter(LifterBase):
    """The VideoPose3D TemporalModel: 16.95 M parameters at widths (3,3,3,3,3), C = 1024."""

    def __init__(self, config: LifterConfig) -> None:
        super().__init__(config)
        c, j, widths = config.channels, config.num_joints, config.filter_widths
        self.temporal_convs = nn.ModuleList(nn.Conv1d(c, c, k, bias=False) for k in widths[1:])
        self.temporal_bns = nn.ModuleList(nn.BatchNorm1d(c) for _ in widths[1:])
        self.point_convs = nn.ModuleList(nn.Conv1d(c, c, 1, bias=False) for _ in widths[1:])
        self.point_bns = nn.ModuleList(nn.BatchNorm1d(c) for _ in widths[1:])
        self.shrink = nn.Conv1d(c, 3 * j, 1)
        self.act = make_activation(config.act)
        self.drop = Dropout(config.dropout)

    def _run(self, x: torch.Tensor, sequence: bool) -> torch.Tensor:
        """(B, T, J, 2) -> (B, T_out, J, 3); strided (one window) or dilated (whole sequence) convolutions."""
        b, t, j, _ = x.shape
        widths, causal = self.config.filter_widths, self.config.causal
        h = x.reshape(b, t, 2 * j).transpose(1, 2)
        h = F.conv1d(h, self.expand_conv.weight, stride=1 if sequence else widths[0])
        h = self.drop(self.act(self.expand_bn(h)))
        for i, k in enumerate(widths[1:]):
            layer = i + 1
            if sequence:
                dil = frames_per_position(widths, layer)
                y = F.conv1d(h, self.temporal_convs[i].weight, dilation=dil)
                start = dil * anchor(k, causal)
                res = h[..., start : start + y.shape[-1]]
            else:
                y = F.conv1d(h, self.temporal_convs[i].weight, stride=k)
                res = h[..., anchor(k, causal) :: k]
            y = self.drop(self.act(self.temporal_bns[i](y)))
            y = self.drop(self.act(self.point_bns[i](self.point_convs[i](y))))
            h = res + y
        out = self.shrink(h)
        return out.transpose(1, 2).reshape(b, -1, j, 3)

    def forward_windows(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, sequence=False)

    def forward_sequence(self, x: torch.Tensor) -> torch.Tensor:
        if self.training or torch.is_grad_enabled():
            return self._run(x, sequence=True)
        return self._run_folded(x)

    @torch.no_grad()
    def _run_folded(self, x: torch.Tensor) -> torch.Tensor:
        """Eval-mode sequence path with every BatchNorm folded into its convolution (same maths, fewer passes)."""
        b, t, j, _ = x.shape
        widths, causal = self.config.filter_widths, self.config.causal
        act = activation_inplace(self.config.act)
        h = x.reshape(b, t, 2 * j).transpose(1, 2)
        w, bias = fold_conv_bn(self.expand_conv.weight, None, self.expand_bn)
        h = act(F.conv1d(h, w, bias))
        for i, k in enumerate(widths[1:]):
            dil = frames_per_position(widths, i + 1)
            w, bias = fold_conv_bn(self.temporal_convs[i].weight, None, self.temporal_bns[i])
            y = act(F.conv1d(h, w, bias, dilation=dil))
            w, bias = fold_conv_bn(self.point_convs[i].weight, None, self.point_bns[i])
            start = dil * anchor(k, causal)
            h = torch.add(h[..., start : start + y.shape[-1]], act(F.conv1d(y, w, bias)))
        out = self.shrink(h)
        return out.transpose(1, 2).reshape(b, -1, j, 3)
