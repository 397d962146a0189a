"""Training loop (core.train): config validation, loss decrease, exact resume, checkpoints, DDP on gloo."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from lifter_synth import synthetic_training_data
from repo import REPO_ROOT

from core.data.dataset import TrainingData
from core.models import load_model
from core.train.config import ConfigError, TrainConfig
from core.train.loop import train
from core.train.state import TrainCheckpointError, load_training_checkpoint

REPO = REPO_ROOT


def tiny_config(**changes: dict) -> TrainConfig:
    cfg = TrainConfig.from_toml(REPO / "configs" / "tiny_test.toml")
    for section, values in changes.items():
        setattr(cfg, section, dataclasses.replace(getattr(cfg, section), **values))
    return cfg


def tiny_data(cfg: TrainConfig) -> TrainingData:
    from core.models import build_model

    model = build_model(cfg.model)
    return synthetic_training_data(model.receptive_field, model.causal_shift)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "configs").glob("*.toml")))
def test_every_shipped_config_loads(name: str) -> None:
    cfg = TrainConfig.from_toml(REPO / "configs" / name)
    assert TrainConfig.from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()


def test_videopose_baseline_has_the_shipped_attention_recipe_and_budget() -> None:
    """The ratio in docs/accuracy.md compares architectures only: data, optimisation, seed, receptive field, channels
    and joints of configs/realvideo_videopose_offline.toml must be those of the shipped attention lifter's config."""
    attention = TrainConfig.from_toml(REPO / "configs" / "realvideo_offline.toml").to_dict()
    baseline = TrainConfig.from_toml(REPO / "configs" / "realvideo_videopose_offline.toml").to_dict()
    assert baseline["data"] == attention["data"] and baseline["optim"] == attention["optim"]
    assert baseline["run"]["seed"] == attention["run"]["seed"]
    assert baseline["model"]["arch"] == "videopose" and attention["model"]["arch"] == "attention"
    for key in ("filter_widths", "channels", "causal", "dropout", "joints"):
        assert baseline["model"][key] == attention["model"][key], key


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"model": {"arch": "attention"}, "optim": {"epoch": 3}}, r"unknown key\(s\) \['epoch'\]"),
        ({"model": {"arch": "attention"}, "trainer": {}}, r"unknown section"),
        ({"model": {"arch": "attention", "chanels": 8}}, r"chanels"),
        ({"model": {"arch": "attention"}, "optim": {"batch_size": "64"}}, r"optim.*batch_size must be int"),
        ({"model": {"arch": "attention"}, "data": {"flip_probability": 2.0}}, r"flip_probability"),
        ({"data": {}}, r"\[model\] section is required"),
        ({"model": {"arch": "attention"}, "run": {"data_workers": 0}}, r"data_workers"),
    ],
)
def test_config_rejects_bad_input(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(raw)


class FixedBatch:
    """Always the same batch, so the loss must go down if the optimiser works."""

    def __init__(self, data: TrainingData, batch: int) -> None:
        self.x, self.y = data.train.sample(np.random.default_rng(0), batch)
        self.num_motions, self.num_frames = data.train.num_motions, data.train.num_frames

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        return self.x[:batch], self.y[:batch]


def test_training_decreases_the_loss_on_a_fixed_batch(tmp_path: Path) -> None:
    cfg = tiny_config(optim={"epochs": 1, "lr": 1e-2}, data={"samples_per_epoch": 64 * 100})
    data = tiny_data(cfg)
    fixed = TrainingData(train=FixedBatch(data, 64), val=data.val)  # type: ignore[arg-type]
    result = train(cfg, tmp_path, data=fixed)
    assert len(result.losses) == 100 and result.finished
    assert np.mean(result.losses[-5:]) < 0.7 * np.mean(result.losses[:5])
    # the exported model loads through the model API with its checksum
    model = load_model(result.model_file)
    assert model.receptive_field == data.train.offsets.size


def test_resume_continues_exactly(tmp_path: Path) -> None:
    cfg = tiny_config(optim={"epochs": 2}, data={"samples_per_epoch": 64 * 3})
    full = train(cfg, tmp_path / "full", data=tiny_data(cfg))
    assert len(full.losses) == 6 and full.finished
    first = train(cfg, tmp_path / "split", data=tiny_data(cfg), max_steps=4)  # stops inside epoch 2
    assert first.stopped_by == "max_steps" and not first.finished
    payload = load_training_checkpoint(tmp_path / "split" / "last.pt")
    assert (payload["epoch"], payload["step"]) == (1, 1)
    rest = train(cfg, tmp_path / "split", data=tiny_data(cfg), resume=tmp_path / "split" / "last.pt")
    assert rest.finished
    assert first.losses + rest.losses == full.losses  # bit-identical continuation


def test_a_signal_stops_the_run_after_its_step_and_resume_continues_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    import core.train.loop as loop

    cfg = tiny_config(optim={"epochs": 2}, data={"samples_per_epoch": 64 * 3})
    full = train(cfg, tmp_path / "full", data=tiny_data(cfg))
    real, calls = loop.mpjpe, []

    def loss_then_terminate(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        if len(calls) == 2:  # during the second step, as `kill -TERM` from a shell would
            os.kill(os.getpid(), signal.SIGTERM)
        return real(pred, target)

    handler = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(loop, "mpjpe", loss_then_terminate)
    first = train(cfg, tmp_path / "split", data=tiny_data(cfg))
    assert first.stopped_by == "signal" and len(first.losses) == 2 and not first.finished
    assert signal.getsignal(signal.SIGTERM) is handler  # the process's own handling is back
    payload = load_training_checkpoint(tmp_path / "split" / "last.pt")
    assert (payload["epoch"], payload["step"]) == (0, 2)  # the step it was in, not the epoch's start
    monkeypatch.setattr(loop, "mpjpe", real)
    rest = train(cfg, tmp_path / "split", data=tiny_data(cfg), resume=tmp_path / "split" / "last.pt")
    assert rest.finished and first.losses + rest.losses == full.losses


def test_worker_processes_draw_the_same_batches_in_the_same_order(tmp_path: Path) -> None:
    # 3 epochs of 3 steps: the queue runs ahead across epoch ends, and a budget stop leaves drawn batches unused
    cfg = tiny_config(optim={"epochs": 3}, data={"samples_per_epoch": 64 * 3})
    threaded = train(cfg, tmp_path / "thread", data=tiny_data(cfg))
    forked = tiny_config(optim={"epochs": 3}, data={"samples_per_epoch": 64 * 3}, run={"data_workers": 3})
    first = train(forked, tmp_path / "fork", data=tiny_data(forked), max_steps=4)
    rest = train(forked, tmp_path / "fork", data=tiny_data(forked), resume=tmp_path / "fork" / "last.pt")
    assert len(threaded.losses) == 9 and rest.finished
    assert first.losses + rest.losses == threaded.losses


def test_wall_clock_budget_stops_the_run(tmp_path: Path) -> None:
    cfg = tiny_config(run={"max_minutes": 1e-9})
    result = train(cfg, tmp_path, data=tiny_data(cfg))
    assert result.stopped_by == "max_minutes" and len(result.losses) == 1 and not result.finished
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert records[0]["event"] == "start" and records[-1]["event"] == "end"
    assert records[-1]["stopped_by"] == "max_minutes"


def test_checkpoint_is_weights_only_and_checksummed(tmp_path: Path) -> None:
    cfg = tiny_config(data={"samples_per_epoch": 64})
    train(cfg, tmp_path, data=tiny_data(cfg), max_steps=1)
    path = tmp_path / "last.pt"
    payload = torch.load(path, weights_only=True)
    assert {"config", "model", "optimizer", "epoch", "step", "rng", "sha256"} <= set(payload)
    assert TrainConfig.from_dict(payload["config"]).to_dict() == cfg.to_dict()
    key = next(iter(payload["model"]))
    payload["model"][key] = payload["model"][key] + 1
    torch.save(payload, path)
    with pytest.raises(TrainCheckpointError, match="sha256"):
        load_training_checkpoint(path)


def test_torchrun_ddp_two_gloo_ranks(tmp_path: Path, shared_dir: Path) -> None:
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "core.train",
        "--config",
        str(REPO / "configs" / "tiny_test.toml"),
        "--out",
        str(out),
    ]
    cfg = tiny_config()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    receipts = [json.loads((out / "ranks" / f"rank{r}.json").read_text()) for r in (0, 1)]
    steps = cfg.optim.epochs * -(-cfg.data.samples_per_epoch // cfg.optim.batch_size)
    for rank, receipt in enumerate(receipts):
        assert receipt == receipt | {"rank": rank, "world": 2, "steps": steps, "local_batch": cfg.optim.batch_size // 2}
    assert receipts[0]["last_loss"] != receipts[1]["last_loss"]  # the ranks saw different shards
    # ...and yet end with bit-identical weights: DDP averaged their gradients at every step.
    assert receipts[0]["weights_sha256"] == receipts[1]["weights_sha256"]
    payload = load_training_checkpoint(out / "last.pt")
    assert payload["epoch"] == cfg.optim.epochs
    assert load_model(out / "model.pt").receptive_field == 9
