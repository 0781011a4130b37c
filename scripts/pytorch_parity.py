#!/usr/bin/python3
"""Generate tests/data/parity/<model>.json: PyTorch's eval-mode logits of every torchvision model of
the zoo, the reference that tests/engine/test_pytorch_parity.cpp holds our engine to.

No weights are committed. Each model gets the deterministic test weights of scripts/cnnzoo_rng.py
(`test_state_dict(model, SEED)`: conv/linear U(+-sqrt(3/fan_in)), biases U(+-0.1), BN weight
U(0.5, 1.5), bias and running_mean U(+-0.2), running_var U(0.5, 1.5)), bit-identical to what C++
`test_parameters(graph, SEED)` gives the same graph, and the input is the generator's
`test_uniform("input", (2, 3, 224, 224), SEED, -1, 1)`, as C++ `test_uniform` in init.h makes it.

The forward pass runs in float64 (weights and input are float32 values, converted exactly), so a
fixture holds the exact answer to about 1e-15 and the C++ test measures our float32 error against
the truth rather than against PyTorch's own float32 rounding. Each file records, for information,
how far PyTorch's float32 forward lands from that answer ("torch_float32_max_error"), the yardstick
for the tolerance (1e-4 of the logits' range).

The variants (VARIANTS: GoogLeNet's and Inception-v3's transform_input) are fixtures of their own, named
MODEL_OPTION.

Each file: {"model", "torchvision_builder", "kwargs", "seed", "input": [2, 3, 224, 224],
"input_rule", "dtype": "float64", "logits_shape": [2, 1000], "logits": [... 2000 values, row-major,
9 significant digits], "range", "argmax", "torch_float32_max_error", "torch", "torchvision",
"command"}. Sorted keys, written atomically (temp file + os.replace); the run is deterministic.

Rerun from the repository root with Debian's python3-torch / python3-torchvision:

    /usr/bin/python3 scripts/pytorch_parity.py                       # every model, ~10 min on 2 cores
    /usr/bin/python3 scripts/pytorch_parity.py --models resnet18 vgg11

Generated with torch 1.13 / torchvision 0.14.
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnnzoo_rng  # noqa: E402
import inception_paper_models  # noqa: E402
import torchvision_models  # noqa: E402

SCRIPT = "scripts/pytorch_parity.py"
DEFAULT_OUTPUT_DIR = "tests/data/parity"
SEED = 2024  # also kSeed in tests/engine/test_pytorch_parity.cpp
INPUT_RULE = 'test_uniform("input", [2, 3, %d, %d], seed, -1, 1)'

# Every torchvision model of the zoo (the aux variants give the same eval logits), and Inception-v4 and
# Inception-ResNet-v2 as scripts/inception_paper_models.py writes them from the paper.
MODELS = {k: v for k, v in torchvision_models.MODELS.items() if not k.endswith("_aux")}
MODELS.update({k: ("scripts/inception_paper_models.py", {}) for k in inception_paper_models.MODELS})

# Options that change a torchvision model's outputs but not its weights, each a fixture of its own: fixture name ->
# (zoo model, torchvision kwargs added). tests/engine/test_pytorch_parity.cpp builds each with the same option.
VARIANTS = {
    "googlenet_transform_input": ("googlenet", {"transform_input": True}),
    "inception_v3_transform_input": ("inception_v3", {"transform_input": True}),
}
MODELS.update({k: (MODELS[base][0], {**MODELS[base][1], **extra}) for k, (base, extra) in VARIANTS.items()})


def input_shape(name):
    size = torchvision_models.input_size(name)
    return (2, 3, size, size)


def build(name):
    if name in inception_paper_models.MODELS:
        model = inception_paper_models.build(name)
    else:
        builder, kwargs = MODELS[name]
        model = getattr(torchvision.models, builder)(weights=None, **kwargs)
    model.load_state_dict(cnnzoo_rng.test_state_dict(model, SEED), strict=True)
    return model.eval()


def test_input(shape):
    return torch.from_numpy(cnnzoo_rng.test_uniform("input", shape, SEED, -1.0, 1.0))


def forward(model, x):
    with torch.no_grad():
        return model(x)


def measure(name):
    model = build(name)
    shape = input_shape(name)
    x = test_input(shape)
    logits32 = forward(model, x).double()
    logits = forward(model.double(), x.double())
    assert logits.dtype == torch.float64 and tuple(logits.shape) == (2, 1000), logits.shape
    values = logits.numpy()
    rounded = [float("%.9g" % v) for v in values.reshape(-1)]
    return {
        "model": name,
        "torchvision_builder": MODELS[name][0],
        "kwargs": MODELS[name][1],
        "seed": SEED,
        "input": list(shape),
        "input_rule": INPUT_RULE % shape[2:],
        "dtype": "float64",
        "logits_shape": list(values.shape),
        "logits": rounded,
        "range": [float(values.min()), float(values.max())],
        "argmax": [int(i) for i in values.argmax(axis=1)],
        "torch_float32_max_error": float("%.3g" % float((logits32 - logits).abs().max())),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "command": "/usr/bin/python3 %s" % SCRIPT,
    }


def render(record):
    # json.dumps writes the shortest repr of each float, which for a %.9g-rounded value is at most
    # 9 significant digits.
    return json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"


def write_atomic(path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name in args.models:
        start = time.time()
        record = measure(name)
        path = os.path.join(args.output_dir, name + ".json")
        write_atomic(path, render(record))
        lo, hi = record["range"]
        print("%-18s range [%.4g, %.4g]  argmax %s  torch float32 max error %.3g (%.2g of range)  %.1fs"
              % (name, lo, hi, record["argmax"], record["torch_float32_max_error"],
                 record["torch_float32_max_error"] / (hi - lo), time.time() - start), flush=True)


if __name__ == "__main__":
    main()
