"""The fixed validation data: held-out CMU subjects filmed by Human3.6M-like rigs, clean and noisy 2D.

Whole sequences (``EvalSequence``) feed ``core.eval``; ``validation_windows`` cuts a fixed subset of windows
from them for the cheap per-epoch validation of ``core.train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import virtual_cameras as vc
from .batch_noise import BatchNoise
from .cmu import list_motions, load_h36m_joints, split_by_subject
from .landmarks import convert
from .noise import NoiseConfig
from .render import CameraBatch, normalize_batch, render_windows, window_offsets

FPS = 50.0


@dataclass
class EvalSequence:
    """One sequence seen by one camera.

    ``x2d``: (T, J, 2) normalised 2D input; ``y3d``: (T, J, 3) root-relative camera-space target in metres.
    ``group`` is the table row (CMU motion name, H36M action).
    """

    name: str
    group: str
    camera: str
    x2d: np.ndarray
    y3d: np.ndarray

    def __post_init__(self) -> None:
        if self.x2d.ndim != 3 or self.x2d.shape[-1] != 2 or self.y3d.shape != self.x2d.shape[:2] + (3,):
            raise ValueError(
                f"sequence {self.name}: need x2d (T, J, 2) and y3d (T, J, 3), got "
                f"{self.x2d.shape} and {self.y3d.shape}"
            )
        if len(self.x2d) < 3:
            raise ValueError(f"sequence {self.name}: needs >= 3 frames for the acceleration error, has {len(self.x2d)}")


@dataclass
class ValidationWindows:
    """Fixed validation windows: x_clean / x_noisy (N, n, J, 2) and y (N, J, 3), same windows and cameras."""

    x_clean: np.ndarray
    x_noisy: np.ndarray
    y: np.ndarray


def cmu_validation_sequences(
    cmu_root: str | Path,
    subjects: tuple[str, ...] = ("08",),
    *,
    noisy: bool,
    seed: int = 8,
    joints: str = "skeleton",
    cameras: str = "rig",
    noise: NoiseConfig | None = None,
) -> list[EvalSequence]:
    """Held-out CMU subjects seen by four fixed cameras each, whole sequences, in the ``joints`` definition.

    ``cameras``: ``"rig"`` = a Human3.6M-like rig (the cameras the first weights trained on), ``"wild"`` = four
    random cameras of the wide distribution (``virtual_cameras.RandomCameraConfig``) drawn from a seed stream no
    training run uses. ``noise`` (when ``noisy``): the detector noise model, default the measured one.
    Cameras and noise depend only on ``seed`` and the motion's position in the sorted list, so the clean and noisy
    sets share cameras and every call returns the same data.
    """
    if cameras not in ("rig", "wild"):
        raise ValueError(f"validation cameras must be 'rig' or 'wild', got {cameras!r}")
    _, val = split_by_subject(list_motions(cmu_root), subjects)
    batch_noise = BatchNoise(noise)
    out = []
    for i, motion in enumerate(val):
        name, poses = motion.name, convert(load_h36m_joints(motion, FPS), joints, motion.skeleton).astype(np.float32)
        if cameras == "rig":
            cams = CameraBatch.stack(vc.h36m_like_rig(poses, np.random.default_rng([seed, i])))
        else:  # training pools draw from default_rng([seed, 7]); this stream ([seed, i, 99]) is never used there
            rng = np.random.default_rng([seed, i, 99])
            cams = CameraBatch.stack([vc.random_camera(poses, rng) for _ in range(4)])
        for c in range(len(cams.R)):
            cam = cams.take(np.array([c]))
            pixels, x_cam, _ = render_windows(poses[None], cam, 0)
            if noisy:
                pixels = batch_noise.apply(pixels, np.random.default_rng([seed, i, c, 1]))
            x = normalize_batch(pixels, cam.size)[0]
            y = x_cam[0] - x_cam[0, :, :1]
            out.append(EvalSequence(name=f"{name}/cam{c}", group=name, camera=f"{cameras}{c}", x2d=x, y3d=y))
    return out


def validation_windows(
    sequences_clean: list[EvalSequence],
    sequences_noisy: list[EvalSequence],
    receptive_field: int,
    causal_shift: int,
    count: int,
) -> ValidationWindows:
    """``count`` windows spread evenly over all frames of the validation sequences (edge-replicated at the ends)."""
    offsets = window_offsets(receptive_field, causal_shift)
    lengths = np.array([len(s.x2d) for s in sequences_clean])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    g = np.unique(np.linspace(0, lengths.sum() - 1, num=min(count, int(lengths.sum()))).round().astype(np.int64))
    m = np.searchsorted(starts, g, side="right") - 1
    idx = np.clip(g[:, None] + offsets[None], starts[m][:, None], (starts[m] + lengths[m] - 1)[:, None])
    x_clean = np.concatenate([s.x2d for s in sequences_clean])[idx]
    x_noisy = np.concatenate([s.x2d for s in sequences_noisy])[idx]
    y = np.concatenate([s.y3d for s in sequences_clean])[g]
    return ValidationWindows(x_clean.astype(np.float32), x_noisy.astype(np.float32), y.astype(np.float32))
