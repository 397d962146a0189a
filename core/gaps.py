"""Filling missing joint observations over time, and resampling tracks in time (linear, edges held).

One function, shared by the capture pipeline (MediaPipe drops joints or whole frames) and by the training noise
model (``core.data.noise`` drops joints on purpose), so that the lifter is trained on exactly the kind of filled
tracks it will see at capture time.

Rules, in order:

1. An entry counts as observed when ``valid`` is true *and* all its channels are finite; the values of unobserved
   entries are ignored (they may be NaN, zeros, garbage).
2. A joint observed in at least one frame is linearly interpolated over time between its observed frames and held
   constant before its first and after its last observation (``np.interp`` semantics). A frame where *nothing* is
   observed is therefore simply bridged by every joint's interpolation.
3. A joint never observed in the whole sequence copies, frame by frame, its parent joint's filled track (the nearest
   bone end is the least-wrong guess and keeps the skeleton connected). Parents come from ``parents``, or from the
   Human3.6M-17 tree (``core.skeleton.H36M_PARENTS``) when ``J == 17`` and none is given.
   A never-observed joint without a parent (the root, or any joint when no tree is known) takes the per-frame mean
   of the joints that were observed at some time; children of it then copy it.
4. If no joint is observed in any frame there is nothing to fill from: ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .skeleton import H36M_PARENTS


def fill_gaps(values: np.ndarray, valid: np.ndarray, parents: Sequence[int] | None = None) -> np.ndarray:
    """Fill unobserved joints by linear interpolation over time (see the module docstring for the exact rules).

    Args:
        values: (T, J, C) joint tracks (pixels, metres, ...); unobserved entries may hold anything.
        valid: (T, J) bool, true where ``values`` is an observation.
        parents: optional length-J parent table (-1 for a root) used for never-observed joints; defaults to the
            Human3.6M-17 tree when J == 17, else none.

    Returns:
        (T, J, C) float array (float32 input stays float32, other inputs become float64), all finite; observed
        entries are returned unchanged.
    """
    values = np.asarray(values)
    valid = np.asarray(valid)
    if values.ndim != 3:
        raise ValueError(f"fill_gaps: values must have shape (T, J, C), got {values.shape}")
    if valid.shape != values.shape[:2]:
        raise ValueError(f"fill_gaps: valid must have shape (T, J) = {values.shape[:2]}, got {valid.shape}")
    if valid.dtype != np.bool_:
        raise ValueError(f"fill_gaps: valid must be a bool array, got dtype {valid.dtype}")
    dtype = values.dtype if values.dtype in (np.float32, np.float64) else np.float64
    T, J, C = values.shape
    observed = valid & np.isfinite(values).all(axis=-1)
    if not observed.any():
        raise ValueError("fill_gaps: no joint is valid in any frame; there is nothing to fill from")

    out = np.zeros((T, J, C), dtype=dtype)
    frames = np.arange(T, dtype=np.float64)
    ever = observed.any(axis=0)
    for j in np.flatnonzero(ever):
        t_obs = np.flatnonzero(observed[:, j])
        if t_obs.size == T:
            out[:, j] = values[:, j]
            continue
        for c in range(C):
            out[:, j, c] = np.interp(frames, t_obs.astype(np.float64), values[t_obs, j, c].astype(np.float64))
        out[t_obs, j] = values[t_obs, j]  # exact copies, no float round trip
    if ever.all():
        return out

    parent_table = _parent_table(J, parents)
    mean_of_observed = out[:, ever].mean(axis=1)
    # Fill never-observed joints in an order where a parent is filled before its children.
    order = _parents_first(parent_table) if parent_table is not None else range(J)
    for j in order:
        if ever[j]:
            continue
        p = parent_table[j] if parent_table is not None else -1
        out[:, j] = out[:, p] if p >= 0 else mean_of_observed
    return out


def _parent_table(J: int, parents: Sequence[int] | None) -> tuple[int, ...] | None:
    if parents is None:
        if J != 17:
            return None
        parents = H36M_PARENTS
    table = tuple(int(p) for p in parents)
    if len(table) != J:
        raise ValueError(f"fill_gaps: parents has {len(table)} entries for {J} joints")
    for j, p in enumerate(table):
        if p >= J or p < -1 or p == j:
            raise ValueError(f"fill_gaps: parents[{j}] = {p} is not a valid parent index")
    return table


def _parents_first(parents: tuple[int, ...]) -> list[int]:
    """Joint indices ordered so that every parent precedes its children (raises on a cycle)."""
    order: list[int] = []
    placed = [False] * len(parents)
    for _ in range(len(parents)):
        progressed = False
        for j, p in enumerate(parents):
            if not placed[j] and (p < 0 or placed[p]):
                placed[j] = True
                order.append(j)
                progressed = True
        if all(placed):
            return order
        if not progressed:
            break
    raise ValueError(f"fill_gaps: parents {parents} contains a cycle")


def resample_times(values: np.ndarray, src_t: np.ndarray, dst_t: np.ndarray) -> np.ndarray:
    """Linear interpolation in time of (T, ...) ``values`` sampled at increasing ``src_t`` (T,) onto ``dst_t`` (T',);
    times outside ``src_t`` hold the first/last value. Returns (T', ...) in the dtype of ``values``."""
    src_t = np.asarray(src_t, dtype=np.float64)
    if len(src_t) == 1:
        return np.repeat(values[:1], len(dst_t), axis=0)
    i1 = np.clip(np.searchsorted(src_t, dst_t, side="right"), 1, len(src_t) - 1)
    i0 = i1 - 1
    w = np.clip((dst_t - src_t[i0]) / (src_t[i1] - src_t[i0]), 0.0, 1.0)
    w = w.reshape((-1,) + (1,) * (values.ndim - 1))
    return (values[i0] * (1.0 - w) + values[i1] * w).astype(values.dtype, copy=False)
