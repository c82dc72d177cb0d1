#!/usr/bin/env bash
# README command (1): install what is missing, build tide in release, run the main demo, then
# the echo server against the echo client (1,000 connections for 3 seconds, every byte
# checked) and print what the client measured.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target demo echo_server echo_client
./build/release/examples/demo "$@"

echo
echo "== echo_server (one task per connection) against echo_client =="
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
out="$(mktemp)"
./build/release/examples/echo_server --port 0 >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$out" && break; sleep 0.05; done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")"
./build/release/examples/echo_client --port "$port" --connections 1000 --in-flight 1 \
  --message-size 64 --duration 3 --warmup 1 | tail -n 1
kill -TERM "$server"
wait "$server"
echo "echo_server stopped cleanly (backend: ${TIDE_BACKEND:-auto})"
