"""Evaluation of a lifter on whole sequences, per-motion (CMU) or per-action (Human3.6M) tables, and its CLI.

    python -m core.eval --checkpoint weights/lifter_offline.pt --data cmu --noise both \
        --markdown out.md --json out.json [--model-card weights/lifter_offline.json]
    python -m core.eval --checkpoint A.pt B.pt --baseline videopose.pt --markdown docs/accuracy.md  # comparison
    python -m core.eval --checkpoint A81.pt A243.pt --baseline vp81.pt vp243.pt ...  # each to its own width

Each sequence goes through the model's sequence path in one pass, padded by edge replication so every frame gets a
prediction (as in VideoPose3D's evaluation): ``pad + causal_shift`` frames on the left, ``pad - causal_shift`` on the
right, ``pad = (receptive_field - 1) // 2``. An offline model's 2D first has whole-body left/right swaps undone, as
capture does before lifting (:func:`as_lifted`; live mode has no such repair, so a causal model's 2D stays as it is).
Metrics (core.metrics, reported in mm, velocity in mm/frame, acceleration in mm/frame²): MPJPE, P-MPJPE, N-MPJPE,
MPJVE, acceleration error. Aggregation follows the Human3.6M protocol: frame-weighted within a group (a CMU motion seen
by all its cameras, or an H36M action), unweighted mean across groups.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import metrics
from ..camera import normalize_screen_coordinates
from ..data.validation_set import EvalSequence
from ..detect import fix_lr_swaps
from ..models import load_model, pad_sequence, predict
from ..skeleton import FLIP_PERMUTATION
from ..upright import body_roll, turn_2d, turn_3d
from .report import comparison_markdown, model_card, to_json, to_markdown

METRICS = ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve", "accel")
_FUNCS = {
    "mpjpe": metrics.mpjpe,
    "p_mpjpe": metrics.p_mpjpe,
    "n_mpjpe": metrics.n_mpjpe,
    "mpjve": metrics.mpjve,
    "accel": metrics.acceleration_error,
}
_LOST_FRAMES = {"mpjpe": 0, "p_mpjpe": 0, "n_mpjpe": 0, "mpjve": 1, "accel": 2}  # temporal metrics use T-1, T-2


@torch.no_grad()
def predict_sequence(model: torch.nn.Module, x2d: np.ndarray, tta: bool = True, upright: bool = True) -> np.ndarray:
    """(T, J, 2) normalised 2D → (T, J, 3) root-relative 3D for every frame (edge-replication padding); ``upright``:
    as capture lifts (``core.upright``, the body's image axis turned up and the 3D turned back)."""
    roll = body_roll(x2d) if upright else 0.0
    device = next(model.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(turn_2d(x2d, -roll), dtype=np.float32))[None].to(device)
    return turn_3d(predict(model, pad_sequence(model, x), tta=tta)[0].cpu().numpy(), roll)


def evaluate_sequences(model: torch.nn.Module, sequences: list[EvalSequence], tta: bool = True,
                       upright: bool = True) -> dict:  # fmt: skip
    """Runs the model on every sequence; returns {"groups": {group: {metric: mm, "frames": n}}, "mean": {...}}."""
    model.eval()
    sums: dict[str, dict[str, float]] = {}
    t0, frames = time.monotonic(), 0
    for seq in sequences:
        pred = predict_sequence(model, seq.x2d, tta=tta, upright=upright)
        gt = seq.y3d.astype(np.float32)
        acc = sums.setdefault(seq.group, {f"{m}_sum": 0.0 for m in METRICS} | {f"{m}_n": 0 for m in METRICS})
        T = len(gt)
        for m in METRICS:
            n = T - _LOST_FRAMES[m]
            acc[f"{m}_sum"] += float(_FUNCS[m](pred, gt)) * n
            acc[f"{m}_n"] += n
        frames += T
    groups = {
        g: {m: 1000.0 * a[f"{m}_sum"] / a[f"{m}_n"] for m in METRICS} | {"frames": int(a["mpjpe_n"])}
        for g, a in sorted(sums.items())
    }
    mean = {m: float(np.mean([v[m] for v in groups.values()])) for m in METRICS} if groups else {}
    mean["frames"] = int(sum(v["frames"] for v in groups.values()))
    return {"groups": groups, "mean": mean, "frames_per_s": frames / max(time.monotonic() - t0, 1e-9)}


CONDITIONS = ("rig-clean", "rig-noisy", "wild-clean", "wild-noisy", "wild-heldout")


def load_sequences(data: str, condition: str, args: argparse.Namespace, joints: str = "skeleton") -> list[EvalSequence]:
    """The evaluation sequences of one data set and condition ``<cameras>-<2D>``, in the ``joints`` definition.

    Cameras: ``rig`` (Human3.6M-like) or ``wild`` (random cameras of the wide distribution, a seed stream no
    training uses); 2D: ``clean``, ``noisy`` (the measured detector model training also uses) or ``heldout``
    (``NoiseConfig.held_out``: settings no training config uses). Human3.6M has its own cameras (``rig`` only).
    """
    cameras, noise = condition.split("-") if "-" in condition else ("rig", condition)  # "clean" = "rig-clean"
    if data == "cmu":
        from ..data.noise import NoiseConfig
        from ..data.validation_set import cmu_validation_sequences

        return cmu_validation_sequences(
            args.cmu_root, tuple(args.subjects), noisy=noise != "clean", seed=args.seed, joints=joints,
            cameras=cameras, noise=NoiseConfig.held_out() if noise == "heldout" else None,
        )  # fmt: skip
    if cameras != "rig" or noise == "heldout":
        raise SystemExit(f"condition {condition!r} exists for --data cmu only")
    return h36m_sequences(args.h36m_dir, keypoints=args.h36m_2d, noisy=noise == "noisy", seed=args.seed)


def h36m_sequences(
    data_dir: str | Path,
    keypoints: str = "gt",
    *,
    noisy: bool = False,
    seed: int = 8,
    subjects: tuple[str, ...] = ("S9", "S11"),
    cameras_json: str | Path | None = None,
) -> list[EvalSequence]:
    """Human3.6M test sequences (VideoPose3D files, core.data.h36m readers), one per subject/action/camera.

    Input: the file's 2D keypoints (``gt`` or a detector such as ``cpn_ft_h36m_dbb``), normalised with the camera's
    image size, optionally with the detector-like noise on top; target: the 3D in that camera, root-relative.
    Groups are the protocol's actions (``core.data.h36m.action_group``).
    """
    from ..data import h36m
    from ..data.batch_noise import BatchNoise

    data_dir = Path(data_dir)
    p3 = h36m.load_positions_3d(data_dir / "data_3d_h36m.npz")
    p2, _ = h36m.load_positions_2d(data_dir / f"data_2d_h36m_{keypoints}.npz")
    cams = h36m.load_cameras(cameras_json)
    noise = BatchNoise(tracks_per_batch=1)
    out = []
    for i, (subject, action, c, joints, track) in enumerate(h36m.aligned_sequences(p3, p2, subjects)):
        cam = cams[subject][c]
        x_cam = cam.world_to_camera(joints.astype(np.float64))
        pixels = track.astype(np.float32)
        if noisy:
            pixels = noise.apply(pixels[None], np.random.default_rng([seed, i]))[0]
        x = normalize_screen_coordinates(pixels, cam.width, cam.height).astype(np.float32)
        y = (x_cam - x_cam[:, :1]).astype(np.float32)
        out.append(EvalSequence(f"{subject}/{action}/cam{c}", h36m.action_group(action), str(c), x, y))
    return out


def conditions_of(args: argparse.Namespace) -> list[str]:
    """``--conditions`` if given, else ``--noise`` on the rig cameras (the original protocol)."""
    if args.conditions:
        return list(args.conditions)
    return {"both": ["clean", "noisy"], "clean": ["clean"], "noisy": ["noisy"]}[args.noise]


def as_lifted(sequences: list[EvalSequence], model: torch.nn.Module) -> list[EvalSequence]:
    """The sequences' 2D as the product lifts it for ``model``: capture undoes whole-body left/right label swaps
    (``core.detect.fix_lr_swaps``, run by ``clean_track`` on every clip) before an offline model sees the track, so
    an offline model is scored on the repaired 2D; live mode has no such repair (it needs the whole clip), so a causal
    model (``causal_shift`` > 0) gets the 2D as detected. Without this the noisy figures would charge offline models
    for flips no user's capture feeds them."""
    if int(model.causal_shift) > 0:
        return sequences
    out = []
    for seq in sequences:
        swapped = fix_lr_swaps(seq.x2d, np.ones(len(seq.x2d), dtype=bool))
        x2d = seq.x2d.copy()
        x2d[swapped] = x2d[swapped][:, list(FLIP_PERMUTATION)]
        out.append(EvalSequence(seq.name, seq.group, seq.camera, x2d, seq.y3d))
    return out


def run(args: argparse.Namespace) -> list[dict]:
    """One report per checkpoint (the baselines, if any, last); sequences are built once per condition and joint
    definition (each model is scored on data in the definition it was trained on)."""
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    paths = list(args.checkpoint) + list(args.baseline)
    models = [load_model(p) for p in paths]
    tta, upright = args.tta == "on", args.upright == "on"
    reports = [
        {
            "checkpoint": str(path),
            "model": {
                "config": model.config.to_dict(),
                "receptive_field": int(model.receptive_field),
                "causal_shift": int(model.causal_shift),
                "params": sum(p.numel() for p in model.parameters()),
            },
            "data": args.data,
            "subjects": list(args.subjects) if args.data == "cmu" else ["S9", "S11"],
            "flip_tta": tta,
            "upright": upright,
            "units": {"mpjpe": "mm", "p_mpjpe": "mm", "n_mpjpe": "mm", "mpjve": "mm/frame", "accel": "mm/frame^2"},
            "results": {},
        }
        for path, model in zip(paths, models)
    ]
    for condition in conditions_of(args):
        cache: dict[tuple[str, bool], list[EvalSequence]] = {}  # (joint definition, swaps undone) → sequences
        for report, model in zip(reports, models):
            joints, repaired = model.config.joints, int(model.causal_shift) == 0  # as as_lifted decides
            if (joints, False) not in cache:
                cache[joints, False] = load_sequences(args.data, condition, args, joints)
            if not cache[joints, False]:
                raise SystemExit(f"no {args.data} evaluation sequences found")
            if (joints, repaired) not in cache:
                cache[joints, repaired] = as_lifted(cache[joints, False], model)
            sequences = cache[joints, repaired]
            report["results"][condition] = evaluate_sequences(model, sequences, tta=tta, upright=upright)
    if args.real_video:
        from .real_video import evaluate_model, load_views

        views = load_views(args.real_video_reference) if args.real_video_reference else load_views()
        for report, model in zip(reports, models):
            report["real_video"] = evaluate_model(model.eval(), views, flip_tta=tta, upright=upright)
    return reports


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core.eval", description="Evaluate a lifter checkpoint.")
    p.add_argument(
        "--checkpoint", type=Path, nargs="+", required=True, help="model file(s) written by core.models.save_checkpoint"
    )
    p.add_argument("--baseline", type=Path, nargs="+", default=[],
                   help="also evaluate these models and report every checkpoint's ratio to the one of its receptive "
                        "field (else to the first)")
    p.add_argument("--data", choices=("cmu", "h36m"), default="cmu")
    p.add_argument("--noise", choices=("clean", "noisy", "both"), default="both",
                   help="2D input condition(s) on the rig cameras (ignored when --conditions is given)")
    p.add_argument("--conditions", nargs="+", choices=CONDITIONS,
                   help="camera-2D conditions, e.g. rig-clean wild-clean wild-heldout (see load_sequences)")
    p.add_argument("--real-video", action="store_true",
                   help="also score on the shared Pose2Sim reference against MediaPipe's own 3D (core.eval.real_video)")
    p.add_argument("--real-video-reference", type=Path, default=None, help="the reference .npz (default: ../shared)")
    p.add_argument("--tta", choices=("on", "off"), default="on", help="flip test-time augmentation")
    p.add_argument("--upright", choices=("on", "off"), default="on",
                   help="lift the 2D turned upright and turn the 3D back, as capture does (core.upright)")
    p.add_argument("--markdown", type=Path, help="write the tables as markdown here")
    p.add_argument("--json", type=Path, help="write the full report as JSON here")
    p.add_argument("--model-card", type=Path, help="write a model card JSON (needs --noise both, --data cmu)")
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--subjects", nargs="+", default=["08"], help="held-out CMU 'mb' subjects")
    p.add_argument("--h36m-dir", type=Path, default=Path("data/h36m"), help="folder with VideoPose3D's .npz files")
    p.add_argument("--h36m-2d", default="gt", help="2D keypoints file suffix: gt or cpn_ft_h36m_dbb")
    p.add_argument("--seed", type=int, default=8, help="fixes the evaluation cameras and 2D noise")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.model_card is not None and (args.noise != "both" or args.data != "cmu"):
        raise SystemExit("--model-card needs --noise both and --data cmu (the card reports clean and noisy 2D)")
    if args.model_card is not None and (len(args.checkpoint) > 1 or args.baseline):
        raise SystemExit("--model-card describes one checkpoint: give a single --checkpoint and no --baseline")
    for path in list(args.checkpoint) + list(args.baseline):
        if not path.is_file():
            raise SystemExit(f"checkpoint not found: {path}")
    try:
        reports = run(args)
    except FileNotFoundError as exc:  # missing CMU folder or Human3.6M files: the message says where to get them
        raise SystemExit(str(exc)) from exc
    command = "python -m core.eval " + " ".join(argv if argv is not None else sys.argv[1:])
    for report in reports:
        report["command"] = command
    if len(reports) == 1:
        text, payload = to_markdown(reports[0]), reports[0]
    else:
        text = comparison_markdown(reports, baselines=len(args.baseline), command=command)
        payload = {"command": command, "baselines": [str(b) for b in args.baseline], "reports": reports}
    print(text)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(to_json(payload))
    if args.model_card is not None:
        args.model_card.parent.mkdir(parents=True, exist_ok=True)
        args.model_card.write_text(json.dumps(model_card(args.checkpoint[0], reports[0]), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
