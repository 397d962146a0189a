"""Choose how much the floor under the planted feet weighs in the up direction (``core.world.ground.FLOOR_PRIOR_M2``):

    python -m core.world.ground_fit            # ~3 minutes on 2 cores (approximate, one machine)

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


def up_errors(cmu_root: Path, candidates: tuple[float, ...] = CANDIDATES_M2,
              weights: Path | None = None) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    """(clips, candidates) up errors in degrees over the training clips (module docstring), and the clip names."""
    from ..data.cmu import list_motions, split_by_subject
    from ..eval.rendered import FPS, rendered_clips
    from ..eval.world import _DEFAULTS, angle_deg
    from ..lift import load_lifter
    from ..weights import default_weights
    from .contact_fit import CAMERAS, FLAT_SPREAD_M, MAX_FRAMES, MOTIONS, SEED
    from .contacts import FEET
    from .place import place

    lifter = load_lifter(weights or default_weights("offline"), device="cpu")
    train, _ = split_by_subject(list_motions(cmu_root), ("08",))
    pick = np.random.default_rng(SEED).choice(len(train), size=min(MOTIONS, len(train)), replace=False)
    errors, names = [], []
    for clip in rendered_clips(lifter, [train[i] for i in sorted(pick)], SEED, CAMERAS, max_frames=MAX_FRAMES):
        lower = clip.world[:, list(FEET), 2].min(axis=1)
        if np.percentile(lower, 90) - np.percentile(lower, 10) > FLAT_SPREAD_M:
            continue
        cam, truth = clip.camera, clip.camera.R @ np.array([0.0, 0.0, 1.0])
        row = []
        for prior in candidates:
            placed = place(clip.rel, clip.pixels, clip.times, cam.width, cam.height, FPS, subject_height=clip.height,
                           floor_prior_m2=prior, **_DEFAULTS)  # fmt: skip
            row.append(angle_deg(placed.up_camera, truth))
        errors.append(row)
        names.append(clip.name)
    return np.asarray(errors), names


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.ground_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--checkpoint", type=Path, default=None, help="lifter weights (default: the shipped offline ones)")
    args = p.parse_args(argv)
    errors, names = up_errors(args.cmu_root, weights=args.checkpoint)
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
