"""core.data.cmu on the shared CMU BVH files: listing, frame rates, mapping, units, ground, cache, split."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from core.data.bvh import read_bvh
from core.data.cmu import Motion, bvh_to_h36m, list_motions, load_h36m_joints, split_by_subject
from core.data.cmu_skeletons import DAZ, MB, detect_rig
from core.skeleton import H36M_BONES, H36M_LEFT, H36M_RIGHT, JOINT_INDEX


@pytest.fixture(scope="module")
def motions(shared_dir: Path) -> dict[str, Motion]:
    return {m.name: m for m in list_motions(shared_dir / "data/cmu")}


def test_listing_and_true_frame_rates(motions: dict[str, Motion]) -> None:
    counts = Counter(m.skeleton for m in motions.values())
    assert counts["mb"] == 64 and counts["daz"] > 50
    assert motions["mb/08_01"].subject == "08" and motions["mb/08_01"].description == "walk"
    assert all(m.fps == 60.0 for n, m in motions.items() if n.startswith("daz/salsa/"))  # header says 120
    assert all(m.fps == 120.0 for n, m in motions.items() if n.startswith("daz/16/"))  # header says 30
    assert all(m.fps == 120.0 for n, m in motions.items() if n.startswith(("daz/martial/", "daz/indian/", "mb/")))
    assert motions["daz/salsa/16"].subject == "61" and motions["daz/salsa/16"].trial == "01"
    assert motions["daz/indian/04"].subject == "94"


def test_split_holds_out_subject_08(motions: dict[str, Motion]) -> None:
    train, val = split_by_subject(motions.values())
    assert {m.subject for m in val} == {"08"} and len(val) == 11
    assert not any(m.subject == "08" for m in train) and len(train) + len(val) == len(motions)
    with pytest.raises(ValueError, match="not among"):
        split_by_subject(motions.values(), val_subjects=("99",))


def test_rig_detection() -> None:
    assert detect_rig(MB.sources[0] + tuple(s for ss in MB.sources for s in ss)) is MB
    assert detect_rig(tuple(s for ss in DAZ.sources for s in ss)) is DAZ
    with pytest.raises(ValueError, match="unknown BVH rig"):
        detect_rig(("Hips", "Spine"))


def test_walk_mb08_is_metric_z_up_and_on_the_ground(motions: dict[str, Motion], tmp_path: Path) -> None:
    motion = motions["mb/08_01"]
    joints = load_h36m_joints(motion, fps=50.0, cache_dir=tmp_path)
    frames_120 = read_bvh(motion.path).num_frames - 1  # T-pose frame dropped
    assert joints.shape == (int((frames_120 - 1) * 50 / 120) + 1, 17, 3) and joints.dtype == np.float32
    pelvis = joints[:, JOINT_INDEX["pelvis"]]
    assert 0.80 < np.median(pelvis[:, 2]) < 0.92  # README: pelvis height ≈ 0.85 m
    speed = np.linalg.norm(np.diff(pelvis[:, :2], axis=0), axis=-1).mean() * 50.0
    print(f"\nmb/08_01 pelvis height {np.median(pelvis[:, 2]):.3f} m, walking speed {speed:.2f} m/s")
    assert 1.1 < speed < 1.8  # a human walk; the README quotes ≈ 1.3 m/s, 08_01 at its 120 fps gives ≈ 1.6
    assert np.all(joints[:, JOINT_INDEX["head"], 2] > pelvis[:, 2] + 0.4)  # Z is up
    # No mirroring in the Y-up → Z-up change: walking forward, the right hip is on the walker's right.
    forward = np.gradient(pelvis, axis=0)
    right_dir = np.cross(forward, (0.0, 0.0, 1.0))
    hips = joints[:, JOINT_INDEX["r_hip"]] - joints[:, JOINT_INDEX["l_hip"]]
    assert np.all(np.sum(hips * right_dir, axis=-1) > 0)
    ankles = joints[:, [JOINT_INDEX["l_ankle"], JOINT_INDEX["r_ankle"]], 2]
    assert 0.03 < ankles.min() < 0.15  # ankle centres a few cm above z = 0 in stance
    lengths = np.linalg.norm(joints[:, [c for _, c in H36M_BONES]] - joints[:, [p for p, _ in H36M_BONES]], axis=-1)
    limbs = [i for i, (_, c) in enumerate(H36M_BONES) if c in (2, 3, 5, 6, 12, 13, 15, 16)]  # direct BVH bones
    assert lengths[:, limbs].std(axis=0).max() < 1e-4  # rigid after resampling (float32 output); clavicles move
    bone = {c: i for i, (_, c) in enumerate(H36M_BONES)}
    for left, right in zip(H36M_LEFT, H36M_RIGHT):
        assert abs(lengths[0, bone[left]] / lengths[0, bone[right]] - 1) < 0.1  # left/right mapped consistently


def test_cache_is_keyed_and_reused(motions: dict[str, Motion], tmp_path: Path) -> None:
    motion = motions["mb/08_01"]
    first = load_h36m_joints(motion, cache_dir=tmp_path)
    cached = list((tmp_path / "cmu").glob("*.npz"))
    assert len(cached) == 1 and "120to50" in cached[0].name
    with np.load(cached[0]) as f:
        np.testing.assert_array_equal(f["joints"], first)
    np.savez(cached[0], joints=first + 1.0)  # prove the second call reads the cache, not the BVH
    np.testing.assert_array_equal(load_h36m_joints(motion, cache_dir=tmp_path), first + 1.0)
    assert load_h36m_joints(motion, fps=25.0, cache_dir=tmp_path).shape[0] == (first.shape[0] - 1) // 2 + 1


def test_daz_rigs_are_metric(motions: dict[str, Motion]) -> None:
    for name in ("daz/salsa/05", "daz/16/16_01", "daz/12/12_01"):  # daz cm rig, CMU-unit ASF rig, daz cm rig
        joints = bvh_to_h36m(motions[name].path, motions[name].fps)
        frames = read_bvh(motions[name].path).num_frames - 1
        assert len(joints) == int((frames - 1) * 50 / motions[name].fps) + 1, name  # true rate, not the header's
        thigh = np.linalg.norm(joints[:, JOINT_INDEX["l_knee"]] - joints[:, JOINT_INDEX["l_hip"]], axis=-1)
        assert 0.3 < thigh.mean() < 0.5, name
        assert 0.6 < np.median(joints[:, 0, 2]) < 1.1, name


def test_missing_root_has_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="index.csv"):
        list_motions(tmp_path)


def test_unwritable_cache_still_loads(motions: dict[str, Motion], tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="cache"):
        joints = load_h36m_joints(motions["mb/08_01"], cache_dir=blocker)
    assert joints.shape[1:] == (17, 3)
