"""The lifter a ``LifterConfig`` describes: the attention TCN or the VideoPose3D baseline."""

from __future__ import annotations

from .attention_tcn import AttentionLifter
from .base import LifterBase
from .config import LifterConfig
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
