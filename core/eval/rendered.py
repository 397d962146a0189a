"""Motion capture filmed by random virtual cameras and lifted: the synthetic clips with known truth that
``core.eval.world`` measures placement on and ``core.world.contact_fit`` learns foot contacts from.

Each motion (a CMU BVH, ``core.data.cmu.Motion``, or joint positions, :class:`PoseMotion`; MediaPipe joint definition,
50 fps) is seen by ``cameras`` random cameras of the wide distribution
(``core.data.virtual_cameras``), its 2D given the calibrated detector noise without left/right flips (capture
repairs those before placement, ``core.detect.fix_lr_swaps``; unrepaired they would swap the feet's contact labels),
and lifted by ``model`` as capture lifts (flip test-time augmentation). Random streams: ``[seed, i, 77]`` for the
cameras of motion i (no training stream uses ``77``), ``[seed, i, c, 5]`` for the noise of its camera c.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..camera import Camera
from ..postprocess import estimate_stature

FPS = 50.0


@dataclass(frozen=True)
class PoseMotion:
    """A motion given as joint positions (``core.data.extra_mocap``): ``poses`` (T, 17, 3) H36M-17 skeleton joints,
    metres, Z up, 50 fps; ``skeleton`` the mocap source whose landmark proportions ``core.data.landmarks`` knows."""

    name: str
    skeleton: str
    poses: np.ndarray


@dataclass
class RenderedClip:
    """``world`` (T, 17, 3) true joints (Z up, metres); ``pixels`` (T, 17, 2) the detector-like 2D; ``camera_space``
    (T, 17, 3) the truth in camera space; ``rel`` (T, 17, 3) the lifter's root-relative output; ``height`` the true
    stature (m)."""

    name: str
    world: np.ndarray
    camera: Camera
    pixels: np.ndarray
    camera_space: np.ndarray
    times: np.ndarray
    rel: np.ndarray
    height: float


def rendered_clips(model: Any, motions: Sequence[Any], seed: int, cameras: int, *, noisy: bool = True,
                   max_frames: int = 1500) -> Iterator[RenderedClip]:  # fmt: skip
    """The clips of ``motions`` (``core.data.cmu.Motion`` or :class:`PoseMotion`) in order: motion i, then its
    cameras (module docstring)."""
    from ..data import virtual_cameras as vc
    from ..data.batch_noise import BatchNoise
    from ..data.cmu import load_h36m_joints
    from ..data.landmarks import convert
    from ..data.noise import NoiseConfig
    from ..data.render import CameraBatch, render_windows
    from ..lift import lift_timed

    noise = BatchNoise(NoiseConfig(flip_sequence_prob=0.0, swap_prob=0.0))
    for i, motion in enumerate(motions):
        poses = motion.poses if isinstance(motion, PoseMotion) else load_h36m_joints(motion, FPS)
        world = convert(poses, "mediapipe", motion.skeleton)[:max_frames].astype(np.float64)
        rng = np.random.default_rng([seed, i, 77])
        for c in range(cameras):
            cam = vc.random_camera(world, rng)
            pixels, x_cam, _ = render_windows(world[None].astype(np.float32), CameraBatch.stack([cam]), 0)
            pixels = noise.apply(pixels, np.random.default_rng([seed, i, c, 5]))[0] if noisy else pixels[0]
            times = np.arange(len(world)) / FPS
            rel = lift_timed(model, pixels, times, cam.width, cam.height, flip_tta=True)
            yield RenderedClip(f"{motion.name}/cam{c}", world, cam, pixels, x_cam[0], times, rel,
                               float(estimate_stature(world)))  # fmt: skip
