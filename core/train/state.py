"""Self-describing training checkpoints: config, weights, optimiser, position (epoch, step), RNG state, sha256.

Everything stored is a tensor, number, string or plain container, so the file loads with
``torch.load(path, weights_only=True)`` (no pickled code runs). The sha256 covers the model weights
(``core.models.checkpoint.weights_sha256``, the same digest as model files); a mismatch on load raises
:class:`TrainCheckpointError` instead of silently resuming from a corrupted file. Writes go to a temporary file
first and are renamed into place, so a run killed while saving never leaves a truncated checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..models.checkpoint import weights_sha256

FORMAT = "video_mocap.train_checkpoint/1"


class TrainCheckpointError(RuntimeError):
    """The training checkpoint is unreadable, of another format, or its weights fail the sha256 check."""


@dataclass
class TrainPosition:
    """Where training resumes: ``epoch`` (0-based) and the next ``step`` within it."""

    epoch: int
    step: int


def save_training_checkpoint(
    path: str | Path,
    *,
    config: dict[str, Any],
    model_state: dict[str, torch.Tensor],
    optimizer_state: dict[str, Any],
    position: TrainPosition,
    elapsed_s: float,
    extra: dict[str, Any] | None = None,
) -> str:
    """Writes the checkpoint atomically and returns the weights' sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().clone() for k, v in model_state.items()}
    digest = weights_sha256(weights)
    rng: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    payload = {
        "format": FORMAT,
        "config": config,
        "model": weights,
        "sha256": digest,
        "optimizer": optimizer_state,
        "epoch": position.epoch,
        "step": position.step,
        "elapsed_s": float(elapsed_s),
        "rng": rng,
        "extra": extra or {},
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return digest


def load_training_checkpoint(path: str | Path) -> dict[str, Any]:
    """Loads with ``weights_only=True`` and checks format and sha256; returns the stored dict."""
    path = Path(path)
    if not path.is_file():
        raise TrainCheckpointError(f"training checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt/unsafe files
        raise TrainCheckpointError(f"cannot read training checkpoint {path}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise TrainCheckpointError(
            f"{path} is not a training checkpoint (format {FORMAT}); for a model file use core.models.load_model"
        )
    digest = weights_sha256(payload["model"])
    if digest != payload["sha256"]:
        raise TrainCheckpointError(
            f"{path}: weights sha256 {digest} does not match the stored {payload['sha256']} (file corrupted?)"
        )
    return payload


def restore_rng(payload: dict[str, Any]) -> None:
    """Restores the torch (and CUDA) RNG state saved by :func:`save_training_checkpoint`."""
    torch.set_rng_state(payload["rng"]["torch"])
    if "cuda" in payload["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["rng"]["cuda"])
