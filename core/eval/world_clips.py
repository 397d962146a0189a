"""The shared clips' part of ``python -m core.eval.world``: every clip of ``../shared/videos`` captured with the
default options (the CLI's pipeline), measured where no truth is needed (the table's last section in
docs/capture.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..options import CaptureOptions
from ..postprocess import ANKLE_FRACTION
from ..skeleton import JOINT_INDEX
from ..world.contacts import FEET, baseline_speed

MAX_HUMAN_SPEED_M_S = 10.0  # a sprinter's top speed: a root moving faster is a jump of the estimate
_P = JOINT_INDEX["pelvis"]


def shared_clips(videos: Path, workers: int, weights: Path | None = None) -> list[dict[str, float | str]]:
    """Capture every clip in ``videos`` with the default options (the CLI's pipeline) and measure what needs no
    truth: the lowest point below the floor, the frames where a foot is still in the image, the camera's own motion
    removed (the 2D half of the contact rule: the person stands) but both soles are more than 10 cm up, the root's
    top speed and whether a faster-than-human root came with a warning; and the pose's jitter (mean frame-to-frame
    acceleration of the root-relative joints, mm/frame²) beside that of the lifter alone (``mediapipe_3d`` 0: a
    second capture), so that what MediaPipe's own 3D adds to the motion shows (``core.fuse3d``)."""
    import tempfile

    from ..camera_motion import stabilised
    from ..capture import run_capture
    from ..capture_file import load_capture
    from ..postprocess import pixels_per_metre
    from ..world.contacts import SPEED_TOL_M_S, image_speed

    rows: list[dict[str, float | str]] = []
    options = CaptureOptions(detect_workers=workers, weights=str(weights) if weights else None)
    lifter_alone = dataclasses.replace(options, mediapipe_3d=0.0)
    for video in sorted(videos.glob("*.mp4")):
        with tempfile.TemporaryDirectory() as tmp:
            summary = run_capture(video, Path(tmp) / "take.npz", options)
            cap = load_capture(Path(tmp) / "take.npz")
            run_capture(video, Path(tmp) / "lifter.npz", lifter_alone)
            alone = load_capture(Path(tmp) / "lifter.npz").joints_world
        world, times = cap.joints_world, cap.frame_indices / cap.fps
        z = world[..., 2].copy()
        z[:, list(FEET)] -= ANKLE_FRACTION * options.height
        rel = world - world[:, :1]
        xy = stabilised(cap.joints_2d, cap.camera_shift)  # a foot is still against the ground, not the frame
        still = (image_speed(xy, times, pixels_per_metre(rel, xy)) < SPEED_TOL_M_S).any(axis=1)
        standing = still & cap.present
        floating = (z[:, list(FEET)] > 0.10).all(axis=1)
        root_speed = baseline_speed(world[:, None, _P], times)[:, 0]
        warned = any("person" in w for w in summary.get("warnings", []))
        rows.append(
            {
                "clip": video.name,
                "frames": float(len(world)),
                "below_floor_m": float(max(0.0, -z.min())),
                "floating_standing": float(floating[standing].mean()) if standing.any() else 0.0,
                "root_top_speed": float(root_speed.max()),
                "jump_unwarned": float(root_speed.max() > MAX_HUMAN_SPEED_M_S and not warned),
                "contact_fraction": float(cap.contacts.mean()) if cap.contacts is not None else float("nan"),
                "camera_moved_px": float(summary.get("camera_moved_px", 0.0)),
                "jitter_mm": _jitter_mm(world),
                "jitter_lifter_mm": _jitter_mm(alone),
            }
        )
    return rows


def _jitter_mm(world: np.ndarray) -> float:
    """(T, 17, 3) m → mean frame-to-frame acceleration of the root-relative joints, mm/frame²."""
    rel = world - world[:, :1]
    return 1000.0 * float(np.linalg.norm(np.diff(rel, 2, axis=0), axis=-1).mean()) if len(rel) > 2 else 0.0


def clips_table(rows: list[dict[str, float | str]]) -> str:
    lines = [
        "| shared clip | frames | lowest joint below floor m | standing frames with both feet > 10 cm up | "
        "root top speed m/s | faster than a person without a warning | contact frames | camera moved px | "
        "pose jitter mm/frame² (lifter alone) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['clip']} | {r['frames']:.0f} | {r['below_floor_m']:.3f} | {r['floating_standing']:.1%} | "
            f"{r['root_top_speed']:.1f} | {'yes' if r['jump_unwarned'] else 'no'} | {r['contact_fraction']:.0%} | "
            f"{r['camera_moved_px']:.0f} | {r['jitter_mm']:.1f} ({r['jitter_lifter_mm']:.1f}) |"
        )
    return "\n".join(lines)
