"""Gravity read from the image: the camera-space up direction a small network infers from each frame's 2D pose.

The up direction of ``core.world.ground`` (the centre of mass over the planted feet) inherits the lifter's
camera-space pose, whose pitch regresses towards a level camera (``python -m core.eval.world --true-3d``: placing the
true 3D halves the up error). This model is a second, independent reading: how an upright person looks from a
camera at this pitch and roll — foreshortening, and where in the frame the body stands (normalised screen
coordinates keep the position and the aspect, which carry the perspective). It errs differently from the support
estimate, and their mean is better than either on the synthetic clips and on both Pose2Sim views
(``core.eval.world``; docs/capture.md).

The network is a multilayer perceptron (ReLU) from one frame's 17 joints to an up vector, trained by
``python -m core.world.gravity_fit`` on CMU motion capture of the training subjects seen by the random cameras of
training with the detector-like noise; inference is NumPy (capture does not import torch). A clip's estimate is the
normalised mean of its frames' unit vectors, each frame read as it is and mirrored (flip test-time augmentation).

Camera space: x right, y down, z forward; up is -y for a level camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..camera import normalize_screen_coordinates
from ..retarget.rotations import unit
from ..skeleton import flip
from .model_file import Layers, layers_chain, perceptron, read_model_file, write_model_file

FORMAT = "video-mocap gravity model v1"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "weights" / "gravity.json"
INPUT = "17 joints (H36M order, MediaPipe definition), normalised screen coordinates, x then y"


class GravityModelError(ValueError):
    """A gravity-model file that is missing, damaged or of another format."""


@dataclass(frozen=True)
class GravityModel:
    """``layers``: (weight (out, in), bias (out,)) pairs, ReLU between them, 34 inputs and 3 outputs; ``info``: how
    it was made (data, command, training figures)."""

    layers: Layers
    info: dict

    def __post_init__(self) -> None:
        if not layers_chain(self.layers, 34, 3):
            sizes = [w.shape for w, _ in self.layers]
            raise GravityModelError(f"gravity model layers do not chain from 34 inputs to 3 outputs: {sizes}")

    def per_frame(self, xy_norm: np.ndarray) -> np.ndarray:
        """(T, 17, 2) normalised screen coordinates → (T, 3) unit up vectors in camera space, each the mean of the
        frame's reading and its mirror image's (x negated back)."""
        up = unit(self._forward(xy_norm))
        mirrored = unit(self._forward(flip(xy_norm[:, None])[:, 0]))
        mirrored[:, 0] *= -1.0
        return unit(up + mirrored)

    def clip_up(self, xy_px: np.ndarray, width: int, height: int) -> np.ndarray:
        """(T, 17, 2) pixels of a clip (or a window of it) → (3,) its up direction: the normalised mean over the
        frames with every joint present (a level camera's up, (0, -1, 0), if there is none)."""
        per_frame = self.per_frame(normalize_screen_coordinates(np.asarray(xy_px, np.float64), width, height))
        finite = np.isfinite(per_frame).all(axis=1)
        if not finite.any():
            return np.array([0.0, -1.0, 0.0])
        return unit(per_frame[finite].mean(axis=0))

    def _forward(self, xy_norm: np.ndarray) -> np.ndarray:
        return perceptron(self.layers, np.asarray(xy_norm, np.float64).reshape(len(xy_norm), -1))

    def numbers(self) -> dict:
        return {"input": INPUT, "layers": [{"weight": w.tolist(), "bias": b.tolist()} for w, b in self.layers]}

    def save(self, path: str | Path) -> None:
        write_model_file(path, FORMAT, self.numbers(), self.info)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> GravityModel:
        numbers, info = read_model_file(path, FORMAT, ("input", "layers"), GravityModelError, "gravity model")
        if numbers["input"] != INPUT:
            raise GravityModelError(f"{path} reads another input than this code gives it: {numbers['input']!r}")
        try:
            layers = tuple((np.asarray(x["weight"], float), np.asarray(x["bias"], float)) for x in numbers["layers"])
        except (TypeError, KeyError, ValueError) as exc:
            raise GravityModelError(f"{path}: malformed layers: {exc}") from exc
        return cls(layers, info)
