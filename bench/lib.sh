# Shared by the bench/ scripts (source it after setting $top): a temp dir
# removed on exit, hooksim built into it, and the example hook started on a
# port the kernel picks.
#
#   start_bench NAME    sets $tmp, $hs (the hooksim binary) and $url (the hook)

tmp=
hook_pid=
bench_cleanup() {
  if [ -n "$hook_pid" ]; then kill "$hook_pid" 2>/dev/null || true; wait "$hook_pid" 2>/dev/null || true; fi
  [ -n "$tmp" ] && rm -rf "$tmp"
}

start_bench() {
  local name=$1
  tmp=$(mktemp -d)
  trap bench_cleanup EXIT
  hs=$tmp/hooksim
  (cd "$top" && go build -o "$hs" ./cmd/hooksim)
  # The example hook's first line names its URL.
  "$hs" example-hook --listen 127.0.0.1:0 -q >"$tmp/hook.out" 2>&1 &
  hook_pid=$!
  url=
  for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/hook.out" || true)
    [ -n "$url" ] && break
    kill -0 "$hook_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "$name: the example hook did not start:" >&2; cat "$tmp/hook.out" >&2; exit 1; }
}
