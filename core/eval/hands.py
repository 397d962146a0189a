"""Hands on real clips and a synthetic round trip: ``python -m core.eval.hands --markdown docs/hands.md``.

* **Synthetic** — random finger poses inside the anatomical limits (core.hands.angles.LIMITS) → the 21 landmarks of
  the template hand with 1 mm of noise per landmark (MediaPipe's metric hand landmarks are steadier than that frame
  to frame) → finger angles back: flexion and spread error, degrees.
* **Clips** — the bundled clip and every clip of ``../shared/videos``, captured with hands on (the CLI's pipeline,
  shipped weights, default options). No truth for fingers exists here, so the figures say what an animator would see
  as broken: how often each hand was found; whether seen fingers move (``frozen``: median over finger joints of the
  flexion's standard deviation below 2°); the wrist's bend (median angle between the palm's forward axis and the
  forearm, limited to core.hands.track.WRIST_SWING_DEG); palm flips (consecutive seen frames whose palm turns by
  more than 90°: a hand shown back to front); how many raw finger angles MediaPipe's landmarks put past the
  anatomical limits (clamped in the capture); the capture's speed (× real time, this machine, load printed).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ..capture import run_capture
from ..capture_file import load_capture
from ..hands.angles import LIMITS, finger_angles, hand_from_angles
from ..hands.rig import TEMPLATE
from ..options import CaptureOptions
from ..skeleton import JOINT_INDEX
from ..video import probe

REPO = Path(__file__).resolve().parents[2]
FROZEN_DEG = 2.0
WRIST_CHAIN = {"left": (JOINT_INDEX["l_elbow"], JOINT_INDEX["l_wrist"]),
               "right": (JOINT_INDEX["r_elbow"], JOINT_INDEX["r_wrist"])}  # fmt: skip
FLIP_DEG = 90.0


def synthetic(n: int = 2000, noise_m: float = 0.001, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    angles = rng.uniform(LIMITS[..., 0], LIMITS[..., 1], (n, 5, 4))
    marks = hand_from_angles(angles, TEMPLATE.knuckles, TEMPLATE.lengths) + rng.normal(0, noise_m, (n, 21, 3))
    error = np.abs(finger_angles(marks) - angles)
    return {"flex_median": float(np.median(error[..., 1:])), "flex_p95": float(np.percentile(error[..., 1:], 95)),
            "spread_median": float(np.median(error[..., 0]))}  # fmt: skip


def clip_figures(video: Path, workers: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="video_mocap_hands_") as tmp:
        out = Path(tmp) / "take.npz"
        t0 = time.perf_counter()
        run_capture(video, out, CaptureOptions(hands=True, detect_workers=workers))
        wall = time.perf_counter() - t0
        capture = load_capture(out)
        with np.load(out) as data:
            raw3d = data["hand_landmarks_3d"].astype(np.float64)
    hands = capture.hands
    assert hands is not None
    info = probe(video)
    row: dict[str, object] = {"clip": video.name, "frames": capture.frames, "speed": info.frame_count / info.fps / wall}
    for s, side in enumerate(("left", "right")):
        seen = hands.seen[:, s]
        row[f"{side}_seen"] = float(seen.mean())
        if seen.sum() < 2:
            row[f"{side}_frozen"] = row[f"{side}_flips"] = row[f"{side}_past_limits"] = None
            continue
        flex = hands.angles[seen, s, :, 1:]
        row[f"{side}_motion_deg"] = float(np.median(flex.std(axis=0)))
        row[f"{side}_frozen"] = bool(row[f"{side}_motion_deg"] < FROZEN_DEG)  # type: ignore[operator]
        rot = hands.rotation[:, s]
        pairs = np.flatnonzero(seen[:-1] & seen[1:])
        rel = np.einsum("tji,tjk->tik", rot[pairs], rot[pairs + 1])
        turn = np.degrees(np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1)))
        row[f"{side}_flips"] = int((turn > FLIP_DEG).sum())
        arm = capture.joints_world[seen]
        forearm = arm[:, WRIST_CHAIN[side][1]] - arm[:, WRIST_CHAIN[side][0]]
        forearm /= np.linalg.norm(forearm, axis=-1, keepdims=True)
        bend = np.degrees(np.arccos(np.clip((forearm * rot[seen][:, :, 1]).sum(-1), -1, 1)))
        row[f"{side}_wrist_bend_deg"] = float(np.median(bend))
        raw = finger_angles(raw3d[seen, s], mirror=s == 0)
        row[f"{side}_past_limits"] = float(((raw < LIMITS[..., 0]) | (raw > LIMITS[..., 1])).mean())
    return row


def _cell(row: dict[str, object], side: str) -> str:
    seen = row[f"{side}_seen"]
    if row.get(f"{side}_frozen") is None:
        return f"{seen:.0%} | – | – | – | –"
    frozen = "frozen" if row[f"{side}_frozen"] else f"moves ({row[f'{side}_motion_deg']:.0f}°)"
    return (f"{seen:.0%} | {frozen} | {row[f'{side}_wrist_bend_deg']:.0f}° | {row[f'{side}_flips']} | "
            f"{row[f'{side}_past_limits']:.1%}")


def markdown(synth: dict[str, float], rows: list[dict[str, object]], command: str, load: float) -> str:
    header = ("| clip | frames | × real time | left seen | left fingers | left wrist bend | left palm flips | "
              "left raw past limits | right seen | right fingers | right wrist bend | right palm flips | "
              "right raw past limits |")
    lines = [f"Command: `{command}` (machine load before: {load:.2f}).", "",
             f"Synthetic round trip (template hand, 1 mm landmark noise): flexion error median "
             f"{synth['flex_median']:.1f}°, p95 {synth['flex_p95']:.1f}°; spread median {synth['spread_median']:.1f}°.",
             "", header, "|---" * 13 + "|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['clip']} | {r['frames']} | {r['speed']:.2f} | {_cell(r, 'left')} | {_cell(r, 'right')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.eval.hands", description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "videos")
    p.add_argument("--detect-workers", type=int, default=0)
    p.add_argument("--markdown", type=Path, default=None, help="write the figures into this file (docs/hands.md)")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    synth = synthetic()
    clips = {p.name: p for p in [REPO / "assets" / "pose2sim_balance_cam04.mp4", *sorted(args.videos.glob("*.mp4"))]}
    rows = []
    for clip in clips.values():
        rows.append(clip_figures(clip, args.detect_workers))
        print(json.dumps(rows[-1]), flush=True)
    command = "python -m core.eval.hands" + (f" --markdown {args.markdown}" if args.markdown else "")
    text = markdown(synth, rows, command, load)
    print(text)
    if args.markdown is not None:
        _write_section(args.markdown, text)
    return 0


BEGIN, END = "<!-- hands-eval:begin -->", "<!-- hands-eval:end -->"


def _write_section(path: Path, text: str) -> None:
    """Replace the generated section of ``path`` (between BEGIN and END), or append one."""
    old = path.read_text() if path.is_file() else ""
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + block + old[old.index(END) + len(END) :]
    else:
        new = old + ("\n" if old else "") + block + "\n"
    path.write_text(new)


if __name__ == "__main__":
    raise SystemExit(main())
