"""core.world.ground_fit: the rule for changing a shipped constant (only a candidate better beyond the clips' noise),
the pitch blend's least squares and its folds."""

from __future__ import annotations

import numpy as np

from core.world.contact_fit import folds_by_motion
from core.world.ground import PitchBlend
from core.world.ground_fit import choice, fit_blend, median_difference_interval


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


def test_the_blend_is_the_least_squares_fit_of_the_true_pitch() -> None:
    body = np.array([0.0, 10.0, 20.0, 5.0, 15.0])
    image = np.array([0.0, 0.0, 10.0, 20.0, 5.0])
    truth = 2.0 + 0.75 * body + 0.5 * image  # exact: the fit finds it
    assert fit_blend(truth, body, image) == PitchBlend(intercept_deg=2.0, body=0.75, image=0.5)
    noisy = truth + np.array([1.0, -1.0, 0.0, 0.0, 0.0])  # off the plane: the normal equations' answer
    x = np.column_stack([np.ones(5), body, image])
    expected = np.linalg.solve(x.T @ x, x.T @ noisy)
    fitted = fit_blend(noisy, body, image)
    np.testing.assert_allclose([fitted.intercept_deg, fitted.body, fitted.image], expected, atol=5e-4)


def test_a_motions_cameras_share_a_fold_and_motions_are_dealt_in_turn() -> None:
    names = ["b/1/cam0", "a/2/cam0", "b/1/cam1", "c/cam0", "a/2/cam1", "d/cam2"]
    assert folds_by_motion(names, folds=3).tolist() == [1, 0, 1, 2, 0, 0]  # sorted: a/2, b/1, c, d
