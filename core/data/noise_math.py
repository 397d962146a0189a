"""Small numerical pieces of the detector-noise model (``core.data.noise``): tails, runs and temporal filters."""

from __future__ import annotations

import math

import numpy as np

_RAYLEIGH_P90_OVER_MEDIAN = math.sqrt(math.log(10.0) / math.log(2.0))  # ≈ 1.82 for a plain 2D Gaussian


def mixture_cdf(r: float, sigma: float, fraction: float, k: float) -> float:
    """CDF of the radial error of a 2D isotropic Gaussian scale mixture: (1 - p)·N(0, σ²I) + p·N(0, (kσ)²I)."""
    return (1 - fraction) * (1 - math.exp(-(r * r) / (2 * sigma * sigma))) + fraction * (
        1 - math.exp(-(r * r) / (2 * (k * sigma) ** 2))
    )


def mixture_for_tail(p90_over_median: float, k: float) -> tuple[float, float]:
    """(σ / median, outlier fraction p) such that the radial error has median 1 and p90 ``p90_over_median``.

    Solved by nested bisection: for a given p, σ is fixed by the median; the p90 then grows monotonically with p.
    """
    if not k > 1:
        raise ValueError(f"outlier scale must be > 1, got {k}")
    if p90_over_median < _RAYLEIGH_P90_OVER_MEDIAN - 1e-9:
        raise ValueError(
            f"p90_over_median must be >= {_RAYLEIGH_P90_OVER_MEDIAN:.3f} (a plain Gaussian), got {p90_over_median}"
        )

    def sigma_for(p: float) -> float:
        lo, hi = 1e-4, 10.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if mixture_cdf(1.0, mid, p, k) > 0.5 else (lo, mid)
        return 0.5 * (lo + hi)

    lo, hi = 0.0, 0.5
    if mixture_cdf(p90_over_median, sigma_for(hi), hi, k) > 0.9:
        raise ValueError(f"p90_over_median = {p90_over_median} needs a larger outlier scale than {k}")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mixture_cdf(p90_over_median, sigma_for(mid), mid, k) > 0.9 else (lo, mid)
    p = 0.5 * (lo + hi)
    return sigma_for(p), p


def gaussian_kernel(std_frames: float) -> np.ndarray:
    """Odd-length Gaussian FIR kernel with unit *energy* (sum of squares 1), so filtered white noise keeps
    unit variance. ``std_frames <= 0`` gives the identity kernel [1]."""
    if std_frames <= 0:
        return np.ones(1)
    r = max(1, int(math.ceil(3 * std_frames)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / std_frames) ** 2)
    return kernel / np.sqrt(np.sum(kernel**2))


def runs(rng: np.random.Generator, shape: tuple[int, int], fraction: float, mean_length: float) -> np.ndarray:
    """(T, N) bool: independent on/off processes along time whose "on" episodes last ``mean_length`` frames on
    average (geometric) and cover ``fraction`` of the frames in expectation.

    Episodes start as a Bernoulli process; with overlapping episodes the covered fraction is 1 - exp(-rate · L), so
    rate = -ln(1 - fraction) / L. Starting ``5 L`` frames before t = 0 makes the first frames as likely as the rest.
    """
    T, N = shape
    if fraction <= 0 or T == 0:
        return np.zeros(shape, dtype=bool)
    if fraction >= 1:
        return np.ones(shape, dtype=bool)
    rate = min(1.0, -math.log1p(-fraction) / mean_length)
    pad = int(math.ceil(5 * mean_length))
    starts = rng.random((T + pad, N)) < rate
    t0, n = np.nonzero(starts)
    lengths = rng.geometric(1.0 / mean_length, size=t0.size)
    cover = np.zeros((T + pad + 1, N), dtype=np.int64)
    np.add.at(cover, (t0, n), 1)
    np.add.at(cover, (np.minimum(t0 + lengths, T + pad), n), -1)
    return np.cumsum(cover, axis=0)[pad : pad + T] > 0
