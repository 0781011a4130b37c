#!/usr/bin/python3
"""The Python twin of cnnzoo's deterministic generator (include/cnnzoo/init.h).

A tensor's values depend only on its state_dict name, a seed and the element index, so this script
rebuilds bit for bit the uniform weights the C++ side makes, with no weights committed:

    key(name, S) = fnv1a64(name) XOR splitmix64(S)
    u(key, i)    = (splitmix64(key + i) >> 40) * 2**-24          (24 bits, in [0, 1))
    uniform      = float32(low + (high - low) * u)                (float64 arithmetic)
    normal       = Box-Muller: sqrt(-2 ln(1 - u(key, 2i))) * cos(2 pi u(key, 2i + 1))

All integer arithmetic is modulo 2**64 (numpy uint64 wraps around, as intended). Uniforms match the
C++ side exactly; normals to about 1 ulp of float32 (libm and numpy may round log/cos differently).

    /usr/bin/python3 scripts/cnnzoo_rng.py     # self-check: prints the values tests/init/test_rng.cpp pins

Use test_state_dict(model, seed) to fill a torchvision model the way cnnzoo::test_parameters fills
the same graph, then model.load_state_dict(...) and compare outputs.
"""
import math

import numpy as np

_U64 = np.uint64
_MASK = (1 << 64) - 1


def fnv1a64(name):
    """FNV-1a over the UTF-8 bytes of name (Python ints, so no overflow games)."""
    h = 0xCBF29CE484222325
    for c in name.encode("utf-8"):
        h = ((h ^ c) * 0x100000001B3) & _MASK
    return h


def splitmix64(x):
    """The splitmix64 finaliser, elementwise on a uint64 array (or a Python int, returning an int)."""
    scalar = not isinstance(x, np.ndarray)
    z = np.asarray(x, dtype=_U64) if not scalar else np.array([x & _MASK], dtype=_U64)
    with np.errstate(over="ignore"):
        z = z + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
        z = z ^ (z >> _U64(31))
    return int(z[0]) if scalar else z


def stream_key(name, seed):
    return fnv1a64(name) ^ splitmix64(seed)


def unit_uniforms(key, indices):
    """u(key, i) for each i of the uint64 array indices, as float64."""
    with np.errstate(over="ignore"):
        bits = splitmix64(np.asarray(indices, dtype=_U64) + _U64(key)) >> _U64(40)
    return bits.astype(np.float64) * 2.0**-24


def unit_uniform(key, index):
    return float(unit_uniforms(key, np.array([index], dtype=_U64))[0])


def uniform(key, count, low, high):
    """float32 array: low + (high - low) * u(key, i) for i < count."""
    u = unit_uniforms(key, np.arange(count, dtype=_U64))
    return (low + (high - low) * u).astype(np.float32)


def standard_normals(key, count):
    """float64 array of Box-Muller normals from draws 2i and 2i + 1."""
    i = np.arange(count, dtype=_U64)
    u1 = unit_uniforms(key, _U64(2) * i)
    u2 = unit_uniforms(key, _U64(2) * i + _U64(1))
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * math.pi * u2)


def test_uniform(name, shape, seed, low, high):
    """float32 array of shape, uniform in [low, high) from the stream of (name, seed)."""
    count = int(np.prod(shape, dtype=np.int64))
    return uniform(stream_key(name, seed), count, low, high).reshape(shape)


def _test_range(kind, suffix, shape):
    """(low, high) of test_parameters' rule for a parameter, or None for num_batches_tracked."""
    if kind == "layer":
        if suffix == "weight":
            fan_in = int(np.prod(shape[1:], dtype=np.int64))
            bound = math.sqrt(3.0 / fan_in)
            return -bound, bound
        if suffix == "bias":
            return -0.1, 0.1
    elif kind == "bn":
        ranges = {"weight": (0.5, 1.5), "bias": (-0.2, 0.2), "running_mean": (-0.2, 0.2), "running_var": (0.5, 1.5)}
        if suffix in ranges:
            return ranges[suffix]
        if suffix == "num_batches_tracked":
            return None
    raise ValueError(f"no test rule for a {kind} parameter '{suffix}'")


def test_state_dict(model, seed):
    """A state_dict for model filled as cnnzoo::test_parameters fills the same graph.

    Parameters are classified by their module's type (Conv2d and Linear, BatchNorm2d), as the C++
    side classifies them by node op; any other module holding state raises ValueError.
    """
    import torch
    from torch import nn

    values = {}
    for prefix, module in model.named_modules():
        own = list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False))
        if not own:
            continue
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            kind = "layer"
        elif isinstance(module, nn.BatchNorm2d):
            kind = "bn"
        else:
            raise ValueError(f"module '{prefix}' ({type(module).__name__}) holds state but has no test rule")
        for suffix, tensor in own:
            name = f"{prefix}.{suffix}" if prefix else suffix
            shape = tuple(tensor.shape)
            rng = _test_range(kind, suffix, shape)
            if rng is None:
                values[name] = torch.zeros(shape, dtype=torch.int64)
            else:
                values[name] = torch.from_numpy(test_uniform(name, shape, seed, *rng))
    state = model.state_dict()
    missing = [k for k in state if k not in values]
    if missing:
        raise ValueError(f"state_dict keys without a value: {missing[:5]}")
    return {k: values[k] for k in state}


def _self_check():
    # The triples tests/init/test_rng.cpp pins; change them together.
    print(f"fnv1a64('') = {fnv1a64(''):#018x}  fnv1a64('conv1.weight') = {fnv1a64('conv1.weight'):#018x}")
    print(f"splitmix64(0) = {splitmix64(0):#018x}  splitmix64(42) = {splitmix64(42):#018x}")
    for name, index, seed in [("conv1.weight", 0, 0), ("conv1.weight", 1, 0), ("conv1.weight", 0, 1),
                              ("fc.bias", 999, 42), ("features.0.weight", 123456789, 2**63 + 5)]:
        key = stream_key(name, seed)
        u = unit_uniform(key, index)
        print(f"u({name!r}, i={index}, seed={seed}) = {u!r} = {int(u * 2**24)} * 2^-24")
    w = test_uniform("layer1.0.conv1.weight", (4,), 7, -0.25, 0.75)
    print("test_uniform('layer1.0.conv1.weight', (4,), 7, -0.25, 0.75) =", ", ".join(f"{v:.9g}f" for v in w))
    z = standard_normals(stream_key("fc.weight", 3), 3)
    print("standard_normals(key('fc.weight', 3), 3) =", ", ".join(repr(float(v)) for v in z))
    u = uniform(stream_key("stats", 0), 100000, 0.0, 1.0).astype(np.float64)
    print(f"1e5 uniforms: mean {u.mean():.5f} (1/2), var {u.var():.5f} (1/12 = {1 / 12:.5f})")
    try:
        import torchvision
    except ImportError:
        return
    model = torchvision.models.resnet18()
    state = test_state_dict(model, 7)
    model.load_state_dict(state)
    for name, index in [("conv1.weight", 0), ("conv1.weight", 1), ("bn1.running_var", 3), ("fc.bias", 5),
                        ("layer4.1.bn2.weight", 511)]:
        print(f"resnet18 test_state_dict(seed=7)[{name!r}].flatten()[{index}] = "
              f"{float(state[name].flatten()[index]):.9g}f")


if __name__ == "__main__":
    _self_check()
