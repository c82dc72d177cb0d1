#!/usr/bin/env python3
"""tide's ProcessPool beside Python's multiprocessing pools, in the same run.

Runs bench/pool_bench (tide) and this script's --python side (multiprocessing.Pool.apply_async,
ProcessPoolExecutor.submit, chunked Pool.map; fork start method, 2 workers) in pairs, the
order flipped every other pair, and reports each side's medians and the median of the per-pair
ratios on a log scale (the geometric mean of the middle two for an even count), as
docs/performance.md asks for measurements on these machines.

    python3 bench/pool_compare.py --bench build/bench/bench/pool_bench [--pairs 4] [--quick]
"""

import argparse
import concurrent.futures as cf
import json
import math
import multiprocessing as mp
import statistics
import subprocess
import sys
import time


def trivial(x):
    return x


def python_side(quick):
    ctx = mp.get_context("fork")
    n_seq = 2000 if quick else 5000
    batch = 10000
    rounds = 2 if quick else 4
    out = {}
    with ctx.Pool(2) as pool:
        for i in range(500):
            pool.apply_async(trivial, (i,)).get()
        lat = []
        start = time.perf_counter()
        for i in range(n_seq):
            t0 = time.perf_counter()
            pool.apply_async(trivial, (i,)).get()
            lat.append((time.perf_counter() - t0) * 1e6)
        out["apply_async_seq_tasks_per_s"] = n_seq / (time.perf_counter() - start)
        lat.sort()
        out["apply_async_p50_us"] = lat[len(lat) // 2]
        out["apply_async_p99_us"] = lat[int(0.99 * (len(lat) - 1))]
        start = time.perf_counter()
        for _ in range(rounds):
            results = [pool.apply_async(trivial, (i,)) for i in range(batch)]
            for r in results:
                r.get()
        out["apply_async_bulk_tasks_per_s"] = batch * rounds / (time.perf_counter() - start)
        items = range(200000 if quick else 1000000)
        start = time.perf_counter()
        map_rounds = 2 if quick else 3
        for _ in range(map_rounds):
            pool.map(trivial, items)
        out["map_items_per_s"] = len(items) * map_rounds / (time.perf_counter() - start)
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        for i in range(500):
            ex.submit(trivial, i).result()
        lat = []
        start = time.perf_counter()
        for i in range(n_seq):
            t0 = time.perf_counter()
            ex.submit(trivial, i).result()
            lat.append((time.perf_counter() - t0) * 1e6)
        out["submit_seq_tasks_per_s"] = n_seq / (time.perf_counter() - start)
        lat.sort()
        out["submit_p50_us"] = lat[len(lat) // 2]
        out["submit_p99_us"] = lat[int(0.99 * (len(lat) - 1))]
        start = time.perf_counter()
        for _ in range(rounds):
            futures = [ex.submit(trivial, i) for i in range(batch)]
            for f in futures:
                f.result()
        out["submit_bulk_tasks_per_s"] = batch * rounds / (time.perf_counter() - start)
    return out


# (label, tide's key, Python's key, target ratio or None); higher is better for all of them.
COMPARED = [
    ("submit, sequential (tasks/s)", "seq_tasks_per_s", "submit_seq_tasks_per_s", 20),
    ("submit, bulk 10,000 in flight (tasks/s)", "bulk_tasks_per_s", "submit_bulk_tasks_per_s", 20),
    ("apply_async, sequential (tasks/s)", "apply_async_seq_tasks_per_s",
     "apply_async_seq_tasks_per_s", 20),
    ("apply_async, bulk 10,000 in flight (tasks/s)", "apply_async_bulk_tasks_per_s",
     "apply_async_bulk_tasks_per_s", 20),
    ("map of a trivial function, default chunks (items/s)", "map_items_per_s", "map_items_per_s", 2),
]


def log_median(values):
    logs = sorted(math.log(v) for v in values)
    n = len(logs)
    mid = logs[n // 2] if n % 2 else (logs[n // 2 - 1] + logs[n // 2]) / 2
    return math.exp(mid)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", help="path of pool_bench")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--python", action="store_true", help="run only Python's side (JSON)")
    args = parser.parse_args()
    if args.python:
        print(json.dumps(python_side(args.quick)))
        return
    if not args.bench:
        parser.error("--bench is required")
    tide_cmd = [args.bench] + (["--quick"] if args.quick else [])
    py_cmd = [sys.executable, __file__, "--python"] + (["--quick"] if args.quick else [])
    tides, pythons = [], []
    for pair in range(args.pairs):
        order = [("tide", tide_cmd), ("python", py_cmd)]
        if pair % 2:
            order.reverse()
        for name, cmd in order:
            result = json.loads(subprocess.run(cmd, check=True, capture_output=True,
                                               text=True).stdout)
            (tides if name == "tide" else pythons).append(result)
            print(f"pair {pair + 1} {name}: {json.dumps(result)}", file=sys.stderr)
    print("| measure | tide (median) | Python (median) | ratio (median of pairs) | target |")
    print("|---|---|---|---|---|")
    for label, tk, pk, target in COMPARED:
        ratios = [t[tk] / p[pk] for t, p in zip(tides, pythons)]
        ratio = log_median(ratios)
        verdict = "met" if ratio >= target else "missed"
        print(f"| {label} | {statistics.median(t[tk] for t in tides):,.0f} | "
              f"{statistics.median(p[pk] for p in pythons):,.0f} | {ratio:.1f}x "
              f"({min(ratios):.1f}-{max(ratios):.1f}) | >= {target}x: {verdict} |")
    med = lambda key, runs: statistics.median(r[key] for r in runs)
    print(f"| latency p50 / p99, sequential (us) | {med('seq_p50_us', tides):.1f} / "
          f"{med('seq_p99_us', tides):.1f} | apply_async {med('apply_async_p50_us', pythons):.0f} / "
          f"{med('apply_async_p99_us', pythons):.0f}; submit {med('submit_p50_us', pythons):.0f} / "
          f"{med('submit_p99_us', pythons):.0f} | | |")
    speedups = [t["pi_speedup"] for t in tides]
    print(f"| Monte Carlo pi, 2 workers vs 1 | {statistics.median(speedups):.2f}x "
          f"({min(speedups):.2f}-{max(speedups):.2f}) | | | >= 1.8x: "
          f"{'met' if statistics.median(speedups) >= 1.8 else 'missed'} |")
    print(f"| codec, encode+decode of a small call and its result | "
          f"{med('codec_ns', tides):.0f} ns = {100 * med('codec_share', tides):.1f}% of a "
          f"sequential round trip | | | |")
    print(f"| idle CPU of the pool (parent + server + 2 workers) | "
          f"{med('idle_cpu_percent', tides):.2f}% of one core | | | ~0 |")
    print(f"\nbackend: {tides[0]['backend']}; {args.pairs} pairs")


if __name__ == "__main__":
    main()
