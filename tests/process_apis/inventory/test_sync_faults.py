"""Stock events under faults (issue 11): out of order and duplicated, applied in batches by
many concurrent handlers; and a Redis restarted mid-burst. In each the book ends at the
newest truth per (sku, location), and nothing stale wins. Embedded (SQLite) and PostgreSQL
(+ Redis Streams for the restart, on a redis-server of the test's own, port 6391)."""

from __future__ import annotations

import asyncio
import random
import secrets
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import func, select

from process_apis.inventory.stock import StockBook
from process_apis.inventory.sync import STOCK_BATCH_TOPIC, STOCK_TOPIC, InventorySync
from process_apis.notifications.service import NotificationService
from shared.db.engine import create_engine, dispose
from shared.db.tables import outbox, stock_levels, webhook_deliveries
from shared.messaging import OutboxStore, RedisTransport, Worker, WorkerConfig
from shared.messaging.outbox import Message, enqueue_many
from shared.models import StockChanged, StockChanges
from tests.commerce_hub.orders_support import until
from tests.e2e.conftest import RedisServer, private_redis
from tests.process_apis.notifications.support import KEYS

SKUS = [f"SKU-F{i:03d}" for i in range(40)]
LOCATIONS = ("DC-EAST", "DC-WEST", "STORE-NYC")
_ids = count(1)


def burst(rng: random.Random, n: int) -> tuple[list[StockChanged], dict[tuple[str, str], tuple[int, int]]]:
    """``n`` reports, then shuffled with a fifth of them repeated; and the newest per row."""
    truth: dict[tuple[str, str], tuple[int, int]] = {}
    reports = []
    for seq in range(1, n + 1):
        sku, location = rng.choice(SKUS), rng.choice(LOCATIONS)
        qty = rng.randrange(0, 500)
        reports.append(StockChanged(sku=sku, location=location, on_hand=qty, available=qty, sequence=seq))
        truth[(sku, location)] = (qty, seq)
    reports += rng.sample(reports, n // 5)
    rng.shuffle(reports)
    return reports, truth


async def book_of(engine) -> dict[tuple[str, str], tuple[int, int]]:  # noqa: ANN001
    async with engine.connect() as conn:
        rows = await conn.execute(select(stock_levels.c.sku, stock_levels.c.location, stock_levels.c.available,
                                         stock_levels.c.sequence).where(stock_levels.c.sku.in_(SKUS)))
        return {(r.sku, r.location): (r.available, r.sequence) for r in rows}


def message(change: StockChanged) -> Message:
    from msgspec.json import encode

    return Message(id=str(next(_ids)), topic=STOCK_TOPIC, key=change.sku, payload=encode(change), attempts=1)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, sqlite_url: str) -> str:  # noqa: ANN001
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_pg_url")


async def test_out_of_order_and_duplicated_reports_end_at_the_newest_truth(db_url: str) -> None:
    engine = create_engine(db_url)
    invalidated: list[str] = []

    async def on_applied(skus: list[str]) -> None:
        assert len(skus) == len(set(skus))  # each SKU of a batch once
        invalidated.extend(skus)

    sync = InventorySync(engine, StockBook(engine, {}), on_applied=on_applied)
    reports, truth = burst(random.Random(11), 600)
    try:
        for start in range(0, len(reports), 80):  # 80 handlers at once, as a worker runs them
            await asyncio.gather(*(sync.apply(message(c)) for c in reports[start:start + 80]))
        assert await book_of(engine) == truth
        # a SKU's cache is dropped after a batch that changed it: every SKU at least once, and at
        # most once per report that reached the book
        assert set(invalidated) == {sku for sku, _ in truth} and len(invalidated) <= len(reports)
        # and again: all of it replayed changes nothing, invalidates nothing
        before = len(invalidated)
        await asyncio.gather(*(sync.apply(message(c)) for c in reports[:200]))
        assert await book_of(engine) == truth and len(invalidated) == before
    finally:
        await dispose(engine)


class _NoSender:
    async def vet(self, url: str) -> None:
        return None


async def test_batched_deliveries_beside_single_reports_end_at_the_newest_truth(db_url: str) -> None:
    """``stock.changed.batch`` messages (a delivery's reports, duplicated and out of order inside
    one batch and across batches) applied at once with single reports: the newest wins, each
    batch's SKUs are dropped once, the storefront hook gets the latest receipt, and a partner
    hears of every report that reached the book (the newest of each row among them)."""
    from msgspec.json import encode

    engine = create_engine(db_url)
    await NotificationService(engine, _NoSender(), keys=KEYS).subscribe("CUST-B1", "partner", "https://partner.example/in",
                                                            ["inventory.changed"])
    invalidated: list[list[str]] = []
    marked: list[tuple[list[str], object]] = []

    async def on_applied(skus: list[str]) -> None:
        invalidated.append(skus)

    async def on_book_changed(conn, skus, received_at) -> None:  # noqa: ANN001
        marked.append((list(skus), received_at))

    sync = InventorySync(engine, StockBook(engine, {}), on_applied=on_applied, on_book_changed=on_book_changed)
    reports, truth = burst(random.Random(13), 900)
    rng, messages, start = random.Random(14), [], 0
    while start < len(reports):
        size = rng.choice((1, 7, 50))
        part = reports[start:start + size]
        start += size
        if len(part) == 1:
            messages.append(message(part[0]))
        else:
            messages.append(Message(id=str(next(_ids)), topic=STOCK_BATCH_TOPIC, key=part[0].sku, attempts=1,
                                    payload=encode(StockChanges(changes=tuple(part))), created_at=datetime.now(UTC)))
    try:
        for at in range(0, len(messages), 16):
            await asyncio.gather(*(sync.handlers()[m.topic](m) for m in messages[at:at + 16]))
        assert await book_of(engine) == truth
        assert all(len(skus) == len(set(skus)) for skus in invalidated)
        assert {sku for skus in invalidated for sku in skus} == {sku for sku, _ in truth}
        assert marked and all(received is not None for _, received in marked)
        async with engine.connect() as conn:
            heard = set((await conn.execute(select(webhook_deliveries.c.event_key))).scalars())
        assert {f"stock:{sku}@{loc}:{seq}" for (sku, loc), (_, seq) in truth.items()} <= heard
        assert len(heard) < len(reports)  # not every report: only those that reached the book
    finally:
        await dispose(engine)


async def test_a_batch_keeps_only_the_newest_of_one_row(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    book = StockBook(engine, {})
    one = [StockChanged(sku="SKU-F000", location="DC-EAST", on_hand=q, available=q, sequence=s)
           for q, s in ((5, 2), (9, 7), (1, 3), (9, 7))]
    try:
        async with engine.begin() as conn:
            assert await book.apply_many(conn, one) == [False, True, False, False]  # the duplicate counts once
        async with engine.begin() as conn:
            assert await book.apply_many(conn, one[:1]) == [False]  # older than the row
        assert await book_of(engine) == {("SKU-F000", "DC-EAST"): (9, 7)}
    finally:
        await dispose(engine)


# --- Redis restarted mid-burst ------------------------------------------------------------

PORT = 6391


async def test_redis_restarted_mid_burst_loses_nothing(fresh_pg_url: str, tmp_path: Path) -> None:
    import redis.asyncio as aioredis

    with private_redis(tmp_path, PORT) as server:
        await _burst_through_a_restart(server, aioredis.Redis.from_url(server.url), fresh_pg_url)


async def _burst_through_a_restart(server: RedisServer, client, fresh_pg_url: str) -> None:  # noqa: ANN001
    engine = create_engine(fresh_pg_url)
    config = WorkerConfig(lease_seconds=1.0, poll_seconds=0.05, republish_seconds=1.0, batch_size=100,
                          concurrency=64)
    sync = InventorySync(engine, StockBook(engine, {}))
    worker = Worker(RedisTransport(OutboxStore(engine), client, config, namespace=f"hub:stream:t-{secrets.token_hex(3)}"),
                    sync.handlers(), config=config, name="restart")
    reports, truth = burst(random.Random(12), 3000)
    try:
        await worker.start()
        for start in range(0, len(reports), 300):
            async with engine.begin() as conn:
                await enqueue_many(conn, [(STOCK_TOPIC, c.sku, c) for c in reports[start:start + 300]])
            worker.wake()
            if start == 1200:  # mid-burst: some applied, most still queued or in the streams
                await until(lambda: _some_applied(engine), timeout=30)
                server.kill()  # kill -9: the streams and their pending entries are gone
                server.start()  # the same port, empty; answers pings before it returns
        await until(lambda: _outbox_empty(engine), timeout=90)
        assert await book_of(engine) == truth
    finally:
        await worker.stop()
        await client.aclose()
        await dispose(engine)


async def _some_applied(engine) -> bool:  # noqa: ANN001
    return len(await book_of(engine)) > 0


async def _outbox_empty(engine) -> bool:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
