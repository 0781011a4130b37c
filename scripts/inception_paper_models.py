"""Inception-v4 and Inception-ResNet-v2 in PyTorch, written for cnnzoo's tests from the paper (Szegedy, Ioffe,
Vanhoucke and Alemi, "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", 2016:
figures 3 to 9 and 15 to 19, and table 1 for the reduction-A widths), with the module names of timm's
inception_v4 and inception_resnet_v2 so that their state_dicts are the ones cnnzoo's models load.

This is an independent second definition: cnnzoo's C++ models (src/models/inception_v4.cpp) and these modules
must give the same logits on the same weights (scripts/pytorch_parity.py). Every convolution but the residual
blocks' last 1x1 is a BasicConv2d (no bias, batch norm eps 0.001, ReLU); the average pools leave padding out
(count_include_pad=False, as TF-slim's 'SAME' pooling); max pools are unpadded 3x3/2.

Nothing here runs at import; build(name) makes a model (randomly initialised).
"""

import torch
from torch import nn


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


def seq(cin, *layers):
    """A Sequential of BasicConv2d: each layer (cout, kernel, stride, padding), its input the previous output."""
    modules = []
    for cout, kernel, stride, padding in layers:
        modules.append(BasicConv2d(cin, cout, kernel, stride, padding))
        cin = cout
    return nn.Sequential(*modules)


def one(cout):
    return (cout, 1, 1, 0)


def same3(cout):
    return (cout, 3, 1, 1)


def valid3(cout, stride=1):
    return (cout, 3, stride, 0)


def row(cout, k):
    return (cout, (1, k), 1, (0, k // 2))


def column(cout, k):
    return (cout, (k, 1), 1, (k // 2, 0))


def pool_branch(cin, cout):
    return nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), BasicConv2d(cin, cout, 1))


class Branches(nn.Module):
    """Branches branch0, branch1, ... run on the same input and concatenated along channels."""

    def __init__(self, *branches):
        super().__init__()
        for i, b in enumerate(branches):
            self.add_module("branch%d" % i, b)

    def forward(self, x):
        return torch.cat([b(x) for b in self.children()], 1)


# ---- Inception-v4 (figure 9) ----

class Mixed3a(nn.Module):  # figure 3: max pool | 3x3/2 conv to 96
    def __init__(self):
        super().__init__()
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.conv = BasicConv2d(64, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.maxpool(x), self.conv(x)], 1)


class Mixed5a(nn.Module):  # figure 3: 3x3/2 conv to 192 | max pool
    def __init__(self):
        super().__init__()
        self.conv = BasicConv2d(192, 192, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        return torch.cat([self.conv(x), self.maxpool(x)], 1)


def mixed4a():  # figure 3: 1x1, 3x3 | 1x1, 7x1, 1x7, 3x3 (timm: 1x7 first)
    return Branches(seq(160, one(64), valid3(96)), seq(160, one(64), row(64, 7), column(64, 7), valid3(96)))


def inception_a():  # figure 4
    return Branches(seq(384, one(96))[0], seq(384, one(64), same3(96)), seq(384, one(64), same3(96), same3(96)),
                    pool_branch(384, 96))


def reduction_a(cin, k, l, m, n):  # figure 7 and table 1
    return Branches(seq(cin, valid3(n, 2))[0], seq(cin, one(k), same3(l), valid3(m, 2)), nn.MaxPool2d(3, stride=2))


def inception_b():  # figure 5
    return Branches(seq(1024, one(384))[0], seq(1024, one(192), row(224, 7), column(256, 7)),
                    seq(1024, one(192), column(192, 7), row(224, 7), column(224, 7), row(256, 7)),
                    pool_branch(1024, 128))


def reduction_b():  # figure 8
    return Branches(seq(1024, one(192), valid3(192, 2)),
                    seq(1024, one(256), row(256, 7), column(320, 7), valid3(320, 2)), nn.MaxPool2d(3, stride=2))


class InceptionC(nn.Module):  # figure 6: the 3x3s split into a 1x3 and a 3x1 side by side
    def __init__(self):
        super().__init__()
        self.branch0 = BasicConv2d(1536, 256, 1)
        self.branch1_0 = BasicConv2d(1536, 384, 1)
        self.branch1_1a = BasicConv2d(384, 256, (1, 3), padding=(0, 1))
        self.branch1_1b = BasicConv2d(384, 256, (3, 1), padding=(1, 0))
        self.branch2_0 = BasicConv2d(1536, 384, 1)
        self.branch2_1 = BasicConv2d(384, 448, (3, 1), padding=(1, 0))
        self.branch2_2 = BasicConv2d(448, 512, (1, 3), padding=(0, 1))
        self.branch2_3a = BasicConv2d(512, 256, (1, 3), padding=(0, 1))
        self.branch2_3b = BasicConv2d(512, 256, (3, 1), padding=(1, 0))
        self.branch3 = pool_branch(1536, 256)

    def forward(self, x):
        s = self.branch1_0(x)
        d = self.branch2_2(self.branch2_1(self.branch2_0(x)))
        return torch.cat([self.branch0(x), self.branch1_1a(s), self.branch1_1b(s), self.branch2_3a(d),
                          self.branch2_3b(d), self.branch3(x)], 1)


def head(x, drop, fc):
    """Global average pool, dropout (nn.Dropout(0.2): the paper keeps 0.8), fc: the head of both networks."""
    return fc(drop(torch.flatten(torch.mean(x, dim=(2, 3)), 1)))


class InceptionV4(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        stem = [seq(3, valid3(32, 2))[0], seq(32, valid3(32))[0], seq(32, same3(64))[0], Mixed3a(), mixed4a(),
                Mixed5a()]
        blocks = ([inception_a() for _ in range(4)] + [reduction_a(384, 192, 224, 256, 384)]
                  + [inception_b() for _ in range(7)] + [reduction_b()] + [InceptionC() for _ in range(3)])
        self.features = nn.Sequential(*stem, *blocks)
        self.head_drop = nn.Dropout(0.2)
        self.last_linear = nn.Linear(1536, num_classes)

    def forward(self, x):
        return head(self.features(x), self.head_drop, self.last_linear)


# ---- Inception-ResNet-v2 (figure 15) ----

class Residual(nn.Module):
    """Branches concatenated, a 1x1 convolution with bias back to the input's width, scaled, added, ReLU."""

    def __init__(self, width, scale, relu, *branches):
        super().__init__()
        for i, b in enumerate(branches):
            self.add_module("branch%d" % i, b)
        self.conv2d = nn.Conv2d(sum(_out_channels(b) for b in branches), width, 1)
        self.scale, self.relu, self.count = scale, relu, len(branches)

    def forward(self, x):
        out = torch.cat([getattr(self, "branch%d" % i)(x) for i in range(self.count)], 1)
        out = self.conv2d(out) * self.scale + x
        return torch.relu(out) if self.relu else out


def _out_channels(module):
    last = module[-1] if isinstance(module, nn.Sequential) else module
    return last.conv.out_channels


def block35(scale):  # figure 16, 35 x 35 x 320
    return Residual(320, scale, True, seq(320, one(32))[0], seq(320, one(32), same3(32)),
                    seq(320, one(32), same3(48), same3(64)))


def block17(scale):  # figure 17, 17 x 17 x 1088
    return Residual(1088, scale, True, seq(1088, one(192))[0], seq(1088, one(128), row(160, 7), column(192, 7)))


def block8(scale, relu=True):  # figure 19, 8 x 8 x 2080
    return Residual(2080, scale, relu, seq(2080, one(192))[0], seq(2080, one(192), row(224, 3), column(256, 3)))


class InceptionResNetV2(nn.Module):
    def __init__(self, num_classes=1000, scales=(0.17, 0.10, 0.20)):
        super().__init__()
        self.conv2d_1a = BasicConv2d(3, 32, 3, stride=2)
        self.conv2d_2a = BasicConv2d(32, 32, 3)
        self.conv2d_2b = BasicConv2d(32, 64, 3, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = BasicConv2d(64, 80, 1)
        self.conv2d_4a = BasicConv2d(80, 192, 3)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2)
        self.mixed_5b = Branches(seq(192, one(96))[0], seq(192, one(48), (64, 5, 1, 2)),
                                 seq(192, one(64), same3(96), same3(96)), pool_branch(192, 64))
        self.repeat = nn.Sequential(*[block35(scales[0]) for _ in range(10)])
        self.mixed_6a = reduction_a(320, 256, 256, 384, 384)
        self.repeat_1 = nn.Sequential(*[block17(scales[1]) for _ in range(20)])
        self.mixed_7a = Branches(seq(1088, one(256), valid3(384, 2)), seq(1088, one(256), valid3(288, 2)),
                                 seq(1088, one(256), same3(288), valid3(320, 2)), nn.MaxPool2d(3, stride=2))
        self.repeat_2 = nn.Sequential(*[block8(scales[2]) for _ in range(9)])
        self.block8 = block8(1.0, relu=False)
        self.conv2d_7b = BasicConv2d(2080, 1536, 1)
        self.head_drop = nn.Dropout(0.2)
        self.classif = nn.Linear(1536, num_classes)

    def forward(self, x):
        for name, module in self.named_children():
            if name not in ("head_drop", "classif"):
                x = module(x)
        return head(x, self.head_drop, self.classif)


MODELS = {"inception_v4": InceptionV4, "inception_resnet_v2": InceptionResNetV2}


def build(name):
    return MODELS[name]()
