"""core.data.h36m on small synthetic files written exactly like VideoPose3D writes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.data.h36m import (
    ACTIONS,
    H36M32_LEFT,
    H36M32_RIGHT,
    HOW_TO_GET,
    KEPT_JOINTS,
    TEST_SUBJECTS,
    TRAIN_SUBJECTS,
    action_group,
    aligned_sequences,
    check_files,
    load_cameras,
    load_positions_2d,
    load_positions_3d,
    protocol_average,
    reduced_parents,
)
from core.skeleton import H36M_LEFT, H36M_PARENTS, H36M_RIGHT


def _write_synthetic(folder: Path) -> tuple[dict, dict]:
    """A VideoPose3D-format pair: positions_3d with 32 joints, positions_2d (4 cameras) with 17 + metadata."""
    rng = np.random.default_rng(0)
    positions_3d = {
        "S1": {"Walking 1": rng.normal(size=(12, 32, 3)).astype("float32"),
               "TakingPhoto": rng.normal(size=(7, 32, 3)).astype("float32")},
        "S9": {"Walking": rng.normal(size=(5, 32, 3)).astype("float32")},
    }  # fmt: skip
    positions_2d = {
        s: {a: [rng.uniform(0, 1000, size=(len(p) + (1 if c == 2 else 0), 17, 2)).astype("float32") for c in range(4)]
            for a, p in acts.items()}
        for s, acts in positions_3d.items()
    }  # fmt: skip  # camera 2 carries one extra frame, as some real sequences do
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    gt_meta = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    np.savez_compressed(folder / "data_2d_h36m_gt.npz", positions_2d=positions_2d, metadata=gt_meta)
    cpn_meta = dict(gt_meta, layout_name="h36m")
    np.savez_compressed(folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz", positions_2d=positions_2d, metadata=cpn_meta)
    return positions_3d, positions_2d


def test_reduction_is_derived_from_the_32_joint_tree() -> None:
    assert KEPT_JOINTS == (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
    assert reduced_parents() == H36M_PARENTS
    assert reduced_parents(rewiring={})[11] == 7  # without VideoPose3D's rewiring the shoulders hang off the spine
    new = {old: i for i, old in enumerate(KEPT_JOINTS)}
    assert tuple(new[j] for j in H36M32_LEFT if j in new) == H36M_LEFT
    assert tuple(new[j] for j in H36M32_RIGHT if j in new) == H36M_RIGHT


def test_synthetic_round_trip(tmp_path: Path) -> None:
    p3, p2 = _write_synthetic(tmp_path)
    loaded3 = load_positions_3d(tmp_path / "data_3d_h36m.npz")
    assert loaded3["S1"]["Walking 1"].shape == (12, 17, 3) and loaded3["S1"]["Walking 1"].dtype == np.float32
    np.testing.assert_array_equal(loaded3["S1"]["Walking 1"][:, 10], p3["S1"]["Walking 1"][:, 15])  # head top
    for name, layout in (("data_2d_h36m_gt.npz", None), ("data_2d_h36m_cpn_ft_h36m_dbb.npz", "h36m")):
        loaded2, meta = load_positions_2d(tmp_path / name)
        assert meta.layout_name == layout and meta.keypoints_symmetry == (H36M_LEFT, H36M_RIGHT)
        assert len(loaded2["S9"]["Walking"]) == 4
        np.testing.assert_array_equal(loaded2["S9"]["Walking"][2], p2["S9"]["Walking"][2])
    seqs = list(aligned_sequences(loaded3, loaded2, ["S1"]))
    assert len(seqs) == 8 and all(s[3].shape[0] == s[4].shape[0] for s in seqs)  # camera 2 trimmed
    assert "data_2d_h36m_cpn_ft_h36m_dbb.npz: 2 subjects, layout h36m" in check_files(tmp_path)


def test_bad_metadata_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="prepare_data_h36m.py"):
        load_positions_3d(tmp_path / "data_3d_h36m.npz")
    assert "vision.imar.ro" in HOW_TO_GET
    bad = {"num_joints": 17, "keypoints_symmetry": [[1, 2, 3], [4, 5, 6]], "layout_name": "coco"}
    np.savez_compressed(tmp_path / "bad.npz", positions_2d={}, metadata=bad)
    with pytest.raises(ValueError, match="H36M-17 layout"):
        load_positions_2d(tmp_path / "bad.npz")
    np.savez_compressed(tmp_path / "short.npz", positions_3d={"S1": {"A": np.zeros((3, 17, 3))}})
    with pytest.raises(ValueError, match="expected"):
        load_positions_3d(tmp_path / "short.npz")


def test_protocol_weighting_by_hand() -> None:
    assert TRAIN_SUBJECTS == ("S1", "S5", "S6", "S7", "S8") and TEST_SUBJECTS == ("S9", "S11")
    assert action_group("Walking 1") == "Walking" and action_group("TakingPhoto 1") == "Photo"
    errors = {("S9", a, 0): np.full(1, 10.0) for a in ACTIONS}
    # Walking: frame-weighted within the action: 3 frames at 1.0 (S9) + 1 frame at 5.0 (S11) → 2.0, not 3.0.
    errors[("S9", "Walking", 0)] = np.array([1.0, 1.0, 1.0])
    errors[("S11", "Walking 1", 0)] = np.array([5.0])
    result = protocol_average(errors)
    assert result.per_action["Walking"] == pytest.approx(2.0)
    assert result.frames["Walking"] == 4
    assert result.mean == pytest.approx((14 * 10.0 + 2.0) / 15)  # unweighted across the 15 actions
    with pytest.raises(ValueError, match="missing"):
        protocol_average({("S9", "Walking"): np.ones(3)})
    assert protocol_average({("S9", "Walking"): np.ones(3)}, require_all_actions=False).mean == 1.0


def test_public_cameras(shared_dir: Path) -> None:
    cameras = load_cameras(shared_dir / "data/h36m/cameras.json")
    assert set(TRAIN_SUBJECTS + TEST_SUBJECTS) <= set(cameras) and len(cameras["S9"]) == 4
