"""Formatting of evaluation reports (core.eval.cli): markdown tables, JSON, and the model card of shipped weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..models import read_checkpoint

CMU_ACKNOWLEDGEMENT = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. "
    "The database was created with funding from NSF EIA-0196217."
)
HDM05_ACKNOWLEDGEMENT = (
    "The data used in this project was obtained from HDM05. M. Müller, T. Röder, M. Clausen, B. Eberhardt, "
    "B. Krüger, A. Weber: Documentation Mocap Database HDM05, Technical Report CG-2007-2, Universität Bonn, 2007."
)
HDM05_LICENCE = (
    "These weights were trained on HDM05 motion data (CC BY-SA 3.0) and are adapted material: they are licensed "
    "under CC BY-SA 4.0 (one-way compatible with the extension's GPL-3.0-or-later)."
)
_HEADERS = ("MPJPE", "P-MPJPE", "N-MPJPE", "MPJVE", "Accel")
_KEYS = ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve", "accel")


def _row(name: str, values: dict[str, float]) -> str:
    return f"| {name} | " + " | ".join(f"{values[k]:.1f}" for k in _KEYS) + f" | {values['frames']} |"


def to_markdown(report: dict[str, Any]) -> str:
    """One table per 2D condition: a row per group (motion / action) and the protocol mean."""
    group_name = "motion" if report["data"] == "cmu" else "action"
    m = report["model"]
    lines = [
        f"# Evaluation of `{report['checkpoint']}`",
        "",
        f"- model: {m['config'].get('arch')} (receptive field {m['receptive_field']}, causal shift "
        f"{m['causal_shift']}, {m['params'] / 1e6:.2f} M parameters)",
        f"- data: {report['data']} ({', '.join(report['subjects'])}), flip TTA "
        f"{'on' if report['flip_tta'] else 'off'}, upright input {'on' if report.get('upright') else 'off'} "
        "(core/upright.py)",
        "- units: MPJPE, P-MPJPE, N-MPJPE in mm; MPJVE in mm/frame; acceleration error in mm/frame² (50 fps)"
        if report["data"] == "cmu"
        else "- units: mm, mm/frame, mm/frame²",
        f"- aggregation: frame-weighted within a {group_name}, unweighted mean across {group_name}s",
    ]
    if "command" in report:
        lines.append(f"- command: `{report['command']}`")
    for condition, res in report["results"].items():
        lines += [
            "",
            f"## {condition} 2D",
            "",
            f"| {group_name} | " + " | ".join(_HEADERS) + " | frames |",
            "|---" * (len(_HEADERS) + 2) + "|",
        ]
        lines += [_row(g, v) for g, v in res["groups"].items()]
        lines.append(_row("**mean**", res["mean"]))
        lines.append("")
        lines.append(f"Inference speed during evaluation: {res['frames_per_s']:.0f} frames/s (TTA doubles the work).")
    lines += real_video_markdown([report])
    return "\n".join(lines) + "\n"


def baseline_of(report: dict[str, Any], baselines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The baseline report a checkpoint's ratios are taken to: the one with its receptive field and causality (a
    comparison at the same temporal context), else one with its receptive field, else the first; None without
    baselines."""
    same = [b for b in baselines if b["model"]["receptive_field"] == report["model"]["receptive_field"]]
    twin = [b for b in same if _causal(b) == _causal(report)]
    return (twin or same or baselines or [None])[0]


def _causal(report: dict[str, Any]) -> bool:
    return bool(report["model"].get("config", {}).get("causal", False))


def comparison_markdown(reports: list[dict[str, Any]], baselines: int, command: str) -> str:
    """A summary table over several checkpoints (MPJPE / P-MPJPE per condition and, with ``baselines`` (the last
    reports), the ratio to each row's baseline (:func:`baseline_of`), followed by each checkpoint's full tables."""
    conditions = list(reports[0]["results"])
    bases = reports[len(reports) - baselines :] if baselines else []
    head = (
        "| model | arch | causal | receptive field | params (M) | "
        + ("baseline | " if bases else "")
        + " | ".join(f"{c} MPJPE | {c} P-MPJPE" + (f" | {c} MPJPE / baseline" if bases else "") for c in conditions)
        + " |"
    )
    cols = 5 + bool(bases) + len(conditions) * (3 if bases else 2)
    defs = sorted({r["model"]["config"].get("joints", "skeleton") for r in reports})
    lines = [
        "# Accuracy of the lifters",
        "",
        f"- data: {reports[0]['data']} ({', '.join(reports[0]['subjects'])}), flip TTA "
        f"{'on' if reports[0]['flip_tta'] else 'off'}, upright input {'on' if reports[0].get('upright') else 'off'} "
        "(core/upright.py: the 2D turned so the body's image axis points up, the 3D turned back); errors in mm, "
        "protocol means (see each table below)",
        f"- joints: each model is scored on data in its own joint definition ({', '.join(defs)}; docs/data.md), so "
        "figures of models with different definitions measure different points; conditions: rig = Human3.6M-like "
        "cameras, wild = random cameras from a seed stream no training uses, noisy = the measured detector noise, "
        "heldout = a noise model no training uses; an offline model's 2D has whole-body left/right swaps undone first, "
        "as capture does (core.eval.cli.as_lifted), a causal model's not (live mode has no such repair)",
        f"- command: `{command}`",
        *([] if not bases else ["- baseline: each row's ratios are to the baseline of its receptive field and "
                                "causality (else of its receptive field, else the first baseline), named in the column "
                                "\"baseline\""]),
        "",
        head,
        "|---" * cols + "|",
    ]
    for r in reports:
        cfg = r["model"]["config"]
        base = baseline_of(r, bases)
        cells = [
            f"`{r['checkpoint']}`",
            cfg.get("arch", "?"),
            str(cfg.get("causal", False)).lower(),
            str(r["model"]["receptive_field"]),
            f"{r['model']['params'] / 1e6:.2f}",
        ]
        if base is not None:
            cells.append(f"`{base['checkpoint']}`")
        for c in conditions:
            mean = r["results"][c]["mean"]
            cells += [f"{mean['mpjpe']:.1f}", f"{mean['p_mpjpe']:.1f}"]
            if base is not None:
                cells.append(f"{mean['mpjpe'] / base['results'][c]['mean']['mpjpe']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += real_video_markdown(reports)
    for r in reports:
        lines += ["", *("#" + line if line.startswith("#") else line for line in to_markdown(r).splitlines())]
    return "\n".join(lines) + "\n"


def real_video_markdown(reports: list[dict[str, Any]]) -> list[str]:
    """The real-video table (core.eval.real_video) of every report that has one: ours against MediaPipe's 3D."""
    rows = [(r["checkpoint"], view, v) for r in reports for view, v in r.get("real_video", {}).items()]
    if not rows:
        return []
    lines = [
        "",
        "## Real video: Pose2Sim balancing trial against MediaPipe's own 3D",
        "",
        "Both on the capture's joint definition, against the 4-camera triangulated reference "
        "(`core/eval/real_video.py`); mm, accel in mm/frame² at 60 fps; ratio = ours / MediaPipe P-MPJPE. "
        "The rows \"+ MediaPipe's 3D\" score what a capture gives by default: the lifter's 3D averaged with "
        "MediaPipe's own (`core/fuse3d.py`, option `mediapipe_3d`).",
        "",
        "| model | view | P-MPJPE ours | P-MPJPE MediaPipe | ratio | MPJPE after one rotation ours / MediaPipe "
        "| accel error ours / MediaPipe |",
        "|---|---|---|---|---|---|---|",
    ]
    for checkpoint, view, v in rows:
        m = v["mediapipe"]
        for label, o, ratio in ((f"`{checkpoint}`", v["ours"], v["ratio"]),
                                (f"`{checkpoint}` + MediaPipe's 3D × {v.get('fused_share', 0):.2g} (capture's default)",
                                 v.get("fused"), v.get("fused_ratio"))):  # fmt: skip
            if o is not None:
                lines.append(
                    f"| {label} | {view} | {o['p_mpjpe']:.1f} | {m['p_mpjpe']:.1f} | {ratio:.2f} | "
                    f"{o['mpjpe_rot']:.1f} / {m['mpjpe_rot']:.1f} | {o['accel']:.1f} / {m['accel']:.1f} |"
                )
    return lines


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_card(checkpoint: str | Path, report: dict[str, Any]) -> dict[str, Any]:
    """The JSON model card shipped beside ``weights/*.pt``: training facts stored in the checkpoint + validation.
    An ensemble's card gives each member's training facts and their totals (samples seen, wall time)."""
    payload = read_checkpoint(checkpoint)  # verifies the weights' sha256
    results = report["results"]
    card: dict[str, Any] = {
        "file": Path(checkpoint).name,
        "file_bytes": Path(checkpoint).stat().st_size,
        "file_sha256": file_sha256(checkpoint),
        "weights_sha256": payload["sha256"],
        "model": report["model"],
    }
    if "members" in payload:  # an ensemble (core.lifter_ensemble)
        members = [_training_facts(m.get("extra", {}), m["config"], report) | {"file": m.get("source"),
                   "weights_sha256": m["sha256"]} for m in payload["members"]]  # fmt: skip
        card["training"] = {
            "ensemble_command": payload.get("extra", {}).get("command"),
            "samples_seen": _total([m["training"]["samples_seen"] for m in members]),
            "wall_time_s": _total([m["training"]["wall_time_s"] for m in members]),
            "members": members,
        }
        extra_sets = {s for m in payload["members"] for s in _data_cfg(m.get("extra", {})).get("extra_sets", [])}
    else:
        card |= _training_facts(payload.get("extra", {}), payload["config"], report)
        extra_sets = set(_data_cfg(payload.get("extra", {})).get("extra_sets", []))
    card["validation"] = {
        "flip_tta": report["flip_tta"],
        "upright": report.get("upright", False),
        "command": report.get("command"),
        # what core.eval.cli.as_lifted did to the 2D: capture's swap repair (offline), none in live mode (causal)
        "lr_swaps_undone": int(report["model"]["causal_shift"]) == 0,
        **{f"{k}_{c}_mm": round(results[c]["mean"][k], 2) for c in results for k in ("mpjpe", "p_mpjpe")},
        **{f"{k}_{c}_mm": round(results[c]["mean"][k], 2) for c in results for k in ("n_mpjpe",)},
    }
    card["acknowledgement"] = CMU_ACKNOWLEDGEMENT
    if "real_video" in report:
        card["real_video"] = report["real_video"]
    if "hdm05" in extra_sets:
        card["acknowledgement"] += " " + HDM05_ACKNOWLEDGEMENT
        card["licence"] = HDM05_LICENCE
    return card


def _data_cfg(extra: dict[str, Any]) -> dict[str, Any]:
    return extra.get("train_config", {}).get("data", {})


def _total(values: list[Any]) -> Any:
    return sum(values) if all(isinstance(v, int | float) for v in values) else None


def _training_facts(extra: dict[str, Any], config: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """{"data": ..., "training": ...} of one trained lifter from its file's ``extra`` (core.train writes it)."""
    train_cfg = extra.get("train_config", {})
    data_cfg = _data_cfg(extra)
    epochs, per_epoch = extra.get("epochs_done"), data_cfg.get("samples_per_epoch")
    targets = int(data_cfg.get("targets_per_window", 1))  # target frames per window
    samples = epochs * per_epoch * targets if isinstance(epochs, int) and isinstance(per_epoch, int) else None
    wall, started = extra.get("wall_time_s"), None
    if isinstance(extra.get("init_extra"), dict):  # a second schedule from a finished model (core.train.init_weights)
        before = _training_facts(extra["init_extra"], config, report)["training"]
        started = {"file": extra.get("init_from"), "weights_sha256": extra.get("init_sha256"),
                   "command": before["command"], "samples_seen": before["samples_seen"],
                   "wall_time_s": before["wall_time_s"],
                   "this_schedule": {"samples_seen": samples, "wall_time_s": wall}}  # fmt: skip
        samples, wall = _total([samples, before["samples_seen"]]), _total([wall, before["wall_time_s"]])
    extra_sets = list(data_cfg.get("extra_sets", []))
    return {
        "data": {
            "train": "CMU Graphics Lab Motion Capture Database (BVH, cgspeed conversion), folders "
            f"{data_cfg.get('sources', ['mb', 'daz'])}"
            + (f", extra sets {extra_sets} (../shared/data/extra_mocap)" if extra_sets else "")
            + f", resampled to 50 fps, 17 Human3.6M joints ({config.get('joints', 'skeleton')} "
            f"definition), virtual cameras ({data_cfg.get('cameras', 'narrow')} random + Human3.6M-like rigs), flip "
            "and detector-like 2D noise",
            "validation": f"CMU 'mb' subject(s) {report['subjects']} held out (never trained on), conditions "
            f"{list(report['results'])} (rig = Human3.6M-like cameras, wild = random cameras from a held-out seed "
            "stream, heldout = a noise model no training uses), whole sequences",
            "train_motions": extra.get("train_motions"),
            "train_frames_50fps": extra.get("train_frames_50fps"),
        },
        "training": {
            "command": extra.get("command"),
            "resumed_with": extra.get("commands", [])[1:],
            "epochs": extra.get("epochs_done"),
            "finished_schedule": extra.get("finished"),
            "stopped_by": extra.get("stopped_by"),
            "wall_time_s": wall,  # with the schedule it started from, if any
            "samples_seen": samples,
            "mean_samples_per_s": round(samples / wall, 1) if samples and wall else None,
            "started_from": started,
            "config": train_cfg,
        },
    }
