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

from ..data.config import ConfigError, DataConfig
from ..models.config import LifterConfig

__all__ = ["ConfigError", "DataConfig", "OptimConfig", "RunConfig", "TrainConfig"]


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
    # A finished model file (model.pt, path from the repository root) whose weights start the run instead of random
    # ones: a second schedule for a trained network without its optimiser state (core.train.init_weights). "" = none.
    init_from: str = ""

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
    data_workers: int = 1  # 1: one background thread draws the next batch; N > 1: N forked processes (GPU runs)
    flip_tta: bool = True  # flip test-time augmentation in validation
    log_every: int = 10  # steps between JSON-lines log records

    def __post_init__(self) -> None:
        if self.max_minutes < 0 or self.threads < 0 or self.log_every < 1 or self.data_workers < 1:
            raise ConfigError("run.max_minutes and run.threads must be >= 0, run.log_every and run.data_workers >= 1")
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
