"""core.train.unseeable: the steps it lists are the steps whose plain draw holds a window the sampler draws again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from repo import REPO_ROOT

import core.data.dataset as dataset
from core.models import build_model
from core.train.config import TrainConfig
from core.train.prefetch import step_seed
from core.train.unseeable import main, unseeable_steps


def test_lists_the_steps_whose_batch_holds_unseeable_windows(
    tmp_path: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = TrainConfig.from_toml(REPO_ROOT / "configs" / "tiny_test.toml")
    (tmp_path / "config.json").write_text(json.dumps(cfg.to_dict()))
    # a bound inside the frame makes many windows "unseeable": the wiring (seeds, epochs, steps) is what is tested
    monkeypatch.setattr(dataset, "MAX_ABS_2D", 0.3)
    found = unseeable_steps(tmp_path, [1])
    model = build_model(cfg.model)
    data = dataset.build_training_data(cfg.data, model.receptive_field, model.causal_shift, REPO_ROOT,
                                       seed=cfg.run.seed, joints=cfg.model.joints)  # fmt: skip
    expected = []
    for step in range(cfg.data.samples_per_epoch // cfg.optim.batch_size):
        x, _, seen = data.train.plain_draw(np.random.default_rng(step_seed(cfg.run.seed, 1, step, 0)), 64)
        if not seen.all():
            expected.append((1, step, int((~seen).sum()), float(np.abs(x).max())))
    assert expected and found == expected
    assert main([str(tmp_path), "--epochs", "1"]) == 0
    assert f"{len(expected)} step(s) of 1 epoch(s)" in capsys.readouterr().out
