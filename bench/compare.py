#!/usr/bin/env python3
"""Runs tide's benchmarks against their anchors in alternating pairs and prints ratios.

Each benchmark BM_<name>_tide has anchors BM_<name>_<anchor> in the same binary. For every
pair we run tide then the anchor, then the anchor then tide, and so on (the second run of a
pair can be systematically faster or slower, see docs/design.md, "Figures"), take the per-pair ratio
anchor_time / tide_time (above 1: tide is faster), and report the median on a log scale.

Benchmarks that report the counter cpu_ns_per_op (CPU time of the whole process per op, all
threads) get a second row with that counter's per-pair ratios, taken from the same runs.

--max-others F: a benchmark whose threads need both cores (to_thread) measures something else
when another process holds one of them. With this option each run notes the share of the
machine that other processes used meanwhile (/proc/stat, less the run's own CPU); a pair in
which either run saw more than F is discarded and run again once the machine has been idle
for a second. The row then says how many pairs were discarded.

usage: bench/compare.py build/bench/bench/core_bench [--pairs 6] [--min-time 0.3] [--filter RE]
                        [--max-others 0.05]
"""
import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict


def cpu_ticks():
    """(busy, total) clock ticks so far: the whole machine first, then each CPU (/proc/stat)."""
    result = []
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            ticks = [int(t) for t in line.split()[1:]]
            idle = ticks[3] + ticks[4]  # idle, iowait
            result.append((sum(ticks) - idle, sum(ticks)))
    return result


def children_cpu_ticks():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")


def wait_until_idle(max_share):
    """Returns once every CPU was busy less than max_share of a one-second window."""
    while True:
        before = cpu_ticks()[1:]
        time.sleep(1.0)
        after = cpu_ticks()[1:]
        if all(b1 - b0 < max_share * max(1, t1 - t0)
               for (b0, t0), (b1, t1) in zip(before, after)):
            return


def run_one(binary, name, min_time):
    """Returns (time per op, process CPU per op or None), in ns, and the share of the machine
    that other processes used during the run."""
    busy_before, total_before = cpu_ticks()[0]
    own_before = children_cpu_ticks()
    out = subprocess.run(
        [binary, f"--benchmark_filter=^{re.escape(name)}$", f"--benchmark_min_time={min_time}",
         "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    busy_after, total_after = cpu_ticks()[0]
    own = children_cpu_ticks() - own_before
    others = max(0.0, busy_after - busy_before - own) / max(1, total_after - total_before)
    bench = json.loads(out)["benchmarks"][0]
    if bench.get("error_occurred"):
        sys.exit(f"{name}: {bench.get('error_message')}")
    cpu = bench.get("cpu_ns_per_op")
    # Per item when the benchmark counts items (batches), else per iteration.
    if bench.get("items_per_second"):
        return (1e9 / bench["items_per_second"], cpu), others
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[bench["time_unit"]]
    return (bench["real_time"] * scale, cpu), others


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
    parser.add_argument("--max-others", type=float, default=None)
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
            discarded = 0
            i = 0
            while i < args.pairs:
                order = [sides["tide"], anchor_name] if i % 2 == 0 else [anchor_name, sides["tide"]]
                if args.max_others is not None:
                    wait_until_idle(args.max_others)
                pair = {n: run_one(args.binary, n, args.min_time) for n in order}
                if args.max_others is not None and any(
                        others > args.max_others for _, others in pair.values()):
                    discarded += 1
                    continue
                for n, (result, _) in pair.items():
                    runs[n].append(result)
                i += 1
            tide_runs, anchor_runs = runs[sides["tide"]], runs[anchor_name]
            note = f" ({discarded} pairs discarded)" if args.max_others is not None else ""
            print_row(what, anchor, [t for t, _ in tide_runs], [t for t, _ in anchor_runs], note)
            if all(c is not None for _, c in tide_runs + anchor_runs):
                print_row(what + ", process CPU", anchor, [c for _, c in tide_runs],
                          [c for _, c in anchor_runs], note)


def print_row(what, anchor, tide_times, anchor_times, note=""):
    ratios = [a / t for t, a in zip(tide_times, anchor_times)]
    print(f"| {what} | {anchor} | {fmt_time(statistics.median(tide_times))} "
          f"| {fmt_time(statistics.median(anchor_times))} "
          f"| **{median_ratio(ratios):.2f}x** ({min(ratios):.2f}-{max(ratios):.2f}){note} |",
          flush=True)


if __name__ == "__main__":
    main()
