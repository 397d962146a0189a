"""Where a CPU capture should stop lifting in NumPy: the shipped offline weights lifted by NumPy and by torch, and
torch's import.

    .venv/bin/python -m bench.lift_path [--frames 1000] [--repeats 5]

A CPU capture lifts in NumPy (``core.lifter_numpy``) up to ``core.capture.NUMPY_LIFT_MAX_S`` of clip and with torch
beyond: torch's import costs CPU time next to detection, its lift is faster per frame. This prints both lifts of a
``--frames`` track at the model's rate (flip TTA, one OpenBLAS thread as capture sets it; median and range of
``--repeats``), the CPU seconds of importing torch and ``core.models`` (what the torch path loads) in a fresh process
(median of 3), and the clip length at which the import is paid back: import CPU s / (NumPy − torch s per frame) /
model fps. The machine's load is printed: on a busy machine every figure is wrong.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core.blas_threads import one_blas_thread

one_blas_thread()  # before NumPy loads, as the CLI and the worker do

import numpy as np  # noqa: E402

from core.capture import NUMPY_LIFT_MAX_S  # noqa: E402
from core.lift import lift_sequence, load_lifter  # noqa: E402
from core.weights import default_weights  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _import_torch_cpu_s() -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import core.models"], check=True, cwd=REPO)  # torch + the lifters
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _lift_s(model: object, xy: np.ndarray, repeats: int) -> list[float]:
    lift_sequence(model, xy[:300], 1280, 720)  # warm-up: thread pools, first allocations
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        lift_sequence(model, xy, 1280, 720)
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    path = default_weights("offline")
    xy = np.random.default_rng(0).uniform(200, 900, (args.frames, 17, 2)).astype(np.float32)
    imports = sorted(_import_torch_cpu_s() for _ in range(3))
    numpy_model = load_lifter(path, numpy_ok=True)
    numpy_s = _lift_s(numpy_model, xy, args.repeats)
    torch_s = _lift_s(load_lifter(path), xy, args.repeats)
    fps = float(numpy_model.config.fps)
    n, t = statistics.median(numpy_s), statistics.median(torch_s)
    print(f"weights: {path.name} ({type(numpy_model).__name__}, receptive field {numpy_model.receptive_field})")
    print(f"NumPy lift of {args.frames} frames: {n:.3f} s ({min(numpy_s):.3f}–{max(numpy_s):.3f})")
    print(f"torch lift of {args.frames} frames: {t:.3f} s ({min(torch_s):.3f}–{max(torch_s):.3f})")
    print(f"import torch and core.models in a fresh process: {imports[1]:.2f} s of CPU "
          f"({imports[0]:.2f}–{imports[2]:.2f})")
    if n > t:
        print(f"torch pays back its import past ≈ {imports[1] / ((n - t) / args.frames) / fps:.0f} s of clip at "
              f"{fps:.0f} fps; core.capture.NUMPY_LIFT_MAX_S = {NUMPY_LIFT_MAX_S:.0f} s")  # fmt: skip
    else:
        print(f"NumPy is as fast as torch here: torch never pays back its import (NUMPY_LIFT_MAX_S = "
              f"{NUMPY_LIFT_MAX_S:.0f} s)")  # fmt: skip
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
