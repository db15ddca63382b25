"""The idempotency ledger: one table for client ``Idempotency-Key``s, inbound webhook
ids and business keys (CONTRACT section 3, the IETF Idempotency-Key draft).

A request first *begins* its key: the first caller gets ``Claim.NEW`` and runs;
a caller with the same key and the same fingerprint gets the stored answer
(``REPLAY``) once the first finished, or ``IN_FLIGHT`` (409) while it runs; a
different fingerprint is ``MISMATCH`` (422 ``idempotency_key_reused``). The
first caller then *completes* the key inside its own business transaction, so
the answer is stored exactly when the effect is committed, or *releases* it
when it failed before any effect (a backend was down): a retry may run again.

An in-flight key whose lease ran out (its process died) is taken over by the
next caller. A key is kept ``ttl`` (the composition passes the retention of its
kind: HUB_IDEMPOTENCY_KEY_RETENTION_SECONDS for client keys,
HUB_WEBHOOK_ID_RETENTION_SECONDS for webhook ids) and then forgotten: the
workers' ``RetentionSweeper`` deletes it, and a caller meeting it first starts
anew. A key whose first request is still running is never forgotten.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Awaitable, Callable, TypeVar

import msgspec
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.dialect import insert
from shared.db.tables import idempotency_keys as t
from shared.errors import BusinessRuleViolation, Conflict, HubError, error_class_for

T = TypeVar("T")
REPLAYED = {"Idempotent-Replayed": "true"}


class Claim(enum.Enum):
    NEW = "new"
    REPLAY = "replay"
    IN_FLIGHT = "in_flight"
    MISMATCH = "mismatch"


class Begun(msgspec.Struct, frozen=True):
    claim: Claim
    status_code: int | None = None
    response: bytes | None = None
    resource_id: str | None = None


class Replayed(msgspec.Struct, frozen=True):
    """The stored success answer of an earlier request with the same key."""

    response: bytes


class _StoredProblem(msgspec.Struct, frozen=True):
    status: int
    code: str
    detail: str
    errors: list[dict[str, str]] | None = None


def fingerprint(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


class IdempotencyLedger:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        ttl: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=60),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine = engine
        self._ttl = ttl
        self._lease = lease
        self._now = now

    async def run(self, scope: str, key: str, request: bytes, work: Callable[[], Awaitable[T]]) -> T | Replayed:
        """Run ``work`` once per key, as the IETF draft asks of a client request.

        A replay of a success is ``Replayed``; a replayed refusal is raised again with
        ``Idempotent-Replayed: true``; another body under the key is 422
        ``idempotency_key_reused``; a key still running is 409. ``work`` must ``complete``
        the key in its own transaction; a refusal it raises (422, 409) is stored for
        replay, any other failure releases the key so a retry runs anew."""
        begun = await self.begin(scope, key, fingerprint(request))
        if begun.claim is Claim.MISMATCH:
            raise BusinessRuleViolation("This Idempotency-Key was used with a different request.",
                                        code="idempotency_key_reused")
        if begun.claim is Claim.IN_FLIGHT:
            raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.",
                           code="idempotency_key_in_flight", headers={"Retry-After": "1"})
        if begun.claim is Claim.REPLAY:
            return _replay(begun.status_code or 201, begun.response or b"")
        try:
            return await work()
        except (BusinessRuleViolation, Conflict) as refusal:
            body = msgspec.json.encode(_StoredProblem(refusal.status, refusal.code, refusal.detail, refusal.errors))
            async with self._engine.begin() as conn:
                await self.complete(conn, scope, key, refusal.status, body)
            raise
        except BaseException:
            await asyncio.shield(self.release(scope, key))
            raise

    def expires_at(self) -> datetime:
        """When a key stored now may be swept."""
        return self._now() + self._ttl

    async def begin(self, scope: str, key: str, print_: str) -> Begun:
        """Claim ``key`` in ``scope`` for a request whose payload has fingerprint ``print_``."""
        async with self._engine.connect() as conn:
            # each statement commits on its own: one round trip for a new key
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return await self.begin_in(conn, scope, key, print_)

    async def begin_in(self, conn: AsyncConnection, scope: str, key: str, print_: str) -> Begun:
        """As ``begin``, in the caller's transaction (a webhook stores its key and its work together)."""
        now = self._now()
        for _ in range(3):
            inserted = await conn.execute(insert(conn, t).values(
                scope=scope, key=key, fingerprint=print_, state="in_flight", created_at=now,
                expires_at=now + self._ttl, locked_until=now + self._lease,
            ).on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return Begun(Claim.NEW)
            row = (await conn.execute(select(t).where(t.c.scope == scope, t.c.key == key))).first()
            if row is None:
                continue  # swept between our insert and read: try again
            running = row.state == "in_flight" and row.locked_until is not None and _aware(row.locked_until) > now
            if _aware(row.expires_at) <= now and not running:
                await conn.execute(delete(t).where(t.c.scope == scope, t.c.key == key,
                                                   t.c.expires_at == row.expires_at))
                continue
            if row.fingerprint != print_:
                return Begun(Claim.MISMATCH)
            if row.state == "done":
                response = row.response.encode() if row.response is not None else None
                return Begun(Claim.REPLAY, row.status_code, response, row.resource_id)
            if row.locked_until is not None and _aware(row.locked_until) <= now:
                taken = await conn.execute(update(t).where(
                    t.c.scope == scope, t.c.key == key, t.c.state == "in_flight",
                    t.c.locked_until == row.locked_until,
                ).values(locked_until=now + self._lease))
                if taken.rowcount == 1:
                    return Begun(Claim.NEW)
            return Begun(Claim.IN_FLIGHT)
        return Begun(Claim.IN_FLIGHT)

    async def complete(
        self, conn: AsyncConnection, scope: str, key: str, status_code: int, response: bytes,
        resource_id: str | None = None,
    ) -> None:
        """Store the answer, in the caller's transaction (with the effect it describes)."""
        await conn.execute(_COMPLETE, {"s": scope, "k": key, "state": "done", "status_code": status_code,
                                       "response": response.decode(), "resource_id": resource_id,
                                       "locked_until": None})

    async def release(self, scope: str, key: str) -> None:
        """Forget an in-flight key whose request failed before any effect; a retry runs anew."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(t).where(t.c.scope == scope, t.c.key == key, t.c.state == "in_flight"))


_COMPLETE = update(t).where(t.c.scope == bindparam("s"), t.c.key == bindparam("k"))


def _replay(status: int, response: bytes) -> Replayed:
    if 200 <= status < 300:
        return Replayed(response)
    problem = msgspec.json.decode(response, type=_StoredProblem)
    raise error_class_for(problem.status, problem.code)(problem.detail, code=problem.code, errors=problem.errors,
                                                        headers=dict(REPLAYED))


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time the hub stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def queue_once(engine: AsyncEngine, ledger: IdempotencyLedger, scope: str, key: str, digest: str,
                     topic: str, message_key: str, payload: msgspec.Struct) -> int:
    """Queue ``payload`` on the outbox (``topic``, ``message_key``) only if ``(scope, key)`` is new to
    the ledger, both in one transaction: what a poller finds on two rounds, or two pollers find at
    once, is queued once (a second finder's claim loses). 1 when queued, else 0."""
    from shared.messaging.outbox import enqueue

    async with engine.begin() as conn:
        begun = await ledger.begin_in(conn, scope, key, digest)
        if begun.claim is not Claim.NEW:
            return 0
        await enqueue(conn, topic, message_key, payload)
        await ledger.complete(conn, scope, key, 200, b'{"status":"queued"}')
    return 1
