"""Stopping what waits on a wake-up: a cancellation is never lost, whenever it arrives.

On Python 3.11 ``asyncio.wait_for`` returned normally when a cancellation and the
event it waited on arrived in the same turn of the loop; the relay loop around it
then never ended and a worker's shutdown hung. These tests cancel in every such turn."""

from __future__ import annotations

import asyncio

import pytest

from shared.messaging import RedisTransport
from shared.messaging.transport import wait_for_event
from tests.shared.messaging.conftest import Backbone


async def _forever(event: asyncio.Event) -> None:
    while True:
        event.clear()
        await wait_for_event(event, 0.05)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_loop_waiting_for_an_event_stops_when_cancelled_as_the_event_is_set(turns: int) -> None:
    for _ in range(25):
        event = asyncio.Event()
        task = asyncio.create_task(_forever(event))
        await asyncio.sleep(0)
        event.set()
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=1.0)
        assert done == {task} and task.cancelled()


async def test_an_unset_event_waits_for_its_timeout_and_a_set_one_returns_at_once() -> None:
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    started = loop.time()
    await wait_for_event(event, 0.05)
    assert loop.time() - started >= 0.05
    event.set()
    started = loop.time()
    await wait_for_event(event, 10)
    assert loop.time() - started < 1.0


@pytest.mark.parametrize("deployment", ["redis"], indirect=True)
@pytest.mark.postgres
@pytest.mark.redis
async def test_the_redis_relay_closes_right_after_a_wake_up(backbone: Backbone) -> None:
    async def handle(message: object) -> None:
        pass

    for turns in range(20):
        worker = backbone.worker({"order.accepted": handle})
        transport = worker.transport
        assert isinstance(transport, RedisTransport)
        await transport.open(frozenset({"order.accepted"}))
        await asyncio.sleep(0.01)  # the relay is waiting for its next poll
        transport.wake()
        for _ in range(turns % 4):
            await asyncio.sleep(0)
        async with asyncio.timeout(5):
            await transport.close()
