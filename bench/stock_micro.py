"""CPU per stock event through the one-process hub, in process (no HTTP server; prints numbers).

Builds the ``all`` role as ``hub serve`` does (``HubApp``, the sandbox included, the heap
settled as the lifespan settles it) on a fresh PostgreSQL database and Redis Streams, then drives
the built edge with a minimal ASGI driver: ``--concurrency`` tasks POST the burst of
``bench/stock_events.py`` (signed, one event per request) and the run ends when every (sku,
location) holds its newest sequence and no ``stock.changed`` row is left in the outbox. Reports
this process's CPU time (``time.process_time``) per event for the POSTs alone (accepted) and
until applied, the garbage collector's share, and the driver's own cost (the same requests
answered by a trivial app). On a shared machine the CPU time is the figure to go by.
``--profile FILE``: a cProfile of the burst (wall clock: a CPU clock costs a system call per
function call), for ``python -m pstats FILE``; ``py-spy record --gil -- python bench/stock_micro.py``
samples it too. ``STOCK_MICRO_GC=700,10,10``: other collector thresholds (that is the
interpreter's default). Bounded: 120 s for the apply; 127.0.0.1 only.

    .venv/bin/python bench/stock_micro.py [--events 10000] [--redis redis://127.0.0.1:6379/5]
        [--concurrency 64] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import hmac
import os
import secrets
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from commerce_hub.asgi import HubApp  # noqa: E402
try:
    from commerce_hub.asgi import settle_heap  # noqa: E402
except ImportError:  # a checkout from before it (measuring "before"): what its lifespan did
    def settle_heap() -> None:
        gc.collect()
        gc.freeze()
from shared.db.migrate import upgrade  # noqa: E402
from shared.settings import load_settings  # noqa: E402
from stock_events import BASE, SECRETS, burst, newest  # noqa: E402


async def _drop(message: dict) -> None:
    if message["type"] == "http.response.start" and message["status"] != 200:
        raise SystemExit(f"a POST was answered {message['status']}")


def _driver(app, requests: list[tuple[str, bytes]]):  # noqa: ANN001, ANN202
    """A coroutine function POSTing what is left of ``requests`` to ``app`` (shared by the tasks)."""
    left = iter(requests)

    async def post() -> None:
        for source, body in left:
            sig = "sha256=" + hmac.new(SECRETS[source].encode(), body, hashlib.sha256).hexdigest()
            path = f"/hooks/{source}"
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                     "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                     "server": ("127.0.0.1", 18400), "client": ("127.0.0.1", 50000),
                     "headers": [(b"host", b"127.0.0.1:18400"), (b"content-type", b"application/json"),
                                 (b"content-length", str(len(body)).encode()), (b"x-signature", sig.encode())]}
            message = {"type": "http.request", "body": body, "more_body": False}

            async def receive() -> dict:
                return message

            await app(scope, receive, _drop)
            await asyncio.sleep(0)  # a socket read would yield here

    return post


async def _trivial(scope: dict, receive, send) -> None:  # noqa: ANN001
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status":"accepted"}'})


class _GcClock:
    """CPU time spent in garbage collection, per generation."""

    def __init__(self) -> None:
        self.spent, self.runs, self._started = [0.0, 0.0, 0.0], [0, 0, 0], 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.spent[info["generation"]] += time.process_time() - self._started
            self.runs[info["generation"]] += 1

    def summary(self, n: int) -> str:
        return ", ".join(f"gen{g} {self.runs[g]}x {self.spent[g] / n * 1e3:.3f} ms per event" for g in range(3))


async def _applied(db: str, final: dict[tuple[str, str], int]) -> None:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{db}")
    try:
        for _ in range(2400):  # 120 s at most
            rows = await conn.fetch("SELECT sku, location, sequence FROM stock_levels WHERE sequence >= $1", BASE)
            have = {(r["sku"], r["location"]): r["sequence"] for r in rows}
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = 'stock.changed'")
            if left == 0 and all(have.get(k) == v for k, v in final.items()):
                return
            await asyncio.sleep(0.05)  # polling the projection, bounded above
        raise SystemExit("not applied within 120 s")
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    db = f"stockrate_micro_{secrets.token_hex(3)}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE DATABASE "{db}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
    try:
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(env={}, toml_path="/nonexistent", database_url=url, redis_url=args.redis,
                                 log_level="warning", worker_concurrency=512, outbox_poll_seconds=0.2)
        app = HubApp(settings, "all")
        await app.startup()
        await app.edge_bus_connected()
        settle_heap()  # as the lifespan does after startup
        if os.environ.get("STOCK_MICRO_GC"):  # e.g. 700,10,10: the interpreter's default thresholds
            gc.set_threshold(*map(int, os.environ["STOCK_MICRO_GC"].split(",")))
        try:
            events = burst(args.events)
            requests = [(source, body) for source, body, _, _ in events]
            final = newest(events)
            started = time.process_time()
            trivial = _driver(_trivial, requests)
            await asyncio.gather(*(trivial() for _ in range(args.concurrency)))
            driver = time.process_time() - started
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            pauses = _GcClock()
            gc.callbacks.append(pauses)
            started, wall = time.process_time(), time.perf_counter()
            post = _driver(app, requests)
            await asyncio.gather(*(post() for _ in range(args.concurrency)))
            accepted = time.process_time() - started
            await _applied(db, final)
            applied, wall = time.process_time() - started, time.perf_counter() - wall
            gc.callbacks.remove(pauses)
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
        finally:
            await app.shutdown()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
    n = len(events)
    print(f"{n} events, one per request, {args.concurrency} tasks, PostgreSQL + Redis "
          f"Streams, in process ({wall:.1f} s wall)")
    print(f"CPU per event: accepted {accepted / n * 1e3:.3f} ms, applied {applied / n * 1e3:.3f} ms "
          f"(this process: hub + driver; the driver alone {driver / n * 1e3:.3f} ms)")
    print(f"garbage collection: {pauses.summary(n)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--profile", help="write a cProfile of the burst here")
    args = parser.parse_args()
    try:
        import uvloop
        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
