#!/usr/bin/env bash
# 004's many-client test against one of the seed-shaped echo servers, each in its own process
# as in the seed: starts SERVER on a port the kernel picks, runs seed_many_clients --port
# against it with N connections (every echo checked), then stops the server with SIGTERM
# (the seed servers run until killed). Exit 0 only if every echo came back.
#   many_clients_against.sh SERVER CLIENT N
set -euo pipefail
server="$1" client="$2" connections="$3"
out="$(mktemp)"
pid=""
trap 'rm -f "$out" "$out.client"; if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi' EXIT

"$server" >"$out" &
pid=$!
for _ in $(seq 1 200); do  # the server prints its address once it listens
  grep -q '^listening on ' "$out" && break
  kill -0 "$pid" 2>/dev/null || { echo "$server exited before listening" >&2; exit 1; }
  sleep 0.05
done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")"
[ -n "$port" ] || { echo "$server did not say where it listens" >&2; exit 1; }

"$client" --port "$port" --connections "$connections" | tee "$out.client"
expected="all $((connections * 3)) echoes intact, in "
last="$(tail -n 1 "$out.client")"
rm -f "$out.client"
case "$last" in
  "$expected"*) ;;
  *) echo "seed_many_clients did not check every echo" >&2; exit 1 ;;
esac

kill -0 "$pid" 2>/dev/null || { echo "$server died while serving" >&2; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 143 ] || { echo "$server exited with $status, not by SIGTERM" >&2; exit 1; }
echo "$(basename "$server") served $connections clients"
