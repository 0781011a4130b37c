#!/usr/bin/python3
"""Generate tests/data/torchvision_reference.json: the torchvision reference
table that cnnzoo's C++ tests compare our model zoo against.

For each classic ImageNet CNN in torchvision (AlexNet, VGG 11/13/16/19 with and
without BN, GoogLeNet and Inception-v3 with and without aux heads, ResNet 18-152,
DenseNet 121/161/169/201, Wide ResNet 50/101, ResNeXt 50/101), and for
Inception-v4 and Inception-ResNet-v2 as scripts/inception_paper_models.py
defines them with timm's names, built with random init (no weight download),
num_classes=1000 and a 1x3x224x224 input (299x299 for the Inceptions from v3
on), it records:

  params              sum of p.numel() over model.parameters()
  buffers             sum of b.numel() over model.buffers()
                      (BN running_mean, running_var, num_batches_tracked)
  macs                exact multiply-adds of Conv2d and Linear layers only,
                      counted with forward hooks on a real forward pass
                      (one multiply-add = 1, the unit of torchvision's "GFLOPS"):
                        conv   = out.numel() * (in_channels/groups) * kh * kw
                        linear = batch * in_features * out_features
  output              shape of the (main) output, e.g. [1, 1000]
  state_dict          [name, shape] for every state_dict() entry, in order
                      (num_batches_tracked has shape [])
  conv_linear_shapes  [module_name, output_shape] for every call of a Conv2d,
                      Linear, MaxPool2d, AvgPool2d or AdaptiveAvgPool2d module,
                      in forward-call order (a module called twice appears
                      twice; functional pooling such as F.adaptive_avg_pool2d
                      is not a module and is not listed)
  hook_mode           "eval" or "train": the mode of the hooked forward pass
                      that produced macs and conv_linear_shapes

Top level also holds "generator" (script path and command), "torch" and
"torchvision" (library versions).  The output is deterministic: sorted keys,
models sorted by name, one model per line for readable diffs, written
atomically (temp file + os.replace).

Rerun from the repository root with Debian's python3-torch / python3-torchvision
(NOT a pyenv python3 that happens to be on PATH):

    /usr/bin/python3 scripts/torchvision_reference.py \
        --output tests/data/torchvision_reference.json

Generated with torch 1.13 / torchvision 0.14; other versions may differ.
"""

import argparse
import json
import os
import sys
import tempfile

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inception_paper_models  # noqa: E402
import torchvision_models  # noqa: E402

SCRIPT = "scripts/torchvision_reference.py"
DEFAULT_OUTPUT = "tests/data/torchvision_reference.json"

MODELS = torchvision_models.MODELS
# The zoo's timm-named models, from the paper's tables (scripts/inception_paper_models.py): not torchvision's, but
# counted and listed the same way.
PAPER_MODELS = inception_paper_models.MODELS

# Models whose hooked pass runs in train mode.  In eval mode GoogLeNet with
# aux_logits=True skips its two auxiliary heads (they only run when
# self.training), so their Conv2d/Linear MACs and layer shapes would be
# missing.  Train mode runs them; BN in train mode with batch 1 is fine for
# counting (every channel still has >1 spatial value), and dropout does not
# change shapes.  "output" is still taken from an eval-mode pass.
# Batch norm stays in eval mode in that pass: Inception-v3's auxiliary head ends in a 1x1 map, whose batch
# statistics need more than one sample.
TRAIN_MODE_HOOK_PASS = {"googlenet_aux", "inception_v3_aux"}

HOOKED_TYPES = (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
def input_shape(name):
    size = torchvision_models.input_size(name)
    return (1, 3, size, size)
NUM_CLASSES = 1000


def build(name):
    if name in PAPER_MODELS:
        return inception_paper_models.build(name)
    builder_name, kwargs = MODELS[name]
    builder = getattr(torchvision.models, builder_name)
    return builder(weights=None, num_classes=NUM_CLASSES, **kwargs)


def main_output(out):
    """The main logits tensor of a forward result (GoogLeNetOutputs in train mode)."""
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits"):
        return out.logits
    raise TypeError("unexpected model output type %r" % type(out))


def hooked_pass(model, x):
    """Run one forward pass, returning (macs, [[module_name, output_shape], ...])."""
    calls = []
    macs = [0]
    handles = []

    def make_hook(mod_name):
        def hook(module, inputs, output):
            calls.append([mod_name, list(output.shape)])
            if isinstance(module, nn.Conv2d):
                kh, kw = module.kernel_size
                macs[0] += output.numel() * (module.in_channels // module.groups) * kh * kw
            elif isinstance(module, nn.Linear):
                batch = inputs[0].numel() // module.in_features
                macs[0] += batch * module.in_features * module.out_features

        return hook

    for mod_name, module in model.named_modules():
        if isinstance(module, HOOKED_TYPES):
            handles.append(module.register_forward_hook(make_hook(mod_name)))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return macs[0], calls


def measure(name):
    torch.manual_seed(0)
    model = build(name)
    model.eval()

    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    # Record state_dict before any train-mode pass (shapes would not change,
    # but keep the model untouched anyway).
    state_dict = [[k, list(v.shape)] for k, v in model.state_dict().items()]

    x = torch.randn(*input_shape(name), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        output = list(main_output(model(x)).shape)

    hook_mode = "train" if name in TRAIN_MODE_HOOK_PASS else "eval"
    model.train(hook_mode == "train")
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
    macs, calls = hooked_pass(model, x)
    model.eval()

    return {
        "params": params,
        "buffers": buffers,
        "macs": macs,
        "output": output,
        "state_dict": state_dict,
        "conv_linear_shapes": calls,
        "hook_mode": hook_mode,
    }


# Models whose published weights keep their auxiliary heads (Inception-v3's 27,161,264 parameters); GoogLeNet's
# published weights drop them.
PUBLISHED_WITH_AUX = {"inception_v3"}


def published_params(name):
    """torchvision's published num_params (metadata only, nothing is downloaded), for the variant it counts."""
    if name in PAPER_MODELS:
        return None
    with_aux = name.endswith("_aux")
    base = name[:-len("_aux")] if with_aux else name
    if with_aux != (base in PUBLISHED_WITH_AUX):
        return None
    builder = getattr(torchvision.models, MODELS[name][0])
    try:
        weights = torchvision.models.get_model_weights(builder)
    except Exception:
        return None
    return weights.DEFAULT.meta.get("num_params")


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def render(models, output_rel):
    top = {
        "generator": {
            "script": SCRIPT,
            "command": "/usr/bin/python3 %s --output %s" % (SCRIPT, output_rel),
        },
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    # Hand-assembled so each model sits on its own line; the result is valid
    # JSON equal to json.dumps(..., sort_keys=True) of the same data.
    lines = ["{"]
    for key in sorted(list(top) + ["models"]):
        if key == "models":
            lines.append('"models":{')
            names = sorted(models)
            for i, n in enumerate(names):
                sep = "," if i + 1 < len(names) else ""
                lines.append("%s:%s%s" % (dumps(n), dumps(models[n]), sep))
            lines.append("},")
        else:
            lines.append("%s:%s," % (dumps(key), dumps(top[key])))
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".torchvision_reference.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", default=DEFAULT_OUTPUT, help="JSON file to write (default: %(default)s)")
    ap.add_argument("--models", nargs="*", default=None, help="subset of models (default: all)")
    args = ap.parse_args(argv)

    names = args.models if args.models else list(MODELS) + list(PAPER_MODELS)
    unknown = [n for n in names if n not in MODELS and n not in PAPER_MODELS]
    if unknown:
        ap.error("unknown model(s): %s" % ", ".join(unknown))

    torch.set_grad_enabled(False)
    models = {}
    for n in names:
        models[n] = m = measure(n)
        pub = published_params(n)
        flag = ""
        if pub is not None and pub != m["params"]:
            flag = "  MISMATCH published num_params=%d" % pub
        print("%-18s params=%11d buffers=%6d macs=%14d output=%s%s"
              % (n, m["params"], m["buffers"], m["macs"], m["output"], flag), flush=True)
        if flag:
            sys.exit("params of %s differ from torchvision's published figure" % n)

    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_abs = os.path.abspath(args.output)
    output_rel = os.path.relpath(out_abs, repo_root)
    if output_rel.startswith(".."):
        output_rel = out_abs
    text = render(models, output_rel)
    json.loads(text)  # must stay valid JSON
    write_atomic(args.output, text)
    print("wrote %s (%d bytes)" % (args.output, len(text.encode("utf-8"))))


if __name__ == "__main__":
    main()
