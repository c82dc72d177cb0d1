#!/usr/bin/env python3
"""tide's fibres against gevent (the anchor) and raw Boost.Context, in one run.

Alternates rounds of tide's fiber_bench / fiber_memory and bench/gevent_anchor.py (Debian's
python3-gevent, under /usr/bin/python3) and prints the median of each figure as a markdown
table with the ratio gevent / tide (above 1: tide is faster or smaller).

usage: bench/fibres_vs_gevent.py build/bench/bench [--rounds 3] [--min-time 0.3]
"""
import argparse
import json
import os
import statistics
import subprocess

ROWS = [  # (key, what one item is)
    ("GreenletSwitch", "greenlet switch (ns)"),
    ("FiberYield", "fibre yield through the loop, 1 fibre (ns)"),
    ("FiberYield100", "fibre yield through the loop, 100 fibres (ns a yield)"),
    ("FiberSpawnJoin", "fibre spawned, run and joined (ns)"),
]


def tide_round(bench_dir, min_time):
    out = subprocess.run(
        [os.path.join(bench_dir, "fiber_bench"), "--benchmark_format=json",
         f"--benchmark_min_time={min_time}"],
        check=True, capture_output=True, text=True).stdout
    figures = {}
    for b in json.loads(out)["benchmarks"]:
        name = b["name"]
        key, _, side = name[len("BM_"):].rpartition("_")
        figures[(key, side)] = 1e9 / b["items_per_second"]
    for label, args in (("idle_guarded", ["30000"]), ("idle_unguarded", ["100000", "unguarded"])):
        line = subprocess.run([os.path.join(bench_dir, "fiber_memory"), *args],
                              check=True, capture_output=True, text=True).stdout
        figures[(label, "tide")] = json.loads(line)["bytes_per_fibre"]
    return figures


def gevent_round(min_time):
    here = os.path.dirname(os.path.abspath(__file__))
    line = subprocess.run(["/usr/bin/python3", os.path.join(here, "gevent_anchor.py"),
                           "--min-time", str(min_time), "--idle", "30000"],
                          check=True, capture_output=True, text=True).stdout
    return json.loads(line)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench_dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-time", type=float, default=0.3)
    args = parser.parse_args()
    tide, gevent = [], []
    for _ in range(args.rounds):
        tide.append(tide_round(args.bench_dir, args.min_time))
        gevent.append(gevent_round(args.min_time))

    def med(rounds, key):
        return statistics.median(r[key] for r in rounds)

    print(f"gevent {gevent[0]['gevent']}, greenlet {gevent[0]['greenlet']}; "
          f"median of {args.rounds} alternating rounds")
    print("| | tide | raw Boost.Context | gevent | gevent / tide |")
    print("|---|---|---|---|---|")
    for key, label in ROWS:
        t = med(tide, (key, "tide"))
        raw = med(tide, (key, "raw"))
        g = med(gevent, key)
        print(f"| {label} | {t:,.1f} | {raw:,.1f} | {g:,.1f} | {g / t:.1f}x |")
    g_idle = med(gevent, "idle_bytes")
    for key, label in (("idle_guarded", "resident bytes per idle fibre, 30,000 guarded"),
                       ("idle_unguarded", "resident bytes per idle fibre, 100,000 unguarded")):
        t = med(tide, (key, "tide"))
        print(f"| {label} | {t:,.0f} | | {g_idle:,.0f} (30,000) | {g_idle / t:.1f}x |")


if __name__ == "__main__":
    main()
