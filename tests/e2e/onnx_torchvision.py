#!/usr/bin/python3
"""torchvision models exported by torch.onnx.export run in `cnnzoo run FILE.onnx` with PyTorch's outputs.

Usage: onnx_torchvision.py CNNZOO_BINARY [CASE ...]   (CASE: a name of CASES, or "small" or "224" for a group)

Each case exports a model with random weights (fixed seed) in eval mode, runs a fixed random input through
PyTorch and through cnnzoo, and asserts that the largest difference is at most 1e-4 of the range of
PyTorch's outputs. The cases cover the exporters' patterns: batch norm folded into convolutions (opset 13),
batch norm kept (training=TrainingMode.PRESERVE is not eval; so export_params with do_constant_folding
off), initializers listed as graph inputs (opset 9, keep_initializers_as_inputs), ceil-mode pooling,
Clip (ReLU6), and x.view(x.size(0), -1), which exports as Shape, Gather, Unsqueeze, Concat and Reshape. And a
loop over torchvision's CNN families (FAMILIES), each exported at opsets 13 and 17: small inputs in the default
suite, full size under the `long` label. ResampleNet covers PyTorch's interpolations (Resize) and dilated max pooling.
"""
import copy
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


class ResampleNet(torch.nn.Module):
    """Dilated max pooling and every interpolation torch.onnx writes as Resize (or Upsample, at opset 9): bilinear,
    bicubic and nearest, with and without align_corners, by scale factors and by sizes."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(3, stride=1, padding=1, dilation=2)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 4, 10)

    def forward(self, x):
        f = torch.nn.functional
        x = self.pool(torch.relu(self.conv1(x)))
        x = f.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        x = f.interpolate(x, size=(23, 29), mode="bicubic", align_corners=True)
        x = torch.relu(self.conv2(x))
        x = f.interpolate(x, scale_factor=0.5, mode="nearest")
        x = f.interpolate(x, size=(7, 9), mode="bicubic", align_corners=False)
        x = f.interpolate(x, size=(5, 6), mode="bilinear", align_corners=True)
        x = f.interpolate(x, size=(2, 2), mode="nearest")
        return self.fc(torch.flatten(x, 1))


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
    # Resize with the coordinate modes PyTorch's interpolation writes, and MaxPool's dilations.
    "resample_net": (ResampleNet, (2, 3, 20, 24), {"opset_version": 13}),
    "resample_net_11": (ResampleNet, (2, 3, 20, 24), {"opset_version": 11}),
}


# The exporters' patterns: what runs when no case is named.
PATTERNS = list(CASES)

# torchvision 0.14's CNN classifiers, one of each family (its transformers, ViT, Swin and MaxViT, are not CNNs), with
# the input side each runs at. AlexNet and VGG need 224 (their adaptive pooling to 6x6 and 7x7 must be an identity
# to export), Inception-v3 its 299.
FAMILIES = {
    "alexnet": 224, "vgg16_bn": 224, "resnet50": 224, "resnext50_32x4d": 224, "wide_resnet50_2": 224,
    "densenet121": 224, "googlenet": 224, "inception_v3": 299, "squeezenet1_0": 224, "mobilenet_v2": 224,
    "mobilenet_v3_large": 224, "mobilenet_v3_small": 224, "mnasnet1_0": 224, "shufflenet_v2_x1_0": 224,
    "efficientnet_b0": 224, "efficientnet_v2_s": 224, "regnet_x_400mf": 224, "regnet_y_400mf": 224,
    "convnext_tiny": 224,
}
# The families whose graphs need the ops beyond the zoo's own (HardSigmoid, HardSwish, ReduceMean, Transpose, Slice,
# Split, Sub, Div, Pow, Sqrt, Erf, LayerNormalization): the default suite runs these small at both opsets.
SMALL = {
    "mobilenet_v3_small": 96, "mnasnet0_5": 96, "shufflenet_v2_x0_5": 96, "squeezenet1_1": 96, "efficientnet_b0": 96,
    "regnet_y_400mf": 96, "convnext_tiny": 64, "inception_v3": 128, "efficientnet_v2_s": 64,
}
TORCHVISION_DEFAULTS = {"googlenet": {"aux_logits": False, "init_weights": False},
                        "inception_v3": {"aux_logits": False, "init_weights": False}}
for table, suffix in ((FAMILIES, "224"), (SMALL, "small")):
    for family, side in table.items():
        for opset in (13, 17):
            CASES[f"{family}_{suffix}_opset{opset}"] = (
                torchvision_model(family, **TORCHVISION_DEFAULTS.get(family, {})), (1, 3, side, side),
                {"opset_version": opset})


def randomize(model, weights=True):
    """Weights that keep activations of order one, and batch norm statistics far from the identity, so that
    every model's outputs spread and folding batch norm is exercised. With weights=False the convolutions and
    linear layers keep torchvision's own initialisation (the families' deep nets, EfficientNetV2's 40-odd blocks,
    grow their activations to 1e9 under the Kaiming weights, where float32 itself loses the output)."""
    with torch.no_grad():
        for module in model.modules():
            if weights and isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
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
    family = "_opset" in name
    model = randomize(make(), weights=not family).eval()
    x = torch.from_numpy(np.random.default_rng(1).standard_normal(shape, dtype=np.float32))
    with torch.no_grad():
        want = model(x).numpy()
        if family:
            # The comparison means something only where float32 keeps the output: PyTorch's own float32 and
            # float64 must agree far inside the tolerance.
            exact = copy.deepcopy(model).double()(x.double()).numpy()
            drift = float(np.abs(want - exact).max() / (exact.max() - exact.min()))
            assert drift <= 1e-5, f"{name}: ill-conditioned case, PyTorch float32 is {drift:.3g} of the range off float64"
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
    names = sys.argv[2:] or PATTERNS
    # Groups of cases by pattern: "small" (the default suite's families), "224" (every family at full size).
    groups = {"small": [n for n in CASES if "_small_opset" in n], "224": [n for n in CASES if "_224_opset" in n]}
    names = [case for name in names for case in groups.get(name, [name])]
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
