#!/usr/bin/env bash
# orthoinit's SVD init on the starts seed_init75.py made, by every --decomposition, for
# init_table.py: writes s<seed>/orthoinit-<decomposition>.onnx, -logits8.npy, -features8.npy,
# -report.json beside the seed's own results; a seed or decomposition already done is skipped.
# usage: orthoinit_init75.sh FIXTURES [decompositions, default: subspace,gram_eigh,svd]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fixtures="$1"
IFS=, read -r -a routes <<< "${2:-subspace,gram_eigh,svd}"
for dir in "$fixtures"/s*; do
  [[ -f "$dir/seed.json" ]] || { echo "$dir: the seed's init is not finished, skipped"; continue; }
  for d in "${routes[@]}"; do
    out="$dir/orthoinit-$d"
    if [[ -f "$out.onnx" ]]; then echo "$out.onnx: done already"; continue; fi
    echo "$dir: init --decomposition $d ($(date +%T))"
    "$here/orthoinit" init --weights "$dir/xavier.onnx" --batch "$dir/init256.npy" \
      --decomposition "$d" --predict "$dir/images8.npy" --out "$out-logits8.npy" \
      --features-out "$out-features8.npy" --report "$out-report.json" \
      --export-onnx "$out.tmp.onnx"
    mv "$out.tmp.onnx" "$out.onnx"
  done
done
