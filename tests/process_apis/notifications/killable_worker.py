"""A webhook delivery worker in a process of its own, for a test to SIGKILL mid-delivery.

    python -m tests.process_apis.notifications.killable_worker DATABASE_URL [REDIS_URL NAMESPACE]

Runs ``DeliveryFlow`` under a ``Worker`` (outbox table, or Redis Streams) with a short lease,
prints ``ready`` once started, and runs until killed."""

from __future__ import annotations

import asyncio
import sys
from contextlib import AsyncExitStack

from process_apis.notifications.delivery import DeliveryFlow
from process_apis.notifications.lanes import Policy
from shared.db.engine import create_engine
from shared.messaging import OutboxStore, RedisTransport, TableTransport, Worker, WorkerConfig
from system_apis.webhooks.client import build_webhook_sender
from tests.process_apis.notifications.support import KEYS

CONFIG = WorkerConfig(lease_seconds=1.0, poll_seconds=0.05)
POLICY = Policy(retry_base=0.1, retry_max=0.3, lease=1.0)


def transport(engine, redis, namespace: str | None):  # noqa: ANN001, ANN201
    store = OutboxStore(engine)
    return RedisTransport(store, redis, CONFIG, namespace=namespace) if redis is not None else TableTransport(store, CONFIG)


async def main(url: str, redis_url: str | None, namespace: str | None) -> None:
    engine = create_engine(url)
    redis = None
    if redis_url:
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(redis_url)
    async with AsyncExitStack() as stack:
        sender = await build_webhook_sender(stack, sandbox=True, timeout=30)
        worker = Worker(transport(engine, redis, namespace), DeliveryFlow(engine, sender, POLICY, keys=KEYS).handlers(),
                        config=CONFIG, name="doomed")
        await worker.start()
        print("ready", flush=True)
        await asyncio.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    args = sys.argv[1:] + [None, None]
    asyncio.run(main(args[0], args[1], args[2]))
