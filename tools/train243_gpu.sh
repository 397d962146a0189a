#!/usr/bin/env bash
# The issue-17 long runs (receptive field 243, C = 256, 10.5 M samples each) on one lent CUDA GPU, within MINUTES:
#   tools/train243_gpu.sh PACK MINUTES DEST
# PACK: the training data packed here (python -m core.train.data_pack --config configs/realvideo243_offline.toml
# --out .gpu/realvideo243.pack), since ../shared does not travel to the GPU machine. Runs, each with
# [run] device = "cuda" and data_workers forked batch drawers (a CPU draws ~4 batches/s per core; the GPU step
# takes milliseconds):
#   1. realvideo243_offline, resumed from checkpoints/realvideo243_offline/last.pt;
#   2. realvideo243_causal, resumed from checkpoints/realvideo243_causal/last.pt where the CPU sessions left one (else
#      from scratch), alongside 1 (fewer workers: 1 has priority);
#   3. realvideo243_videopose_offline (the VideoPose3D baseline at the same size), after 1 ends, in the time left,
#      resumed from checkpoints/realvideo243_videopose_offline/last.pt where the CPU sessions left one.
# 1 and 2 finished on the CPU (2026-12-05): their resumes end at once.
# DEST receives runs.tar.NN: for each run its log.jsonl and model.pt, or last.pt where it did not finish (to resume).
set -uo pipefail
cd "$(dirname "$0")/.."
pack=$1 minutes=$2 dest=$3
python=${PYTHON:-python3}
device=${DEVICE:-cuda}  # DEVICE=cpu: a dry run of this script on a machine without a GPU
export PYTHONUNBUFFERED=1
deadline=$(( $(date +%s) + minutes * 60 ))
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

config() {  # config NAME WORKERS MINUTES: a copy of configs/NAME.toml with only its [run] budget and resources changed
  sed -e "s/^max_minutes = .*/max_minutes = $3/" \
      -e "s/^threads = .*/threads = 2\ndata_workers = $2\ndevice = \"$device\"/" "configs/$1.toml" >"$work/$1.toml"
  echo "$work/$1.toml"
}
left() { "$python" -c "import time; print(round(($deadline - time.time()) / 60 - 0.5, 2))"; }  # 30 s for the saves

nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
"$python" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__, "cuda", torch.cuda.is_available())'
"$python" -m core.train --resume checkpoints/realvideo243_offline/last.pt --out "$work/realvideo243_offline" \
  --config "$(config realvideo243_offline 8 "$(left)")" --data-pack "$pack" >"$work/offline.out" 2>&1 &
offline=$!
causal_from=()  # the CPU sessions' progress, when there is some
[ -f checkpoints/realvideo243_causal/last.pt ] && causal_from=(--resume checkpoints/realvideo243_causal/last.pt)
nice -n 5 "$python" -m core.train "${causal_from[@]}" --out "$work/realvideo243_causal" \
  --config "$(config realvideo243_causal 6 "$(left)")" --data-pack "$pack" >"$work/causal.out" 2>&1 &
causal=$!

sleep 60  # fail fast: a run that breaks does so in its first minute (data, CUDA, workers)
for name in offline causal; do
  pid=${!name}
  if ! kill -0 "$pid" 2>/dev/null && ! wait "$pid"; then
    echo "[train243_gpu] $name failed:"; tail -c 3000 "$work/$name.out"; exit 1
  fi
done
wait "$offline"; echo "[train243_gpu] offline: $(tail -c 400 "$work/offline.out" | tr '\r' '\n' | tail -2)"
videopose_from=()
[ -f checkpoints/realvideo243_videopose_offline/last.pt ] &&
  videopose_from=(--resume checkpoints/realvideo243_videopose_offline/last.pt)
if (( deadline - $(date +%s) > 90 )); then
  "$python" -m core.train "${videopose_from[@]}" --out "$work/realvideo243_videopose_offline" \
    --config "$(config realvideo243_videopose_offline 8 "$(left)")" --data-pack "$pack" >"$work/videopose.out" 2>&1 &
  wait $!; echo "[train243_gpu] videopose: $(tail -c 400 "$work/videopose.out" | tr '\r' '\n' | tail -2)"
fi
wait "$causal"; echo "[train243_gpu] causal: $(tail -c 400 "$work/causal.out" | tr '\r' '\n' | tail -2)"

# one archive in 15 MiB pieces: the way back takes at most 8 files of 16 MiB (join: cat runs.tar.* | tar x)
mkdir -p "$work/back" "$dest"
for run in realvideo243_offline realvideo243_causal realvideo243_videopose_offline; do
  [ -f "$work/$run/log.jsonl" ] || continue
  mkdir -p "$work/back/$run"
  cp "$work/$run/log.jsonl" "$work/back/$run/"
  if grep -q '"event": "end", "finished": true' "$work/$run/log.jsonl"; then
    cp "$work/$run/model.pt" "$work/back/$run/"
  else
    cp "$work/$run/last.pt" "$work/back/$run/"  # unfinished: the resumable checkpoint instead
  fi
done
tar cf - -C "$work/back" . | split -b 15M -d - "$dest/runs.tar."
tar tvf <(cat "$dest"/runs.tar.*)
