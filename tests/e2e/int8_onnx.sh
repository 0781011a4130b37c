#!/usr/bin/env bash
# int8 ONNX export: a Fashion-MNIST ResNet-20 trained briefly, calibrated by `cnnzoo quantize`, exported with
# --precision int8 (QDQ form) and evaluated by scripts/onnx_qdq_reference.py (the operators' specifications in
# float64, no cnnzoo code) on 256 test images. The file must compute what cnnzoo's int8 engine computes: logits
# within 2% of their range of `run --precision int8` and the same top-1 on at least 96% of the images (a model
# trained for 20 seconds has close logits); and stay an int8 version of the model (the same top-1 as fp32 on at
# least 95%).
# Usage: tests/e2e/int8_onnx.sh CNNZOO
set -euo pipefail
binary=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$binary" train --epochs 1 --subset 4096 --val-subset 256 --threads 2 --out "$out/run" > /dev/null
"$binary" quantize "$out/run/best.safetensors" --calibration 512 --output "$out/int8.safetensors"
"$binary" export resnet20 --input 1x28x28 --num-classes 10 --weights "$out/int8.safetensors" --precision int8 \
  --output "$out/int8.onnx"
# The first 256 test images, normalised with the checkpoint's mean and standard deviation, as `run` would.
/usr/bin/python3 - "$out" <<'PY'
import gzip, json, struct, sys
import numpy as np
out = sys.argv[1]
with open(f"{out}/int8.safetensors", "rb") as f:
    meta = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))["__metadata__"]
data = json.loads(meta["data"])
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:256]
x = (images.astype(np.float32) / 255 - data["mean"][0]) / data["stddev"][0]
np.save(f"{out}/x.npy", x.astype(np.float32))
PY
"$binary" run --checkpoint "$out/int8.safetensors" "$out/x.npy" --precision int8 --output "$out/engine_int8.npy" > /dev/null
"$binary" run --checkpoint "$out/int8.safetensors" "$out/x.npy" --output "$out/engine_fp32.npy" > /dev/null
/usr/bin/python3 "$here/scripts/onnx_qdq_reference.py" "$out/int8.onnx" "$out/x.npy" "$out/onnx_int8.npy"
/usr/bin/python3 - "$out" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
onnx, engine, fp32 = (np.load(f"{out}/{n}.npy") for n in ("onnx_int8", "engine_int8", "engine_fp32"))
spread = fp32.max() - fp32.min()
error = np.abs(onnx - engine).max() / spread
same = (onnx.argmax(1) == engine.argmax(1)).mean()
kept = (onnx.argmax(1) == fp32.argmax(1)).mean()
print(f"int8 ONNX (QDQ) vs cnnzoo int8: logits within {100 * error:.2f}% of the range, top-1 the same on "
      f"{100 * same:.1f}%; vs fp32: top-1 the same on {100 * kept:.1f}% ({len(onnx)} test images)")
sys.exit(0 if error <= 0.02 and same >= 0.96 and kept >= 0.95 else 1)
PY
