"""The seam between the worker and where messages come from: the outbox table itself
(``TableTransport``) or a Redis Stream fed by a relay (``RedisTransport``)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from shared.messaging.outcomes import Failure
from shared.messaging.store import Delivery


class Transport(Protocol):
    async def open(self, topics: frozenset[str]) -> None:
        """Get ready to deliver these topics (start a relay, create consumer groups)."""

    async def close(self) -> None: ...

    async def fetch(self, limit: int) -> list[Delivery]:
        """Up to ``limit`` deliveries; waits at most a poll interval (less after ``wake()``)
        when none is due. Raises on a database or Redis failure (the worker backs off)."""

    async def settle(self, done: list[Delivery], failed: list[tuple[Delivery, Failure]]) -> None:
        """Record outcomes in the database, then acknowledge them to the transport."""

    async def renew(self, deliveries: list[Delivery]) -> None:
        """Keep holding deliveries still in flight (extend the lease or the stream claim)."""

    async def idle(self) -> bool:
        """Nothing is due for delivery: no unclaimed due row, nothing left to publish or read."""

    def wake(self) -> None:
        """A producer in this process committed a message: look now rather than at the next poll."""


async def wait_for_event(event: asyncio.Event, seconds: float) -> None:
    """Return when ``event`` is set or after ``seconds``, whichever is first.

    Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancellation that arrives
    as the event is set, and a loop around it then never ends (a task that cannot be
    stopped). ``asyncio.timeout`` counts cancellations and keeps them."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        pass
