"""The lifter ensemble in torch (``core.lifter_ensemble`` says what it is and why), its file, and its CLI.

    python -m core.models.ensemble MEMBER.pt MEMBER.pt [...] --out weights/lifter_offline.pt

writes one self-contained file holding every member's config, weights, sha256 and training facts (the model card of
the ensemble lists them: ``core.eval --model-card``).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..lifter_ensemble import (
    FORMAT,
    FORMAT_VERSION,
    EnsembleError,
    check_member_configs,
    ensemble_sha256,
    member_offsets,
)
from .base import LifterBase
from .checkpoint import CheckpointError, read_single, write_payload
from .config import LifterConfig
from .streaming import CausalStreamer


@dataclass(frozen=True)
class EnsembleConfig:
    """The members' configs; the fields callers read of a lifter's config (causality, joints, frame rate) are the
    members' common values (``check_member_configs``)."""

    members: tuple[LifterConfig, ...]

    arch = "ensemble"

    @property
    def causal(self) -> bool:
        return self.members[0].causal

    @property
    def num_joints(self) -> int:
        return self.members[0].num_joints

    @property
    def joints(self) -> str:
        return self.members[0].joints

    @property
    def fps(self) -> float:
        return self.members[0].fps

    def to_dict(self) -> dict[str, Any]:
        common = {"causal": self.causal, "num_joints": self.num_joints, "joints": self.joints, "fps": self.fps}
        return {"arch": self.arch, **common, "members": [m.to_dict() for m in self.members]}


class LifterEnsemble(nn.Module):
    """Trained lifters whose 3D is averaged frame by frame, behind the model contract
    ``forward(x: (B, T, J, 2)) -> (B, T - receptive_field + 1, J, 3)`` (receptive field = the largest member's)."""

    def __init__(self, members: list[LifterBase]) -> None:
        super().__init__()
        check_member_configs([m.config.to_dict() for m in members])
        self.members = nn.ModuleList(members)
        self._rf, self._shift, self.offsets = member_offsets([(m.receptive_field, m.causal_shift) for m in members])
        # an index, not the module: a second attribute holding it would register it twice (and in state_dict)
        self._largest = max(range(len(members)), key=lambda k: members[k].receptive_field)
        self.config = EnsembleConfig(tuple(m.config for m in members))

    @property
    def receptive_field(self) -> int:
        return self._rf

    @property
    def causal_shift(self) -> int:
        return self._shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) → (B, T - receptive_field + 1, J, 3): each member on its slice (``member_offsets``), mean."""
        self.members[self._largest].check_input(x)
        t_out = x.shape[1] - self._rf + 1
        outs = [m(x[:, o : o + t_out + m.receptive_field - 1]) for m, o in zip(self.members, self.offsets)]
        return torch.stack(outs).mean(dim=0)


class EnsembleStreamer:
    """``CausalStreamer`` of a causal ensemble: one streamer per member, their poses averaged. Each member's
    stream replicates the first pose into its past, as the ensemble's edge padding does for every member."""

    def __init__(self, model: LifterEnsemble) -> None:
        self.streams = [CausalStreamer(m) for m in model.members]
        self.config = model.config

    def reset(self) -> None:
        for s in self.streams:
            s.reset()

    def step(self, pose_2d: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """(J, 2) normalised 2D of the newest frame → (J, 3) the members' mean root-relative 3D."""
        outs = [s.step(pose_2d) for s in self.streams]
        return sum(outs[1:], outs[0]) / len(outs)


def streamer_for(model: nn.Module) -> CausalStreamer | EnsembleStreamer:
    """The live stream of a causal lifter or ensemble (each raises a clear ValueError for an offline model)."""
    return EnsembleStreamer(model) if isinstance(model, LifterEnsemble) else CausalStreamer(model)


def save_ensemble(path: str | os.PathLike[str], member_paths: list[str | os.PathLike[str]]) -> str:
    """Writes the ensemble of the (verified) lifter files ``member_paths`` to ``path`` atomically; returns its
    sha256. Raises EnsembleError for members that cannot be combined, CheckpointError for unreadable ones."""
    members = []
    for p in member_paths:
        payload = read_single(p)
        members.append({"config": dict(payload["config"]), "state_dict": payload["state_dict"],
                        "sha256": payload["sha256"], "source": Path(p).as_posix(),
                        "extra": payload.get("extra", {})})  # fmt: skip
    check_member_configs([m["config"] for m in members])
    sha = ensemble_sha256([m["sha256"] for m in members])
    out = {"format": FORMAT, "format_version": FORMAT_VERSION, "members": members, "sha256": sha,
           "extra": {"command": "python -m core.models.ensemble " + " ".join(str(p) for p in member_paths)
                     + f" --out {path}"}}  # fmt: skip
    write_payload(path, out)
    return sha


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.models.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("members", type=Path, nargs="+", help="lifter files (core.models.save_checkpoint) to average")
    p.add_argument("--out", type=Path, required=True, help="the ensemble file to write")
    args = p.parse_args(argv)
    if any(m.resolve() == args.out.resolve() for m in args.members):
        p.error("--out must not be one of the members (the file is read before it is written, but keep the source)")
    try:
        sha = save_ensemble(args.out, list(args.members))
    except (EnsembleError, CheckpointError, FileNotFoundError) as exc:
        p.error(str(exc))
    print(f"wrote {args.out} ({len(args.members)} members, sha256 {sha})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
