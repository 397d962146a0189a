"""The headless demo (``./run demo``): capture the bundled clip through the real worker, bake it, save and preview.

    python -m tools.demo [--weights PATH] [--video PATH] [--out DIR] [--causal]

Enables the add-on from this checkout in the bpy module (a throw-away Blender user folder, never ~/.config/blender),
runs Capture from Video exactly as background mode runs it (the operator's execute(): worker process, MediaPipe,
lifter, bake), saves ``out/demo.blend``, writes ``out/demo_preview.png`` (video frames with the 2D skeleton beside
the baked armature) and prints a summary. Without trained weights in weights/ it stops with a clear message instead
of inventing output; ``--weights`` runs it with any checkpoint (e.g. a tiny random one, to check the plumbing).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VIDEO = REPO / "assets" / "pose2sim_balance_cam04.mp4"
PREVIEW_FRAMES = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, help="lifter checkpoint (default: the shipped weights/lifter_*.pt)")
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="video to capture (default: bundled clip)")
    parser.add_argument("--out", type=Path, default=REPO / "out", help="output folder (default: out/)")
    parser.add_argument("--causal", action="store_true", help="use the causal lifter instead of the offline one")
    return parser


def _weights(args: argparse.Namespace) -> Path | None:
    if args.weights is not None:
        return args.weights if args.weights.is_file() else None
    return REPO / "weights" / ("lifter_causal.pt" if args.causal else "lifter_offline.pt")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    weights = _weights(args)
    if weights is None or not weights.is_file():
        shown = args.weights or weights
        print(f"[demo] ERROR: no lifter weights at {shown}.\n"
              "[demo] The trained weights (weights/lifter_offline.pt, weights/lifter_causal.pt) do not exist yet in "
              "this checkout, and the demo does not fake a capture without them.\n"
              "[demo] Train them (see docs/training.md) or pass --weights PATH to any checkpoint written by "
              "core.models.save_checkpoint.", file=sys.stderr)
        return 2
    if not args.video.is_file():
        print(f"[demo] ERROR: video not found: {args.video}", file=sys.stderr)
        return 2

    # A private Blender user folder, and the worker runs with this very Python (the repository's .venv).
    if "BLENDER_USER_RESOURCES" not in os.environ:
        home = tempfile.mkdtemp(prefix="video_mocap_demo_")
        atexit.register(shutil.rmtree, home, ignore_errors=True)  # runs after bpy's exit handlers (LIFO)
        os.environ["BLENDER_USER_RESOURCES"] = home
    os.environ.setdefault("VIDEO_MOCAP_PYTHON", sys.executable)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    import bpy

    from tools.addon_dev import enable_from_checkout

    enable_from_checkout()
    timings["enable add-on"] = time.perf_counter() - t0
    from video_mocap.core.capture_file import load_capture
    from video_mocap.operators.bake import armature_joints
    from video_mocap.operators.capture import VIDEO_MOCAP_OT_capture

    settings = bpy.context.scene.video_mocap
    settings.video_path = str(args.video.resolve())
    settings.model = "CAUSAL" if args.causal else "OFFLINE"
    settings.fps_mode, settings.start_frame = "SCENE_FROM_CLIP", 1
    print(f"[demo] capturing {args.video.name} with {weights} …", flush=True)
    t0 = time.perf_counter()
    try:
        bpy.ops.video_mocap.capture(weights=str(weights.resolve()))
    except RuntimeError as exc:  # the operator reported an error (shown by Blender above)
        print(f"[demo] ERROR: capture failed: {settings.last_status or exc}", file=sys.stderr)
        return 1
    timings["capture + bake (operator)"] = time.perf_counter() - t0
    stages = dict(VIDEO_MOCAP_OT_capture.last_stage_seconds)
    capture = load_capture(settings.last_capture_path)
    obj, action = settings.last_armature, settings.last_action

    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    blend = args.out / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend.resolve()), check_existing=False)
    timings["save .blend"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    from tools.preview import contact_sheet, read_frames

    rows = [round((capture.frames - 1) * (k + 0.5) / PREVIEW_FRAMES) for k in range(PREVIEW_FRAMES)]
    images = read_frames(args.video, [int(capture.frame_indices[r]) for r in rows])
    joints_3d = armature_joints(bpy.context, obj, [settings.start_frame + r for r in rows])
    labels = [f"video frame {capture.frame_indices[r]} (scene frame {settings.start_frame + r})" for r in rows]
    preview = contact_sheet(args.out / "demo_preview.png", images, capture.joints_2d[rows], joints_3d, labels,
                            f"Video Mocap demo: {args.video.name} → {obj.name} (weights: {weights.name})")
    timings["preview"] = time.perf_counter() - t0

    scene = bpy.context.scene
    print(f"[demo] frames: {capture.frames} at {capture.fps:.2f} fps "
          f"(scene {scene.render.fps}/{scene.render.fps_base:.4f}, frames {scene.frame_start}–{scene.frame_end}), "
          f"person detected in {capture.detection_rate:.0%}")
    print(f"[demo] armature {obj.name}, action {action.name}; device {capture.summary.get('device', '?')}")
    for stage, seconds in stages.items():
        print(f"[demo]   {stage:<26s} {seconds:7.2f} s")
    for step, seconds in timings.items():
        print(f"[demo]   {step:<26s} {seconds:7.2f} s")
    print(f"[demo] wrote {blend} and {preview}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
