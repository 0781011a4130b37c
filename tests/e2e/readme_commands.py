#!/usr/bin/python3
"""Every `build/cnnzoo ...` line of the README's code blocks runs as written and exits 0.

A newcomer copies these lines into a terminal; a line that fails there is a broken promise. The lines run
in order, in a scratch folder where `build/cnnzoo` is the binary under test, after the files a user would
bring are made there (what the README's lines take but do not make themselves):
  - x.npy: one 3x224x224 float32 image; resnet50.safetensors: torchvision's resnet50 state_dict (its own
    initialisation, seeded) as safetensors, as a PyTorch user exports it;
  - shoe.png and shirt.jpg: two Fashion-MNIST test images (a sneaker or boot, a shirt) as PNG and JPEG;
    cat.jpg and dog.png: two colour photos' stand-ins (320x240 RGB, smooth random colours), and photos/ with
    four such stand-ins in each of two class folders;
  - data/cifar-10-batches-bin: a small CIFAR-10 folder in the official binary layout (random pixels).
Training lines are run with less work, and only that is changed: `--subset 256 --val-subset 256` and at
most 2 epochs (the recipes' own figures are checked by the recipe tests); experiments run with --quick. Usage, as CTest runs it:

    /usr/bin/python3 tests/e2e/readme_commands.py build/cnnzoo README.md
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from make_io_fixtures import save_safetensors  # noqa: E402

MAX_TRAIN_EPOCHS = 2
TRAIN_SUBSET = ["--subset", "256", "--val-subset", "256"]


def readme_commands(readme):
    """The `build/cnnzoo` lines of the README's fenced code blocks, comments removed, in order."""
    commands, fenced = [], False
    for line in open(readme, encoding="utf-8"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        text = line.strip()
        if fenced and text.startswith("build/cnnzoo "):
            commands.append(re.split(r"\s+#", text, maxsplit=1)[0].strip())
    return commands


def with_less_work(words):
    """A training line's words with a small subset and at most MAX_TRAIN_EPOCHS epochs; an experiment's with
    --quick (its smoke run: the default runs take minutes and have tests of their own)."""
    if len(words) >= 3 and words[1] == "experiment" and words[2] != "list" and "--quick" not in words:
        return words + ["--quick"]
    if len(words) < 2 or words[1] != "train":
        return words
    out = list(words)
    if "--epochs" in out:
        i = out.index("--epochs")
        out[i + 1] = str(min(int(out[i + 1]), MAX_TRAIN_EPOCHS))
    else:
        out += ["--epochs", str(MAX_TRAIN_EPOCHS)]
    return out + TRAIN_SUBSET


def bring_user_files(binary):
    """The files a user brings to the README's lines, made in the current folder."""
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    save_safetensors("resnet50.safetensors", model.state_dict(), {"format": "pt"})
    np.save("x.npy", np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32))

    # Two test images through `cnnzoo samples` (named by class), one kept as PNG, one written as JPEG.
    subprocess.run([binary, "samples", "--count", "60", "--out", "user-images"], check=True, capture_output=True)
    names = sorted(os.listdir("user-images"))
    shoe = next(n for n in names if "sneaker" in n.lower() or "boot" in n.lower())
    shirt = next(n for n in names if "shirt" in n.lower() and "t-shirt" not in n.lower())
    os.replace(os.path.join("user-images", shoe), "shoe.png")
    import cv2  # Debian's python3-opencv

    cv2.imwrite("shirt.jpg", cv2.imread(os.path.join("user-images", shirt)))
    rng = np.random.default_rng(2)
    for name in ["cat.jpg", "dog.png"]:
        coarse = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
        cv2.imwrite(name, cv2.resize(coarse, (320, 240), interpolation=cv2.INTER_CUBIC))
    # photos/: a folder of images in class subfolders, to calibrate a zoo model on (`quantize --data folder:photos`).
    for label in ["cats", "dogs"]:
        os.makedirs(os.path.join("photos", label))
        for k in range(4):
            coarse = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
            image = cv2.resize(coarse, (320, 240), interpolation=cv2.INTER_CUBIC)
            cv2.imwrite(os.path.join("photos", label, f"{label}_{k}.jpg"), image)

    # CIFAR-10's binary layout: records of a label byte and 3072 pixel bytes, five training batches.
    folder = os.path.join("data", "cifar-10-batches-bin")
    os.makedirs(folder)
    for name in [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]:
        records = np.concatenate([rng.integers(0, 10, (100, 1)), rng.integers(0, 256, (100, 3072))], axis=1)
        records.astype(np.uint8).tofile(os.path.join(folder, name))


def main():
    binary, readme = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    commands = readme_commands(readme)
    if len(commands) < 10:
        print(f"FAILED: only {len(commands)} `build/cnnzoo` lines found in {readme}")
        return 1
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        os.makedirs("build")
        os.symlink(binary, os.path.join("build", "cnnzoo"))
        bring_user_files(binary)
        env = dict(os.environ, OMP_WAIT_POLICY="passive")
        for command in commands:
            words = with_less_work(shlex.split(command))
            start = time.monotonic()
            result = subprocess.run(words, capture_output=True, text=True, env=env)
            took = time.monotonic() - start
            shown = " ".join(words) if words != shlex.split(command) else command
            if result.returncode == 0:
                print(f"ok     {took:6.1f} s  {shown}")
            else:
                failures += 1
                print(f"FAILED {took:6.1f} s  {shown}: exit {result.returncode}\n{result.stderr[-2000:]}")
    print(f"{len(commands) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
