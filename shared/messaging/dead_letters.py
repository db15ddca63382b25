"""The dead-letter queue: messages whose retry budget ran out, or that failed permanently.

Operators list and inspect them (admin API, ``hub dlq list``), fix the cause,
then replay one: in one transaction the dead letter is marked ``replayed_at``
(only if it was not already: a second or concurrent replay is 409
``already_replayed``) and a fresh outbox row is enqueued with its attempts
reset, so a replay resumes the work exactly once. Replayed dead letters stay
listed (with ``replayed_at``) until deleted.

A dead letter whose last error came from a backend names it (``backend``). Its
replay asks that backend's circuit first (``shared.resilience.circuits``): the
answer reports it (``closed``, ``open``, ``half_open``, or ``unknown`` when this
process cannot know), and while the circuit holds calls back the replayed
message is due only when it may probe (``retry_at``), so its first attempt is
not refused. A replayed message is a new message: its retry budget starts
afresh at its first delivery.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Callable, Literal

import msgspec
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.tables import dead_letters
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.messaging.outbox import as_utc, enqueue, utcnow
from shared.resilience.circuits import CircuitAnswer, CircuitPort, circuit_of

_COLUMNS = tuple(dead_letters.c)


class DeadLetter(msgspec.Struct, kw_only=True):
    id: str
    topic: str
    key: str
    reason: str
    """The last error's code and detail (never a stack trace)."""
    attempts: int
    first_attempt_at: datetime | None
    dead_at: datetime
    replayed_at: datetime | None
    payload: Any
    """The message's JSON, decoded."""
    backend: str | None = None
    """The backend the last error came from (``erp``, ``wms``, ...), when it named one."""


class DeadLetterPage(msgspec.Struct):
    items: list[DeadLetter]
    next_cursor: str | None


class Replayed(msgspec.Struct, omit_defaults=True):
    """What a replay answers (admin API 202, ``hub dlq replay``). ``backend`` and
    ``backend_circuit`` only for a dead letter that names its backend; ``retry_at`` only
    while that circuit holds calls back."""

    id: str
    status: Literal["replayed"]
    backend: str | None = None
    backend_circuit: CircuitAnswer | None = None
    """The circuit when replayed: ``closed``, ``open``, ``half_open``, or ``unknown``."""
    retry_at: datetime | None = None
    """RFC 3339 UTC: the circuit may probe then; the replayed message is due no sooner."""


def _view(row: Any) -> DeadLetter:
    try:
        payload = msgspec.json.decode(row.payload)
    except msgspec.DecodeError:
        payload = row.payload
    return DeadLetter(id=row.id, topic=row.topic, key=row.key, reason=row.reason, attempts=row.attempts,
                      first_attempt_at=as_utc(row.first_attempt_at), dead_at=as_utc(row.dead_at),
                      replayed_at=as_utc(row.replayed_at), payload=payload, backend=row.backend)


def _cursor(letter: DeadLetter) -> str:
    raw = msgspec.json.encode([letter.dead_at.isoformat(), letter.id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _position(cursor: str) -> tuple[datetime, str]:
    try:
        at, letter_id = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return as_utc(datetime.fromisoformat(at)), str(letter_id)
    except (ValueError, TypeError, RecursionError, msgspec.DecodeError):
        raise ValidationFailed(errors=[{"field": "cursor", "message": "not a cursor from this listing"}]) from None


class DeadLetterService:
    def __init__(self, engine: AsyncEngine, *, wake: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] = utcnow, circuits: CircuitPort | None = None) -> None:
        """``wake``: called after a replay commits (a worker in this process starts at once).
        ``circuits``: where the backends' circuits are read; None: ``unknown``."""
        self._engine, self._wake, self._clock, self._circuits = engine, wake, clock, circuits

    async def list(self, limit: int = 50, cursor: str | None = None, topic: str | None = None) -> DeadLetterPage:
        """Newest first; ``next_cursor`` continues the listing, None at its end."""
        query = select(*_COLUMNS).order_by(dead_letters.c.dead_at.desc(), dead_letters.c.id.desc()).limit(limit + 1)
        if topic is not None:
            query = query.where(dead_letters.c.topic == topic)
        if cursor:
            at, letter_id = _position(cursor)
            query = query.where(or_(dead_letters.c.dead_at < at,
                                    and_(dead_letters.c.dead_at == at, dead_letters.c.id < letter_id)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        items = [_view(row) for row in rows[:limit]]
        return DeadLetterPage(items=items, next_cursor=_cursor(items[-1]) if len(rows) > limit else None)

    async def get(self, letter_id: str) -> DeadLetter:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(dead_letters.c.id == letter_id))).first()
        if row is None:
            raise NotFound("No such dead letter.")
        return _view(row)

    async def replay(self, letter_id: str) -> Replayed:
        """Mark it replayed and enqueue its message again, in one transaction (exactly once);
        due when its backend's circuit may next let a call through."""
        async with self._engine.connect() as conn:
            backend = (await conn.execute(select(dead_letters.c.backend).where(dead_letters.c.id == letter_id))).scalar()
        now = self._clock()
        circuit = await circuit_of(self._circuits, backend, now) if backend else None
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                update(dead_letters).where(dead_letters.c.id == letter_id, dead_letters.c.replayed_at.is_(None))
                .values(replayed_at=now).returning(*_COLUMNS)
            )).first()
            if row is None:
                known = (await conn.execute(select(exists().where(dead_letters.c.id == letter_id)))).scalar()
                if known:
                    raise Conflict("This dead letter was already replayed.", code="already_replayed")
                raise NotFound("No such dead letter.")
            await enqueue(conn, row.topic, row.key, row.payload.encode(), delay=circuit.delay(now) if circuit else 0.0)
        if self._wake is not None:
            self._wake()
        if circuit is None:
            return Replayed(id=row.id, status="replayed")
        return Replayed(id=row.id, status="replayed", backend=backend, backend_circuit=circuit.state,
                        retry_at=circuit.retry_at)

    async def delete(self, letter_id: str) -> None:
        async with self._engine.begin() as conn:
            gone = (await conn.execute(
                delete(dead_letters).where(dead_letters.c.id == letter_id).returning(dead_letters.c.id))).first()
        if gone is None:
            raise NotFound("No such dead letter.")
