"""What every NumPy lifter shares (``core.lifter_numpy``: the attention lifter; ``core.videopose_numpy``: the
VideoPose3D lifter): the config fields inference reads, the activations, folded BatchNorm, and the flip-TTA
predict of one padded sequence. No torch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lifter_geometry import receptive_field
from .skeleton import flip

BN_EPS = 1e-5  # torch.nn.BatchNorm1d's default
# The paper's activation per architecture where a config leaves it out (core.models.config.LifterConfig.act).
DEFAULT_ACTIVATION = {"attention": "mish", "videopose": "relu"}


@dataclass(frozen=True)
class NumpyConfig:
    """The fields of a lifter's config that inference reads (``core.models.config.LifterConfig``'s names)."""

    arch: str
    filter_widths: tuple[int, ...]
    causal: bool
    channels: int
    branches: int
    groups: int
    num_joints: int
    activation: str
    fps: float

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> NumpyConfig:
        arch = str(config.get("arch"))
        return cls(arch, tuple(int(k) for k in config["filter_widths"]), bool(config["causal"]),
                   int(config["channels"]), int(config.get("branches", 1)), int(config.get("groups", 1)),
                   int(config["num_joints"]), config.get("activation") or DEFAULT_ACTIVATION.get(arch, "mish"),
                   float(config.get("fps", 50.0)))  # fmt: skip


def mish(x: np.ndarray) -> np.ndarray:
    """x · tanh(softplus(x)) = x − 2x / ((1 + eˣ)² + 1) (core.models.blocks), in one buffer (≈ 1.6× faster than
    the expression's temporaries on the 2-core machine)."""
    e = np.minimum(x, 20.0)
    np.exp(e, out=e)
    e += 1.0
    np.square(e, out=e)
    e += 1.0
    np.divide(x, e, out=e)
    e *= -2.0
    e += x
    return e


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


ACTIVATIONS = {"mish": mish, "relu": relu}


def folded_bn(w: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """An eval-mode BatchNorm ``prefix`` as (scale, shift): y = x · scale + shift, per channel (C,)."""
    scale = w[prefix + ".weight"] / np.sqrt(w[prefix + ".running_var"] + BN_EPS)
    return scale, w[prefix + ".bias"] - w[prefix + ".running_mean"] * scale


class NumpyModel:
    """What a NumPy lifter of architecture ``arch`` shares: its config, activation and window geometry, and
    ``predict`` from its ``sequence((T_in, J, 2)) -> (T_in - rf + 1, J, 3)``."""

    arch = ""

    def __init__(self, config: dict[str, Any]) -> None:
        if config.get("arch") != self.arch:
            raise ValueError(f"{type(self).__name__} runs the {self.arch} lifter, not {config.get('arch')!r}")
        self.config = NumpyConfig.from_dict(config)
        self.act = ACTIVATIONS[self.config.activation]
        self.receptive_field = receptive_field(self.config.filter_widths)
        self.causal_shift = (self.receptive_field - 1) // 2 if self.config.causal else 0

    def sequence(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def predict(self, x: np.ndarray, tta: bool = True) -> np.ndarray:
        """``core.models.predict`` for one padded sequence (T_in, J, 2): root zeroed, flip TTA averaged.

        The mirrored pass runs in a second thread: NumPy releases the GIL in its products and element-wise loops,
        and OpenBLAS's own threads gain nothing at these sizes (the measurements: ``core.blas_threads``).
        """
        if not tta:
            pred = self.sequence(x)
        else:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lift-mirror") as mirror:
                mirrored = mirror.submit(self.sequence, flip(x))
                pred = 0.5 * (self.sequence(x) + flip(mirrored.result()))
        pred[:, 0] = 0.0
        return pred
