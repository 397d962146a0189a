"""Parameter counts of the paper's lifter configurations, set against Liu et al. (CVPR 2020) Tables 5-6.

    .venv/bin/python -m bench.param_counts

Models are built on PyTorch's "meta" device (shapes only: instant, no memory). The paper's figures quoted here are
those given in issue 3 (Table 5: M=3, G=8, r=128, C=1024); docs/model.md explains the differences.
"""

from __future__ import annotations

import argparse

import torch

from core.models import LifterConfig, build_model

# (label, config overrides, paper figure in millions or None)
CONFIGS: list[tuple[str, dict, float | None]] = [
    ("attention n=27 (3,3,3)", {"filter_widths": (3, 3, 3)}, 5.69),
    ("attention n=81 (3,3,3,3)", {"filter_widths": (3, 3, 3, 3)}, 8.46),
    ("attention n=243 (3,3,3,3,3)", {"filter_widths": (3, 3, 3, 3, 3)}, 11.25),
    ("attention n=45 (3,5,3)", {"filter_widths": (3, 5, 3)}, None),
    ("attention n=75 (3,5,5)", {"filter_widths": (3, 5, 5)}, None),
    ("attention n=147 (3,7,7)", {"filter_widths": (3, 7, 7)}, None),
    ("attention n=375 (3,5,5,5)", {"filter_widths": (3, 5, 5, 5)}, None),
    ("attention n=1029 (3,7,7,7)", {"filter_widths": (3, 7, 7, 7)}, None),
    ("videopose n=243 (VideoPose3D baseline)", {"arch": "videopose", "filter_widths": (3, 3, 3, 3, 3)}, 16.95),
    ("videopose n=81", {"arch": "videopose", "filter_widths": (3, 3, 3, 3)}, None),
    ("videopose n=27", {"arch": "videopose", "filter_widths": (3, 3, 3)}, None),
    ("CPU-size example: attention n=243, C=256", {"filter_widths": (3, 3, 3, 3, 3), "channels": 256}, None),
    ("CPU-size example: attention n=81, C=256", {"filter_widths": (3, 3, 3, 3), "channels": 256}, None),
    ("shipped (weights/*.pt): attention n=81, C=128", {"filter_widths": (3, 3, 3, 3), "channels": 128}, None),
]


def count_parameters(config: LifterConfig) -> int:
    """Trainable parameters of the lifter ``config`` describes (built on the meta device)."""
    with torch.device("meta"):
        model = build_model(config)
    return sum(p.numel() for p in model.parameters())


def breakdown(config: LifterConfig) -> dict[str, int]:
    """Parameters per top-level part (expansion, temporal attention, each layer, projection)."""
    with torch.device("meta"):
        model = build_model(config)
    parts: dict[str, int] = {}
    for name, p in model.named_parameters():
        key = (
            ".".join(name.split(".")[:2])
            if name.startswith(("layers.", "temporal_convs.", "point_convs."))
            else name.split(".")[0]
        )
        parts[key] = parts.get(key, 0) + p.numel()
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--breakdown", action="store_true", help="also print parameters per part of each model")
    args = parser.parse_args(argv)
    print("| model | receptive field | parameters | paper (M) | difference |")
    print("|---|---:|---:|---:|---:|")
    for label, overrides, paper in CONFIGS:
        config = LifterConfig(**{"channels": 1024, **overrides})
        count = count_parameters(config)
        n = 1
        for w in config.filter_widths:
            n *= w
        diff = f"{(count / 1e6 - paper) / paper * 100:+.2f} %" if paper else "—"
        print(f"| {label} | {n} | {count:,} ({count / 1e6:.2f} M) | {paper if paper else '—'} | {diff} |")
        if args.breakdown:
            for part, num in breakdown(config).items():
                print(f"|   {part} | | {num:,} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
