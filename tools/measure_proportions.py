"""Measure the body proportions of MediaPipe's landmarks against each mocap source's (the "mediapipe" joints).

    .venv/bin/python -m tools.measure_proportions

Prints, per bone group (core.data.augment's groups), the median length as a fraction of the leg (hip → knee → ankle)
on the shared Pose2Sim reference's triangulated MediaPipe landmarks (../shared/data/pose2sim_balance, mapped by
core.skeleton.MEDIAPIPE_WEIGHTS) and on each mocap source in the detector-like definition (core.data.landmarks),
and the factors source → MediaPipe that ``core.data.landmarks.PROPORTION_FACTORS`` holds. One subject's landmarks:
the factors carry the systematic difference between landmarks and mocap joint centres (hip landmarks sit wider and
lower than hip joints, the wrist landmark further down the forearm, ...), not that subject's build — per-source
factors keep every source's own spread of bodies, and training adds bone-length augmentation on top.
"""

from __future__ import annotations

import numpy as np

from core.data.augment import BONE_GROUP, NUM_GROUPS
from core.data.cmu import DEFAULT_CMU_ROOT, list_motions, load_h36m_joints
from core.data.extra_mocap import load_extra_motions
from core.data.landmarks import landmark_like
from core.eval.real_video import load_views
from core.skeleton import H36M_BONES

GROUPS = ("hip width", "thigh", "shin", "trunk", "neck", "head", "shoulder width", "upper arm", "forearm")


def group_ratios(poses: list[np.ndarray]) -> np.ndarray:
    """(NUM_GROUPS,) median group length / median leg length over all frames of all ``poses`` (T, 17, 3)."""
    frames = np.concatenate(poses)
    lengths = np.stack([np.linalg.norm(frames[:, c] - frames[:, p], axis=-1) for p, c in H36M_BONES], axis=1)
    med = np.median(lengths, axis=0)  # (16,)
    leg = 0.5 * (med[1] + med[2] + med[4] + med[5])
    return np.array([med[BONE_GROUP == g].mean() for g in range(NUM_GROUPS)]) / leg


def main() -> int:
    ref = group_ratios([load_views()[0].reference])
    cmu = list_motions(DEFAULT_CMU_ROOT)
    sources = {s: [landmark_like(load_h36m_joints(m, 50.0)) for m in cmu if m.skeleton == s and m.subject != "08"]
               for s in ("mb", "daz")}  # fmt: skip
    extra, names = load_extra_motions(DEFAULT_CMU_ROOT.parent / "extra_mocap", ("cmu_extra", "hdm05"))
    for s in ("cmu_extra", "hdm05"):
        sources[s] = [landmark_like(m) for m, n in zip(extra, names) if n.startswith(s + "/")]
    print("group".ljust(16), "mediapipe".rjust(10), *(s.rjust(10) for s in sources))
    ratios = {s: group_ratios(p) for s, p in sources.items()}
    for g, name in enumerate(GROUPS):
        print(name.ljust(16), f"{ref[g]:10.3f}", *(f"{ratios[s][g]:10.3f}" for s in sources))
    print("\nPROPORTION_FACTORS = {")
    for s in sources:
        print(f'    "{s}": ({", ".join(f"{f:.3f}" for f in ref / ratios[s])}),')
    print("}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
