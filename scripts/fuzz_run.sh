#!/usr/bin/env bash
# Runs one libFuzzer target with cnnzoo's settings: inputs up to MAX_LEN bytes, 10 s per input at most,
# 2 GiB of memory, stdout and stderr of the code under test closed (libFuzzer's own report still shows),
# crash inputs written to ARTIFACTS. The remaining arguments go to libFuzzer: options, then corpus folders
# (fuzzing) or input files (each run once, as the regression tests do).
# Usage: scripts/fuzz_run.sh TARGET MAX_LEN ARTIFACTS [libFuzzer arguments...]
set -euo pipefail
target=$1 max_len=$2 artifacts=$3
shift 3
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One OpenMP thread: the readers do not use more, and a pool of idle threads only slows each run.
export OMP_NUM_THREADS=1
# The targets write each input to a scratch file (fuzz/fuzz_support.h): on a disk that costs a system call
# storm per input, on tmpfs little (fuzz_npy: about 1,500 against 17,000 executions a second here).
if [ -z "${FUZZ_TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then FUZZ_TMPDIR=/dev/shm; fi
export TMPDIR=${FUZZ_TMPDIR:-${TMPDIR:-/tmp}}
exec "$target" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
  -artifact_prefix="$artifacts" "$@"
