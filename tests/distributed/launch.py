"""What the data-parallel tests share: cnnzoo train in one process or under mpirun, and a checkpoint's
metadata. Every run uses 1 engine thread per rank and the same seed, so that runs differ only where the
test means them to."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "compare_checkpoints.py")

# mpirun refuses root without these (the CI machine runs as root); --oversubscribe lets 2 ranks share a
# machine with fewer cores; idle OpenMP threads sleep, as in every test.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMP_WAIT_POLICY": "passive"}
MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none", "-x", "OMP_WAIT_POLICY"]


def environment():
    env = dict(os.environ)
    env.update(MPI_ENV)
    return env


def train_command(cnnzoo, out, *options):
    return [cnnzoo, "train", "--threads", "1", "--out", out, *map(str, options)]


def run(command, timeout=600):
    """Runs a command; on failure prints its output and exits 1."""
    print("$ " + " ".join(command), flush=True)
    done = subprocess.run(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if done.returncode != 0:
        print(done.stdout)
        fail(f"exit status {done.returncode}")
    return done.stdout


def train(cnnzoo, ranks, out, *options):
    """cnnzoo train alone (ranks 0) or under mpirun -np ranks; returns its output."""
    command = train_command(cnnzoo, out, *options)
    return run(command if ranks == 0 else [*MPIRUN, "-np", str(ranks), *command])


def metadata(checkpoint):
    with open(checkpoint, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(size)).get("__metadata__", {})


def history(checkpoint):
    return json.loads(metadata(checkpoint)["history"])


def compare(a, b, tolerance):
    """True when the weights of the two checkpoints agree within `tolerance` of their range."""
    done = subprocess.run([sys.executable, COMPARE, a, b, "--only-trainable", "--tolerance", str(tolerance)],
                          stdout=subprocess.PIPE, text=True)
    print(done.stdout.strip(), flush=True)
    return done.returncode == 0


def fail(message):
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


def scratch():
    folder = tempfile.mkdtemp(prefix="cnnzoo-distributed-")
    return folder, lambda: shutil.rmtree(folder, ignore_errors=True)
