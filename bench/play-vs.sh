#!/usr/bin/env bash
# Compares the simulator's sessions/s (BenchmarkPlay, with and without
# recording) of this tree against another commit, in one run, rounds
# interleaved so both see the same machine load; prints the medians and
# their ratios (this tree / REV).
#
#   bench/play-vs.sh REV [ROUNDS] [BENCHTIME]     e.g. bench/play-vs.sh HEAD~5 5 2s
set -euo pipefail
rev=${1:?usage: bench/play-vs.sh REV [ROUNDS] [BENCHTIME]}
rounds=${2:-5}
benchtime=${3:-2s}
top=$(git rev-parse --show-toplevel)
base=$(mktemp -d)
trap 'git -C "$top" worktree remove --force "$base" >/dev/null 2>&1 || true' EXIT
git -C "$top" worktree add -q --detach "$base" "$rev"
out=$(mktemp)
for _ in $(seq "$rounds"); do
  for side in base new; do
    dir=$top; [ "$side" = base ] && dir=$base
    (cd "$dir" && go test -run=NONE -bench=BenchmarkPlay -benchtime="$benchtime" -count=1 ./recorder/) |
      awk -v side="$side" '/^BenchmarkPlay/ { for (i = 1; i <= NF; i++) if ($(i+1) == "sessions/s") print side, $1, $i }' >>"$out"
  done
done
# Median per side and benchmark (plain POSIX awk on sorted input).
sort -k1,1 -k2,2 -k3,3g "$out" | awk '
  { k = $1 " " $2; c[k]++; v[k, c[k]] = $3; names[$2] = 1 }
  function median(k,   m) { m = c[k]; return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2 }
  END {
    for (b in names) {
      nb = median("new " b); bb = median("base " b)
      printf "%-30s base %8.1f  new %8.1f sessions/s  ratio %.2f\n", b, bb, nb, nb / bb
    }
  }'
