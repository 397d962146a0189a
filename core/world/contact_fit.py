"""Fit the foot-contact model (``core.world.contact_model``) and write ``weights/contacts.json``:

    python -m core.world.contact_fit            # ~2 minutes on 2 cores (approximate, one machine)
    python -m core.world.contact_fit --causal   # live mode's twin: weights/contacts_causal.json

Data: CMU motions of the training subjects (``core.data.cmu``; subject 08, which ``core.eval.world`` measures, is
left out; CMU only, so no HDM05 licence applies), one random camera each, the first 12 s, rendered and lifted by the
shipped offline lifter (``core.eval.rendered``). Labels: the mocap's contacts (``core.eval.world.truth_contacts``:
ankle within 10 cm of the clip's floor and slower than 0.3 m/s). That floor is one height per clip, so clips whose
feet are not on one flat floor (stairs, climbing, sitting on the ground, jumps: the lower foot's height spreads by
more than FLAT_SPREAD_M between its 10th and 90th percentile) would teach wrong labels and are left out.

Fit: logistic regression (Newton's method, a small L2 penalty) on standardised cues; the threshold is the one with
the best F1 of mean precision and mean recall over the training clips (never the evaluation subject's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..postprocess import pixels_per_metre
from .contact_model import (
    DEFAULT_CAUSAL_PATH,
    DEFAULT_PATH,
    ContactModel,
    causal_contact_features,
    contact_features,
)  # fmt: skip
from .contacts import FEET, precision_recall
from .ground import body_axis

FLAT_SPREAD_M = 0.08
L2 = 1e-2
SEED = 31  # the cameras' and the noise's random streams (core.eval.rendered); the evaluation uses 8
MOTIONS = 60
MAX_FRAMES = 600


def capture_cues(rel: np.ndarray, xy_px: np.ndarray, times: np.ndarray, subject_height: float,
                 smoothing: float, causal: bool = False) -> np.ndarray:  # fmt: skip
    """The cues as capture computes them (``core.world.place``): the lift scaled to the subject and smoothed, the
    body axis as up → (T, 2, D); ``causal``: live mode's (causal smoothing, past-only cues)."""
    from .place import scaled_pose

    rel, pose = scaled_pose(rel, times, subject_height, smoothing, causal=causal)
    cues = causal_contact_features if causal else contact_features
    return cues(xy_px, times, pixels_per_metre(rel, xy_px), pose, body_axis(pose))


def fit(features: list[np.ndarray], labels: list[np.ndarray], l2: float = L2, iterations: int = 50,
        causal: bool = False) -> ContactModel:  # fmt: skip
    """Per-clip cues (T, 2, D) and contacts (T, 2) → the model, its threshold chosen for the best F1 over clips."""
    X = np.concatenate([f.reshape(-1, f.shape[-1]) for f in features])
    y = np.concatenate([c.reshape(-1) for c in labels]).astype(float)
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-9
    Z = np.c_[(X - mean) / std, np.ones(len(X))]
    w = np.zeros(Z.shape[1])
    penalty = l2 * np.diag(np.r_[np.ones(Z.shape[1] - 1), 0.0])  # the bias is not penalised
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-Z @ w))
        step = np.linalg.solve((Z * (p * (1 - p))[:, None]).T @ Z + penalty, Z.T @ (p - y) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    model = ContactModel(mean, std, w, 0.5, {}, causal)
    best = max((_f1(model, t, features, labels), t) for t in np.arange(0.1, 0.91, 0.05))
    return ContactModel(mean, std, w, round(float(best[1]), 2), {}, causal)


def _f1(model: ContactModel, threshold: float, features: list[np.ndarray], labels: list[np.ndarray]) -> float:
    candidate = ContactModel(model.mean, model.std, model.weights, threshold, {}, model.causal)
    p, r = _mean_precision_recall(candidate, features, labels)
    return 2 * p * r / max(p + r, 1e-9)


def _mean_precision_recall(model: ContactModel, features: list[np.ndarray],
                           labels: list[np.ndarray]) -> tuple[float, float]:  # fmt: skip
    pr = [precision_recall(model.contacts(f, 50.0), c) for f, c in zip(features, labels, strict=True)]
    return float(np.mean([p for p, _ in pr])), float(np.mean([r for _, r in pr]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.contact_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--causal", action="store_true", help="live mode's model (past-only cues)")
    p.add_argument("--out", type=Path, default=None, help="default weights/contacts.json (--causal: _causal)")
    args = p.parse_args(argv)
    default_out = DEFAULT_CAUSAL_PATH if args.causal else DEFAULT_PATH
    args.out = args.out or default_out
    from ..data.cmu import list_motions, split_by_subject
    from ..eval.rendered import rendered_clips
    from ..eval.world import _DEFAULTS, truth_contacts
    from ..lift import load_lifter
    from ..weights import default_weights

    weights = default_weights("offline")
    lifter = load_lifter(weights, device="cpu")
    train, _ = split_by_subject(list_motions(args.cmu_root), ("08",))
    pick = np.random.default_rng(SEED).choice(len(train), size=min(MOTIONS, len(train)), replace=False)
    features, labels, names = [], [], []
    for clip in rendered_clips(lifter, [train[i] for i in sorted(pick)], SEED, 1, max_frames=MAX_FRAMES):
        lower = clip.world[:, list(FEET), 2].min(axis=1)
        if np.percentile(lower, 90) - np.percentile(lower, 10) > FLAT_SPREAD_M:
            continue
        features.append(capture_cues(clip.rel, clip.pixels, clip.times, clip.height, _DEFAULTS["smoothing"],
                                     args.causal))  # fmt: skip
        labels.append(truth_contacts(clip.world, 50.0))
        names.append(clip.name)
    model = fit(features, labels, causal=args.causal)
    precision, recall = _mean_precision_recall(model, features, labels)
    info = {
        "command": "python -m core.world.contact_fit" + (" --causal" if args.causal else "")
        + (f" --out {args.out}" if args.out != default_out else ""),
        "lifter": Path(weights).name, "data": "CMU motion capture (mocap.cs.cmu.edu), training subjects only",
        "clips": names, "frames": int(sum(len(c) for c in labels)),
        "training_precision": round(precision, 3), "training_recall": round(recall, 3),
    }  # fmt: skip
    model = ContactModel(model.mean, model.std, model.weights, model.threshold, info, args.causal)
    model.save(args.out)
    print(f"{args.out}: {len(names)} clips, threshold {model.threshold}, training precision {precision:.2f} "
          f"recall {recall:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
