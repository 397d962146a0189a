"""Choose the three constants of the up direction in ``core.world.ground``, on training clips:

    python -m core.world.ground_fit            # ~7 minutes on 2 cores (approximate, one machine)

* ``CENTRE_OF_PRESSURE_M``, how far in front of the ankles a standing body's weight rests: measured on the true
  camera-space 3D with the mocap's contacts (no lifter, no detector): the median forward lean of
  ``up_from_support``'s direction against the true up, per candidate offset; the offset where it crosses zero.
* ``PITCH_BLEND``, the camera pitch from the body's reading and the image's (``with_image_gravity``): ordinary least
  squares of the true pitch on (1, the body's pitch, the image's pitch) over the clips, each reading as capture makes
  it (the body's: ``place`` without the image and the floor; the image's: the gravity model over the clip). Its
  record: a 5-fold cross-validation by motion, each fold's clips placed whole (floor included) with the blend fitted
  on the other folds, against the half share it replaced (``HALF_WAY``).
* ``FLOOR_PRIOR_M2``, how much the floor under the planted feet weighs (``with_floor_points``): the up error of the
  whole placement per candidate prior (0 = without the floor), with the shipped ``PITCH_BLEND``.

Data: the clips ``core.world.contact_fit`` learns from (CMU motions of the training subjects, subject 08 — which
``core.eval.world`` measures — left out, and the CMU-extra set, mostly walking; random cameras of the wide
distribution, the detector-like noise, lifted by the shipped offline lifter; clips on one flat floor only);
``--without-extra``: the BVH motions alone. Each clip is placed by capture's own ``core.world.place`` with the
default options; the up error is the angle to the true camera-space up. A candidate floor prior replaces the shipped
one only when its median error over these clips is lower by more than their sampling noise: the whole 90 % interval
of (its median − the shipped one's), from a paired bootstrap over the clips, lies below zero; among such candidates
the smallest median wins (``choice``). The blend is a fit, not a choice among candidates: the printed one is what
ships. The tables it prints are the record (docs/capture.md). Never chosen on the evaluation subject.

``--fresh`` instead places fresh clips, which no fit of placement has seen, with the shipped blend and with the half
share: HDM05 (``../shared/data/extra_mocap``; CC BY-SA 3.0, used here for measuring only), its flat clips of at least
1 s, 3 cameras each, seed 47 (~2 minutes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .ground import FLOOR_PRIOR_M2, HALF_WAY, PITCH_BLEND, PitchBlend

CANDIDATES_M2 = (0.0, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
FOLDS = 5
FRESH_SEED = 47  # the fresh clips' cameras and noise (no other stream uses it)
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


@dataclass
class Readings:
    """One clip's up directions in camera space: the truth, the body's estimate before the image and the floor, and
    the image model's."""

    name: str
    truth: np.ndarray
    body: np.ndarray
    image: np.ndarray


def fit_blend(truth_deg: np.ndarray, body_deg: np.ndarray, image_deg: np.ndarray) -> PitchBlend:
    """(N,) pitches in degrees → the :class:`PitchBlend` of least squared error (rounded to 3 decimals, as it ships)."""
    x = np.column_stack([np.ones(len(truth_deg)), body_deg, image_deg])
    intercept, body, image = np.linalg.lstsq(x, np.asarray(truth_deg, float), rcond=None)[0]
    return PitchBlend(round(float(intercept), 3), round(float(body), 3), round(float(image), 3))


def pitches(readings: list[Readings]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (truth, body, image) pitches in degrees of ``readings``, each (N,)."""
    from .ground import camera_angles

    return tuple(np.array([camera_angles(getattr(r, k))[0] for r in readings]) for k in ("truth", "body", "image"))


def up_errors(cmu_root: Path, extra_root: Path | None, candidates: tuple[float, ...] = CANDIDATES_M2,
              weights: Path | None = None) -> dict[str, Any]:  # fmt: skip
    """The module docstring's measurements over the training clips: ``floor`` (clips, candidates) up errors in
    degrees per floor prior with the shipped blend; ``blend`` the blend fitted on all clips; ``held_out`` (clips, 2)
    up errors with the half share and with the blend fitted without the clip's fold; ``leans`` (clips with a
    quasi-static contact, offsets) the support's forward lean on the true 3D; ``names``."""
    from ..eval.rendered import FPS
    from ..lift import load_lifter
    from ..weights import default_weights
    from .contact_fit import flat_training_clips, folds_by_motion

    lifter = load_lifter(weights or default_weights("offline"), device="cpu")
    clips = list(flat_training_clips(lifter, cmu_root, extra_root))
    readings = [_readings(clip) for clip in clips]
    names = [r.name for r in readings]
    truth, body, image = pitches(readings)
    folds = folds_by_motion(names, FOLDS)
    fold_blends = [fit_blend(truth[folds != k], body[folds != k], image[folds != k]) for k in range(FOLDS)]
    floor, held_out, leans = [], [], []
    for clip, r, k in zip(clips, readings, folds, strict=True):
        floor.append([_up_error(clip, r.truth, floor_prior_m2=prior) for prior in candidates])
        held_out.append([_up_error(clip, r.truth, pitch_blend=b) for b in (HALF_WAY, fold_blends[k])])
        lean = support_lean_deg(clip.world, clip.camera_space, r.truth, FPS)
        if lean is not None:
            leans.append(lean)
    return {"floor": np.asarray(floor), "blend": fit_blend(truth, body, image), "held_out": np.asarray(held_out),
            "leans": np.asarray(leans), "names": names}  # fmt: skip


def _readings(clip: Any) -> Readings:
    """``clip``'s :class:`Readings`: the body's up from capture's placement without the image and the floor, the
    image's from the shipped gravity model over the 2D (a still camera: nothing to stabilise)."""
    from .place import shipped_gravity_model

    cam = clip.camera
    body = _placed(clip, image_gravity=False, floor_prior_m2=0.0).up_camera
    image = shipped_gravity_model().clip_up(clip.pixels, cam.width, cam.height)
    return Readings(clip.name, cam.R @ np.array([0.0, 0.0, 1.0]), body, image)


def _up_error(clip: Any, truth: np.ndarray, **option: Any) -> float:
    """Degrees between the true camera-space up and capture's placement of ``clip`` with one option changed."""
    from ..eval.world import angle_deg

    return angle_deg(_placed(clip, **option).up_camera, truth)


def _placed(clip: Any, **option: Any) -> Any:
    """Capture's placement (``core.world.place``) of a rendered clip with the default options and ``option``."""
    from ..eval.rendered import FPS
    from ..eval.world import _DEFAULTS
    from .place import place

    cam = clip.camera
    return place(clip.rel, clip.pixels, clip.times, cam.width, cam.height, FPS, subject_height=clip.height,
                 **_DEFAULTS, **option)  # fmt: skip


def fresh_errors(extra_root: Path, weights: Path | None = None) -> np.ndarray:
    """(clips, 2) up errors in degrees of the whole placement with the half share and with the shipped blend, over
    the fresh clips of the module docstring."""
    from ..eval.world import MAX_FRAMES
    from ..lift import load_lifter
    from ..weights import default_weights
    from .contact_fit import flat_clips, pose_motions

    lifter = load_lifter(weights or default_weights("offline"), device="cpu")
    errors = []
    for clip in flat_clips(lifter, pose_motions(extra_root, ("hdm05",)), FRESH_SEED, MAX_FRAMES):
        truth = clip.camera.R @ np.array([0.0, 0.0, 1.0])
        errors.append([_up_error(clip, truth, pitch_blend=b) for b in (HALF_WAY, PITCH_BLEND)])
    return np.asarray(errors)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.ground_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument(
        "--cmu-extra",
        type=Path,
        default=Path(__file__).resolve().parents[3] / "shared/data/extra_mocap",
        metavar="ROOT",
        help="the contact fit's CMU-extra clips (default: ../shared)",
    )
    p.add_argument("--without-extra", action="store_true", help="the BVH clips alone")
    p.add_argument("--checkpoint", type=Path, default=None, help="lifter weights (default: the shipped offline ones)")
    p.add_argument("--fresh", action="store_true", help="the shipped blend against the half share on HDM05 clips")
    args = p.parse_args(argv)
    if args.fresh:
        errors = fresh_errors(args.cmu_extra, args.checkpoint)
        lo, hi = median_difference_interval(errors, 0)
        medians, means = np.median(errors, axis=0), errors.mean(axis=0)
        print(f"{len(errors)} fresh clips (HDM05); up error in degrees, the half share / the shipped blend: median "
              f"{medians[0]:.2f} / {medians[1]:.2f}, mean {means[0]:.2f} / {means[1]:.2f}; the blend's median − the "
              f"half share's, 90 % interval {lo[1]:+.2f}…{hi[1]:+.2f}")  # fmt: skip
        return 0
    found = up_errors(args.cmu_root, None if args.without_extra else args.cmu_extra, weights=args.checkpoint)
    lean = np.nanmedian(found["leans"], axis=0)
    print(
        f"{len(found['leans'])} training clips with a quasi-static contact; the support's forward lean on the true "
        "3D in degrees (median) per centre-of-pressure offset (m):\n"
    )
    print("| offset m | " + " | ".join(f"{o:g}" for o in OFFSETS_M) + " |")
    print("|---|" + "---|" * len(OFFSETS_M))
    print("| forward lean ° | " + " | ".join(f"{v:.2f}" for v in lean) + " |")
    print(f"\nno lean at {zero_crossing(OFFSETS_M, lean):.3f} m (core.world.ground.CENTRE_OF_PRESSURE_M)\n")
    blend = found["blend"]
    print(f"to ship (core.world.ground.PITCH_BLEND): {blend} (shipped: {PITCH_BLEND})")
    _held_out_table(found["held_out"], found["names"])
    _table(found["floor"], CANDIDATES_M2, "floor prior (m²; the shipped blend)", "floor prior m²",
           "core.world.ground.FLOOR_PRIOR_M2", FLOOR_PRIOR_M2)  # fmt: skip
    return 0


def _held_out_table(errors: np.ndarray, names: list[str]) -> None:
    """The blend's cross-validation: (clips, 2) up errors with the half share and with the fold's blend."""
    lo, hi = median_difference_interval(errors, 0)
    from .contact_fit import is_extra

    extra = np.array([is_extra(n) for n in names])
    print(
        f"\n{len(errors)} training clips, each placed with the blend fitted without its fold ({FOLDS} folds by "
        "motion); up error in degrees:\n"
    )
    print("| pitch | half share (before) | blend |")
    print("|---|---|---|")
    print("| median | " + " | ".join(f"{m:.2f}" for m in np.median(errors, axis=0)) + " |")
    print("| mean | " + " | ".join(f"{m:.2f}" for m in errors.mean(axis=0)) + " |")
    for label, rows in (("BVH clips", ~extra), ("CMU-extra clips", extra)):
        if rows.any():
            medians = " | ".join(f"{m:.2f}" for m in np.median(errors[rows], axis=0))
            print(f"| median, {label} ({rows.sum()}) | {medians} |")
    print(f"| median − half share's, 90 % interval | 0 | {lo[1]:+.2f}…{hi[1]:+.2f} |")


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
