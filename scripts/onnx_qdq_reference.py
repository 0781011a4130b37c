#!/usr/bin/python3
"""Evaluate an ONNX model as its operators' specifications say, in float64, without cnnzoo: the independent
check of `cnnzoo export --precision int8` (QuantizeLinear / DequantizeLinear around float operators).

ONNX Runtime and onnx.reference are not packaged in Debian 12 (python3-onnx is 1.12), so this script walks the
graph itself with numpy and torch's float64 functional operators, for the operators cnnzoo's exporter writes
for the zoo's CNNs: Conv, Gemm, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, Add, Sum,
Concat, Flatten, Reshape, Pad, Mul, Sigmoid, Identity, Softmax, QuantizeLinear and DequantizeLinear (opset 13:
rounding half to even, saturation to the zero point's type, per-axis scales). Any other operator is refused.
onnx.checker validates the model first (with shape inference).

    /usr/bin/python3 scripts/onnx_qdq_reference.py MODEL.onnx INPUT.npy OUTPUT.npy

writes the first graph output for INPUT (float32, the graph's input shape) to OUTPUT (float32).
"""

import argparse
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

INT_RANGES = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127), np.dtype(np.int32): (-2**31, 2**31 - 1)}


def attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def per_axis(param, x, axis):
    """A scale or zero point shaped to broadcast along `axis` of x (a scalar as it is)."""
    if np.ndim(param) == 0:
        return param
    shape = [1] * x.ndim
    shape[axis] = -1
    return np.reshape(param, shape)


def quantize(x, scale, zero_point, axis=1):
    lo, hi = INT_RANGES[zero_point.dtype]
    y = np.rint(x / per_axis(scale.astype(np.float64), x, axis)) + per_axis(zero_point.astype(np.float64), x, axis)
    return np.clip(y, lo, hi).astype(zero_point.dtype)  # np.rint rounds half to even, as the spec says


def dequantize(q, scale, zero_point=None, axis=1):
    zp = 0.0 if zero_point is None else per_axis(zero_point.astype(np.float64), q, axis)
    return (q.astype(np.float64) - zp) * per_axis(scale.astype(np.float64), q, axis)


def t(x):
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))


def conv(x, w, b=None, kernel_shape=None, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    top, left, bottom, right = pads
    padded = F.pad(t(x), (left, right, top, bottom))
    y = F.conv2d(padded, t(w), None if b is None else t(b), stride=tuple(strides), dilation=tuple(dilations),
                 groups=group)
    return y.numpy()


def pool(x, kind, kernel_shape, strides=(1, 1), pads=(0, 0, 0, 0), ceil_mode=0, count_include_pad=0):
    top, left, bottom, right = pads
    if kind == "max":
        padded = F.pad(t(x), (left, right, top, bottom), value=-np.inf)
        return F.max_pool2d(padded, tuple(kernel_shape), tuple(strides), ceil_mode=bool(ceil_mode)).numpy()
    # Average: the divisor counts the elements of each window inside the input, and the padding too with
    # count_include_pad; never the overhang of a ceil-mode window past the padded input.
    padded = F.pad(t(x), (left, right, top, bottom))
    counted = F.pad(torch.ones_like(t(x)), (left, right, top, bottom), value=float(count_include_pad))
    window = dict(kernel_size=tuple(kernel_shape), stride=tuple(strides), ceil_mode=bool(ceil_mode), divisor_override=1)
    return (F.avg_pool2d(padded, **window) / F.avg_pool2d(counted, **window)).numpy()


def run_node(node, inputs):
    a = attributes(node)
    op = node.op_type
    if op == "QuantizeLinear":
        return quantize(inputs[0], inputs[1], inputs[2], a.get("axis", 1))
    if op == "DequantizeLinear":
        return dequantize(inputs[0], inputs[1], inputs[2] if len(inputs) > 2 else None, a.get("axis", 1))
    if op == "Conv":
        return conv(*inputs, **{k: v for k, v in a.items() if k != "kernel_shape"})
    if op == "Gemm":
        x, w = inputs[0], inputs[1]
        y = x @ (w.T if a.get("transB", 0) else w) * a.get("alpha", 1.0)
        return y + a.get("beta", 1.0) * inputs[2] if len(inputs) > 2 else y
    if op == "BatchNormalization":
        x, g, b, m, v = inputs
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + a.get("epsilon", 1e-5)) * g.reshape(shape) + \
            b.reshape(shape)
    if op == "Relu":
        return np.maximum(inputs[0], 0)
    if op == "Sigmoid":
        return 1 / (1 + np.exp(-inputs[0]))
    if op == "MaxPool":
        return pool(inputs[0], "max", **a)
    if op == "AveragePool":
        return pool(inputs[0], "avg", **a)
    if op == "GlobalAveragePool":
        return inputs[0].mean(axis=(2, 3), keepdims=True)
    if op in ("Add", "Sum"):
        return sum(inputs[1:], inputs[0])
    if op == "Mul":
        return inputs[0] * inputs[1]
    if op == "Concat":
        return np.concatenate(inputs, axis=a["axis"])
    if op == "Flatten":
        axis = a.get("axis", 1)
        return inputs[0].reshape(int(np.prod(inputs[0].shape[:axis])), -1)
    if op == "Reshape":
        return inputs[0].reshape([d if d != 0 else inputs[0].shape[i] for i, d in enumerate(inputs[1])])
    if op == "Pad":
        widths = np.reshape(inputs[1], (2, -1)).T
        return np.pad(inputs[0], widths, constant_values=inputs[2] if len(inputs) > 2 else 0)
    if op == "Identity":
        return inputs[0]
    if op == "Softmax":
        e = np.exp(inputs[0] - inputs[0].max(axis=a.get("axis", -1), keepdims=True))
        return e / e.sum(axis=a.get("axis", -1), keepdims=True)
    sys.exit(f"onnx_qdq_reference: operator {op} (node {node.name}) is not evaluated here")


def evaluate(model, x):
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    values[model.graph.input[0].name] = x.astype(np.float64)
    for node in model.graph.node:
        out = run_node(node, [values[name] for name in node.input])
        values[node.output[0]] = out
    return values[model.graph.output[0].name]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args()
    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    y = evaluate(model, np.load(args.input))
    np.save(args.output, y.astype(np.float32))
    counts = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    print(f"{args.model}: {len(model.graph.node)} nodes ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); "
          f"output {list(y.shape)} written to {args.output}")


if __name__ == "__main__":
    main()
