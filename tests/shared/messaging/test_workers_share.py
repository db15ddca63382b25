"""Several worker processes on one database (each its own connection pool): they share the
messages and never run one message twice at once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from shared.messaging import Message
from tests.shared.messaging.conftest import Backbone, Order

SHARED = pytest.mark.parametrize(
    "deployment", [pytest.param("postgres", marks=pytest.mark.postgres),
                   pytest.param("redis", marks=[pytest.mark.postgres, pytest.mark.redis])], indirect=True)


@SHARED
async def test_two_workers_never_run_the_same_message_at_once(backbone: Backbone) -> None:
    n = 300
    entries: Counter[str] = Counter()
    running: set[str] = set()
    overlaps: list[str] = []
    by_worker: Counter[str] = Counter()

    def handler(name: str):  # noqa: ANN202
        async def handle(message: Message) -> None:
            entries[message.id] += 1
            if message.id in running:
                overlaps.append(message.id)
            running.add(message.id)
            await asyncio.sleep(0.001)  # stands for work, so the two workers overlap in time
            running.discard(message.id)
            by_worker[name] += 1

        return handle

    async with backbone.engine.begin() as conn:
        from shared.messaging import enqueue

        for i in range(n):
            await enqueue(conn, "order.accepted", f"O-{i}", Order(order_id=f"O-{i}"))
    one = await backbone.started({"order.accepted": handler("one")}, name="one", batch_size=10, concurrency=10)
    two = await backbone.started({"order.accepted": handler("two")}, name="two", batch_size=10, concurrency=10,
                                 engine=backbone.other_engine())
    await asyncio.gather(one.drain(timeout=30), two.drain(timeout=30))
    assert overlaps == []
    assert len(entries) == n and set(entries.values()) == {1}
    assert by_worker["one"] > 0 and by_worker["two"] > 0
    assert await backbone.rows() == []
