"""Live mode's foot contacts against known truth: ``python -m core.eval.live_contacts``.

The synthetic clips of ``core.eval.world`` (held-out CMU subject 08, random cameras, detector-like noise), lifted
by the shipped *causal* lifter, as live mode lifts. Each contact decision uses the past only, as ``core.live.post``
makes it, computed here over the whole clip at once (the same functions on the same inputs; the live module's
bounded history is tested equal in tests/core/live):

* rule: image speed over the last 0.12 s below 0.5 m/s and the lower foot (``core.world.contacts``'s tolerances);
* learned: ``weights/contacts_causal.json`` (``core.world.contact_model.causal_contact_features``).

Both count a contact once it has lasted 0.1 s. Mean precision and recall over clips, against the mocap's contacts
(``core.eval.world.truth_contacts``). The pose is smoothed causally and the up direction is the body axis.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..postprocess import pixels_per_metre
from ..world.contact_fit import capture_cues
from ..world.contact_model import DEFAULT_CAUSAL_PATH, ContactModel, confirmed_runs, trailing_speed
from ..world.contacts import FEET, HEIGHT_TOL_M, SPEED_TOL_M_S, heights_above_lowest, precision_recall
from ..world.ground import body_axis
from ..world.place import scaled_pose
from .rendered import FPS, RenderedClip
from .world import _DEFAULTS, truth_contacts

MIN_S = 0.1


def rule_contacts(clip: RenderedClip, smoothing: float) -> np.ndarray:
    """(T, 2) live mode's rule over the whole clip (module docstring)."""
    rel, pose = scaled_pose(clip.rel, clip.times, clip.height, smoothing, causal=True)
    speed = trailing_speed(clip.pixels[:, list(FEET)], clip.times, 0.12) / pixels_per_metre(rel, clip.pixels)[:, None]
    raw = (speed < SPEED_TOL_M_S) & (heights_above_lowest(pose[:, list(FEET)], body_axis(pose)) < HEIGHT_TOL_M)
    return confirmed_runs(raw, max(1, int(round(MIN_S * FPS))))


def figures(clips: list[RenderedClip], model: ContactModel, smoothing: float) -> dict[str, tuple[float, float]]:
    """{"rule": (precision, recall), "learned": (...)}: means over the clips."""
    out: dict[str, list[tuple[float, float]]] = {"rule": [], "learned": []}
    for clip in clips:
        truth = truth_contacts(clip.world, FPS)
        out["rule"].append(precision_recall(rule_contacts(clip, smoothing), truth))
        cues = capture_cues(clip.rel, clip.pixels, clip.times, clip.height, smoothing, causal=True)
        out["learned"].append(precision_recall(model.contacts(cues, FPS, min_s=MIN_S), truth))
    return {k: (float(np.mean([p for p, _ in v])), float(np.mean([r for _, r in v]))) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.eval.live_contacts", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--cameras", type=int, default=2)
    args = p.parse_args(argv)
    from ..data.cmu import list_motions, split_by_subject
    from ..lift import load_lifter
    from ..weights import default_weights
    from .rendered import rendered_clips
    from .world import MAX_FRAMES

    lifter = load_lifter(default_weights("causal"), device="cpu")
    _, held_out = split_by_subject(list_motions(args.cmu_root), ("08",))
    clips = list(rendered_clips(lifter, held_out, args.seed, args.cameras, max_frames=MAX_FRAMES))
    result = figures(clips, ContactModel.load(DEFAULT_CAUSAL_PATH), _DEFAULTS["smoothing"])
    print(f"Live contacts on {len(clips)} synthetic clips (CMU 08, seed {args.seed}, causal lifter):\n")
    print("| contacts | precision | recall |\n|---|---|---|")
    for name, (precision, recall) in result.items():
        print(f"| {name} | {precision:.2f} | {recall:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
