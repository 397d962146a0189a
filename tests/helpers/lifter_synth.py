"""Synthetic motions and training data for the training/evaluation tests (no CMU files needed, seconds on CPU)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data.dataset import CameraPool, MotionBank, TrainingData, WindowSampler
from core.data.validation_set import EvalSequence, validation_windows

# A standing Human3.6M-17 pose, Z up, metres (pelvis at 0.9 m; x = the character's left).
REST = np.array(
    [
        [0.00, 0, 0.90],
        [-0.12, 0, 0.90],
        [-0.12, 0, 0.48],
        [-0.12, 0, 0.06],
        [0.12, 0, 0.90],
        [0.12, 0, 0.48],
        [0.12, 0, 0.06],
        [0.00, 0, 1.15],
        [0.00, 0, 1.40],
        [0.00, -0.05, 1.50],
        [0.00, 0, 1.65],
        [0.18, 0, 1.38],
        [0.42, 0, 1.38],
        [0.65, 0, 1.38],
        [-0.18, 0, 1.38],
        [-0.42, 0, 1.38],
        [-0.65, 0, 1.38],
    ],
    dtype=np.float32,
)


def synthetic_motion(frames: int, seed: int) -> np.ndarray:
    """(T, 17, 3): the rest pose swaying and walking along a random direction, smooth in time."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames, dtype=np.float32)[:, None, None] / 50.0
    phase = rng.uniform(0, 2 * np.pi, size=(1, 17, 3))
    amp = rng.uniform(0.02, 0.15, size=(1, 17, 3)) * np.array([1, 1, 0.3])
    sway = amp * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t + phase)
    heading = rng.uniform(0, 2 * np.pi)
    walk = 0.8 * t[..., 0:1] * np.array([np.cos(heading), np.sin(heading), 0.0])
    poses = REST[None] + sway + walk
    poses[..., 2] = np.maximum(poses[..., 2], 0.0)
    return poses.astype(np.float32)


def synthetic_sequences(receptive_field: int, noisy: bool, count: int = 3, frames: int = 40) -> list[EvalSequence]:
    """Evaluation sequences: synthetic motions seen by the first rig camera of a CameraPool."""
    from core.data.batch_noise import BatchNoise
    from core.data.render import normalize_batch, render_windows

    out = []
    for i in range(count):
        poses = synthetic_motion(frames, 100 + i)
        bank = MotionBank.from_list([poses], [f"synth_{i}"])
        pool = CameraPool.build(
            bank, np.random.default_rng(i), segment_frames=frames, random_per_segment=0, rigs_per_segment=1
        )
        cams = pool.cams.take(np.array([0]))
        pixels, x_cam, _ = render_windows(poses[None], cams, 0)
        if noisy:
            pixels = BatchNoise().apply(pixels, np.random.default_rng(i))
        x = normalize_batch(pixels, cams.size)[0]
        out.append(EvalSequence(f"synth_{i}/cam0", f"synth_{i}", "rig0", x, x_cam[0] - x_cam[0, :, :1]))
    return out


def synthetic_training_data(
    receptive_field: int, causal_shift: int, motions: int = 3, frames: int = 120, seed: int = 0
) -> TrainingData:
    bank = MotionBank.from_list(
        [synthetic_motion(frames, seed + i) for i in range(motions)], [f"synth_{i}" for i in range(motions)]
    )
    pool = CameraPool.build(
        bank, np.random.default_rng(seed), segment_frames=frames, random_per_segment=2, rigs_per_segment=1
    )
    sampler = WindowSampler(bank, pool, receptive_field, causal_shift)
    val = validation_windows(
        synthetic_sequences(receptive_field, False),
        synthetic_sequences(receptive_field, True),
        receptive_field,
        causal_shift,
        count=32,
    )
    return TrainingData(train=sampler, val=val)


def randomise_batchnorm(model: Any) -> None:
    """BatchNorm running statistics that are not the identity (mean ~ N(0, 0.2), variance in [0.5, 2]), so that
    equivalence tests see the folding of real statistics."""
    import torch

    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0.0, 0.2)
            elif name.endswith("running_var"):
                buf.uniform_(0.5, 2.0)
