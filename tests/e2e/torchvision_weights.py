#!/usr/bin/python3
"""End to end: a torchvision model's state_dict, saved as safetensors, runs in `cnnzoo run` and gives
PyTorch's logits.

For each model: torchvision's own initialisation (torch.manual_seed), batch-norm running statistics
randomised (so eval mode is not the identity), the state_dict written as safetensors exactly as
safetensors.torch.save_file lays it out, an input as .npy; then `cnnzoo run MODEL --weights ... --input
... --output ...` and the logits compared with PyTorch's eval-mode output: the largest difference must be
within 1e-4 of the logits' range. Run by CTest (needs Debian's python3-torch and python3-torchvision):

    /usr/bin/python3 tests/e2e/torchvision_weights.py build/cnnzoo resnet18 googlenet densenet121
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from make_io_fixtures import save_safetensors  # noqa: E402


def build(name):
    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2, generator=generator)
            module.running_var.uniform_(0.5, 1.5, generator=generator)
            module.weight.data.uniform_(0.5, 1.5, generator=generator)
            module.bias.data.uniform_(-0.2, 0.2, generator=generator)
    return model


def check(binary, name, folder):
    model = build(name)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        expected = model(x).numpy()
    weights = os.path.join(folder, name + ".safetensors")
    save_safetensors(weights, model.state_dict(), {"format": "pt"})
    np.save(os.path.join(folder, "x.npy"), x.numpy())
    out = os.path.join(folder, "y.npy")
    command = f"{binary} run {name} --weights {weights} --input {folder}/x.npy --output {out}"
    if os.system(command) != 0:
        print(f"{name}: FAILED: {command}")
        return False
    ours = np.load(out)
    error = float(np.abs(ours - expected).max())
    span = float(expected.max() - expected.min())
    ok = ours.shape == expected.shape and error <= 1e-4 * span
    print(f"{name}: max |cnnzoo - torch| = {error:.3g}, {error / span:.3g} of the range {span:.3g}: "
          f"{'ok' if ok else 'FAILED'}")
    return ok


def main():
    binary, names = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        results = [check(binary, name, folder) for name in names]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
