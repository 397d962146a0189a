"""Which lifter runs, and where: the bundled weights per model, the model a checkpoint holds, the torch device.

Shared by capture (core/capture.py) and live mode (core/live/session.py), which otherwise have nothing to share.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import CaptureError

ADDON_ROOT = Path(__file__).resolve().parent.parent


def default_weights(model: str) -> Path:
    """The bundled checkpoint of the "offline" or "causal" lifter (core.options.MODELS)."""
    return ADDON_ROOT / "weights" / f"lifter_{model}.pt"


def lifter_model(lifter: Any) -> str:
    """The model a loaded lifter is: "causal" (past frames only) or "offline". Its config decides, not the option
    that picked the file: a ``weights`` option may name either kind."""
    return "causal" if lifter.config.causal else "offline"


def resolve_device(requested: str) -> str:
    """ "auto" → "cuda" when torch sees a GPU and VIDEO_MOCAP_FORCE_CPU is not set, else "cpu"."""
    import torch

    available = torch.cuda.is_available() and not os.environ.get("VIDEO_MOCAP_FORCE_CPU")
    if requested == "cuda" and not torch.cuda.is_available():
        raise CaptureError(
            "CUDA was requested but torch sees no CUDA GPU; choose CPU or Auto.", kind="device_unavailable"
        )
    if requested == "cuda" or (requested == "auto" and available):
        return "cuda"
    return "cpu"
