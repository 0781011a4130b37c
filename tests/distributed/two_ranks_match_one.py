#!/usr/bin/python3
"""mpirun -np 2 cnnzoo train --sync-bn against one process with the same global batch and seed: the two
ranks compute the same sums in another order, and nothing else may differ.

- the first step's loss agrees within 1e-6 (relative), with batch norm and, in AlexNet, with dropout;
- the weights after 10 steps agree within 1e-4 of their range (compare_checkpoints.py); without --sync-bn
  (each rank normalises over its own half of the batch) they must not, or the check could not fail;
- after one epoch on 3,200 images the test top-1 agrees within 0.5 points.

The 10 steps run at a small learning rate: at 0.1 the first steps of resnet20 amplify rounding (its first
convolution's gradient sums terms over Fashion-MNIST's uniform background that nearly cancel), and one
process on 1 thread and on 2 threads already differ by 10% of the range after 10 steps.

Usage: two_ranks_match_one.py CNNZOO
"""
import os
import sys

from launch import compare, fail, history, scratch, train

cnnzoo = sys.argv[1]
folder, clean = scratch()
common = ["--batch", "64", "--seed", "3", "--epochs", "1"]


def out(name):
    return os.path.join(folder, name)


# The first step: one batch of 64.
train(cnnzoo, 0, out("one-step-1"), *common, "--subset", "64", "--val-subset", "200")
train(cnnzoo, 2, out("one-step-2"), *common, "--subset", "64", "--val-subset", "200", "--sync-bn")
alone = history(out("one-step-1/last.safetensors"))[0]["train_loss"]
ranks = history(out("one-step-2/last.safetensors"))[0]["train_loss"]
print(f"first step's loss: one process {alone:.9f}, 2 ranks {ranks:.9f}, relative difference "
      f"{abs(alone - ranks) / alone:.2e}")
if abs(alone - ranks) > 1e-6 * alone:
    fail("the first step's loss differs by more than 1e-6")

# With dropout (AlexNet's classifier): rank r's masks are the r-th slice of one process's.
dropout = [*common, "--model", "alexnet", "--image-size", "64", "--subset", "64", "--val-subset", "16"]
train(cnnzoo, 0, out("dropout-1"), *dropout)
train(cnnzoo, 2, out("dropout-2"), *dropout)
alone = history(out("dropout-1/last.safetensors"))[0]["train_loss"]
ranks = history(out("dropout-2/last.safetensors"))[0]["train_loss"]
print(f"first step's loss with dropout: one process {alone:.9f}, 2 ranks {ranks:.9f}")
if abs(alone - ranks) > 1e-6 * alone:
    fail("with dropout, the first step's loss differs by more than 1e-6")

# Ten steps.
ten = [*common, "--subset", "640", "--val-subset", "200", "--lr", "0.0005"]
train(cnnzoo, 0, out("ten-1"), *ten)
train(cnnzoo, 2, out("ten-2"), *ten, "--sync-bn")
train(cnnzoo, 2, out("ten-2-own-bn"), *ten)
if not compare(out("ten-1/last.safetensors"), out("ten-2/last.safetensors"), 1e-4):
    fail("after 10 steps, the weights of 2 ranks with --sync-bn differ from one process's by more than 1e-4")
if compare(out("ten-1/last.safetensors"), out("ten-2-own-bn/last.safetensors"), 1e-4):
    fail("without --sync-bn the weights should differ (each rank's own batch statistics); the check cannot fail")

# One epoch.
epoch = [*common, "--subset", "3200", "--val-subset", "2000", "--lr", "0.02"]
train(cnnzoo, 0, out("epoch-1"), *epoch)
train(cnnzoo, 2, out("epoch-2"), *epoch, "--sync-bn")
top1 = [history(out(f"epoch-{n}/last.safetensors"))[0]["top1"] for n in (1, 2)]
print(f"top-1 after one epoch: one process {100 * top1[0]:.2f}%, 2 ranks {100 * top1[1]:.2f}%")
if abs(top1[0] - top1[1]) > 0.005:
    fail("the top-1 differs by more than 0.5 points")
if top1[0] < 0.5:
    fail("one epoch should reach well above chance (10%); it did not learn")
clean()
print("passed")
