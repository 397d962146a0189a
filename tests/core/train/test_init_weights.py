"""``[optim] init_from``: a run that starts from a finished model's weights (core.train.init_weights)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_train import tiny_config, tiny_data

from core.eval.report import model_card
from core.models import build_model, read_checkpoint, save_checkpoint
from core.train.init_weights import InitWeightsError, load_init_weights
from core.train.loop import train


def test_load_init_weights_copies_the_file_and_says_where_they_came_from(tmp_path: Path) -> None:
    cfg = tiny_config()
    torch.manual_seed(1)
    source = build_model(cfg.model)
    sha = save_checkpoint(tmp_path / "model.pt", source, extra={"epochs_done": 7, "command": "train it"})
    torch.manual_seed(2)
    target = build_model(cfg.model)
    assert not torch.equal(next(target.parameters()), next(source.parameters()))
    record = load_init_weights(target, cfg.model, tmp_path / "model.pt")
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert record == {"init_from": str(tmp_path / "model.pt"), "init_sha256": sha,
                      "init_extra": {"epochs_done": 7, "command": "train it"}}  # fmt: skip


def test_another_architecture_or_no_file_is_refused(tmp_path: Path) -> None:
    cfg = tiny_config()
    wider = tiny_config(model={"channels": cfg.model.channels * 2})
    save_checkpoint(tmp_path / "wide.pt", build_model(wider.model))
    model = build_model(cfg.model)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(InitWeightsError, match=r"different model \(\[model\] channels differ\)"):
        load_init_weights(model, cfg.model, tmp_path / "wide.pt")
    with pytest.raises(InitWeightsError, match="not found"):
        load_init_weights(model, cfg.model, tmp_path / "missing.pt")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))  # untouched


def test_a_run_starts_from_the_file_and_its_model_records_it_across_a_resume(tmp_path: Path) -> None:
    first_cfg = tiny_config(optim={"epochs": 1}, data={"samples_per_epoch": 64 * 2})
    first = train(first_cfg, tmp_path / "first", data=tiny_data(first_cfg))
    start = read_checkpoint(first.model_file)
    # a second schedule at a vanishing learning rate: its weights stay those of the first run's model, through
    # Lookahead's pulls towards its slow weights (every 6 steps) too
    cfg = tiny_config(optim={"epochs": 1, "lr": 1e-12, "lr_end": 1e-12, "init_from": str(first.model_file)},
                      data={"samples_per_epoch": 64 * 8})  # fmt: skip
    assert cfg.optim.lookahead_k < 8
    part = train(cfg, tmp_path / "second", data=tiny_data(cfg), max_steps=3)
    assert part.stopped_by == "max_steps"
    rest = train(cfg, tmp_path / "second", data=tiny_data(cfg), resume=tmp_path / "second" / "last.pt")
    assert rest.finished
    second = read_checkpoint(rest.model_file)
    assert second["extra"]["init_sha256"] == start["sha256"]
    assert second["extra"]["init_extra"] == start["extra"]
    for name, p in start["state_dict"].items():
        if p.is_floating_point() and "running" not in name:  # BatchNorm statistics move with any batch
            torch.testing.assert_close(second["state_dict"][name], p, atol=1e-6, rtol=0, msg=name)


def test_the_model_card_counts_the_schedule_it_started_from(tmp_path: Path) -> None:
    cfg = tiny_config()
    data = {"samples_per_epoch": 100, "targets_per_window": 2}
    first = {"command": "train first", "epochs_done": 3, "wall_time_s": 30.0, "train_config": {"data": data}}
    second = {"command": "train again", "epochs_done": 1, "wall_time_s": 12.0, "train_config": {"data": data},
              "init_from": "checkpoints/first/model.pt", "init_sha256": "abc", "init_extra": first}  # fmt: skip
    save_checkpoint(tmp_path / "model.pt", build_model(cfg.model), extra=second)
    report = {"model": {"config": {}, "causal_shift": 0}, "results": {"rig-clean": {"mean": {"mpjpe": 1.0,
              "p_mpjpe": 0.5, "n_mpjpe": 0.7}}}, "subjects": ["08"], "flip_tta": True}  # fmt: skip
    training = model_card(tmp_path / "model.pt", report)["training"]
    assert training["samples_seen"] == 800 and training["wall_time_s"] == 42.0  # (3 + 1) epochs × 100 × 2 targets
    assert training["mean_samples_per_s"] == round(800 / 42.0, 1)
    started = training["started_from"]
    assert (started["file"], started["weights_sha256"], started["command"]) == ("checkpoints/first/model.pt", "abc",
                                                                                "train first")  # fmt: skip
    assert (started["samples_seen"], started["this_schedule"]) == (600, {"samples_seen": 200, "wall_time_s": 12.0})
