#!/usr/bin/python3
"""Writes the IO test fixtures in tests/data/io/ with the real tools (numpy.save, torch).

Rerun from the repository root with Debian's Python, which has python3-numpy and python3-torch:

    /usr/bin/python3 scripts/make_io_fixtures.py

The output is deterministic (fixed values, torch.manual_seed(0)); rerunning should give identical files
for the same numpy/torch versions. python3-safetensors is not packaged here, so the .safetensors file is
written by hand following the format spec (https://github.com/huggingface/safetensors#format), the way
safetensors.torch.save_file lays it out: header JSON padded with spaces to a multiple of 8 bytes,
tensors stored contiguously in the order of the header.
"""
import json
import os
import struct

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "io")


class Tiny(nn.Module):
    """torchvision's naming: conv1 (no bias), bn1, fc, as in ResNet's stem and head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = self.avgpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(x, 1))


DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        arr = t.detach().contiguous().cpu().numpy()
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()  # safetensors is little-endian
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    expect = {}

    # .npy files written by numpy itself.
    a = (np.arange(2 * 3 * 4 * 5, dtype=np.float32) / 7).reshape(2, 3, 4, 5)
    np.save(os.path.join(OUT, "arange_f32.npy"), a)
    np.save(os.path.join(OUT, "scalar_f32.npy"), np.float32(2.5))
    np.save(os.path.join(OUT, "vector_f32.npy"), np.array([1, -2, 3.5, 0, 7], dtype=np.float32))
    np.save(os.path.join(OUT, "arange_f64.npy"), np.arange(6, dtype=np.float64).reshape(2, 3))
    np.save(os.path.join(OUT, "arange_i64.npy"), np.arange(6, dtype=np.int64).reshape(2, 3))
    np.save(os.path.join(OUT, "fortran_f32.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(os.path.join(OUT, "big_endian_f32.npy"), np.arange(4, dtype=">f4"))
    # Format 2.0 (u32 header length); numpy only picks it for huge headers unless asked.
    with open(os.path.join(OUT, "arange_f32_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, a, version=(2, 0))
    expect["arange_f32"] = {"shape": list(a.shape), "sum": float(a.astype(np.float64).sum()),
                            "values": {str(i): float(a.reshape(-1)[i]) for i in (0, 1, 7, 59, 119)}}

    # A torch state_dict with torchvision's names, BN buffers included.
    torch.manual_seed(0)
    model = Tiny()
    model.train()
    with torch.no_grad():
        model(torch.randn(2, 3, 6, 6))  # one batch so running stats and num_batches_tracked move
    sd = model.state_dict()
    save_safetensors(os.path.join(OUT, "tiny_resnet_stem.safetensors"), sd, {"format": "pt", "source": "make_io_fixtures.py"})
    tensors = []
    for name, t in sd.items():
        flat = t.reshape(-1)
        tensors.append({
            "name": name,
            "dtype": DTYPES[t.dtype],
            "shape": list(t.shape),
            "sum": float(flat.double().sum()),
            "first": float(flat[0]) if t.dtype == torch.float32 else int(flat[0]),
        })
    expect["tiny_resnet_stem"] = {"metadata": {"format": "pt", "source": "make_io_fixtures.py"}, "tensors": tensors}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expect, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
