#!/usr/bin/python3
"""The figures of docs/distributed.md: measured on this machine, then the cost model checked against them
and its predictions for many nodes. Prints the Markdown tables; rerun it to refresh them.

Measures (each run short, 1 engine thread per rank):
  - MPI_Allreduce latency and bandwidth between 2 ranks over a veth link between two network namespaces
    (scripts/two_hosts.sh, bench/allreduce_bandwidth.cpp), and on shared memory;
  - cnnzoo train of resnet20 (Fashion-MNIST, 28x28) and resnet50 (Fashion-MNIST resized to 224x224): one
    process on 1 and 2 threads, 2 ranks on shared memory, 2 ranks over the veth link; per step, rank 0's
    compute, communication and the share of it hidden behind backward.

The cost model of a ring all-reduce of B bytes over N nodes: 2(N-1)/N x B / bandwidth, plus 2(N-1) message
latencies per bucket (each of the ring's 2(N-1) steps is one message); the gradients travel in DDP's buckets
(1 MB, then 25 MB), and all but the last bucket's transfer can hide behind the rest of backward.

Usage: scripts/distributed_scaling.py --cnnzoo build/cnnzoo --allreduce build/allreduce_bandwidth [--quick]
Needs root (network namespaces), mpirun, and a quiet machine.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "distributed"))
from launch import MPIRUN, environment  # noqa: E402

TWO_HOSTS = os.path.join(ROOT, "scripts", "two_hosts.sh")
FIRST_BUCKET, BUCKET = 1 << 20, 25 << 20  # DDP's, and cnnzoo train's defaults


def run(command):
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stdout}")
    return done.stdout


def allreduce(binary, over_veth, folder):
    out = os.path.join(folder, f"allreduce-{'veth' if over_veth else 'shm'}.json")
    if over_veth:
        run([TWO_HOSTS, "--", binary, "--json", out])
    else:
        run([*MPIRUN, "-np", "2", binary, "--json", out])
    with open(out) as f:
        return json.load(f)


def trainable_bytes(cnnzoo, model, size):
    summary = json.loads(run([cnnzoo, "summary", model, "--input", f"1x{size}x{size}", "--num-classes", "10",
                              "--format", "json"]))
    return 4 * summary["total"]["trainable_params"]


# "epoch   1 ... 12.3 s, 456 img/s" and rank 0's "step 51 ms: compute 50 ms, comm 36.3 ms (98% hidden)"
EPOCH = re.compile(r"^epoch +1 .* ([0-9.]+) img/s$", re.M)
SPLIT = re.compile(r"rank 0, mean +step ([0-9.]+) ms: compute ([0-9.]+) ms, comm ([0-9.]+) ms \(([0-9.]+)% hidden\)")


def train(cnnzoo, how, model, size, batch, steps, folder):
    """how: (label, ranks, threads, over_veth). Returns img/s and rank 0's mean split (ms)."""
    label, ranks, threads, over_veth = how
    out = os.path.join(folder, f"{model}-{label}")
    command = [cnnzoo, "train", "--model", model, "--epochs", "1", "--batch", str(batch), "--subset",
               str(batch * steps), "--val-subset", str(batch), "--threads", str(threads), "--out", out,
               "--overwrite", "--lr", "0.01"]
    if size != 28:
        command += ["--image-size", str(size)]
    if over_veth:
        command = [TWO_HOSTS, "--", *command]
    elif ranks > 1:
        command = [*MPIRUN, "-np", str(ranks), *command]
    output = run(command)
    rate = float(EPOCH.search(output).group(1))
    split = SPLIT.search(output)
    return rate, tuple(float(g) for g in split.groups()) if split else None


def buckets(total_bytes):
    """The sizes of the gradient buckets, in backward order (ignoring that a parameter is never split)."""
    sizes, left = [], total_bytes
    for cap in [FIRST_BUCKET] + [BUCKET] * (total_bytes // BUCKET + 1):
        if left <= 0:
            break
        sizes.append(min(cap, left))
        left -= sizes[-1]
    return sizes


def ring_seconds(total_bytes, nodes, alpha, beta):
    """All-reduce time of the gradient buckets, one after another: bandwidth and latency terms."""
    return sum(2 * (nodes - 1) / nodes * b / beta + 2 * (nodes - 1) * alpha for b in buckets(total_bytes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cnnzoo", required=True)
    parser.add_argument("--allreduce", required=True, help="the allreduce_bandwidth binary")
    parser.add_argument("--quick", action="store_true", help="fewer steps (a check of the script)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cnnzoo-scaling-")
    cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))

    link = {name: allreduce(args.allreduce, veth, folder) for name, veth in (("veth", True), ("shared memory", False))}
    print(f"Measured on {cpu}, {os.cpu_count()} cores.\n")
    print("| link | latency alpha | bandwidth beta | 4 B | 64 KiB | 1 MiB | 16 MiB | 64 MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in link.items():
        at = {row["bytes"]: row["microseconds"] for row in r["sizes"]}
        a, b = r["alpha_us"], r["beta_gbytes_per_s"] * 1e3  # us, bytes per us
        # measured (model: alpha + bytes / beta, 2 ranks)
        cell = lambda n: f"{at[n]:.1f} us ({a + n / b:.1f})"  # noqa: E731
        print(f"| {name} | {a:.1f} us | {r['beta_gbytes_per_s']:.2f} GB/s | "
              + " | ".join(cell(n) for n in (4, 1 << 16, 1 << 20, 1 << 24, 1 << 26)) + " |")

    steps = 4 if args.quick else 12
    cases = [("resnet20", 28, 128, steps * 2), ("resnet50", 224, 16, steps // 2)]
    ways = [("1 process, 1 thread", 0, 1, False), ("1 process, 2 threads", 0, 2, False),
            ("2 ranks x 1 thread, shared memory", 2, 1, False), ("2 ranks x 1 thread, veth", 2, 1, True)]
    alpha, beta = link["veth"]["alpha_us"] * 1e-6, link["veth"]["beta_gbytes_per_s"] * 1e9
    measured = {}
    print("\n| model, global batch | run | img/s | vs 1 process, 2 threads | step | compute | communication | "
          "hidden | exposed (step - compute) | model: all buckets / the last |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, size, batch, n in cases:
        grad = trainable_bytes(args.cnnzoo, model, size)
        rates = {}
        for way in ways:
            rate, split = train(args.cnnzoo, way, model, size, batch, n, folder)
            rates[way[0]] = rate
            base = rates.get("1 process, 2 threads")
            ratio = f"{rate / base:.2f}" if base else "-"
            if split:
                step, compute, comm, hidden = split
                last = buckets(grad)[-1]
                predicted = (f"{1e3 * ring_seconds(grad, 2, alpha, beta):.1f} / "
                             f"{1e3 * ring_seconds(last, 2, alpha, beta):.1f} ms") if way[3] else "-"
                print(f"| {model}, {batch} | {way[0]} | {rate:.1f} | {ratio} | {step:.0f} ms | {compute:.0f} ms | "
                      f"{comm:.1f} ms | {hidden:.0f}% | {step - compute:.1f} ms | {predicted} |")
                if way[3]:
                    measured[model] = (grad, batch, step, compute)
            else:
                print(f"| {model}, {batch} | {way[0]} | {rate:.1f} | {ratio} | | | | | | |")

    print("\nThe prediction for 8, 64 and 512 nodes: the ring all-reduce of the gradients in DDP's buckets, with the "
          f"veth link's latency ({1e6 * alpha:.1f} us) or a switched network's (25 us), against the compute of a node "
          "like this machine (its measured time per image) and of a node 100 times faster (an accelerator):\n")
    print(f"| model | nodes | link | all-reduce, {1e6 * alpha:.1f} / 25 us | this machine: compute, exposed, efficiency | "
          "100x faster node | per-node batch to hide it (this machine / 100x) |")
    print("|---|---|---|---|---|---|---|")
    for model in ("resnet50", "resnet20"):
        grad, batch, step, compute = measured[model]
        per_image = compute / 1e3 / (batch / 2)
        local = batch // 2
        for nodes in (8, 64, 512):
            for gbit in (10, 100):
                comm = ring_seconds(grad, nodes, alpha, gbit * 1e9 / 8)
                slow = ring_seconds(grad, nodes, 25e-6, gbit * 1e9 / 8)
                cells = []
                for speed in (1, 100):
                    work = per_image * local / speed
                    exposed = max(0.0, slow - 2 / 3 * work)
                    cells.append(f"{1e3 * work:.1f} ms, {1e3 * exposed:.1f} ms, {100 * work / (work + exposed):.0f}%")
                hide = [3 / 2 * slow / (per_image / speed) for speed in (1, 100)]
                print(f"| {model} ({grad / 2**20:.1f} MiB) | {nodes} | {gbit} Gbit/s | {1e3 * comm:.1f} / "
                      f"{1e3 * slow:.1f} ms | {cells[0]} | {cells[1]} | {hide[0]:.1f} / {hide[1]:.0f} |")
    print(f"\n(Per-node batch {measured['resnet50'][1] // 2} for resnet50 and {measured['resnet20'][1] // 2} for resnet20, as "
          "measured; exposed and efficiency with the 25 us latency.)")

if __name__ == "__main__":
    main()
