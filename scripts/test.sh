#!/usr/bin/env bash
# README command (2), and what CI runs: install what is missing, then build and run every test
# on every backend in the debug, release (NDEBUG, -O2), asan (ASan+UBSan), tsan and clang
# presets. The seed programs (examples/seeds) are built and checked in debug and asan.
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
  # Most tests wait (on timers, sockets, children) far more than they compute: two per core
  # keep the cores busier (debug: the sync suite 12 s at -j2, 4 s at -j8 on 2 cores; -j8
  # under ASan also exposed races in tests that were then fixed, so two, not four).
  ctest --preset "$preset" -j"$((jobs * 2))"
done
echo "all tests passed (${presets[*]})"
