"""Alert state and history in the database: one row per rule (``alert_states``), every
firing and resolving in ``alert_events``, and the operator webhook queued in the same
transaction as the transition (outbox topic ``ops.alert``).

A transition is a conditional write (insert if absent, else UPDATE ... WHERE state is the
other one), so several instances evaluating the same rule at once record, and notify, each
firing and resolving exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

import msgspec
from sqlalchemy import insert as sa_insert
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.db.dialect import insert
from shared.db.engine import reading
from shared.db.tables import alert_events, alert_states
from shared.messaging.outbox import as_utc, enqueue, utcnow

ALERT_TOPIC = "ops.alert"
HISTORY_SECONDS = 86400.0


class Alert(msgspec.Struct, kw_only=True):
    rule: str
    state: str
    """``firing`` or ``resolved``."""
    since: datetime
    detail: str


class AlertNotice(msgspec.Struct, kw_only=True):
    """The operator webhook's body (and the outbox payload that carries it)."""

    id: str
    type: str = "hub.alert"
    rule: str
    state: str
    at: datetime
    detail: str


class AlertList(msgspec.Struct, kw_only=True):
    items: list[Alert]
    """Each rule that fired in the last 24 hours (or is firing): its current state."""
    history: list[Alert]
    """The newest 100 firings and resolvings, newest first."""


class AlertStore:
    def __init__(self, engine: AsyncEngine, *, notify: bool, wake: Callable[[], None] = lambda: None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self._notify, self._wake, self._clock = engine, notify, wake, clock

    async def fire(self, rule: str, detail: str) -> bool:
        """Firing now; True when this call made the transition."""
        now, detail = self._clock(), detail[:500]
        async with self.engine.begin() as conn:
            created = (await conn.execute(
                insert(conn, alert_states).values(rule=rule, state="firing", since=now, detail=detail)
                .on_conflict_do_nothing(index_elements=["rule"]).returning(alert_states.c.rule))).first()
            moved = created is not None or (await conn.execute(
                update(alert_states).where(alert_states.c.rule == rule, alert_states.c.state == "resolved")
                .values(state="firing", since=now, detail=detail).returning(alert_states.c.rule))).first() is not None
            if moved:
                await self._record(conn, rule, "firing", now, detail)
            else:  # still firing: keep the figures current, no new event
                await conn.execute(update(alert_states).where(alert_states.c.rule == rule).values(detail=detail))
        return self._woken(moved)

    async def resolve(self, rule: str, detail: str) -> bool:
        now = self._clock()
        async with self.engine.begin() as conn:
            moved = (await conn.execute(
                update(alert_states).where(alert_states.c.rule == rule, alert_states.c.state == "firing")
                .values(state="resolved", since=now, detail=detail[:500]).returning(alert_states.c.rule))).first() is not None
            if moved:
                await self._record(conn, rule, "resolved", now, detail[:500])
        return self._woken(moved)

    def _woken(self, moved: bool) -> bool:
        if moved and self._notify:
            self._wake()
        return moved

    async def _record(self, conn: AsyncConnection, rule: str, state: str, now: datetime, detail: str) -> None:
        event_id = (await conn.execute(sa_insert(alert_events).values(rule=rule, state=state, at=now, detail=detail)
                                       .returning(alert_events.c.id))).scalar_one()
        if self._notify:
            await enqueue(conn, ALERT_TOPIC, rule, AlertNotice(id=f"alert_{event_id}", rule=rule, state=state,
                                                               at=now, detail=detail))

    async def list(self) -> AlertList:
        horizon = self._clock() - timedelta(seconds=HISTORY_SECONDS)
        async with reading(self.engine) as conn:
            states = (await conn.execute(select(alert_states).where(
                or_(alert_states.c.state == "firing", alert_states.c.since >= horizon))
                .order_by(alert_states.c.since.desc()))).all()
            events = (await conn.execute(select(alert_events).order_by(alert_events.c.id.desc()).limit(100))).all()
        return AlertList(items=[Alert(rule=r.rule, state=r.state, since=as_utc(r.since), detail=r.detail) for r in states],
                         history=[Alert(rule=e.rule, state=e.state, since=as_utc(e.at), detail=e.detail) for e in events])
