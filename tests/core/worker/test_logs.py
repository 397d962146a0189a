"""core.worker.logs: a new worker log per start, the oldest deleted beyond KEEP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.worker.logs import new_log_path

NOON = time.mktime((2026, 12, 6, 12, 0, 0, 0, 0, -1))


def _touch(folder: Path, names: list[str]) -> None:
    for name in names:
        (folder / name).write_text("log\n")


def test_named_by_the_time_and_never_overwriting(tmp_path: Path) -> None:
    first = new_log_path(tmp_path, NOON)
    assert first == tmp_path / "worker_20261206_120000.log"
    first.write_text("a")
    second = new_log_path(tmp_path, NOON)  # a second worker in the same second
    assert second == tmp_path / "worker_20261206_120000_2.log"


def test_only_the_newest_are_kept(tmp_path: Path) -> None:
    _touch(tmp_path, [f"worker_20261206_1100{s:02d}.log" for s in range(5)] + ["notes.txt", "worker.txt"])
    new = new_log_path(tmp_path, NOON, keep=3)
    new.write_text("b")
    left = sorted(p.name for p in tmp_path.iterdir())
    # the two newest old logs and the new one; other files untouched
    assert left == ["notes.txt", "worker.txt", "worker_20261206_110003.log", "worker_20261206_110004.log",
                    "worker_20261206_120000.log"]  # fmt: skip


def test_keep_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        new_log_path(tmp_path, NOON, keep=0)
