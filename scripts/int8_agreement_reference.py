#!/usr/bin/python3
"""PyTorch's int8 top-1 agreement with fp32 on the construction of tests/engine/test_int8.cpp's
TorchvisionResNet18AgreesWithFp32OnAThousandRandomInputs: torchvision's resnet18 at 3x64x64 with its own
initialisation, batch norm's running statistics calibrated by 40 training-mode passes over 50 random "blocky"
images (a random 4x4 pattern per channel in 16x16 cells plus uniform noise of +-0.25), FX post-training static
quantization (the best backend this torch has, its default qconfig) calibrated on 4 batches of 50 more, and the
agreement counted on 20 batches of 50 others. PyTorch's random numbers are not cnnzoo's, so the figure is that of
the same construction, not of the same images. Run: /usr/bin/python3 scripts/int8_agreement_reference.py"""
import copy

import torch
import torchvision
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx


def blocky(n):
    coarse = torch.rand(n, 3, 4, 4) * 2 - 1
    return coarse.repeat_interleave(16, 2).repeat_interleave(16, 3) + (torch.rand(n, 3, 64, 64) * 0.5 - 0.25)


def main():
    torch.manual_seed(5)
    torch.set_num_threads(2)
    model = torchvision.models.resnet18()
    model.train()
    with torch.no_grad():
        for _ in range(40):
            model(blocky(50))
    model.eval()
    backend = next(b for b in ("x86", "onednn", "fbgemm") if b in torch.backends.quantized.supported_engines)
    torch.backends.quantized.engine = backend
    quantized = prepare_fx(copy.deepcopy(model), get_default_qconfig_mapping(backend), (blocky(1),))
    with torch.no_grad():
        for _ in range(4):
            quantized(blocky(50))
    quantized = convert_fx(quantized)
    agree, classes = 0, set()
    with torch.no_grad():
        for _ in range(20):
            x = blocky(50)
            want, got = model(x).argmax(1), quantized(x).argmax(1)
            agree += int((want == got).sum())
            classes |= set(want.tolist())
    print(f"PyTorch {torch.__version__} int8 ({backend}): top-1 agreement with fp32 {agree} of 1000; "
          f"fp32 predicted {len(classes)} classes")


if __name__ == "__main__":
    main()
