#!/usr/bin/env bash
# Part 2 of the 75-layer comparison, orthoinit's side: trains each start seed_init75.py made
# (the seed's Xavier weights after its own float32 novel_initialization, s<r>/f32/start.onnx)
# with `orthoinit train --weights` on the first 1,500 training images for 10 epochs, dropout on,
# seeded 1000 + r (shuffles and masks only). The seed's side is
#   seed_curves.py --starts FIXTURES --out OUT/seed.csv --images 1500 --repeats R --threads 1
# A start not made yet is waited for; a finished run is skipped, a stopped one resumed.
# ORTHOINIT names the launcher (default: this checkout's), e.g. that of a worktree of a fixed
# commit, so that editing this checkout's sources does not rebuild the jar between runs.
# usage: paired75.sh FIXTURES OUT [repeats, default 8] [threads, default 1]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fixtures="$1" out="$2" repeats="${3:-8}" threads="${4:-1}"
launcher="${ORTHOINIT:-$here/orthoinit}"
mkdir -p "$out/orthoinit"
for ((r = 0; r < repeats; r++)); do
  run="$out/orthoinit/s$r.json"
  if [[ -f "$run" ]]; then echo "$run: done already"; continue; fi
  start="$fixtures/s$r/f32/start.onnx"
  while [[ ! -f "$start" ]]; do sleep 60; done
  resume=()
  [[ -f "$out/orthoinit/s$r.ckpt" ]] && resume=(--resume)
  echo "start $r: orthoinit train ($(date +%T))"
  "$launcher" train --weights "$start" --init xavier --train-limit 1500 --epochs 10 \
    --seed $((1000 + r)) --threads "$threads" --no-test --data "$here/../shared/data/cifar10" \
    --out "$run" "${resume[@]}"
done
