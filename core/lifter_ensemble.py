"""A lifter ensemble: several trained lifters behind the one model contract, their 3D averaged frame by frame.

Why: lifters of different receptive fields err differently on real video (the rf-243 model is the better on held-out
synthetic motion, the rf-81 one on the real views), and the frame-wise mean of two such models beats either on both
shared Pose2Sim views (docs/accuracy.md). The members are weighted equally: no weight is fitted, so nothing is tuned
to the evaluation clips.

Contract (``core.models.base``): ``forward(x: (B, T, J, 2)) -> (B, T - R + 1, J, 3)`` with ``R`` the largest
member's receptive field. Output i is input frame ``i + pad(R) + causal_shift(R)``; a member of receptive field r
reads the input slice that puts its own output i on that same frame (:func:`member_offsets`), so a smaller member
sees less context, never a different frame. All members must agree on causality, joints, joint definition and
frame rate (:func:`check_member_configs`).

File (``video_mocap.lifter_ensemble``, a ``torch.save`` dict of plain types and tensors, readable by
``torch.load(weights_only=True)`` and by ``core.lifter_numpy`` without torch)::

    {"format": FORMAT, "format_version": 1,
     "members": [{"config": LifterConfig dict, "state_dict": {...}, "sha256": member weights' sha256,
                  "source": the member file's path as given, "extra": its extra (training facts)}, ...],
     "sha256": ensemble_sha256(member sha256s), "extra": {...}}

This module is torch-free: the NumPy capture path (``NumpyEnsemble``) and the torch model
(``core.models.ensemble``) share it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .lifter_geometry import edge_padding

FORMAT, FORMAT_VERSION = "video_mocap.lifter_ensemble", 1
_MUST_AGREE = ("causal", "num_joints", "joints", "fps")


class EnsembleError(ValueError):
    """The members cannot form one ensemble (or the file's ensemble entries are malformed)."""


class EnsembleChecksumError(EnsembleError):
    """The members in the file are not the ones its sha256 records (edited, reordered or swapped)."""


def check_file_payload(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The members of an ensemble file's payload after checking its version, each member's entries, the recorded
    sha256 of their digests and that they agree (:func:`check_member_configs`). Each reader then verifies every
    member's weights against its own sha256 with its own hash (``core.models.checkpoint``, ``core.lifter_numpy``).

    Raises:
        EnsembleChecksumError: the members do not match the recorded sha256.
        EnsembleError: anything else malformed.
    """
    members = payload.get("members")
    if payload.get("format_version") != FORMAT_VERSION or not isinstance(members, list) or "sha256" not in payload:
        raise EnsembleError(f"lifter ensemble format version {payload.get('format_version')!r}; this add-on reads "
                            f"{FORMAT_VERSION}")  # fmt: skip
    for i, member in enumerate(members):
        if not isinstance(member, dict) or not {"config", "state_dict", "sha256"} <= set(member):
            raise EnsembleError(f"ensemble member {i} lacks its config, weights or sha256")
    if ensemble_sha256([m["sha256"] for m in members]) != payload["sha256"]:
        raise EnsembleChecksumError("the ensemble's members do not match the sha256 it records; the file is corrupted "
                                    "or was modified")  # fmt: skip
    check_member_configs([dict(m["config"]) for m in members])
    return members


def ensemble_sha256(member_shas: Sequence[str]) -> str:
    """sha256 of the members' weight digests in order: changes when any member's weights or the order change."""
    return hashlib.sha256("|".join(member_shas).encode()).hexdigest()


def check_member_configs(configs: Sequence[dict[str, Any]]) -> None:
    """Raises EnsembleError unless there are ≥ 2 members that agree on causality, joints, definition and rate."""
    if len(configs) < 2:
        raise EnsembleError(f"an ensemble needs at least 2 members, got {len(configs)}")
    first = configs[0]
    for i, c in enumerate(configs[1:], start=1):
        for key in _MUST_AGREE:
            a, b = first.get(key, _default(key)), c.get(key, _default(key))
            if a != b:
                raise EnsembleError(f"ensemble members must agree on {key!r}: member 0 has {a!r}, member {i} {b!r}")


def _default(key: str) -> Any:
    return {"joints": "skeleton", "fps": 50.0}.get(key)  # LifterConfig's defaults for keys older files lack


def member_offsets(fields: Sequence[tuple[int, int]]) -> tuple[int, int, list[int]]:
    """Where each member reads the ensemble's input.

    Args:
        fields: (receptive_field, causal_shift) of each member.
    Returns:
        (R, causal_shift of the ensemble, offsets): R the largest receptive field, and member k reads
        ``x[offset_k : offset_k + T - R + r_k]`` so that its output i is the ensemble's output i's frame.
        Offline: ``offset = (R - r) / 2``; causal: ``R - r``.
    """
    big = max(range(len(fields)), key=lambda k: fields[k][0])
    rf, shift = fields[big]
    lead = edge_padding(rf, shift)[0]  # frames before output 0's frame: pad + causal_shift
    offsets = [lead - edge_padding(r, s)[0] for r, s in fields]
    if min(offsets) < 0 or any(o + r > rf for o, (r, _s) in zip(offsets, fields)):
        raise EnsembleError(f"the members' windows {list(fields)} do not nest inside the largest one")
    return rf, shift, offsets


class NumpyEnsemble:
    """NumPy inference of an ensemble file (``core.numpy_layers.NumpyModel`` members, attention or VideoPose3D):
    what a CPU capture runs."""

    def __init__(self, members: Sequence[Any]) -> None:
        self.members = list(members)
        self.receptive_field, self.causal_shift, self.offsets = member_offsets(
            [(m.receptive_field, m.causal_shift) for m in self.members]
        )
        # The fields callers read (causality, frame rate, joints) agree across members (check_member_configs).
        self.config = max(self.members, key=lambda m: m.receptive_field).config

    def predict(self, x: np.ndarray, tta: bool = True) -> np.ndarray:
        """(T_in, J, 2) padded sequence → (T_in − R + 1, J, 3): the members' ``predict`` (root zeroed, flip TTA)
        on their slices of the input, averaged."""
        t_out = len(x) - self.receptive_field + 1
        total = None
        for member, offset in zip(self.members, self.offsets):
            pred = member.predict(x[offset : offset + t_out + member.receptive_field - 1], tta=tta)
            total = pred if total is None else total + pred
        return (total / len(self.members)).astype(np.float32)
