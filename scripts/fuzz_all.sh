#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build (`make fuzz`) for FUZZ_SECONDS each, one after another, and prints
# a Markdown table of libFuzzer's final figures (docs/reliability.md keeps the last one). A target that finds
# a crash, leak, timeout or out-of-memory input leaves it in BUILD/fuzz-artifacts/TARGET/ and the script
# exits 1 after the table. Logs: BUILD/fuzz-logs/TARGET.log.
# Usage: scripts/fuzz_all.sh [BUILD (build-fuzz)] [target ...]   (FUZZ_SECONDS, default 60;
# FUZZ_RUNS: also stop a target after that many executions; FUZZ_NICE, default 10)
set -euo pipefail
build=${1:-build-fuzz}
shift || true
seconds=${FUZZ_SECONDS:-60}
list=$build/fuzz_targets.txt
[ -f "$list" ] || { echo "fuzz_all.sh: $list missing: configure $build with -DCNNZOO_FUZZ=ON (make fuzz)" >&2; exit 2; }
mkdir -p "$build/fuzz-logs"

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), ${seconds} s per target, $(date -u +%Y-%m-%d)"
echo
echo "| target | executions | exec/s | cov | ft | corpus | peak RSS (MB) | 10^7 executions | result |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
failed=0
while read -r name command; do
  [[ "$name" == \#* || -z "$name" ]] && continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  log=$build/fuzz-logs/$name.log
  # shellcheck disable=SC2086  # the command line is split on purpose
  if nice -n "${FUZZ_NICE:-10}" $command -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} >"$log" 2>&1; then result=clean; else result="FOUND (see $log)"; failed=1; fi
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  rss=$(stat peak_rss_mb)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  ten_million=$(awk -v r="${rate:-0}" 'BEGIN { if (r > 0) printf "%.1f h", 1e7 / r / 3600; else print "-" }')
  echo "| $name | ${execs:--} | ${rate:--} | ${cov:--} | ${ft:--} | ${corp:--} | ${rss:--} | $ten_million | $result |"
done <"$list"
exit $failed
