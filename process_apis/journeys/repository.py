"""Journey reads (SQLAlchemy Core); every identifier is indexed where it lives (migration 0009).

``matches`` resolves an identifier to order ids and RMA ids in one round trip;
the rest read what those carry, a statement per source, each for all the found
orders or returns at once: status history, message outcomes (``journey_steps``),
replayed dead letters and messages still waiting in the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.journeys.schemas import JourneyStep
from shared.db.tables import (
    dead_letters, journey_refs, journey_steps, order_history, orders, outbox, return_history, returns, shipments)
from shared.db.fulfilment_tables import order_releases
from shared.messaging.journal import JOURNEY_TOPICS
from shared.messaging.store import dead_letter_id

MAX_MATCHES = 50
"""At most this many orders and as many returns per look-up (an identifier shared by more is
not an identifier)."""

_ORDER_REFS = (orders.c.order_id, orders.c.channel_order_ref, orders.c.po_number, orders.c.erp_order_number,
               orders.c.fulfilment_id)
_RETURN_REFS = (returns.c.rma_id, returns.c.credit_memo_id, returns.c.refund_id, returns.c.order_id)


async def matches(conn: AsyncConnection, ref: str) -> tuple[list[str], list[str]]:
    """The order ids and RMA ids that have carried ``ref``, oldest first: an index probe per
    identifier, in one statement (a webhook id leads through ``journey_refs`` to the order ref
    it named: one statement more)."""
    keys = [ref, *(await conn.execute(select(journey_refs.c.subject).where(journey_refs.c.ref == ref))).scalars()]

    def carries(column: Any) -> Any:  # "=" for one key: the partial indexes serve it on any plan
        return column == keys[0] if len(keys) == 1 else column.in_(keys)

    found = union(
        *(select(literal("order").label("kind"), orders.c.order_id.label("id")).where(carries(column))
          for column in _ORDER_REFS),
        *(select(literal("order"), shipments.c.order_id).where(carries(column))
          for column in (shipments.c.shipment_id, shipments.c.tracking_number)),
        select(literal("order"), order_releases.c.order_id).where(carries(order_releases.c.fulfilment_id)),
        *(select(literal("return"), returns.c.rma_id).where(carries(column)) for column in _RETURN_REFS),
    ).subquery()
    rows = (await conn.execute(select(found.c.kind, found.c.id).order_by(found.c.id).limit(2 * MAX_MATCHES))).all()
    order_ids = [r.id for r in rows if r.kind == "order"][:MAX_MATCHES]
    rma_ids = [r.id for r in rows if r.kind == "return"][:MAX_MATCHES]
    return order_ids, rma_ids


async def order_rows(conn: AsyncConnection, order_ids: Collection[str]) -> list[Any]:
    return list(await conn.execute(select(orders.c.order_id, orders.c.status, orders.c.channel,
                                          orders.c.channel_order_ref, orders.c.po_number, orders.c.erp_order_number,
                                          orders.c.fulfilment_id).where(orders.c.order_id.in_(order_ids))))


async def return_rows(conn: AsyncConnection, rma_ids: Collection[str]) -> list[Any]:
    return list(await conn.execute(select(returns.c.rma_id, returns.c.order_id, returns.c.status,
                                          returns.c.refund_status, returns.c.credit_memo_id, returns.c.refund_id)
                                   .where(returns.c.rma_id.in_(rma_ids))))


async def shipments_of(conn: AsyncConnection, order_ids: Collection[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    rows = await conn.execute(select(shipments.c.order_id, shipments.c.shipment_id, shipments.c.tracking_number)
                              .where(shipments.c.order_id.in_(order_ids)).order_by(shipments.c.shipped_at))
    for row in rows:
        out[row.order_id].append(row)
    return out


async def rma_ids_of(conn: AsyncConnection, order_ids: Collection[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    rows = await conn.execute(select(returns.c.order_id, returns.c.rma_id).where(returns.c.order_id.in_(order_ids))
                              .order_by(returns.c.rma_id))
    for row in rows:
        out[row.order_id].append(row.rma_id)
    return out


async def webhook_ids_of(conn: AsyncConnection, subjects: Collection[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    rows = await conn.execute(select(journey_refs.c.subject, journey_refs.c.ref)
                              .where(journey_refs.c.subject.in_(subjects)).order_by(journey_refs.c.at))
    for row in rows:
        out[row.subject].append(row.ref)
    return out


async def order_statuses(conn: AsyncConnection, order_ids: Collection[str]) -> dict[str, list[JourneyStep]]:
    h = order_history.c
    rows = await conn.execute(select(h.order_id, h.status, h.at, h.detail, h.trace_id, h.latency_ms)
                              .where(h.order_id.in_(order_ids)).order_by(h.id))
    out: dict[str, list[JourneyStep]] = defaultdict(list)
    for row in rows:
        layer = "process" if out[row.order_id] else "experience"  # the first entry is the channel's request
        out[row.order_id].append(JourneyStep(at=_utc(row.at), layer=layer, step=row.status, outcome="done",
                                             trace_id=row.trace_id, detail=row.detail,
                                             latency_ms=row.latency_ms))  # 'accepted': the capture's
    return out


async def return_statuses(conn: AsyncConnection, rma_ids: Collection[str]) -> dict[str, list[JourneyStep]]:
    h = return_history.c
    rows = await conn.execute(select(h.rma_id, h.status, h.refund_status, h.at, h.detail, h.trace_id)
                              .where(h.rma_id.in_(rma_ids)).order_by(h.id))
    out: dict[str, list[JourneyStep]] = defaultdict(list)
    for row in rows:
        layer = "process" if out[row.rma_id] else "experience"
        out[row.rma_id].append(JourneyStep(at=_utc(row.at), layer=layer, step=row.status, outcome="done",
                                           trace_id=row.trace_id, detail=_refund(row.refund_status, row.detail)))
    return out


async def message_steps(conn: AsyncConnection, subjects: Collection[str]) -> dict[str, list[JourneyStep]]:
    """What the workers did with the subjects' messages, what operators replayed, what still waits."""
    out: dict[str, list[JourneyStep]] = defaultdict(list)
    s = journey_steps.c
    for row in await conn.execute(select(journey_steps).where(s.subject.in_(subjects)).order_by(s.id)):
        letter = dead_letter_id(row.message_id) if row.outcome == "dead_lettered" else None
        out[row.subject].append(JourneyStep(
            at=_utc(row.at), layer=row.layer, step=row.step, outcome=row.outcome, attempts=row.attempts,
            trace_id=row.trace_id, detail=row.detail, backend=row.backend, latency_ms=row.latency_ms,
            schema_version=row.schema_version, message_id=row.message_id, dead_letter_id=letter))
    _operator_steps(out, await conn.execute(select(dead_letters).where(
        dead_letters.c.key.in_(subjects), dead_letters.c.status.in_(("replayed", "resolved")))))
    o = outbox.c
    waiting = select(o.id, o.key, o.topic, o.attempts, o.available_at, o.last_error, o.traceparent)
    for row in await conn.execute(waiting.where(o.key.in_(subjects)).order_by(o.id)):
        topic = JOURNEY_TOPICS.get(row.topic)
        if topic is None:
            continue
        out[row.key].append(JourneyStep(
            at=_utc(row.available_at), layer=topic.layer, step=row.topic, outcome="pending", attempts=row.attempts,
            trace_id=_trace_id(row.traceparent), backend=topic.backend, schema_version=topic.schema_version,
            message_id=str(row.id), detail=f"waiting: {row.last_error}" if row.last_error else "waiting"))
    return out


async def release_steps(conn: AsyncConnection, order_ids: Collection[str]) -> dict[str, list[JourneyStep]]:
    """An order released in parts (several fulfilment connections): each part's release to its
    connection (done, or pending with its attempts and last failure) and its shipment."""
    r = order_releases.c
    out: dict[str, list[JourneyStep]] = defaultdict(list)
    for row in await conn.execute(select(order_releases).where(r.order_id.in_(order_ids))
                                  .order_by(r.order_id, r.planned_at, r.connection)):
        lines = ", ".join(f"{l['quantity']} x {l['sku']}" + (f" from {l['location']}" if l.get("location") else "")
                          for l in row.lines)
        if row.released_at is not None:
            out[row.order_id].append(JourneyStep(
                at=_utc(row.released_at), layer="system", step="fulfilment.release", outcome="done",
                attempts=row.attempts, backend=row.connection,
                detail=f"{row.connection} fulfilment {row.fulfilment_id}: {lines}"))
        else:
            waiting = f"waiting: {row.last_error}" if row.last_error else "waiting"
            out[row.order_id].append(JourneyStep(
                at=_utc(row.planned_at), layer="system", step="fulfilment.release", outcome="pending",
                attempts=row.attempts, backend=row.connection, detail=f"{row.connection}: {lines}; {waiting}"))
        if row.shipped_at is not None:
            out[row.order_id].append(JourneyStep(
                at=_utc(row.shipped_at), layer="system", step="fulfilment.shipped", outcome="done",
                backend=row.connection, detail=f"{row.connection} shipped {lines}"))
    return out


def _operator_steps(out: dict[str, list[JourneyStep]], rows: Any) -> None:
    """An operator's action on a dead letter: replayed (by whom) or resolved without a replay
    (by whom, with the note). What the replay did next is the message's own steps."""
    for row in rows:
        if row.status == "resolved":
            at, who, what = row.resolved_at, row.resolved_by, "resolved without a replay"
        else:
            at, who, what = row.replayed_at, row.replayed_by, "replayed"
        if at is None:
            continue
        out[row.key].append(JourneyStep(
            at=_utc(at), layer="operations", step=row.topic, outcome=row.status, attempts=row.attempts,
            backend=row.backend, dead_letter_id=row.id, actor=who, note=row.note if row.status == "resolved" else None,
            detail=f"dead letter {row.id} {what}" + (f" by {who}" if who else "")))


def _refund(refund_status: str, detail: str | None) -> str:
    return f"refund {refund_status}" + (f": {detail}" if detail else "")


def _trace_id(traceparent: str | None) -> str | None:
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 else None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
