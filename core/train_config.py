"""Typed training configuration, loaded from one TOML file per experiment (``configs/*.toml``).

Sections: ``[model]`` (:class:`core.models.LifterConfig`), ``[data]`` (:class:`DataConfig`), ``[optim]``
(:class:`OptimConfig`) and ``[run]`` (:class:`RunConfig`). Every unknown key, section or wrongly typed value is an
error that names the file, section and key, so a typo can never silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models.config import LifterConfig


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
    targets_per_window: int = 1  # consecutive target frames per window, computed in one pass (sequence path)

    def __post_init__(self) -> None:
        if not self.val_subjects:
            raise ConfigError("data.val_subjects must name at least one held-out subject")
        bad = set(self.sources) - {"mb", "daz"}
        if bad or not self.sources:
            raise ConfigError(f"data.sources must be a non-empty subset of ['mb', 'daz'], got {list(self.sources)}")
        for name in ("rig_camera_fraction", "flip_probability", "noise_probability"):
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


@dataclass
class OptimConfig:
    """Paper settings as defaults (Liu et al. 2020 §5.1; Ranger as in the authors' code)."""

    epochs: int = 80
    batch_size: int = 1024  # global batch; split evenly across distributed ranks
    lr: float = 1e-3
    lr_end: float = 1e-5
    betas: tuple[float, float] = (0.95, 0.999)
    eps: float = 1e-5
    weight_decay: float = 0.0
    lookahead_alpha: float = 0.5
    lookahead_k: int = 6
    bn_momentum_start: float = 0.1
    bn_momentum_end: float = 0.001

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(f"optim.epochs and optim.batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if not 0 < self.lr_end <= self.lr:
            raise ConfigError(f"optim needs 0 < lr_end <= lr, got lr={self.lr}, lr_end={self.lr_end}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ConfigError(f"optim.betas must be two numbers in [0, 1), got {self.betas}")
        if not 0 < self.bn_momentum_end <= self.bn_momentum_start <= 1:
            raise ConfigError("optim needs 0 < bn_momentum_end <= bn_momentum_start <= 1")


@dataclass
class RunConfig:
    """Reproducibility and resource limits of one run."""

    seed: int = 1
    max_minutes: float = 0.0  # wall-clock cap (0 = none); the run stops cleanly after the batch that crosses it
    threads: int = 0  # torch intra-op threads per process (0 = leave PyTorch's default)
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    flip_tta: bool = True  # flip test-time augmentation in validation
    log_every: int = 10  # steps between JSON-lines log records

    def __post_init__(self) -> None:
        if self.max_minutes < 0 or self.threads < 0 or self.log_every < 1:
            raise ConfigError("run.max_minutes and run.threads must be >= 0, run.log_every >= 1")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"run.device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")


@dataclass
class TrainConfig:
    model: LifterConfig
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        if self.model.fps != 50.0:  # core.data resamples every training motion to 50 fps
            raise ConfigError(f"[model] fps must be 50 (the rate of the training motions), got {self.model.fps}")

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "<dict>") -> TrainConfig:
        unknown = set(d) - {"model", "data", "optim", "run"}
        if unknown:
            raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; expected model, data, optim, run")
        if "model" not in d:
            raise ConfigError(f"{source}: the [model] section is required")
        try:
            model = LifterConfig.from_dict(dict(d["model"]))
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"{source}: [model]: {exc}") from exc
        return cls(
            model=model,
            data=_section(DataConfig, d.get("data", {}), f"{source}: [data]"),
            optim=_section(OptimConfig, d.get("optim", {}), f"{source}: [optim]"),
            run=_section(RunConfig, d.get("run", {}), f"{source}: [run]"),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        with path.open("rb") as f:
            try:
                raw = tomllib.load(f)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        return cls.from_dict(raw, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.to_dict(),
            "data": _plain(dataclasses.asdict(self.data)),
            "optim": _plain(dataclasses.asdict(self.optim)),
            "run": _plain(dataclasses.asdict(self.run)),
        }


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    """Tuples become lists so the dict is TOML/JSON-like and safe for ``torch.load(weights_only=True)``."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


T = typing.TypeVar("T")


def _section(cls: type[T], values: dict[str, Any], where: str) -> T:
    """Builds dataclass ``cls`` from ``values``, checking key names and value types against the annotations."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a table, got {type(values).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - names
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(names)}")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        args = typing.get_args(hint)
        item = args[0]
        return tuple(_coerce(v, item, f"{where}[]") for v in value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    if hint is int or hint is bool or hint is str:
        if type(value) is not hint:
            raise ConfigError(f"{where} must be {hint.__name__}, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported field type {hint}")
