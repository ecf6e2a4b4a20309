#!/usr/bin/env bash
# What recording costs `hooksim run`, measured from the CLI: builds hooksim
# once, starts its example hook on a free 127.0.0.1 port, then in interleaved
# rounds plays the same sessions with recording (a fresh --db each run) and
# with --no-record, and prints each run's sessions/s (wall clock, process
# start to exit), the medians and the recorded / unrecorded ratio (issue 9's
# goal: at least 0.9).
#
#   bench/record-ratio.sh [ROUNDS] [SESSIONS...]    e.g. bench/record-ratio.sh 9 bundled:hello
#
# SESSIONS are what `hooksim run` takes (script files or bundled:NAME); none
# means every bundled session. They are repeated on the command line so that
# one unrecorded run lasts about BENCH_SECONDS (default 3; REPEAT=N fixes the
# count instead). STAGES (default all) is passed to --stages.
#
# The recorded runs share one database, as a user's runs share hooksim.db:
# the first recorded run (the warm-up) creates it. FRESH_DB=1 gives every
# recorded run a new one instead, so that each also pays for creating the
# file and its schema (about 15 ms).
set -euo pipefail
usage='usage: bench/record-ratio.sh [ROUNDS] [SESSIONS...]   (env: BENCH_SECONDS=3, REPEAT=N, STAGES=all, FRESH_DB=1)'
case ${1:-} in -h | --help) echo "$usage"; exit 0 ;; esac
rounds=${1:-7}
[ $# -gt 0 ] && shift
case $rounds in '' | *[!0-9]* | 0) echo "$usage" >&2; exit 2 ;; esac
target=${BENCH_SECONDS:-3}
stages=${STAGES:-all}
top=$(cd "$(dirname "$0")/.." && pwd)

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
machine() { echo "machine ($1): nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"; }
machine start
start_bench record-ratio

if [ $# -eq 0 ]; then
  mapfile -t base < <("$hs" sessions | awk 'NF { print "bundled:" $1 }')
else
  base=("$@")
fi
[ ${#base[@]} -gt 0 ] || { echo "record-ratio: no sessions to play" >&2; exit 1; }

now() { date +%s%N; }

# play MODE REPS: one `hooksim run` over the sessions repeated REPS times;
# writes "seconds sessions hook-calls" to $tmp/result (not a subshell, so that
# any failure of the tool stops the script).
play() {
  local mode=$1 reps=$2 args=() i t0 t1 rc=0 calls played
  for ((i = 0; i < reps; i++)); do args+=("${base[@]}"); done
  local flags=(--no-record)
  if [ "$mode" = recorded ]; then
    if [ "${FRESH_DB:-}" = 1 ] || [ ! -d "$tmp/db" ]; then
      rm -rf "$tmp/db" && mkdir "$tmp/db"
    fi
    flags=(--db "$tmp/db/hooksim.db")
  fi
  t0=$(now)
  "$hs" run --url "$url" --stages "$stages" -q "${flags[@]}" "${args[@]}" >"$tmp/out" 2>"$tmp/err" || rc=$?
  t1=$(now)
  if [ "$rc" -ne 0 ]; then
    echo "record-ratio: hooksim run ($mode) exited $rc:" >&2
    tail -n 20 "$tmp/err" "$tmp/out" | cut -c1-300 >&2
    exit 1
  fi
  if [ "$mode" = recorded ] && [ ! -s "$tmp/db/hooksim.db" ]; then
    echo "record-ratio: the recorded run wrote no database" >&2; exit 1
  fi
  # The summary line: "N sessions played, ...; M hook calls ..." (or "N sessions: P passed, ...").
  played=$(grep -Eo '^[0-9]+ sessions?[ :]' "$tmp/out" | tail -n 1 | grep -Eo '^[0-9]+' || true)
  calls=$(grep -Eo '[0-9]+ hook calls?' "$tmp/out" | tail -n 1 | grep -Eo '^[0-9]+' || true)
  if [ -n "$played" ] && [ "$played" -ne $((reps * ${#base[@]})) ]; then
    echo "record-ratio: $mode run played $played sessions, want $((reps * ${#base[@]}))" >&2; exit 1
  fi
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }') $((reps * ${#base[@]})) ${calls:--}" >"$tmp/result"
}

# Calibrate (also the warm-up): double the repeats until an unrecorded run
# takes half a second, then scale to the target duration.
if [ -n "${REPEAT:-}" ]; then
  reps=$REPEAT
else
  reps=1
  while :; do
    play unrecorded "$reps"
    read -r secs _ _ <"$tmp/result"
    awk -v s="$secs" 'BEGIN { exit !(s >= 0.5) }' && break
    reps=$((reps * 2))
  done
  reps=$(awk -v r="$reps" -v s="$secs" -v t="$target" 'BEGIN { n = int(r * t / s + 0.5); print n < 1 ? 1 : n }')
fi
# The shared database is created by a recorded warm-up run.
[ "${FRESH_DB:-}" = 1 ] || play recorded 1
db_note="one database for all recorded runs"
[ "${FRESH_DB:-}" = 1 ] && db_note="a new database for each recorded run"
echo "hook $url, stages $stages, ${#base[@]} sessions x $reps = $((reps * ${#base[@]})) sessions per run, $rounds rounds, $db_note"

# Rounds alternate which mode goes first, so a drift in load hits both alike.
printf '%-6s %-11s %8s %10s %12s\n' round mode seconds sessions/s calls/s
: >"$tmp/rates"
for ((r = 1; r <= rounds; r++)); do
  order=(unrecorded recorded)
  [ $((r % 2)) -eq 0 ] && order=(recorded unrecorded)
  for mode in "${order[@]}"; do
    play "$mode" "$reps"
    read -r secs n calls <"$tmp/result"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
    crate=-
    [ "$calls" != - ] && crate=$(awk -v n="$calls" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
    printf '%-6s %-11s %8s %10s %12s\n' "$r" "$mode" "$secs" "$rate" "$crate"
    echo "$r $mode $rate" >>"$tmp/rates"
  done
done

# Medians per mode, and the median of the per-round ratios.
awk '
  { rate[$1, $2] = $3; rounds[$1] = 1 }
  END {
    for (r in rounds) { u[++nu] = rate[r, "unrecorded"]; c[++nc] = rate[r, "recorded"]; q[++nq] = rate[r, "recorded"] / rate[r, "unrecorded"] }
    mu = median(u, nu); mc = median(c, nc); mq = median(q, nq)
    printf "median sessions/s: unrecorded %.1f, recorded %.1f\n", mu, mc
    printf "recorded / unrecorded: %.3f (ratio of the medians), %.3f (median of the %d per-round ratios)\n", mc / mu, mq, nq
  }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }' "$tmp/rates"
machine end
