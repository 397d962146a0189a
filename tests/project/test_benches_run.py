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


def test_train_speed_variants_keep_the_target_frames_per_step(tmp_path) -> None:  # noqa: ANN001
    import tomllib

    from bench.train_speed import TARGETS_PER_STEP, seconds_per_step, variant_config

    text = (REPO_ROOT / "configs" / "realvideo243_videopose_offline.toml").read_text(encoding="utf-8")
    config = tomllib.loads(variant_config(text, 512, 32))
    assert config["model"]["channels"] == 512 and config["data"]["targets_per_window"] == 32
    assert config["optim"]["batch_size"] * 32 == TARGETS_PER_STEP and config["run"]["max_minutes"] == 0
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(['{"event": "start", "step": 0}', '{"event": "step", "step": 5, "elapsed_s": 9.0}',
                              '{"event": "step", "step": 10, "elapsed_s": 10.0}',
                              '{"event": "step", "step": 15, "elapsed_s": 12.0}',
                              '{"event": "step", "step": 20, "elapsed_s": 13.5}']))  # fmt: skip
    assert seconds_per_step(log) == [0.4, 0.3]  # the first 10 steps (data loading, warm-up) left out
