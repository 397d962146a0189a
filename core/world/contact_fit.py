"""Fit the foot-contact model (``core.world.contact_model``) and write ``weights/contacts.json``:

    python -m core.world.contact_fit            # ~3 minutes on 2 cores (approximate, one machine)
    python -m core.world.contact_fit --causal --hidden 0   # live mode's twin (logistic): contacts_causal.json
    python -m core.world.contact_fit --cross-validate --hidden 0 32 64 128   # how the size was chosen
    python -m core.world.contact_fit --cross-validate [--without-extra]      # what the extra set adds

Data: CMU motions of the training subjects (``core.data.cmu``; subject 08, which ``core.eval.world`` measures, is
left out) and the CMU-extra set of ``../shared/data/extra_mocap`` (``EXTRA_SETS``: subjects not in ``../cmu``, most of
them walking, which the BVH training subjects hardly show: 4 of their motions), each seen by CAMERAS random cameras,
the first 12 s, rendered and lifted by the shipped offline lifter (``core.eval.rendered``); CMU only, so no HDM05
licence applies. Labels: the mocap's contacts
(``core.eval.world.truth_contacts``: ankle within 10 cm of the clip's floor and slower than 0.3 m/s). That floor is one
height per clip, so clips whose feet are not on one flat floor (stairs, climbing, sitting on the ground, jumps: the
lower foot's height spreads by more than FLAT_SPREAD_M between its 10th and 90th percentile) would teach wrong labels
and are left out.

Fit: a perceptron with two hidden layers of HIDDEN ReLU units (``--hidden 0``: a logistic regression) on
standardised cues, binary cross-entropy, Adam with weight decay, STEPS steps of BATCH foot-frames drawn at random; one
thread and fixed seeds, so the same command writes the same numbers. The threshold is the one with the best F1 of
mean precision and mean recall over the training clips (never the evaluation subject's). ``--cross-validate`` instead
fits on three quarters of the training motions and measures on the rest, four times (a motion's cameras stay
together), and prints each size's mean precision, recall and F1 over all held-out clips, the BVH subjects' and the
extra set's (``--without-extra``: fitted without the extra set).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..postprocess import pixels_per_metre
from .contact_model import DEFAULT_CAUSAL_PATH, DEFAULT_PATH, ContactModel, causal_contact_features, contact_features
from .contacts import FEET, precision_recall
from .ground import body_axis

FLAT_SPREAD_M = 0.08
SEED = 31  # the cameras' and the noise's random streams (core.eval.rendered; the evaluation uses 8), and the fit's
MOTIONS = 160
CAMERAS = 3
MAX_FRAMES = 600
MIN_FRAMES = 50  # 1 s: a shorter clip holds hardly a step
# Walking, the most common capture, is 4 of the BVH training subjects' 76 flat motions; CMU-extra is mostly walks by
# other walkers (its README). --cross-validate against --cross-validate --without-extra: held-out CMU-extra F1 0.860 ->
# 0.874, held-out BVH clips 0.828 -> 0.826 (the rule fixed beforehand: extra higher, BVH at most 0.005 lower).
EXTRA_SETS = ("cmu_extra",)
# HIDDEN: the size with the best held-out F1 when chosen (--cross-validate on the BVH clips: 0.795, 0.826, 0.825,
# 0.825 for 0, 32, 64, 128; with the CMU-extra set 0.815, 0.846, 0.848, 0.846: the sizes within a seed's spread)
HIDDEN, STEPS, BATCH, LR, WEIGHT_DECAY = 32, 3000, 4096, 3e-3, 1e-4
FOLDS = 4


def capture_cues(rel: np.ndarray, xy_px: np.ndarray, times: np.ndarray, subject_height: float,
                 smoothing: float, causal: bool = False) -> np.ndarray:  # fmt: skip
    """The cues as capture computes them (``core.world.place``): the lift scaled to the subject and smoothed, the
    body axis as up → (T, 2, D); ``causal``: live mode's (causal smoothing, past-only cues)."""
    from .place import scaled_pose

    rel, pose = scaled_pose(rel, times, subject_height, smoothing, causal=causal)
    cues = causal_contact_features if causal else contact_features
    return cues(xy_px, times, pixels_per_metre(rel, xy_px), pose, body_axis(pose))


def fit(features: list[np.ndarray], labels: list[np.ndarray], hidden: int = HIDDEN, steps: int = STEPS,
        seed: int = SEED, causal: bool = False) -> ContactModel:  # fmt: skip
    """Per-clip cues (T, 2, D) and contacts (T, 2) → the model, its threshold chosen for the best F1 over clips."""
    import torch

    X = np.concatenate([f.reshape(-1, f.shape[-1]) for f in features])
    y = np.concatenate([c.reshape(-1) for c in labels]).astype(np.float32)
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-9
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same numbers from the same command, whatever the machine's cores
    try:
        torch.manual_seed(seed)
        widths = [X.shape[1]] + [hidden] * (2 if hidden else 0) + [1]
        linear = [torch.nn.Linear(a, b) for a, b in zip(widths, widths[1:])]
        net = torch.nn.Sequential(*[m for lin in linear for m in (lin, torch.nn.ReLU())][:-1])
        x_all = torch.tensor((X - mean) / std, dtype=torch.float32)
        y_all = torch.tensor(y)[:, None]
        optimizer = torch.optim.Adam(net.parameters(), LR, weight_decay=WEIGHT_DECAY)
        draws = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            pick = torch.randint(0, len(x_all), (BATCH,), generator=draws)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x_all[pick]), y_all[pick])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    layers = tuple((lin.weight.detach().numpy().astype(float), lin.bias.detach().numpy().astype(float))
                   for lin in linear)  # fmt: skip
    model = ContactModel(mean, std, layers, 0.5, {}, causal)
    best = max((_f1(model, t, features, labels), t) for t in np.arange(0.1, 0.91, 0.05))
    return ContactModel(mean, std, layers, round(float(best[1]), 2), {}, causal)


def _f1(model: ContactModel, threshold: float, features: list[np.ndarray], labels: list[np.ndarray]) -> float:
    candidate = ContactModel(model.mean, model.std, model.layers, threshold, {}, model.causal)
    return _f1_of(*_mean_precision_recall(candidate, features, labels))


def _f1_of(precision: float, recall: float) -> float:
    return 2 * precision * recall / max(precision + recall, 1e-9)


def _mean_precision_recall(model: ContactModel, features: list[np.ndarray],
                           labels: list[np.ndarray]) -> tuple[float, float]:  # fmt: skip
    pr = [precision_recall(model.contacts(f, 50.0), c) for f, c in zip(features, labels, strict=True)]
    return float(np.mean([p for p, _ in pr])), float(np.mean([r for _, r in pr]))


def cross_validate(features: list[np.ndarray], labels: list[np.ndarray], names: list[str], hidden: int,
                   causal: bool = False, with_extra: bool = True) -> dict[str, tuple[float, float, float]]:  # fmt: skip
    """Mean (precision, recall, F1) over FOLDS fits, each measured on the motions it did not see (a motion's
    cameras, ``name`` up to ``/cam``, always in one fold): over all held-out clips (``"all"``), the BVH subjects'
    (``"bvh"``) and the extra set's (``"extra"``, where there are any). ``with_extra`` False: the fits never see the
    extra set (its held-out clips are still measured): how the data were chosen."""
    folds = folds_by_motion(names, FOLDS, SEED)
    extra = [is_extra(n) for n in names]
    groups = {"all": [True] * len(names), "bvh": [not e for e in extra], "extra": extra}
    scores: dict[str, list[tuple[float, float]]] = {g: [] for g in groups}
    for k in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != k and (with_extra or not extra[i])]
        model = fit([features[i] for i in train], [labels[i] for i in train], hidden, causal=causal)
        for group, member in groups.items():
            test = [i for i, f in enumerate(folds) if f == k and member[i]]
            if test:
                held_out = [features[i] for i in test], [labels[i] for i in test]
                scores[group].append(_mean_precision_recall(model, *held_out))
    out = {}
    for group, pr in scores.items():
        if pr:
            precision, recall = (float(v) for v in np.mean(pr, axis=0))
            out[group] = (precision, recall, _f1_of(precision, recall))
    return out


def folds_by_motion(names: list[str], folds: int, seed: int | None = None) -> np.ndarray:
    """Clip names (``motion/camK``) → (N,) fold numbers, a motion's cameras in one fold: the motions in sorted
    order (shuffled by ``seed`` where given) dealt round-robin."""
    motions = [n.rsplit("/cam", 1)[0] for n in names]
    unique = sorted(set(motions))
    order = np.arange(len(unique)) if seed is None else np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[j]: k % folds for k, j in enumerate(order)}
    return np.array([fold_of[m] for m in motions])


def is_extra(name: str) -> bool:
    """Whether a clip name is of the extra set (``EXTRA_SETS``) rather than a BVH motion."""
    return name.split("/", 1)[0] in EXTRA_SETS


def pose_motions(extra_root: Path, sets: tuple[str, ...]) -> list[Any]:
    """The clips of ``core.data.extra_mocap``'s ``sets`` as motions ``core.eval.rendered`` films."""
    from ..data.extra_mocap import load_extra_motions
    from ..eval.rendered import PoseMotion

    poses, names = load_extra_motions(extra_root, sets)
    return [PoseMotion(n, n.split("/", 1)[0], p) for p, n in zip(poses, names, strict=True)]


def flat_clips(lifter: Any, motions: list[Any], seed: int, max_frames: int) -> Iterator[Any]:
    """``motions`` filmed by CAMERAS cameras each and lifted (``core.eval.rendered.rendered_clips``), only the clips
    :func:`on_flat_floor`."""
    from ..eval.rendered import rendered_clips
    from ..lift import ShortClipWarning

    with warnings.catch_warnings():  # extra clips of 1-1.6 s are padded to the lifter's window, as capture does
        warnings.simplefilter("ignore", ShortClipWarning)
        for clip in rendered_clips(lifter, motions, seed, CAMERAS, max_frames=max_frames):
            if on_flat_floor(clip):
                yield clip


def flat_training_clips(lifter: Any, cmu_root: Path, extra_root: Path | None = None) -> Iterator[Any]:
    """The rendered, lifted clips of the module docstring's data (``core.eval.rendered.RenderedClip``), those not on
    one flat floor or shorter than MIN_FRAMES left out: what the contact model and ``core.world.ground_fit`` learn
    from (``extra_root`` None: the BVH motions alone)."""
    from ..data.cmu import list_motions, split_by_subject

    train, _ = split_by_subject(list_motions(cmu_root), ("08",))
    pick = np.random.default_rng(SEED).choice(len(train), size=min(MOTIONS, len(train)), replace=False)
    motions: list[Any] = [train[i] for i in sorted(pick)]
    if extra_root is not None:  # after the BVH motions, whose cameras and noise (drawn per index) stay as they were
        motions += pose_motions(extra_root, EXTRA_SETS)
    yield from flat_clips(lifter, motions, SEED, MAX_FRAMES)


def on_flat_floor(clip: Any) -> bool:
    """Whether a rendered clip (``core.eval.rendered.RenderedClip``) lasts MIN_FRAMES and its lower foot stays on one
    level (the 10th to 90th percentile of its height within FLAT_SPREAD_M): no stairs, no jumps off a box."""
    lower = clip.world[:, list(FEET), 2].min(axis=1)
    return len(lower) >= MIN_FRAMES and np.percentile(lower, 90) - np.percentile(lower, 10) <= FLAT_SPREAD_M


def training_clips(cmu_root: Path, extra_root: Path, causal: bool
                   ) -> tuple[list[np.ndarray], list[np.ndarray], list[str], str]:  # fmt: skip
    """(cues per clip, contacts per clip, clip names, the lifter's file name) of the module docstring's data."""
    from ..eval.world import _DEFAULTS, truth_contacts
    from ..lift import load_lifter
    from ..weights import default_weights

    weights = default_weights("offline")
    features, labels, names = [], [], []
    for clip in flat_training_clips(load_lifter(weights, device="cpu"), cmu_root, extra_root):
        features.append(capture_cues(clip.rel, clip.pixels, clip.times, clip.height, _DEFAULTS["smoothing"], causal))
        labels.append(truth_contacts(clip.world, 50.0))
        names.append(clip.name)
    return features, labels, names, Path(weights).name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.contact_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--extra-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/extra_mocap")
    p.add_argument("--causal", action="store_true", help="live mode's model (past-only cues)")
    p.add_argument("--out", type=Path, default=None, help="default weights/contacts.json (--causal: _causal)")
    p.add_argument("--hidden", type=int, nargs="+", default=[HIDDEN], help="units per hidden layer (0: logistic)")
    p.add_argument("--cross-validate", action="store_true", help="measure each --hidden on held-out motions")
    p.add_argument("--without-extra", action="store_true", help="with --cross-validate: fits without the extra set")
    args = p.parse_args(argv)
    if any(h < 0 for h in args.hidden) or (len(args.hidden) > 1 and not args.cross_validate):
        p.error("--hidden takes one size >= 0 (several only with --cross-validate)")
    if args.without_extra and not args.cross_validate:
        p.error("--without-extra goes with --cross-validate")
    default_out = DEFAULT_CAUSAL_PATH if args.causal else DEFAULT_PATH
    args.out = args.out or default_out
    features, labels, names, lifter = training_clips(args.cmu_root, args.extra_root, args.causal)
    if args.cross_validate:
        print(f"{len(names)} clips, {FOLDS} folds by motion")
        for hidden in args.hidden:
            scores = cross_validate(features, labels, names, hidden, args.causal, not args.without_extra)
            print(f"hidden {hidden}: " + "; ".join(f"{group} precision {p:.3f} recall {r:.3f} F1 {f1:.3f}"
                                                   for group, (p, r, f1) in scores.items()), flush=True)  # fmt: skip
        return 0
    model = fit(features, labels, args.hidden[0], causal=args.causal)
    precision, recall = _mean_precision_recall(model, features, labels)
    flags = (" --causal" if args.causal else "") + (f" --hidden {args.hidden[0]}" if args.hidden[0] != HIDDEN else "")
    flags += f" --out {args.out}" if args.out != default_out else ""
    info = {
        "command": "python -m core.world.contact_fit" + flags,
        "lifter": lifter, "data": "CMU motion capture (mocap.cs.cmu.edu): the BVH training subjects (08 held out) and "
        f"the CMU-extra set ({', '.join(EXTRA_SETS)}, ../shared/data/extra_mocap)",
        "clips": names, "frames": int(sum(len(c) for c in labels)), "hidden": args.hidden[0],
        "training_precision": round(precision, 3), "training_recall": round(recall, 3),
    }  # fmt: skip
    model = ContactModel(model.mean, model.std, model.layers, model.threshold, info, args.causal)
    model.save(args.out)
    print(f"{args.out}: {len(names)} clips, threshold {model.threshold}, training precision {precision:.2f} "
          f"recall {recall:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
