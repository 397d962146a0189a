"""core.capture_file.new_capture_path: every take gets its own file, even two in the same second."""

from __future__ import annotations

from pathlib import Path

from core.capture_file import new_capture_path


def test_two_takes_in_the_same_second_get_different_files(tmp_path: Path) -> None:
    names = {new_capture_path(tmp_path, "clip é") for _ in range(200)}
    assert len(names) == 200
    one = next(iter(names))
    assert one.parent == tmp_path and one.suffix == ".npz" and one.name.startswith("clip é_")
