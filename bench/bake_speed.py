"""Benchmark: bake 10,000 frames × 17 joints onto a new armature (target ≤ 1 s). Run from the repository root:

    .venv/bin/python -m bench.bake_speed [--frames 10000] [--repeats 5]

Times the whole add-on bake (armature creation, pose solve, 67 F-curves written with keyframe_points.add +
foreach_set) and its pose-solve share (core/bake_math.py, numpy), median over repeats, and checks the result. The
process CPU time is printed too: on a shared machine the wall time swings with the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="video_mocap_bench_"))
    sys.path[:0] = [str(REPO), str(REPO / "tests" / "helpers")]
    import bpy
    from addon_synth import synthetic_joints

    from core.bake_math import solve_pose
    from tools.addon_dev import enable_from_checkout

    enable_from_checkout()
    from video_mocap.operators.action_api import action_fcurves
    from video_mocap.operators.bake import bake_joints

    joints = synthetic_joints(args.frames, seed=0)
    bake_times, bake_cpu, solve_times = [], [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        solve_pose(joints)
        solve_times.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        result = bake_joints(bpy.context, joints, 30.0, "bench")
        bake_times.append(time.perf_counter() - t0)
        bake_cpu.append(time.process_time() - c0)
        keys = sum(len(c.keyframe_points) for c in action_fcurves(result.action, result.armature))
        assert keys == args.frames * 67, keys
    bake, solve = statistics.median(bake_times), statistics.median(solve_times)
    print(f"Blender {bpy.app.version_string}, Python {platform.python_version()}, {platform.processor() or 'cpu'}, "
          f"{os.cpu_count()} CPUs")
    print(f"bake {args.frames} frames x 17 joints ({keys} keys): median {bake:.3f} s over {args.repeats} "
          f"(min {min(bake_times):.3f}, max {max(bake_times):.3f}); "
          f"CPU time median {statistics.median(bake_cpu):.3f} s; "
          f"pose solve alone {solve:.3f} s")
    print(f"load average while running: {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "")
    verdict = "OK" if bake <= TARGET_S else "SLOWER THAN TARGET"
    print(f"target <= {TARGET_S:.1f} s: {verdict}")
    return 0 if bake <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
