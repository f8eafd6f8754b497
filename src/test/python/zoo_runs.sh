#!/bin/bash
# One epoch of `train --weights` on the first 600 CIFAR-10 training images for every model of
# the torchvision fixtures (their training-mode exports), one run JSON per model in OUT. A model
# whose run JSON exists is skipped, so an interrupted pass resumes.
#
# Usage: src/test/python/zoo_runs.sh FIXTURES DATA OUT [THREADS]
# (the committed runs: OUT = results/reference/zoo)
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 FIXTURES DATA OUT [THREADS]" >&2
  exit 2
fi
fixtures=$1
data=$2
out=$3
threads=${4:-0}
here=$(cd "$(dirname "$0")/../../.." && pwd)
if [ ! -f "$fixtures/models.json" ]; then
  echo "$fixtures: no models.json (make the fixtures with src/test/python/torchvision_fixtures.py)" >&2
  exit 1
fi
mkdir -p "$out"
models=$(/usr/bin/python3 -c 'import json, sys; print(" ".join(m["name"] for m in json.load(open(sys.argv[1]))["models"]))' "$fixtures/models.json")
for model in $models; do
  if [ -f "$out/$model.json" ]; then
    echo "$model: $out/$model.json exists, skipped"
    continue
  fi
  echo "$model: one epoch on 600 images"
  "$here/orthoinit" train --weights "$fixtures/${model}_grad.onnx" --epochs 1 --train-limit 600 \
    --no-test --data "$data" --threads "$threads" --out "$out/$model.json"
done
