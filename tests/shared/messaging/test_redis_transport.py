"""The Redis transport on the real Redis: streams lost in a restart, Redis down, the
namespace per database."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.messaging import Message, OutboxStore, RedisTransport, WorkerConfig, stream_namespace
from tests.shared.messaging.conftest import Backbone, Order

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
REDIS_ONLY = pytest.mark.parametrize("deployment", ["redis"], indirect=True)


@REDIS_ONLY
async def test_rows_published_to_a_stream_redis_lost_are_published_again_and_done(backbone: Backbone) -> None:
    handled: Counter[str] = Counter()

    async def handle(message: Message) -> None:
        handled[message.key] += 1

    worker = backbone.worker({"order.accepted": handle}, republish_seconds=300)
    for i in range(3):
        await backbone.enqueue("order.accepted", f"O-{i}", Order(order_id=f"O-{i}"))
    transport = worker.transport
    assert isinstance(transport, RedisTransport)
    assert await transport.publish_due() == 3
    stream = transport.stream("order.accepted")
    assert await backbone.redis.xlen(stream) == 3
    assert all(row.published_at is not None for row in await backbone.rows())
    entries = await backbone.redis.xrange(stream)  # the row's id and key: the payload is read from the row
    assert [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries] == [
        {"id": str(row.id), "key": row.key} for row in sorted(await backbone.rows(), key=lambda r: r.id)]

    await backbone.redis.delete(stream)  # Redis restarted without its data
    await worker.start()
    await worker.drain(timeout=5)
    assert handled == {} and len(await backbone.rows()) == 3  # published, not done: kept

    backbone.clock.advance(301)
    await worker.drain(timeout=10)
    assert handled == {"O-0": 1, "O-1": 1, "O-2": 1}
    assert await backbone.rows() == []


@REDIS_ONLY
async def test_a_running_worker_recreates_a_lost_consumer_group(backbone: Backbone) -> None:
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.key)

    worker = await backbone.started({"order.accepted": handle})
    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    await worker.drain(timeout=10)
    await backbone.redis.delete(worker.transport.stream("order.accepted"))  # group and stream gone
    await backbone.enqueue("order.accepted", "O-2", Order(order_id="O-2"))
    await worker.drain(timeout=10)
    assert handled == ["O-1", "O-2"]


@REDIS_ONLY
async def test_a_stale_stream_entry_of_a_done_row_is_acknowledged_not_run(backbone: Backbone) -> None:
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.id)

    worker = await backbone.started({"order.accepted": handle})
    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    await worker.drain(timeout=10)
    stream = worker.transport.stream("order.accepted")
    await backbone.redis.xadd(stream, {"id": handled[0], "topic": "order.accepted", "key": "O-1", "payload": b"{}",
                                       "attempts": 1, "first_attempt_at": ""})  # e.g. a re-publication's twin
    await worker.drain(timeout=10)
    assert len(handled) == 1 and await backbone.redis.xlen(stream) == 0


@REDIS_ONLY
async def test_with_redis_down_the_relay_keeps_the_rows(backbone: Backbone) -> None:
    import redis.asyncio as aioredis

    down = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        transport = RedisTransport(OutboxStore(backbone.engine), down, WorkerConfig(), namespace=backbone.namespace)
        await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
        with pytest.raises(Exception):
            await transport.publish_due()
        [row] = await backbone.rows()
        assert row.published_at is None  # nothing marked: the next relay pass publishes it
    finally:
        await down.aclose()
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.key)

    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    assert handled == ["O-1"]


def test_streams_are_namespaced_by_database_not_by_credentials() -> None:
    a = stream_namespace("postgresql+asyncpg://app:secret@db:5432/hub")
    assert a == stream_namespace("postgresql+asyncpg://other:rotated@db/hub")
    assert a != stream_namespace("postgresql+asyncpg://app:secret@db:5432/hub_staging")
    assert a.startswith("hub:stream:") and len(a) == len("hub:stream:") + 10
    assert stream_namespace("sqlite+aiosqlite:///./var/hub.db") != stream_namespace("sqlite+aiosqlite:////tmp/x.db")


@REDIS_ONLY
async def test_a_reader_faster_than_the_relays_commit_waits_for_it_rather_than_dropping_the_entry(
    backbone: Backbone,
) -> None:
    """The relay marks and XADDs in one transaction; a worker may read the entry before that
    commits. Its attempt count must wait for the commit, not take the entry for stale."""
    import asyncio
    from datetime import timedelta

    from sqlalchemy import text

    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    [row] = await backbone.rows()
    reader = OutboxStore(backbone.other_engine())
    begun: list[asyncio.Task] = []

    async def waiting_on_a_lock() -> bool:
        async with backbone.engine.connect() as conn:
            return bool((await conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"))).scalar())

    async def publish(messages: list[Message]) -> None:  # inside the relay's open transaction
        begun.append(asyncio.create_task(reader.begin({int(messages[0].id)}, backbone.clock())))
        deadline = asyncio.get_running_loop().time() + 5
        while not await waiting_on_a_lock():  # poll until the reader blocks on the row lock
            assert asyncio.get_running_loop().time() < deadline, "the reader never waited for the relay"
            await asyncio.sleep(0.01)

    now = backbone.clock()
    assert await OutboxStore(backbone.engine).relay(now, now - timedelta(seconds=300), 10, publish) == 1
    rows = await begun[0]
    assert rows[row.id].attempts == 1  # found, counted: the entry will be run, not dropped
    [after] = await backbone.rows()
    assert after.published_at is not None
