"""Choose the two constants of the up direction in ``core.world.ground``, on training clips:

    python -m core.world.ground_fit            # ~3 minutes on 2 cores (approximate, one machine)

* ``CENTRE_OF_PRESSURE_M``, how far in front of the ankles a standing body's weight rests: measured on the true
  camera-space 3D with the mocap's contacts (no lifter, no detector): the median forward lean of
  ``up_from_support``'s direction against the true up, per candidate offset; the offset where it crosses zero.
* ``FLOOR_PRIOR_M2``, how much the floor under the planted feet weighs (``with_floor_points``): the up error of the
  whole placement (below) per candidate prior.

Data: the clips ``core.world.contact_fit`` learns from (CMU motions of the training subjects, subject 08 — which
``core.eval.world`` measures — left out; random cameras of the wide distribution, the detector-like noise, lifted by
the shipped offline lifter; clips on one flat floor only). Each clip is placed by capture's own ``core.world.place``
with every candidate prior (0 = without the floor) and the default options; the up error is the angle to the true
camera-space up. The candidate with the smallest median error over these clips is the one to ship; the table it
prints is the record (docs/capture.md). Never chosen on the evaluation subject.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

CANDIDATES_M2 = (0.0, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3)
OFFSETS_M = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)


def support_lean_deg(world: np.ndarray, camera_space: np.ndarray, up: np.ndarray, fps: float,
                     offsets: tuple[float, ...] = OFFSETS_M) -> np.ndarray | None:  # fmt: skip
    """True (T, 17, 3) world joints (Z up) and camera-space joints, the true camera-space up (3,) → (offsets,) the
    forward lean in degrees of ``up_from_support``'s direction (true 3D, the mocap's contacts, quasi-static frames)
    with each centre-of-pressure offset; None where the clip has no quasi-static contact."""
    from ..eval.world import truth_contacts
    from ..skeleton import JOINT_INDEX
    from .ground import MIN_CONTACT_FRAMES, body_axis, up_from_support
    from .place import STATIC_SPEED_M_S  # as capture: the support's frames are those whose pelvis is this slow

    rel = camera_space - camera_space[:, :1]
    speed = np.linalg.norm(np.diff(world[:, 0], axis=0, prepend=world[:1, 0]), axis=-1) * fps
    support = truth_contacts(world, fps) & (speed < STATIC_SPEED_M_S)[:, None]
    frames = rel[support.any(axis=1)]
    if len(frames) < MIN_CONTACT_FRAMES:
        return None
    hips = frames[:, JOINT_INDEX["l_hip"]] - frames[:, JOINT_INDEX["r_hip"]]
    forward = np.cross(hips, up).mean(axis=0)
    forward = forward - (forward @ up) * up
    forward /= np.linalg.norm(forward)
    leans = []
    for offset in offsets:
        est, from_support = up_from_support(rel, support, body_axis(rel), offset)
        leans.append(np.degrees(float((est - up) @ forward)) if from_support else np.nan)
    return np.asarray(leans)


def zero_crossing(x: tuple[float, ...], y: np.ndarray) -> float:
    """The x where the piecewise-linear y(x) (decreasing) first crosses zero; the last x if it never does."""
    for i in range(1, len(x)):
        if y[i] <= 0.0 < y[i - 1]:
            return float(x[i - 1] + (x[i] - x[i - 1]) * y[i - 1] / (y[i - 1] - y[i]))
    return float(x[-1])


def up_errors(cmu_root: Path, candidates: tuple[float, ...] = CANDIDATES_M2,
              weights: Path | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:  # fmt: skip
    """(clips, candidates) up errors in degrees over the training clips (module docstring), (clips with a
    quasi-static contact, offsets) the support's forward lean on the true 3D, and the clip names."""
    from ..eval.rendered import FPS
    from ..eval.world import _DEFAULTS, angle_deg
    from ..lift import load_lifter
    from ..weights import default_weights
    from .contact_fit import flat_training_clips
    from .place import place

    errors, leans, names = [], [], []
    for clip in flat_training_clips(load_lifter(weights or default_weights("offline"), device="cpu"), cmu_root):
        cam, truth = clip.camera, clip.camera.R @ np.array([0.0, 0.0, 1.0])
        row = []
        for prior in candidates:
            placed = place(clip.rel, clip.pixels, clip.times, cam.width, cam.height, FPS, subject_height=clip.height,
                           floor_prior_m2=prior, **_DEFAULTS)  # fmt: skip
            row.append(angle_deg(placed.up_camera, truth))
        errors.append(row)
        names.append(clip.name)
        lean = support_lean_deg(clip.world, clip.camera_space, truth, FPS)
        if lean is not None:
            leans.append(lean)
    return np.asarray(errors), np.asarray(leans), names


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.ground_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--checkpoint", type=Path, default=None, help="lifter weights (default: the shipped offline ones)")
    args = p.parse_args(argv)
    errors, leans, names = up_errors(args.cmu_root, weights=args.checkpoint)
    lean = np.nanmedian(leans, axis=0)
    print(f"{len(leans)} training clips with a quasi-static contact; the support's forward lean on the true 3D in "
          "degrees (median) per centre-of-pressure offset (m):\n")
    print("| offset m | " + " | ".join(f"{o:g}" for o in OFFSETS_M) + " |")
    print("|---|" + "---|" * len(OFFSETS_M))
    print("| forward lean ° | " + " | ".join(f"{v:.2f}" for v in lean) + " |")
    print(f"\nno lean at {zero_crossing(OFFSETS_M, lean):.3f} m (core.world.ground.CENTRE_OF_PRESSURE_M)\n")
    medians = np.median(errors, axis=0)
    print(f"{len(names)} training clips; up error in degrees per floor prior (m²):\n")
    print("| floor prior m² | " + " | ".join(f"{c:g}" for c in CANDIDATES_M2) + " |")
    print("|---|" + "---|" * len(CANDIDATES_M2))
    print("| median | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    print("| mean | " + " | ".join(f"{m:.2f}" for m in errors.mean(axis=0)) + " |")
    print(f"\nsmallest median: {CANDIDATES_M2[int(np.argmin(medians))]:g} m² (core.world.ground.FLOOR_PRIOR_M2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
