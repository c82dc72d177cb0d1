#!/usr/bin/env python3
"""The same benchmarks from two builds of a binary, in alternating pairs: before/after ratios.

For each benchmark the filter selects, runs A then B, then B then A, and so on (the second
run of a pair can be systematically faster or slower), takes each pair's ratio time_A / time_B
(above 1: B is faster) and prints the median and the range.

usage: bench/compare_builds.py A_BINARY B_BINARY --filter RE [--pairs 6] [--min-time 0.3]
"""
import argparse
import json
import statistics
import subprocess


def run(binary, name, min_time):
    out = subprocess.run([binary, f"--benchmark_filter=^{name}$", f"--benchmark_min_time={min_time}",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["benchmarks"][0]["real_time"]


def names(binary, pattern):
    out = subprocess.run([binary, f"--benchmark_filter={pattern}", "--benchmark_list_tests"],
                         check=True, capture_output=True, text=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--filter", required=True)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--min-time", type=float, default=0.3)
    args = parser.parse_args()
    print(f"{'benchmark':<40} {'A/B median':>10}  range")
    for name in names(args.a, args.filter):
        ratios = []
        for i in range(args.pairs):
            if i % 2 == 0:
                a = run(args.a, name, args.min_time)
                b = run(args.b, name, args.min_time)
            else:
                b = run(args.b, name, args.min_time)
                a = run(args.a, name, args.min_time)
            ratios.append(a / b)
        print(f"{name:<40} {statistics.median(ratios):>9.3f}x  "
              f"{min(ratios):.3f}-{max(ratios):.3f}")


if __name__ == "__main__":
    main()
