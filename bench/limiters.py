"""Hits per second of ``limits`` against the hub's own token-bucket plan limiter, in memory,
in the same run (not a test: it prints numbers; docs/security.md quotes them).

Each limiter is asked ``-n`` times (default 200,000) over ``--keys`` consumers (default
1,000), through its async API as the edge calls it: ``LocalRateLimiter.hit(consumer,
plan)`` (gateway/policies/ratelimit.py) and ``limits.aio`` ``FixedWindowRateLimiter`` /
``MovingWindowRateLimiter`` over ``MemoryStorage``, each with a limit nobody reaches.
CPU time (``time.process_time``), best of 5 rounds.

    .venv/bin/python bench/limiters.py [-n 200000] [--keys 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Awaitable, Callable

from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from gateway.policies.ratelimit import LocalRateLimiter
from shared.settings import Plan


async def rate(hit: Callable[[str], Awaitable[object]], n: int, keys: list[str]) -> float:
    best = 0.0
    for _ in range(5):
        started = time.process_time()
        for i in range(n):
            await hit(keys[i % len(keys)])
        best = max(best, n / (time.process_time() - started))
    return best


async def main(n: int, key_count: int) -> None:
    keys = [f"consumer-{i}" for i in range(key_count)]
    plans = {"big": Plan(rate_per_second=1e9, burst=1_000_000_000)}
    bucket = LocalRateLimiter(lambda: plans)
    item = parse(f"{n * 10}/hour")
    fixed = FixedWindowRateLimiter(MemoryStorage())
    moving = MovingWindowRateLimiter(MemoryStorage())
    contenders = {
        "hand-written token bucket (LocalRateLimiter.hit)": lambda k: bucket.hit(k, "big"),
        "limits FixedWindowRateLimiter + MemoryStorage": lambda k: fixed.hit(item, "bench", k),
        "limits MovingWindowRateLimiter + MemoryStorage": lambda k: moving.hit(item, "bench", k),
    }
    for name, hit in contenders.items():
        print(f"{name:50s} {await rate(hit, n, keys):>12,.0f} hits/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200_000)
    parser.add_argument("--keys", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.keys))
