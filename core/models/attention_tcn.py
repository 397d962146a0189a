"""The attention TCN lifter of Liu et al. (CVPR 2020): temporal attention, kernel attention, multi-scale dilation.

Structure for widths (k_0, ..., k_{L-1}) (docs/model.md has the figure and every design decision):

* layer 0 expands the J x 2 input with ``act(BN(conv_{k_0}))``; layers 1..L-1 are :class:`AttentionLayer` units;
  a 1x1 convolution projects the last layer's single output position to J x 3.
* Multi-scale dilation (§4, Algorithm 1, eq. 7): layer l has units j = 0..L-2-l (unit 0 only for the last layer);
  unit j is the layer's own convolution (shared weights) with dilation ``k_{l+1}...k_{l+j}`` and its output is summed
  into the input of layer ``l + j + 1``.
* Temporal attention (§3.2): the input of layer l >= 1 — the sum of all levels arriving there — is multiplied per
  position by W^(l) before the layer's units read it.

Paths: :meth:`forward_windows` runs one window with strided convolutions (training); :meth:`forward_sequence` computes
layer 0 once per frame of the whole sequence and gathers each target's window from it (reference, differentiable);
in eval mode without autograd it uses :mod:`core.models.folded` (BatchNorm folded, layer-1 convolutions shared
between targets).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AttentionLayer, TemporalAttention, normalized_poses, pose_ncc, target_index
from .base import LifterBase
from .blocks import Dropout, make_activation
from .config import LifterConfig
from .folded import FoldedAttentionLifter
from .geometry import anchor, conv_plan, num_units, position_frames, unit_dilation, unit_target_layer

# Upper bound on floats held by one chunk of gathered windows in the reference sequence path.
_CHUNK_FLOATS = 1 << 23


class AttentionLifter(LifterBase):
    """Attention TCN; 11.24 M parameters at widths (3,3,3,3,3), C = 1024, M = 3, G = 8, r = 128 (paper: 11.25 M)."""

    def __init__(self, config: LifterConfig) -> None:
        super().__init__(config)
        c, j, widths = config.channels, config.num_joints, config.filter_widths
        self.temporal_attention = TemporalAttention(widths)
        self.layers = nn.ModuleList(
            AttentionLayer(
                c, k, config.branches, config.groups, config.reduction, config.act, config.dropout, config.causal
            )
            for k in widths[1:]
        )
        self.shrink = nn.Conv1d(c, 3 * j, 1)
        self.act = make_activation(config.act)
        self.drop = Dropout(config.dropout)
        self.use_folded = True  # eval-mode, no-grad sequence path through core.models.folded (False: the reference)
        self._folded_cache: tuple[tuple[tuple[int, int], ...], FoldedAttentionLifter] | None = None

    # -- shared pieces ---------------------------------------------------------------------------------------------
    def expand_window(self, h: torch.Tensor, dilation: int) -> torch.Tensor:
        """Layer-0 unit with ``dilation`` on one window: (N, 2J, n) -> (N, C, n // (k_0 * dilation))."""
        k0 = self.config.filter_widths[0]
        _, _, start, num_out = conv_plan(h.shape[-1], k0, dilation, 0, self.config.causal)
        y = F.conv1d(h[..., start:], self.expand_conv.weight, stride=k0 * dilation, dilation=dilation)[..., :num_out]
        return self.drop(self.act(self.expand_bn(y)))

    def upper(self, pending: dict[int, list[torch.Tensor]], attention: list[torch.Tensor]) -> torch.Tensor:
        """Layers 1..L-1 on per-target windows.

        Args:
            pending: layer -> tensors (N, C, P_layer) to be summed into that layer's input; filled for the layers
                that layer-0 units feed; this function adds the outputs of layers >= 1.
            attention: [W^(1) (N, P_1), ..., W^(L-1) (N, P_{L-1})].
        Returns:
            (N, 3J, 1) the projected output position.
        """
        widths = self.config.filter_widths
        num_layers = len(widths)
        for layer in range(1, num_layers):
            parts = pending.pop(layer)
            s = parts[0]
            for p in parts[1:]:
                s = s + p
            x = s * attention[layer - 1][:, None, :]
            for unit in range(num_units(widths, layer)):
                out = self.layers[layer - 1](x, unit_dilation(widths, layer, unit))
                pending.setdefault(unit_target_layer(layer, unit), []).append(out)
        return self.shrink(pending.pop(num_layers)[0])

    # -- training path ---------------------------------------------------------------------------------------------
    def forward_windows(self, x: torch.Tensor) -> torch.Tensor:
        b, n, j, _ = x.shape
        widths, causal = self.config.filter_widths, self.config.causal
        w0 = pose_ncc(x, x[:, target_index(n, causal)])
        h = x.reshape(b, n, 2 * j).transpose(1, 2)
        pending: dict[int, list[torch.Tensor]] = {}
        for unit in range(num_units(widths, 0)):
            pending.setdefault(unit + 1, []).append(self.expand_window(h, unit_dilation(widths, 0, unit)))
        out = self.upper(pending, self.temporal_attention(w0))
        return out.transpose(1, 2).reshape(b, 1, j, 3)

    # -- sequence path ---------------------------------------------------------------------------------------------
    def forward_sequence(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.use_folded and not torch.is_grad_enabled():
            return self.folded().sequence(x)
        return self.forward_sequence_reference(x)

    def folded(self) -> FoldedAttentionLifter:
        """The folded inference snapshot of the current weights (rebuilt when any parameter or buffer changed)."""
        key = tuple((t.data_ptr(), _version(t)) for t in (*self.parameters(), *self.buffers()))
        if self._folded_cache is None or self._folded_cache[0] != key:
            self._folded_cache = (key, FoldedAttentionLifter(self))
        return self._folded_cache[1]

    def expand_sequence(self, h: torch.Tensor, dilation: int) -> tuple[torch.Tensor, int]:
        """Layer-0 unit at every frame: (B, 2J, T) -> ((B, C, T'), frame of output 0)."""
        k0 = self.config.filter_widths[0]
        y = self.drop(self.act(self.expand_bn(F.conv1d(h, self.expand_conv.weight, dilation=dilation))))
        return y, dilation * anchor(k0, self.config.causal)

    def forward_sequence_reference(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable sequence path: layer 0 once per frame, the attention layers per target window."""
        b, t, j, _ = x.shape
        widths, causal, n = self.config.filter_widths, self.config.causal, self.receptive_field
        t_out = t - n + 1
        h = x.reshape(b, t, 2 * j).transpose(1, 2)
        levels = []  # (layer fed, per-frame features, frame of feature 0, frame of each position in a window)
        for unit in range(num_units(widths, 0)):
            feats, first = self.expand_sequence(h, unit_dilation(widths, 0, unit))
            layer = unit_target_layer(0, unit)
            levels.append((layer, feats, first, position_frames(widths, layer, causal).to(x.device)))
        unit_vectors = normalized_poses(x)  # (B, T, 2J)
        chunk = max(1, _CHUNK_FLOATS // (b * self.config.channels * (n // widths[0])))
        outputs = []
        for i0 in range(0, t_out, chunk):
            targets = torch.arange(i0, min(t_out, i0 + chunk), device=x.device)
            nc = targets.numel()
            frames = targets[:, None] + torch.arange(n, device=x.device)[None, :]  # (Nc, n)
            window = unit_vectors[:, frames]  # (B, Nc, n, 2J)
            target = unit_vectors[:, targets + target_index(n, causal)]  # (B, Nc, 2J)
            w0 = (window @ target.unsqueeze(-1)).squeeze(-1).clamp_min(0.0).reshape(b * nc, n)
            pending: dict[int, list[torch.Tensor]] = {}
            for layer, feats, first, pos_frames in levels:
                idx = targets[:, None] + pos_frames[None, :] - first  # (Nc, P)
                win = feats[:, :, idx].permute(0, 2, 1, 3).reshape(b * nc, feats.shape[1], -1)
                pending.setdefault(layer, []).append(win)
            out = self.upper(pending, self.temporal_attention(w0))  # (B*Nc, 3J, 1)
            outputs.append(out.reshape(b, nc, j, 3))
        return torch.cat(outputs, dim=1)


def _version(t: torch.Tensor) -> int:
    """In-place update counter of ``t``; -1 for inference tensors (made in inference_mode, never updated in place)."""
    return -1 if t.is_inference() else t._version
