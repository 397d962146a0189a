"""One-Euro temporal smoothing (Casiez, Roussel & Vogel, "1€ Filter", CHI 2012) with a single strength knob.

The 1€ filter is a first-order low-pass whose cutoff rises with speed: ``fc = min_cutoff + beta * |dx/dt|`` (paper
§3, Eq. 1–4 and the pseudo-code of Fig. 4). Slow motion is smoothed hard (jitter is most visible there), fast motion
lightly (lag is most visible there). It works on real timestamps, so variable-frame-rate clips are handled exactly.

Offline captures are filtered forward and then backward (the mean of the two passes is zero-phase: no lag); causal
captures and live mode use the forward pass only, which never looks at future frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Strength 0 → no filtering; otherwise min_cutoff is log-interpolated from MIN_CUTOFF_AT_0 (barely any smoothing)
# to MIN_CUTOFF_AT_1 Hz at strength 1, so equal steps feel equally strong. Values chosen with
# tools/tune_smoothing.py (docs/capture.md, "Smoothing").
MIN_CUTOFF_AT_0 = 20.0
MIN_CUTOFF_AT_1 = 0.5
# Cutoff increase per m/s of joint speed (1/m): a limb moving at 1 m/s gets 4 Hz more bandwidth, so fast motion
# keeps its peaks while slow motion (where jitter shows) is smoothed hard.
BETA = 4.0
D_CUTOFF = 1.0


@dataclass(frozen=True)
class OneEuroParams:
    """1€ filter parameters: min_cutoff (Hz), beta (1/unit of x), d_cutoff (Hz) for the speed estimate."""

    min_cutoff: float
    beta: float = BETA
    d_cutoff: float = D_CUTOFF

    def __post_init__(self) -> None:
        if not (self.min_cutoff > 0 and self.d_cutoff > 0 and self.beta >= 0):
            raise ValueError(f"invalid One-Euro parameters: {self}")


def params_for_strength(strength: float) -> OneEuroParams | None:
    """Map a 0..1 smoothing strength to filter parameters (None for 0: filtering off)."""
    if not 0.0 <= strength <= 1.0 or math.isnan(strength):
        raise ValueError(f"smoothing strength must be in [0, 1], got {strength}")
    if strength == 0.0:
        return None
    cutoff = MIN_CUTOFF_AT_0 * (MIN_CUTOFF_AT_1 / MIN_CUTOFF_AT_0) ** strength
    return OneEuroParams(min_cutoff=cutoff)


def smoothing_alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


def one_euro(x: np.ndarray, times: np.ndarray, params: OneEuroParams) -> np.ndarray:
    """Causal 1€ filter along axis 0.

    Args:
        x: (T, ...) samples (e.g. (T, J, 3) joints in metres). times: (T,) strictly increasing seconds.
    Returns:
        (T, ...) float64 filtered samples; the speed is the norm over the last axis (per joint, not per coordinate).
    """
    x = np.asarray(x, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if times.shape != x.shape[:1]:
        raise ValueError(f"one_euro: times must have shape ({x.shape[0]},), got {times.shape}")
    out = np.empty_like(x)
    if len(x) == 0:
        return out
    out[0] = x[0]
    dx_hat = np.zeros_like(x[0])
    fallback_dt = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    for t in range(1, len(x)):
        dt = times[t] - times[t - 1]
        if not dt > 0:
            dt = fallback_dt if fallback_dt > 0 else 1.0  # duplicate timestamps: assume the typical spacing
        dx = (x[t] - out[t - 1]) / dt
        a_d = smoothing_alpha(params.d_cutoff, dt)
        dx_hat = a_d * dx + (1.0 - a_d) * dx_hat
        speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True) if x.ndim > 1 else np.abs(dx_hat)
        a = smoothing_alpha(params.min_cutoff + params.beta * speed, dt)
        out[t] = a * x[t] + (1.0 - a) * out[t - 1]
    return out


def smooth(x: np.ndarray, times: np.ndarray, strength: float, *, causal: bool) -> np.ndarray:
    """Smooth (T, ...) samples with the given strength; zero-phase (forward + backward average) unless ``causal``."""
    return _filtered(x, times, params_for_strength(strength), causal)


def low_pass(x: np.ndarray, times: np.ndarray, cutoff_hz: float, *, causal: bool) -> np.ndarray:
    """(T, ...) samples through a first-order low-pass at ``cutoff_hz`` (the 1€ filter without its speed term: a
    fixed cutoff, for a signal whose fast part is all noise); zero-phase unless ``causal``."""
    return _filtered(x, times, OneEuroParams(min_cutoff=cutoff_hz, beta=0.0), causal)


def _filtered(x: np.ndarray, times: np.ndarray, params: OneEuroParams | None, causal: bool) -> np.ndarray:
    if params is None or len(x) < 3:
        return np.asarray(x, dtype=np.float64).copy()
    forward = one_euro(x, times, params)
    if causal:
        return forward
    # The backward pass runs on reversed time (negated, so it increases); averaging cancels the two lags.
    backward = one_euro(x[::-1], -np.asarray(times, dtype=np.float64)[::-1], params)[::-1]
    return 0.5 * (forward + backward)
