#!/usr/bin/python3
"""Python's asyncio.Queue and gevent.queue.Queue moving items from one producer to one consumer,
the pattern of the Queue rows of bench/sync_bench.cpp: the producer puts a batch of 10,000
items, then yields until the consumer has got them all. Bounded: maxsize 63; unbounded: no
maxsize. Prints one JSON object, nanoseconds per item (best of 3 runs of at least --min-time
seconds each). Needs Debian's python3-gevent (run with /usr/bin/python3).

usage: bench/queue_anchor.py [--min-time 0.3]
"""
import argparse
import asyncio
import json
import sys
import time

import gevent
import gevent.queue

BATCH = 10_000
BOUND = 63


def best_per_item(run_batches, min_time):
    """run_batches(n) moves n batches; returns the best ns per item over 3 runs."""
    best = float("inf")
    for _ in range(3):
        batches = 0
        start = time.perf_counter()
        while True:
            run_batches(10)
            batches += 10
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed * 1e9 / (batches * BATCH))
    return best


def asyncio_queue(maxsize):
    async def move(batches):
        q = asyncio.Queue(maxsize)
        got = 0

        async def consumer():
            nonlocal got
            while True:
                v = await q.get()
                if v is None:
                    return
                got += 1

        c = asyncio.get_running_loop().create_task(consumer())
        target = 0
        for _ in range(batches):
            target += BATCH
            for i in range(BATCH):
                await q.put(i)
            while got < target:
                await asyncio.sleep(0)
        await q.put(None)
        await c

    return lambda batches: asyncio.run(move(batches))


def gevent_queue(maxsize):
    def move(batches):
        q = gevent.queue.Queue(maxsize)
        got = [0]

        def consumer():
            while True:
                if q.get() is None:
                    return
                got[0] += 1

        c = gevent.spawn(consumer)
        target = 0
        for _ in range(batches):
            target += BATCH
            for i in range(BATCH):
                q.put(i)
            while got[0] < target:
                gevent.sleep(0)
        q.put(None)
        c.join()

    return move


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-time", type=float, default=0.3)
    args = parser.parse_args()
    out = {
        "python": sys.version.split()[0],
        "gevent": gevent.__version__,
        "asyncio_bounded": best_per_item(asyncio_queue(BOUND), args.min_time),
        "asyncio_unbounded": best_per_item(asyncio_queue(0), args.min_time),
        "gevent_bounded": best_per_item(gevent_queue(BOUND), args.min_time),
        "gevent_unbounded": best_per_item(gevent_queue(None), args.min_time),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
