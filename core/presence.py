"""Honest detections: which frames really show a person, and what the artist must be told.

MediaPipe Pose tracks one person and always answers something: on an empty room it may report a faint skeleton on
a table, and when one person leaves and another enters it jumps from one to the other. Filling every gap and
lifting every answer turns that into a phantom dancer and a root that teleports. Per frame, here:

* **Phantoms** — a detection whose mean joint confidence is below ``MIN_MEAN_CONFIDENCE`` or whose 2D box is
  smaller than ``MIN_BOX_FRACTION`` of the image height is not a person (the table skeleton of an empty room scores
  ≈ 0.2; a person in view scores 0.6–1).
* **Absence** — a run of frames without a (real) detection longer than ``MAX_GAP_S`` is an empty stretch: those frames
  are marked absent (the bake hides the armature there) and a warning names them. Shorter runs are occlusions or
  detector misses; the capture fills them by interpolation (``core.gaps``). 0.5 s: a fast turn or an arm across the
  body loses MediaPipe for a few frames; half a second without anybody is somebody leaving.
* **A change of person** — between consecutive detected frames the 2D pelvis moving more than ``MAX_JUMP_BOX`` box
  heights, or the box height changing by more than ``MAX_SCALE_JUMP`` (a factor), is faster than a body moves: the
  tracker probably jumped to someone else. A warning names the frame; nothing is changed.

* **Another person** — MediaPipe Pose reports one person; ``core.others`` looks for anyone else every few seconds
  (the frame with the tracked person painted out, MediaPipe Pose in static mode). Where somebody is found a warning
  gives the times: only one person is captured, and the tracker may switch to the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .skeleton import JOINT_INDEX

MIN_MEAN_CONFIDENCE = 0.35
MIN_BOX_FRACTION = 0.05
MAX_GAP_S = 0.5
MAX_JUMP_BOX = 0.5  # box heights per frame (at 25 fps: ~12 body heights per second)
MAX_SCALE_JUMP = 1.5


@dataclass
class Presence:
    """``real`` (T,): a credible detection; ``present`` (T,): a person is in the frame (real, or inside a short gap);
    ``warnings``: sentences for the artist."""

    real: np.ndarray
    present: np.ndarray
    warnings: list[str] = field(default_factory=list)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) inclusive of every run of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def assess_presence(
    xy: np.ndarray, conf: np.ndarray, detected: np.ndarray, times: np.ndarray, image_height: int,
    others: np.ndarray | None = None,
) -> Presence:
    """Judge every frame of a raw 2D track (see the module docstring).

    Args:
        xy: (T, 17, 2) pixels (NaN where undetected). conf: (T, 17). detected: (T,) bool. times: (T,) seconds.
        image_height: pixels. others: (T,) ``Track2D.others`` (1 another person seen, 0 nobody else, NaN not
            checked), or None.
    """
    T = len(detected)
    box = np.full(T, np.nan)
    if detected.any():
        ys = xy[detected, :, 1]
        box[detected] = np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)
    real = detected & (np.nan_to_num(conf).mean(axis=1) >= MIN_MEAN_CONFIDENCE)
    real &= np.nan_to_num(box) >= MIN_BOX_FRACTION * image_height
    warnings = []
    phantoms = int((detected & ~real).sum())
    if phantoms:
        warnings.append(f"{phantoms} detection(s) too faint or too small to be a person were ignored")
    present = real.copy()
    for a, b in _runs(~real):
        if b - a + 1 == T:
            break  # nobody at all: the capture raises NoPersonError
        # the time between the detections around the run (or the clip's edge): what interpolation would bridge
        lasting = (times[b + 1] if b + 1 < T else times[b]) - (times[a - 1] if a > 0 else times[a])
        if lasting <= MAX_GAP_S:
            present[a : b + 1] = True  # an occlusion or a detector miss: filled by interpolation
        else:
            warnings.append(f"no person in frames {a}–{b} ({times[a]:.1f}–{times[b]:.1f} s): nothing is baked there")
    warnings += _jump_warnings(xy, box, real, times) + _other_people_warnings(others, times)
    return Presence(real, present, warnings)


def _other_people_warnings(others: np.ndarray | None, times: np.ndarray) -> list[str]:
    if others is None:
        return []
    seen = np.flatnonzero(np.nan_to_num(others) > 0.5)
    if not len(seen):
        return []
    checks = int(np.isfinite(others).sum())
    when = ", ".join(f"{times[k]:.1f}" for k in seen[:6]) + (" …" if len(seen) > 6 else "")
    return [f"another person is visible (at {when} s; {len(seen)} of {checks} checks): only one person is captured, "
            "the one MediaPipe tracks, and it may switch to the other: check the result"]  # fmt: skip


def _jump_warnings(xy: np.ndarray, box: np.ndarray, real: np.ndarray, times: np.ndarray) -> list[str]:
    frames = np.flatnonzero(real)
    if len(frames) < 2:
        return []
    pelvis = 0.5 * (xy[frames, JOINT_INDEX["l_hip"]] + xy[frames, JOINT_INDEX["r_hip"]])
    step = np.linalg.norm(np.diff(pelvis, axis=0), axis=1) / np.maximum(box[frames[:-1]], 1.0)
    scale = box[frames[1:]] / np.maximum(box[frames[:-1]], 1.0)
    consecutive = np.diff(frames) == 1  # across a gap, moving far is allowed
    jumps = consecutive & ((step > MAX_JUMP_BOX) | (scale > MAX_SCALE_JUMP) | (scale < 1.0 / MAX_SCALE_JUMP))
    return [f"the tracked person may have changed at frame {frames[k + 1]} ({times[frames[k + 1]]:.1f} s): the body "
            "jumped further than a person moves in one frame" for k in np.flatnonzero(jumps)]  # fmt: skip
