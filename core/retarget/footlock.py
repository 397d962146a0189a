"""Foot locking: find when a foot is planted on the source, then pin the target's ankle there with two-bone IK.

Retargeting by rotations reproduces limb *directions*; with other proportions (a longer shin, wider hips) a planted
source foot becomes a slowly sliding target foot, because the root translation can only be scaled by one ratio.

1. Contacts (``detect_contacts``) are found on the source in Blender world units (metres, Z up): an ankle is planted
   when it is within ``height_tolerance`` of the local ground (its lowest height within ``floor_window`` seconds)
   and moves slower than ``speed_tolerance``, for at least ``min_frames`` frames in a row.
2. During each planted interval the target ankle is pinned at its mean position over the interval, moved (if
   needed) to where the leg reaches it on every planted frame; over ``blend_frames`` frames before and after, the
   foot keeps its own motion shifted by the correction made at the interval's end, fading out (smoothstep), so there
   is no pop and a lifting foot is not dragged back.
3. The leg reaches the pinned ankle by analytic two-bone IK (law of cosines) in the plane of the current leg; the
   thigh and shin are turned by the smallest rotations that move their ends, the foot keeps its world orientation.
   A pin no leg pose can reach on every frame (the hips move further than the leg is long) is approached as closely
   as possible.

Shapes: T frames; ankles (T, 2, 3) in the order (left, right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rotations import unit


@dataclass(frozen=True)
class FootLockConfig:
    """height_tolerance: metres above the local ground that still count as on the ground.
    speed_tolerance: metres per second below which a grounded foot counts as planted.
    min_frames: shortest planted interval kept. blend_frames: frames over which the pin fades in and out.
    floor_window: seconds each side over which the local ground is the foot's lowest height."""

    height_tolerance: float = 0.05
    speed_tolerance: float = 0.25
    min_frames: int = 3
    blend_frames: int = 3
    floor_window: float = 0.75

    def __post_init__(self) -> None:
        if not self.height_tolerance > 0 or not self.speed_tolerance > 0 or not self.floor_window > 0:
            raise ValueError(f"foot lock tolerances must be positive, got height {self.height_tolerance}, "
                             f"speed {self.speed_tolerance}, floor window {self.floor_window}")
        for name in ("min_frames", "blend_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if name == "min_frames" else 0):
                raise ValueError(f"foot lock {name} must be an integer >= {1 if name == 'min_frames' else 0}, "
                                 f"got {value!r}")


def intervals(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a (T,) mask as (first, last) frame indices, inclusive."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def detect_contacts(ankles: np.ndarray, fps: float, config: FootLockConfig, up: int = 2) -> np.ndarray:
    """Planted-foot mask from source ankle positions.

    Args: ankles (T, 2, 3) Blender world metres; fps > 0; up: index of the vertical axis (2 = Z).
    Returns: (T, 2) bool.
    """
    ankles = np.asarray(ankles, dtype=np.float64)
    if ankles.ndim != 3 or ankles.shape[1:] != (2, 3):
        raise ValueError(f"ankles must have shape (T, 2, 3), got {ankles.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if len(ankles) < 2:
        return np.zeros((len(ankles), 2), dtype=bool)
    height = ankles[..., up]
    # The ground under each foot, as the lowest height within ±floor_window s: follows uneven ground, steps and the
    # slow height drift of a video capture, where one floor for the whole clip would miss later contacts.
    half = max(1, int(round(config.floor_window * fps)))
    padded = np.pad(height, ((half, half), (0, 0)), mode="edge")
    floor = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0).min(axis=-1)
    speed = np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * fps
    planted = (height <= floor + config.height_tolerance) & (speed <= config.speed_tolerance)
    out = np.zeros_like(planted)
    for foot in range(2):
        for a, b in intervals(planted[:, foot]):
            if b - a + 1 >= config.min_frames:
                out[a:b + 1, foot] = True
    return out


def _reachable(pin: np.ndarray, hips: np.ndarray, reach: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Move a pin into the intersection of the balls |pin − hips[t]| <= reach (alternating projections onto the
    most violated ball; the balls are convex, so this converges when they intersect). hips (N, 3), reach (N,)."""
    for _ in range(iterations):
        offset = pin - hips
        dist = np.linalg.norm(offset, axis=-1)
        excess = dist - reach
        worst = int(np.argmax(excess))
        if excess[worst] <= 0:
            break
        pin = hips[worst] + offset[worst] * (reach[worst] / dist[worst])
    return pin


def lock_targets(ankles: np.ndarray, contacts: np.ndarray, blend_frames: int, hips: np.ndarray | None = None,
                 reach: np.ndarray | None = None,
                 floor: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Pinned ankle positions and pin weights.

    Args: ankles (T, 2, 3) target ankles before locking; contacts (T, 2) bool; blend_frames >= 0; hips (T, 2, 3)
    and reach (2,) (optional): each pin is moved, if needed, to where the leg reaches it on every planted frame;
    floor (optional): (up (3,), ankle heights (2,) along it) — each pin is put at that height, so a planted foot
    stands on the target's floor whatever height the take's ankle had during that contact.
    Returns: (goals (T, 2, 3), weights (T, 2) in [0, 1]); weight 1 inside planted intervals.
    """
    t = len(ankles)
    goals = np.array(ankles, dtype=np.float64, copy=True)
    weights = np.zeros((t, 2))
    for foot in range(2):
        for a, b in intervals(contacts[:, foot]):
            pin = ankles[a:b + 1, foot].mean(axis=0)
            if floor is not None:
                up, height = floor
                pin = pin + (height[foot] - pin @ up) * up
            if hips is not None and reach is not None:
                pin = _reachable(pin, hips[a:b + 1, foot], np.full(b - a + 1, reach[foot]))
            lo, hi = max(0, a - blend_frames), min(t - 1, b + blend_frames)
            frames = np.arange(lo, hi + 1)
            # Distance (in frames) outside the interval → fade; inside → 1.
            outside = np.maximum(a - frames, frames - b).clip(min=0)
            w = 1.0 - outside / (blend_frames + 1)
            w = w * w * (3 - 2 * w)
            # Outside the interval the foot keeps its own motion, shifted by the correction made at the nearest end
            # of the interval (fading out): no pop, and a lifting foot is not dragged back towards the pin.
            edge = np.where(frames < a, a, b)
            goal = np.where((outside > 0)[:, None], ankles[frames, foot] + pin - ankles[edge, foot], pin)
            take = w > weights[lo:hi + 1, foot]
            weights[lo:hi + 1, foot] = np.where(take, w, weights[lo:hi + 1, foot])
            goals[lo:hi + 1, foot] = np.where(take[:, None], goal, goals[lo:hi + 1, foot])
    blended = ankles + weights[..., None] * (goals - ankles)
    return blended, weights


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray,
                forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New knee and ankle positions reaching `goal` with fixed bone lengths, keeping the current leg plane.

    Args: hip, knee, ankle, goal (..., 3); forward (..., 3): the bend direction used when the leg is straight.
    Returns: (knee', ankle') (..., 3). ankle' = goal when reachable, else the nearest reachable point.
    """
    a = np.linalg.norm(knee - hip, axis=-1, keepdims=True)
    b = np.linalg.norm(ankle - knee, axis=-1, keepdims=True)
    to_goal = goal - hip
    d_goal = np.linalg.norm(to_goal, axis=-1, keepdims=True)
    direction = unit(to_goal, unit(ankle - hip))
    d = np.clip(d_goal, np.abs(a - b) + 1e-6, a + b - 1e-6)
    # The bend side: the current knee's offset from the hip→goal line, leaning towards `forward` as the leg
    # straightens (an offset under ~5 % of the thigh is mostly rounding and lifting noise: a nearly straight leg
    # would otherwise bend sideways or backwards at random).
    offset = (knee - hip) - np.sum((knee - hip) * direction, -1, keepdims=True) * direction
    fallback = unit(forward - np.sum(forward * direction, -1, keepdims=True) * direction)
    bend = unit(offset + 0.05 * a * fallback, fallback)
    along = (a * a - b * b + d * d) / (2 * d)
    height = np.sqrt(np.clip(a * a - along * along, 0.0, None))
    new_knee = hip + along * direction + height * bend
    return new_knee, hip + d * direction
