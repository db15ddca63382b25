"""The transactional outbox: what business code writes, and what handlers receive.

A producer writes its state change and ``enqueue(conn, topic, key, payload)``
in one database transaction, so the message exists exactly when the change
does. After the commit it may call ``Worker.wake()`` so a worker in the same
process picks the row up within milliseconds; otherwise the workers' polling
finds it (``WorkerConfig.poll_seconds``).

A handler is ``async def handle(message: Message) -> None`` registered per
topic. It must be idempotent (delivery is at least once; ``ledger.first_time``
helps) and signals failure by raising: ``BackendUnavailable`` to be retried
(not sooner than its ``retry_after``), any other ``HubError`` to dead-letter the
message at once, anything else is a bug and is retried like a transient error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Awaitable, Callable, TypeVar

import msgspec
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.tables import outbox
from shared.telemetry import current_traceparent

T = TypeVar("T")


class Message(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    """The outbox row's id: unique for ever in its database (never reused), so it can key a
    processed-message ledger. A replayed dead letter is a new message with a new id."""
    topic: str
    key: str
    """Messages with the same key never run at once in one worker process (e.g. an order id)."""
    payload: bytes
    """The JSON the producer enqueued."""
    attempts: int
    """Deliveries so far, this one included (1 on the first)."""
    first_attempt_at: datetime | None = None
    traceparent: str | None = None
    """The W3C trace context of the request that enqueued it: the handler's span continues that trace."""
    created_at: datetime | None = None
    """When the producer enqueued it (the outbox row's ``created_at``): e.g. when a hook received a report."""

    def decode(self, type: type[T] = Any) -> T:  # noqa: A002 - mirrors msgspec's own argument name
        """The payload as ``type`` (a msgspec Struct, usually); ``msgspec.ValidationError`` if it is not one."""
        return msgspec.json.decode(self.payload, type=type)


Handler = Callable[[Message], Awaitable[None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def encode_payload(payload: msgspec.Struct | bytes) -> str:
    if isinstance(payload, (bytes, bytearray, memoryview)):
        data = bytes(payload)
        msgspec.json.decode(data)  # refuse what is not JSON now, not in a worker later
        return data.decode()
    return msgspec.json.encode(payload).decode()


_INSERT = insert(outbox)


async def enqueue(
    conn: AsyncConnection, topic: str, key: str, payload: msgspec.Struct | bytes, *, delay: float = 0.0
) -> None:
    """Add a message to the outbox in the caller's transaction; due ``delay`` seconds from now. It
    carries the current trace context: its handler's span will be a child of the current span."""
    body, now = encode_payload(payload), utcnow()
    await conn.execute(_INSERT, {"topic": topic, "key": key, "payload": body, "attempts": 0,
                                 "available_at": now + timedelta(seconds=max(delay, 0.0)), "created_at": now,
                                 "traceparent": current_traceparent()})


async def withdraw(conn: AsyncConnection, topic: str, key: str) -> int:
    """Delete the ``topic`` messages under ``key`` that are not due yet and in no one's hands (never
    published to a stream, never claimed), in the caller's transaction: a safety net the work it
    stood for has made unneeded. How many went."""
    now = utcnow()
    done = await conn.execute(delete(outbox).where(
        outbox.c.topic == topic, outbox.c.key == key, outbox.c.available_at > now,
        outbox.c.published_at.is_(None), outbox.c.claimed_until.is_(None)))
    return done.rowcount


async def enqueue_many(conn: AsyncConnection, items: list[tuple[str, str, msgspec.Struct | bytes]], *,
                       traceparents: list[str | None] | None = None) -> None:
    """``enqueue`` for many ``(topic, key, payload)``, due now: one statement. ``traceparents``
    (one per item): each message's own trace, for items gathered from several handlers."""
    if not items:
        return
    now, parent = utcnow(), current_traceparent()
    parents = traceparents if traceparents is not None else [parent] * len(items)
    await conn.execute(_INSERT, [{"topic": topic, "key": key, "payload": encode_payload(payload), "attempts": 0,
                                  "available_at": now, "created_at": now, "traceparent": tp}
                                 for (topic, key, payload), tp in zip(items, parents, strict=True)])
