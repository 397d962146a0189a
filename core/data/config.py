"""How training samples are synthesised: the ``[data]`` section of a training config (``core.train.config``).

Read by ``core.data.dataset.build_training_data``; every value is validated here so a typo fails before any work.
"""

from __future__ import annotations

from dataclasses import dataclass


class ConfigError(ValueError):
    """A training configuration is malformed (unknown key, wrong type, value out of range)."""


@dataclass
class DataConfig:
    """Where the motions come from and how training samples are synthesised (see core/data/dataset.py)."""

    cmu_root: str = "../shared/data/cmu"  # relative paths are resolved against the repository root
    val_subjects: tuple[str, ...] = ("08",)  # CMU "mb" subjects held out for validation, never trained on
    sources: tuple[str, ...] = ("mb", "daz")  # which CMU conversions to train on
    max_motions: int = 0  # 0 = all; > 0 keeps the first N training motions (tests, smoke runs)
    samples_per_epoch: int = 131072  # windows drawn (with replacement) per epoch
    rig_camera_fraction: float = 0.3  # share of samples seen by a Human3.6M-like rig camera (the rest: random)
    segment_frames: int = 250  # cameras are fitted per motion segment of this many frames (5 s at 50 fps)
    random_cameras_per_segment: int = 6
    rigs_per_segment: int = 1  # Human3.6M-like rigs (4 cameras each) per segment
    flip_probability: float = 0.5  # horizontal flip with left/right swap (2D and 3D together)
    noise_probability: float = 0.7  # share of samples given detector-like 2D noise
    val_windows: int = 4096  # windows per condition (clean / noisy) for the per-epoch validation
    val_seed: int = 8  # fixes the validation cameras and noise
    extra_root: str = "../shared/data/extra_mocap"  # relative paths are resolved against the repository root
    extra_sets: tuple[str, ...] = ()  # "cmu_extra", "hdm05" (CC BY-SA: say so in the model card)
    cameras: str = "wide"  # random-camera ranges: "wide" (how people film) or "narrow" (the first weights')
    noise: str = "measured"  # 2D noise: "measured" (NoiseConfig defaults) or "training" (NoiseConfig.training)
    bone_scale_std: float = 0.0  # log-std of the per-sample bone-length factors (core.data.augment), 0 = off
    tilt_deg: float = 0.0  # largest whole-body lean added per window, 0 = off
    limb_swap_probability: float = 0.0  # share of windows given one limb's motion from another window, 0 = off
    targets_per_window: int = 1  # consecutive target frames per window, computed in one pass (sequence path)

    def __post_init__(self) -> None:
        if not self.val_subjects:
            raise ConfigError("data.val_subjects must name at least one held-out subject")
        bad = set(self.sources) - {"mb", "daz"}
        if bad or not self.sources:
            raise ConfigError(f"data.sources must be a non-empty subset of ['mb', 'daz'], got {list(self.sources)}")
        for name in ("rig_camera_fraction", "flip_probability", "noise_probability", "limb_swap_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"data.{name} must be in [0, 1], got {value}")
        if self.segment_frames < 1 or self.random_cameras_per_segment < 0 or self.rigs_per_segment < 0:
            raise ConfigError("data.segment_frames must be >= 1, camera counts per segment >= 0")
        if self.random_cameras_per_segment + self.rigs_per_segment == 0:
            raise ConfigError("data needs at least one camera per segment (random_cameras_per_segment or rigs)")
        if set(self.extra_sets) - {"cmu_extra", "hdm05"}:
            raise ConfigError(f"data.extra_sets must be among 'cmu_extra', 'hdm05', got {list(self.extra_sets)}")
        if self.cameras not in ("wide", "narrow") or self.noise not in ("measured", "training"):
            raise ConfigError("data.cameras must be 'wide' or 'narrow', data.noise 'measured' or 'training'")
        if not 0 <= self.bone_scale_std <= 0.5 or not 0 <= self.tilt_deg <= 60 or self.targets_per_window < 1:
            raise ConfigError("data.bone_scale_std must be in [0, 0.5], tilt_deg in [0, 60], targets_per_window >= 1")
        if self.samples_per_epoch < 1 or self.val_windows < 1 or self.max_motions < 0:
            raise ConfigError("data.samples_per_epoch and data.val_windows must be >= 1, data.max_motions >= 0")
