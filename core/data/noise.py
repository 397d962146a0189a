"""Detector-like 2D noise: turns clean projected joints into tracks that look like MediaPipe Pose output.

The lifter is trained on clean CMU projections but runs on MediaPipe detections, so training inputs get the
detector's error structure. Numbers come from ../shared/data/mediapipe_2d_noise.md (MediaPipe Pose 0.10.21 against a
4-view triangulated reference; all errors in % of the person's box height), see docs/data.md:

* **Per-joint Gaussian error.** The measured *in-sample* medians of the radial error are 0.6 % (spine, thorax —
  and the pelvis, also a mean of several landmarks), 0.9–1.1 % (hips, shoulders, head) and 1.4–1.5 % (nose, elbows,
  wrists, knees, ankles). In-sample figures are biased low (the view helped build the reference: 1.10 % overall)
  and out-of-sample ones high (1.74 %); we scale the in-sample table by 1.35 / 1.10 so its typical value is the
  measured ≈ 1.35 %. ``joint_median_pct`` holds the result; the error is isotropic in x and y.
* **Heavy tail.** Measured p90 ≈ 2.5 × median, whereas a 2D Gaussian gives 1.82 ×. Each joint is therefore an
  inlier (σ) or, for episodes of frames, an outlier (``outlier_scale`` · σ); σ and the outlier fraction are solved so
  that the radial error's median and p90 equal ``joint_median_pct`` and ``p90_over_median`` exactly (for k = 4:
  ≈ 13 % outlier frames, σ ≈ 0.77 × median).
* **Whole-body left/right flips.** Measured in 32 % of the frames of one back/side view, 0 % in three others: a
  sequence is flip-prone with ``flip_sequence_prob`` (default 1 in 4 views) and then flips ``flip_frame_fraction``
  of its frames in runs. A flip swaps the *labels* of all left/right joints (positions stay put), like the
  detector does.
* **Single-joint swaps** (a left/right pair such as the wrists trading labels when hands cross) and **missing
  joints / lost frames**: not measured; small rates chosen so they exist in training. Missing entries are filled
  with :func:`core.gaps.fill_gaps`, exactly as the capture pipeline fills MediaPipe's gaps.
* **Temporal structure** (measured here, not in the .md). MediaPipe's error is mostly a slowly varying bias, not
  frame-to-frame jitter: on the two shared Pose2Sim balance clips (same recording, 60 fps) the part of the track
  faster than a 3-frame Gaussian smooth has an RMS of only 0.33–0.62 % of the box height per axis, with lag-1/2
  autocorrelations 0.70–0.77 / 0.29–0.51 (``core.data.noise_calibration``). The model's Gaussian noise is therefore
  filtered over time with a Gaussian kernel (``correlation_frames``, variance preserved) and outlier episodes last
  ``outlier_run_frames``. Run on the clips' smoothed tracks, the defaults (4 and 25 frames at the training's 50 fps,
  ≈ 5 and 30 at the clips' 60 fps) give the same estimator 0.42–0.52 % and 0.75–0.78 / 0.53–0.55, matching the
  clips; white noise would give ≈ 1.8 %. Flips, swaps and gaps also come in runs.
  MediaPipe's smoothing lags by ≈ 0.3 frame: the clean track is delayed by a per-sequence lag drawn from
  ``lag_frames`` (default 0–0.6 frame, mean 0.3).

The confidence is synthetic and only confidence-*like*: 0.5–1 for detected joints (lower for larger errors),
0–0.3 for missing ones (so thresholding at the capture default ``min_confidence`` = 0.3 reproduces ``valid``);
flipped or swapped joints keep high confidence, as real detectors do.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..gaps import fill_gaps
from ..skeleton import FLIP_PERMUTATION, H36M_LEFT, H36M_RIGHT, NUM_JOINTS
from .noise_math import gaussian_kernel, mixture_for_tail, runs

_IN_SAMPLE_MEDIAN_PCT = (0.6, 1.0, 1.45, 1.45, 1.0, 1.45, 1.45, 0.6, 0.6, 1.45, 1.0, 1.0, 1.45, 1.45, 1.0, 1.45, 1.45)
_TYPICAL_OVER_IN_SAMPLE = 1.35 / 1.10  # measured typical error / in-sample overall error
DEFAULT_JOINT_MEDIAN_PCT = tuple(round(v * _TYPICAL_OVER_IN_SAMPLE, 3) for v in _IN_SAMPLE_MEDIAN_PCT)


@dataclass
class NoiseConfig:
    """Detector-noise parameters; rates are per frame (and per joint where noted), lengths in frames."""

    joint_median_pct: tuple[float, ...] = DEFAULT_JOINT_MEDIAN_PCT  # median radial error per H36M joint, % box h.
    p90_over_median: float = 2.5  # heavy tail of the radial error
    outlier_scale: float = 4.0  # outlier σ / inlier σ
    outlier_run_frames: float = 25.0  # mean length of an outlier episode (measured jitter, see module docstring)
    correlation_frames: float = 4.0  # std of the temporal Gaussian filter on the noise (0: white noise)
    sequence_scale: tuple[float, float] = (1.0, 1.0)  # log-uniform per-sequence multiplier of all errors
    flip_sequence_prob: float = 0.25  # chance that a sequence is filmed from a flip-prone viewpoint
    flip_frame_fraction: float = 0.32  # fraction of frames flipped in a flip-prone sequence
    flip_run_frames: float = 12.0
    swap_prob: float = 0.005  # per frame and left/right pair
    swap_run_frames: float = 4.0
    missing_prob: float = 0.02  # per frame and joint
    missing_run_frames: float = 3.0
    frame_drop_prob: float = 0.005  # whole frames without a detection
    lag_frames: tuple[float, float] = (0.0, 0.6)  # per-sequence delay of the track, uniform
    bias_pct: float = 0.0  # std of a per-sequence constant offset per joint (systematic landmark error), % box h.

    def __post_init__(self) -> None:
        self.joint_median_pct = tuple(float(v) for v in self.joint_median_pct)
        if len(self.joint_median_pct) != NUM_JOINTS or min(self.joint_median_pct) < 0:
            raise ValueError(f"NoiseConfig.joint_median_pct needs {NUM_JOINTS} values >= 0")
        for name in ("flip_sequence_prob", "flip_frame_fraction", "swap_prob", "missing_prob", "frame_drop_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"NoiseConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("outlier_run_frames", "flip_run_frames", "swap_run_frames", "missing_run_frames"):
            if not getattr(self, name) >= 1.0:
                raise ValueError(f"NoiseConfig.{name} must be >= 1 frame, got {getattr(self, name)}")
        if not self.outlier_scale > 1.0:
            raise ValueError(f"NoiseConfig.outlier_scale must be > 1, got {self.outlier_scale}")
        if self.bias_pct < 0:
            raise ValueError(f"NoiseConfig.bias_pct must be >= 0, got {self.bias_pct}")
        if self.correlation_frames < 0:
            raise ValueError(f"NoiseConfig.correlation_frames must be >= 0, got {self.correlation_frames}")
        for name in ("sequence_scale", "lag_frames"):
            lo, hi = getattr(self, name)
            if not (0 <= lo <= hi) or (name == "sequence_scale" and lo <= 0):
                raise ValueError(f"NoiseConfig.{name} must be a (low, high) pair with 0 < low <= high: {(lo, hi)}")
            setattr(self, name, (float(lo), float(hi)))
        # Raises a clear error when the tail cannot be produced with this outlier scale.
        self._sigma_over_median, self._outlier_fraction = mixture_for_tail(self.p90_over_median, self.outlier_scale)

    @property
    def outlier_fraction(self) -> float:
        """Fraction of (frame, joint) entries drawn from the wide component (solved from the tail)."""
        return self._outlier_fraction

    @property
    def sigma_pct(self) -> np.ndarray:
        """(17,) per-axis σ of the inlier component, % of box height."""
        return np.asarray(self.joint_median_pct) * self._sigma_over_median

    @classmethod
    def from_dict(cls, d: dict) -> NoiseConfig:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"NoiseConfig: unknown keys {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    @classmethod
    def training(cls) -> NoiseConfig:
        """What the lifter trains on: the measured model with a per-sequence error scale of 0.6–1.8 × (people far
        away, motion blur, odd clothing) and systematic per-joint offsets of 0.6 % of the box height."""
        return cls(sequence_scale=(0.6, 1.8), bias_pct=0.6)

    @classmethod
    def held_out(cls) -> NoiseConfig:
        """An evaluation noise no training config uses: heavier tails, whiter jitter, a longer detector lag, more
        swaps, gaps and flips, larger systematic offsets. Validation with it is out of the training distribution."""
        return cls(p90_over_median=3.0, outlier_scale=6.0, outlier_run_frames=10.0, correlation_frames=1.5,
                   sequence_scale=(1.2, 1.6), flip_sequence_prob=0.3, flip_frame_fraction=0.2, swap_prob=0.02,
                   missing_prob=0.04, frame_drop_prob=0.01, lag_frames=(0.3, 1.0), bias_pct=1.0)  # fmt: skip

    @classmethod
    def clean(cls) -> NoiseConfig:
        """No noise at all (for the 'clean 2D' condition and for tests)."""
        return cls(joint_median_pct=(0.0,) * NUM_JOINTS, flip_sequence_prob=0.0, swap_prob=0.0, missing_prob=0.0,
                   frame_drop_prob=0.0, lag_frames=(0.0, 0.0))  # fmt: skip


@dataclass(frozen=True)
class NoisyTrack:
    pixels: np.ndarray  # (T, J, 2) float32, gaps filled with core.gaps.fill_gaps
    confidence: np.ndarray  # (T, J) float32 in [0, 1]
    valid: np.ndarray  # (T, J) bool: False where the joint was "not detected" (its pixels are filled)
    flipped: np.ndarray  # (T,) bool: whole-body left/right flip in this frame (for tests and diagnostics)


def person_box_height(pixels: np.ndarray) -> np.ndarray:
    """(T, J, 2) clean H36M-17 pixels → (T,) approximate person box height in pixels.

    The 17 joints span ankle to head joint, ≈ 1 / 1.1 of a standing person's bounding box; the larger of the x and
    y extents is used so a lying or cartwheeling person is not treated as tiny.
    """
    extent = pixels.max(axis=1) - pixels.min(axis=1)  # (T, 2)
    return 1.1 * extent.max(axis=-1)


def apply_detector_noise(
    pixels: np.ndarray,
    box_height: float | np.ndarray,
    rng: np.random.Generator,
    config: NoiseConfig | None = None,
) -> NoisyTrack:
    """Make a clean 2D track look like a detector's output (see the module docstring for the model).

    Args:
        pixels: (T, J, 2) clean pixel coordinates of the 17 H36M joints (T >= 1).
        box_height: person box height in pixels, scalar or (T,) (see :func:`person_box_height`).
        rng: random generator (the caller seeds it).
        config: noise parameters (default :class:`NoiseConfig`).
    Returns:
        :class:`NoisyTrack` with noisy filled pixels, confidences, the valid mask and the flipped frames.
    """
    cfg = config or NoiseConfig()
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim != 3 or pixels.shape[1:] != (NUM_JOINTS, 2) or pixels.shape[0] < 1:
        raise ValueError(f"apply_detector_noise: pixels must have shape (T, {NUM_JOINTS}, 2), got {pixels.shape}")
    if not np.all(np.isfinite(pixels)):
        raise ValueError("apply_detector_noise: clean pixels contain NaN or infinite values")
    T, J = pixels.shape[:2]
    box = np.broadcast_to(np.asarray(box_height, dtype=np.float64), (T,))
    if not np.all(box > 0):
        raise ValueError("apply_detector_noise: box_height must be positive")

    track = _delay(pixels, rng.uniform(*cfg.lag_frames))

    # Gaussian scale mixture, correlated over time; σ in pixels per frame and joint.
    scale = np.exp(rng.uniform(*np.log(cfg.sequence_scale)))
    sigma = cfg.sigma_pct[None, :] / 100.0 * box[:, None] * scale  # (T, J)
    outlier = runs(rng, (T, J), cfg.outlier_fraction, cfg.outlier_run_frames)
    sigma = np.where(outlier, sigma * cfg.outlier_scale, sigma)
    noise = _correlated_normal(rng, (T, J, 2), cfg.correlation_frames) * sigma[..., None]
    noisy = track + noise
    if cfg.bias_pct > 0:  # drawn only when used, so the measured model's random stream stays what it was
        noisy += rng.standard_normal((1, J, 2)) * cfg.bias_pct / 100.0 * np.median(box) * scale
    error_pct = np.linalg.norm(noisy - pixels, axis=-1) / box[:, None] * 100.0  # before any relabelling

    # Label errors: single left/right pair swaps, then whole-body flips.
    left, right = np.array(H36M_LEFT), np.array(H36M_RIGHT)
    swapped = runs(rng, (T, len(left)), cfg.swap_prob, cfg.swap_run_frames)
    t_idx, pair = np.nonzero(swapped)
    noisy[t_idx, left[pair]], noisy[t_idx, right[pair]] = noisy[t_idx, right[pair]], noisy[t_idx, left[pair]]
    flipped = np.zeros(T, dtype=bool)
    if rng.random() < cfg.flip_sequence_prob:
        flipped = runs(rng, (T, 1), cfg.flip_frame_fraction, cfg.flip_run_frames)[:, 0]
        noisy[flipped] = noisy[flipped][:, list(FLIP_PERMUTATION)]

    # Detection gaps, filled exactly like the capture pipeline does.
    valid = ~runs(rng, (T, J), cfg.missing_prob, cfg.missing_run_frames)
    valid &= ~runs(rng, (T, 1), cfg.frame_drop_prob, 2.0)
    if not valid.any():  # fill_gaps needs something to fill from; keep the least-noisy observation
        valid[np.unravel_index(np.argmin(error_pct), valid.shape)] = True
    confidence = np.where(
        valid,
        np.clip(rng.uniform(0.85, 1.0, (T, J)) - 0.04 * error_pct, 0.5, 1.0),
        rng.uniform(0.0, 0.3, (T, J)),
    )
    noisy[~valid] = np.nan  # fill_gaps must not see the hidden values
    filled = fill_gaps(noisy, valid)
    return NoisyTrack(filled.astype(np.float32), confidence.astype(np.float32), valid, flipped)


def _delay(track: np.ndarray, lag: float) -> np.ndarray:
    """(T, J, C) track delayed by ``lag`` frames (linear interpolation; the first frame is held)."""
    if lag <= 0:
        return track.copy()
    T = track.shape[0]
    src = np.clip(np.arange(T) - lag, 0.0, T - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, T - 1)
    w = (src - i0)[:, None, None]
    return (1 - w) * track[i0] + w * track[i1]


def _correlated_normal(rng: np.random.Generator, shape: tuple[int, ...], std_frames: float) -> np.ndarray:
    """Standard-normal noise of ``shape`` (time first) with a Gaussian autocorrelation of ``std_frames``."""
    kernel = gaussian_kernel(std_frames)
    r = len(kernel) // 2
    white = rng.standard_normal((shape[0] + 2 * r, *shape[1:]))
    out = np.zeros(shape)
    for k, w in enumerate(kernel):  # a short FIR filter: a few shifted adds beat FFT for these lengths
        out += w * white[k : k + shape[0]]
    return out
