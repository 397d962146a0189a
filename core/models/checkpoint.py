"""Self-describing model files: config + weights + sha256 of the weights, loadable with ``weights_only=True``.

File layout (a ``torch.save`` dict of plain types and tensors; an ensemble of such lifters has its own,
``core.lifter_ensemble``)::

    {"format": "video_mocap.lifter", "format_version": 1, "config": LifterConfig.to_dict(),
     "state_dict": {name: tensor}, "sha256": hex digest of the weights (see weights_sha256), "extra": {...}}
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..lifter_ensemble import FORMAT as ENSEMBLE_FORMAT
from ..lifter_ensemble import EnsembleChecksumError, EnsembleError, check_file_payload
from .config import LifterConfig

FORMAT = "video_mocap.lifter"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """The file is not a readable lifter checkpoint."""


class ChecksumError(CheckpointError):
    """The weights in the file do not match the sha256 stored with them (corrupted or edited file)."""


def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """sha256 over (name, dtype, shape, raw bytes) of every tensor, in sorted name order (device independent)."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _check_plain(value: Any, where: str) -> None:
    """Rejects anything ``torch.load(weights_only=True)`` could not read back."""
    if value is None or isinstance(value, bool | int | float | str | torch.Tensor):
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: dict keys must be strings, got {k!r}")
            _check_plain(v, f"{where}[{k!r}]")
        return
    raise TypeError(f"{where}: {type(value).__name__} cannot be stored in a weights-only checkpoint")


def save_checkpoint(path: str | os.PathLike[str], model: nn.Module, *, extra: dict[str, Any] | None = None) -> str:
    """Writes ``model`` (a lifter with ``.config``) to ``path`` atomically; returns the weights' sha256.

    Args:
        extra: plain data stored alongside (model card fields, epoch, metrics): dicts, lists, str, numbers, tensors.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, LifterConfig):
        raise TypeError("save_checkpoint needs a lifter built by core.models.build_model (it has no LifterConfig)")
    extra = {} if extra is None else extra
    if not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict, got {type(extra).__name__}")
    _check_plain(extra, "extra")
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    sha = weights_sha256(state)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "state_dict": state,
        "sha256": sha,
        "extra": extra,
    }
    write_payload(path, payload)
    return sha


def write_payload(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """``torch.save`` of a model file's payload to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Loads and verifies a lifter file; returns its payload dict (configs still plain dicts): a single lifter's
    (``config``, ``state_dict``, ``sha256``, ``extra``) or an ensemble's (``members``, each with those; its format
    is ``core.lifter_ensemble``'s).

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: not a lifter checkpoint, or unreadable.
        ChecksumError: the weights do not match the stored sha256.
    """
    payload = _load(Path(path))
    if isinstance(payload, dict) and payload.get("format") == ENSEMBLE_FORMAT:
        return _verified_ensemble(Path(path), payload)
    return _verified_single(Path(path), payload)


def read_single(path: str | os.PathLike[str]) -> dict[str, Any]:
    """:func:`read_checkpoint` of a file that must hold one lifter (not an ensemble)."""
    return _verified_single(Path(path), _load(Path(path)))


def _load(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"lifter checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle errors have many types; all mean "this file is damaged"
        raise CheckpointError(
            f"{path} could not be read as a lifter checkpoint (damaged or wrong file): {exc}"
        ) from exc


def _verified_single(path: Path, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Video Mocap lifter checkpoint (expected format {FORMAT!r})")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has lifter format version {payload.get('format_version')!r}; this add-on reads {FORMAT_VERSION}"
        )
    for key in ("config", "state_dict", "sha256"):
        if key not in payload:
            raise CheckpointError(f"{path} lacks the {key!r} entry")
    _verify(path, payload["state_dict"], payload["sha256"])
    return payload


def _verify(path: Path, state: dict[str, torch.Tensor], recorded: str) -> None:
    actual = weights_sha256(state)
    if actual != recorded:
        raise ChecksumError(
            f"{path}: the weights' sha256 is {actual} but the file records {recorded}; the file is corrupted "
            f"or was modified — download or train it again"
        )


def _verified_ensemble(path: Path, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        members = check_file_payload(payload)
    except EnsembleChecksumError as exc:
        raise ChecksumError(f"{path}: {exc}") from exc
    except EnsembleError as exc:
        raise CheckpointError(f"{path}: {exc}") from exc
    for member in members:
        _verify(path, member["state_dict"], member["sha256"])
    return payload
