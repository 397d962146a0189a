"""Choose the three constants of the up direction in ``core.world.ground``, on training clips:

    python -m core.world.ground_fit            # ~5 minutes on 2 cores (approximate, one machine)

* ``CENTRE_OF_PRESSURE_M``, how far in front of the ankles a standing body's weight rests: measured on the true
  camera-space 3D with the mocap's contacts (no lifter, no detector): the median forward lean of
  ``up_from_support``'s direction against the true up, per candidate offset; the offset where it crosses zero.
* ``FLOOR_PRIOR_M2``, how much the floor under the planted feet weighs (``with_floor_points``): the up error of the
  whole placement (below) per candidate prior, with the shipped ``GRAVITY_SHARE``;
* ``GRAVITY_SHARE``, how far the body's estimate moves towards the image's (``with_image_gravity``): the same up
  error per candidate share, with the shipped ``FLOOR_PRIOR_M2`` (one constant at a time: rerun after changing one).

Data: the BVH clips ``core.world.contact_fit`` learns from (CMU motions of the training subjects, subject 08 — which
``core.eval.world`` measures — left out; random cameras of the wide distribution, the detector-like noise, lifted by the
shipped offline lifter; clips on one flat floor only). ``--cmu-extra`` adds its CMU-extra clips, mostly walking: a
diagnostic, since on them the rule below would drop the image's gravity, which the real views need (docs/capture.md).
Each clip is placed by capture's own ``core.world.place`` with every candidate (prior 0 = without the floor, share 0 =
without the image) and the default options; the up error is the angle to the true camera-space up. A candidate replaces
the shipped constant only when its median error over these clips is lower by more than their sampling noise: the whole
90 % interval of (its median − the shipped one's), from a paired bootstrap over the clips, lies below zero; among such
candidates the smallest median wins (``choice``). The tables it prints are the record (docs/capture.md). Never chosen on
the evaluation subject.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .ground import FLOOR_PRIOR_M2, GRAVITY_SHARE

CANDIDATES_M2 = (0.0, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3)
SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
OFFSETS_M = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)
BOOTSTRAP_DRAWS = 2000


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


def up_errors(cmu_root: Path, extra_root: Path | None, candidates: tuple[float, ...] = CANDIDATES_M2,
              shares: tuple[float, ...] = SHARES, weights: Path | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:  # fmt: skip
    """(clips, candidates) up errors in degrees over the training clips (module docstring) per floor prior with the
    shipped gravity share, (clips, shares) per gravity share with the shipped floor prior, (clips with a
    quasi-static contact, offsets) the support's forward lean on the true 3D, and the clip names."""
    from ..eval.rendered import FPS
    from ..lift import load_lifter
    from ..weights import default_weights
    from .contact_fit import flat_training_clips

    errors, share_errors, leans, names = [], [], [], []
    lifter = load_lifter(weights or default_weights("offline"), device="cpu")
    for clip in flat_training_clips(lifter, cmu_root, extra_root):
        truth = clip.camera.R @ np.array([0.0, 0.0, 1.0])
        errors.append([_up_error(clip, truth, floor_prior_m2=prior) for prior in candidates])
        share_errors.append([_up_error(clip, truth, gravity_share=share) for share in shares])
        names.append(clip.name)
        lean = support_lean_deg(clip.world, clip.camera_space, truth, FPS)
        if lean is not None:
            leans.append(lean)
    return np.asarray(errors), np.asarray(share_errors), np.asarray(leans), names


def _up_error(clip: Any, truth: np.ndarray, **option: float) -> float:
    """Degrees between the true camera-space up and capture's placement of ``clip`` with one option changed."""
    from ..eval.rendered import FPS
    from ..eval.world import _DEFAULTS, angle_deg
    from .place import place

    cam = clip.camera
    placed = place(clip.rel, clip.pixels, clip.times, cam.width, cam.height, FPS, subject_height=clip.height,
                   **_DEFAULTS, **option)  # fmt: skip
    return angle_deg(placed.up_camera, truth)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.ground_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--cmu-extra", type=Path, nargs="?", const=Path(__file__).resolve().parents[3]
                   / "shared/data/extra_mocap", default=None, metavar="ROOT",
                   help="also the contact fit's CMU-extra clips (a diagnostic: the constants are chosen without them)")
    p.add_argument("--checkpoint", type=Path, default=None, help="lifter weights (default: the shipped offline ones)")
    args = p.parse_args(argv)
    errors, share_errors, leans, names = up_errors(args.cmu_root, args.cmu_extra, weights=args.checkpoint)
    lean = np.nanmedian(leans, axis=0)
    print(f"{len(leans)} training clips with a quasi-static contact; the support's forward lean on the true 3D in "
          "degrees (median) per centre-of-pressure offset (m):\n")
    print("| offset m | " + " | ".join(f"{o:g}" for o in OFFSETS_M) + " |")
    print("|---|" + "---|" * len(OFFSETS_M))
    print("| forward lean ° | " + " | ".join(f"{v:.2f}" for v in lean) + " |")
    print(f"\nno lean at {zero_crossing(OFFSETS_M, lean):.3f} m (core.world.ground.CENTRE_OF_PRESSURE_M)\n")
    _table(errors, CANDIDATES_M2, f"floor prior (m²; the image's share {GRAVITY_SHARE:g})", "floor prior m²",
           "core.world.ground.FLOOR_PRIOR_M2", FLOOR_PRIOR_M2)  # fmt: skip
    _table(share_errors, SHARES, f"the image's share (floor prior {FLOOR_PRIOR_M2:g} m²)", "share",
           "core.world.ground.GRAVITY_SHARE", GRAVITY_SHARE)  # fmt: skip
    return 0


def _table(errors: np.ndarray, candidates: tuple[float, ...], what: str, header: str, constant: str,
           shipped: float) -> None:  # fmt: skip
    medians = np.median(errors, axis=0)
    lo, hi = median_difference_interval(errors, candidates.index(shipped))
    print(f"\n{len(errors)} training clips; up error in degrees per {what}:\n")
    print(f"| {header} | " + " | ".join(f"{c:g}" for c in candidates) + " |")
    print("|---|" + "---|" * len(candidates))
    print("| median | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    print("| mean | " + " | ".join(f"{m:.2f}" for m in errors.mean(axis=0)) + " |")
    intervals = " | ".join(f"{a:+.2f}…{b:+.2f}" for a, b in zip(lo, hi, strict=True))
    print(f"| median − shipped's, 90 % interval | {intervals} |")
    print(f"\nto ship ({constant}): {candidates[choice(medians, hi, candidates.index(shipped))]:g}")


def median_difference_interval(errors: np.ndarray, shipped: int, draws: int = BOOTSTRAP_DRAWS,
                               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(clips, candidates) errors → per candidate the 5th and 95th percentiles of (its median − the shipped
    candidate's median) over clips drawn with replacement (a paired bootstrap: the same clips for both)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(errors), (draws, len(errors)))
    medians = np.median(errors[picks], axis=1)  # (draws, candidates)
    diff = medians - medians[:, shipped : shipped + 1]
    return np.percentile(diff, 5, axis=0), np.percentile(diff, 95, axis=0)


def choice(medians: np.ndarray, upper: np.ndarray, shipped: int) -> int:
    """The candidate to ship: the smallest median among those whose whole 90 % interval lies below the shipped
    constant's (a change must beat the clips' sampling noise); else the shipped one stays."""
    better = np.flatnonzero(upper < 0.0)
    return int(better[np.argmin(medians[better])]) if len(better) else shipped


if __name__ == "__main__":
    sys.exit(main())
