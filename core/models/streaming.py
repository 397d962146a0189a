"""Causal streaming for live mode: one 2D pose in, the 3D pose of that same frame out, constant work per frame.

Every per-frame feature that does not depend on the target (the raw input, layer 0, and for the attention lifter
the layer-1 projections of :mod:`core.models.folded`) is computed once, for the new frame only, and kept in ring
buffers of ``receptive_field`` rows (mirrored, so every window is one strided view); the per-target part is then
evaluated for the single new target. The first frame fills the history with copies of itself, exactly as
:func:`core.models.pad_sequence` edge-pads a causal sequence, so ``step`` reproduces ``infer_sequence`` of the causal
model frame by frame.
"""

from __future__ import annotations

import numpy as np
import torch

from .attention import normalized_poses
from .attention_tcn import AttentionLifter
from .base import LifterBase
from .blocks import activation_inplace, fold_conv_bn
from .folded import FoldedAttentionLifter
from .frames import MirroredRing
from .geometry import frames_per_position, num_units, unit_dilation
from .threads import single_intraop_thread
from .videopose import VideoPoseLifter


class CausalStreamer:
    """Stateful ``step(pose_2d (J, 2)) -> pose_3d (J, 3)`` for a causal lifter in eval mode (weights snapshotted).

    Raises:
        ValueError: the model is not causal, or is in training mode.
    """

    def __init__(self, model: LifterBase) -> None:
        if not model.config.causal:
            raise ValueError(
                "CausalStreamer needs a causal lifter (config.causal = true): a centred model needs "
                "future frames that a live stream does not have yet"
            )
        if model.training:
            raise ValueError("CausalStreamer snapshots eval-mode weights: call model.eval() first")
        self.config = model.config
        self.n = model.receptive_field
        self.num_joints = model.config.num_joints
        self.device = next(model.parameters()).device
        w, b = fold_conv_bn(model.expand_conv.weight, None, model.expand_bn)  # (C, 2J, k0)
        self.expand_w = w.permute(0, 2, 1).reshape(w.shape[0], -1).contiguous()  # (C, k0 * 2J)
        self.expand_b = b
        self.act = activation_inplace(model.config.act)
        self.raw = MirroredRing(self.n, (2 * self.num_joints,), self.device)
        if isinstance(model, AttentionLifter):
            self.impl: _AttentionStream | _VideoPoseStream = _AttentionStream(self, model)
        elif isinstance(model, VideoPoseLifter):
            self.impl = _VideoPoseStream(self, model)
        else:
            raise ValueError(f"no streaming implementation for {type(model).__name__}")
        self.frame = -1

    def reset(self) -> None:
        """Forgets the history: the next step starts a new stream (its pose is replicated into the past)."""
        self.frame = -1

    @torch.inference_mode()  # also lets a streamer built inside inference_mode update its buffers
    def step(self, pose_2d: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """(J, 2) normalised 2D of the newest frame -> (J, 3) its root-relative 3D (same type as the input)."""
        is_numpy = isinstance(pose_2d, np.ndarray)
        x = torch.as_tensor(pose_2d, dtype=torch.float32, device=self.device)
        if x.shape != (self.num_joints, 2):
            raise ValueError(f"step() expects one pose of shape ({self.num_joints}, 2), got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("step() got a pose with NaN or infinite coordinates; fill missing joints first")
        first = self.frame < 0
        self.frame = 0 if first else self.frame + 1
        with single_intraop_thread():  # batch-1 operations are too small to split across threads
            store(self.raw, self.frame, x.reshape(-1), first)
            out = self.impl.advance(self.frame, first).reshape(self.num_joints, 3)
        return out.cpu().numpy() if is_numpy else out

    def expand_at(self, frame: int, dilation: int) -> torch.Tensor:
        """Layer-0 output (C,) at ``frame`` for the unit with ``dilation`` (causal taps read the raw ring buffer)."""
        k0 = self.config.filter_widths[0]
        start = frame - dilation * (k0 - 1)
        taps = self.raw.window(frame - self.n + 1).strided(start, 1, 0, dilation, k0)  # (1, k0, 2J)
        return self.act(torch.addmv(self.expand_b, self.expand_w, taps.reshape(-1)))


def store(ring: MirroredRing, frame: int, row: torch.Tensor, first: bool) -> None:
    """Writes ``frame``'s row; the first frame of a stream fills the whole (replicated) past."""
    if first:
        ring.fill(row)
    else:
        ring.write(frame, row)


class _AttentionStream:
    """Mirrored ring buffers of the shared features of :class:`FoldedAttentionLifter`, one target per frame."""

    def __init__(self, owner: CausalStreamer, model: AttentionLifter) -> None:
        self.owner = owner
        self.folded = FoldedAttentionLifter(model)
        n, c, dev = owner.n, model.config.channels, owner.device
        widths = model.config.filter_widths
        self.dilations = [unit_dilation(widths, 0, u) for u in range(num_units(widths, 0))]
        self.vectors = MirroredRing(n, (2 * model.config.num_joints,), dev)
        self.levels = [MirroredRing(n, (c,), dev) for _ in self.dilations]
        self.proj = MirroredRing(n, (model.config.branches * widths[1], c), dev)

    def advance(self, frame: int, first: bool) -> torch.Tensor:
        owner = self.owner
        store(self.vectors, frame, normalized_poses(owner.raw.at(frame).reshape(-1, 2)), first)
        for ring, dil in zip(self.levels, self.dilations):
            store(ring, frame, owner.expand_at(frame, dil), first)
        store(self.proj, frame, self.folded.project_layer1(self.levels[0].at(frame)[None])[0], first)
        start = frame - owner.n + 1
        views = [ring.window(start) for ring in self.levels]
        return self.folded.targets(start, 1, self.vectors.window(start), views, self.proj.window(start))[0]


class _VideoPoseStream:
    """Ring buffer of every layer's input; each step computes one new column per layer (dilated causal taps)."""

    def __init__(self, owner: CausalStreamer, model: VideoPoseLifter) -> None:
        self.owner = owner
        n, c, dev = owner.n, model.config.channels, owner.device
        widths = model.config.filter_widths
        self.layers = []
        for i, k in enumerate(widths[1:]):
            tw, tb = fold_conv_bn(model.temporal_convs[i].weight, None, model.temporal_bns[i])  # (C, C, k)
            pw, pb = fold_conv_bn(model.point_convs[i].weight, None, model.point_bns[i])
            dil = frames_per_position(widths, i + 1)
            self.layers.append(
                (tw.permute(0, 2, 1).reshape(c, -1).contiguous(), tb, pw[:, :, 0].contiguous(), pb, k, dil)
            )
        self.rings = [MirroredRing(n, (c,), dev) for _ in widths[1:]]
        self.shrink_w = model.shrink.weight.detach()[:, :, 0]
        self.shrink_b = model.shrink.bias.detach()

    def advance(self, frame: int, first: bool) -> torch.Tensor:
        owner = self.owner
        start = frame - owner.n + 1
        h = owner.expand_at(frame, 1)
        for ring, (tw, tb, pw, pb, k, dil) in zip(self.rings, self.layers):
            store(ring, frame, h, first)
            taps = ring.window(start).strided(frame - dil * (k - 1), 1, 0, dil, k)  # (1, k, C), oldest first
            y = owner.act(torch.addmv(tb, tw, taps.reshape(-1)))
            h = h + owner.act(torch.addmv(pb, pw, y))
        return torch.addmv(self.shrink_b, self.shrink_w, h)
