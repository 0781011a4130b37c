#!/usr/bin/env bash
# Remakes the screenshots of the reports in docs/img/ (the README and docs/reports.md show them): a model,
# several models, and a training folder (a short resnet20 run on Fashion-MNIST), each rendered by headless
# Chromium (Debian's chromium) at 1280 pixels wide.
# Usage: scripts/report_screenshots.sh [BUILD_DIR]    (default build; run from the repository root)
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
mkdir -p docs/img
trap 'rm -rf "$work"' EXIT

shoot() {  # shoot PAGE PNG HEIGHT
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$work/profile" \
    --host-resolver-rules='MAP * ~NOTFOUND' --virtual-time-budget=20000 --hide-scrollbars \
    --window-size=1280,"$3" --screenshot="$(realpath "$2")" "file://$1" 2>/dev/null
  echo "$2: $(stat -c %s "$2") bytes"
}

"$build/cnnzoo" report alexnet --output "$work/model.html"
shoot "$work/model.html" docs/img/report_model.png 2600
"$build/cnnzoo" report alexnet vgg16 googlenet resnet18 resnet50 densenet121 --output "$work/models.html"
shoot "$work/models.html" docs/img/report_models.png 2000
"$build/cnnzoo" train --epochs 3 --subset 4096 --out "$work/run" --overwrite >/dev/null 2>&1
shoot "$work/run/report.html" docs/img/report_training.png 2900
