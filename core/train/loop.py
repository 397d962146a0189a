"""Training loop and CLI for the 2D-to-3D lifters (attention-TCN and the VideoPose3D baseline).

    python -m core.train --config configs/attention_offline.toml --out runs/attention_offline
    python -m core.train --resume runs/attention_offline/last.pt            # continue an interrupted run
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
import hashlib
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from ..data.dataset import TrainingData, build_training_data
from ..metrics import mpjpe
from ..models import build_model, save_checkpoint
from .config import TrainConfig
from .lookahead import ranger
from .schedules import bn_momentum, cosine_lr, set_bn_momentum, set_lr
from .state import TrainPosition, load_training_checkpoint, restore_rng, save_training_checkpoint
from .validation import validate

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TrainResult:
    """What one invocation of :func:`train` did (losses of the steps run in *this* invocation)."""

    losses: list[float] = field(default_factory=list)
    epochs_done: int = 0
    finished: bool = False
    stopped_by: str = ""  # "", "max_minutes" or "max_steps"
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


def _step_seed(*parts: int) -> int:
    """A 63-bit seed derived from (seed, epoch, step, rank) through numpy's SeedSequence (well mixed)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(2, np.uint32).astype(np.uint64).dot([1 << 31, 1]))


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
    out_dir = Path(out_dir)
    if config.run.threads > 0:
        torch.set_num_threads(config.run.threads)
    ddist = _init_distributed("cuda" if _device(config.run.device, _Dist()).type == "cuda" else "cpu")
    device = _device(config.run.device, ddist)
    opt_cfg = config.optim
    if opt_cfg.batch_size % ddist.world:
        raise ValueError(f"optim.batch_size {opt_cfg.batch_size} is not divisible by the {ddist.world} ranks")
    local_batch = opt_cfg.batch_size // ddist.world

    torch.manual_seed(config.run.seed)  # identical initial weights on every rank
    model = build_model(config.model).to(device)
    if data is None:
        data = build_training_data(
            config.data, model.receptive_field, model.causal_shift, REPO_ROOT, seed=config.run.seed,
            joints=config.model.joints,
        )
    optimizer = ranger(
        model.parameters(),
        lr=opt_cfg.lr,
        betas=opt_cfg.betas,
        eps=opt_cfg.eps,
        alpha=opt_cfg.lookahead_alpha,
        k=opt_cfg.lookahead_k,
        weight_decay=opt_cfg.weight_decay,
    )
    position, elapsed_before = TrainPosition(0, 0), 0.0
    if resume is not None:
        payload = load_training_checkpoint(resume)
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        restore_rng(payload)
        position, elapsed_before = TrainPosition(payload["epoch"], payload["step"]), payload["elapsed_s"]
    net: torch.nn.Module = model
    if ddist.world > 1:
        ids = [device.index] if device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    steps_per_epoch = math.ceil(config.data.samples_per_epoch / opt_cfg.batch_size)
    total_steps = steps_per_epoch * opt_cfg.epochs
    result = TrainResult()
    log_file = None
    if ddist.main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
        log_file = (out_dir / "log.jsonl").open("a")
        _log(
            log_file,
            {
                "event": "start",
                "rank_count": ddist.world,
                "device": str(device),
                "command": command,
                "epoch": position.epoch,
                "step": position.step,
                "train_motions": data.train.num_motions,
                "train_frames": data.train.num_frames,
                "params": sum(p.numel() for p in model.parameters()),
            },
        )
    bar = tqdm(
        total=total_steps,
        initial=position.epoch * steps_per_epoch + position.step,
        disable=not ddist.main,
        unit="step",
        dynamic_ncols=True,
        mininterval=1.0 if sys.stderr.isatty() else 30.0,
    )
    prefetch = ThreadPoolExecutor(max_workers=1)
    t_start = time.monotonic()
    steps_this_call = 0
    stop = ""
    epoch = position.epoch
    while epoch < opt_cfg.epochs and not stop:
        lr = cosine_lr(epoch, opt_cfg.epochs, opt_cfg.lr, opt_cfg.lr_end)
        set_lr(optimizer, lr)
        set_bn_momentum(model, bn_momentum(epoch, opt_cfg.epochs, opt_cfg.bn_momentum_start, opt_cfg.bn_momentum_end))
        net.train()
        step = position.step if epoch == position.epoch else 0
        t_epoch, samples_epoch = time.monotonic(), 0
        # The next batch is drawn in a background thread while the model works on this one (numpy and torch
        # release the GIL in their kernels); each batch depends only on its own seed, so this changes nothing.
        pending = prefetch.submit(_draw, data, config.run.seed, epoch, step, ddist.rank, local_batch)
        while step < steps_per_epoch:
            seed, x, y = pending.result()
            if step + 1 < steps_per_epoch:
                pending = prefetch.submit(_draw, data, config.run.seed, epoch, step + 1, ddist.rank, local_batch)
            x_t, y_t = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
            torch.manual_seed(seed)
            pred = net(x_t)  # (B, K, J, 3): the K target frames of each window
            loss = mpjpe(pred, y_t)  # MPJPE loss (Liu et al. 2020 §5.1), metres, over all targets
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
            result.losses.append(loss_value)
            step += 1
            steps_this_call += 1
            samples_epoch += local_batch * ddist.world * y.shape[1]  # target frames, not windows
            speed = samples_epoch / max(time.monotonic() - t_epoch, 1e-9)
            bar.update(1)
            bar.set_postfix(
                epoch=f"{epoch + 1}/{opt_cfg.epochs}",
                loss=f"{loss_value * 1000:.1f}mm",
                lr=f"{lr:.2e}",
                sps=f"{speed:.0f}",
                refresh=False,
            )
            if log_file is not None and (step % config.run.log_every == 0 or step == steps_per_epoch):
                _log(
                    log_file,
                    {
                        "event": "step",
                        "epoch": epoch,
                        "step": step,
                        "loss_mm": loss_value * 1000,
                        "lr": lr,
                        "samples_per_s": speed,
                        "elapsed_s": elapsed_before + time.monotonic() - t_start,
                    },
                )
            stop = _should_stop(config, t_start, steps_this_call, max_steps, device)
            if stop:
                pending.cancel()
                break
        epoch_done = step >= steps_per_epoch
        next_position = TrainPosition(epoch + 1, 0) if epoch_done else TrainPosition(epoch, step)
        if epoch_done and ddist.main:
            result.validation = validate(model, data.val, tta=config.run.flip_tta, device=device)
            result.epochs_done = epoch + 1
            _log(
                log_file,
                {
                    "event": "epoch",
                    "epoch": epoch,
                    "lr": lr,
                    "samples_per_s": speed,
                    "elapsed_s": elapsed_before + time.monotonic() - t_start,
                    **result.validation,
                },
            )
            bar.write(
                f"epoch {epoch + 1}/{opt_cfg.epochs}: lr {lr:.2e}, {speed:.0f} samples/s, "
                + ", ".join(f"{k} {v:.1f}" for k, v in result.validation.items())
            )
        if ddist.main:
            result.checkpoint = out_dir / "last.pt"
            save_training_checkpoint(
                result.checkpoint,
                config=config.to_dict(),
                model_state=model.state_dict(),
                optimizer_state=optimizer.state_dict(),
                position=next_position,
                elapsed_s=elapsed_before + time.monotonic() - t_start,
                extra={"command": command},
            )
        if ddist.world > 1:
            dist.barrier()
        epoch = next_position.epoch
    bar.close()
    prefetch.shutdown(wait=True, cancel_futures=True)
    result.stopped_by = stop
    result.finished = epoch >= opt_cfg.epochs
    result.epochs_done = epoch
    wall = elapsed_before + time.monotonic() - t_start
    if ddist.main:
        result.model_file = out_dir / "model.pt"
        save_checkpoint(result.model_file, model, extra=_model_extra(config, command, epoch, wall, result, data))
        _log(
            log_file,
            {
                "event": "end",
                "finished": result.finished,
                "stopped_by": stop,
                "epochs_done": epoch,
                "wall_s": wall,
                **result.validation,
            },
        )
        assert log_file is not None
        log_file.close()
    # Every rank leaves a receipt, so a launcher (and the DDP test) can check that all ranks really trained.
    receipt = out_dir / "ranks" / f"rank{ddist.rank}.json"
    receipt.parent.mkdir(parents=True, exist_ok=True)
    receipt.write_text(
        json.dumps(
            {
                "rank": ddist.rank,
                "world": ddist.world,
                "steps": steps_this_call,
                "local_batch": local_batch,
                "last_loss": result.losses[-1] if result.losses else None,
                "weights_sha256": _weights_digest(model),
            }
        )
    )
    if ddist.world > 1:
        dist.barrier()
    return result


def _weights_digest(model: torch.nn.Module) -> str:
    """sha256 of the trainable parameters: identical on every rank when DDP really averaged the gradients.

    Buffers are left out on purpose: BatchNorm running statistics are updated locally after the last broadcast.
    """
    digest = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        digest.update(name.encode())
        digest.update(p.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _draw(
    data: TrainingData, seed: int, epoch: int, step: int, rank: int, batch: int
) -> tuple[int, np.ndarray, np.ndarray]:
    """The batch of (epoch, step) on this rank: (its seed, x (B, n + K - 1, J, 2), y (B, K, J, 3))."""
    step_seed = _step_seed(seed, epoch, step, rank)
    x, y = data.train.sample(np.random.default_rng(step_seed), batch)
    return step_seed, x, y


def _should_stop(config: TrainConfig, t_start: float, steps: int, max_steps: int | None, device: torch.device) -> str:
    """Same decision on every rank: rank 0's clock is broadcast so no rank waits forever in an all-reduce."""
    reason = 0
    if max_steps is not None and steps >= max_steps:
        reason = 2
    elif config.run.max_minutes > 0 and time.monotonic() - t_start >= config.run.max_minutes * 60:
        reason = 1
    if dist.is_initialized() and dist.get_world_size() > 1:
        flag = torch.tensor([reason], device=device)
        dist.broadcast(flag, src=0)
        reason = int(flag.item())
    return {0: "", 1: "max_minutes", 2: "max_steps"}[reason]


def _model_extra(
    config: TrainConfig, command: str, epochs: int, wall: float, result: TrainResult, data: TrainingData
) -> dict[str, Any]:
    return {
        "train_config": config.to_dict(),
        "command": command,
        "epochs_done": epochs,
        "finished": result.finished,
        "stopped_by": result.stopped_by,
        "wall_time_s": round(wall, 1),
        "train_motions": data.train.num_motions,
        "train_frames_50fps": data.train.num_frames,
        "val_subjects": list(config.data.val_subjects),
        "validation_windows_mm": dict(result.validation),
    }


def _log(f: Any, record: dict[str, Any]) -> None:
    f.write(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **record}) + "\n")
    f.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="experiment TOML (configs/*.toml)")
    parser.add_argument("--resume", type=Path, help="training checkpoint (last.pt) to continue from")
    parser.add_argument("--out", type=Path, help="run folder (default runs/<config name>)")
    parser.add_argument("--max-steps", type=int, default=None, help="stop this invocation after N steps")
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
    result = train(config, out, resume=args.resume, max_steps=args.max_steps, command=command)
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
