"""A model file (one lifter or an ensemble, ``core.models.checkpoint``) → the torch module, weights verified."""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from ..lifter_ensemble import FORMAT as ENSEMBLE_FORMAT
from .build import build_model
from .checkpoint import CheckpointError, read_checkpoint
from .config import LifterConfig
from .ensemble import LifterEnsemble


def load_model(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> nn.Module:
    """Builds the lifter (or ensemble) stored in ``path``, loads its verified weights, moves it to ``device``, eval
    mode."""
    payload = read_checkpoint(path)
    if payload["format"] == ENSEMBLE_FORMAT:
        model: nn.Module = LifterEnsemble([_build(path, m["config"], m["state_dict"]) for m in payload["members"]])
    else:
        model = _build(path, payload["config"], payload["state_dict"])
    return model.to(device).eval()


def _build(path: str | os.PathLike[str], config_dict: dict[str, Any], state: dict[str, torch.Tensor]) -> nn.Module:
    try:
        config = LifterConfig.from_dict(dict(config_dict))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: invalid lifter config: {exc}") from exc
    model = build_model(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: the weights do not fit the stored config: {exc}") from exc
    return model
