"""Prediction with flip test-time augmentation, and the cheap per-epoch validation used during training.

Flip TTA (VideoPose3D §4, used by Liu et al. 2020): run the model on the input and on its mirror image
(``core.skeleton.flip``: x := -x with left/right joints swapped), mirror the second prediction back and average.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from .skeleton import flip

if TYPE_CHECKING:
    from .data.validation_set import ValidationWindows


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, tta: bool = True) -> torch.Tensor:
    """Root-relative 3D from normalised 2D, optionally averaged with the mirrored input's prediction.

    Args:
        model: a lifter in eval mode (``forward((B, T, J, 2)) -> (B, T - receptive_field + 1, J, 3)``).
        x: (B, T, J, 2) normalised 2D, T >= receptive_field.
        tta: average with the flipped input's (un-flipped) prediction.
    Returns:
        (B, T - receptive_field + 1, J, 3) metres, root joint (index 0) set to exactly zero.
    """
    pred = model(x)
    if tta:
        pred = 0.5 * (pred + flip(model(flip(x))))
    pred = pred.clone()
    pred[..., 0, :] = 0.0
    return pred


@torch.no_grad()
def validate(
    model: torch.nn.Module,
    val: ValidationWindows,
    tta: bool = True,
    device: torch.device | str = "cpu",
    batch_size: int = 1024,
) -> dict[str, float]:
    """MPJPE (mm) of the model on the fixed validation windows, clean and noisy 2D. Leaves the model in eval mode.

    Windows (not whole sequences) keep this cheap enough to run after every epoch; ``core.evaluate`` gives the full
    per-motion tables on whole sequences.
    """
    model.eval()
    out: dict[str, float] = {}
    for name, x_all in (("clean", val.x_clean), ("noisy", val.x_noisy)):
        errors = []
        for start in range(0, len(x_all), batch_size):
            x = torch.from_numpy(x_all[start : start + batch_size]).to(device)
            y = torch.from_numpy(val.y[start : start + batch_size]).to(device)
            pred = predict(model, x, tta=tta)[:, 0]
            errors.append(torch.linalg.vector_norm(pred - y, dim=-1).mean(-1).cpu().numpy())
        out[f"val_mpjpe_{name}_mm"] = float(np.concatenate(errors).mean() * 1000)
    return out
