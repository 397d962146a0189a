"""Regenerate docs/performance.md: every benchmark run once, one after the other, its output written beside its command.

    .venv/bin/python -m bench.report [--out docs/performance.md]

Run it on an otherwise idle machine (a training run or a test suite on the same cores halves every figure): the
machine, its memory and the 1-minute load average before each benchmark are written into the document. History is
kept by git, not in the document.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.capture_cli import cpu_name

REPO = Path(__file__).resolve().parent.parent
BENCHES = (
    ("Capture as a user runs it (issue 15)", ["-m", "bench.capture_cli", "--runs", "5"],
     "`python -m core.cli capture` on a 30 fps 1280×720 clip of 7 s as a fresh process (imports, weights, "
     "detection, lifting, post-processing, file written), with 2D detection in one process and in one per core."),
    ("Lifter speed at the shipped size (issue 3)", ["-m", "bench.lifter_speed", "--only", "shipped"],
     "The shipped configuration (read from weights/lifter_offline.pt) and CPU-size references, random weights "
     "(speed does not depend on them): whole-sequence inference and the causal streaming step of live mode."),
    ("NumPy or torch for a CPU capture's lift", ["-m", "bench.lift_path"],
     "The shipped offline weights lifted by NumPy and by torch, torch's import, and where capture should switch "
     "(core.capture.NUMPY_LIFT_MAX_S)."),
    ("Live mode (issue 8)", ["-m", "bench.live_latency", "--seconds", "10"],
     "A video file standing in for a webcam, paced at its own rate, through the worker's live session."),
    ("Bake (issue 6)", ["-m", "bench.bake_speed"], "Keyframes for 10,000 frames × 17 joints through Blender's API."),
)


def machine() -> str:
    cpu = cpu_name()
    try:
        mem = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal"))  # fmt: skip
    except (OSError, StopIteration):
        mem = "?"
    import torch

    return f"{cpu}, {os.cpu_count()} cores, {mem} memory; Python {platform.python_version()}, torch {torch.__version__}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    args = parser.parse_args()
    lines = [
        "# Performance",
        "",
        "Written by `.venv/bin/python -m bench.report` (every benchmark below, one after the other); each section "
        "gives its own command and its output verbatim. Wall-clock figures are medians with their spread unless the "
        "output says otherwise. CUDA figures appear only where torch sees a GPU.",
        "",
        f"- machine: {machine()}",
        f"- run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]
    for title, cmd, what in BENCHES:
        load = os.getloadavg()[0]
        print(f"[report] {title} (load {load:.2f})", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True, text=True)
        output = (proc.stdout + (proc.stderr if proc.returncode else "")).strip()
        status = "" if proc.returncode == 0 else f"; **exit code {proc.returncode}**"
        lines += ["", f"## {title}", "", what, "", "```bash", f".venv/bin/python {' '.join(cmd)}", "```", "",
                  f"1-minute load average before: {load:.2f}; took {time.perf_counter() - t0:.0f} s{status}", "",
                  "```", output, "```"]  # fmt: skip
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"[report] wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
