"""The torchvision-compatible models of the cnnzoo zoo and how torchvision builds them (shared by the
reference scripts). Zoo names equal torchvision's; "googlenet_aux" and "inception_v3_aux" are built with their
auxiliary heads.
"""

import torchvision

# Zoo name -> (torchvision builder, extra builder kwargs).
MODELS = {
    "alexnet": ("alexnet", {}),
    "vgg11": ("vgg11", {}),
    "vgg11_bn": ("vgg11_bn", {}),
    "vgg13": ("vgg13", {}),
    "vgg13_bn": ("vgg13_bn", {}),
    "vgg16": ("vgg16", {}),
    "vgg16_bn": ("vgg16_bn", {}),
    "vgg19": ("vgg19", {}),
    "vgg19_bn": ("vgg19_bn", {}),
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}),
    "googlenet_aux": ("googlenet", {"aux_logits": True, "init_weights": False}),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}),
    "inception_v3_aux": ("inception_v3", {"aux_logits": True, "init_weights": False}),
    "resnet18": ("resnet18", {}),
    "resnet34": ("resnet34", {}),
    "resnet50": ("resnet50", {}),
    "resnet101": ("resnet101", {}),
    "resnet152": ("resnet152", {}),
    "densenet121": ("densenet121", {}),
    "densenet161": ("densenet161", {}),
    "densenet169": ("densenet169", {}),
    "densenet201": ("densenet201", {}),
    "wide_resnet50_2": ("wide_resnet50_2", {}),
    "wide_resnet101_2": ("wide_resnet101_2", {}),
    "resnext50_32x4d": ("resnext50_32x4d", {}),
    "resnext101_32x8d": ("resnext101_32x8d", {}),
}


def input_size(name):
    """The side of the model's default input, as the zoo's default: 299 for the Inceptions from v3 on, else 224."""
    return 299 if name.startswith("inception") else 224


def build(name):
    """The torchvision model of that zoo name, randomly initialised (nothing is downloaded)."""
    builder, kwargs = MODELS[name]
    return getattr(torchvision.models, builder)(weights=None, **kwargs)
