"""The shared CMU motions as 17-joint Human3.6M trajectories in metres, Z up, feet on the ground, at 50 fps.

Pipeline per file (see ../shared/data/cmu/README.md for the measured quirks):

1. parse the BVH (``core.data.bvh``) and drop frame 0, the T-pose cgspeed prepends to every file;
2. resample from the *true* capture rate to ``fps`` by slerping joint rotations and lerping the root
   (bones stay rigid), then forward kinematics;
3. map the rig to the 17 H36M joints (``core.data.cmu_skeletons``), convert to metres;
4. rotate the BVH's Y-up frame to a right-handed Z-up world: (x, y, z)_bvh → (x, -z, y);
5. put the feet on the ground: subtract the 5th percentile over frames of each frame's lowest skeleton point
   (toe end sites included). A percentile rather than the minimum tolerates feet dipping through the capture
   floor; per motion rather than per frame keeps jumps in the air.

The true frame rate comes from ``index.csv`` by CMU subject/trial (``daz/salsa/NN`` is subject 60 trial NN for
NN <= 15 and subject 61 trial NN - 15; ``daz/indian/NN`` is subject 94 trial NN). ``daz/martial`` is not in the
index: its header rate (120 fps, CMU's usual rate) is used. Results are cached as .npz keyed by the file's sha256.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bvh import read_bvh, resample
from .cmu_skeletons import detect_rig

CACHE_VERSION = 1  # bump when the pipeline above changes, so stale cache files are not reused
DEFAULT_CMU_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cmu"
SKELETONS = ("mb", "daz")
_GROUP_SUBJECT = {"indian": "94"}  # daz group folders with a single CMU subject
_FILE = re.compile(r"^(\d+)_(\d+)\.bvh$")
_HEADER_RATE = re.compile(rb"Frame\s+Time:\s*(\S+)")


@dataclass(frozen=True)
class Motion:
    """One BVH file of the shared CMU data."""

    subject: str  # CMU subject, two digits ("08"), or "martial" (not in CMU's index)
    trial: str  # two digits ("01")
    skeleton: str  # the folder: "mb" (per-subject calibrated) or "daz" (generic proportions)
    path: Path
    fps: float  # true capture rate in Hz
    description: str

    @property
    def name(self) -> str:
        """A readable unique id such as ``mb/08_01`` or ``daz/salsa/05``."""
        if self.skeleton == "daz":  # daz file names repeat across its group folders (salsa/01, indian/04, ...)
            return f"daz/{self.path.parent.name}/{self.path.stem}"
        return f"{self.skeleton}/{self.path.stem}"


def list_motions(root: str | Path | None = None) -> list[Motion]:
    """All BVH files under ``root`` (default ../shared/data/cmu), sorted by name, with true fps and description."""
    root = Path(root) if root is not None else DEFAULT_CMU_ROOT
    index_path = root / "index.csv"
    if not index_path.is_file():
        raise FileNotFoundError(
            f"CMU data not found: {index_path} is missing. Expected the shared CMU BVH folder (mb/, daz/, index.csv) "
            "described in ../shared/data/cmu/README.md."
        )
    index = _read_index(index_path)
    motions = []
    for skeleton in SKELETONS:
        for path in sorted((root / skeleton).glob("*/*.bvh")):
            subject, trial = _subject_trial(path)
            fps, description = index.get((subject, trial), (None, ""))
            if fps is None:
                fps = _header_fps(path)
                description = description or path.parent.name.replace("_", " ")
            motions.append(Motion(subject, trial, skeleton, path, fps, description))
    if not motions:
        raise FileNotFoundError(f"no .bvh files under {root}/mb/*/ or {root}/daz/*/")
    return sorted(motions, key=lambda m: m.name)


def split_by_subject(
    motions: Iterable[Motion], val_subjects: Sequence[str] = ("08",)
) -> tuple[list[Motion], list[Motion]]:
    """(train, val): every motion of a validation subject goes to val, never to train."""
    motions = list(motions)
    wanted = {str(s) for s in val_subjects}
    present = {m.subject for m in motions}
    if missing := wanted - present:
        raise ValueError(f"split_by_subject: subjects {sorted(missing)} not among {sorted(present)}")
    train = [m for m in motions if m.subject not in wanted]
    val = [m for m in motions if m.subject in wanted]
    return train, val


def default_cache_dir() -> Path:
    """``$VIDEO_MOCAP_CACHE`` or ``~/.cache/video_mocap``."""
    env = os.environ.get("VIDEO_MOCAP_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "video_mocap"


def load_h36m_joints(motion: Motion, fps: float = 50.0, cache_dir: str | Path | None = None) -> np.ndarray:
    """The motion as (T, 17, 3) float32 H36M joints in metres, Z-up world, feet on z = 0, sampled at ``fps``.

    Cached under ``<cache_dir>/cmu/<sha256 of the file>_<rates>_v<CACHE_VERSION>.npz``; the cache is only an
    accelerator (delete it freely). ``cache_dir`` defaults to :func:`default_cache_dir`.
    """
    if not fps > 0:
        raise ValueError(f"load_h36m_joints: fps must be positive, got {fps}")
    data = Path(motion.path).read_bytes()
    key = f"{hashlib.sha256(data).hexdigest()[:32]}_{motion.fps:g}to{fps:g}_v{CACHE_VERSION}.npz"
    cache_file = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "cmu" / key
    if cache_file.is_file():
        try:
            with np.load(cache_file) as cached:
                return cached["joints"]
        except (OSError, ValueError, KeyError):
            pass  # corrupt or partial cache file: recompute and overwrite
    joints = bvh_to_h36m(motion.path, motion.fps, fps)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, joints=joints)
        os.replace(tmp, cache_file)  # atomic: parallel loaders never see a half-written file
    except OSError as exc:  # read-only or full disk: the cache is optional, the data is not
        warnings.warn(f"could not write the CMU cache file {cache_file}: {exc}", stacklevel=2)
    return joints


def bvh_to_h36m(path: str | Path, fps_in: float, fps_out: float = 50.0, drop_first: int = 1) -> np.ndarray:
    """Steps 1–5 of the module docstring for one file, uncached. Returns (T, 17, 3) float32."""
    motion = read_bvh(path)
    if motion.num_frames <= drop_first + 1:
        raise ValueError(f"{path}: only {motion.num_frames} frames")
    motion = resample(motion.frames(drop_first), fps_in, fps_out)
    rig = detect_rig(motion.skeleton.names)
    positions = motion.positions() * rig.metres_per_unit  # (T, Jbvh, 3)
    positions = np.stack((positions[..., 0], -positions[..., 2], positions[..., 1]), axis=-1)  # Y up → Z up
    ground = np.percentile(positions[..., 2].min(axis=1), 5.0)
    positions[..., 2] -= ground
    joints = np.stack(
        [positions[:, [motion.skeleton.index(s) for s in sources]].mean(axis=1) for sources in rig.sources], axis=1
    )
    return joints.astype(np.float32)


def _read_index(path: Path) -> dict[tuple[str, str], tuple[float, str]]:
    index = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            index[(f"{int(row['subject']):02d}", f"{int(row['trial']):02d}")] = (
                float(row["framerate"]), row["description"]
            )  # fmt: skip
    return index


def _subject_trial(path: Path) -> tuple[str, str]:
    """CMU (subject, trial) of a shared BVH file from its folder and name (see the module docstring)."""
    group = path.parent.name
    if m := _FILE.match(path.name):
        return f"{int(m.group(1)):02d}", f"{int(m.group(2)):02d}"
    if not path.stem.isdigit():
        raise ValueError(f"unexpected CMU file name {path} (expected NN_MM.bvh or NN.bvh)")
    n = int(path.stem)
    if group == "salsa":  # partners: files 1–15 are subject 60, 16–30 subject 61, same trial numbers
        return ("60", f"{n:02d}") if n <= 15 else ("61", f"{n - 15:02d}")
    return _GROUP_SUBJECT.get(group, group), f"{n:02d}"


def _header_fps(path: Path) -> float:
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        while (m := _HEADER_RATE.search(head)) is None:
            chunk = f.read(1 << 16)
            if not chunk:
                raise ValueError(f"{path}: no 'Frame Time:' in the file")
            head += chunk
    return round(1.0 / float(m.group(1)), 3)
