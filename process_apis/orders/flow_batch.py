"""The order flows' database work, gathered across the handlers running at once.

A worker runs dozens of ``order.accepted`` and ``order.posted`` handlers at a
time; alone, each read its order and recorded its step in statements of its
own (a load, then BEGIN, a conditional UPDATE, a history INSERT, the partner
event's subscriber query, an outbox INSERT, COMMIT). Here the handlers that
reach the same point together share the statements (``GroupCommit``, no
timer): one ``SELECT ... IN`` loads them all, one transaction records a
whole batch's step:

    UPDATE orders SET status, the step's reference (a CASE by order id), updated_at
        WHERE order_id IN (...) AND status IN (from)  RETURNING order_id
    INSERT order_history  (one row per order moved)
    INSERT outbox         (the next step's message per order moved, with its own trace)

The update stays conditional, so a step delivered twice, or recorded by two
workers at once, moves the order once (an order that was not moved gets no
history and no message). A batch's transaction is all or nothing: when it
fails, every handler of the batch fails and its message is retried. Partner
events are written for orders with a customer only: subscriptions follow a
customer, so a guest order has no subscriber to look up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import String, any_, bindparam, case, func, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import Grouping
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.notifications import events as partner_events
from process_apis.orders import repository as repo
from process_apis.orders.schemas import OrderStatus
from shared.batching import GroupCommit
from shared.db.engine import reading
from shared.db.tables import order_history, orders
from shared.messaging.outbox import enqueue_many
from shared.telemetry import current_trace_id, current_traceparent

_HISTORY = order_history.insert()
_MOVES: dict[str, object] = {}


def _moves(kind: StepKind) -> object:
    """PostgreSQL: ``kind``'s conditional UPDATE for a batch, built once: the ids and their references
    as two array parameters (``refs[array_position(ids, order_id)]``), so the statement's text is the
    same for every batch and the driver prepares it once. The CASE of one WHEN per order (SQLite's
    form) was a new statement text per batch size: compiled by SQLAlchemy and prepared by
    PostgreSQL (a round trip, a parse and a plan) again and again."""
    stmt = _MOVES.get(kind.to)
    if stmt is None:
        ids = bindparam("ids", type_=postgresql.ARRAY(String))
        refs = bindparam("refs", type_=postgresql.ARRAY(String))
        stmt = _MOVES[kind.to] = (
            update(orders).where(orders.c.order_id == any_(ids), orders.c.status.in_(kind.from_))
            .values({"status": kind.to, "updated_at": bindparam("now"),
                     kind.column: Grouping(refs)[func.array_position(ids, orders.c.order_id)]})
            .returning(orders.c.order_id))
    return stmt


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """One order's step to record (see ``StepKind``), with the handler's trace."""

    order: repo.StoredOrder
    detail: str
    reference: str
    trace_id: str | None = None
    traceparent: str | None = None


class StepKind(msgspec.Struct, frozen=True, kw_only=True):
    """Move to ``to`` from one of ``from_``, the step's reference in ``column``, then (when
    ``next_topic``) queue the next step's message."""

    to: OrderStatus
    from_: tuple[str, ...]
    column: str
    next_topic: str | None = None


POSTED = StepKind(to="posted", from_=("accepted",), column="erp_order_number", next_topic="order.posted")
RELEASED = StepKind(to="released", from_=("posted",), column="fulfilment_id")


class FlowBatches:
    """``load`` and ``record`` for one handler each, batched with the others running at once."""

    def __init__(self, engine: AsyncEngine, *, limit: int = 200) -> None:
        self._engine = engine
        self._loads: GroupCommit[str, repo.StoredOrder | None] = GroupCommit(self._load, limit=limit, parallel=2)
        self._records = {kind.to: GroupCommit(lambda steps, kind=kind: self._record(kind, steps), limit=limit)
                         for kind in (POSTED, RELEASED)}

    async def load(self, order_id: str) -> repo.StoredOrder | None:
        return await self._loads.submit(order_id)

    async def record(self, kind: StepKind, order: repo.StoredOrder, reference: str, detail: str) -> bool:
        """Whether this call moved the order (False: it had moved already)."""
        step = Step(order=order, reference=reference, detail=detail, trace_id=current_trace_id(),
                    traceparent=current_traceparent())
        return await self._records[kind.to].submit(step)

    async def _load(self, order_ids: list[str]) -> Sequence[repo.StoredOrder | None]:
        async with reading(self._engine) as conn:
            found = await repo.load_many(conn, set(order_ids))
        return [found.get(order_id) for order_id in order_ids]

    async def _record(self, kind: StepKind, steps: list[Step]) -> Sequence[bool]:
        now = datetime.now(UTC)
        by_id = {s.order.order_id: s for s in steps}  # one order twice in a batch: moved once
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # one statement text whatever the batch's size
                result = await conn.execute(_moves(kind), {"ids": list(by_id), "now": now,
                                                          "refs": [s.reference for s in by_id.values()]})
            else:
                column = orders.c[kind.column]
                result = await conn.execute(
                    update(orders).where(orders.c.order_id.in_(list(by_id)), orders.c.status.in_(kind.from_))
                    .values({"status": kind.to, "updated_at": now,
                             kind.column: case({i: s.reference for i, s in by_id.items()}, value=orders.c.order_id,
                                               else_=column)})
                    .returning(orders.c.order_id))
            moved = sorted(result.scalars().all())
            if moved:
                await conn.execute(_HISTORY, [{"order_id": i, "status": kind.to, "at": now, "detail": by_id[i].detail,
                                               "trace_id": by_id[i].trace_id, "latency_ms": None} for i in moved])
                for i in moved:
                    if by_id[i].order.customer_id is not None:
                        await partner_events.order_status_changed(conn, i, kind.to, now, by_id[i].detail)
                if kind.next_topic is not None:
                    await enqueue_many(conn, [(kind.next_topic, i, repo.OrderRef(order_id=i)) for i in moved],
                                       traceparents=[by_id[i].traceparent for i in moved])
        done = set(moved)
        first: set[str] = set()
        answers = []
        for s in steps:  # the first of an order's steps in the batch is the one that moved it
            answers.append(s.order.order_id in done and s.order.order_id not in first)
            first.add(s.order.order_id)
        return answers
