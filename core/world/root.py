"""The root path: the body-size estimate, steadied by the planted feet.

``core.postprocess.root_trajectory`` places the body from its apparent size (depth) and image position: right on
average, but every reach or squat changes the apparent size and becomes depth motion. A planted foot does not move,
so while one is down the root moves by exactly minus the foot's motion relative to the root (what walking is); we
integrate that and pull it slowly (time constant ``tau_s``) towards the size estimate, which keeps it from drifting.
Without a contact the root follows the size estimate's own velocity. Offline the filter runs forwards and backwards
and the two passes are averaged (no lag); ``causal`` keeps the forward pass only (live mode).
"""

from __future__ import annotations

import numpy as np

ROOT_TAU_S = 1.5  # how fast the root returns to the body-size estimate: slow enough to keep a step, fast against drift


def contact_velocity(feet_rel: np.ndarray, contacts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, F, 3) feet relative to the root, (T, F) contacts → ((T, 3) root step from frame t-1 to t implied by the
    feet planted in both frames, (T,) bool where there is one). Frame 0 has none."""
    both = contacts[1:] & contacts[:-1]  # (T-1, F)
    step = -(feet_rel[1:] - feet_rel[:-1])  # the root moves against a planted foot
    n = both.sum(axis=1)
    v = np.zeros((len(feet_rel), 3))
    v[1:] = (step * both[..., None]).sum(axis=1) / np.maximum(n, 1)[:, None]
    has = np.zeros(len(feet_rel), bool)
    has[1:] = n > 0
    return v, has


def _pass(size_root: np.ndarray, v: np.ndarray, has: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    out = np.empty_like(size_root)
    out[0] = size_root[0]
    size_v = np.diff(size_root, axis=0, prepend=size_root[:1])
    for t in range(1, len(size_root)):
        step = v[t] if has[t] else size_v[t]
        out[t] = alpha[t] * (out[t - 1] + step) + (1.0 - alpha[t]) * size_root[t]
    return out


def fuse_root(size_root: np.ndarray, feet_rel: np.ndarray, contacts: np.ndarray, times: np.ndarray, *,
              tau_s: float = ROOT_TAU_S, causal: bool = False) -> np.ndarray:  # fmt: skip
    """(T, 3) size-based root, (T, F, 3) feet relative to the root, (T, F) contacts, (T,) times → (T, 3) root."""
    T = len(size_root)
    if T < 2:
        return size_root.copy()
    v, has = contact_velocity(feet_rel, contacts)
    dt = np.diff(times, prepend=times[0])
    dt[0] = dt[1] if T > 1 else 0.0
    alpha = np.exp(-np.maximum(dt, 1e-6) / tau_s)
    forward = _pass(size_root, v, has, alpha)
    if causal:
        return forward
    # Backwards: the same filter on the reversed clip; a step into frame t (v[t]) becomes a step out of it.
    v_back = np.zeros_like(v)
    v_back[:-1] = -v[1:]
    has_back = np.zeros_like(has)
    has_back[:-1] = has[1:]
    alpha_back = np.concatenate([[alpha[0]], alpha[1:]])[::-1]
    backward = _pass(size_root[::-1], v_back[::-1], has_back[::-1], alpha_back)[::-1]
    return 0.5 * (forward + backward)
