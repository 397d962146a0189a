"""The extra motion sets of ``../shared/data/extra_mocap`` (new CMU subjects, HDM05) as H36M-17 world motions.

Each ``.npz`` holds clips ``<source>__<clip>`` → (T, 19, 3) float32 joint positions in metres, **Y up**, 50 fps, in
the joint order of ``../shared/data/extra_mocap/README.md``: the 17 Human3.6M joints in our order (mapped from the
skeleton exactly like ``core.data.cmu``) followed by the two toes. We convert to our Z-up world the way
``core.data.cmu`` does ((x, y, z) → (x, −z, y)) and put the feet on the ground with the same 5th-percentile rule,
using the toes too. HDM05 is CC BY-SA 3.0: weights trained with it must say so (model card, README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..skeleton import H36M_JOINTS

SETS = {"cmu_extra": "cmu_extra_joints_50fps.npz", "hdm05": "hdm05_joints_50fps.npz"}
LICENCES = {
    "cmu_extra": "CMU Graphics Lab Motion Capture Database (free for all uses)",
    "hdm05": "HDM05 (Müller et al. 2007), CC BY-SA 3.0: weights trained on it are adapted material under CC BY-SA",
}
FPS = 50.0


def load_extra_motions(root: str | Path, sets: tuple[str, ...]) -> tuple[list[np.ndarray], list[str]]:
    """The clips of the named ``sets`` (keys of :data:`SETS`) under ``root``.

    Returns:
        (motions, names): motions (T, 17, 3) float32, metres, Z up, feet on z = 0, 50 fps; names ``source/clip``.
    """
    unknown = set(sets) - set(SETS)
    if unknown:
        raise ValueError(f"unknown extra mocap set(s) {sorted(unknown)}; known: {sorted(SETS)}")
    motions, names = [], []
    for name in sets:
        path = Path(root) / SETS[name]
        if not path.is_file():
            raise FileNotFoundError(f"extra mocap set {name!r} not found: {path} (see ../shared/data/README.md)")
        with np.load(path, allow_pickle=False) as f:
            joint_names = tuple(str(n) for n in f["joint_names"])
            if joint_names[:17] != tuple(n if n != "neck" else "neck_nose" for n in H36M_JOINTS):
                raise ValueError(f"{path}: unexpected joint order {joint_names}")
            for key in sorted(k for k in f.files if k != "joint_names"):
                motions.append(to_world(f[key]))
                names.append(f"{name}/{key}")
    return motions, names


def to_world(clip: np.ndarray) -> np.ndarray:
    """(T, 19, 3) Y-up joints → (T, 17, 3) float32 Z-up joints with the feet (ankles, toes) on z = 0."""
    if clip.ndim != 3 or clip.shape[1:] != (19, 3) or len(clip) < 1:
        raise ValueError(f"expected an extra-mocap clip of shape (T, 19, 3), got {clip.shape}")
    z_up = np.stack((clip[..., 0], -clip[..., 2], clip[..., 1]), axis=-1).astype(np.float64)
    z_up[..., 2] -= np.percentile(z_up[..., 2].min(axis=1), 5.0)
    return z_up[:, :17].astype(np.float32)
