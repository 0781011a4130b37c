#!/usr/bin/env bash
# Trains with a documented recipe and checks the test top-1 it reaches (docs/training.md).
# Usage: tests/e2e/recipe.sh CNNZOO MIN_TOP1 TRAIN_ARGS...
#   e.g. tests/e2e/recipe.sh build/cnnzoo 0.88 --epochs 1
set -euo pipefail
binary=$1
min_top1=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$binary" train "$@" --out "$out"
top1=$(tail -n 1 "$out/metrics.csv" | cut -d, -f6)
best=$(cut -d, -f6 "$out/metrics.csv" | tail -n +2 | sort -g | tail -n 1)
echo "final top-1 $top1, best $best (required: $min_top1)"
awk -v t="$best" -v m="$min_top1" 'BEGIN { exit !(t >= m) }'
# bf16 inference of the trained model predicts what fp32 predicts on (nearly) every test image.
agreement=$("$binary" eval --checkpoint "$out/best.safetensors" --precision bf16 --format json |
  sed -n 's/.*"top1_agreement_with_fp32": \([0-9.e-]*\).*/\1/p')
echo "bf16 top-1 agreement with fp32: $agreement (required: 0.99)"
awk -v a="$agreement" 'BEGIN { exit !(a >= 0.99) }'
# int8 inference, calibrated by `cnnzoo quantize` on 512 training images, likewise (issue 16's target).
"$binary" quantize "$out/best.safetensors" --calibration 512 --output "$out/int8.safetensors"
agreement=$("$binary" eval --checkpoint "$out/int8.safetensors" --precision int8 --format json |
  sed -n 's/.*"top1_agreement_with_fp32": \([0-9.e-]*\).*/\1/p')
echo "int8 top-1 agreement with fp32: $agreement (required: 0.99)"
awk -v a="$agreement" 'BEGIN { exit !(a >= 0.99) }'
