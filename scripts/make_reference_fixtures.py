#!/usr/bin/python3
"""Writes tiny PyTorch fixtures for the reference-kernel tests (tests/backend/test_torch_fixtures.cpp).

Run with Debian's python3-torch: /usr/bin/python3 scripts/make_reference_fixtures.py
Each fixture is one JSON file under tests/data/ref/: the op's attributes, its inputs, the output-gradient
`dy`, and PyTorch's outputs and input gradients (computed in float64). The tests need no torch.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "ref"


def t(x):
    return {"shape": list(x.shape), "values": [float(v) for v in x.detach().reshape(-1).tolist()]}


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=True)


def run(name, attrs, inputs, fn, extra=None):
    y = fn(*inputs.values())
    dy = torch.randn_like(y)
    grads = torch.autograd.grad(y, list(inputs.values()), dy)
    doc = {"attrs": attrs, "inputs": {k: t(v) for k, v in inputs.items()}, "dy": t(dy), "y": t(y),
           "grads": {k: t(g) for k, g in zip(inputs, grads)}}
    doc.update(extra or {})
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    for include in (False, True):
        run(f"avgpool_ceil_pad1_include{int(include)}",
            {"kernel": 3, "stride": 2, "pad": 1, "ceil_mode": True, "count_include_pad": include},
            {"x": leaf(1, 2, 5, 7)},
            lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=include))
    run("maxpool_ceil_pad1", {"kernel": 3, "stride": 2, "pad": 1, "ceil_mode": True}, {"x": leaf(1, 2, 6, 6)},
        lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True))
    run("lrn_size5", {"size": 5, "alpha": 0.5, "beta": 0.75, "k": 2.0}, {"x": leaf(2, 7, 2, 3)},
        lambda x: F.local_response_norm(x, 5, alpha=0.5, beta=0.75, k=2.0))
    run("lrn_size4", {"size": 4, "alpha": 1.0, "beta": 0.6, "k": 1.0}, {"x": leaf(1, 6, 2, 2)},
        lambda x: F.local_response_norm(x, 4, alpha=1.0, beta=0.6, k=1.0))
    run("adaptive_avgpool_13_to_6", {"output": 6}, {"x": leaf(1, 2, 13, 13)},
        lambda x: F.adaptive_avg_pool2d(x, 6))
    run("conv_groups2_dilation2_stride2",
        {"out": 4, "kernel": 3, "stride": 2, "pad": 1, "dilation": 2, "groups": 2},
        {"x": leaf(2, 4, 7, 6), "w": leaf(4, 2, 3, 3), "b": leaf(4)},
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2))

    rm, rv = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    rm_in, rv_in = rm.clone(), rv.clone()
    run("batchnorm_train_step", {"eps": 1e-5, "momentum": 0.1},
        {"x": leaf(4, 3, 2, 2), "gamma": leaf(3), "beta": leaf(3)},
        lambda x, g, b: F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5),
        {"running_mean_in": t(rm_in), "running_var_in": t(rv_in)})
    # run() has updated rm, rv in place during the forward call.
    doc = json.loads((OUT / "batchnorm_train_step.json").read_text())
    doc["running_mean_out"], doc["running_var_out"] = t(rm), t(rv)
    (OUT / "batchnorm_train_step.json").write_text(json.dumps(doc, indent=1) + "\n")

    labels = torch.tensor([3, 0, 4])
    z = leaf(3, 5)
    loss = F.cross_entropy(z, labels, label_smoothing=0.1)
    (dz,) = torch.autograd.grad(loss, [z])
    (OUT / "cross_entropy_smooth0.1.json").write_text(json.dumps(
        {"logits": t(z), "labels": labels.tolist(), "label_smoothing": 0.1, "loss": float(loss),
         "dlogits": t(dz)}, indent=1) + "\n")

    # Both sides of zero, and a value near it where exp(x) - 1 loses digits unless computed as expm1.
    x = leaf(2, 3, 2, 2)
    with torch.no_grad():
        x[0, 0, 0, 0] = 1e-7
        x[0, 0, 0, 1] = -1e-7
    run("elu_alpha0.7", {"alpha": 0.7}, {"x": x}, lambda x: F.elu(x, alpha=0.7))


if __name__ == "__main__":
    main()
