"""World placement against known truth: ``python -m core.eval.world`` (writes the table in docs/capture.md).

Two yardsticks, one command:

* **Synthetic** — held-out CMU motions (subject 08, MediaPipe joint definition) filmed by random cameras of the wide
  distribution (height, pitch, roll, focal length; a seed stream no training uses), the 2D with the measured
  detector noise (without its left/right flips, which capture repairs first), lifted by the shipped weights and
  placed by capture's own ``core.world.place`` with the default options and field-of-view prior (the true focal
  length is not given). Truth: the camera's up direction, the motion's root path, and foot contacts from the
  mocap (ankle within ``TRUTH_HEIGHT_M`` of the clip's floor and slower than ``TRUTH_SPEED_M_S``).
* **Pose2Sim** — the two shared real views (``../shared/data/pose2sim_balance``): MediaPipe's own 2D of each view,
  lifted and averaged with MediaPipe's own 3D as capture does by default (``core.fuse3d``), placed the same way,
  against the 4-camera triangulation (Z up) and its calibration.

Figures: up error (degrees between the estimated and the true up direction, in camera space); root path error (mean
distance between our pelvis path and the true one after one alignment by a turn about the vertical and a shift,
also as a fraction of the mean camera distance); contact precision/recall; planted-foot slide (mean horizontal
motion of our ankle over the frames where the truth has that foot planted, mm/frame); bone-length coefficient of
variation (std / mean over frames, mean over bones); the lowest joint below the floor; the fraction of standing
frames (a true contact) where both our feet are more than 10 cm above the floor; the pose's error (P-MPJPE, mm: each
frame aligned by a similarity, so it measures the body's shape, not its placement) and its acceleration error
(mm/frame², the root-relative pose turned about the vertical onto the truth; on Pose2Sim against the reference
smoothed as ``core.eval.real_video`` does, since triangulated MediaPipe has jitter of its own); and how well the
placed pose lines up with the person in the video: its reprojection error (``Placement.camera_joints`` through the
camera placement assumed, against the truth's own 2D, not the detections, as a share of the truth's 2D body height
per frame).

* **Shared clips** — every clip of ``../shared/videos`` captured with the default options (the CLI's pipeline):
  what needs no truth (``core.eval.world_clips``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..metrics import acceleration_error, p_mpjpe
from ..options import DEFAULT_FOV_DEG, CaptureOptions
from ..postprocess import ANKLE_FRACTION, estimate_stature
from ..skeleton import JOINT_INDEX
from ..video_meta import fov_from_focal_px
from ..world.body import lengths_per_frame
from ..world.contacts import FEET, baseline_speed, clean_runs, precision_recall
from ..world.ground import FLOOR_PRIOR_M2, HALF_WAY, PITCH_BLEND, PitchBlend
from ..world.image_fit import IMAGE_SHARE, project
from ..world.place import Placement, place

TRUTH_HEIGHT_M = 0.10  # heel-off lifts the ankle ≈ 5–8 cm while the forefoot is still planted
TRUTH_SPEED_M_S = 0.3
MAX_FRAMES = 1500  # 30 s per motion at 50 fps: enough for the figures, bounded time
_P = JOINT_INDEX["pelvis"]
# what a user gets from a clip whose file does not say its focal length
_DEFAULTS = {"smoothing": CaptureOptions().smoothing, "fov_deg": DEFAULT_FOV_DEG}


def truth_contacts(world: np.ndarray, fps: float) -> np.ndarray:
    """(T, 17, 3) true world joints (Z up) → (T, 2) contacts: ankle within TRUTH_HEIGHT_M of its clip's lowest
    standing height and slower than TRUTH_SPEED_M_S (3D), runs of at least 0.1 s."""
    feet = world[:, list(FEET)]
    floor = np.percentile(feet[..., 2], 2.0)
    speed = baseline_speed(feet, np.arange(len(feet)) / fps, baseline_s=2.0 / fps)  # mocap: no detector noise
    raw = (feet[..., 2] - floor < TRUTH_HEIGHT_M) & (speed < TRUTH_SPEED_M_S)
    return clean_runs(raw, max(1, int(round(0.1 * fps))), 0)


def yaw_aligned(path: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T, 3) path → the same path turned about Z and shifted to best match ``truth`` (T, 3) (least squares)."""
    a, b = path - path.mean(0), truth - truth.mean(0)
    angle = np.arctan2((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum(), (a[:, :2] * b[:, :2]).sum())
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return a @ rot.T + truth.mean(0)


def bone_cv(world: np.ndarray) -> float:
    """Mean over bones of std / mean of the bone's length over frames."""
    lengths = lengths_per_frame(world)[:, 1:]  # every bone (column 0 is the root)
    return float(np.mean(lengths.std(0) / np.maximum(lengths.mean(0), 1e-9)))


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


def reprojection_error(placed: Placement, truth_px: np.ndarray, width: int, height: int) -> float:
    """Mean distance between the placed pose's projection and ``truth_px`` (T, 17, 2), as a share of each frame's
    true 2D body height."""
    seen = project(placed.camera_joints, width, height, placed.focal_px)
    body = np.maximum(np.ptp(truth_px[..., 1], axis=1), 1.0)
    return float((np.linalg.norm(seen - truth_px, axis=-1).mean(axis=1) / body).mean())


def _accel_error_mm(world: np.ndarray, truth_world: np.ndarray) -> float:
    """Acceleration error (mm/frame²) of the root-relative pose against the truth's, turned about the vertical to
    match it (the one freedom a placement has)."""
    rel, truth = world - world[:, :1], truth_world - truth_world[:, :1]
    turned = yaw_aligned(rel.reshape(-1, 3), truth.reshape(-1, 3)).reshape(rel.shape)
    return 1000.0 * float(acceleration_error(turned, truth))


def placement_figures(placed: Placement, truth_world: np.ndarray, truth_up_cam: np.ndarray, camera_distance: float,
                      fps: float, subject_height: float, truth_px: np.ndarray, size: tuple[int, int],
                      accel_truth: np.ndarray | None = None) -> dict[str, float]:  # fmt: skip
    """The figures of one placed clip against its truth (module docstring); ``truth_px`` (T, 17, 2) the truth seen
    by the camera, in pixels of an image of ``size`` (w, h); ``accel_truth`` the truth the acceleration error is
    measured against (None: ``truth_world``)."""
    world = placed.world.astype(np.float64)
    truth_c = truth_contacts(truth_world, fps)
    path = yaw_aligned(world[:, _P], truth_world[:, _P])
    root_err = float(np.linalg.norm(path - truth_world[:, _P], axis=-1).mean())
    both = truth_c[1:] & truth_c[:-1]
    steps = np.linalg.norm(np.diff(world[:, list(FEET), :2], axis=0), axis=-1)
    precision, recall = precision_recall(placed.contacts, truth_c)
    z = world[..., 2].copy()
    z[:, list(FEET)] -= ANKLE_FRACTION * subject_height
    standing = truth_c.any(axis=1)
    floating = (z[:, list(FEET)] > 0.10).all(axis=1)
    return {
        "up_err_deg": angle_deg(placed.up_camera, truth_up_cam),
        "root_err_m": root_err, "root_err_rel": root_err / camera_distance,
        "contact_precision": precision, "contact_recall": recall,
        "slide_mm_per_frame": 1000.0 * float(steps[both].mean()) if both.any() else float("nan"),
        "bone_cv": bone_cv(world), "below_floor_m": float(max(0.0, -z.min())),
        "floating_standing": float(floating[standing].mean()) if standing.any() else 0.0,
        "pose_mm": 1000.0 * float(p_mpjpe(world, truth_world)),
        "accel_mm": _accel_error_mm(world, truth_world if accel_truth is None else accel_truth),
        "reprojection": reprojection_error(placed, truth_px, *size),
        "frames": float(len(world)),
    }  # fmt: skip


def synthetic(model, cmu_root: Path, subjects: tuple[str, ...], seed: int, cameras: int,  # noqa: ANN001
              noisy: bool = True, contact_rule: bool = False, true_3d: bool = False,
              image_gravity: bool = True, floor: bool = True, image_share: float = IMAGE_SHARE,
              true_fov: bool = False, pitch_blend: PitchBlend = PITCH_BLEND) -> list[dict[str, float]]:  # fmt: skip
    """One row of figures per (motion, camera) of the held-out subjects (module docstring); ``noisy=False`` feeds the
    exact projections instead (a diagnostic: what the detector's noise costs each figure); ``true_3d`` places the
    true camera-space pose instead of the lifter's (a diagnostic: what placement itself gets right with a perfect
    lifter; the contacts' image cues still come from the 2D); ``image_gravity=False``: the up direction from the body
    alone (a diagnostic: what ``core.world.gravity`` adds); ``floor=False``: without the floor under the planted feet
    (a diagnostic: what ``core.world.ground.with_floor_points`` adds); ``image_share`` 0: the lifter's pose without
    drawing it onto the detected 2D (a diagnostic: what ``core.world.image_fit`` does); ``true_fov``: placement told
    the camera's true field of view, as a file's focal-length metadata would (a diagnostic: what the prior costs);
    ``pitch_blend``: how the body's and the image's pitch combine (``core.world.ground.HALF_WAY``: as before the
    fitted blend)."""
    from ..data.cmu import list_motions, split_by_subject
    from .rendered import FPS, rendered_clips

    _, held_out = split_by_subject(list_motions(cmu_root), subjects)
    rows = []
    for clip in rendered_clips(model, held_out, seed, cameras, noisy=noisy, max_frames=MAX_FRAMES):
        cam, height = clip.camera, clip.height
        rel = clip.camera_space - clip.camera_space[:, :1] if true_3d else clip.rel
        true = {"fov_deg": fov_from_focal_px(float(np.mean(cam.focal)), cam.width, cam.height)}
        options = _DEFAULTS | (true if true_fov else {})
        placed = place(rel, clip.pixels, clip.times, cam.width, cam.height, FPS, subject_height=height,
                       contact_rule=contact_rule, image_gravity=image_gravity, floor_prior_m2=_floor(floor),
                       image_share=image_share, pitch_blend=pitch_blend, **options)  # fmt: skip
        distance = float(np.linalg.norm(clip.camera_space[:, _P], axis=-1).mean())
        row = placement_figures(placed, clip.world, cam.R @ np.array([0.0, 0.0, 1.0]), distance, FPS, height,
                                cam.project_camera(clip.camera_space), (cam.width, cam.height))  # fmt: skip
        rows.append({"clip": clip.name, **row})
    return rows


def pose2sim(model, reference: Path | None, true_3d: bool = False,  # noqa: ANN001
             image_gravity: bool = True, floor: bool = True, image_share: float = IMAGE_SHARE,
             true_fov: bool = False, pitch_blend: PitchBlend = PITCH_BLEND) -> list[dict[str, float]]:  # fmt: skip
    """One row per shared real view (module docstring); ``true_3d``, ``image_gravity``, ``floor``, ``image_share``,
    ``true_fov`` (the calibration's focal length), ``pitch_blend``: the diagnostics of :func:`synthetic`. The truth's
    2D is the reference seen through the view's calibration (OpenCV's model, distortion included)."""
    import cv2

    from ..fuse3d import fuse_clip
    from ..lift import lift_timed
    from .real_video import DEFAULT_REFERENCE, load_views

    path = reference or DEFAULT_REFERENCE
    with np.load(path, allow_pickle=True) as f:
        extrinsics = {str(n): (f["R"][i], f["t"][i].reshape(3)) for i, n in enumerate(f["cam_names"])}
        intrinsics = {str(n): (f["K"][i], f["dist"][i]) for i, n in enumerate(f["cam_names"])}
    rows = []
    share = CaptureOptions.field_default("mediapipe_3d")
    for view in load_views(path):
        times = np.arange(len(view.xy)) / view.fps
        truth = view.reference
        R, t = extrinsics[view.name]
        if true_3d:
            rel = truth @ R.T + t
            rel = rel - rel[:, :1]
        else:
            rel = lift_timed(model, view.xy, times, *view.size, flip_tta=True)
            # as capture does: MediaPipe's own 3D averaged in (every frame is a real, unswapped detection here)
            rel, _ = fuse_clip(rel, view.mediapipe_3d, np.ones(len(rel), bool), times, share)
        height = estimate_stature(truth)
        K, dist = intrinsics[view.name]
        true = {"fov_deg": fov_from_focal_px(float(K[0, 0] + K[1, 1]) / 2, *view.size)}
        options = _DEFAULTS | (true if true_fov else {})
        placed = place(rel, view.xy, times, *view.size, view.fps, subject_height=height, image_gravity=image_gravity,
                       floor_prior_m2=_floor(floor), image_share=image_share, pitch_blend=pitch_blend,
                       **options)  # fmt: skip
        distance = float(np.linalg.norm(truth[:, _P] @ R.T + t, axis=-1).mean())
        up = R @ np.array([0.0, 0.0, 1.0])
        truth_px = cv2.projectPoints(truth.reshape(-1, 3), cv2.Rodrigues(R)[0], t, K, dist)[0]
        truth_px = truth_px.reshape(len(truth), -1, 2)
        figures = placement_figures(placed, truth, up, distance, view.fps, height, truth_px, view.size,
                                    view.reference_smooth)  # as docs/accuracy.md: the reference's jitter smoothed
        rows.append({"clip": view.name, **figures})
    return rows


def _floor(on: bool) -> float:
    return FLOOR_PRIOR_M2 if on else 0.0


_COLUMNS = (  # (key, header, format)
    ("up_err_deg", "up error °", "{:.1f}"), ("root_err_m", "root path error m", "{:.2f}"),
    ("root_err_rel", "/ camera distance", "{:.1%}"), ("contact_precision", "contact precision", "{:.3f}"),
    ("contact_recall", "contact recall", "{:.3f}"), ("slide_mm_per_frame", "planted-foot slide mm/frame", "{:.1f}"),
    ("bone_cv", "bone-length CV", "{:.3f}"), ("below_floor_m", "lowest joint below floor m", "{:.3f}"),
    ("floating_standing", "standing frames with both feet > 10 cm up", "{:.1%}"),
    ("pose_mm", "pose P-MPJPE mm", "{:.1f}"), ("accel_mm", "pose accel error mm/frame²", "{:.1f}"),
    ("reprojection", "reprojection error / body height", "{:.1%}"),
)  # fmt: skip


def table(rows: list[dict], title: str) -> str:
    """Markdown table: one line per clip and, for several clips, the median (for the contact figures the mean over
    clips and its standard error: how far another draw of clips and cameras could move it)."""
    head = f"| {title} | " + " | ".join(h for _, h, _ in _COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(_COLUMNS) + 1)]
    for r in rows:
        lines.append(f"| {r['clip']} | " + " | ".join(fmt.format(r[k]) for k, _, fmt in _COLUMNS) + " |")
    if len(rows) > 1:
        cells = []
        for k, _, fmt in _COLUMNS:
            values = np.array([r[k] for r in rows], float)
            if k.startswith("contact"):
                error = np.nanstd(values, ddof=1) / np.sqrt(np.isfinite(values).sum())
                cells.append(f"**{fmt.format(np.nanmean(values))} ± {fmt.format(error)}**")
            else:
                cells.append(f"**{fmt.format(np.nanmedian(values))}**")
        lines.append("| **median** (contacts: mean ± standard error) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


BEGIN, END = "<!-- world-eval:begin -->", "<!-- world-eval:end -->"


def write_section(doc: Path, text: str) -> None:
    """Replace the text between BEGIN and END in ``doc`` (appended at the end the first time)."""
    old = doc.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + block + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.eval.world", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", type=Path, default=None, help="lifter weights (default: the shipped offline ones)")
    p.add_argument("--cmu-root", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/cmu")
    p.add_argument("--subjects", nargs="+", default=["08"])
    p.add_argument("--cameras", type=int, default=2, help="random cameras per motion")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--reference", type=Path, default=None, help="the Pose2Sim reference .npz (default: ../shared)")
    p.add_argument("--markdown", type=Path, default=None, help="write the tables into this file (docs/capture.md)")
    p.add_argument(
        "--videos",
        type=Path,
        default=Path(__file__).resolve().parents[3] / "shared/videos",
        help="capture every .mp4 here (the shared clips); --videos '' to skip",
    )
    p.add_argument("--detect-workers", type=int, default=0, help="MediaPipe processes for the clips (0 = one per core)")
    p.add_argument("--clean-2d", action="store_true", help="synthetic table without detector noise (a diagnostic)")
    p.add_argument("--contact-rule", action="store_true", help="synthetic table with the contact rule, not the model")
    p.add_argument("--true-3d", action="store_true", help="synthetic table placing the true 3D, not the lifter's")
    p.add_argument("--no-image-gravity", action="store_true", help="up from the body alone (core.world.gravity off)")
    p.add_argument("--no-floor", action="store_true", help="up without the floor under the planted feet")
    p.add_argument("--no-image-fit", action="store_true", help="the lifter's pose not drawn onto the detected 2D")
    p.add_argument("--true-fov", action="store_true", help="placement told each camera's true field of view")
    p.add_argument("--half-share", action="store_true", help="the pitch half way between the body's and the image's")
    args = p.parse_args(argv)
    diagnostic = args.clean_2d or args.contact_rule or args.true_3d or args.no_image_gravity or args.no_floor
    if (diagnostic or args.no_image_fit or args.true_fov or args.half_share) and args.markdown:
        p.error("--clean-2d, --contact-rule, --true-3d, --no-image-gravity, --no-floor, --no-image-fit, --true-fov "
                "and --half-share are diagnostics: their tables do not go into the docs' measured section")
    share = 0.0 if args.no_image_fit else IMAGE_SHARE
    blend = HALF_WAY if args.half_share else PITCH_BLEND
    from ..lift import load_lifter
    from ..weights import default_weights

    weights = args.checkpoint or default_weights("offline")
    model = load_lifter(weights, device="cpu")
    synth = synthetic(model, args.cmu_root, tuple(args.subjects), args.seed, args.cameras, noisy=not args.clean_2d,
                      contact_rule=args.contact_rule, true_3d=args.true_3d,
                      image_gravity=not args.no_image_gravity, floor=not args.no_floor, image_share=share,
                      true_fov=args.true_fov, pitch_blend=blend)  # fmt: skip
    real = pose2sim(model, args.reference, args.true_3d, not args.no_image_gravity, not args.no_floor, share,
                    args.true_fov, blend)
    from .world_clips import clips_table, shared_clips

    clips = shared_clips(args.videos, args.detect_workers, args.checkpoint) if str(args.videos) not in ("", ".") else []
    command = (
        "python -m core.eval.world"
        + (f" --checkpoint {args.checkpoint}" if args.checkpoint else "")
        + (f" --markdown {args.markdown}" if args.markdown else "")
        + (" --clean-2d" if args.clean_2d else "")
        + (" --contact-rule" if args.contact_rule else "")
        + (" --true-3d" if args.true_3d else "")
        + (" --no-image-gravity" if args.no_image_gravity else "")
        + (" --no-floor" if args.no_floor else "")
        + (" --no-image-fit" if args.no_image_fit else "")
        + (" --true-fov" if args.true_fov else "")
        + (" --half-share" if args.half_share else "")
    )
    variant = (", true 3D" if args.true_3d else "") + (", body alone" if args.no_image_gravity else "")
    variant += (", without the floor" if args.no_floor else "") + (", no image fit" if args.no_image_fit else "")
    variant += (", true field of view" if args.true_fov else "") + (", half share" if args.half_share else "")
    text = (
        f"Measured by `{command}` (weights `{Path(weights).name}`).\n\n"
        + table(synth, "synthetic: CMU 08, random cameras" + (", noise-free 2D" if args.clean_2d else "")
              + (", contact rule" if args.contact_rule else "") + variant)
        + "\n\n"
        + table(real, "Pose2Sim view" + variant)
        + ("\n\n" + clips_table(clips) if clips else "")
    )
    print(text)
    if args.markdown:
        write_section(args.markdown, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
