"""2D-to-3D lifters: the attention TCN of Liu et al. (CVPR 2020) and the VideoPose3D baseline (Pavllo et al. 2019).

Public API::

    from core.models import LifterConfig, build_model, save_checkpoint, load_model, CausalStreamer

``model(x)`` maps (B, T, J, 2) normalised 2D to (B, T - model.receptive_field + 1, J, 3) root-relative metres;
see :mod:`core.models.base` for the frame alignment (``causal_shift``) and docs/model.md for the architecture.
"""

from __future__ import annotations

from .attention_tcn import AttentionLifter
from .base import LifterBase, infer_sequence, pad_sequence, padding, predict
from .checkpoint import CheckpointError, ChecksumError, load_model, read_checkpoint, save_checkpoint
from .config import LifterConfig
from .streaming import CausalStreamer
from .videopose import VideoPoseLifter


def build_model(config: LifterConfig) -> LifterBase:
    """The lifter described by ``config`` (randomly initialised, training mode)."""
    if not isinstance(config, LifterConfig):
        raise TypeError(f"build_model expects a LifterConfig, got {type(config).__name__}")
    if config.arch == "attention":
        return AttentionLifter(config)
    if config.arch == "videopose":
        return VideoPoseLifter(config)
    raise ValueError(f"unknown arch {config.arch!r}")  # unreachable: LifterConfig validates arch


__all__ = [
    "AttentionLifter",
    "CausalStreamer",
    "CheckpointError",
    "ChecksumError",
    "LifterBase",
    "LifterConfig",
    "VideoPoseLifter",
    "build_model",
    "infer_sequence",
    "load_model",
    "pad_sequence",
    "padding",
    "predict",
    "read_checkpoint",
    "save_checkpoint",
]
