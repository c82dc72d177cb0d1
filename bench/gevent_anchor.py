#!/usr/bin/python3
"""gevent measured the way bench/fiber_bench.cpp and bench/fiber_memory.cpp measure tide's
fibres, for bench/fibres_vs_gevent.py. Prints one JSON object (nanoseconds per item, bytes
per idle greenlet). Needs Debian's python3-gevent (run with /usr/bin/python3).

usage: bench/gevent_anchor.py [--min-time 0.3] [--idle 30000]
"""
import argparse
import json
import os
import time

import gevent
import greenlet


def per_item(fn, items_per_call, min_time):
    """Best of a few runs of fn() repeated for at least min_time: ns per item."""
    best = float("inf")
    for _ in range(3):
        calls = 0
        start = time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed * 1e9 / (calls * items_per_call))
    return best


def greenlet_switch(rounds):
    # Main and one greenlet switch back and forth: two switches per round.
    main = greenlet.getcurrent()

    def body():
        while True:
            main.switch()

    g = greenlet.greenlet(body)
    def run():
        for _ in range(rounds):
            g.switch()
    return run


def yield_one(rounds):
    def run():
        def body():
            for _ in range(rounds):
                gevent.sleep(0)
        gevent.spawn(body).join()
    return run


def yield_hundred(rounds):
    def run():
        stop = [False]

        def other():
            while not stop[0]:
                gevent.sleep(0)

        def main():
            for _ in range(rounds):
                gevent.sleep(0)
            stop[0] = True

        others = [gevent.spawn(other) for _ in range(99)]
        gevent.spawn(main).join()
        gevent.joinall(others)
    return run


def spawn_join(batch):
    def run():
        gs = [gevent.spawn(lambda i=i: i) for i in range(batch)]
        gevent.joinall(gs)
    return run


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle_bytes(count):
    gevent.spawn(lambda: None).join()  # warm up
    before = resident_bytes()
    gs = [gevent.spawn(gevent.sleep, 3600) for _ in range(count)]
    gevent.sleep(0)  # every greenlet runs up to its sleep
    after = resident_bytes()
    gevent.killall(gs)
    return (after - before) / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--idle", type=int, default=30000)
    args = parser.parse_args()
    out = {
        "gevent": gevent.__version__,
        "greenlet": greenlet.__version__,
        "GreenletSwitch": per_item(greenlet_switch(10000), 20000, args.min_time),
        "FiberYield": per_item(yield_one(10000), 10000, args.min_time),
        "FiberYield100": per_item(yield_hundred(1000), 100000, args.min_time),
        "FiberSpawnJoin": per_item(spawn_join(1000), 1000, args.min_time),
        "idle_bytes": idle_bytes(args.idle),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
