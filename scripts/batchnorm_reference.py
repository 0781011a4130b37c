#!/usr/bin/python3
"""PyTorch's side of `cnnzoo experiment batchnorm`: the CIFAR plain nets of He et al. 2015 (6n+2 layers,
16/32/64 maps, no shortcuts) with and without batch norm, trained on the first images of Fashion-MNIST with
the recipe of cnnzoo's fit() (SGD with Nesterov momentum 0.9, weight decay 5e-4 on the weights, batch 128,
lr 0.1 with a linear warm-up over 0.2 epochs from a tenth of it, then cosine (src/train/schedule.cpp); Kaiming-normal fan_out convolutions; without BN the
convolutions have biases, PyTorch's default init). No augmentation here (cnnzoo pads, crops and flips), so
the figures are a reference for the effect, not for the last digit.

Usage: /usr/bin/python3 scripts/batchnorm_reference.py [--images 6000] [--epochs 4] [--depths 20 56]
Prints one line per epoch and run: model, epoch, mean training loss, training error.
"""
import argparse
import gzip
import math

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def plain_net(n, batch_norm):
    layers, width, cin = [], 16, 1

    def conv(cin, cout, stride):
        layers.append(nn.Conv2d(cin, cout, 3, stride, 1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.ReLU())

    conv(cin, 16, 1)
    cin = 16
    for stage, width in enumerate((16, 32, 64)):
        for i in range(2 * n):
            conv(cin, width, 2 if stage > 0 and i == 0 else 1)
            cin = width
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return net


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=6000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--depths", type=int, nargs="+", default=[20, 56])
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x = idx(f"{DATA}/train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)[: a.images]
    y = idx(f"{DATA}/train-labels-idx1-ubyte.gz", 8)[: a.images]
    x = (torch.tensor(x, dtype=torch.float32) / 255 - 0.2860) / 0.3530
    y = torch.tensor(y, dtype=torch.int64)
    batch = 128
    steps_per_epoch = a.images // batch
    warmup = round(0.2 * steps_per_epoch)
    span = a.epochs - warmup / steps_per_epoch  # epochs of the cosine part
    for depth in a.depths:
        for batch_norm in (True, False):
            torch.manual_seed(0)
            net = plain_net((depth - 2) // 6, batch_norm)
            decay = [q for q in net.parameters() if q.dim() > 1]
            rest = [q for q in net.parameters() if q.dim() <= 1]
            opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0}],
                                  lr=0.1, momentum=0.9, nesterov=True)
            step = 0
            name = f"plain{depth}{'' if batch_norm else '_nobn'}"
            for epoch in range(a.epochs):
                order = torch.randperm(a.images)
                loss_sum, wrong, seen = 0.0, 0, 0
                for b in range(steps_per_epoch):
                    if step < warmup:
                        lr = 0.1 * (0.1 + 0.9 * step / warmup)
                    else:
                        lr = 0.05 * (1 + math.cos(math.pi * min((step - warmup) / steps_per_epoch, span) / span))
                    for g in opt.param_groups:
                        g["lr"] = lr
                    i = order[b * batch:(b + 1) * batch]
                    out = net(x[i])
                    loss = nn.functional.cross_entropy(out, y[i])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    step += 1
                    loss_sum += loss.item() * len(i)
                    wrong += (out.argmax(1) != y[i]).sum().item()
                    seen += len(i)
                print(f"{name} epoch {epoch + 1} train_loss {loss_sum / seen:.4f} train_error {100 * wrong / seen:.1f}%",
                      flush=True)


if __name__ == "__main__":
    main()
