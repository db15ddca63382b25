"""Retention: the sweeper that keeps the ledgers from growing for ever (docs/security.md).

    sweeper = RetentionSweeper(engine, processed_for=timedelta(days=7), metrics=registry)
    await sweeper.sweep()                      # one pass: {"idempotency_keys": n, "processed_messages": m}
    sweeper.start(every_seconds=300)           # workers: a pass now and every 5 minutes
    await sweeper.stop()

Idempotency keys (client keys, webhook ids, business keys) carry their own
``expires_at``, set when stored from the retention of their kind; a key whose
first request is still running (``in_flight`` with a live lease) is never
swept. Processed-message ids go ``processed_for`` after they were recorded.

Rows go in batches of ``batch`` per statement and transaction, on an index of
the time column; PostgreSQL locks a batch ``FOR UPDATE SKIP LOCKED``, so
sweepers of several workers take disjoint batches, never wait on each other,
and each counts only rows it deleted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Callable

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.tables import idempotency_keys, processed_messages
from shared.metrics import Registry

log = logging.getLogger("commerce_hub.retention")


class RetentionSweeper:
    def __init__(self, engine: AsyncEngine, *, processed_for: timedelta, batch: int = 1000,
                 metrics: Registry | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._engine = engine
        self._processed_for = processed_for
        self._batch = batch
        self._now = now
        self._task: asyncio.Task[None] | None = None
        self.swept = (metrics or Registry()).counter(
            "hub_retention_swept_rows_total", "Rows deleted by the retention sweeper, by table.", ("table",))

    async def sweep(self) -> dict[str, int]:
        """Delete every row past its retention, batch after batch; how many per table."""
        now = self._now()
        keys = idempotency_keys.c
        expired_key = and_(keys.expires_at < now,
                           or_(keys.state != "in_flight", keys.locked_until.is_(None), keys.locked_until <= now))
        counts = {
            "idempotency_keys": await self._drain(idempotency_keys, (keys.scope, keys.key), expired_key),
            "processed_messages": await self._drain(
                processed_messages, (processed_messages.c.consumer, processed_messages.c.message_id),
                processed_messages.c.processed_at < now - self._processed_for),
        }
        for table, count in counts.items():
            if count:
                self.swept.inc(table, amount=count)
        return counts

    async def _drain(self, table: Table, key: tuple, condition: ColumnElement[bool]) -> int:
        total = 0
        while True:
            batch = select(*key).where(condition).limit(self._batch).with_for_update(skip_locked=True)
            async with self._engine.begin() as conn:
                deleted = (await conn.execute(delete(table).where(tuple_(*key).in_(batch)))).rowcount or 0
            total += deleted
            if deleted < self._batch:
                return total
            await asyncio.sleep(0)  # let requests in between batches

    def start(self, every_seconds: float) -> None:
        """Sweep now and then every ``every_seconds`` until ``stop``."""
        self._task = asyncio.create_task(self._run(every_seconds), name="retention-sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, every_seconds: float) -> None:
        while True:
            try:
                counts = await self.sweep()
                if any(counts.values()):
                    log.info("retention: swept %s", counts)
            except Exception:  # noqa: BLE001 - a failed pass (database down) is retried at the next
                log.warning("retention sweep failed; retrying in %g s", every_seconds, exc_info=True)
            await asyncio.sleep(every_seconds)
