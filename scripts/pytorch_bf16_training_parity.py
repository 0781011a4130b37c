#!/usr/bin/python3
"""Generate tests/data/parity_training_bf16/<case>.json: one bf16 mixed-precision training step of PyTorch
(torch.autocast on the CPU with bfloat16), the yardstick that tests/engine/test_bf16_training.cpp holds
cnnzoo's `TrainingOptions::precision = BF16` to.

It reuses scripts/pytorch_training_parity.py (its model table, weights, recorded layers and float64 step)
on a better-conditioned batch: batch 2 (that script's) leaves batch norm so few elements that even a float32
step lands 1e-2 from the exact answer (resnet50), and every bf16 step, PyTorch's included, nearly 100%
away, which would test nothing. Here each case runs on BATCH images of its own size (test_uniform("input",
shape, SEED, -1, 1), labels (5 i + 2) mod 1000), in float64 (the exact answer) and BF16_RUNS times with
autocast bf16 from the same float32 weights -- on the input and on copies moved by one float32 ulp, as
the float32 runs are -- the worst of which is PyTorch bf16's error. The loss is cross-entropy of the logits
made float32 (as cnnzoo's loss is).

Each file holds what pytorch_training_parity.py writes for the same case at this batch and size (the float64
values of the recorded gradients, their scale, PyTorch float32's errors) plus "torch_bf16_loss_error" and,
per gradient, "torch_bf16_error" (relative L2 over the recorded entries) and "torch_bf16_error_full".

Rerun from the repository root with Debian's python3-torch / python3-torchvision (about 2 minutes):

    /usr/bin/python3 scripts/pytorch_bf16_training_parity.py
"""

import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_parity  # noqa: E402
import pytorch_training_parity as parity  # noqa: E402

SCRIPT = "scripts/pytorch_bf16_training_parity.py"
DEFAULT_OUTPUT_DIR = "tests/data/parity_training_bf16"
BATCH = 8
BF16_RUNS = 3
# case: image size. Each op family of the zoo: residual sums and projections (resnet18), bottlenecks
# (resnet50), dense concatenation (densenet121), inception concatenation (googlenet), plain convolutions
# with linear layers (vgg11_bn, alexnet).
CASES = {"resnet18": 64, "resnet50": 64, "densenet121": 64, "googlenet": 96, "vgg11_bn": 64, "alexnet": 96}


def bf16_step(model, x):
    """Loss and gradients (float64 copies) of one autocast bf16 step from float32 weights."""
    model = model.float()
    model.zero_grad(set_to_none=True)
    labels = torch.tensor(parity.LABELS, dtype=torch.int64)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    loss = F.cross_entropy(out.float(), labels)
    loss.backward()
    return float(loss), {n: p.grad.detach().double().clone() for n, p in model.named_parameters()}


def measure(case, size):
    # The float64 step and the recorded entries of pytorch_training_parity.py, at this batch and size.
    parity.INPUT_SHAPE = (BATCH, 3, size, size)
    parity.INPUT_RULE = 'test_uniform("input", [%d, 3, %d, %d], seed, -1, 1)' % (BATCH, size, size)
    parity.LABELS = [(5 * i + 2) % 1000 for i in range(BATCH)]
    record = parity.measure(case)
    record["command"] = "/usr/bin/python3 %s" % SCRIPT
    record["bf16_runs"] = BF16_RUNS

    x = torch.from_numpy(parity.cnnzoo_rng.test_uniform("input", parity.INPUT_SHAPE, parity.SEED, -1.0, 1.0))
    loss_error = 0.0
    for g in record["gradients"].values():
        g["torch_bf16_error"] = g["torch_bf16_error_full"] = 0.0
    for xi in parity.perturbed_inputs(x)[:BF16_RUNS]:
        loss, grads = bf16_step(parity.build(case), xi)
        loss_error = max(loss_error, abs(loss - record["loss"]) / abs(record["loss"]))
        for name, g in record["gradients"].items():
            ours = grads[name].numpy().reshape(-1)
            indices = np.array(g.get("indices", range(g["numel"])))
            exact = np.array(g["values"])
            g["torch_bf16_error"] = max(g["torch_bf16_error"], float(np.linalg.norm(ours[indices] - exact) / g["scale"]))
            # The whole tensor: only its norm is recorded, so the error of the norm (a lower bound of the error).
            full = abs(float(np.linalg.norm(ours)) - g["norm"]) / max(g["norm"], g["scale"])
            g["torch_bf16_error_full"] = max(g["torch_bf16_error_full"], full)
    for g in record["gradients"].values():
        for key in ("torch_bf16_error", "torch_bf16_error_full"):
            g[key] = float("%.3g" % g[key])
    record["torch_bf16_loss_error"] = float("%.3g" % loss_error)
    return record


def main():
    args = parity.fixture_arguments(__doc__, DEFAULT_OUTPUT_DIR, CASES)
    os.makedirs(args.output_dir, exist_ok=True)
    for case in args.cases:
        start = time.time()
        record = measure(case, CASES[case])
        path = os.path.join(args.output_dir, case + ".json")
        pytorch_parity.write_atomic(path, pytorch_parity.render(record))
        worst32 = max(r["torch_float32_error"] for r in record["gradients"].values())
        worst16 = max(r["torch_bf16_error"] for r in record["gradients"].values())
        print("%-12s loss %.6f  torch float32: worst gradient %.2g  torch bf16: loss %.2g, worst gradient %.2g  %.1fs"
              % (case, record["loss"], worst32, record["torch_bf16_loss_error"], worst16, time.time() - start),
              flush=True)


if __name__ == "__main__":
    main()
