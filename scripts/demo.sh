#!/usr/bin/env bash
# README command (1): install what is missing, build tide in release, run the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target demo
./build/release/examples/demo "$@"
