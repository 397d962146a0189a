"""A run's progress table (core.train.progress) from a hand-written log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.train.progress import main, progress_table, read_progress


def write_run(folder: Path) -> Path:
    folder.mkdir()
    config = {"data": {"samples_per_epoch": 100, "targets_per_window": 4}, "optim": {"epochs": 10},
              "run": {"threads": 2}}  # fmt: skip
    (folder / "config.json").write_text(json.dumps(config))
    records = [{"event": "start", "epoch": 0}]
    for epoch, (hours, clean) in enumerate([(0.5, 120.0), (1.0, 100.0), (1.5, 104.0)]):
        records.append({"event": "step", "epoch": epoch, "loss_mm": 1.0})
        records.append({"event": "epoch", "epoch": epoch, "lr": 1e-3, "elapsed_s": hours * 3600,
                        "val_mpjpe_clean_mm": clean, "val_mpjpe_noisy_mm": clean + 10})  # fmt: skip
    # a run stopped inside epoch 2 and resumed re-does it: the last record of an epoch counts
    records.append({"event": "epoch", "epoch": 2, "lr": 9e-4, "elapsed_s": 1.75 * 3600,
                    "val_mpjpe_clean_mm": 99.0, "val_mpjpe_noisy_mm": 111.0})  # fmt: skip
    (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def test_records_count_target_frames_and_keep_the_last_record_of_an_epoch(tmp_path: Path) -> None:
    records, config = read_progress(write_run(tmp_path / "run"))
    assert [r.epochs_done for r in records] == [1, 2, 3]
    assert [r.target_frames for r in records] == [400, 800, 1200]  # 100 windows x 4 targets per epoch
    assert records[-1].hours == pytest.approx(1.75) and records[-1].val_clean_mm == 99.0
    table = progress_table(records, config, every=2).splitlines()
    assert table[0] == "3 of 10 epochs, 0.00 M of 0.00 M target frames, 1.8 h of training (threads: 2)"
    assert [line.split(" |")[0] for line in table[4:]] == ["| 2", "| 3 (best clean)"]  # every 2nd, best, last


def test_the_command_prints_the_table_or_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(write_run(tmp_path / "run")), "--every", "1"]) == 0
    assert "| 1 | 0.00 | 0.50 | 1.00e-03 | 120.0 | 130.0 |" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read the run in")
