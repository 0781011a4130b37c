#!/usr/bin/env bash
# Trains the same recipe in fp32 and in bf16 mixed precision and checks that bf16's final test top-1 is within
# MAX_DROP of fp32's (issue 16: the default Fashion-MNIST recipe within 0.3 points); prints both runs' speed.
# Usage: tests/e2e/bf16_recipe.sh CNNZOO MAX_DROP TRAIN_ARGS...
#   e.g. tests/e2e/bf16_recipe.sh build/cnnzoo 0.003            (the default recipe: resnet20, 15 epochs)
set -euo pipefail
binary=$1
max_drop=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for precision in fp32 bf16; do
  "$binary" train "$@" --precision "$precision" --out "$out/$precision"
done
# metrics.csv: epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds
last() { tail -n 1 "$out/$1/metrics.csv" | cut -d, -f"$2"; }
mean_seconds() { tail -n +2 "$out/$1/metrics.csv" | cut -d, -f8 | awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
fp32=$(last fp32 6)
bf16=$(last bf16 6)
echo "final test top-1: fp32 $fp32, bf16 $bf16 (bf16 may be at most $max_drop lower)"
echo "epoch time (training and evaluation): fp32 $(mean_seconds fp32) s, bf16 $(mean_seconds bf16) s (mean)"
awk -v a="$bf16" -v b="$fp32" -v d="$max_drop" 'BEGIN { exit !(a >= b - d) }'
