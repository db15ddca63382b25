"""The audit log: who did what to the hub's operational state, and when.

An action is recorded by ``record`` on the connection of the change it describes, so the
row exists exactly when the change committed. The actor is an admin key's id and consumer
(``Actor.of(principal)``), or ``cli:<user>`` for the ``hub`` command; never a secret.
Listed newest first (``GET /admin/v1/audit``), paged by an opaque cursor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.ops_tables import audit_log
from shared.errors import ValidationFailed
from shared.identity import Principal


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    consumer: str
    key_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        return cls(consumer=principal.consumer[:200], key_id=principal.key_id)

    def label(self) -> str:
        return f"{self.consumer} ({self.key_id})" if self.key_id else self.consumer


class AuditEntry(msgspec.Struct, kw_only=True):
    id: str
    at: datetime
    action: str
    """``dead_letters.replay``, ``dead_letters.replay_bulk``, ``dead_letters.replay_dry_run``,
    ``dead_letters.resolve`` or ``dead_letters.delete``."""
    actor: Actor
    subject: str | None
    """The one thing acted on (a dead letter's id), null for a bulk action."""
    details: dict[str, Any]
    """What: e.g. the filter and the counts of a bulk replay, the topic and key of a letter."""
    note: str | None


class AuditPage(msgspec.Struct):
    items: list[AuditEntry]
    next_cursor: str | None


async def record(conn: AsyncConnection, actor: Actor, action: str, at: datetime, *, subject: str | None = None,
                 details: dict[str, Any] | None = None, note: str | None = None) -> int:
    """Write one entry in the caller's transaction; its id (for a bulk action to update)."""
    return (await conn.execute(insert(audit_log).values(
        at=at, actor_key_id=actor.key_id, actor_consumer=actor.consumer, action=action, subject=subject,
        details=details or {}, note=note).returning(audit_log.c.id))).scalar_one()


class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self, limit: int = 50, cursor: str | None = None) -> AuditPage:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit + 1)
        if cursor:
            if not cursor.isdigit() or len(cursor) > 19:
                raise ValidationFailed(errors=[{"field": "cursor", "message": "not a cursor from this listing"}])
            query = query.where(audit_log.c.id < int(cursor))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        items = [AuditEntry(id=str(r.id), at=r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC), action=r.action,
                            subject=r.subject, details=r.details, note=r.note,
                            actor=Actor(consumer=r.actor_consumer, key_id=r.actor_key_id))
                 for r in rows[:limit]]
        return AuditPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
