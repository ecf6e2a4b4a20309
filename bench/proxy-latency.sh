#!/usr/bin/env bash
# What `hooksim proxy` adds to a hook call: builds hooksim and
# bench/proxylat, starts the example hook, then `hooksim proxy` in front
# of it (recording, as a user runs it; NORECORD=1 adds a --no-record
# proxy), and measures N sequential keep-alive calls straight to the
# hook and N through each proxy, interleaved in blocks: p50/p90/p99/max
# in µs and what the proxy adds, as a difference and a ratio.
#
#   bench/proxy-latency.sh [N]      env: NORECORD=1
set -euo pipefail
n=${1:-20000}
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
start_bench proxy-latency
(cd "$top" && go build -o "$tmp/proxylat" ./bench/proxylat)
# start_proxy runs in a command substitution (a subshell): each proxy's
# pid goes to a file the cleanup reads.
cleanup_proxies() {
  for f in "$tmp"/*.pid; do
    [ -e "$f" ] && kill -INT "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  bench_cleanup
}
trap cleanup_proxies EXIT

# start_proxy NAME ARGS...: a proxy in front of the hook; prints its URL.
start_proxy() {
  local name=$1; shift
  "$hs" proxy --upstream "$url" --listen 127.0.0.1:0 -q "$@" >"$tmp/$name.out" 2>&1 &
  echo $! >"$tmp/$name.pid"
  local purl=
  for _ in $(seq 100); do
    purl=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*/' "$tmp/$name.out" | cut -d' ' -f3 || true)
    [ -n "$purl" ] && break
    sleep 0.05
  done
  [ -n "$purl" ] || { cat "$tmp/$name.out" >&2; exit 1; }
  echo "$purl"
}

echo "nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== through hooksim proxy, recording (--db)"
"$tmp/proxylat" -hook "$url" -proxy "$(start_proxy recorded --db "$tmp/p.db")" -n "$n"
if [ "${NORECORD:-}" = 1 ]; then
  echo "== through hooksim proxy --no-record"
  "$tmp/proxylat" -hook "$url" -proxy "$(start_proxy unrecorded --no-record)" -n "$n"
fi
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
