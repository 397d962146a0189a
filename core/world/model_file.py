"""The small learned models of world placement (contacts, gravity) as JSON files that say what they are.

A file holds a format line, the numbers, a sha256 of the numbers and ``info`` (how it was made: command, data,
training figures). Reading checks all three, so an edited, truncated or foreign file is an error the caller turns
into a fallback and a warning, never a silent change of behaviour.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

# A small perceptron's numbers as torch.nn.Linear holds them: (weight (out, in), bias (out,)) per layer.
Layers = tuple[tuple[np.ndarray, np.ndarray], ...]


def numbers_digest(numbers: dict[str, Any]) -> str:
    """sha256 of the numbers, independent of the order of their keys."""
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode()).hexdigest()


def write_model_file(path: str | Path, format_line: str, numbers: dict[str, Any], info: dict[str, Any]) -> None:
    payload = {"format": format_line, **numbers, "sha256": numbers_digest(numbers), "info": info}
    Path(path).write_text(json.dumps(payload, indent=1) + "\n")


def read_model_file(path: str | Path, format_line: str, keys: tuple[str, ...], error: type[Exception],
                    what: str) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """(numbers under ``keys``, info) of a file written by :func:`write_model_file` with ``format_line``; anything
    else raises ``error`` with a message naming ``what`` the file should be."""
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise error(f"cannot read the {what} {path}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != format_line:
        raise error(f"{path} is not a {what} ({format_line})")
    missing = [k for k in keys if k not in payload]
    if missing:
        raise error(f"{path}: the {what} lacks {missing}")
    numbers = {k: payload[k] for k in keys}
    if numbers_digest(numbers) != payload.get("sha256"):
        raise error(f"{path}: its numbers do not match their sha256 (edited or damaged)")
    return numbers, dict(payload.get("info", {}))


def perceptron(layers: Layers, x: np.ndarray) -> np.ndarray:
    """(..., in) → (..., out): the layers in turn, ReLU between them (none after the last)."""
    for k, (w, b) in enumerate(layers):
        x = x @ w.T + b
        if k < len(layers) - 1:
            x = np.maximum(x, 0.0)
    return x


def layers_chain(layers: Layers, n_in: int, n_out: int) -> bool:
    """Whether ``layers`` take ``n_in`` inputs to ``n_out`` outputs, each layer's output feeding the next."""
    widths = [n_in] + [len(b) for _, b in layers]
    return bool(layers) and widths[-1] == n_out and all(
        w.shape == (o, i) and b.shape == (o,) for (w, b), i, o in zip(layers, widths, widths[1:])
    )
