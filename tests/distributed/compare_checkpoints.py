#!/usr/bin/python3
"""Compares the weights of two cnnzoo checkpoints (safetensors): the largest difference of any weight,
relative to the range of the weights (the largest weight minus the smallest, over every tensor compared, in
the first file). Exits 1 when it exceeds --tolerance, or the files do not hold the same tensors.

The range is the model's, not each tensor's: a batch-norm bias starts at 0 and after a few steps spans
little, and its gradient (a sum over the batch of terms that nearly cancel, as the next batch norm removes
the mean) differs in its leading digits between any two summation orders, one thread against two included.
--verbose prints each tensor's figures, relative to its own range too.

Usage: compare_checkpoints.py A.safetensors B.safetensors [--tolerance 1e-4] [--only-trainable] [--verbose]
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BF16": None}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_size])
    data = blob[8 + header_size:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--only-trainable", action="store_true",
                        help="skip running statistics and counters (each rank's own without --sync-bn)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    a, b = read_safetensors(args.a), read_safetensors(args.b)
    if set(a) != set(b):
        print(f"the files hold different tensors: {sorted(set(a) ^ set(b))[:5]}")
        return 1
    worst_name, worst, low, high = None, 0.0, np.inf, -np.inf
    compared = []
    for name in sorted(a):
        if name.startswith("optim."):
            continue
        if args.only_trainable and (name.endswith("running_mean") or name.endswith("running_var")
                                    or name.endswith("num_batches_tracked")):
            continue
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        if not x.size:
            continue
        low, high = min(low, float(x.min())), max(high, float(x.max()))
        span = float(x.max() - x.min())
        difference = float(np.abs(x - y).max())
        compared.append(name)
        if args.verbose:
            own = difference / span if span > 0 else difference
            print(f"{name:50s} max |a-b| {difference:.3e}  its range {span:.3e}  relative to it {own:.3e}")
        if difference > worst:
            worst_name, worst = name, difference
    relative = worst / (high - low) if high > low else worst
    where = f" ({worst_name})" if worst_name else " (identical)"
    print(f"{len(compared)} tensors; the weights span [{low:.4g}, {high:.4g}]; largest difference {worst:.3e}"
          f"{where}, {relative:.3e} of the range (tolerance {args.tolerance:g})")
    return 0 if relative <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
