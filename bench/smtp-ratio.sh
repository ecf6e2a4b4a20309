#!/usr/bin/env bash
# What recording costs `hooksim smtp`, and what a live SMTP client costs
# beside a script: builds hooksim and bench/smtpload, starts the example
# hook, then in interleaved rounds runs `hooksim smtp` recorded and
# --no-record (hook at every stage), loads each with smtpload (C
# connections at once, N connections of PER messages), and prints the
# messages/s of each run, their medians and the recorded / unrecorded
# ratio.
#
#   bench/smtp-ratio.sh [ROUNDS]      env: C=8 N=100 PER=10
set -euo pipefail
rounds=${1:-5}
conc=${C:-8}
total=${N:-100}
per=${PER:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
start_bench smtp-ratio
(cd "$top" && go build -o "$tmp/smtpload" ./bench/smtpload)

# run MODE: one hooksim smtp, loaded once; prints its messages/s.
run() {
  local args=(--no-record)
  [ "$1" = recorded ] && args=(--db "$tmp/h.db")
  "$hs" smtp --url "$url" --stages all -q --listen 127.0.0.1:0 "${args[@]}" >"$tmp/smtp.out" 2>&1 &
  local pid=$! addr=
  for _ in $(seq 100); do
    addr=$(grep -o 'SMTP on 127\.0\.0\.1:[0-9]*' "$tmp/smtp.out" | cut -d' ' -f3 || true)
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { cat "$tmp/smtp.out" >&2; exit 1; }
  "$tmp/smtpload" -addr "$addr" -c "$conc" -n "$total" -per "$per" | sed 's/.*: \([0-9.]*\) messages\/s.*/\1/'
  kill -INT "$pid"; wait "$pid" || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run recorded >/dev/null # warm-up: creates the database
printf '%-6s %-11s %s\n' round mode messages/s
: >"$tmp/rec"; : >"$tmp/unrec"
for r in $(seq "$rounds"); do
  for mode in unrecorded recorded; do
    v=$(run "$mode")
    printf '%-6s %-11s %s\n' "$r" "$mode" "$v"
    if [ "$mode" = recorded ]; then echo "$v" >>"$tmp/rec"; else echo "$v" >>"$tmp/unrec"; fi
  done
done
u=$(median <"$tmp/unrec"); rcd=$(median <"$tmp/rec")
echo "median messages/s: unrecorded $u, recorded $rcd ($conc connections at once, $((total * per)) messages a run)"
awk -v r="$rcd" -v u="$u" 'BEGIN { printf "recorded / unrecorded: %.3f\n", r / u }'
echo "machine (end): nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
