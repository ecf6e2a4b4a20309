#!/usr/bin/env bash
# Peak memory of `hooksim run` for one large message: builds hooksim once,
# starts its example hook on a free 127.0.0.1 port, and for each size plays a
# generated message (a text part and a base64 attachment, CRLF lines) in a
# one-step session script, once each --no-record, recorded (a fresh --db),
# recorded with --json FILE, and --no-record with --json FILE. Prints the peak RSS, RSS / message size (issue
# 9's goal: under 4), the database and report sizes.
#
#   bench/rss.sh [MIB...]    e.g. bench/rss.sh 1 10 30 (the default)
#
# STAGES (default data) is passed to --stages. The peak comes from GNU
# /usr/bin/time -v ("Maximum resident set size"); without it (or with
# RSS_METHOD=proc) /proc/PID/status VmHWM is sampled every 20 ms, which can
# miss a peak reached in the last 20 ms before exit.
set -euo pipefail
usage='usage: bench/rss.sh [MIB...]   (env: STAGES=data, RSS_METHOD=time|proc)'
case ${1:-} in -h | --help) echo "$usage"; exit 0 ;; esac
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 10 30)
for s in "${sizes[@]}"; do
  case $s in '' | *[!0-9]* | 0) echo "$usage" >&2; exit 2 ;; esac
done
stages=${STAGES:-data}
top=$(cd "$(dirname "$0")/.." && pwd)

method=${RSS_METHOD:-}
if [ -z "$method" ]; then
  method=proc
  /usr/bin/time -v true >/dev/null 2>&1 && method=time
fi
case $method in time | proc) ;; *) echo "$usage" >&2; exit 2 ;; esac

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
echo "machine: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), MemAvailable $(awk '/^MemAvailable/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
start_bench rss
echo "hook $url, stages $stages, peak RSS from $([ "$method" = time ] && echo '/usr/bin/time -v' || echo 'sampled /proc/PID/status VmHWM')"

# message MIB FILE: about MIB MiB; 57 random bytes make a 76-character
# base64 line plus CRLF (78 bytes).
message() {
  local raw=$(($1 * 1048576 * 57 / 78))
  {
    printf 'Date: Mon, 02 Mar 2026 10:01:44 +0100\r\nMessage-ID: <rss-%s@example.net>\r\n' "$1"
    printf 'From: Alice Martin <alice@example.net>\r\nTo: Bob Lee <bob@example.org>\r\nSubject: %s MiB attached\r\n' "$1"
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="rss-boundary"\r\n\r\n'
    printf -- '--rss-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe file is attached.\r\n\r\n'
    printf -- '--rss-boundary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n'
    printf 'Content-Disposition: attachment; filename="data.bin"\r\n\r\n'
    head -c "$raw" /dev/urandom | base64 -w 76 | sed 's/$/\r/'
    printf -- '--rss-boundary--\r\n'
  } >"$2"
}

# measure: runs the command given, sets peak_kib and secs; any failure of the
# tool stops the script.
measure() {
  local rc=0 t0 t1 pid hwm line
  t0=$(date +%s%N)
  if [ "$method" = time ]; then
    /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    peak_kib=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tmp/time")
  else
    "$@" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    hwm=0
    while kill -0 "$pid" 2>/dev/null; do
      # A zombie's status has no VmHWM; keep the last value read.
      line=$(grep '^VmHWM:' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$line" ] && hwm=$(echo "$line" | awk '{ print $2 }')
      sleep 0.02
    done
    wait "$pid" || rc=$?
    peak_kib=$hwm
  fi
  t1=$(date +%s%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  if [ "$rc" -ne 0 ]; then
    echo "rss: hooksim run exited $rc:" >&2
    cat "$tmp/err" >&2
    tail -n 20 "$tmp/out" | cut -c1-300 >&2
    exit 1
  fi
  [ -n "$peak_kib" ] && [ "$peak_kib" -gt 0 ] || { echo "rss: no peak RSS measured" >&2; exit 1; }
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

printf '%-8s %-11s %8s %14s %8s %10s %10s\n' message mode seconds 'peak RSS MiB' '/ msg' 'db MiB' 'json MiB'
for size in "${sizes[@]}"; do
  dir=$tmp/m$size
  mkdir "$dir"
  message "$size" "$dir/message.eml"
  printf 'description: one %s MiB message with a base64 attachment\ndata: message.eml\n' "$size" >"$dir/rss.yaml"
  bytes=$(wc -c <"$dir/message.eml")
  for mode in unrecorded recorded json json-unrec; do
    rm -rf "$dir/db" "$dir/report.json" && mkdir "$dir/db"
    flags=(--no-record)
    case $mode in
      recorded) flags=(--db "$dir/db/hooksim.db") ;;
      json) flags=(--db "$dir/db/hooksim.db" --json "$dir/report.json") ;;
      json-unrec) flags=(--no-record --json "$dir/report.json") ;;
    esac
    measure "$hs" run --url "$url" --stages "$stages" -q "${flags[@]}" "$dir/rss.yaml"
    grep -q '^1 session' "$tmp/out" || { echo "rss: unexpected summary:" >&2; cat "$tmp/out" >&2; exit 1; }
    db=-
    [ "$mode" = unrecorded ] || [ "$mode" = json-unrec ] || db=$(mib "$(du -cb "$dir"/db/* | tail -n 1 | cut -f1)")
    js=-
    [ "$mode" = json ] || [ "$mode" = json-unrec ] && js=$(mib "$(wc -c <"$dir/report.json")")
    printf '%-8s %-11s %8s %14s %8s %10s %10s\n' "$(mib "$bytes")" "$mode" "$secs" \
      "$(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }')" \
      "$(awk -v k="$peak_kib" -v b="$bytes" 'BEGIN { printf "%.2f", k * 1024 / b }')" "$db" "$js"
  done
  rm -rf "$dir"
done
echo "machine (end): load $(cut -d' ' -f1-3 /proc/loadavg)"
