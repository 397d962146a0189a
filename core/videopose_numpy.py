"""The VideoPose3D lifter's inference in NumPy (Pavllo et al., CVPR 2019, §3 and Fig. 2; ``core.models.videopose``),
so that a CPU capture whose weights hold one (the offline ensemble, docs/training.md) never imports torch.

Its sequence path: every output of a sequence in one pass, layer l's width-k convolution dilated by the frames one
of its positions summarises (``frames_per_position``), BatchNorm folded into each convolution (eval mode), the
residual sliced at the unit's anchor. ``tests/core/test_videopose_numpy.py`` holds it equal to the torch model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .lifter_geometry import anchor, frames_per_position
from .numpy_layers import NumpyModel, folded_bn


def _dilated(h: np.ndarray, taps: list[np.ndarray], dilation: int) -> np.ndarray:
    """(T, C_in) features, per tap a (C_in, C_out) matrix → (T − (k − 1)·dilation, C_out): the valid dilated
    convolution ``sum_tau h[t + tau·dilation] @ taps[tau]``."""
    t_out = len(h) - (len(taps) - 1) * dilation
    out = h[:t_out] @ taps[0]
    for tau in range(1, len(taps)):
        out += h[tau * dilation : tau * dilation + t_out] @ taps[tau]
    return out


class NumpyVideoPose(NumpyModel):
    """A VideoPose3D lifter's weights (BatchNorm folded) and its sequence forward."""

    arch = "videopose"

    def __init__(self, config: dict[str, Any], state: dict[str, np.ndarray]) -> None:
        super().__init__(config)
        widths = self.config.filter_widths
        w = {k: np.asarray(v, np.float32) for k, v in state.items()}

        def conv(name: str, bn: str) -> tuple[list[np.ndarray], np.ndarray]:
            """A bias-free Conv1d (C_out, C_in, k) and its BatchNorm → (per tap (C_in, C_out) · scale, shift)."""
            weight, (scale, shift) = w[name], folded_bn(w, bn)
            return [np.ascontiguousarray(weight[:, :, t].T * scale) for t in range(weight.shape[2])], shift

        self.expand = conv("expand_conv.weight", "expand_bn")
        self.layers = [(conv(f"temporal_convs.{i}.weight", f"temporal_bns.{i}"),
                        conv(f"point_convs.{i}.weight", f"point_bns.{i}")) for i in range(len(widths) - 1)]  # fmt: skip
        self.shrink = (np.ascontiguousarray(w["shrink.weight"][:, :, 0].T), w["shrink.bias"])

    def sequence(self, x: np.ndarray) -> np.ndarray:
        """(T_in, J, 2) → (T_in − n + 1, J, 3): the model contract for one sequence."""
        x = np.asarray(x, np.float32)
        widths, causal = self.config.filter_widths, self.config.causal
        taps, shift = self.expand
        h = self.act(_dilated(x.reshape(len(x), -1), taps, 1) + shift)
        for i, ((t_taps, t_shift), (p_taps, p_shift)) in enumerate(self.layers):
            dilation = frames_per_position(widths, i + 1)
            y = self.act(_dilated(h, t_taps, dilation) + t_shift)
            y = self.act(y @ p_taps[0] + p_shift)
            start = dilation * anchor(widths[i + 1], causal)
            h = h[start : start + len(y)] + y
        out = h @ self.shrink[0] + self.shrink[1]
        return out.reshape(len(out), self.config.num_joints, 3).astype(np.float32)
