#!/usr/bin/env bash
# Installs the Debian packages cnnzoo needs that are missing; does nothing when all are present.
# Usage: scripts/install_deps.sh [extra-package ...]
set -euo pipefail

packages=(cmake ninja-build g++ make pkg-config clang-format libgtest-dev libcli11-dev libfmt-dev nlohmann-json3-dev libdnnl-dev ocl-icd-opencl-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev libonnx-dev libprotobuf-dev libgraphviz-dev libjs-chart.js libopenmpi-dev openmpi-bin dataset-fashion-mnist "$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
