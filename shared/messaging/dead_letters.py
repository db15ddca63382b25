"""The dead-letter queue: messages whose retry budget ran out, or that failed permanently.

Operators list and inspect them (admin API, ``hub dlq list``), fix the cause,
then replay one: in one transaction the dead letter is marked ``replayed_at``
(only if it was not already: a second or concurrent replay is 409
``already_replayed``) and a fresh outbox row is enqueued with its attempts
reset, so a replay resumes the work exactly once. Replayed dead letters stay
listed (with ``replayed_at``) until deleted.

Operators work at scale too (issue 12): the listing filters by flow, topic, backend,
error code, time and status (``DeadLetterFilter``); ``replay_matching`` replays every open
letter a filter matches (or counts them, a dry run) in bounded batches, each letter
exactly once even under concurrent bulk replays (rows locked in id order, then a
conditional ``UPDATE ... WHERE status = 'open'``); ``resolve`` closes a letter without a
replay, with a note. A letter is ``open``, ``replayed`` or ``resolved``; only an open one is
replayed or resolved (409 ``already_replayed`` / ``already_resolved``). Every action is
written to the audit log in the transaction of its change, naming the actor. Nothing is
capped: every dead letter is kept until deleted, and listed page by page.

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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Callable, Literal

import msgspec
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.ops_tables import audit_log
from shared.db.tables import dead_letters
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.messaging.dead_letter_filter import DeadLetterFilter, Status, conditions
from shared.messaging.outbox import as_utc, enqueue, utcnow
from shared.ops.audit import Actor, AuditLog, record
from shared.resilience.circuits import CircuitAnswer, CircuitPort, CircuitReport, circuit_of

_COLUMNS = tuple(dead_letters.c)
_OPEN = dead_letters.c.status == "open"
INTERNAL = Actor(consumer="internal")
"""The actor of calls that name none (tests, internal tools)."""


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
    status: Status = "open"
    """``open`` (neither replayed nor resolved), ``replayed`` or ``resolved``."""
    resolved_at: datetime | None = None
    replayed_by: str | None = None
    """Who replayed it (one or in bulk), named like ``resolved_by``."""
    resolved_by: str | None = None
    """Who resolved it: the admin key's consumer and id (``ops (key_...)``), or ``cli:<user>``."""
    note: str | None = None
    """Why it was resolved without a replay."""


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


class BackendCircuit(msgspec.Struct, omit_defaults=True):
    backend: str
    circuit: CircuitAnswer
    retry_at: datetime | None = None
    """While the circuit holds calls back: that backend's replayed messages are due then."""


class BulkReplayed(msgspec.Struct, kw_only=True):
    """What a bulk replay answers. ``matched``: the open letters the filter matched (at most
    ``limit``); ``replayed``: those this call replayed; ``skipped``: those another replay or
    a resolve took meanwhile. A dry run changes nothing: ``replayed`` and ``skipped`` are 0."""

    matched: int
    replayed: int
    skipped: int
    dry_run: bool
    circuits: list[BackendCircuit] = []
    """The circuit of each backend the replayed letters failed on, as read for this replay."""


def _view(row: Any) -> DeadLetter:
    try:
        payload = msgspec.json.decode(row.payload)
    except msgspec.DecodeError:
        payload = row.payload
    return DeadLetter(id=row.id, topic=row.topic, key=row.key, reason=row.reason, attempts=row.attempts,
                      first_attempt_at=as_utc(row.first_attempt_at), dead_at=as_utc(row.dead_at),
                      replayed_at=as_utc(row.replayed_at), payload=payload, backend=row.backend, status=row.status,
                      resolved_at=as_utc(row.resolved_at), resolved_by=row.resolved_by, note=row.note,
                      replayed_by=row.replayed_by)


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
                 clock: Callable[[], datetime] = utcnow, circuits: CircuitPort | None = None,
                 flows: Mapping[str, Sequence[str]] | None = None, batch: int = 500) -> None:
        """``wake``: called after a replay commits (a worker in this process starts at once).
        ``circuits``: where the backends' circuits are read; None: ``unknown``.
        ``flows``: each flow's topics, for the ``flow`` filter. ``batch``: letters per
        transaction of a bulk replay."""
        self._engine, self._wake, self._clock, self._circuits = engine, wake, clock, circuits
        self.flows: Mapping[str, Sequence[str]] = flows or {}
        self._batch = batch
        self.audit = AuditLog(engine)

    async def list(self, limit: int = 50, cursor: str | None = None, topic: str | None = None,
                   where: DeadLetterFilter | None = None) -> DeadLetterPage:
        """Newest first; ``next_cursor`` continues the listing, None at its end."""
        spec = where or DeadLetterFilter()
        if topic is not None:
            spec = msgspec.structs.replace(spec, topic=topic)
        query = (select(*_COLUMNS).where(*conditions(spec, self.flows))
                 .order_by(dead_letters.c.dead_at.desc(), dead_letters.c.id.desc()).limit(limit + 1))
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

    async def replay(self, letter_id: str, actor: Actor = INTERNAL) -> Replayed:
        """Mark it replayed and enqueue its message again, in one transaction (exactly once);
        due when its backend's circuit may next let a call through."""
        async with self._engine.connect() as conn:
            backend = (await conn.execute(select(dead_letters.c.backend).where(dead_letters.c.id == letter_id))).scalar()
        now = self._clock()
        circuit = await circuit_of(self._circuits, backend, now) if backend else None
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                update(dead_letters).where(dead_letters.c.id == letter_id, _OPEN)
                .values(status="replayed", replayed_at=now, replayed_by=actor.label()[:250]).returning(*_COLUMNS)
            )).first()
            if row is None:
                await _refuse(conn, letter_id)
            await enqueue(conn, row.topic, row.key, row.payload.encode(), delay=circuit.delay(now) if circuit else 0.0)
            await record(conn, actor, "dead_letters.replay", now, subject=row.id, details=_about(row))
        if self._wake is not None:
            self._wake()
        if circuit is None:
            return Replayed(id=row.id, status="replayed")
        return Replayed(id=row.id, status="replayed", backend=backend, backend_circuit=circuit.state,
                        retry_at=circuit.retry_at)

    async def replay_matching(self, where: DeadLetterFilter, *, dry_run: bool = False, limit: int | None = None,
                              actor: Actor = INTERNAL) -> BulkReplayed:
        """Every open dead letter ``where`` matches that was dead by the start of the call (at
        most ``limit``), oldest first, ``batch`` per transaction; a dry run only counts them.
        A letter another replay (or a resolve) took meanwhile is ``skipped``, never replayed twice."""
        if where.status not in (None, "open"):
            raise ValidationFailed(errors=[{"field": "filter.status", "message": "only open dead letters are replayed"}])
        started = self._clock()
        match = [*conditions(where, self.flows, "filter."), _OPEN, dead_letters.c.dead_at <= started]
        details: dict[str, Any] = {"filter": msgspec.to_builtins(where), "limit": limit}
        if dry_run:
            async with self._engine.begin() as conn:
                matched = (await conn.execute(select(func.count()).select_from(dead_letters).where(*match))).scalar_one()
                matched = min(matched, limit) if limit is not None else matched
                await record(conn, actor, "dead_letters.replay_dry_run", started, details={**details, "matched": matched})
            return BulkReplayed(matched=matched, replayed=0, skipped=0, dry_run=True)
        run = _BulkRun(details)
        while limit is None or run.matched < limit:
            size = self._batch if limit is None else min(self._batch, limit - run.matched)
            query = select(dead_letters.c.id, dead_letters.c.dead_at, dead_letters.c.backend).where(*match)
            if run.position is not None:
                at, last = run.position
                query = query.where(or_(dead_letters.c.dead_at > at, and_(dead_letters.c.dead_at == at,
                                                                          dead_letters.c.id > last)))
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query.order_by(dead_letters.c.dead_at, dead_letters.c.id).limit(size))).all()
            if not rows:
                break
            run.matched += len(rows)
            run.position = (rows[-1].dead_at, rows[-1].id)
            for backend in {r.backend for r in rows if r.backend and r.backend not in run.circuits}:
                run.circuits[backend] = await circuit_of(self._circuits, backend, self._clock())
            await self._replay_batch([r.id for r in rows], run, actor)
        if run.audit_id is None:  # nothing matched: the attempt is recorded all the same
            await self._replay_batch([], run, actor)
        return BulkReplayed(matched=run.matched, replayed=run.replayed, skipped=run.matched - run.replayed,
                            dry_run=False, circuits=[
                                BackendCircuit(backend=b, circuit=c.state, retry_at=c.retry_at)
                                for b, c in sorted(run.circuits.items())])

    async def _replay_batch(self, ids: list[str], run: "_BulkRun", actor: Actor) -> None:
        now = self._clock()
        async with self._engine.begin() as conn:
            locked = select(dead_letters.c.id).where(dead_letters.c.id.in_(ids), _OPEN).order_by(dead_letters.c.id)
            mine = list((await conn.execute(locked.with_for_update())).scalars()) if ids else []
            rows = (await conn.execute(
                update(dead_letters).where(dead_letters.c.id.in_(mine), _OPEN)
                .values(status="replayed", replayed_at=now, replayed_by=actor.label()[:250])
                .returning(*_COLUMNS))).all() if mine else []
            for row in rows:
                circuit = run.circuits.get(row.backend) if row.backend else None
                await enqueue(conn, row.topic, row.key, row.payload.encode(), delay=circuit.delay(now) if circuit else 0.0)
            run.replayed += len(rows)
            counts = {**run.details, "matched": run.matched, "replayed": run.replayed,
                      "skipped": run.matched - run.replayed}
            if run.audit_id is None:
                run.audit_id = await record(conn, actor, "dead_letters.replay_bulk", now, details=counts)
            else:
                await conn.execute(update(audit_log).where(audit_log.c.id == run.audit_id).values(details=counts))
        if rows and self._wake is not None:
            self._wake()

    async def resolve(self, letter_id: str, note: str, actor: Actor = INTERNAL) -> DeadLetter:
        """Close an open dead letter without replaying it, saying why; 409 if it is not open."""
        now = self._clock()
        async with self._engine.begin() as conn:
            row = (await conn.execute(
                update(dead_letters).where(dead_letters.c.id == letter_id, _OPEN)
                .values(status="resolved", resolved_at=now, resolved_by=actor.label()[:250], note=note)
                .returning(*_COLUMNS))).first()
            if row is None:
                await _refuse(conn, letter_id)
            await record(conn, actor, "dead_letters.resolve", now, subject=row.id, details=_about(row), note=note)
        return _view(row)

    async def delete(self, letter_id: str, actor: Actor = INTERNAL) -> None:
        async with self._engine.begin() as conn:
            gone = (await conn.execute(
                delete(dead_letters).where(dead_letters.c.id == letter_id).returning(*_COLUMNS))).first()
            if gone is None:
                raise NotFound("No such dead letter.")
            await record(conn, actor, "dead_letters.delete", self._clock(), subject=gone.id,
                         details={**_about(gone), "status": gone.status})


class _BulkRun:
    def __init__(self, details: dict[str, Any]) -> None:
        self.details = details
        self.matched = self.replayed = 0
        self.position: tuple[datetime, str] | None = None
        self.circuits: dict[str, CircuitReport] = {}
        self.audit_id: int | None = None


def _about(row: Any) -> dict[str, Any]:
    return {"topic": row.topic, "key": row.key, "backend": row.backend}


async def _refuse(conn: AsyncConnection, letter_id: str) -> None:
    """Why a letter could not be replayed or resolved: 404, or 409 naming what happened to it."""
    status = (await conn.execute(select(dead_letters.c.status).where(dead_letters.c.id == letter_id))).scalar()
    if status == "resolved":
        raise Conflict("This dead letter was already resolved.", code="already_resolved")
    if status is not None:
        raise Conflict("This dead letter was already replayed.", code="already_replayed")
    raise NotFound("No such dead letter.")
