"""Retarget a real capture onto the rigs people animate and measure it: ``python -m tools.retarget_figures``.

The capture: the shared walking clip (``../shared/videos/intel_worker_walking_480x270.mp4``, CC BY 4.0), captured
with the default options, baked by the add-on. The rigs: the shared Quaternius "Adventurer" (glTF importer), Rigify's
Human meta-rig, and the rig Rigify generates from it (limbs in FK, and in IK: Rigify's default, which the retarget
keys to FK). Each is retargeted with the add-on's automatic mapping and default options (foot locking on), then
evaluated by Blender frame by frame. Figures (docs/retarget.md prints the table and the command):

* limb direction error: thigh, shin, upper arm and forearm directions of the target's pseudo joints against the
  captured joints' after one rotation fitted over the whole take (heading and object transform), mean and p95;
* planted feet: over the capture's contact frames, the target ankle's height above its rest-pose height (the rest
  pose stands on the rig's floor) and its horizontal slide per frame;
* pelvis path: the target pelvis against the captured one scaled by the leg ratio, after the same rotation and one
  shift, mean distance.

It also writes ``docs/images/retarget_<rig>.png``: each rig's bones at three frames, drawn from its evaluated pose.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEGMENTS = (
    ("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("r_hip", "r_knee"), ("r_knee", "r_ankle"),
    ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"),
)  # fmt: skip


def measure(source: np.ndarray, contacts: np.ndarray, target: np.ndarray, rest: np.ndarray) -> dict[str, float]:
    """Captured joints (T, 17, 3) and contacts (T, 2), the target's evaluated pseudo joints (T, 17, 3) and rest
    pseudo joints (17, 3), all in the target's world (Z up) → the figures of the module docstring."""
    from core.eval.real_video import rotation_fit
    from core.skeleton import JOINT_INDEX as J

    def dirs(x: np.ndarray) -> np.ndarray:
        d = np.stack([x[:, J[b]] - x[:, J[a]] for a, b in SEGMENTS], axis=1)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    ds, dt = dirs(source), dirs(target)
    rot = rotation_fit(ds, dt)
    err = np.degrees(np.arccos(np.clip(((ds @ rot.T) * dt).sum(-1), -1.0, 1.0)))
    ankles = target[:, [J["l_ankle"], J["r_ankle"]]]
    rest_z = rest[[J["l_ankle"], J["r_ankle"]], 2]
    height = (ankles[..., 2] - rest_z)[contacts]
    both = contacts[1:] & contacts[:-1]
    slide = np.linalg.norm(np.diff(ankles[..., :2], axis=0), axis=-1)[both]
    leg = lambda x: np.linalg.norm(x[J["l_knee"]] - x[J["l_hip"]]) + np.linalg.norm(x[J["l_ankle"]] - x[J["l_knee"]])  # noqa: E731
    scale = leg(rest) / float(np.median([leg(f) for f in source]))
    path = (source[:, J["pelvis"]] - source[0, J["pelvis"]]) @ rot.T * scale
    tp = target[:, J["pelvis"]] - target[0, J["pelvis"]]
    path += (tp - path).mean(axis=0)
    return {"dir_mean": float(err.mean()), "dir_p95": float(np.percentile(err, 95)),
            "foot_height_cm": 100 * float(np.abs(height).max()) if height.size else float("nan"),
            "slide_cm": 100 * float(slide.max()) if slide.size else float("nan"),
            "pelvis_cm": 100 * float(np.linalg.norm(tp - path, axis=-1).mean())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.retarget_figures", description=__doc__.split("\n\n")[0])
    p.add_argument("--video", type=Path, default=SHARED / "videos" / "intel_worker_walking_480x270.mp4")
    p.add_argument("--images", type=Path, default=REPO / "docs" / "images")
    args = p.parse_args(argv)
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="video_mocap_figures_"))
    sys.path[:0] = [str(REPO)]
    from tools.retarget_scenes import capture_and_bake, evaluate_rig, load_rigs, retarget_onto, sketch

    take = capture_and_bake(args.video)
    rows = []
    for name, obj in load_rigs(SHARED):
        t0 = time.perf_counter()
        summary, frames = retarget_onto(take, obj, ik=name.endswith("(IK)"))
        summary += f" [retarget {time.perf_counter() - t0:.1f} s]"
        joints, rest = evaluate_rig(obj, frames)
        figures = measure(take["joints"], take["contacts"], joints, rest)
        rows.append((name, figures, summary))
        if not name.endswith("(IK)"):  # the same rig as the FK row, keyed to FK: the same picture
            slug = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_").replace("__", "_")
            sketch(args.images / f"retarget_{slug}.png", name, obj, frames)
    print(
        f"capture: {args.video.name}, {len(take['joints'])} frames, feet planted "
        f"{take['contacts'].mean():.0%} of the time"
    )
    print(
        "| rig | limb direction error mean / p95 ° | planted ankle height above rest, max cm | "
        "planted slide max cm/frame | pelvis path error cm |"
    )
    print("|---|---|---|---|---|")
    for name, f, _ in rows:
        print(
            f"| {name} | {f['dir_mean']:.2f} / {f['dir_p95']:.2f} | {f['foot_height_cm']:.1f} | {f['slide_cm']:.2f} "
            f"| {f['pelvis_cm']:.1f} |"
        )
    for name, _, summary in rows:
        print(f"- {name}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
