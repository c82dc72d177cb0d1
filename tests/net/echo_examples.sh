#!/usr/bin/env bash
# Runs examples/echo_server against examples/echo_client: every echoed byte checked by the
# client, then SIGTERM must stop the server cleanly (exit 0; under ASan, no leak).
#   echo_examples.sh <echo_server> <echo_client> <backend> <task|fiber>
set -euo pipefail
server="$1" client="$2" backend="$3" style="$4"
out="$(mktemp)"
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null || true' EXIT

"$server" --port 0 --backend "$backend" --style "$style" >"$out" &
pid=$!
for _ in $(seq 1 200); do  # the server prints its address once it listens
  grep -q '^listening on ' "$out" && break
  kill -0 "$pid" 2>/dev/null || { echo "echo_server exited before listening" >&2; exit 1; }
  sleep 0.05
done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")"
[ -n "$port" ] || { echo "echo_server did not say where it listens" >&2; exit 1; }

result="$("$client" --port "$port" --backend "$backend" --connections 200 --in-flight 4 \
  --message-size 100 --duration 1 --warmup 0.2 | tail -n 1)"
echo "$result"
case "$result" in
  round_trips=*errors=0) ;;
  *) echo "echo_client reported errors or no result" >&2; exit 1 ;;
esac

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || { echo "echo_server exited with $status after SIGTERM" >&2; exit 1; }
echo "echo_server stopped cleanly"
