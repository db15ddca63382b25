"""No Redis: the outbox table is the queue.

Workers claim due rows with a lease (``claimed_until``); on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so worker processes on several instances share the
rows without taking the same one. A worker that dies leaves its leases to run
out, after which any worker claims those rows again. An idle worker polls every
``poll_seconds``; ``wake()`` ends the wait at once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Callable

from shared.messaging.config import WorkerConfig
from shared.messaging.outbox import utcnow
from shared.messaging.outcomes import Failure
from shared.messaging.store import Delivery, OutboxStore
from shared.messaging.transport import wait_for_event


class TableTransport:
    def __init__(self, store: OutboxStore, config: WorkerConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._store, self._config, self._clock = store, config, clock
        self._lease = timedelta(seconds=config.lease_seconds)
        self._topics: frozenset[str] = frozenset()
        self._wake = asyncio.Event()
        self._claiming = False

    async def open(self, topics: frozenset[str]) -> None:
        self._topics = topics

    async def close(self) -> None:
        return None

    async def fetch(self, limit: int) -> list[Delivery]:
        self._wake.clear()
        self._claiming = True
        try:
            now = self._clock()
            claimed = await self._store.claim(now, now + self._lease, min(limit, self._config.batch_size), self._topics)
        finally:
            self._claiming = False
        if not claimed:
            await wait_for_event(self._wake, self._config.poll_seconds)
        return claimed

    async def settle(self, done: list[Delivery], failed: list[tuple[Delivery, Failure]]) -> None:
        await self._store.settle(done, failed, self._clock())

    async def renew(self, deliveries: list[Delivery]) -> None:
        await self._store.renew([d.row_id for d in deliveries], self._clock() + self._lease)

    async def idle(self) -> bool:
        if self._claiming:
            return False
        claimable = await self._store.has_claimable(self._clock(), self._topics)
        return not claimable and not self._claiming

    def wake(self) -> None:
        self._wake.set()
