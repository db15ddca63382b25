"""Delivery on every deployment: exactly-once effects, order per key, in-process wake-up,
and a worker killed mid-handler."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict

from shared.errors import BackendUnavailable
from shared.messaging import Message, first_time
from tests.shared.messaging.conftest import Backbone, Order


async def test_n_messages_have_exactly_one_effect_even_when_redelivered(backbone: Backbone) -> None:
    n = 200
    effects: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    async def handle(message: Message) -> None:
        calls[message.id] += 1
        async with backbone.engine.begin() as conn:
            if await first_time(conn, "test-effect", message.id):
                effects[message.decode(Order).order_id] += 1
        if calls[message.id] == 1 and message.decode(Order).n % 5 == 0:
            # the effect is committed, then the delivery fails: the redelivery must not repeat it
            raise BackendUnavailable("lost the answer", retry_after=0)

    async with backbone.engine.begin() as conn:
        from shared.messaging import enqueue

        for i in range(n):
            await enqueue(conn, "order.accepted", f"O-{i}", Order(order_id=f"O-{i}", n=i))
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=30)
    backbone.clock.advance(1)  # the first retry waits 0.5 s
    await worker.drain(timeout=30)

    assert effects == {f"O-{i}": 1 for i in range(n)}
    assert sorted(calls.values()) == [1] * (n - n // 5) + [2] * (n // 5)
    assert await backbone.rows() == []
    assert backbone.count("order.accepted", "done") == n
    assert backbone.count("order.accepted", "retried") == n // 5


async def test_messages_of_one_key_run_one_at_a_time_in_order(backbone: Backbone) -> None:
    running: Counter[str] = Counter()
    seen: dict[str, list[int]] = defaultdict(list)
    overlaps: list[str] = []

    async def handle(message: Message) -> None:
        order = message.decode(Order)
        running[message.key] += 1
        if running[message.key] > 1:
            overlaps.append(message.key)
        await asyncio.sleep(0.001)  # stands for work; lets other messages interleave
        seen[message.key].append(order.n)
        running[message.key] -= 1

    for i in range(30):
        key = f"K-{i % 3}"
        await backbone.enqueue("order.accepted", key, Order(order_id=key, n=i))
    worker = await backbone.started({"order.accepted": handle}, concurrency=16)
    await worker.drain(timeout=20)
    assert overlaps == []
    assert {k: v for k, v in seen.items()} == {f"K-{j}": list(range(j, 30, 3)) for j in range(3)}


async def test_a_wake_after_commit_delivers_in_milliseconds_not_a_poll_interval(backbone: Backbone) -> None:
    handled = asyncio.Event()

    async def handle(message: Message) -> None:
        handled.set()

    worker = await backbone.started({"order.accepted": handle}, poll_seconds=30)
    await worker.drain(timeout=5)
    started = time.monotonic()
    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    worker.wake()
    await asyncio.wait_for(handled.wait(), timeout=5)
    assert time.monotonic() - started < 0.5


async def test_a_delayed_message_waits_for_its_time(backbone: Backbone) -> None:
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.key)

    await backbone.enqueue("order.accepted", "later", Order(order_id="later"), delay=60)
    await backbone.enqueue("order.accepted", "now", Order(order_id="now"))
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    assert handled == ["now"]
    backbone.clock.advance(61)
    await worker.drain(timeout=10)
    assert handled == ["now", "later"]


async def test_a_worker_killed_mid_handler_leaves_its_message_to_another(backbone: Backbone) -> None:
    entered, never = asyncio.Event(), asyncio.Event()
    by: list[tuple[str, int]] = []

    async def stuck(message: Message) -> None:
        entered.set()
        await never.wait()

    async def finish(message: Message) -> None:
        by.append(("second", message.attempts))

    lease = 0.3 if backbone.kind == "redis" else 30  # Redis measures idle time on its own clock
    first = await backbone.started({"order.accepted": stuck}, name="first", lease_seconds=lease)
    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    first.wake()
    await asyncio.wait_for(entered.wait(), timeout=5)
    await first.stop(grace=0)  # killed: no outcome recorded, no acknowledgement

    second = await backbone.started({"order.accepted": finish}, name="second", lease_seconds=lease)
    if backbone.kind != "redis":
        await second.drain(timeout=5)
        assert by == []  # the dead worker's lease still holds
        backbone.clock.advance(lease + 1)
    await second.drain(timeout=10)
    assert by == [("second", 2)]
    assert await backbone.rows() == []


async def test_a_handler_is_told_when_its_message_was_enqueued(backbone: Backbone) -> None:
    # issue 12: the inventory lag runs from the hook queueing a report; every transport says when
    from datetime import UTC, datetime

    seen: list[Message] = []

    async def handle(message: Message) -> None:
        seen.append(message)

    before = datetime.now(UTC)
    await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
    after = datetime.now(UTC)
    worker = await backbone.started({"order.accepted": handle})
    await worker.drain(timeout=10)
    assert len(seen) == 1 and seen[0].created_at is not None
    assert before <= seen[0].created_at <= after and seen[0].created_at.tzinfo is not None
