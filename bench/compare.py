#!/usr/bin/env python3
"""Runs tide's benchmarks against their anchors in alternating pairs and prints ratios.

Each benchmark BM_<name>_tide has anchors BM_<name>_<anchor> in the same binary. For every
pair we run tide then the anchor, then the anchor then tide, and so on (the second run of a
pair can be systematically faster or slower, see shared/MEASURED.md), take the per-pair ratio
anchor_time / tide_time (above 1: tide is faster), and report the median on a log scale.

Benchmarks that report the counter cpu_ns_per_op (CPU time of the whole process per op, all
threads) get a second row with that counter's per-pair ratios, taken from the same runs.

usage: bench/compare.py build/bench/bench/core_bench [--pairs 6] [--min-time 0.3] [--filter RE]
"""
import argparse
import json
import math
import re
import statistics
import subprocess
import sys
from collections import defaultdict


def run_one(binary, name, min_time):
    """Returns (time per op, process CPU per op or None), in ns."""
    out = subprocess.run(
        [binary, f"--benchmark_filter=^{re.escape(name)}$", f"--benchmark_min_time={min_time}",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    bench = json.loads(out)["benchmarks"][0]
    if bench.get("error_occurred"):
        sys.exit(f"{name}: {bench.get('error_message')}")
    cpu = bench.get("cpu_ns_per_op")
    # Per item when the benchmark counts items (batches), else per iteration.
    if bench.get("items_per_second"):
        return 1e9 / bench["items_per_second"], cpu
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[bench["time_unit"]]
    return bench["real_time"] * scale, cpu


def median_ratio(ratios):
    logs = sorted(math.log(r) for r in ratios)
    return math.exp(statistics.median(logs))


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.1f} ns"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--min-time", default="0.3")
    parser.add_argument("--filter", default=".")
    args = parser.parse_args()

    listed = subprocess.run([args.binary, "--benchmark_list_tests"], check=True,
                            capture_output=True, text=True).stdout.split()
    groups = defaultdict(dict)
    for name in listed:
        m = re.fullmatch(r"BM_(\w+?)_([a-z]+)(/.*)?", name)
        if m and re.search(args.filter, name):
            groups[m.group(1)][m.group(2)] = name

    print("| benchmark | anchor | tide per op | anchor per op | anchor / tide (median, min-max) |")
    print("|---|---|---|---|---|")
    for what, sides in groups.items():
        if "tide" not in sides:
            continue
        for anchor, anchor_name in sides.items():
            if anchor == "tide":
                continue
            runs = {sides["tide"]: [], anchor_name: []}
            for i in range(args.pairs):
                order = [sides["tide"], anchor_name] if i % 2 == 0 else [anchor_name, sides["tide"]]
                for n in order:
                    runs[n].append(run_one(args.binary, n, args.min_time))
            tide_runs, anchor_runs = runs[sides["tide"]], runs[anchor_name]
            print_row(what, anchor, [t for t, _ in tide_runs], [t for t, _ in anchor_runs])
            if all(c is not None for _, c in tide_runs + anchor_runs):
                print_row(what + ", process CPU", anchor, [c for _, c in tide_runs],
                          [c for _, c in anchor_runs])


def print_row(what, anchor, tide_times, anchor_times):
    ratios = [a / t for t, a in zip(tide_times, anchor_times)]
    print(f"| {what} | {anchor} | {fmt_time(statistics.median(tide_times))} "
          f"| {fmt_time(statistics.median(anchor_times))} "
          f"| **{median_ratio(ratios):.2f}x** ({min(ratios):.2f}-{max(ratios):.2f}) |",
          flush=True)


if __name__ == "__main__":
    main()
