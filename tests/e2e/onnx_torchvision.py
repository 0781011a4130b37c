#!/usr/bin/python3
"""torchvision models exported by torch.onnx.export run in `cnnzoo run FILE.onnx` with PyTorch's outputs.

Usage: onnx_torchvision.py CNNZOO_BINARY [CASE ...]

Each case exports a model with random weights (fixed seed) in eval mode, runs a fixed random input through
PyTorch and through cnnzoo, and asserts that the largest difference is at most 1e-4 of the range of
PyTorch's outputs. The cases cover the exporters' patterns: batch norm folded into convolutions (opset 13),
batch norm kept (training=TrainingMode.PRESERVE is not eval; so export_params with do_constant_folding
off), initializers listed as graph inputs (opset 9, keep_initializers_as_inputs), ceil-mode pooling,
Clip (ReLU6), and x.view(x.size(0), -1), which exports as Shape, Gather, Unsqueeze, Concat and Reshape.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

torch.set_num_threads(2)


class ViewFlattenNet(torch.nn.Module):
    """A small net whose flatten is x.view(x.size(0), -1), with ceil-mode and padded average pooling, Sigmoid
    and Softmax. (torch.onnx writes LocalResponseNorm as a decomposition, not LRN: the backend cases and the
    export round trip cover LRN.)"""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 5, stride=2, padding=2)
        self.pool = torch.nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.avg = torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.fc = torch.nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.avg(torch.sigmoid(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return torch.softmax(self.fc(x), dim=1)


def torchvision_model(name, **kwargs):
    return lambda: getattr(torchvision.models, name)(**kwargs)


# name: (constructor, input shape, export keyword arguments)
CASES = {
    "resnet18": (torchvision_model("resnet18"), (2, 3, 224, 224), {"opset_version": 13}),
    "resnet50": (torchvision_model("resnet50"), (1, 3, 224, 224), {"opset_version": 13}),
    "googlenet": (torchvision_model("googlenet", aux_logits=False, init_weights=False), (1, 3, 224, 224),
                  {"opset_version": 13}),
    "densenet121": (torchvision_model("densenet121"), (1, 3, 224, 224), {"opset_version": 13}),
    "alexnet": (torchvision_model("alexnet"), (1, 3, 224, 224), {"opset_version": 11}),
    "vgg11_bn": (torchvision_model("vgg11_bn"), (1, 3, 224, 224),
                 {"opset_version": 9, "keep_initializers_as_inputs": True}),
    "vgg11_bn_unfolded": (torchvision_model("vgg11_bn"), (1, 3, 224, 224),
                          {"opset_version": 13, "do_constant_folding": False,
                           "training": torch.onnx.TrainingMode.PRESERVE}),
    "squeezenet1_0": (torchvision_model("squeezenet1_0"), (1, 3, 224, 224), {"opset_version": 17}),
    "mobilenet_v2": (torchvision_model("mobilenet_v2"), (1, 3, 224, 224), {"opset_version": 13}),
    # A symbolic batch: the flatten's shape is computed by the graph (Shape, Gather, Unsqueeze, Concat).
    "view_flatten_net": (ViewFlattenNet, (2, 3, 64, 64),
                         {"opset_version": 13, "dynamic_axes": {"image": {0: "batch"}, "logits": {0: "batch"}}}),
}


def randomize(model):
    """Weights that keep activations of order one, and batch norm statistics far from the identity, so that
    every model's outputs spread and folding batch norm is exercised."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    module.bias.uniform_(-0.1, 0.1)
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    return model


def op_types(path):
    import onnx
    return sorted({node.op_type for node in onnx.load(path).graph.node})


def run_case(binary, name, folder):
    make, shape, export_args = CASES[name]
    torch.manual_seed(0)
    model = randomize(make()).eval()
    x = torch.from_numpy(np.random.default_rng(1).standard_normal(shape, dtype=np.float32))
    with torch.no_grad():
        want = model(x).numpy()
    path = os.path.join(folder, name + ".onnx")
    torch.onnx.export(model, x, path, input_names=["image"], output_names=["logits"], **export_args)
    np.save(os.path.join(folder, "x.npy"), x.numpy())
    out = os.path.join(folder, "y.npy")
    subprocess.run([binary, "run", path, "--input", os.path.join(folder, "x.npy"), "--output", out, "--threads",
                    "2"], check=True)
    got = np.load(out)
    assert got.shape == want.shape, f"{name}: shape {got.shape}, PyTorch {want.shape}"
    span = float(want.max() - want.min())
    worst = float(np.abs(got - want).max())
    print(f"{name} {export_args}, ops {' '.join(op_types(path))}: max |cnnzoo - PyTorch| = {worst:.3g}, "
          f"{worst / span:.3g} of the range {span:.3g}")
    return worst <= 1e-4 * span


def main():
    binary = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            if not run_case(binary, name, folder):
                failed.append(name)
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    print(f"all {len(names)} models match PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
