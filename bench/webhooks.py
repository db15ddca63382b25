"""Partner webhook fan-out: deliveries/s to a local receiver with 100 subscriptions.

100 subscriptions (of ``inventory.changed``, which goes to every subscriber) point at one
receiver on 127.0.0.1 (its own process); ``EVENTS`` stock events are emitted in one
transaction each, as the inventory sync does, and one worker (the hub's own: outbox table,
or Redis Streams with ``--redis``) signs and delivers them through the real sender. Prints
deliveries/s from the first emit to the last delivery recorded, and the interpreter. The
same-run reference: the same number of plain aiohttp POSTs to that receiver, at the same
concurrency, with no signing and no database. Bounded: 100 x EVENTS deliveries, 120 s at most.

    .venv/bin/python bench/webhooks.py [--events 20] [--database URL] [--redis URL] [--loop uvloop]

Without --database a fresh SQLite file; a PostgreSQL URL must name a scratch database (it is migrated).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from process_apis.notifications import events  # noqa: E402
from process_apis.notifications.delivery import DeliveryFlow  # noqa: E402
from process_apis.notifications.lanes import Policy  # noqa: E402
from process_apis.notifications.service import NotificationService  # noqa: E402
from shared.db.engine import create_engine  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402
from shared.db.tables import webhook_deliveries  # noqa: E402
from shared.messaging import OutboxStore, RedisTransport, TableTransport, Worker, WorkerConfig  # noqa: E402
from shared.models import StockChanged  # noqa: E402
from system_apis.webhooks.client import build_webhook_sender  # noqa: E402
from tests.process_apis.notifications.support import KEYS  # noqa: E402

SUBSCRIPTIONS = 100
RECEIVER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from tests.process_apis.notifications.receiver import Receiver
async def main():
    print(await Receiver(record=False).start(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bench closes stdin
asyncio.run(main())
"""


async def reference(base: str, total: int, concurrency: int) -> float:
    """Plain aiohttp POSTs to the receiver: what the machine allows with no hub in the way."""
    import aiohttp

    left = iter(range(total))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def one_lane() -> None:
            for i in left:
                async with session.post(base + f"/s{i % SUBSCRIPTIONS}", data=b'{"ref":1}') as response:
                    await response.read()
        started = time.perf_counter()
        await asyncio.gather(*(one_lane() for _ in range(concurrency)))
        return total / (time.perf_counter() - started)


async def delivered_count(engine) -> int:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(webhook_deliveries)
                                   .where(webhook_deliveries.c.status == "delivered"))).scalar_one()


async def run(database_url: str, redis_url: str | None, n_events: int, concurrency: int, loop: str) -> None:
    root = str(Path(__file__).resolve().parent.parent)
    child = subprocess.Popen([sys.executable, "-c", RECEIVER, root], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    base = child.stdout.readline().strip()
    engine = create_engine(database_url, pool_size=20)
    redis = None
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=10, concurrency=concurrency)
        service = NotificationService(engine, sender, keys=KEYS)
        for i in range(SUBSCRIPTIONS):
            await service.subscribe(f"CUST-B{i % 2}", "bench", base + f"/s{i}", ["inventory.changed"])
        config = WorkerConfig(concurrency=concurrency, batch_size=200, poll_seconds=0.05)
        store = OutboxStore(engine)
        if redis_url:
            import redis.asyncio as aioredis

            redis = aioredis.Redis.from_url(redis_url)
            transport = RedisTransport(store, redis, config, namespace=f"hub:stream:bench-{secrets.token_hex(3)}")
        else:
            transport = TableTransport(store, config)
        flow = DeliveryFlow(engine, sender, Policy(), keys=KEYS)
        worker = Worker(transport, flow.handlers(), config=config, name="bench")
        total = SUBSCRIPTIONS * n_events
        started, cpu = time.perf_counter(), time.process_time()
        for seq in range(1, n_events + 1):
            async with engine.begin() as conn:
                await events.inventory_changed(conn, StockChanged(sku=f"SKU-{seq % 50}", location="DC-EAST",
                                                                  on_hand=seq, available=seq, sequence=seq))
        emitted, emit_cpu = time.perf_counter() - started, time.process_time() - cpu
        await worker.start()
        deadline = time.monotonic() + 120
        while await delivered_count(engine) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.1)  # polling the delivered count, bounded by the deadline
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        await worker.stop()
        delivered = await delivered_count(engine)
        plain = await reference(base, total, concurrency)
    child.stdin.close()
    child.wait(timeout=10)
    if redis is not None:
        await redis.aclose()
    await engine.dispose()
    print(f"python {platform.python_version()} ({platform.python_implementation()}), "
          f"{'PostgreSQL' if 'postgresql' in database_url else 'SQLite'}{' + Redis Streams' if redis_url else ''}, "
          f"{loop} event loop")
    print(f"{SUBSCRIPTIONS} subscriptions x {n_events} events = {total} deliveries; emitted in {emitted:.2f} s; "
          f"{delivered} delivered in {elapsed:.2f} s: {delivered / elapsed:,.0f} deliveries/s; "
          f"the hub process used {cpu:.2f} CPU s ({cpu / max(delivered, 1) * 1000:.2f} ms per delivery: "
          f"{emit_cpu / max(delivered, 1) * 1000:.2f} emitting, {(cpu - emit_cpu) / max(delivered, 1) * 1000:.2f} "
          "delivering)")
    print(f"reference, same run: plain aiohttp POSTs to the same receiver, {concurrency} at once: {plain:,.0f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--database", default=None)
    parser.add_argument("--redis", default=None)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="the event loop (the hub itself runs on uvloop where it is installed)")
    args = parser.parse_args()
    url = args.database
    if url is None:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    runner = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    runner(run(url, args.redis, min(args.events, 200), args.concurrency, args.loop))


if __name__ == "__main__":
    main()
