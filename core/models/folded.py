"""Fast eval-mode inference for the attention lifter: BatchNorm folded, lower layers shared between targets.

The temporal attention gives every target frame its own weights on every position of its window (Liu et al.
§3.2), so everything a weighted tensor flows into differs per target. What can be shared is shared exactly:

* layer 0 (all its multi-scale units) never sees a weight: computed once per frame of the sequence;
* layer 1's branch convolutions read weighted layer-0 outputs, but a weight is a scalar per position and commutes
  with the (linear) convolution taps and BatchNorm's scale: ``W_i (a * e) = a * (W_i e)``. So every tap of every
  branch is projected once per frame (``Y[f, m, i] = W_{m,i} e_f``) and each target only sums ``k`` scaled rows,
  read through zero-copy strided views (:mod:`core.models.frames`);
* the rest (layers >= 2, the 1x1 convolutions, kernel attention) is computed per target, batched over runs of
  consecutive targets as large matrix products, in place where possible (no concatenations).

:class:`FoldedAttentionLifter` is a snapshot of the weights: rebuild it after the weights change (the model caches
one keyed on the parameters' versions). The sequence path and :class:`core.models.streaming.CausalStreamer` both call
:meth:`FoldedAttentionLifter.targets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .attention import normalized_poses, target_index
from .blocks import activation_inplace, bn_scale_shift, fold_conv_bn
from .frames import FrameRows
from .geometry import anchor, frames_per_position, num_positions, num_units, tap_offsets, unit_dilation, unit_taps
from .threads import run_parallel

# Floats of per-target intermediate data in one run of targets: large runs amortise the per-operation overhead
# (1 << 23 measured best for C = 256 and C = 1024 on the 2-core development machine).
_CHUNK_FLOATS = 1 << 23
# Up to this many targets, layer 1 gathers its taps in one operation (few large operations beat many small views).
_GATHER_TARGETS = 4


class Layer1Geometry(NamedTuple):
    """Where a layer-1 unit reads, all derived from the filter widths."""

    kernel: int  # k
    frames_per_input: int  # d1: frames per layer-1 input position (= widths[0])
    inputs: int  # p1: layer-1 input positions
    anchor: int  # frame of a position inside its d1 frames
    dilation: int
    stride: int  # k × dilation
    outputs: int  # output positions


@dataclass
class FoldedLayer:
    """One attention layer's weights with BatchNorm folded in, laid out for the batched products below."""

    branch_raw: list[torch.Tensor]  # M × (C, cg, k) folded branch convolutions
    branch_w: list[torch.Tensor]  # M × (G, k * cg_in, cg_out): rows ordered (tap, input channel) like a window
    branch_b: torch.Tensor  # (M, C)
    reduce_w: torch.Tensor  # (C, r), kernel-attention bottleneck with its BatchNorm scale
    reduce_b: torch.Tensor  # (r,)
    expand_w: torch.Tensor  # (r, M * C)
    expand_b: torch.Tensor  # (M * C,)
    point_w: torch.Tensor  # (G, C_in, cg_out): output group g's columns
    point_b: torch.Tensor  # (G, 1, cg)


class FoldedAttentionLifter:
    """Folded weights of an eval-mode :class:`core.models.AttentionLifter`, and its per-target evaluation."""

    @torch.no_grad()
    def __init__(self, model: torch.nn.Module) -> None:
        if model.training:
            raise ValueError("FoldedAttentionLifter folds BatchNorm running statistics: call model.eval() first")
        cfg = model.config
        self.widths, self.causal, self.n = cfg.filter_widths, cfg.causal, model.receptive_field
        self.c, self.m, self.g = cfg.channels, cfg.branches, cfg.groups
        self.cg = self.c // self.g
        self.act_ = activation_inplace(cfg.act)
        self.expand_w, self.expand_b = fold_conv_bn(model.expand_conv.weight, None, model.expand_bn)
        self.thetas = [t.weight.detach().t().contiguous() for t in model.temporal_attention.thetas]  # (P_{l-1}, P_l)
        self.layers = [self._fold_layer(layer) for layer in model.layers]
        self.shrink_w = model.shrink.weight.detach()[:, :, 0].t().contiguous()  # (C, 3J)
        self.shrink_b = model.shrink.bias.detach()
        # Layer-1 projections as one grouped product: (G, cg_in, M * k * cg_out).
        k1 = self.widths[1]
        w = torch.stack(self.layers[0].branch_raw).reshape(self.m, self.g, self.cg, self.cg, k1)  # (M,G,out,in,k)
        self.proj_w = w.permute(1, 3, 0, 4, 2).reshape(self.g, self.cg, self.m * k1 * self.cg).contiguous()
        self.slots = self.m * k1
        self._taps = {  # (layer >= 2, unit) -> (M, P_out, k) window positions read by each branch tap, clamped
            (layer, unit): torch.stack(
                [
                    unit_taps(
                        num_positions(self.widths, layer),
                        self.widths[layer],
                        unit_dilation(self.widths, layer, unit),
                        m,
                        self.causal,
                    )
                    for m in range(self.m)
                ]
            ).to(self.expand_w.device)
            for layer in range(2, len(self.widths))
            for unit in range(num_units(self.widths, layer))
        }
        self.chunk_floats = _CHUNK_FLOATS
        self._l1_gather = [self._layer1_table(unit) for unit in range(num_units(self.widths, 1))]

    def _layer1_table(self, unit: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(frame after layer-1 position 0, projection slot, layer-1 position) read by each tap of a layer-1 unit."""
        k, p1 = self.widths[1], num_positions(self.widths, 1)
        dil = unit_dilation(self.widths, 1, unit)
        positions = torch.stack([unit_taps(p1, k, dil, m, self.causal) for m in range(self.m)])  # (M, P_out, k)
        d1 = self.widths[0]
        frames = positions * d1
        slots = (torch.arange(self.m)[:, None, None] * k + torch.arange(k)).expand_as(positions)
        dev = self.expand_w.device
        return frames.to(dev), slots.contiguous().to(dev), positions.to(dev)

    def _fold_layer(self, layer: torch.nn.Module) -> FoldedLayer:
        k, raw, biases, grouped = layer.kernel, [], [], []
        for conv, bn in zip(layer.branch_convs, layer.branch_bns):
            w, b = fold_conv_bn(conv.weight, None, bn)  # (C, cg, k)
            raw.append(w)
            biases.append(b)
            # (G, k * cg_in, cg_out), rows ordered (tap, input channel) like a gathered window.
            grouped.append(w.reshape(self.g, self.cg, self.cg, k).permute(0, 3, 2, 1).reshape(self.g, -1, self.cg))
        scale, shift = bn_scale_shift(layer.fc_bn)
        point_w, point_b = fold_conv_bn(layer.point_conv.weight, None, layer.point_bn)
        return FoldedLayer(
            branch_raw=raw,
            branch_w=[gw.contiguous() for gw in grouped],
            branch_b=torch.stack(biases),
            reduce_w=(layer.fc_reduce.weight.detach() * scale[:, None]).t().contiguous(),
            reduce_b=shift,
            expand_w=layer.fc_expand.weight.detach().t().contiguous(),
            expand_b=layer.fc_expand.bias.detach(),
            # output channel group g's columns, for a product straight into (G, rows, cg)
            point_w=point_w[:, :, 0].t().reshape(self.c, self.g, self.cg).permute(1, 0, 2).contiguous(),
            point_b=point_b.view(self.g, 1, self.cg),
        )

    # -- shared, per-frame features --------------------------------------------------------------------------------
    @torch.no_grad()
    def expand_frames(self, h: torch.Tensor, unit: int) -> tuple[torch.Tensor, int]:
        """Layer-0 unit at every frame: (2J, T) -> ((T', C) rows, frame of row 0)."""
        dil = unit_dilation(self.widths, 0, unit)
        y = self.act_(F.conv1d(h[None], self.expand_w, self.expand_b, dilation=dil))[0]
        return y.t().contiguous(), dil * anchor(self.widths[0], self.causal)

    @torch.no_grad()
    def project_layer1(self, e0: torch.Tensor) -> torch.Tensor:
        """(F, C) layer-0 rows -> (F, M * k_1, C): every layer-1 branch tap applied to every frame (BN scale folded)."""
        f = e0.shape[0]
        y = torch.bmm(e0.reshape(f, self.g, self.cg).transpose(0, 1), self.proj_w)  # (G, F, M*k*cg)
        return y.reshape(self.g, f, self.slots, self.cg).permute(1, 2, 0, 3).reshape(f, self.slots, self.c)

    # -- per-target part -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def targets(self, t0: int, num: int, vectors: FrameRows, levels: list[FrameRows], proj: FrameRows) -> torch.Tensor:
        """3D poses of the ``num`` windows starting at frames t0, t0+1, ... -> (num, 3J).

        Args:
            vectors: rows (·, 2J) of :func:`core.models.attention.normalized_poses`.
            levels: layer-0 unit j's rows (·, C), j = 0..L-2.
            proj: :meth:`project_layer1` rows (·, M*k_1, C).
        """
        widths, n, causal = self.widths, self.n, self.causal
        u = vectors.strided(t0, num, 0, 1, n)  # (N, n, 2J) view
        v = vectors.strided(t0, num, target_index(n, causal), 1, 1)  # (N, 1, 2J)
        w = torch.bmm(u, v.transpose(1, 2))[:, :, 0].clamp_min_(0.0)  # W^(0), eq. 2
        attention = []
        for theta in self.thetas:
            w = torch.sigmoid(w @ theta)  # eq. 3
            attention.append(w)
        # Inputs of layers >= 2 are kept channel-group major, (G, N, P, cg): the grouped branch convolutions then
        # gather whole windows with one copy, and the 1x1 convolutions write this layout directly.
        pending: dict[int, list[torch.Tensor]] = {}
        for unit in range(1, num_units(widths, 0)):
            layer = unit + 1
            d = frames_per_position(widths, layer)
            rows = levels[unit].strided(t0, num, anchor(d, causal), d, num_positions(widths, layer))  # (N, P, C)
            pending.setdefault(layer, []).append(self._grouped(rows))
        for unit in range(num_units(widths, 1)):
            out = self._layer1_unit(unit, t0, num, attention[0], levels[0], proj)
            pending.setdefault(unit + 2, []).append(out)
        for layer in range(2, len(widths)):
            parts, a = pending.pop(layer), attention[layer - 1][None, :, :, None]
            x = torch.empty(self.g, num, parts[0].shape[2], self.cg, dtype=a.dtype, device=a.device)
            torch.mul(parts[0], a, out=x)
            for p in parts[1:]:
                x.addcmul_(p, a)
            for unit in range(num_units(widths, layer)):
                pending.setdefault(layer + unit + 1, []).append(self._upper_unit(layer, unit, x))
        last = pending.pop(len(widths))[0][:, :, 0].transpose(0, 1).reshape(num, self.c)  # (N, C)
        return torch.addmm(self.shrink_b, last, self.shrink_w)

    def _grouped(self, rows: torch.Tensor) -> torch.Tensor:
        """(N, P, C) -> (G, N, P, cg) view."""
        return rows.view(*rows.shape[:2], self.g, self.cg).permute(2, 0, 1, 3)

    def _layer1_geometry(self, unit: int) -> Layer1Geometry:
        """Layer 1, unit ``unit``: where it reads (see :class:`Layer1Geometry`)."""
        widths = self.widths
        k, d1, p1 = widths[1], widths[0], num_positions(widths, 1)
        dil = unit_dilation(widths, 1, unit)
        return Layer1Geometry(k, d1, p1, anchor(d1, self.causal), dil, k * dil, p1 // (k * dil))

    def _layer1_unit(
        self,
        unit: int,
        t0: int,
        num: int,
        a1: torch.Tensor,
        e0: FrameRows,
        proj: FrameRows,
    ) -> torch.Tensor:
        """Unit ``unit`` of layer 1 from the shared projections -> (G, N, P_out, cg)."""
        causal = self.causal
        k, d1, p1, anc1, dil, stride, p_out = self._layer1_geometry(unit)
        if num <= _GATHER_TARGETS:
            z = self._layer1_gather(unit, t0, num, a1, proj)
        else:
            z = self._layer1_strided(unit, t0, num, a1, proj)
        branch = self._act_(z)
        res = e0.strided(t0, num, d1 * anchor(stride, causal) + anc1, d1 * stride, p_out)
        res_w = a1.as_strided((1, num, p_out, 1), (0, p1, stride, 0), a1.storage_offset() + anchor(stride, causal))
        pooled = branch.sum(dim=(1, 2))
        return self._select_and_point(
            0, branch.view(num, self.m, p_out, self.g, self.cg), pooled, self._grouped(res), res_w
        )

    def _layer1_strided(self, unit: int, t0: int, num: int, a1: torch.Tensor, proj: FrameRows) -> torch.Tensor:
        """Layer-1 branch pre-activations (N, M, P_out, C) for many targets: per tap, one strided view over outputs."""
        causal = self.causal
        k, d1, p1, anc1, dil, stride, p_out = self._layer1_geometry(unit)
        z = torch.empty(num, self.m, p_out, self.c, dtype=a1.dtype, device=a1.device)
        z.copy_(self.layers[0].branch_b[None, :, None, :])  # a fresh buffer: it is updated in place below
        for m in range(self.m):
            for i, off in enumerate(tap_offsets(k, dil * (m + 1), causal)):
                c = anchor(stride, causal) + off  # position read by output u: clamp(u * stride + c)
                lo = min(p_out, max(0, -(c // stride)))  # first u whose tap is inside the window
                hi = max(lo, min(p_out, (p1 - 1 - c) // stride + 1))
                slot = m * k + i
                if hi > lo:  # interior outputs: one strided view over u
                    ys = proj.strided(t0, num, d1 * (lo * stride + c) + anc1, d1 * stride, hi - lo, slot)
                    ws = a1.as_strided((num, hi - lo), (p1, stride), a1.storage_offset() + lo * stride + c)
                    z[:, m, lo:hi].addcmul_(ys, ws[:, :, None])
                for us, q in ((range(0, lo), 0), (range(hi, p_out), p1 - 1)):  # taps clamped to the window edge
                    if len(us):
                        ys = proj.strided(t0, num, d1 * q + anc1, 0, len(us), slot)
                        z[:, m, us.start : us.stop].addcmul_(ys, a1[:, q : q + 1, None])
        return z

    def _layer1_gather(self, unit: int, t0: int, num: int, a1: torch.Tensor, proj: FrameRows) -> torch.Tensor:
        """Layer-1 branch pre-activations (N, M, P_out, C) for a few targets (streaming): one gather, one matmul."""
        frames, slots, positions = self._l1_gather[unit]  # (M, P_out, k) each
        d1, p1 = self.widths[0], num_positions(self.widths, 1)
        span = (p1 - 1) * d1 + 1  # frames from layer-1 position 0 to the last one
        flat = proj.strided(t0, 1, anchor(d1, self.causal), 1, span + num - 1).reshape(-1, self.c)  # contiguous rows
        index = frames * self.slots + slots  # (M, P_out, k) row of each tap in the first target's window
        index = (index.flatten()[None, :] + self.slots * torch.arange(num, device=index.device)[:, None]).flatten()
        rows = flat.index_select(0, index).view(num, *frames.shape, self.c)  # (N, M, P_out, k, C)
        z = torch.matmul(a1[:, positions].unsqueeze(-2), rows).squeeze(-2)  # weighted tap sums
        return z.add_(self.layers[0].branch_b[None, :, None, :])

    def _upper_unit(self, layer: int, unit: int, x: torch.Tensor) -> torch.Tensor:
        """Unit ``unit`` of ``layer`` >= 2 on the weighted input x (G, N, P_in, cg) -> (G, N, P_out, cg)."""
        _, num, p_in, _ = x.shape
        taps = self._taps[(layer, unit)]  # (M, P_out, k) input positions
        p_out, k = taps.shape[1], taps.shape[2]
        params = self.layers[layer - 1]
        z = torch.empty(self.m, self.g, num * p_out, self.cg, dtype=x.dtype, device=x.device)
        for m in range(self.m):
            # Gathered windows (G, N*P_out, k*cg), one copy (index_select: advanced indexing measured ~5x slower).
            win = x.index_select(2, taps[m].flatten()).view(self.g, num * p_out, k * self.cg)
            bias = params.branch_b[m].view(self.g, 1, self.cg)
            torch.baddbmm(bias, win, params.branch_w[m], out=z[m])
        z = self._act_(z).view(self.m, self.g, num, p_out, self.cg)
        u = torch.add(z[0], z[1]) if self.m > 1 else z[0].clone()  # U = sum of the branches (eq. 4)
        for m in range(2, self.m):
            u.add_(z[m])
        pooled = u.sum(dim=2).transpose(0, 1).reshape(num, self.c)  # (a strided 2-dim sum is ~10x slower)
        stride = p_in // p_out
        res = x[:, :, anchor(stride, self.causal) :: stride]  # the units' anchors, a view
        return self._select_and_point(layer - 1, z.permute(2, 0, 3, 1, 4), pooled, res, None)

    def _act_(self, t: torch.Tensor) -> torch.Tensor:
        return self.act_(t)

    def _select_and_point(
        self,
        index: int,
        branch: torch.Tensor,
        pooled: torch.Tensor,
        res: torch.Tensor,
        res_w: torch.Tensor | None,
    ) -> torch.Tensor:
        """Kernel attention (eq. 4-6) + 1x1 block -> ``res * res_w + act(W V + b)``, (G, N, P_out, cg).

        Args:
            branch: (N, M, P_out, G, cg) activated branch outputs (any strides).
            pooled: (N, C) their sum over branches and positions (computed where the layout makes it cheap).
            res: (G, N, P_out, cg) residual; res_w: (1, N, P_out, 1) its temporal-attention weights, or None.
        """
        params = self.layers[index]
        num, _, p_out, g, cg = branch.shape
        c = g * cg
        # GAP of U = sum of the branches (eq. 4): the 1 / P_out of the mean rides on the FC's alpha.
        z = F.relu_(torch.addmm(params.reduce_b, pooled, params.reduce_w, alpha=1.0 / p_out))
        att = torch.softmax(torch.addmm(params.expand_b, z, params.expand_w).view(num, self.m, 1, g, cg), dim=1)
        v = torch.empty(num, p_out, g, cg, dtype=branch.dtype, device=branch.device)
        torch.mul(branch[:, 0], att[:, 0], out=v)
        for m in range(1, self.m):
            v.addcmul_(branch[:, m], att[:, m])
        # 1x1 convolution straight into the channel-group layout (the broadcast V is not copied).
        y = torch.baddbmm(params.point_b, v.view(1, num * p_out, c).expand(g, -1, -1), params.point_w)
        y = self._act_(y).view(g, num, p_out, cg)
        if res_w is None:
            return y.add_(res)
        return y.addcmul_(res, res_w)

    # -- whole sequences -------------------------------------------------------------------------------------------
    @torch.no_grad()
    def sequence(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) -> (B, T - n + 1, J, 3), the same maths as AttentionLifter.forward_windows per window.

        Per-frame features use PyTorch's intra-op threads; the runs of targets are then spread over
        ``torch.get_num_threads()`` Python threads with one intra-op thread each (:mod:`core.models.threads`).
        """
        b, t, j, _ = x.shape
        t_out = t - self.n + 1
        out = torch.empty(b, t_out, j, 3, dtype=x.dtype, device=x.device)
        per_target = 2 * self.c * (self.m + 2) * (self.n // math.prod(self.widths[:2]))  # layer-1 unit 0 dominates
        chunk = max(8, self.chunk_floats // per_target)
        workers = torch.get_num_threads() if x.device.type == "cpu" else 1
        if workers > 1:  # at least two runs per thread keeps both busy to the end
            chunk = max(8, min(chunk, -(-t_out // (2 * workers))))
        jobs = []
        for bi in range(b):
            h = x[bi].reshape(t, 2 * j).t().contiguous()
            levels = [FrameRows(*self.expand_frames(h, unit)) for unit in range(num_units(self.widths, 0))]
            proj = FrameRows(self.project_layer1(levels[0].data), levels[0].first)
            vectors = FrameRows(normalized_poses(x[bi]))
            for i0 in range(0, t_out, chunk):
                jobs.append(partial(self._run, out[bi], i0, min(chunk, t_out - i0), vectors, levels, proj))
        run_parallel(jobs, workers)
        return out

    def _run(
        self,
        out: torch.Tensor,
        t0: int,
        num: int,
        vectors: FrameRows,
        levels: list[FrameRows],
        proj: FrameRows,
    ) -> None:
        out[t0 : t0 + num] = self.targets(t0, num, vectors, levels, proj).view(num, *out.shape[1:])
