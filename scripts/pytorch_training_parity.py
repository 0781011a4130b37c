#!/usr/bin/python3
"""Generate tests/data/parity_training/<case>.json: one PyTorch training step of every torchvision
model of the zoo, the reference that tests/engine/test_pytorch_training_parity.cpp holds our
TrainingEngine to.

As scripts/pytorch_parity.py (whose model table, seed and writer this script reuses), no weights are
committed: the model gets cnnzoo_rng.test_state_dict(model, SEED), bit-identical to C++
test_parameters(graph, SEED), and the input is test_uniform("input", (2, 3, 112, 112), SEED, -1, 1);
112x112 keeps the C++ test fast and every model accepts it (adaptive pools). The labels are 3 and 7.

The step: model.train() with every nn.Dropout in eval mode (C++ TrainingOptions{.dropout = false}),
batch statistics in batch norm, F.cross_entropy (mean over the batch); for "googlenet_aux" (aux_logits
True) the loss is main + 0.3 * (aux1 + aux2), for "inception_v3_aux" (at 299x299, which its auxiliary head
needs) main + 0.4 * aux, as the C++ engine's aux_loss_weight. It runs in float64
(the exact answer, to about 1e-15) and FLOAT32_RUNS times in float32 from the same weights -- on the
input and on two copies moved by one float32 ulp -- to measure PyTorch's own float32 error, the
yardstick for ours: the worst of those runs, since which way a near-tie in a max pool or ReLU goes
is luck in float32 and a single run may be lucky (vgg19_bn: 3e-4 on the input, 1e-2 one ulp away).

Recorded, chosen by module order (deterministic): the gradients of the first convolution, the first
batch norm, the middle convolution (index len(convs) // 2) and the batch norm after it, the last
linear layer, and for googlenet_aux the heads' aux1.fc2 and aux2.fc2. A gradient of at most
FULL_LIMIT elements is stored whole; a larger one as SAMPLE elements at fixed indices
(numpy default_rng(SEED), sorted, stored) plus its full L2 norm. For each: "values" (float64, 9
significant digits), "scale" (the denominator of relative errors: the L2 norm of the recorded values;
for a gradient that vanishes in exact arithmetic -- a convolution's bias before batch norm -- 1e-3 of
the same layer's full weight-gradient norm instead), "torch_float32_error" (PyTorch float32's
relative L2 error over the recorded entries, worst of the runs) and "torch_float32_error_full" (over
the whole tensor). Also the loss (float64, and PyTorch float32's worst relative error) and the first
batch norm's running_mean/running_var after the step (PyTorch's momentum 0.1, unbiased variance).

Each file: {"case", "model", "torchvision_builder", "kwargs", "seed", "input", "input_rule", "labels",
"aux_loss_weight", "loss", "torch_float32_loss_error", "float32_runs", "gradients": {name: {"role",
"shape", "numel", "indices" (absent when whole), "values", "norm", "scale", "torch_float32_error",
"torch_float32_error_full"}}, "buffers": {name: {"values", "torch_float32_error"}}, "torch",
"torchvision", "command"}. Sorted keys, written
atomically; the run is deterministic.

Rerun from the repository root with Debian's python3-torch / python3-torchvision:

    /usr/bin/python3 scripts/pytorch_training_parity.py                  # every case, ~15 min on 2 cores
    /usr/bin/python3 scripts/pytorch_training_parity.py --cases resnet18 googlenet_aux

Generated with torch 1.13 / torchvision 0.14.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnnzoo_rng  # noqa: E402
import pytorch_parity  # noqa: E402
import torchvision_models  # noqa: E402

SCRIPT = "scripts/pytorch_training_parity.py"
DEFAULT_OUTPUT_DIR = "tests/data/parity_training"
SEED = pytorch_parity.SEED  # also kSeed in tests/engine/test_pytorch_training_parity.cpp
SIZE = 112
INPUT_SHAPE = (2, 3, SIZE, SIZE)
INPUT_RULE = 'test_uniform("input", [2, 3, %d, %d], seed, -1, 1)' % (SIZE, SIZE)
LABELS = [3, 7]
# The weight of each auxiliary loss, as the zoo's models train them: GoogLeNet's paper, TF-slim's for Inception-v3.
AUX_LOSS_WEIGHTS = {"googlenet": 0.3, "inception_v3": 0.4}
# Inception-v3's auxiliary head needs the 17x17 map of a 299x299 input.
CASE_SIZES = {"inception_v3_aux": 299}
FULL_LIMIT = 1024  # gradients up to this many elements are stored whole
SAMPLE = 256       # elements sampled from a larger one
FLOAT32_RUNS = 3   # PyTorch float32 steps: on the input and on two copies one ulp away

# Every zoo model under its own name, plus GoogLeNet with its auxiliary heads.
CASES = torchvision_models.MODELS


def input_shape(case):
    if case not in CASE_SIZES:
        return INPUT_SHAPE
    return (INPUT_SHAPE[0], 3, CASE_SIZES[case], CASE_SIZES[case])


def aux_loss_weight(case):
    builder, kwargs = CASES[case]
    return AUX_LOSS_WEIGHTS[builder] if kwargs.get("aux_logits") else 0.0


def build(case):
    model = torchvision_models.build(case)
    model.load_state_dict(cnnzoo_rng.test_state_dict(model, SEED), strict=True)
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.eval()
    return model


def chosen_modules(case, model):
    """(role, module name) of the layers whose gradients are recorded, in module order."""
    modules = list(model.named_modules())
    convs = [i for i, (_, m) in enumerate(modules) if isinstance(m, nn.Conv2d)]
    bns = [i for i, (_, m) in enumerate(modules) if isinstance(m, nn.BatchNorm2d)]
    linears = [i for i, (_, m) in enumerate(modules) if isinstance(m, nn.Linear)]
    middle = convs[len(convs) // 2]
    chosen = [("first_conv", modules[convs[0]][0])]
    if bns:
        chosen.append(("first_bn", modules[bns[0]][0]))
    chosen.append(("middle_conv", modules[middle][0]))
    after = [i for i in bns if i > middle]
    if after:
        chosen.append(("middle_bn", modules[after[0]][0]))
    chosen.append(("last_linear", modules[linears[-1]][0]))
    if case == "googlenet_aux":
        chosen += [("aux1_fc2", "aux1.fc2"), ("aux2_fc2", "aux2.fc2")]
    if case == "inception_v3_aux":
        chosen += [("aux_fc", "AuxLogits.fc")]
    return chosen


def step(model, x, dtype, aux_weight):
    """Loss and named gradients of one step in dtype, and the model's buffers after it."""
    model = model.to(dtype)
    model.zero_grad(set_to_none=True)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    out = model(x.to(dtype))
    # GoogLeNetOutputs(logits, aux_logits2, aux_logits1), InceptionOutputs(logits, aux_logits)
    if isinstance(out, tuple):
        loss = F.cross_entropy(out[0], labels) + aux_weight * sum(F.cross_entropy(o, labels) for o in out[1:])
    else:
        loss = F.cross_entropy(out, labels)
    loss.backward()
    grads = {n: p.grad.detach().double().clone() for n, p in model.named_parameters()}
    buffers = {n: b.detach().double().clone() for n, b in model.named_buffers()}
    return float(loss), grads, buffers


def rel_l2(a, b, scale):
    return float(np.linalg.norm(a - b) / scale)


def perturbed_inputs(x):
    """x, then FLOAT32_RUNS - 1 copies with every element moved by one float32 ulp, up or down at random."""
    inputs = [x]
    for run in range(1, FLOAT32_RUNS):
        signs = np.random.default_rng(SEED + run).choice([-1.0, 1.0], size=tuple(x.shape))
        towards = (x.numpy() + signs).astype(np.float32)
        inputs.append(torch.from_numpy(np.nextafter(x.numpy(), towards)))
    return inputs


def measure(case):
    shape = input_shape(case)
    x = torch.from_numpy(cnnzoo_rng.test_uniform("input", shape, SEED, -1.0, 1.0))
    model = build(case)
    chosen = chosen_modules(case, model)
    loss64, grads64, buffers64 = step(model, x, torch.float64, aux_loss_weight(case))
    del model

    gradients = {}
    for role, module in chosen:
        weight_norm = None
        for suffix in ("weight", "bias"):
            name = module + "." + suffix
            if name not in grads64:
                continue
            g64 = grads64[name].numpy().reshape(-1)
            record = {"role": role, "shape": list(grads64[name].shape), "numel": int(g64.size)}
            if g64.size > FULL_LIMIT:
                rng = np.random.default_rng(SEED)
                indices = np.sort(rng.choice(g64.size, SAMPLE, replace=False))
                record["indices"] = [int(i) for i in indices]
            else:
                indices = np.arange(g64.size)
            norm = float(np.linalg.norm(g64[indices]))
            full_norm = float(np.linalg.norm(g64))
            scale = full_scale = norm
            if suffix == "weight":
                weight_norm = full_norm
                full_scale = full_norm
            elif full_norm <= 1e-9 * weight_norm:  # zero in exact arithmetic: bias before batch norm
                assert "indices" not in record
                scale = full_scale = 1e-3 * weight_norm
            else:
                full_scale = full_norm
            record.update({"values": [float("%.9g" % v) for v in g64[indices]], "norm": full_norm,
                           "scale": scale, "torch_float32_error": 0.0, "torch_float32_error_full": 0.0})
            gradients[name] = (record, indices, full_scale)

    buffers = {}
    first_bn = dict(chosen).get("first_bn")
    if first_bn:
        assert int(buffers64[first_bn + ".num_batches_tracked"]) == 1
        for suffix in ("running_mean", "running_var"):
            name = first_bn + "." + suffix
            buffers[name] = {"values": [float("%.9g" % v) for v in buffers64[name].numpy()],
                             "torch_float32_error": 0.0}

    # PyTorch's float32 error: the worst of FLOAT32_RUNS steps, on x and on x moved by one ulp. Which
    # side of a near-tie a max pool or a ReLU takes is luck in float32, and one such flip changes
    # gradients by up to 1e-2 (vgg19_bn: 3e-4 on x, 9e-3 to 1.2e-2 one ulp away), so a single run
    # understates how far a float32 step may land.
    loss_error = 0.0
    for x32 in perturbed_inputs(x):
        loss32, grads32, buffers32 = step(build(case), x32, torch.float32, aux_loss_weight(case))
        loss_error = max(loss_error, abs(loss32 - loss64) / abs(loss64))
        for name, (record, indices, full_scale) in gradients.items():
            g64, g32 = grads64[name].numpy().reshape(-1), grads32[name].numpy().reshape(-1)
            record["torch_float32_error"] = max(record["torch_float32_error"],
                                                rel_l2(g32[indices], g64[indices], record["scale"]))
            record["torch_float32_error_full"] = max(record["torch_float32_error_full"],
                                                     rel_l2(g32, g64, full_scale))
        for name, record in buffers.items():
            b64, b32 = buffers64[name].numpy(), buffers32[name].numpy()
            record["torch_float32_error"] = max(record["torch_float32_error"],
                                                float(np.abs(b32 - b64).max() / np.abs(b64).max()))
        del grads32, buffers32
    gradients = {name: record for name, (record, _, _) in gradients.items()}
    for record in list(gradients.values()) + list(buffers.values()):
        for key in ("torch_float32_error", "torch_float32_error_full"):
            if key in record:
                record[key] = float("%.3g" % record[key])

    builder, kwargs = CASES[case]
    return {
        "case": case,
        "model": builder,
        "torchvision_builder": builder,
        "kwargs": kwargs,
        "seed": SEED,
        "input": list(shape),
        "input_rule": INPUT_RULE if shape == INPUT_SHAPE else INPUT_RULE.replace(str(SIZE), str(shape[2])),
        "labels": LABELS,
        "aux_loss_weight": aux_loss_weight(case),
        "loss": loss64,
        "torch_float32_loss_error": float("%.3g" % loss_error),
        "float32_runs": FLOAT32_RUNS,
        "gradients": gradients,
        "buffers": buffers,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "command": "/usr/bin/python3 %s" % SCRIPT,
    }


def fixture_arguments(doc, output_dir, cases):
    """The command line of a fixture script (--output-dir, --cases, --threads), torch's threads set from it."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--output-dir", default=output_dir)
    parser.add_argument("--cases", nargs="*", default=list(cases), choices=list(cases))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args


def main():
    args = fixture_arguments(__doc__, DEFAULT_OUTPUT_DIR, CASES)
    for case in args.cases:
        start = time.time()
        record = measure(case)
        path = os.path.join(args.output_dir, case + ".json")
        pytorch_parity.write_atomic(path, pytorch_parity.render(record))
        worst = max(r["torch_float32_error"] for r in record["gradients"].values())
        print("%-18s loss %.6f  torch float32: loss %.2g, worst gradient %.2g  %.1fs"
              % (case, record["loss"], record["torch_float32_loss_error"], worst, time.time() - start),
              flush=True)


if __name__ == "__main__":
    main()
