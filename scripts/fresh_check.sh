#!/usr/bin/env bash
# The fresh-machine check: the README's two commands on a pristine Debian 12, as a new user runs them.
#
# Builds (once, then cached) a minimal Debian 12 root with debootstrap (--variant=minbase, plus make and
# git: what a user installs to clone the project), then for each command copies that root afresh, clones
# the committed HEAD into it and runs the command there under chroot, with the network but none of this
# machine's packages. A CI machine keeps what earlier work installed, so a missing install step can pass
# CI and still stop every new user; this is the check that catches it.
#
# Usage: scripts/fresh_check.sh [--only "make run"] [--cache DIR] [--keep]
#   --only CMD   run only this command (default: "make run", then "make test", each in its own copy)
#   --cache DIR  where the base root is kept between runs (default: /var/cache/cnnzoo-fresh-check)
#   --keep       keep each command's root after it ran (for a look inside); default: removed
# Needs root (debootstrap, chroot, mounts) and the Debian mirror. Logs: build/fresh-check/*.log.
set -euo pipefail

readonly SUITE=bookworm
readonly MIRROR=http://deb.debian.org/debian

cache=/var/cache/cnnzoo-fresh-check
commands=("make run" "make test")
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --only) commands=("$2"); shift 2 ;;
    --cache) cache="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh_check.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh_check.sh: needs root (debootstrap, chroot and mounts); run it with sudo" >&2
  exit 2
fi
for tool in debootstrap chroot git; do
  if ! command -v "$tool" >/dev/null; then
    echo "fresh_check.sh: '$tool' is missing; install it with: apt-get install debootstrap git" >&2
    exit 2
  fi
done

repo="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
head="$(git -C "$repo" rev-parse HEAD)"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "fresh_check.sh: note: uncommitted changes are not checked; this checks the committed HEAD ${head:0:12}"
fi
logs="$repo/build/fresh-check"
mkdir -p "$logs"

seconds_text() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The base root: debootstrap's minbase with make and git, and the sources a Debian 12 install has.
base="$cache/$SUITE-minbase"
if [ ! -f "$base/.complete" ]; then
  echo "fresh-check: building the base root in $base (once; a few minutes)"
  rm -rf --one-file-system "$base"
  mkdir -p "$cache"
  debootstrap --variant=minbase --include=make,git,ca-certificates "$SUITE" "$base" "$MIRROR" >"$logs/debootstrap.log" 2>&1 ||
    { echo "fresh-check: debootstrap failed; see $logs/debootstrap.log" >&2; exit 1; }
  cat >"$base/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
  rm -rf "$base/var/lib/apt/lists/"*  # as after an install: the first apt-get update fetches the lists
  touch "$base/.complete"
fi

work_root=""
# Every process whose root is the work root (an interrupted check leaves its build or run behind).
stop_processes() {
  local p
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$work_root" ]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
}
unmount_all() {
  [ -n "$work_root" ] || return 0
  stop_processes
  # Deepest first; a lazy unmount so a process still holding a file cannot keep a bind mount alive.
  for m in $(awk -v r="$work_root" '$2 ~ "^"r"/" {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
}
cleanup() {
  unmount_all
  if [ -n "$work_root" ] && [ "$keep" -eq 0 ]; then rm -rf --one-file-system "$work_root"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# Runs one README command in a fresh copy of the base root; prints its time, returns its status.
check_command() {
  local command="$1"
  local slug="${command// /-}"
  work_root="/var/tmp/cnnzoo-fresh-check/$slug"
  unmount_all
  rm -rf --one-file-system "$work_root"
  mkdir -p "$(dirname "$work_root")"
  cp -a "$base" "$work_root"
  cp /etc/resolv.conf "$work_root/etc/resolv.conf" 2>/dev/null || true
  git clone -q --no-checkout "$repo" "$work_root/root/cnnzoo"
  git -C "$work_root/root/cnnzoo" checkout -q --detach "$head"
  mount -t proc proc "$work_root/proc"
  mount -t sysfs sysfs "$work_root/sys"
  mount --bind /dev "$work_root/dev"
  mount --bind /dev/pts "$work_root/dev/pts"
  mount -t tmpfs tmpfs "$work_root/dev/shm"

  local log="$logs/$slug.log"
  echo "fresh-check: '$command' in a pristine Debian 12 root at ${head:0:12} (log: $log)"
  local start=$SECONDS status=0
  chroot "$work_root" /usr/bin/env -i HOME=/root TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /root/cnnzoo && $command" >"$log" 2>&1 || status=$?
  local took=$((SECONDS - start))
  if [ "$status" -eq 0 ]; then
    echo "fresh-check: '$command' passed in $(seconds_text $took)"
  else
    echo "fresh-check: '$command' FAILED (exit $status) after $(seconds_text $took); the end of $log:" >&2
    tail -n 25 "$log" >&2
  fi
  cleanup
  work_root=""
  return "$status"
}

failed=0
for command in "${commands[@]}"; do
  check_command "$command" || failed=1
done
exit "$failed"
