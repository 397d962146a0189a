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


def torch_built_with_cuda() -> bool:
    """Whether the installed torch is a CUDA build, read from its ``version.py`` (``cuda = None`` in a CPU-only
    wheel) without importing torch (about a second of CPU: ``python -m bench.lift_path``); True when that cannot be
    told, so that torch decides."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False  # no torch at all: nothing could use a GPU
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except OSError:
        return True
    return version_file_says_cuda(text)


def version_file_says_cuda(text: str) -> bool:
    """False only where torch's ``version.py`` text says ``cuda = None`` (a CPU-only build)."""
    import re

    return re.search(r"^cuda\s*(?::[^=]*)?=\s*None\s*$", text, flags=re.MULTILINE) is None


def resolve_device(requested: str) -> str:
    """ "auto" → "cuda" when torch sees a GPU and VIDEO_MOCAP_FORCE_CPU is not set, else "cpu". "cpu" and a
    torch built without CUDA (:func:`torch_built_with_cuda`) answer without importing torch."""
    if requested == "cpu" or (requested == "auto" and not torch_built_with_cuda()):
        return "cpu"
    import torch

    available = torch.cuda.is_available() and not os.environ.get("VIDEO_MOCAP_FORCE_CPU")
    if requested == "cuda" and not torch.cuda.is_available():
        raise CaptureError(
            "CUDA was requested but torch sees no CUDA GPU; choose CPU or Auto.", kind="device_unavailable"
        )
    if requested == "cuda" or (requested == "auto" and available):
        return "cuda"
    return "cpu"
