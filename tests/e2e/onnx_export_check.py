#!/usr/bin/python3
"""End to end: `cnnzoo export` writes ONNX models that ONNX accepts and that another runtime runs to
cnnzoo's logits.

For each model (a name, or a name and model flags in one argument: "inception_v3 --transform-input"):
`cnnzoo export MODEL --seed 1 --batch 2`, then
  - onnx.checker.check_model(full_check=True);
  - onnx's shape inference gives every node's output the shape `cnnzoo summary --all-nodes` reports;
  - the model's own initialisation leaves some logits nearly independent of the input (GoogLeNet's
    N(0, 0.01) weights), so its initializers are refilled as cnnzoo::test_parameters fills them (scripts/
    cnnzoo_rng.py, activations of order one at any depth), saved as safetensors and exported again with
    --weights; a fixed random input through `cnnzoo run MODEL --weights` and through OpenCV DNN
    (cv2.dnn.readNetFromONNX) must agree within 1e-4 of the logits' range.
Run by CTest (needs Debian's python3-onnx and python3-opencv):

    /usr/bin/python3 tests/e2e/onnx_export_check.py build/cnnzoo resnet18 googlenet alexnet_paper
"""
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx
import torch
from onnx import numpy_helper, shape_inference

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from cnnzoo_rng import _test_range, test_uniform  # noqa: E402
from make_io_fixtures import save_safetensors  # noqa: E402

BATCH = 2


def cnnzoo(binary, *args):
    return subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout


def expected_shapes(binary, name, flags):
    """cnnzoo's output shape of every node, batch included, and the model's input C, H, W."""
    summary = json.loads(cnnzoo(binary, "summary", name, *flags, "--all-nodes", "--batch", str(BATCH), "--format",
                                "json"))
    return {row["name"]: [BATCH] + row["output"] for row in summary["layers"]}, summary["input"]


def inferred_shapes(model):
    """Every value's shape as onnx's shape inference finds it, the declared output shapes left out."""
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")
    inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    values = list(inferred.graph.value_info) + list(inferred.graph.output)
    return {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}


def save_test_weights(model, path):
    """The model's parameters filled by test_parameters' rule (seed 0), BN's num_batches_tracked included."""
    kinds = {"Conv": "layer", "Gemm": "layer", "BatchNormalization": "bn"}
    users = {i: kinds[node.op_type] for node in model.graph.node if node.op_type in kinds for i in node.input[1:]}
    tensors = {}
    for init in model.graph.initializer:
        if init.name not in users:  # an operand of ours, not a parameter (Pad's pads)
            continue
        prefix, suffix = init.name.rsplit(".", 1)
        shape = tuple(numpy_helper.to_array(init).shape)
        low, high = _test_range(users[init.name], suffix, shape)
        tensors[init.name] = torch.from_numpy(test_uniform(init.name, shape, 0, low, high))
        if users[init.name] == "bn" and suffix == "weight":
            tensors[prefix + ".num_batches_tracked"] = torch.zeros((), dtype=torch.int64)
    save_safetensors(path, tensors, {"format": "pt"})


def check(binary, spec, folder):
    name, *flags = spec.split()
    path = os.path.join(folder, name + ".onnx")
    print(cnnzoo(binary, "export", name, *flags, "--seed", "1", "--batch", str(BATCH), "--output", path).strip())
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)

    expected, chw = expected_shapes(binary, name, flags)
    inferred = inferred_shapes(model)
    # A helper node the exporter adds before the one that carries a cnnzoo node's output is named after that node:
    # NODE.pad (the zero Pad before a pool that counts its padding), NODE.mul (a channel affine map's Mul before its
    # Add). Every other ONNX node is a cnnzoo node.
    helpers = {"Pad": "pad", "Mul": "mul"}
    outputs = {node.output[0]: node.name for node in model.graph.node
               if not (node.op_type in helpers and node.name.rsplit(".", 1)[-1] == helpers[node.op_type]
                       and node.name.rsplit(".", 1)[0] in expected)}
    wrong = [f"{node}: onnx {inferred.get(value)}, cnnzoo {expected.get(node)}" for value, node in outputs.items()
             if inferred.get(value) != expected.get(node)]

    weights = os.path.join(folder, name + ".safetensors")
    save_test_weights(model, weights)
    cnnzoo(binary, "export", name, *flags, "--weights", weights, "--batch", str(BATCH), "--output", path)
    x = np.random.default_rng(2).uniform(-1, 1, (BATCH, *chw)).astype(np.float32)
    np.save(os.path.join(folder, "x.npy"), x)
    cnnzoo(binary, "run", name, *flags, "--weights", weights, "--input", os.path.join(folder, "x.npy"), "--output",
           os.path.join(folder, "y.npy"))
    ours = np.load(os.path.join(folder, "y.npy"))
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    theirs = net.forward()

    error = float(np.abs(ours - theirs).max())
    span = float(ours.max() - ours.min())
    ok = not wrong and ours.shape == theirs.shape and error <= 1e-4 * span
    print(f"{spec}: checker ok, {len(outputs)} node shapes {'equal' if not wrong else 'DIFFER'}; "
          f"max |cnnzoo - opencv| = {error:.3g}, {error / span:.3g} of the range {span:.3g}: "
          f"{'ok' if ok else 'FAILED'}")
    for line in wrong[:10]:
        print("  " + line)
    return ok


def main():
    binary, names = sys.argv[1], sys.argv[2:]
    cv2.setNumThreads(2)
    with tempfile.TemporaryDirectory() as folder:
        results = [check(binary, name, folder) for name in names]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
