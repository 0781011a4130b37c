#!/usr/bin/python3
"""Writes PyTorch's answers on inputs holding NaN and infinity to tests/data/non_finite/, the reference of
tests/engine/test_non_finite_pytorch.cpp and tests/cli/test_cli_non_finite_pytorch.cpp (issue 12: NaN and
Inf propagate as PyTorch propagates them).

Files (float32 .npy; NaN and infinities as they are):
- resnet20_nan_pixel.input.npy / .expected.npy: ResNet-20 (the CIFAR ResNet of cnnzoo, option-A
  shortcuts, written below with cnnzoo's parameter names) with the test weights of
  scripts/cnnzoo_rng.py (`test_state_dict(model, SEED)`, bit-identical to C++ `test_parameters(graph,
  SEED)`), on `test_uniform("input", [2, 3, 32, 32], SEED, -1, 1)` with one NaN pixel at [0, 1, 5, 7]; the
  logits, computed in float64 (rounded to float32 here).
- resnet20_all_nan.expected.npy, resnet20_all_inf.expected.npy, resnet20_all_neg_inf.expected.npy: the
  logits of an input that is all NaN, all +inf, all -inf (every one NaN).
- relu / maxpool / softmax: a one-node ONNX model (<op>.onnx, input "x", output "y", opset 13), its input
  <op>.input.npy (`test_uniform("x", [2, 4, 6, 6], SEED, -1, 1)` with NaN, +inf and -inf at the indices of
  POISON) and PyTorch's output <op>.expected.npy: torch.relu, max_pool2d(kernel 3, stride 2, padding 1),
  softmax over dim 1, in float32.
- masked_overflow.onnx / .input.npy / .expected_y.npy / .expected_z.npy: finite data that overflows inside
  and turns to NaN before a ReLU and a max pooling, neither of them an output (the NaN that oneDNN's
  max(x, 0) would drop): a = conv_b(conv_a(x)), y = conv_y(relu(a)), z = conv_z(maxpool 2x2 (a)), all 1x1
  convolutions; conv_a's weights [[10, 10], [-10, -10]] send a pixel of 3e38 in both channels to +inf and
  -inf, conv_b's [1, 1] adds them: inf - inf = NaN. PyTorch's y and z in float32.

Rerun from the repository root with Debian's python3-torch and python3-onnx (a few seconds):

    /usr/bin/python3 scripts/make_non_finite_fixtures.py

The run is deterministic. Generated with torch 1.13 / onnx 1.12.
"""

import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnnzoo_rng  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "non_finite")
SEED = 12  # also kSeed in the tests that read these files
RESNET_INPUT = (2, 3, 32, 32)
NAN_PIXEL = (0, 1, 5, 7)
OP_INPUT = (2, 4, 6, 6)
# Flat indices into OP_INPUT and what goes there: lone NaN, +inf and -inf, a NaN beside a +inf (in one pool
# window and one softmax row), a lone -inf in a softmax row and a row of -inf only, in both samples.
POISON = {
    0: float("nan"), 14: float("inf"), 21: float("-inf"), 50: float("nan"), 51: float("inf"), 100: float("-inf"),
    150: float("nan"), 180: float("inf"), 260: float("-inf"), 261: float("inf"),
    172: float("-inf"), 208: float("-inf"), 244: float("-inf"), 280: float("-inf"),
}


class BasicBlock(nn.Module):
    """conv-bn-relu-conv-bn, plus the input (subsampled by stride and zero-padded in channels, half
    before and half after, as cnnzoo's option-A shortcut), then relu."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.extra = planes - inplanes

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x[:, :, :: self.stride, :: self.stride]
        if self.extra:
            before = self.extra // 2
            shortcut = F.pad(shortcut, (0, 0, 0, 0, before, self.extra - before))
        return F.relu(y + shortcut)


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        inplanes = 16
        for stage, planes in enumerate((16, 32, 64)):
            blocks = []
            for i in range(3):
                blocks.append(BasicBlock(inplanes, planes, 2 if stage > 0 and i == 0 else 1))
                inplanes = planes
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def resnet20_fixtures():
    model = ResNet20()
    model.load_state_dict(cnnzoo_rng.test_state_dict(model, SEED), strict=True)
    model = model.eval().double()
    x = cnnzoo_rng.test_uniform("input", RESNET_INPUT, SEED, -1.0, 1.0)
    x[NAN_PIXEL] = np.nan
    save("resnet20_nan_pixel.input.npy", x)
    with torch.no_grad():
        save("resnet20_nan_pixel.expected.npy", model(torch.from_numpy(x).double()).numpy())
        for name, value in (("all_nan", np.nan), ("all_inf", np.inf), ("all_neg_inf", -np.inf)):
            logits = model(torch.full(RESNET_INPUT, value, dtype=torch.float64)).numpy()
            assert np.isnan(logits).all(), (name, logits)
            save(f"resnet20_{name}.expected.npy", logits)


def one_node_model(path, op_type, output_shape, **attributes):
    node = helper.make_node(op_type, ["x"], ["y"], name=op_type.lower(), **attributes)
    graph = helper.make_graph(
        [node], op_type.lower(),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(OP_INPUT))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(output_shape))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name=os.path.basename(__file__))
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def op_fixtures():
    x = cnnzoo_rng.test_uniform("x", OP_INPUT, SEED, -1.0, 1.0)
    flat = x.reshape(-1)
    for index, value in POISON.items():
        flat[index] = value
    t = torch.from_numpy(x)
    ops = {
        "relu": ("Relu", torch.relu(t), {}),
        "maxpool": ("MaxPool", F.max_pool2d(t, 3, 2, 1), {"kernel_shape": [3, 3], "strides": [2, 2],
                                                             "pads": [1, 1, 1, 1]}),
        "softmax": ("Softmax", torch.softmax(t, 1), {"axis": 1}),
    }
    for name, (op_type, y, attributes) in ops.items():
        one_node_model(os.path.join(OUT, f"{name}.onnx"), op_type, y.shape, **attributes)
        save(f"{name}.input.npy", x)
        save(f"{name}.expected.npy", y.numpy())
        print(f"{name}: {int(torch.isnan(y).sum())} NaN, {int(torch.isinf(y).sum())} Inf of {y.numel()}")


def masked_overflow_fixture():
    x = np.array([[[[3e38, 0.5], [-0.25, 1.0]], [[3e38, 2.0], [0.75, -1.5]]]], dtype=np.float32)  # 1x2x2x2
    weights = {
        "conv_a.weight": np.array([[10, 10], [-10, -10]], np.float32).reshape(2, 2, 1, 1),
        "conv_b.weight": np.ones((1, 2, 1, 1), np.float32),
        "conv_y.weight": np.full((1, 1, 1, 1), 2.0, np.float32),
        "conv_z.weight": np.full((1, 1, 1, 1), 3.0, np.float32),
    }
    w = {k: torch.from_numpy(v) for k, v in weights.items()}
    with torch.no_grad():
        a = F.conv2d(F.conv2d(torch.from_numpy(x), w["conv_a.weight"]), w["conv_b.weight"])
        y = F.conv2d(torch.relu(a), w["conv_y.weight"])
        z = F.conv2d(F.max_pool2d(a, 2), w["conv_z.weight"])
    assert torch.isnan(y).sum() == 1 and torch.isnan(z).all(), (y, z)
    nodes = [
        helper.make_node("Conv", ["x", "conv_a.weight"], ["a1"], name="conv_a"),
        helper.make_node("Conv", ["a1", "conv_b.weight"], ["a"], name="conv_b"),
        helper.make_node("Relu", ["a"], ["r"], name="relu"),
        helper.make_node("Conv", ["r", "conv_y.weight"], ["y"], name="conv_y"),
        helper.make_node("MaxPool", ["a"], ["m"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["m", "conv_z.weight"], ["z"], name="conv_z"),
    ]
    graph = helper.make_graph(
        nodes, "masked_overflow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape)),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, list(z.shape))],
        [onnx.numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name=os.path.basename(__file__))
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, "masked_overflow.onnx"))
    save("masked_overflow.input.npy", x)
    save("masked_overflow.expected_y.npy", y.numpy())
    save("masked_overflow.expected_z.npy", z.numpy())
    print(f"masked_overflow: y = {y.flatten().tolist()}, z = {z.flatten().tolist()}")


def main():
    os.makedirs(OUT, exist_ok=True)
    resnet20_fixtures()
    op_fixtures()
    masked_overflow_fixture()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
