#!/usr/bin/python3
"""A rank killed mid-epoch (SIGKILL, as the kernel's OOM killer or a lost host would) ends the job within
seconds with a message that names it, leaves the last checkpoint whole, and --resume finishes the run with
the same final weights as a run never interrupted, bit for bit. The same checkpoint resumed in one process
(a different number of ranks, the same global batch) finishes the same run too: within 1e-3 of the weights'
range, as its 50 steps sum in another order (two_ranks_match_one.py holds 10 steps to 1e-4).

Usage: rank_killed.py CNNZOO
"""
import os
import signal
import subprocess
import sys
import time

from launch import MPIRUN, compare, environment, fail, metadata, scratch, train, train_command

cnnzoo = sys.argv[1]
folder, clean = scratch()
options = ["--batch", "64", "--seed", "5", "--epochs", "2", "--subset", "3200", "--val-subset", "200",
           "--lr", "0.0005", "--sync-bn"]
whole, killed = os.path.join(folder, "whole"), os.path.join(folder, "killed")
train(cnnzoo, 2, whole, *options)


def rank_process(rank, out):
    """The pid of the cnnzoo process that is rank `rank` of the job writing into `out`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().split(b"\0")
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if out.encode() in command and b"train" in command and f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(entry)
    return None


command = [*MPIRUN, "-np", "2", *train_command(cnnzoo, killed, *options)]
print("$ " + " ".join(command), flush=True)
job = subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
last = os.path.join(killed, "last.safetensors")
deadline = time.monotonic() + 300
while not os.path.exists(last):  # the first epoch's checkpoint
    if job.poll() is not None or time.monotonic() > deadline:
        fail(f"the job ended or stalled before its first checkpoint:\n{job.communicate()[0]}")
    time.sleep(0.05)
time.sleep(1.0)  # into the second epoch (one takes about 4 s here)
victim = rank_process(1, killed)
if victim is None:
    fail("rank 1 was not found in /proc")
os.kill(victim, signal.SIGKILL)
killed_at = time.monotonic()
try:
    output, _ = job.communicate(timeout=60)
except subprocess.TimeoutExpired:
    job.kill()
    fail("the job still ran 60 s after its rank 1 was killed: it hangs")
seconds = time.monotonic() - killed_at
print(output.strip())
print(f"rank 1 (pid {victim}) killed; mpirun ended {seconds:.1f} s later with exit status {job.returncode}")
if job.returncode == 0:
    fail("mpirun reported success for a job that lost a rank")
if seconds > 20:
    fail(f"the job took {seconds:.0f} s to end")
if "signal 9" not in output and "Killed" not in output:
    fail("mpirun's message does not say that a rank was killed")
if metadata(last)["epoch"] != "1":
    fail(f"last.safetensors should hold the first epoch, it holds epoch {metadata(last)['epoch']}")

# Resumed in a copy, in one process: the same global batch over one rank.
alone = os.path.join(folder, "resumed-alone")
subprocess.run(["cp", "-r", killed, alone], check=True)
train(cnnzoo, 2, killed, *options, "--resume")
if not compare(os.path.join(whole, "last.safetensors"), last, 0.0):
    fail("the resumed job's weights differ from those of the job never interrupted")
train(cnnzoo, 0, alone, *options, "--resume")
if not compare(os.path.join(whole, "last.safetensors"), os.path.join(alone, "last.safetensors"), 1e-3):
    fail("resumed in one process, the run ends elsewhere than with 2 ranks")
clean()
print("passed")
