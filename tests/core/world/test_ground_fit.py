"""core.world.ground_fit's rule for changing a shipped constant: only a candidate better beyond the clips' noise."""

from __future__ import annotations

import numpy as np

from core.world.ground_fit import choice, median_difference_interval


def test_a_candidate_better_on_every_clip_replaces_the_shipped_constant() -> None:
    base = np.linspace(1.0, 5.0, 41)
    errors = np.stack([base, base - 1.0, base + 0.5], axis=1)  # shipped, better by 1 everywhere, worse
    lo, hi = median_difference_interval(errors, shipped=0)
    np.testing.assert_allclose(lo, [0.0, -1.0, 0.5])
    np.testing.assert_allclose(hi, [0.0, -1.0, 0.5])
    assert choice(np.median(errors, axis=0), hi, shipped=0) == 1


def test_a_median_lower_only_by_noise_keeps_the_shipped_constant() -> None:
    rng = np.random.default_rng(0)
    shipped = rng.uniform(0.0, 6.0, 200)
    noisy = shipped + rng.normal(-0.05, 1.0, 200)  # a slightly lower median, far within the clips' spread
    errors = np.stack([shipped, noisy], axis=1)
    medians = np.median(errors, axis=0)
    _, hi = median_difference_interval(errors, shipped=0)
    assert hi[1] > 0.0
    assert choice(medians, hi, shipped=0) == 0
