"""core.gaps.fill_gaps: interpolation, end holding, never-valid joints, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from core.gaps import fill_gaps


def test_linear_interpolation_and_held_ends() -> None:
    T = 7
    values = np.zeros((T, 2, 2))
    values[:, 0, 0] = np.arange(T) * 2.0  # joint 0: x = 2 t
    values[:, 0, 1] = 5.0
    values[:, 1] = np.nan
    values[2, 1] = (1.0, 1.0)
    values[5, 1] = (4.0, -2.0)
    valid = np.ones((T, 2), dtype=bool)
    valid[[1, 3, 4], 0] = False
    values[[1, 3, 4], 0] = 999.0  # garbage under invalid entries must be ignored
    valid[:, 1] = False
    valid[[2, 5], 1] = True
    out = fill_gaps(values, valid, parents=(-1, 0))
    np.testing.assert_allclose(out[:, 0, 0], np.arange(T) * 2.0)
    np.testing.assert_allclose(out[:, 0, 1], 5.0)
    # joint 1: held before frame 2 and after frame 5, linear in between
    np.testing.assert_allclose(out[:, 1, 0], [1, 1, 1, 2, 3, 4, 4])
    np.testing.assert_allclose(out[:, 1, 1], [1, 1, 1, 0, -1, -2, -2])
    assert np.isfinite(out).all()


def test_frame_with_nothing_valid_is_bridged() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 17, 2)).astype(np.float32)
    valid = np.ones((5, 17), dtype=bool)
    valid[2] = False
    out = fill_gaps(values, valid)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[2], 0.5 * (values[1] + values[3]), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(out[valid], values[valid])


def test_non_finite_valid_entries_are_treated_as_missing() -> None:
    values = np.arange(12, dtype=np.float64).reshape(4, 1, 3)
    values[1, 0, 2] = np.nan
    out = fill_gaps(values, np.ones((4, 1), dtype=bool))
    np.testing.assert_allclose(out[1, 0], 0.5 * (values[0, 0] + values[2, 0]))


def test_never_valid_joint_copies_parent_h36m_tree() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(6, 17, 2))
    valid = np.ones((6, 17), dtype=bool)
    valid[:, 13] = False  # l_wrist, parent l_elbow (12)
    valid[:, 12] = False  # l_elbow too, parent l_shoulder (11)
    valid[3, 11] = False
    out = fill_gaps(values, valid)
    np.testing.assert_allclose(out[:, 12], out[:, 11])
    np.testing.assert_allclose(out[:, 13], out[:, 11])
    np.testing.assert_allclose(out[3, 11], 0.5 * (values[2, 11] + values[4, 11]))


def test_never_valid_root_takes_mean_of_observed_joints() -> None:
    values = np.stack([np.full((3, 2), v) for v in (0.0, 2.0, 4.0)], axis=1)  # (3, 3, 2)
    valid = np.array([[False, True, True]] * 3)
    out = fill_gaps(values, valid, parents=(-1, 0, 0))
    np.testing.assert_allclose(out[:, 0], 3.0)
    out_no_tree = fill_gaps(values, valid)  # J != 17 and no tree given
    np.testing.assert_allclose(out_no_tree[:, 0], 3.0)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="shape"):
        fill_gaps(np.zeros((4, 2)), np.ones((4, 2), dtype=bool))
    with pytest.raises(ValueError, match="valid must have shape"):
        fill_gaps(np.zeros((4, 2, 2)), np.ones((4, 3), dtype=bool))
    with pytest.raises(ValueError, match="bool"):
        fill_gaps(np.zeros((4, 2, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="nothing to fill"):
        fill_gaps(np.zeros((4, 2, 2)), np.zeros((4, 2), dtype=bool))
    with pytest.raises(ValueError, match="cycle"):
        fill_gaps(np.zeros((2, 2, 2)), np.array([[True, False]] * 2), parents=(1, 0))
    with pytest.raises(ValueError, match="entries"):
        fill_gaps(np.zeros((2, 2, 2)), np.array([[True, False]] * 2), parents=(-1,))
