"""Readers for the Human3.6M files in VideoPose3D's format, and the standard evaluation protocol.

Human3.6M may not be redistributed: nothing here downloads it. Users who have a licence create the files with
VideoPose3D's scripts (:data:`HOW_TO_GET`, from its DATASETS.md); missing files raise with those instructions.

File formats (VideoPose3D, ``np.savez_compressed`` of pickled dicts, loaded with ``allow_pickle=True``):

* ``data_3d_h36m.npz``: ``positions_3d[subject][action]`` (T, 32, 3) float32 world positions in metres (Z up).
* ``data_2d_h36m_gt.npz`` / ``data_2d_h36m_cpn_ft_h36m_dbb.npz``: ``positions_2d[subject][action]`` a list of four
  (T, 17, 2) pixel arrays in camera-index order, and ``metadata`` with ``num_joints``, ``keypoints_symmetry``
  ([left joints], [right joints]) and, in the detection files, ``layout_name`` ("h36m").

The 32 → 17 reduction is VideoPose3D's ``remove_static_joints``: it keeps :data:`KEPT_JOINTS` and drops the 15
joints that are "static" duplicates of a neighbour's position or extremity end points (toes, hand and thumb
sites). The 17-joint parent table is then *derived* from the 32-joint one (each kept joint hangs from its nearest
kept ancestor) plus VideoPose3D's single rewiring: the shoulders, whose nearest kept ancestor is the spine, hang
from the thorax. :func:`reduced_parents` reproduces ``core.skeleton.H36M_PARENTS`` exactly, and the kept left/right
joints reproduce H36M_LEFT/H36M_RIGHT (checked by the tests).

Protocol (Pavllo et al. 2019; Liu et al. 2020, Sec. 4.1): train on S1 S5 S6 S7 S8, test on S9 S11; the error of an
action is the frame-weighted mean over all its frames (every subject, sequence and camera), actions being the name
before the first space ("Walking 1" → "Walking"); the reported figure is the unweighted mean over the 15 actions;
all 17 joints count, the root included.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..camera import Camera, load_h36m_cameras
from ..skeleton import H36M_LEFT, H36M_RIGHT, NUM_JOINTS

H36M32_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 12, 16, 17, 18, 19, 20, 19, 22,
                                   12, 24, 25, 26, 27, 28, 27, 30)  # fmt: skip
H36M32_LEFT: tuple[int, ...] = (6, 7, 8, 9, 10, 16, 17, 18, 19, 20, 21, 22, 23)
H36M32_RIGHT: tuple[int, ...] = (1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29, 30, 31)
REMOVED_JOINTS: tuple[int, ...] = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)  # VideoPose3D
KEPT_JOINTS: tuple[int, ...] = tuple(j for j in range(32) if j not in REMOVED_JOINTS)
SHOULDER_REWIRING: dict[int, int] = {11: 8, 14: 8}  # 17-joint index → new parent (thorax)

TRAIN_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS: tuple[str, ...] = ("S9", "S11")
ACTIONS: tuple[str, ...] = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases", "Sitting",
    "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether",
)  # fmt: skip
_ALIASES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}  # S1's file names, as VideoPose3D canonicalises them
DEFAULT_CAMERAS_JSON = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "h36m" / "cameras.json"

HOW_TO_GET = """\
Human3.6M cannot be shipped or downloaded by Video Mocap (its licence forbids redistribution). If you have a
licence, create the files with VideoPose3D (https://github.com/facebookresearch/VideoPose3D, DATASETS.md):
  1. Log in at http://vision.imar.ro/human3.6m/ and download "Poses -> D3 Positions" for S1, S5, S6, S7, S8, S9, S11.
  2. Extract the Poses_D3_Positions_S*.tgz archives to one folder (S1/MyPoseFeatures/D3_Positions/*.cdf, ...).
  3. pip install cdflib; in VideoPose3D: cd data && python prepare_data_h36m.py --from-source-cdf /path/to/folder
     -> data_3d_h36m.npz and data_2d_h36m_gt.npz
  4. Optional CPN detections (VideoPose3D's AWS link in DATASETS.md): data_2d_h36m_cpn_ft_h36m_dbb.npz
Then pass the folder holding these files (--data-dir)."""


def reduced_parents(
    parents32: Sequence[int] = H36M32_PARENTS,
    kept: Sequence[int] = KEPT_JOINTS,
    rewiring: Mapping[int, int] = SHOULDER_REWIRING,
) -> tuple[int, ...]:
    """Parent table of the kept joints: nearest kept ancestor (re-indexed), then VideoPose3D's rewiring."""
    new_index = {old: new for new, old in enumerate(kept)}
    parents = []
    for old in kept:
        p = parents32[old]
        while p >= 0 and p not in new_index:
            p = parents32[p]
        parents.append(new_index[p] if p >= 0 else -1)
    for joint, parent in rewiring.items():
        parents[joint] = parent
    return tuple(parents)


def action_group(action: str) -> str:
    """The protocol's action: the name before the first space, with S1's aliases mapped ("TakingPhoto 1" → "Photo")."""
    name = action.split(" ")[0]
    return _ALIASES.get(name, name)


def require_file(path: str | Path) -> Path:
    """Return ``path`` if it exists, else raise FileNotFoundError with :data:`HOW_TO_GET`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Human3.6M file not found: {path}\n{HOW_TO_GET}")
    return path


def _load_pickled(path: str | Path, key: str) -> object:
    with np.load(require_file(path), allow_pickle=True) as f:
        if key not in f.files:
            raise ValueError(f"{path}: no '{key}' entry (has {f.files}); is this a VideoPose3D file?")
        return f[key].item()


def load_positions_3d(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """``data_3d_h36m.npz`` → {subject: {action: (T, 17, 3) float32 world metres}} (32 joints reduced to 17)."""
    data = _load_pickled(path, "positions_3d")
    out: dict[str, dict[str, np.ndarray]] = {}
    for subject, actions in data.items():
        out[subject] = {}
        for action, positions in actions.items():
            positions = np.asarray(positions)
            if positions.ndim != 3 or positions.shape[1:] != (32, 3):
                raise ValueError(f"{path}: {subject}/{action} has shape {positions.shape}, expected (T, 32, 3)")
            out[subject][action] = positions[:, KEPT_JOINTS].astype(np.float32)
    return out


@dataclass(frozen=True)
class Keypoints2DMetadata:
    num_joints: int
    keypoints_symmetry: tuple[tuple[int, ...], tuple[int, ...]]  # (left joints, right joints)
    layout_name: str | None  # "h36m" in detection files; absent from VideoPose3D's ground-truth file

    def __post_init__(self) -> None:
        if self.num_joints != NUM_JOINTS or self.keypoints_symmetry != (H36M_LEFT, H36M_RIGHT):
            raise ValueError(
                f"2D keypoints are not in the H36M-17 layout: num_joints={self.num_joints}, "
                f"symmetry={self.keypoints_symmetry} (expected {NUM_JOINTS}, {(H36M_LEFT, H36M_RIGHT)})"
            )
        if self.layout_name not in (None, "h36m"):
            raise ValueError(f"2D keypoints layout {self.layout_name!r} is not 'h36m'")


def load_positions_2d(path: str | Path) -> tuple[dict[str, dict[str, list[np.ndarray]]], Keypoints2DMetadata]:
    """``data_2d_h36m_*.npz`` → ({subject: {action: [(T, 17, 2) float32 pixels per camera]}}, metadata)."""
    meta = _load_pickled(path, "metadata")
    try:
        left, right = meta["keypoints_symmetry"]
        metadata = Keypoints2DMetadata(int(meta["num_joints"]), (tuple(map(int, left)), tuple(map(int, right))),
                                       meta.get("layout_name"))  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: bad metadata {meta!r}: {exc}") from exc
    data = _load_pickled(path, "positions_2d")
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in data.items():
        out[subject] = {}
        for action, per_camera in actions.items():
            arrays = [np.asarray(a, dtype=np.float32) for a in per_camera]
            for a in arrays:
                if a.ndim != 3 or a.shape[1:] != (NUM_JOINTS, 2):
                    raise ValueError(f"{path}: {subject}/{action} has a (T, 17, 2) mismatch: {a.shape}")
            out[subject][action] = arrays
    return out, metadata


def load_cameras(path: str | Path | None = None) -> dict[str, list[Camera]]:
    """The public Human3.6M calibration (default ../shared/data/h36m/cameras.json) as core.camera Cameras."""
    return load_h36m_cameras(path if path is not None else DEFAULT_CAMERAS_JSON)


def aligned_sequences(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]],
    positions_2d: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    subjects: Sequence[str],
) -> Iterator[tuple[str, str, int, np.ndarray, np.ndarray]]:
    """Yield (subject, action, camera index, 3D (T, 17, 3), 2D (T, 17, 2)) for every 3D sequence and camera.

    As in VideoPose3D's run.py, 2D tracks longer than the mocap are trimmed to its length (a few sequences carry
    extra video frames); a shorter or missing 2D track is an error.
    """
    for subject in subjects:
        if subject not in positions_3d:
            raise KeyError(f"subject {subject} not in the 3D file (has {sorted(positions_3d)})")
        for action, joints in positions_3d[subject].items():
            tracks = positions_2d.get(subject, {}).get(action)
            if tracks is None:
                raise KeyError(f"{subject}/{action}: no 2D keypoints for this 3D sequence")
            for cam, track in enumerate(tracks):
                if track.shape[0] < joints.shape[0]:
                    raise ValueError(f"{subject}/{action} camera {cam}: 2D has {track.shape[0]} frames, 3D has "
                                     f"{joints.shape[0]}")  # fmt: skip
                yield subject, action, cam, joints, track[: joints.shape[0]]


@dataclass(frozen=True)
class ProtocolResult:
    per_action: dict[str, float]  # frame-weighted mean error of each action group
    frames: dict[str, int]  # frames (all subjects, sequences, cameras) behind each action's figure
    mean: float  # unweighted mean over the action groups


def protocol_average(per_frame_errors: Mapping[tuple[str, ...], np.ndarray], require_all_actions: bool = True
                     ) -> ProtocolResult:  # fmt: skip
    """Combine per-frame errors the Human3.6M way.

    Args:
        per_frame_errors: {(subject, action[, camera, ...]): (T,) errors of each frame (e.g. MPJPE over all 17
            joints)}; only the action part of the key is used for grouping.
        require_all_actions: raise unless all 15 protocol actions are present.
    Returns:
        per-action frame-weighted means and their unweighted mean.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for key, errors in per_frame_errors.items():
        errors = np.asarray(errors, dtype=np.float64).ravel()
        group = action_group(key[1])
        sums[group] = sums.get(group, 0.0) + float(errors.sum())
        counts[group] = counts.get(group, 0) + errors.size
    if not counts:
        raise ValueError("protocol_average: no errors given")
    if require_all_actions and set(counts) != set(ACTIONS):
        raise ValueError(f"protocol_average: actions {sorted(set(counts) ^ set(ACTIONS))} missing or unexpected")
    per_action = {a: sums[a] / counts[a] for a in sorted(counts) if counts[a] > 0}
    return ProtocolResult(per_action, dict(sorted(counts.items())), float(np.mean(list(per_action.values()))))


def check_files(data_dir: str | Path) -> str:
    """A one-paragraph summary of the Human3.6M files in ``data_dir``; raises with :data:`HOW_TO_GET` if absent."""
    data_dir = Path(data_dir)
    p3 = load_positions_3d(data_dir / "data_3d_h36m.npz")
    lines = [f"data_3d_h36m.npz: {', '.join(f'{s} ({len(a)} sequences)' for s, a in sorted(p3.items()))}"]
    for name in ("data_2d_h36m_gt.npz", "data_2d_h36m_cpn_ft_h36m_dbb.npz"):
        if (data_dir / name).is_file():
            p2, meta = load_positions_2d(data_dir / name)
            lines.append(f"{name}: {len(p2)} subjects, layout {meta.layout_name or 'h36m (implicit)'}")
        else:
            lines.append(f"{name}: missing")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m core.data.h36m DATA_DIR
    import sys

    try:
        print(check_files(sys.argv[1] if len(sys.argv) > 1 else "."))
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
