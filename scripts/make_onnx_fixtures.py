#!/usr/bin/python3
"""Writes the ONNX test fixture in tests/data/onnx/ with torch.onnx.export (Debian's python3-torch).

Rerun from the repository root:

    /usr/bin/python3 scripts/make_onnx_fixtures.py

small_cnn.onnx is a small network in the exporters' idiom: batch norm kept (do_constant_folding off),
a symbolic batch so the flatten is computed by Shape, Gather, Unsqueeze and Concat before a Reshape,
a Gemm head and a softmax. input.npy is its input (batch 2) and output.npy PyTorch's output on it. The
import tests run it, and mutate the file byte by byte to show that corrupted files are refused cleanly.
small_cnn_weights_as_inputs.onnx is the same network with its weights as graph inputs (write_weights_as_inputs).
"""
import os

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "onnx")


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.conv2(x)))
        return torch.softmax(self.fc(x.view(x.size(0), -1)), dim=1)


class EluCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.elu1 = nn.ELU(alpha=0.7)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.elu2 = nn.ELU()
        self.fc = nn.Linear(6 * 4 * 4, 5)

    def forward(self, x):
        x = self.pool(self.elu1(self.conv1(x)))
        x = self.pool(self.elu2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


def write_elu_cnn():
    torch.manual_seed(1)
    model = EluCnn().eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(OUT, "elu_cnn.onnx"), opset_version=13, input_names=["image"],
                      output_names=["logits"])
    np.save(os.path.join(OUT, "elu_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "elu_output.npy"), y.numpy())


def write_weights_as_inputs(model, x):
    """small_cnn_weights_as_inputs.onnx: the same network exported with export_params=False, as some exporters and
    ONNX's backend cases write a model: every weight and statistic is a graph input, given at run time from
    tests/data/onnx_small_cnn_weights/NAME.npy (the state_dict's tensors by name; a folder outside tests/data/onnx,
    whose files seed the ONNX fuzzer one by one). Its output on input.npy is output.npy."""
    torch.onnx.export(model, x, os.path.join(OUT, "small_cnn_weights_as_inputs.onnx"), opset_version=13,
                      do_constant_folding=False, export_params=False, training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["image"], output_names=["probabilities"])
    folder = os.path.join(OUT, "..", "onnx_small_cnn_weights")
    os.makedirs(folder, exist_ok=True)
    for name, tensor in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            np.save(os.path.join(folder, name + ".npy"), tensor.numpy())


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = SmallCnn()
    with torch.no_grad():
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 2.0)
        model.bn1.weight.uniform_(0.5, 1.5)
        model.bn1.bias.uniform_(-0.5, 0.5)
    model.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(OUT, "small_cnn.onnx"), opset_version=13, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}})
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    np.save(os.path.join(OUT, "output.npy"), y.numpy())
    write_weights_as_inputs(model, x)
    write_elu_cnn()


if __name__ == "__main__":
    main()
