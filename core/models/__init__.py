"""2D-to-3D lifters: the attention TCN of Liu et al. (CVPR 2020) and the VideoPose3D baseline (Pavllo et al. 2019).

Public API::

    from core.models import LifterConfig, build_model, save_checkpoint, load_model, CausalStreamer

``model(x)`` maps (B, T, J, 2) normalised 2D to (B, T - model.receptive_field + 1, J, 3) root-relative metres;
see :mod:`core.models.base` for the frame alignment (``causal_shift``) and docs/model.md for the architecture.
"""

from __future__ import annotations

from .attention_tcn import AttentionLifter
from .base import LifterBase, infer_sequence, pad_sequence, padding, predict
from .build import build_model
from .checkpoint import CheckpointError, ChecksumError, read_checkpoint, save_checkpoint
from .config import LifterConfig
from .loading import load_model
from .streaming import CausalStreamer
from .videopose import VideoPoseLifter

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
