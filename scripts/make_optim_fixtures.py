#!/usr/bin/python3
"""Writes tests/data/optim/updates.json: torch.optim (PyTorch 1.13) updates for tests/train/test_optimizer.cpp.

Rerun from the repository root with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/make_optim_fixtures.py

The model mirrors the test's graph: conv (2 -> 4 channels, 1x1, no bias), batch norm, linear (4 -> 3).
Its trainable parameters start from torch.manual_seed(0); three steps use fixed gradients and the
learning rates in LRS. Each case runs torch.optim with foreach=False (the single-tensor code the C++
side reproduces) and records the parameters after every step. "exempt" cases put the 1-D parameters
(batch-norm weight and bias, biases) in a parameter group with weight_decay 0.
"""
import json
import os

import torch

SHAPES = {  # state_dict order of the trainable parameters
    "conv.weight": (4, 2, 1, 1),
    "bn.weight": (4,),
    "bn.bias": (4,),
    "fc.weight": (3, 4),
    "fc.bias": (3,),
}
LRS = [0.1, 0.05, 0.02]
CASES = {
    "sgd_plain": dict(kind="sgd", momentum=0.0, nesterov=False, weight_decay=0.01, exempt=False),
    "sgd_momentum": dict(kind="sgd", momentum=0.9, nesterov=False, weight_decay=0.05, exempt=False),
    "sgd_nesterov": dict(kind="sgd", momentum=0.9, nesterov=True, weight_decay=0.05, exempt=False),
    "sgd_exempt": dict(kind="sgd", momentum=0.9, nesterov=False, weight_decay=0.05, exempt=True),
    "adam": dict(kind="adam", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, exempt=False),
    "adam_betas": dict(kind="adam", beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.0, exempt=False),
    "adamw": dict(kind="adamw", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, exempt=False),
    "adamw_exempt": dict(kind="adamw", beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1, exempt=True),
}


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    initial = {n: torch.randn(s) for n, s in SHAPES.items()}
    grads = [{n: torch.randn(s) for n, s in SHAPES.items()} for _ in LRS]

    out = {
        "torch": torch.__version__,
        "lrs": LRS,
        "shapes": {n: list(s) for n, s in SHAPES.items()},
        "initial": {n: values(t) for n, t in initial.items()},
        "grads": [{n: values(t) for n, t in g.items()} for g in grads],
        "cases": {},
    }
    for name, case in CASES.items():
        params = {n: torch.nn.Parameter(t.clone()) for n, t in initial.items()}
        wd = case["weight_decay"]
        if case["exempt"]:
            groups = [
                {"params": [p for n, p in params.items() if p.dim() != 1], "weight_decay": wd},
                {"params": [p for n, p in params.items() if p.dim() == 1], "weight_decay": 0.0},
            ]
        else:
            groups = [{"params": list(params.values()), "weight_decay": wd}]
        if case["kind"] == "sgd":
            opt = torch.optim.SGD(groups, lr=LRS[0], momentum=case["momentum"], nesterov=case["nesterov"],
                                  foreach=False)
        else:
            cls = torch.optim.Adam if case["kind"] == "adam" else torch.optim.AdamW
            opt = cls(groups, lr=LRS[0], betas=(case["beta1"], case["beta2"]), eps=case["eps"], foreach=False)
        steps = []
        for lr, g in zip(LRS, grads):
            for group in opt.param_groups:
                group["lr"] = lr
            for n, p in params.items():
                p.grad = g[n].clone()
            opt.step()
            steps.append({n: values(p) for n, p in params.items()})
        out["cases"][name] = {"options": case, "steps": steps}

    path = os.path.join("tests", "data", "optim", "updates.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
