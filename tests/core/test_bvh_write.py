"""core.bvh_write: a written BVH read back (core.data.bvh, and bvhio: an independent reader) reproduces every
joint, in the chosen up axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.bvh_write import BvhRig, write_bvh
from core.data.bvh import read_bvh
from core.rotations import quaternion_to_matrix

# A small Z-up chain with a branch: hips -> spine -> head, hips -> thigh -> shin (metres, world).
RIG = BvhRig(
    names=("Hips", "Spine", "Head", "Thigh", "Shin"),
    parents=(-1, 0, 1, 0, 3),
    heads=np.array([[0, 0, 1.0], [0, 0, 1.1], [0, 0.02, 1.5], [0.1, 0, 0.95], [0.1, 0.01, 0.5]]),
    tails=np.array([[0, 0, 1.1], [0, 0.02, 1.5], [0, 0.05, 1.75], [0.1, 0.01, 0.5], [0.1, 0, 0.08]]),
)


def _pose(T: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(T, 5, 4)) * np.array([1.0, 0.3, 0.3, 0.3])  # moderate rotations
    return quaternion_to_matrix(q), rng.normal(size=(T, 3)) * 0.3 + np.array([0, 0, 1.0])


def _expected(rot: np.ndarray, root: np.ndarray) -> dict[str, np.ndarray]:
    """World positions of every joint and end site by forward kinematics of the rig."""
    pos = {}
    for b, name in enumerate(RIG.names):
        p = RIG.parents[b]
        offset = RIG.heads[b] - RIG.heads[p]
        pos[name] = root if p < 0 else pos[RIG.names[p]] + np.einsum("tij,j->ti", rot[:, p], offset)
    for b, name in enumerate(RIG.names):
        if b not in RIG.parents:
            pos[f"{name}_End"] = pos[name] + np.einsum("tij,j->ti", rot[:, b], RIG.tails[b] - RIG.heads[b])
    return pos


@pytest.mark.parametrize(("up", "to_file"), [("Y", lambda p: np.stack([p[..., 0], p[..., 2], -p[..., 1]], -1)),
                                            ("Z", lambda p: p)])  # fmt: skip
def test_round_trip_through_the_reader(tmp_path: Path, up: str, to_file) -> None:  # noqa: ANN001
    rot, root = _pose(12, 3)
    path = tmp_path / "take.bvh"
    write_bvh(path, RIG, rot, root, 30.0, up=up, scale=100.0)
    motion = read_bvh(path)
    got = motion.positions()  # (T, J, 3) file units
    for name, p in _expected(rot, root).items():
        np.testing.assert_allclose(got[:, motion.skeleton.index(name)], to_file(p) * 100.0, atol=1e-3)  # < 0.01 mm
    assert "Frame Time: 0.03333333" in path.read_text()


def test_bad_input(tmp_path: Path) -> None:
    rot, root = _pose(3, 1)
    with pytest.raises(ValueError, match="up axis"):
        write_bvh(tmp_path / "x.bvh", RIG, rot, root, 30.0, up="X")
    with pytest.raises(ValueError, match="rotations"):
        write_bvh(tmp_path / "x.bvh", RIG, rot[:, :3], root, 30.0)
    with pytest.raises(ValueError, match="root"):
        BvhRig(RIG.names, (0, 0, 1, 0, 3), RIG.heads, RIG.tails)


@pytest.mark.parametrize("up", ["Y", "Z"])
def test_round_trip_through_an_independent_reader(tmp_path: Path, up: str) -> None:
    # bvhio (PyPI; tests only) parses and poses the file with its own code: every joint within 0.01 mm.
    import bvhio

    rot, root = _pose(8, 5)
    path = tmp_path / "take.bvh"
    write_bvh(path, RIG, rot, root, 30.0, up=up, scale=100.0)
    hierarchy = bvhio.readAsHierarchy(str(path))
    to_file = (lambda p: np.stack([p[..., 0], p[..., 2], -p[..., 1]], -1)) if up == "Y" else (lambda p: p)
    expected = _expected(rot, root)
    assert [joint.Name for joint, _, _ in hierarchy.layout()] == list(RIG.names)
    for frame in range(len(rot)):
        hierarchy.loadPose(frame)
        for joint, _, _ in hierarchy.layout():
            got = np.array(joint.PositionWorld, dtype=float)
            np.testing.assert_allclose(got, to_file(expected[joint.Name][frame]) * 100.0, atol=1e-3)
