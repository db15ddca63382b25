"""The outbox table's statements, shared by both transports. Rows never leave: callers get
``Delivery``s and plain values.

A row's life: enqueued (``attempts`` 0) -> taken for a delivery (``attempts``
+1, ``first_attempt_at`` set; by the table transport with a lease in
``claimed_until``, by the Redis transport when a worker reads it from the
stream after the relay set ``published_at``) -> deleted when its handler
succeeded, or moved to ``dead_letters``, or rescheduled (``available_at`` later,
lease and publication cleared). The ``attempts`` value a delivery saw fences
its outcome: a worker that lost its lease cannot reschedule or dead-letter a
row another worker has since taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Collection

from sqlalchemy import DateTime, and_, delete, exists, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.dialect import among
from shared.db.tables import dead_letters, journey_steps, outbox
from shared.messaging.journal import step_row
from shared.messaging.outbox import Message, as_utc
from shared.messaging.outcomes import Failure

_COLUMNS = (outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload, outbox.c.attempts, outbox.c.first_attempt_at,
            outbox.c.traceparent, outbox.c.created_at)
_Time = DateTime(timezone=True)


@dataclass(slots=True, eq=False)
class Delivery:
    """One message handed to this worker: the message, the ``attempts`` fence, and the
    transport's handle (the stream and entry id on Redis)."""

    message: Message
    handle: Any = None
    latency_ms: float | None = None
    """How long its handler ran (set by the worker; recorded in the journey's steps)."""

    @property
    def row_id(self) -> int:
        return int(self.message.id)


def message_of(row: Any) -> Message:
    payload = row.payload.encode() if isinstance(row.payload, str) else bytes(row.payload)
    return Message(id=str(row.id), topic=row.topic, key=row.key, payload=payload, attempts=row.attempts,
                   first_attempt_at=as_utc(row.first_attempt_at), traceparent=row.traceparent,
                   created_at=as_utc(row.created_at))


def dead_letter_id(message_id: str) -> str:
    return f"dl_{message_id}"


class OutboxStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    async def claim(self, now: datetime, lease_until: datetime, limit: int, topics: Collection[str]) -> list[Delivery]:
        """Take due rows of these topics that nobody holds (or whose lease ran out), the longest
        due first (``ix_outbox_due`` serves the condition and the order).
        PostgreSQL: SKIP LOCKED, so workers in several processes split the rows between them."""
        due = (
            select(outbox.c.id)
            .where(outbox.c.available_at <= now, or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
                   outbox.c.topic.in_(list(topics)))
            .order_by(outbox.c.available_at, outbox.c.id).limit(limit).with_for_update(skip_locked=True)
        )
        stmt = (
            update(outbox).where(outbox.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=lease_until, attempts=outbox.c.attempts + 1,
                    first_attempt_at=func.coalesce(outbox.c.first_attempt_at, literal(now, _Time)))
            .returning(*_COLUMNS)
        )
        async with self.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
        return [Delivery(message_of(row)) for row in sorted(rows, key=lambda r: r.id)]

    async def begin(self, ids: Collection[int], now: datetime) -> dict[int, Any]:
        """Redis: count the attempt of rows read from the stream; the rows still to do. A row
        already done, or rescheduled for later, is missing: its stream entry is stale.

        Not conditioned on ``published_at``: the relay marks and XADDs in one transaction, so a
        fast reader may get here before that commits. Matching on the committed row makes
        PostgreSQL wait for the relay's row lock (SQLite: for its write lock) rather than miss it."""
        stmt = (
            update(outbox).where(among(outbox.c.id, ids, self._dialect), outbox.c.available_at <= now)
            .values(attempts=outbox.c.attempts + 1,
                    first_attempt_at=func.coalesce(outbox.c.first_attempt_at, literal(now, _Time)),
                    published_at=func.coalesce(outbox.c.published_at, literal(now, _Time)))
            .returning(*_COLUMNS)
        )
        async with self.engine.begin() as conn:
            return {row.id: row for row in (await conn.execute(stmt)).all()}

    async def renew(self, ids: Collection[int], lease_until: datetime) -> None:
        if ids:
            async with self.engine.begin() as conn:
                await conn.execute(update(outbox).where(among(outbox.c.id, ids, self._dialect))
                                   .values(claimed_until=lease_until))

    async def settle(self, done: list[Delivery], failed: list[tuple[Delivery, Failure]], now: datetime) -> None:
        """Record outcomes in one transaction: delete the done rows, reschedule or dead-letter
        the failed ones (each only if no other worker has taken the row since). Each outcome of
        a journey's message is recorded in ``journey_steps`` (``journal``), in the same transaction."""
        steps = [step_row(d.message, "done", now, latency_ms=d.latency_ms) for d in done]
        async with self.engine.begin() as conn:
            if done:
                await conn.execute(delete(outbox).where(among(outbox.c.id, [d.row_id for d in done], self._dialect)))
            for delivery, failure in failed:
                mine = and_(outbox.c.id == delivery.row_id, outbox.c.attempts == delivery.message.attempts)
                if not failure.dead:
                    budget = ({"first_attempt_at": None} if failure.fresh  # a pause: the whole budget again
                              else {"first_attempt_at": failure.budget_from} if failure.budget_from is not None else {})
                    moved = await conn.execute(update(outbox).where(mine).values(
                        available_at=failure.retry_at, claimed_until=None, published_at=None, last_error=failure.reason,
                        **budget))
                    if moved.rowcount == 1:
                        steps.append(step_row(delivery.message, "retried", now, latency_ms=delivery.latency_ms,
                                              detail=failure.reason))
                    continue
                row = (await conn.execute(delete(outbox).where(mine).returning(*_COLUMNS))).first()
                if row is not None:
                    await conn.execute(insert(dead_letters).values(
                        id=dead_letter_id(str(row.id)), topic=row.topic, key=row.key, payload=row.payload,
                        reason=failure.reason, attempts=row.attempts, first_attempt_at=row.first_attempt_at,
                        dead_at=now, backend=(failure.backend or None) and failure.backend[:40]))
                    steps.append(step_row(delivery.message, "dead_lettered", now, latency_ms=delivery.latency_ms,
                                          detail=failure.reason))
            steps = [s for s in steps if s is not None]
            if steps:
                await conn.execute(insert(journey_steps), steps)

    async def has_claimable(self, now: datetime, topics: Collection[str]) -> bool:
        cond = and_(outbox.c.available_at <= now, outbox.c.topic.in_(list(topics)),
                    or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))
        return await self._exists(cond)

    async def relay(self, now: datetime, republish_before: datetime, limit: int,
                    publish: Callable[[list[Message]], Awaitable[None]]) -> int:
        """Publish due rows not yet published (or published before ``republish_before`` and still
        not done) and mark them, in one transaction: if ``publish`` fails nothing is marked."""
        due = (
            select(outbox.c.id).where(self._publishable(now, republish_before))
            .order_by(outbox.c.available_at, outbox.c.id).limit(limit).with_for_update(skip_locked=True)
        )
        stmt = update(outbox).where(outbox.c.id.in_(due.scalar_subquery())).values(published_at=now).returning(*_COLUMNS)
        async with self.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
            if rows:
                await publish([message_of(row) for row in sorted(rows, key=lambda r: r.id)])
        return len(rows)

    async def has_publishable(self, now: datetime, republish_before: datetime) -> bool:
        return await self._exists(self._publishable(now, republish_before))

    async def oldest_pending_age(self, now: datetime) -> float:
        """Seconds the oldest due row has waited (0 when none): the relay and workers' lag."""
        async with self.engine.connect() as conn:
            oldest = (await conn.execute(select(func.min(outbox.c.available_at)).where(outbox.c.available_at <= now))).scalar()
        return max(0.0, (now - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0

    @staticmethod
    def _publishable(now: datetime, republish_before: datetime) -> Any:
        return and_(outbox.c.available_at <= now,
                    or_(outbox.c.published_at.is_(None), outbox.c.published_at < republish_before))

    async def _exists(self, condition: Any) -> bool:
        async with self.engine.connect() as conn:
            return bool((await conn.execute(select(exists().where(condition)))).scalar())
