"""Typed configuration of the 2D-to-3D lifters (attention TCN of Liu et al. 2020 and the VideoPose3D baseline).

Every geometric quantity (receptive field, dilations, strides, anchors) is derived from ``filter_widths`` by
:mod:`core.models.geometry`; the config only says *what* network to build.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ARCHS = ("attention", "videopose")
ACTIVATIONS = ("mish", "relu")
# Which points the 2D input and 3D output joints are (core.data.landmarks): "skeleton" = mocap skeleton joints (the
# first shipped weights), "landmarks" = the detector's points (thorax = mid-shoulders, neck = nose, ...),
# "mediapipe" = those points with MediaPipe's landmark proportions.
JOINT_DEFINITIONS = ("skeleton", "landmarks", "mediapipe")


@dataclass
class LifterConfig:
    """Hyper-parameters of one lifter.

    Attributes:
        arch: "attention" (Liu et al., CVPR 2020) or "videopose" (Pavllo et al., CVPR 2019 baseline).
        num_joints: J, joints in and out (17 for the Human3.6M skeleton).
        filter_widths: temporal kernel of each layer, odd and >= 3; the receptive field is their product
            (3,3,3)=27, (3,3,3,3)=81, (3,3,3,3,3)=243, (3,5,5)=75, (3,7,7,7)=1029, ...
        channels: C, feature channels of every layer (paper: 1024).
        dropout: dropout probability after every activation (paper: 0.2).
        causal: only past frames (paper §5.2); the output is the last frame of the window.
        branches: M, kernel-attention branches with dilations 1..M (paper §3.3, default 3; attention only).
        groups: G, groups of the branch convolutions (paper: 8; attention only; must divide channels).
        reduction: r, width of the kernel-attention bottleneck (paper: 128; attention only).
        activation: "mish" or "relu"; None picks the paper's choice (mish for attention, relu for videopose).
        joints: the joint definition the model was trained on (``JOINT_DEFINITIONS``); evaluation renders its data
            the same way. Older model files lack the key and mean "skeleton".
        fps: the frame rate of the training motions; clips are lifted at this rate (``core.lift.lift_timed``).
    """

    arch: str = "attention"
    num_joints: int = 17
    filter_widths: tuple[int, ...] = (3, 3, 3, 3, 3)
    channels: int = 1024
    dropout: float = 0.2
    causal: bool = False
    branches: int = 3
    groups: int = 8
    reduction: int = 128
    activation: str | None = None
    joints: str = "skeleton"
    fps: float = 50.0

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        if isinstance(self.filter_widths, str | bytes) or not hasattr(self.filter_widths, "__iter__"):
            raise ValueError(f"filter_widths must be a sequence of odd integers, got {self.filter_widths!r}")
        widths = tuple(self.filter_widths)
        if not widths:
            raise ValueError("filter_widths must not be empty")
        for w in widths:
            if isinstance(w, bool) or not isinstance(w, int):
                raise ValueError(f"filter_widths must hold integers, got {w!r} in {widths}")
            if w < 3 or w % 2 == 0:
                raise ValueError(
                    f"every filter width must be odd and >= 3 (a centred kernel needs an odd width), "
                    f"got {w} in {widths}"
                )
        if self.arch == "attention" and len(widths) < 2:
            raise ValueError(
                f"the attention lifter needs at least 2 filter widths (an expansion layer and one attention layer), "
                f"got {widths}"
            )
        self.filter_widths = widths
        _check_int("num_joints", self.num_joints, 1)
        _check_int("channels", self.channels, 1)
        _check_int("branches", self.branches, 1)
        _check_int("groups", self.groups, 1)
        _check_int("reduction", self.reduction, 1)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {self.dropout!r}")
        self.dropout = float(self.dropout)
        if not isinstance(self.causal, bool):
            raise ValueError(f"causal must be true or false, got {self.causal!r}")
        if self.arch == "attention" and self.channels % self.groups:
            raise ValueError(f"channels ({self.channels}) must be divisible by groups ({self.groups})")
        if isinstance(self.fps, bool) or not isinstance(self.fps, int | float) or not self.fps > 0:
            raise ValueError(f"fps must be a positive number, got {self.fps!r}")
        self.fps = float(self.fps)
        if self.joints not in JOINT_DEFINITIONS:
            raise ValueError(f"joints must be one of {JOINT_DEFINITIONS}, got {self.joints!r}")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS} or None, got {self.activation!r}")

    @property
    def act(self) -> str:
        """The activation actually used (resolves the None default per architecture)."""
        if self.activation is not None:
            return self.activation
        return "mish" if self.arch == "attention" else "relu"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LifterConfig:
        """Builds a config from a plain dict (TOML/JSON); unknown keys are an error, lists become tuples."""
        if not isinstance(d, dict):
            raise ValueError(f"a lifter config must be a dict, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown lifter config key(s) {unknown}; known keys: {sorted(known)}")
        values = dict(d)
        if "filter_widths" in values and isinstance(values["filter_widths"], list):
            values["filter_widths"] = tuple(values["filter_widths"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-friendly dict (tuples become lists, a None activation is left out); round-trips via from_dict."""
        d = asdict(self)
        d["filter_widths"] = list(self.filter_widths)
        if d["activation"] is None:
            del d["activation"]  # TOML has no null; absent means "the architecture's default"
        return d


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
