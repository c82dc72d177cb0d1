#!/usr/bin/env bash
# README command (2), and what CI runs: install what is missing, then build and run every test
# on every backend in the debug, release (NDEBUG, -O2), asan (ASan+UBSan), tsan and clang
# presets.
# Presets to run can be narrowed: scripts/test.sh debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs="$(nproc)"
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(debug release asan tsan clang)
for preset in "${presets[@]}"; do
  echo "== $preset =="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  ctest --preset "$preset" -j"$jobs"
done
echo "all tests passed (${presets[*]})"
