#!/usr/bin/env bash
# Runs an MPI program as 2 ranks on two hosts made on this machine: two network namespaces, each with its own
# host name, joined by a veth pair, so that the ranks talk over TCP across a link (MPI's TCP transport; no
# shared memory), and nothing they send leaves those namespaces.
#
# Usage: scripts/two_hosts.sh [--keep] -- PROGRAM [ARGS...]
#   rank 0 runs in namespace A (with mpirun), rank 1 in namespace B, which Open MPI reaches through an rsh
#   agent that enters it (ip netns exec) in place of ssh. Prints the bytes that crossed the link at the end.
#   --keep   leave the namespaces in place (for a look with ip netns); default: removed, even on failure
# Needs root (network namespaces), iproute2 and Open MPI. Exit status: the program's; 77 when namespaces
# cannot be made here (not root, no CAP_SYS_ADMIN), with the reason on stderr.
set -euo pipefail

keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --) shift; break ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "two_hosts.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "two_hosts.sh: no program to run (usage: two_hosts.sh -- PROGRAM [ARGS...])" >&2
  exit 2
fi
for tool in ip mpirun unshare; do
  if ! command -v "$tool" >/dev/null; then
    echo "two_hosts.sh: cannot make two hosts here: '$tool' is missing (apt-get install iproute2 openmpi-bin)" >&2
    exit 77
  fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "two_hosts.sh: cannot make two hosts here: network namespaces need root (CAP_SYS_ADMIN)" >&2
  exit 77
fi

id=$$
ns_a="cnnzoo-a-$id" ns_b="cnnzoo-b-$id"
link_a="czA$id" link_b="czB$id"  # interface names have at most 15 characters
ip_a=10.231.0.1 ip_b=10.231.0.2 subnet=10.231.0.0/24  # private to the two namespaces: no clash possible
work="$(mktemp -d /tmp/cnnzoo-two-hosts.XXXXXX)"

cleanup() {
  if [ "$keep" -eq 0 ]; then
    ip netns pids "$ns_a" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns pids "$ns_b" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! error="$(ip netns add "$ns_a" 2>&1)"; then
  echo "two_hosts.sh: cannot make two hosts here: 'ip netns add' failed: $error" >&2
  exit 77
fi
ip netns add "$ns_b"
ip link add "$link_a" type veth peer name "$link_b"
ip link set "$link_a" netns "$ns_a"
ip link set "$link_b" netns "$ns_b"
ip -n "$ns_a" addr add "$ip_a/24" dev "$link_a"
ip -n "$ns_b" addr add "$ip_b/24" dev "$link_b"
for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
ip -n "$ns_a" link set "$link_a" up
ip -n "$ns_b" link set "$link_b" up

# Each host gets a name of its own (a UTS namespace): Open MPI tells nodes apart by name.
cat >"$work/enter_b" <<EOF
#!/bin/sh
# Open MPI's rsh agent: called as "enter_b HOST COMMAND...", it runs COMMAND (the remote daemon) on host B.
shift
exec ip netns exec "$ns_b" unshare --uts sh -c 'echo cnnzoo-b > /proc/sys/kernel/hostname; exec "\$@"' sh sh -c "\$*"
EOF
chmod +x "$work/enter_b"

# The environment rank 1 needs too (mpirun passes on only what it is told to; -x of an unset one warns).
exports=()
for name in PATH LD_LIBRARY_PATH OMP_NUM_THREADS OMP_WAIT_POLICY OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM; do
  if [ -n "${!name+set}" ]; then exports+=(-x "$name"); fi
done

bytes() { ip netns exec "$ns_a" cat "/sys/class/net/$link_a/statistics/$1"; }
sent_before=$(bytes tx_bytes) received_before=$(bytes rx_bytes)
status=0
ip netns exec "$ns_a" unshare --uts sh -c 'echo cnnzoo-a > /proc/sys/kernel/hostname; exec "$@"' sh \
  mpirun -np 2 --host "$ip_a,$ip_b" --bind-to none --allow-run-as-root --oversubscribe \
  --mca plm_rsh_agent "$work/enter_b" --mca btl tcp,self --mca btl_tcp_if_include "$subnet" \
  --mca oob_tcp_if_include "$subnet" "${exports[@]}" "$@" || status=$?
sent=$(($(bytes tx_bytes) - sent_before)) received=$(($(bytes rx_bytes) - received_before))
echo "two_hosts.sh: the link $ip_a <-> $ip_b carried $sent bytes from host A and $received bytes to it"
exit "$status"
