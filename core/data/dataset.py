"""Training and validation samples for the lifters, synthesised from CMU motion capture.

A training sample is a window of ``receptive_field`` frames of normalised 2D joints (input) and the root-relative
camera-space 3D of its target frame (the centre frame, or the last one for a causal model) in metres, as in Liu et
al. 2020 §5.1 / VideoPose3D. Each sample is seen by its own virtual camera (``core.data.virtual_cameras``: a
Human3.6M-like rig camera or a random one), optionally mirrored (``core.skeleton.flip`` on 2D and 3D together) and
given detector-like 2D noise (``core.data.noise``).

Efficiency: every motion's 3D is computed once at 50 fps (``core.data.cmu``, cached) and concatenated into one
array, and cameras are fitted once per run (:class:`CameraPool`); a batch is one fancy-indexing gather of (B, n)
frame indices, one batched rotation, projection and normalisation (``core.data.render``) and the noise model on 16
long tracks (``core.data.batch_noise``). For 1024 windows of 81 frames that is ~0.5 s on one idle core, mostly the
noise; ``core.train`` draws the next batch in a background thread while the model trains on the current one.
Windows reaching past a motion's ends repeat its first/last frame (edge replication, as the evaluation pads whole
sequences).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..camera import Camera
from ..skeleton import flip
from . import virtual_cameras as vc
from .augment import random_bone_scales, recombine_limbs, scale_bones, tilt
from .batch_noise import BatchNoise
from .cmu import Motion, default_cache_dir, list_motions, load_h36m_joints, split_by_subject
from .extra_mocap import load_extra_motions
from .landmarks import convert
from .noise import NoiseConfig
from .render import CameraBatch, normalize_batch, render_windows, window_offsets
from .validation_set import FPS, ValidationWindows, cmu_validation_sequences, validation_windows

if TYPE_CHECKING:
    from .config import DataConfig


@dataclass
class MotionBank:
    """Motions concatenated along time: ``poses`` (N, J, 3) world metres (Z up); motion i is
    ``poses[starts[i]:starts[i] + lengths[i]]``."""

    poses: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def from_list(cls, motions: list[np.ndarray], names: list[str]) -> MotionBank:
        if not motions:
            raise ValueError("MotionBank needs at least one motion")
        for name, m in zip(names, motions):
            if m.ndim != 3 or m.shape[-1] != 3 or len(m) < 1:
                raise ValueError(f"motion {name}: expected (T, J, 3) world positions, got {m.shape}")
        lengths = np.array([len(m) for m in motions], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return cls(np.concatenate(motions).astype(np.float32), starts, lengths, tuple(names))

    @property
    def num_frames(self) -> int:
        return int(self.lengths.sum())

    @property
    def num_motions(self) -> int:
        return len(self.lengths)


@dataclass
class CameraPool:
    """Cameras fitted to short segments of the training motions, built once per run.

    Fitting a virtual camera (``virtual_cameras``: aim at the mean root, back away until everything is in view)
    costs milliseconds, far too much per sample; instead every ``segment_frames``-long piece of every motion gets
    ``random_per_segment`` random cameras and ``rigs_per_segment`` Human3.6M-like rigs (4 cameras each), and each
    window draws one of its segment's cameras. Columns ``[0, random)`` are random cameras, the rest rig cameras.
    """

    cams: CameraBatch  # (S * K) cameras, segment-major
    per_segment: int  # K
    random_per_segment: int
    segment_of_frame: np.ndarray  # (N,) segment index of every bank frame

    @classmethod
    def build(
        cls,
        bank: MotionBank,
        rng: np.random.Generator,
        segment_frames: int = 250,
        random_per_segment: int = 6,
        rigs_per_segment: int = 1,
        camera_config: vc.RandomCameraConfig | None = None,
    ) -> CameraPool:
        if random_per_segment + rigs_per_segment < 1 or segment_frames < 1:
            raise ValueError("CameraPool needs segment_frames >= 1 and at least one camera per segment")
        cameras: list[Camera] = []
        segment_of_frame = np.empty(bank.num_frames, dtype=np.int64)
        segment = 0
        for start, length in zip(bank.starts, bank.lengths):
            bounds = np.linspace(0, length, max(1, round(length / segment_frames)) + 1).round().astype(np.int64)
            for a, b in zip(bounds[:-1], bounds[1:]):
                joints = bank.poses[start + a : start + b]
                cameras += [vc.random_camera(joints, rng, camera_config) for _ in range(random_per_segment)]
                for _ in range(rigs_per_segment):
                    cameras += vc.h36m_like_rig(joints, rng)
                segment_of_frame[start + a : start + b] = segment
                segment += 1
        return cls(
            CameraBatch.stack(cameras), random_per_segment + 4 * rigs_per_segment, random_per_segment, segment_of_frame
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        c = self.cams
        np.savez(tmp, R=c.R, t=c.t, focal=c.focal, center=c.center, size=c.size, segment_of_frame=self.segment_of_frame,
                 counts=np.array([self.per_segment, self.random_per_segment]))  # fmt: skip
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> CameraPool:
        with np.load(path) as f:
            cams = CameraBatch(f["R"], f["t"], f["focal"], f["center"], f["size"])
            return cls(cams, int(f["counts"][0]), int(f["counts"][1]), f["segment_of_frame"])

    @classmethod
    def cached(cls, bank: MotionBank, seed: int, segment_frames: int, random_per_segment: int,
               rigs_per_segment: int, camera_config: vc.RandomCameraConfig | None = None,
               cache_dir: Path | None = None) -> CameraPool:  # fmt: skip
        """:meth:`build` with ``default_rng([seed, 7])``, cached as .npz (fitting thousands of cameras takes a
        minute). The key covers the motions, the settings and the source of ``virtual_cameras``."""
        key = hashlib.sha256(
            json.dumps(
                [
                    bank.names,
                    bank.lengths.tolist(),
                    seed,
                    segment_frames,
                    random_per_segment,
                    rigs_per_segment,
                    repr(camera_config or vc.RandomCameraConfig()),
                    Path(vc.__file__).read_text(),
                ]
            ).encode()
        ).hexdigest()[:32]
        path = (cache_dir or default_cache_dir()) / "camera_pools" / f"{key}.npz"
        if path.is_file():
            try:
                return cls.load(path)
            except (OSError, ValueError, KeyError):
                pass  # damaged cache file: rebuild it
        pool = cls.build(bank, np.random.default_rng([seed, 7]), segment_frames, random_per_segment, rigs_per_segment,
                         camera_config)  # fmt: skip
        pool.save(path)
        return pool

    def draw(self, rng: np.random.Generator, frames: np.ndarray, rig_fraction: float) -> CameraBatch:
        """One camera per sample from the segment of each target frame (B,), a rig camera with ``rig_fraction``."""
        B, K, k_rand = len(frames), self.per_segment, self.random_per_segment
        use_rig = rng.random(B) < rig_fraction if K > k_rand else np.zeros(B, dtype=bool)
        if k_rand == 0:
            use_rig[:] = True
        column = np.where(use_rig, k_rand + rng.integers(0, max(K - k_rand, 1), B), rng.integers(0, max(k_rand, 1), B))
        return self.cams.take(self.segment_of_frame[frames] * K + column)


# A window's camera was fitted to the segment of its first target frame, but the window reaches a receptive field
# beyond it: a person walking past the camera can end up at or behind its plane there, and the projection explodes
# (normalised 2D in the thousands in one window of epoch 59 of checkpoints/realvideo243_offline: that batch's loss
# rose from ≈ 115 to 322 mm and the validation error from 87.6 to 126 mm, recovering over two epochs). No detector
# reports such points, so those windows are drawn again: every joint of every frame at least MIN_DEPTH_M in front of
# the camera, every normalised coordinate within MAX_ABS_2D (the frame spans [-1, 1] across its width; MediaPipe
# places a landmark outside the frame by a fraction of its size; approximate, one run's data: a few windows in ten
# thousand exceeded 3, none 5).
MIN_DEPTH_M = 0.1
MAX_ABS_2D = 4.0
MAX_REDRAWS = 100  # rounds of drawing again before a sampler whose windows are never seeable gives up


class WindowSampler:
    """Draws random training windows (with replacement, uniform over all frames of all motions).

    A window holds ``targets`` consecutive target frames and the context they need (``receptive_field + targets -
    1`` frames): the model's sequence path then computes all of them in one pass and shares the first layer between
    them, so a window of K targets costs far less than K windows of one.
    """

    def __init__(
        self,
        bank: MotionBank,
        pool: CameraPool,
        receptive_field: int,
        causal_shift: int,
        *,
        rig_fraction: float = 0.3,
        flip_probability: float = 0.5,
        noise_probability: float = 0.7,
        noise: BatchNoise | None = None,
        targets: int = 1,
        bone_scale_std: float = 0.0,
        tilt_deg: float = 0.0,
        limb_swap: float = 0.0,
    ) -> None:
        if len(pool.segment_of_frame) != bank.num_frames:
            raise ValueError("the camera pool was built for another motion bank")
        if targets < 1:
            raise ValueError(f"targets per window must be >= 1, got {targets}")
        self.bank = bank
        self.pool = pool
        offsets = window_offsets(receptive_field, causal_shift)
        self.offsets = np.arange(offsets[0], offsets[-1] + targets)  # relative to the first target frame
        self.target_index = int(np.flatnonzero(self.offsets == 0)[0])
        self.targets = targets
        self.rig_fraction = rig_fraction
        self.flip_probability = flip_probability
        self.noise_probability = noise_probability
        self.noise = noise if noise is not None else BatchNoise()
        self.bone_scale_std = bone_scale_std
        self.tilt_deg = tilt_deg
        self.limb_swap = limb_swap

    @property
    def num_frames(self) -> int:
        return self.bank.num_frames

    @property
    def num_motions(self) -> int:
        return self.bank.num_motions

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Returns x (B, n + K - 1, J, 2) normalised 2D and y (B, K, J, 3) root-relative camera-space 3D of the K
        target frames, float32 (n = receptive field, K = ``targets``). Windows no camera can see (a joint behind or
        almost on its plane, 2D far outside the frame: MIN_DEPTH_M, MAX_ABS_2D) are drawn again in their places, so a
        batch without one is exactly the batch drawn before this rule."""
        x, y, seen = self.plain_draw(rng, batch)
        for _ in range(MAX_REDRAWS):
            if seen.all():
                return x, y
            again = np.flatnonzero(~seen)
            x[again], y[again], seen[again] = self.plain_draw(rng, len(again))
        raise ValueError(f"{(~seen).sum()} of {batch} training windows stayed unseeable after {MAX_REDRAWS} redraws: "
                         "the cameras do not frame these motions")  # fmt: skip

    def plain_draw(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, y as :meth:`sample`, and (B,) bool: the window can be seen (every joint at least MIN_DEPTH_M in front
        of the camera, every normalised coordinate within MAX_ABS_2D)."""
        bank = self.bank
        g = rng.integers(0, bank.num_frames, size=batch)
        m = np.searchsorted(bank.starts, g, side="right") - 1
        lo, hi = bank.starts[m], bank.starts[m] + bank.lengths[m] - 1
        idx = np.clip(g[:, None] + self.offsets[None, :], lo[:, None], hi[:, None])
        world = bank.poses[idx]  # (B, n + K - 1, J, 3)
        if self.bone_scale_std > 0:
            world = scale_bones(world, random_bone_scales(rng, batch, self.bone_scale_std))
        if self.limb_swap > 0:  # after the bone scaling: each limb keeps its recipient's proportions
            world = recombine_limbs(world, rng, self.limb_swap)
        if self.tilt_deg > 0:
            world = tilt(world, rng, self.tilt_deg)
        cams = self.pool.draw(rng, g, self.rig_fraction)
        pixels, x_cam, _ = render_windows(world, cams, self.target_index)
        in_front = x_cam[..., 2].min(axis=(1, 2)) >= MIN_DEPTH_M
        t = self.target_index + np.arange(self.targets)
        y = x_cam[:, t] - x_cam[:, t, :1]
        noisy = rng.random(batch) < self.noise_probability
        if noisy.any():
            pixels[noisy] = self.noise.apply(pixels[noisy], rng)
        x = normalize_batch(pixels, cams.size)
        flipped = rng.random(batch) < self.flip_probability
        x[flipped] = flip(x[flipped])
        y[flipped] = flip(y[flipped])
        seen = in_front & (np.abs(x).max(axis=(1, 2, 3)) <= MAX_ABS_2D)
        return x.astype(np.float32), y.astype(np.float32), seen


@dataclass
class TrainingData:
    train: WindowSampler
    val: ValidationWindows


def _load_bank(motions: list[Motion], cfg: DataConfig, repo_root: Path, joints: str) -> MotionBank:
    """CMU motions plus the configured extra sets, in the model's joint definition (``core.data.landmarks``)."""
    poses = [load_h36m_joints(m, FPS) for m in motions]
    names = [m.name for m in motions]
    sources = [m.skeleton for m in motions]
    if cfg.extra_sets:
        extra, extra_names = load_extra_motions(resolve_path(cfg.extra_root, repo_root), cfg.extra_sets)
        poses, names = poses + extra, names + extra_names
        sources += [n.split("/", 1)[0] for n in extra_names]
    return MotionBank.from_list([convert(p, joints, s) for p, s in zip(poses, sources)], names)


def resolve_path(root: str | Path, repo_root: Path) -> Path:
    """A configured path: absolute as given, else from the repository root."""
    root = Path(root)
    return root if root.is_absolute() else (repo_root / root).resolve()


def training_motions(cfg: DataConfig, root: Path) -> list[Motion]:
    """The CMU motions to train on: the configured sources, validation subjects removed, capped by max_motions."""
    train, _ = split_by_subject(list_motions(root), cfg.val_subjects)
    train = [m for m in train if m.skeleton in cfg.sources]
    if cfg.max_motions:
        train = train[: cfg.max_motions]
    if not train:
        raise ValueError(f"no training motions in {root} for sources {list(cfg.sources)}")
    return train


@dataclass
class TrainingSources:
    """What :func:`build_training_data` reads from ``../shared/data`` and fits once per run: the training motions,
    their camera pool (which depends on the run's seed) and the validation sequences, in one joint definition.
    ``core.train.data_pack`` stores it so a machine without ``../shared`` (a lent GPU) can train the same run."""

    bank: MotionBank
    pool: CameraPool
    val_clean: list
    val_noisy: list


def load_training_sources(cfg: DataConfig, repo_root: Path, seed: int = 1, joints: str = "skeleton") -> TrainingSources:
    """The motions (validation subjects excluded), the camera pool and the validation sequences of ``cfg``."""
    root = resolve_path(cfg.cmu_root, repo_root)
    bank = _load_bank(training_motions(cfg, root), cfg, repo_root, joints)
    cameras = vc.RandomCameraConfig.preset(cfg.cameras)
    pool = CameraPool.cached(bank, seed, cfg.segment_frames, cfg.random_cameras_per_segment, cfg.rigs_per_segment,
                             cameras)  # fmt: skip
    clean = cmu_validation_sequences(root, cfg.val_subjects, noisy=False, seed=cfg.val_seed, joints=joints)
    noisy = cmu_validation_sequences(root, cfg.val_subjects, noisy=True, seed=cfg.val_seed, joints=joints)
    return TrainingSources(bank, pool, clean, noisy)


def assemble_training_data(
    sources: TrainingSources, cfg: DataConfig, receptive_field: int, causal_shift: int
) -> TrainingData:
    """The window sampler and the fixed validation windows of a model with this receptive field and shift."""
    noise = NoiseConfig.training() if cfg.noise == "training" else NoiseConfig()
    sampler = WindowSampler(
        sources.bank,
        sources.pool,
        receptive_field,
        causal_shift,
        rig_fraction=cfg.rig_camera_fraction,
        flip_probability=cfg.flip_probability,
        noise_probability=cfg.noise_probability,
        noise=BatchNoise(noise),
        targets=cfg.targets_per_window,
        bone_scale_std=cfg.bone_scale_std,
        tilt_deg=cfg.tilt_deg,
        limb_swap=cfg.limb_swap_probability,
    )
    val = validation_windows(sources.val_clean, sources.val_noisy, receptive_field, causal_shift, cfg.val_windows)
    return TrainingData(train=sampler, val=val)


def build_training_data(
    cfg: DataConfig, receptive_field: int, causal_shift: int, repo_root: Path, seed: int = 1, joints: str = "skeleton"
) -> TrainingData:
    """Loads the training motions (validation subjects excluded) and the fixed validation windows, all in the
    ``joints`` definition of the model being trained."""
    sources = load_training_sources(cfg, repo_root, seed, joints)
    return assemble_training_data(sources, cfg, receptive_field, causal_shift)
