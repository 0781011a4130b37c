#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets that have no file of tests/data to start from, into
fuzz/corpus/<target>/ (standard library only). The ONNX, safetensors, npy and image targets also start from
tests/data (fuzz/CMakeLists.txt). Input layouts are those of fuzz/fuzz_*.cpp:
  idx:        2-byte little-endian length of the labels file, the labels file, the images file
  cifar:      1 byte (odd: CIFAR-100), 2-byte length of the class names file, that file, the batch file
  checkpoint: a safetensors file with the metadata `cnnzoo train` writes
  cli:        the words of a command line, one per line
  run_record: 2-byte length of a metrics.csv, that file, an evaluation.json (a training folder's report)
"""
import gzip
import json
import os
import struct
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def two_files(first, second):
    return struct.pack("<H", len(first)) + first + second


def idx(dims, values):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)


def idx_seeds():
    images = idx([2, 3, 4], range(24))
    labels = idx([2], [7, 3])
    write("idx", "two_images", two_files(labels, images))
    write("idx", "two_images_gzip", two_files(gzip.compress(labels, mtime=0), gzip.compress(images, mtime=0)))


def cifar_record(labels, seed):
    return bytes(labels) + bytes((seed * 7 + i) % 256 for i in range(3072))


def cifar_seeds():
    batch10 = cifar_record([3], 0) + cifar_record([9], 1)
    names10 = "\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                         "truck"]).encode() + b"\n"
    write("cifar", "cifar10", b"\x00" + two_files(b"", batch10))
    write("cifar", "cifar10_names", b"\x00" + two_files(names10, batch10))
    batch100 = cifar_record([4, 42], 2)
    write("cifar", "cifar100", b"\x01" + two_files(b"", batch100))


def safetensors(tensors, metadata):
    header = {"__metadata__": metadata}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def checkpoint_seeds():
    meta = {
        "cnnzoo.format": "checkpoint", "cnnzoo.format_version": "1", "model": "resnet20", "epoch": "1",
        "iteration": "469", "seed": "0",
        "model_options": json.dumps({"aux_logits": False, "wide": False, "num_classes": 10, "input": [1, 28, 28]}),
        "data": json.dumps({"spec": "fashion-mnist", "subset": 0, "batch_size": 128,
                            "class_names": ["T-shirt/top", "Trouser"], "mean": [0.286], "stddev": [0.353]}),
        "optimizer": json.dumps({"kind": "sgd", "momentum": 0.9}),
        "schedule": json.dumps({"epochs": 1}),
        "best_metric": "0.88490000000000002",
        "epoch_progress": json.dumps({"batches": 3, "loss_sum": 1.5, "correct": 7, "seen": 12, "seconds": 0.25}),
        "history": json.dumps([{"epoch": 1, "lr": 0.1, "train_loss": 0.5, "train_accuracy": 0.8, "val_loss": 0.4,
                                "top1": 0.88, "top5": 0.99, "seconds": 30.0, "images_per_second": 2000.0}]),
    }
    tensors = {"fc.bias": ("F32", [2], struct.pack("<2f", 0.5, -0.5)),
               "optim.fc.bias.momentum": ("F32", [2], struct.pack("<2f", 0.0, 0.0)),
               "bn1.num_batches_tracked": ("I64", [], struct.pack("<q", 469))}
    write("checkpoint", "resnet20_epoch1", safetensors(tensors, meta))


def cli_seeds():
    lines = {
        "summary": "summary resnet20 --input 1x28x28",
        "summary_json": "summary vgg16 --batch 32 --format json",
        "summary_until": "summary googlenet --until maxpool2",
        "summary_depth": "summary wrn28_10 --depth 40 --width 4",
        "compare": "compare googlenet:maxpool2 vgg16 --match-resolution",
        "run": "run resnet50 --weights resnet50.safetensors cat.jpg dog.png --top 3",
        "run_onnx": "run model.onnx x.npy --output logits.npy",
        "train": "train --model resnet56 --data cifar10:data --epochs 160 --out runs/c10 --lr 0.1",
        "train_resume": "train --out runs/r20 --resume",
        "eval": "eval --ensemble a.safetensors b.safetensors --format json",
        "predict": "predict --checkpoint best.safetensors --top 3 shoe.png",
        "samples": "samples --data fashion-mnist --count 6 --out samples",
        "export": "export resnet50 --output resnet50.onnx",
        "bench": "bench resnet50 --batch 16 --precision bf16 --threads 2",
        "list": "list",
        "help": "--help",
    }
    for name, line in lines.items():
        write("cli", name, "\n".join(line.split()).encode())


def run_record_seeds():
    header = b"epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds\n"
    metrics = header + b"1,0.0607,1.7697,0.3569,4.0808,0.4094,0.8799,78.30\n2,7.333e-05,0.9208,0.6626,0.8230,0.7075,0.9900,74.50\n"
    evaluation = json.dumps({"model": "resnet20", "data": "fashion-mnist", "epoch": 2,
                             "class_names": ["T-shirt/top", "Trouser", "Bag"], "images": 12, "top1": 0.5, "top5": 1.0,
                             "loss": 0.8, "per_class": {"T-shirt/top": 0.5, "Trouser": 1.0, "Bag": None},
                             "confusion": [[2, 1, 1], [0, 4, 0], [0, 0, 0]]}).encode()
    write("run_record", "two_epochs", two_files(metrics, evaluation))
    write("run_record", "header_only", two_files(header, evaluation))


def main():
    idx_seeds()
    cifar_seeds()
    checkpoint_seeds()
    cli_seeds()
    run_record_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
