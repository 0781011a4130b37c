#!/usr/bin/python3
"""Two hosts for real: one rank in each of two network namespaces joined by a veth pair, over TCP
(scripts/two_hosts.sh), trains to the weights of the same 2-rank job on shared memory, and its gradients
crossed the link. Where namespaces cannot be made (not root), exits 77 with the reason: CTest reports the
test as skipped, not passed.

Usage: two_hosts.py CNNZOO
"""
import json
import os
import re
import subprocess
import sys

from launch import compare, environment, fail, run, scratch, train, train_command

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cnnzoo = sys.argv[1]
folder, clean = scratch()
options = ["--batch", "64", "--seed", "7", "--epochs", "1", "--subset", "640", "--val-subset", "200",
           "--lr", "0.0005", "--sync-bn"]
local, linked = os.path.join(folder, "shared-memory"), os.path.join(folder, "two-hosts")

command = [os.path.join(ROOT, "scripts", "two_hosts.sh"), "--", *train_command(cnnzoo, linked, *options)]
print("$ " + " ".join(command), flush=True)
done = subprocess.run(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                      timeout=600)
print(done.stdout.strip())
if done.returncode == 77:
    print("skipped: two hosts cannot be made here (the reason is above)")
    sys.exit(77)
if done.returncode != 0:
    fail(f"the job over the veth link failed with exit status {done.returncode}")
if "on 2 ranks" not in done.stdout:
    fail("the job did not run as 2 ranks")
carried = re.search(r"carried (\d+) bytes from host A and (\d+) bytes to it", done.stdout)
summary = json.loads(run([cnnzoo, "summary", "resnet20", "--input", "1x28x28", "--num-classes", "10", "--format",
                          "json"]))
gradient_bytes = 4 * summary["total"]["trainable_params"] * 10  # each way, over 10 steps (a lower bound)
if not carried or min(int(carried.group(1)), int(carried.group(2))) < gradient_bytes:
    fail(f"the link carried less than the gradients of 10 steps ({gradient_bytes} bytes each way)")

train(cnnzoo, 2, local, *options)
if not compare(os.path.join(local, "last.safetensors"), os.path.join(linked, "last.safetensors"), 1e-6):
    fail("over the link the job trained to other weights than on shared memory")
clean()
print("passed")
