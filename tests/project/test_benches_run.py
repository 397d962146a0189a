"""The benchmarks behind docs/performance.md still run: a failed one leaves its traceback in the doc (bench.report
records the exit code), and a moved helper module once broke the bake bench unnoticed."""

from __future__ import annotations

import subprocess
import sys

from repo import REPO_ROOT


def test_performance_doc_has_no_failed_benchmark() -> None:
    text = (REPO_ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "exit code" not in text, "a benchmark failed when docs/performance.md was written: fix it and rerun"


def test_bake_bench_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.bake_speed", "--frames", "200", "--repeats", "1"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "bake 200 frames" in out.stdout
