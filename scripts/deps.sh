#!/usr/bin/env bash
# Installs what tide needs from Debian's packages, only what is missing; silent when all is
# present. Run as root (or with sudo available). Idempotent.
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  liburing-dev
  libboost1.81-dev libboost-context1.81-dev
  libboost-fiber1.81-dev  # the anchor of the sync benchmarks (bench/sync_bench.cpp)
  libcereal-dev libuv1-dev
  libglib2.0-dev  # examples/glib_embed.cpp (tide inside a GLib main loop); skipped without it
  python3-gevent  # the anchor of the fibre benchmarks (bench/fibres_vs_gevent.py)
  strace valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tide: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
