#!/usr/bin/env bash
# Train the paper-size lifter on one CUDA GPU in under 9 minutes of wall time and hand back the checkpoint.
#   tools/train_gpu.sh [DEST]      DEST (default runs/paper_gpu_offline) receives model.pt, last.pt, log.jsonl
# Needs the repository's Python packages (requirements.txt, with a CUDA build of torch) and ../shared beside the
# checkout. The run itself is capped by [run] max_minutes in configs/paper_gpu_offline.toml; data set-up (BVH
# parsing, camera fitting) takes about a minute on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-runs/paper_gpu_offline}
python=${PYTHON:-python3}
"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "no CUDA device: this script is for a GPU machine")'
out=runs/paper_gpu_offline
start=$(date +%s)
timeout 530 "$python" -m core.train --config configs/paper_gpu_offline.toml --out "$out"
mkdir -p "$dest"
[ "$out" -ef "$dest" ] || cp "$out"/model.pt "$out"/last.pt "$out"/log.jsonl "$dest"/
echo "[train_gpu] done in $(( $(date +%s) - start )) s: $dest/model.pt (evaluate with python -m core.eval --checkpoint $dest/model.pt ...)"
