"""Foot contacts learned from rendered motion capture: a small perceptron over a few per-frame cues.

The rule of ``core.world.contacts`` (image speed below 0.5 m/s, the lower foot) reads one cue at one time scale, and
MediaPipe-like 2D noise is temporally correlated, so no single speed separates a planted foot from a slowly moving
one (a heel-off, a shuffle). This model weighs several cues per foot and frame (:func:`contact_features`):

* the foot's image speed over 0.04, 0.12, 0.24 and 0.4 s, and one-sided (the 0.12 s after, the 0.12 s before: a
  contact's first and last frames are still on one side), in m/s at the body's depth;
* its height above the lower foot along the current up direction, and its lifted 3D speed relative to the pelvis;
* the other foot's image speed and height, the pelvis's image speed;
* the 0.12 s speed 0.06 and 0.12 s before and after (context).

Speeds enter as log(v + 0.05 m/s). The cues interact (a slow foot that is high up is a raised foot held still, not a
planted one), so two hidden layers of ReLU units read them, not one weighted sum: on held-out CMU training motions
the mean F1 of precision and recall is 0.815 for a logistic regression and 0.846 for the perceptron
(``python -m core.world.contact_fit --cross-validate --hidden 0 32``).
The weights are fitted by ``python -m core.world.contact_fit`` on CMU training subjects (never subject 08, which
``core.eval.world`` measures) and CMU's extra walkers rendered through random cameras with the calibrated detector
noise and lifted by the shipped offline lifter, against the contacts of the mocap (``core.eval.world``'s
definition); the decision threshold is the one with the best F1 on those training clips. They live in
``weights/contacts.json`` with the data, the lifter and a sha256 of the numbers. The cues look ahead, so live mode
uses a causal twin (``causal_contact_features``: speeds over the span before each frame, context from the past;
``weights/contacts_causal.json``, ``python -m core.world.contact_fit --causal --hidden 0``: a logistic regression,
since the perceptron fitted the same way called no contact on a perfectly steady pose), computed by
``core.live.post`` on a bounded history with the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..skeleton import JOINT_INDEX
from .contacts import FEET, baseline_speed, clean_runs, heights_above_lowest
from .model_file import Layers, layers_chain, perceptron, read_model_file, write_model_file

BASELINES_S = (0.04, 0.12, 0.24, 0.4)
CONTEXT_S = (-0.12, -0.06, 0.06, 0.12)
SPEED_FLOOR_M_S = 0.05  # log(v + floor): jitter-level speeds do not dominate the scale
FEATURES = (
    *(f"log speed {b} s" for b in BASELINES_S), "log speed after", "log speed before", "height above lower foot",
    "log 3D speed to pelvis", "log other foot speed", "other foot height", "log pelvis speed",
    *(f"log speed at {c:+} s" for c in CONTEXT_S),
)  # fmt: skip
# Live mode's model sees the past only: speeds over the span before each frame, context before it.
CAUSAL_CONTEXT_S = (-0.12, -0.06)
FEATURES_CAUSAL = (
    *(f"log speed last {b} s" for b in BASELINES_S), "height above lower foot", "log 3D speed to pelvis last 0.12 s",
    "log other foot speed last 0.12 s", "other foot height", "log pelvis speed last 0.12 s",
    *(f"log speed last 0.12 s at {c:+} s" for c in CAUSAL_CONTEXT_S),
)  # fmt: skip
FORMAT = "video-mocap contact model v2"  # v2: a perceptron's layers (v1: one logistic weight vector)
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "weights" / "contacts.json"
DEFAULT_CAUSAL_PATH = DEFAULT_PATH.with_name("contacts_causal.json")
HISTORY_S = max(BASELINES_S) - min(CAUSAL_CONTEXT_S)  # how far back the causal cues of one frame reach


class ContactModelError(ValueError):
    """A contact-model file that is missing, damaged or of another format."""


def _log(v: np.ndarray) -> np.ndarray:
    return np.log(v + SPEED_FLOOR_M_S)


def one_sided_speeds(points: np.ndarray, times: np.ndarray, span_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, F, C) positions, (T,) times → ((T, F) speed over the ``span_s`` after each frame, (T, F) over the span
    before it); at the clip's ends the side that exists stands in for the missing one."""
    T = len(points)
    if T < 2:
        z = np.zeros(points.shape[:2])
        return z, z
    n = max(1, int(round(span_s / float(np.median(np.diff(times))))))
    idx = np.arange(T)
    hi, lo = np.minimum(idx + n, T - 1), np.maximum(idx - n, 0)
    after = np.linalg.norm(points[hi] - points, axis=-1) / np.maximum(times[hi] - times, 1e-9)[:, None]
    before = np.linalg.norm(points - points[lo], axis=-1) / np.maximum(times - times[lo], 1e-9)[:, None]
    after[-1], before[0] = before[-1], after[0]
    return after, before


def contact_features(xy_px: np.ndarray, times: np.ndarray, px_per_m: np.ndarray, pose: np.ndarray,
                     up: np.ndarray) -> np.ndarray:  # fmt: skip
    """(T, 17, 2) pixels (camera motion removed), (T,) times, (T,) pixels per metre, (T, 17, 3) root-relative lifted
    pose in metres (camera space), (3,) unit up → (T, 2, len(FEATURES)) cues of the left and right foot."""
    return _cues(xy_px, times, px_per_m, pose, up, causal=False)


def _cues(xy_px: np.ndarray, times: np.ndarray, px_per_m: np.ndarray, pose: np.ndarray, up: np.ndarray,
          causal: bool) -> np.ndarray:  # fmt: skip
    """Both models' cues, in the order of FEATURES (offline: centred speeds, one-sided speeds, context on both
    sides) or FEATURES_CAUSAL (speeds over the span before each frame, context before it)."""

    def speed(points: np.ndarray, span_s: float) -> np.ndarray:
        return trailing_speed(points, times, span_s) if causal else baseline_speed(points, times, span_s, True)

    feet_px = xy_px[:, list(FEET)]
    scale = np.maximum(px_per_m, 1e-6)[:, None]
    speeds = [speed(feet_px, b) / scale for b in BASELINES_S]  # each (T, 2)
    sided = [] if causal else [s / scale for s in one_sided_speeds(feet_px, times, 0.12)]  # after, before
    pelvis = speed(xy_px[:, [JOINT_INDEX["pelvis"]]], 0.12)[:, 0] / scale[:, 0]
    height = heights_above_lowest(pose[:, list(FEET)], up)
    to_pelvis = speed(pose[:, list(FEET)] - pose[:, :1], 0.12)
    T = len(times)
    dt = float(np.median(np.diff(times))) if T > 1 else 1.0
    context = CAUSAL_CONTEXT_S if causal else CONTEXT_S
    ctx = [np.clip(np.arange(T) + int(round(c / dt)), 0, T - 1) for c in context]
    out = np.empty((T, 2, len(FEATURES_CAUSAL if causal else FEATURES)))
    for j in range(2):
        o = 1 - j
        cols = [_log(s[:, j]) for s in speeds + sided]
        cols += [height[:, j], _log(to_pelvis[:, j]), _log(speeds[1][:, o]), height[:, o], _log(pelvis)]
        cols += [_log(speeds[1][k, j]) for k in ctx]
        out[:, j] = np.stack(cols, axis=-1)
    return out


def trailing_speed(points: np.ndarray, times: np.ndarray, span_s: float) -> np.ndarray:
    """(T, F, C) positions, (T,) times → (T, F) speed over the ``span_s`` before each frame (over what there is at
    the clip's start; 0 at its first frame)."""
    T = len(points)
    if T < 2:
        return np.zeros(points.shape[:2])
    n = max(1, int(round(span_s / float(np.median(np.diff(times))))))
    lo = np.maximum(np.arange(T) - n, 0)
    v = np.linalg.norm(points - points[lo], axis=-1) / np.maximum(times - times[lo], 1e-9)[:, None]
    v[0] = 0.0
    return v


def causal_contact_features(xy_px: np.ndarray, times: np.ndarray, px_per_m: np.ndarray, pose: np.ndarray,
                            up: np.ndarray) -> np.ndarray:  # fmt: skip
    """:func:`contact_features` from the past only (``FEATURES_CAUSAL``): each frame's row depends on the last
    HISTORY_S seconds, so live mode computes it from a bounded history with this same function."""
    return _cues(xy_px, times, px_per_m, pose, up, causal=True)


def confirmed_runs(raw: np.ndarray, min_frames: int) -> np.ndarray:
    """(T, F) bool → true where the input has been true for the last ``min_frames`` frames (live mode's causal
    stand-in for dropping short runs)."""
    run = np.zeros(raw.shape, int)
    for t in range(len(raw)):
        run[t] = np.where(raw[t], (run[t - 1] if t else 0) + 1, 0)
    return run >= min_frames


@dataclass(frozen=True)
class ContactModel:
    """Standardisation (``mean``, ``std``: (D,)), a small perceptron (``layers``: ``core.world.model_file``'s
    (weight (out, in), bias (out,)) pairs, ReLU between them, a logistic output; a single layer is a logistic
    regression) and the decision ``threshold`` on the probability; ``info``: how it was made (data, lifter, command,
    training figures)."""

    mean: np.ndarray
    std: np.ndarray
    layers: Layers
    threshold: float
    info: dict
    causal: bool = False  # cues of causal_contact_features (live mode) rather than contact_features

    @property
    def features(self) -> tuple[str, ...]:
        return FEATURES_CAUSAL if self.causal else FEATURES

    def probability(self, features: np.ndarray) -> np.ndarray:
        """(..., D) cues → (...) probability that the foot is planted."""
        logit = perceptron(self.layers, (features - self.mean) / self.std)[..., 0]
        return 1.0 / (1.0 + np.exp(-logit))

    def contacts(self, features: np.ndarray, fps: float, min_s: float = 0.1, gap_s: float = 0.1) -> np.ndarray:
        """(T, 2, D) cues → (T, 2) bool contacts: probability above the threshold, gaps shorter than ``gap_s``
        closed and runs shorter than ``min_s`` dropped (as the rule does); a causal model's contact counts once it
        has lasted ``min_s`` (as live mode decides, without the future)."""
        raw = self.probability(features) > self.threshold
        if self.causal:
            return confirmed_runs(raw, max(1, int(round(min_s * fps))))
        return clean_runs(raw, max(1, int(round(min_s * fps))), int(round(gap_s * fps)))

    def numbers(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "std": self.std.tolist(),
                "layers": [[w.tolist(), b.tolist()] for w, b in self.layers],
                "threshold": float(self.threshold)}  # fmt: skip

    def save(self, path: str | Path) -> None:
        write_model_file(path, FORMAT, self.numbers(), self.info)

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> ContactModel:
        keys = ("features", "mean", "std", "layers", "threshold")
        numbers, info = read_model_file(path, FORMAT, keys, ContactModelError, "contact model")
        if numbers["features"] not in (list(FEATURES), list(FEATURES_CAUSAL)):
            raise ContactModelError(f"{path} was fitted on other cues than this code computes")
        mean, std = (np.asarray(numbers[k], float) for k in ("mean", "std"))
        layers = tuple((np.asarray(w, float), np.asarray(b, float)) for w, b in numbers["layers"])
        if not layers_chain(layers, len(mean), 1):
            raise ContactModelError(f"{path}: its layers do not chain from {len(mean)} cues to one probability")
        return cls(mean, std, layers, float(numbers["threshold"]), info, numbers["features"] == list(FEATURES_CAUSAL))
