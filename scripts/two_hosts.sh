#!/usr/bin/env bash
# Runs an MPI program as 2 ranks on two "hosts" made on this machine: two network namespaces, each with its own
# host name (a UTS namespace), joined by a veth pair, so that the ranks talk over TCP across a link as two
# machines would (Open MPI's ob1 with the tcp transport only: no shared memory), and nothing they send leaves
# those namespaces.
#
# Usage: scripts/two_hosts.sh [--keep] [--verbose] [-x NAME]... -- PROGRAM [ARGS...]
#   Rank 0 runs on host A (with mpirun), rank 1 on host B, which mpirun reaches through an rsh agent that
#   enters B's namespaces in place of ssh, with a clean environment as ssh gives: only what mpirun forwards
#   (-x) reaches rank 1: PATH, LD_LIBRARY_PATH, OMP_*, CNNZOO_* when set, and each -x NAME. At the end, prints
#   the bytes that crossed the link (its two directions).
#   --keep      leave the namespaces in place (look with: ip netns; ip -n NAME addr); default: removed, even
#               on failure or Ctrl-C
#   --verbose   show the commands, and which transport Open MPI picked for each peer (btl_base_verbose)
#   -x NAME     forward this environment variable to the ranks too (repeatable)
# Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN), iproute2, util-linux (unshare, nsenter) and Open MPI (mpirun, orted).
# Exit status: the program's (mpirun's); 2 for bad usage; 77 when the two hosts cannot be made here (not
# root, no namespaces, no veth), with the reason in one line on stderr: CTest's SKIP_RETURN_CODE (so a
# program that exits 77 itself reads as skipped too).
set -euo pipefail

me=two_hosts.sh
keep=0 verbose=0
forward=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --verbose) verbose=1; shift ;;
    -x)
      if [ $# -lt 2 ]; then echo "$me: -x needs a variable name (see --help)" >&2; exit 2; fi
      forward+=("$2"); shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,/^set /{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    -*) echo "$me: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "$me: no program to run (usage: two_hosts.sh [--keep] -- PROGRAM [ARGS...])" >&2
  exit 2
fi

skip() {  # cannot make two hosts here: one line, and CTest's "skipped"
  echo "$me: skipped: cannot make two hosts here: $*" >&2
  exit 77
}
for tool in ip unshare nsenter mpirun; do
  command -v "$tool" >/dev/null || skip "'$tool' is missing (apt-get install iproute2 util-linux openmpi-bin)"
done
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (running as uid $(id -u))"
# Root in a user namespace or a container without CAP_SYS_ADMIN has uid 0 too: try a UTS namespace first.
if ! error="$(unshare --uts true 2>&1)"; then
  skip "'unshare --uts' failed: $(echo "$error" | head -n 1)"
fi

# The names carry this shell's pid: two runs at once do not meet. The addresses live only inside the two
# namespaces (neither is in this machine's own namespace), so they cannot clash with its networks, nor with
# another run's.
id=$$
ns_a="cnnzoo-a-$id" ns_b="cnnzoo-b-$id"
link_a="czA$id" link_b="czB$id"  # at most 15 characters
ip_a=10.231.0.1 ip_b=10.231.0.2 subnet=10.231.0.0/24
work="" mpirun_pid="" made=()  # what cleanup undoes

# shellcheck disable=SC2317  # (called by the trap)
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$mpirun_pid" ] && kill -0 "$mpirun_pid" 2>/dev/null; then
    kill -TERM "$mpirun_pid" 2>/dev/null || true  # mpirun ends its ranks and daemons
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$mpirun_pid" 2>/dev/null || break; sleep 0.3; done
  fi
  if [ "$keep" -eq 0 ]; then
    local ns pids
    for ns in "${made[@]}"; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do  # what is left of the job (by process id), until it is gone
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
        [ "${#pids[@]}" -gt 0 ] || break
        kill -KILL "${pids[@]}" 2>/dev/null || true
        sleep 0.2
      done
      # Deleting the namespace takes its end of the veth pair, and so the pair, with it. It fails (busy) while
      # a process that entered it is still dying: try again.
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        ip netns del "$ns" 2>/dev/null && break
        [ -e "/run/netns/$ns" ] || break
        sleep 0.2
      done
      if [ -e "/run/netns/$ns" ]; then echo "$me: could not remove the namespace $ns: ip netns del $ns" >&2; fi
    done
    ip link del "$link_a" 2>/dev/null || true  # the pair when it was made but not yet moved
  elif [ "${#made[@]}" -gt 0 ]; then
    echo "$me: kept the namespaces ${made[*]} (remove them: ip netns del NAME)" >&2
  fi
  [ -z "$work" ] || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for ns in "$ns_a" "$ns_b"; do
  if [ -e "/run/netns/$ns" ]; then
    echo "$me: the namespace $ns exists already (left by --keep?): remove it with ip netns del $ns" >&2
    exit 1
  fi
done
for ns in "$ns_a" "$ns_b"; do
  if ! error="$(ip netns add "$ns" 2>&1)"; then
    skip "'ip netns add' failed: $(echo "$error" | head -n 1)"
  fi
  made+=("$ns")
done
if ! error="$(ip link add "$link_a" type veth peer name "$link_b" 2>&1)"; then
  skip "cannot make a veth pair: $(echo "$error" | head -n 1)"
fi
ip link set "$link_a" netns "$ns_a"
ip link set "$link_b" netns "$ns_b"
# Commands enter a namespace by nsenter, which only joins it: `ip netns exec` and `ip -n` also remount /sys,
# and fail where / is no mount point (a chroot, as the fresh-root check's).
in_ns() { nsenter --net="/run/netns/$1" "${@:2}"; }
if ! error="$(in_ns "$ns_a" true 2>&1)"; then
  skip "cannot enter the namespace $ns_a: $(echo "$error" | head -n 1)"
fi
in_ns "$ns_a" ip addr add "$ip_a/24" dev "$link_a"
in_ns "$ns_b" ip addr add "$ip_b/24" dev "$link_b"
for ns in "$ns_a" "$ns_b"; do in_ns "$ns" ip link set lo up; done
in_ns "$ns_a" ip link set "$link_a" up
in_ns "$ns_b" ip link set "$link_b" up

work="$(mktemp -d /tmp/cnnzoo-two-hosts.XXXXXX)"
# "enter_host NS COMMAND..." runs COMMAND on a host: in the network namespace NS, with a UTS namespace whose
# host name is NS. Both hosts' processes start through it: mpirun on A, Open MPI's daemon on B.
enter_host="$work/enter_host"
cat >"$enter_host" <<'END'
#!/bin/sh
ns="$1"
shift
exec nsenter --net="/run/netns/$ns" unshare --uts sh -c 'echo "$1" >/proc/sys/kernel/hostname && shift && exec "$@"' \
  sh "$ns" "$@"
END
chmod +x "$enter_host"

# The rsh agent, mpirun's ssh: "agent [OPTIONS] HOST COMMAND..." runs COMMAND (Open MPI's daemon, orted)
# through sh on HOST, with the environment ssh would give, not mpirun's (so that rank 1 gets only what is
# forwarded, as on a real host).
agent="$work/rsh_agent"
cat >"$agent" <<EOF
#!/bin/sh
while [ \$# -gt 0 ]; do case "\$1" in -*) shift ;; *) break ;; esac; done
case "\$1" in
  $ip_a) ns=$ns_a ;;
  $ip_b) ns=$ns_b ;;
  *) echo "two_hosts.sh rsh agent: no such host: \$1" >&2; exit 255 ;;
esac
shift
exec env -i HOME="\$HOME" USER="\$(id -un)" LOGNAME="\$(id -un)" SHELL=/bin/sh \\
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  "$enter_host" "\$ns" sh -c "\$*"
EOF
chmod +x "$agent"

exports=()
for name in PATH LD_LIBRARY_PATH $(compgen -e | grep -E '^(OMP_|CNNZOO_)' || true) "${forward[@]}"; do
  if [ -n "${!name+set}" ]; then exports+=(-x "$name"); fi  # -x of an unset variable only warns
done
verbosity=()
if [ "$verbose" -eq 1 ]; then verbosity=(--mca btl_base_verbose 30); fi

# Rank 0 on host A, rank 1 on host B: one slot each, filled in the order of --host. mpirun knows A (its own
# address) as the local host, and starts a daemon only on B.
# shellcheck disable=SC2054  # (the commas are --host's)
command=(mpirun -np 2 --host "$ip_a:1,$ip_b:1" --allow-run-as-root --oversubscribe --bind-to none
  --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet"
  --mca plm_rsh_agent "$agent" "${verbosity[@]}" "${exports[@]}" "$@")
if [ "$verbose" -eq 1 ]; then echo "$me: on host A ($ns_a, $ip_a): ${command[*]}" >&2; fi

# The link's byte counters on A's side, from A's /proc/net/dev ("NAME: rx_bytes ... (8 fields) tx_bytes ...").
counter() {
  in_ns "$ns_a" cat /proc/net/dev | sed 's/:/ /' |
    awk -v link="$link_a" -v field="$1" '$1 == link { print field == "rx" ? $2 : $10 }'
}
sent_before=$(counter tx) received_before=$(counter rx)
# In the background, so that a signal reaches the traps at once; mpirun reads no input of ours.
"$enter_host" "$ns_a" "${command[@]}" </dev/null &
mpirun_pid=$!
status=0
wait "$mpirun_pid" || status=$?
mpirun_pid=""
sent=$(($(counter tx) - sent_before)) received=$(($(counter rx) - received_before))
echo "$me: the link $ip_a <-> $ip_b carried $sent bytes from host A and $received bytes to it"
exit "$status"
