#!/usr/bin/env bash
# Compiler time of a clean build, summed per part (library, test binaries, examples), to see
# what the unity batches save: every compiler run is timed through a launcher.
#   bench/compile_time.sh [extra cmake arguments, e.g. -DTIDE_UNITY_BUILD=OFF]
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d /tmp/tide-compile-time.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cat > "$work/time.sh" <<'LAUNCH'
#!/usr/bin/env bash
start=$(date +%s.%N)
"$@"
status=$?
out=""
for ((i = 1; i <= $#; ++i)); do
  if [ "${!i}" = "-o" ]; then next=$((i + 1)); out="${!next}"; fi
done
echo "$(echo "$(date +%s.%N) - $start" | bc) $out" >> "$(dirname "$0")/times.log"
exit $status
LAUNCH
chmod +x "$work/time.sh"
cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Debug -DTIDE_BUILD_SEEDS=OFF \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$work/time.sh" "$@" > /dev/null
start=$(date +%s)
cmake --build "$work/build" -j"$(nproc)" > /dev/null
echo "clean debug build (seeds off): $(( $(date +%s) - start )) s of wall time"
awk '{ part = "examples"; if ($2 ~ /^CMakeFiles\/tide_.*tests/) part = "test binaries";
       else if ($2 ~ /CMakeFiles\/tide.dir/) part = "library";
       sum[part] += $1; runs[part]++ }
     END { for (p in sum) printf "%-14s %3d compiler runs %7.1f s\n", p, runs[p], sum[p] }' \
  "$work/times.log" | sort
