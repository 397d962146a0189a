"""Fit the gravity model (``core.world.gravity``) and write ``weights/gravity.json``:

    python -m core.world.gravity_fit      # ~5 minutes on one core (approximate, one machine)

Data: CMU motion capture of the training subjects (``core.data``: folders mb and daz, subject 08 — which
``core.eval.world`` measures — left out; CMU only, so no HDM05 licence applies), in the detector's joint definition.
Each sample is one frame, drawn uniformly, seen by one camera of the training camera pool (the wide random cameras
of ``core.data.virtual_cameras`` and Human3.6M-like rigs, fitted per motion segment), with the training 2D noise
(``NoiseConfig.training``) on 80 % of the samples and a horizontal flip on half; its label is the world's up (Z) in
that camera's space. No whole-body lean is added: the model is to learn how upright people look.

Fit: a multilayer perceptron (34 → HIDDEN → HIDDEN → 3, ReLU), Adam with a cosine learning rate, loss 1 − cos of
the angle to the true up; torch for the fit, NumPy for inference.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..skeleton import flip
from .gravity import DEFAULT_PATH, GravityModel

REPO_ROOT = Path(__file__).resolve().parents[2]
_FLAGS = ("steps", "hidden", "seed", "threads")  # the settings the command line may change


@dataclass(frozen=True)
class GravityFitConfig:
    steps: int = 12000
    batch: int = 512
    lr: float = 1e-3
    hidden: int = 128
    seed: int = 11  # the camera pool's and the batches' random streams
    noise_probability: float = 0.8
    rig_fraction: float = 0.15
    threads: int = 1  # one: the fit is small, and one thread gives the same numbers on every run

    def __post_init__(self) -> None:
        if min(self.steps, self.batch, self.hidden, self.threads) < 1 or self.lr <= 0:
            raise ValueError("gravity fit: steps, batch, hidden and threads must be >= 1, lr > 0")
        if not (0 <= self.noise_probability <= 1 and 0 <= self.rig_fraction <= 1):
            raise ValueError("gravity fit: noise_probability and rig_fraction must be in [0, 1]")


def training_batch(bank: Any, pool: Any, noise: Any, rng: np.random.Generator, size: int,
                   cfg: GravityFitConfig) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """One batch from a ``MotionBank`` and its ``CameraPool`` → (x (size, 17, 2) normalised screen coordinates,
    up (size, 3) unit world up in camera space), float32."""
    from ..data.render import normalize_batch, render_windows

    frames = rng.integers(0, bank.num_frames, size=size)
    cams = pool.draw(rng, frames, cfg.rig_fraction)
    pixels, _, _ = render_windows(bank.poses[frames][:, None].astype(np.float32), cams, 0)
    noisy = rng.random(size) < cfg.noise_probability
    if noisy.any():
        pixels[noisy] = noise.apply(pixels[noisy], rng)
    x = normalize_batch(pixels, cams.size)[:, 0]
    up = cams.R[:, :, 2].copy()  # R maps world to camera: its third column is world Z in camera space
    mirror = rng.random(size) < 0.5
    x[mirror] = flip(x[mirror][:, None])[:, 0]
    up[mirror, 0] *= -1.0
    return x.astype(np.float32), up.astype(np.float32)


def fit(bank: Any, pool: Any, cfg: GravityFitConfig) -> tuple[GravityModel, dict[str, float]]:
    """Train the network on batches of :func:`training_batch` → (the model, training figures)."""
    import torch

    from ..data.batch_noise import BatchNoise
    from ..data.noise import NoiseConfig

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng([cfg.seed, 3])
    noise = BatchNoise(NoiseConfig.training())
    net = torch.nn.Sequential(
        torch.nn.Linear(34, cfg.hidden), torch.nn.ReLU(), torch.nn.Linear(cfg.hidden, cfg.hidden), torch.nn.ReLU(),
        torch.nn.Linear(cfg.hidden, 3),
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    angles: list[float] = []
    for step in range(cfg.steps):
        x, up = (torch.from_numpy(a) for a in training_batch(bank, pool, noise, rng, cfg.batch, cfg))
        cos = (torch.nn.functional.normalize(net(x.reshape(len(x), -1)), dim=-1) * up).sum(-1)
        loss = (1.0 - cos).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        median_deg = float(torch.rad2deg(torch.acos(cos.detach().clamp(-1, 1))).median())
        if step >= cfg.steps - max(1, cfg.steps // 10):  # the last tenth: the figure of the trained network
            angles.append(median_deg)
        if step % 500 == 0:
            print(f"step {step}/{cfg.steps}: median error per frame {median_deg:.1f}°", file=sys.stderr, flush=True)
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    layers = tuple((m.weight.detach().double().numpy(), m.bias.detach().double().numpy()) for m in linear)
    return GravityModel(layers, {}), {"training_median_frame_error_deg": round(float(np.mean(angles)), 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m core.world.gravity_fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--cmu-root", type=Path, default=REPO_ROOT.parent / "shared/data/cmu")
    for name in _FLAGS:
        p.add_argument(f"--{name}", type=int, default=getattr(GravityFitConfig, name))
    p.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = p.parse_args(argv)
    try:
        cfg = GravityFitConfig(steps=args.steps, hidden=args.hidden, seed=args.seed, threads=args.threads)
    except ValueError as exc:
        p.error(str(exc))
    from ..data.config import DataConfig
    from ..data.dataset import load_training_sources

    t0 = time.perf_counter()
    data = DataConfig(cmu_root=str(args.cmu_root), extra_sets=())
    sources = load_training_sources(data, REPO_ROOT, seed=cfg.seed, joints="mediapipe")
    model, figures = fit(sources.bank, sources.pool, cfg)
    info = {
        "command": "python -m core.world.gravity_fit"
        + "".join(f" --{k} {getattr(cfg, k)}" for k in _FLAGS if getattr(cfg, k) != getattr(GravityFitConfig, k))
        + (f" --out {args.out}" if args.out != DEFAULT_PATH else ""),
        "data": "CMU motion capture (mocap.cs.cmu.edu), folders mb and daz, training subjects only (08 held out)",
        "train_motions": sources.bank.num_motions, "train_frames_50fps": sources.bank.num_frames,
        "config": asdict(cfg), "samples_seen": cfg.steps * cfg.batch,
        "wall_time_s": round(time.perf_counter() - t0, 1), **figures,
    }  # fmt: skip
    GravityModel(model.layers, info).save(args.out)
    error = figures["training_median_frame_error_deg"]
    print(f"{args.out}: {cfg.steps * cfg.batch} samples from {sources.bank.num_motions} motions, training median "
          f"error per frame {error:.1f}°, {info['wall_time_s']:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
