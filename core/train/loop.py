"""Training loop and CLI for the 2D-to-3D lifters (attention-TCN and the VideoPose3D baseline).

    python -m core.train --config configs/attention_offline.toml --out runs/attention_offline
    python -m core.train --resume runs/attention_offline/last.pt            # continue an interrupted run
    kill -TERM <pid>     # (or Ctrl-C) stop after the current step: last.pt holds that step, --resume continues there
    torchrun --nproc_per_node 2 -m core.train --config ... --out ...       # data-parallel (DDP), any backend

Paper settings (Liu et al. 2020 §5.1): Ranger (RAdam + Lookahead), lr 1e-3 cosine-annealed per epoch, batch 1024,
MPJPE loss on root-relative camera-space 3D, flip augmentation, BatchNorm momentum decay as VideoPose3D.

Reproducibility: every batch is drawn from a numpy generator seeded with (seed, epoch, step, rank) and the torch RNG
(dropout) is re-seeded from the same tuple before each step, so a run resumed at any step replays exactly the batches
and dropout masks of an uninterrupted one, whatever happened before. Ranks draw disjoint random streams
(DistributedSampler-like sharding of a randomly sampled epoch); the global batch is split evenly across ranks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from ..data.dataset import TrainingData, build_training_data
from ..metrics import mpjpe
from ..models import build_model, save_checkpoint
from .config import TrainConfig
from .init_weights import REPO_ROOT, load_init_weights
from .lookahead import ranger
from .prefetch import BatchQueue
from .run_log import RunLog, weights_digest
from .schedules import bn_momentum, cosine_lr, set_bn_momentum, set_lr
from .state import TrainPosition, load_training_checkpoint, restore_rng, save_training_checkpoint
from .validation import validate


@dataclass
class TrainResult:
    """What one invocation of :func:`train` did (losses of the steps run in *this* invocation)."""

    losses: list[float] = field(default_factory=list)
    epochs_done: int = 0
    finished: bool = False
    stopped_by: str = ""  # "", "max_minutes", "max_steps" or "signal"
    checkpoint: Path | None = None
    model_file: Path | None = None
    validation: dict[str, float] = field(default_factory=dict)


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def _init_distributed(device_kind: str) -> _Dist:
    """Joins the process group when launched by torchrun (WORLD_SIZE > 1); NCCL on CUDA, gloo on CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")
    return _Dist(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def _device(kind: str, d: _Dist) -> torch.device:
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "cpu"
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("run.device = 'cuda' but no CUDA device is available")
        return torch.device("cuda", d.local_rank)
    return torch.device("cpu")


def train(
    config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: str | Path | None = None,
    data: TrainingData | None = None,
    max_steps: int | None = None,
    command: str = "",
) -> TrainResult:
    """Trains ``config`` into ``out_dir`` (``last.pt`` training checkpoint, ``model.pt``, ``log.jsonl``).

    ``data`` overrides the CMU data built from ``config.data`` (tests use synthetic motions); ``max_steps`` stops
    this invocation after that many optimiser steps (a checkpoint is written, so the run can be resumed).
    """
    with _stop_on_signals():
        run = _Run(config, Path(out_dir), resume, data, max_steps, command)
        epoch = run.position.epoch
        while epoch < config.optim.epochs and not run.stop:
            step = run.train_epoch(epoch)
            epoch = run.close_epoch(epoch, step)
        return run.finish(epoch)


_SIGNALLED = threading.Event()  # SIGTERM or SIGINT arrived: stop after the current step


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT (Ctrl-C) stop the run cleanly after the current step, checkpoint included, instead of
    losing the epoch in progress (a session ending, a machine wanted back); a second one ends the process at once.
    Only in the main thread, where Python delivers signals."""
    _SIGNALLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = (signal.SIGTERM, signal.SIGINT)
    before = {s: signal.getsignal(s) for s in names}

    def stop(signum: int, frame: Any) -> None:
        _SIGNALLED.set()
        for s in names:  # the next one is not polite
            signal.signal(s, signal.SIG_DFL if s == signal.SIGTERM else signal.default_int_handler)

    for s in names:
        signal.signal(s, stop)
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


class _Run:
    """One invocation of :func:`train`: set-up in ``__init__``, then epochs, then ``finish``."""

    def __init__(self, config: TrainConfig, out_dir: Path, resume: str | Path | None, data: TrainingData | None,
                 max_steps: int | None, command: str) -> None:  # fmt: skip
        self.config, self.out_dir, self.max_steps, self.command = config, out_dir, max_steps, command
        if config.run.threads > 0:
            torch.set_num_threads(config.run.threads)
        self.ddist = _init_distributed("cuda" if _device(config.run.device, _Dist()).type == "cuda" else "cpu")
        self.device = _device(config.run.device, self.ddist)
        opt = config.optim
        if opt.batch_size % self.ddist.world:
            raise ValueError(f"optim.batch_size {opt.batch_size} is not divisible by the {self.ddist.world} ranks")
        self.local_batch = opt.batch_size // self.ddist.world
        torch.manual_seed(config.run.seed)  # identical initial weights on every rank
        m = build_model(config.model)
        self.data = data or build_training_data(config.data, m.receptive_field, m.causal_shift, REPO_ROOT,
                                                seed=config.run.seed, joints=config.model.joints)  # fmt: skip
        self.steps_per_epoch = math.ceil(config.data.samples_per_epoch / opt.batch_size)
        # built (and its worker processes forked) before the model reaches a GPU: the workers never touch CUDA
        self.batches = BatchQueue(self.data, config.run.seed, self.ddist.rank, self.local_batch,
                                  config.run.data_workers, self.steps_per_epoch, opt.epochs)  # fmt: skip
        self.model = m.to(self.device)
        self.init: dict[str, Any] = {}  # where the weights started ([optim] init_from), kept across resumes
        if opt.init_from and resume is None:  # before the optimiser: Lookahead's slow weights copy the start
            self.init = load_init_weights(self.model, config.model, opt.init_from, REPO_ROOT)
        self.optimizer = ranger(m.parameters(), lr=opt.lr, betas=opt.betas, eps=opt.eps, alpha=opt.lookahead_alpha,
                                k=opt.lookahead_k, weight_decay=opt.weight_decay)  # fmt: skip
        self.position, self.elapsed_before = TrainPosition(0, 0), 0.0
        self.commands = [command]  # every invocation of this run, the first one starting it
        if resume is not None:
            payload = load_training_checkpoint(resume)
            before = payload.get("extra", {})
            self.commands = list(before.get("commands", [before.get("command", "")])) + [command]
            self.init = dict(before.get("init", {}))
            self.model.load_state_dict(payload["model"])
            self.optimizer.load_state_dict(payload["optimizer"])
            restore_rng(payload)
            self.position = TrainPosition(payload["epoch"], payload["step"])
            self.elapsed_before = payload["elapsed_s"]
        self.net: torch.nn.Module = self.model
        if self.ddist.world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        done = self.position.epoch * self.steps_per_epoch + self.position.step
        self.log = RunLog(out_dir, self.ddist.main, self.steps_per_epoch * opt.epochs, done, config.to_dict())
        self.log.record("start", rank_count=self.ddist.world, device=str(self.device), command=command,
                        epoch=self.position.epoch, step=self.position.step, train_motions=self.data.train.num_motions,
                        train_frames=self.data.train.num_frames,
                        params=sum(p.numel() for p in self.model.parameters()), **self.init)  # fmt: skip
        self.result = TrainResult()
        self.t_start = time.monotonic()
        self.steps_this_call = 0
        self.stop = ""
        self.lr = self.speed = 0.0

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.t_start

    def train_epoch(self, epoch: int) -> int:
        """Runs the epoch's remaining steps (all, or until a budget stops the run); returns the step reached."""
        cfg, opt = self.config, self.config.optim
        self.lr = cosine_lr(epoch, opt.epochs, opt.lr, opt.lr_end)
        set_lr(self.optimizer, self.lr)
        set_bn_momentum(self.model, bn_momentum(epoch, opt.epochs, opt.bn_momentum_start, opt.bn_momentum_end))
        self.net.train()
        step = self.position.step if epoch == self.position.epoch else 0
        t_epoch, samples_epoch = time.monotonic(), 0
        # The next batches are drawn in the background while the model works on this one (core.train.prefetch);
        # each batch depends only on its own seed, so this changes nothing.
        while step < self.steps_per_epoch:
            seed, x, y = self.batches.get(epoch, step)
            x_t, y_t = torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)
            torch.manual_seed(seed)
            pred = self.net(x_t)  # (B, K, J, 3): the K target frames of each window
            loss = mpjpe(pred, y_t)  # MPJPE loss (Liu et al. 2020 §5.1), metres, over all targets
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            loss_value = float(loss.detach())
            self.result.losses.append(loss_value)
            step += 1
            self.steps_this_call += 1
            samples_epoch += self.local_batch * self.ddist.world * y.shape[1]  # target frames, not windows
            self.speed = samples_epoch / max(time.monotonic() - t_epoch, 1e-9)
            self.log.step(opt.epochs, epoch, loss_value * 1000, self.lr, self.speed)
            if step % cfg.run.log_every == 0 or step == self.steps_per_epoch:
                self.log.record("step", epoch=epoch, step=step, loss_mm=loss_value * 1000, lr=self.lr,
                                samples_per_s=self.speed, elapsed_s=self.elapsed())  # fmt: skip
            self.stop = _should_stop(cfg, self.t_start, self.steps_this_call, self.max_steps, self.device)
            if self.stop:
                break
        return step

    def close_epoch(self, epoch: int, step: int) -> int:
        """Validation (rank 0, whole epochs) and the resumable checkpoint; returns the next epoch to run."""
        epoch_done = step >= self.steps_per_epoch
        next_position = TrainPosition(epoch + 1, 0) if epoch_done else TrainPosition(epoch, step)
        if epoch_done and self.ddist.main:
            self.result.validation = validate(self.model, self.data.val, tta=self.config.run.flip_tta,
                                              device=self.device)  # fmt: skip
            self.result.epochs_done = epoch + 1
            self.log.record("epoch", epoch=epoch, lr=self.lr, samples_per_s=self.speed, elapsed_s=self.elapsed(),
                            **self.result.validation)  # fmt: skip
            self.log.write(f"epoch {epoch + 1}/{self.config.optim.epochs}: lr {self.lr:.2e}, {self.speed:.0f} "
                           "samples/s, " + ", ".join(f"{k} {v:.1f}" for k, v in self.result.validation.items()))
        if self.ddist.main:
            self.result.checkpoint = self.out_dir / "last.pt"
            save_training_checkpoint(self.result.checkpoint, config=self.config.to_dict(),
                                     model_state=self.model.state_dict(), optimizer_state=self.optimizer.state_dict(),
                                     position=next_position, elapsed_s=self.elapsed(),
                                     extra={"command": self.command, "commands": self.commands,
                                            "init": self.init})  # fmt: skip
        if self.ddist.world > 1:
            dist.barrier()
        return next_position.epoch

    def finish(self, epoch: int) -> TrainResult:
        """``model.pt``, the end record and this rank's receipt."""
        self.batches.close()
        result = self.result
        result.stopped_by, result.finished, result.epochs_done = self.stop, epoch >= self.config.optim.epochs, epoch
        wall = self.elapsed()
        if self.ddist.main:
            result.model_file = self.out_dir / "model.pt"
            extra = _model_extra(self.config, self.commands, epoch, wall, result, self.data) | self.init
            save_checkpoint(result.model_file, self.model, extra=extra)
            self.log.record("end", finished=result.finished, stopped_by=self.stop, epochs_done=epoch, wall_s=wall,
                            **result.validation)  # fmt: skip
        self.log.close()
        self.log.receipt(self.ddist.rank, world=self.ddist.world, steps=self.steps_this_call,
                         local_batch=self.local_batch, last_loss=result.losses[-1] if result.losses else None,
                         weights_sha256=weights_digest(self.model))  # fmt: skip
        if self.ddist.world > 1:
            dist.barrier()
        return result


def _should_stop(config: TrainConfig, t_start: float, steps: int, max_steps: int | None, device: torch.device) -> str:
    """Same decision on every rank: rank 0's clock is broadcast so no rank waits forever in an all-reduce."""
    reason = 0
    if _SIGNALLED.is_set():
        reason = 3
    elif max_steps is not None and steps >= max_steps:
        reason = 2
    elif config.run.max_minutes > 0 and time.monotonic() - t_start >= config.run.max_minutes * 60:
        reason = 1
    if dist.is_initialized() and dist.get_world_size() > 1:
        flag = torch.tensor([reason], device=device)
        dist.broadcast(flag, src=0)
        reason = int(flag.item())
    return {0: "", 1: "max_minutes", 2: "max_steps", 3: "signal"}[reason]


def _model_extra(
    config: TrainConfig, commands: list[str], epochs: int, wall: float, result: TrainResult, data: TrainingData
) -> dict[str, Any]:
    return {
        "train_config": config.to_dict(),
        "command": commands[0],  # the one that started the run
        "commands": commands,  # with every resume after it
        "epochs_done": epochs,
        "finished": result.finished,
        "stopped_by": result.stopped_by,
        "wall_time_s": round(wall, 1),
        "train_motions": data.train.num_motions,
        "train_frames_50fps": data.train.num_frames,
        "val_subjects": list(config.data.val_subjects),
        "validation_windows_mm": dict(result.validation),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="experiment TOML (configs/*.toml)")
    parser.add_argument("--resume", type=Path, help="training checkpoint (last.pt) to continue from")
    parser.add_argument("--out", type=Path, help="run folder (default runs/<config name>)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop this invocation after N steps")
    parser.add_argument("--data-pack", type=Path, help="training data packed by core.train.data_pack (no ../shared)")
    args = parser.parse_args(argv)
    if args.config is None and args.resume is None:
        parser.error("give --config, --resume, or both")
    if args.resume is not None:
        stored = TrainConfig.from_dict(load_training_checkpoint(args.resume)["config"], source=str(args.resume))
        config = stored
        if args.config is not None:
            config = TrainConfig.from_toml(args.config)
            for section in ("model", "data", "optim"):
                if config.to_dict()[section] != stored.to_dict()[section]:
                    parser.error(f"--config [{section}] differs from the checkpoint's; only [run] may change on resume")
        out = args.out or args.resume.parent
    else:
        config = TrainConfig.from_toml(args.config)
        out = args.out or Path("runs") / args.config.stem
    command = "python -m core.train " + " ".join(argv if argv is not None else sys.argv[1:])
    data = None
    if args.data_pack is not None:
        from .data_pack import read_pack

        data = read_pack(args.data_pack, config)
    result = train(config, out, resume=args.resume, data=data, max_steps=args.max_steps, command=command)
    if dist.is_initialized():
        dist.destroy_process_group()
    if int(os.environ.get("RANK", "0")) == 0:
        print(
            json.dumps(
                {
                    "finished": result.finished,
                    "stopped_by": result.stopped_by,
                    "epochs_done": result.epochs_done,
                    "model": str(result.model_file),
                    **result.validation,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
