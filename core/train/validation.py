"""The cheap per-epoch validation used during training (fixed windows, flip TTA through ``core.models.predict``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..models import predict

if TYPE_CHECKING:
    from ..data.validation_set import ValidationWindows


@torch.no_grad()
def validate(
    model: torch.nn.Module,
    val: ValidationWindows,
    tta: bool = True,
    device: torch.device | str = "cpu",
    batch_size: int = 1024,
) -> dict[str, float]:
    """MPJPE (mm) of the model on the fixed validation windows, clean and noisy 2D. Leaves the model in eval mode.

    Windows (not whole sequences) keep this cheap enough to run after every epoch; ``core.eval`` gives the full
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
