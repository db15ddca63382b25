"""Subscriptions and deliveries in the system of record (SQLAlchemy Core); Structs out."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.notifications.schemas import Delivery, Subscription
from shared.db.dialect import insert
from shared.db.tables import webhook_deliveries as deliveries
from shared.db.tables import webhook_subscriptions as subs
from shared.messaging.outbox import enqueue, enqueue_many

import msgspec

DELIVER_TOPIC = "webhook.deliver"
MAX_PER_CUSTOMER = 100
FANOUT_CHUNK = 100
"""Subscriptions one fan-out message names at most (``inventory.changed`` goes to every
subscriber of every customer: a larger fan-out is several messages, worked side by side)."""


class LaneRef(msgspec.Struct, frozen=True):
    """The payload of ``webhook.deliver``: which lane to work on (the rows hold the rest)."""

    subscription_id: str
    lane: str
    more: tuple[str, ...] = ()
    """Further subscriptions with work on the same lane: a fan-out queues one message for all
    of an event's subscribers, whose lanes the handler works side by side."""


def lane_key(subscription_id: str, lane: str) -> str:
    return f"wh:{subscription_id}:{lane}"[:128]


async def trigger(conn: AsyncConnection, subscription_id: str, lane: str, delay: float = 0.0) -> None:
    """Queue work on a lane, in the caller's transaction."""
    await enqueue(conn, DELIVER_TOPIC, lane_key(subscription_id, lane), LaneRef(subscription_id, lane), delay=delay)


def new_subscription_id() -> str:
    return "wh_" + secrets.token_hex(10)


def new_webhook_id() -> str:
    return "msg_" + secrets.token_hex(12)


def utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def subscription_of(row: Any, *, secret: str | None = None) -> Subscription:
    return Subscription(id=row.id, url=row.url, events=list(row.events), status=row.status,
                        created_at=utc(row.created_at), disabled_at=utc(row.disabled_at), secret=secret)


def delivery_of(row: Any) -> Delivery:
    return Delivery(webhook_id=row.webhook_id, type=row.type, status=row.status, attempts=row.attempts,
                    last_response_status=row.last_response_status, next_attempt_at=utc(row.next_attempt_at),
                    created_at=utc(row.created_at), last_error=row.last_error, seq=row.id)


async def add_subscription(conn: AsyncConnection, values: dict) -> None:
    await conn.execute(subs.insert().values(**values))


async def count_for(conn: AsyncConnection, customer_id: str) -> int:
    return len((await conn.execute(select(subs.c.id).where(subs.c.customer_id == customer_id))).all())


async def find(conn: AsyncConnection, customer_id: str, subscription_id: str) -> Any:
    return (await conn.execute(select(subs).where(subs.c.id == subscription_id,
                                                  subs.c.customer_id == customer_id))).first()


async def of_customer(conn: AsyncConnection, customer_id: str) -> list[Any]:
    return list((await conn.execute(select(subs).where(subs.c.customer_id == customer_id)
                                    .order_by(subs.c.created_at, subs.c.id))).all())


async def change(conn: AsyncConnection, subscription_id: str, **values: object) -> None:
    await conn.execute(update(subs).where(subs.c.id == subscription_id).values(**values))


async def remove(conn: AsyncConnection, subscription_id: str) -> None:
    await conn.execute(delete(deliveries).where(deliveries.c.subscription_id == subscription_id))
    await conn.execute(delete(subs).where(subs.c.id == subscription_id))


async def add_deliveries(conn: AsyncConnection, wanted: list[Any], event_key: str, type_: str, lane: str, body: str,
                         now: datetime) -> int:
    """One event for each subscription in ``wanted``, once (the event key is unique per
    subscription): one INSERT (an ``executemany``, compiled once per process), and one
    ``webhook.deliver`` message naming the active subscriptions that got it (one per
    ``FANOUT_CHUNK`` of them). A disabled
    subscription's is held pending, unqueued: enabling it sends what it missed, in order."""
    stmt = insert(conn, deliveries).on_conflict_do_nothing(
        index_elements=["subscription_id", "event_key"]).returning(deliveries.c.subscription_id)
    rows = [dict(webhook_id=new_webhook_id(), subscription_id=sub.id, event_key=event_key[:200], type=type_, lane=lane,
                 body=body, status="pending", attempts=0, next_attempt_at=now, created_at=now) for sub in wanted]
    inserted = {r.subscription_id for r in await conn.execute(stmt, rows)}
    active = sorted(sub.id for sub in wanted if sub.id in inserted and sub.status == "active")
    chunks = [active[i:i + FANOUT_CHUNK] for i in range(0, len(active), FANOUT_CHUNK)]
    # the key: one lane's events (same chunk) run one after the other in a worker, chunks side by side
    await enqueue_many(conn, [(DELIVER_TOPIC, f"whf:{n}:{lane}"[:128], LaneRef(ids[0], lane, tuple(ids[1:])))
                              for n, ids in enumerate(chunks)])
    return len(inserted)


async def page(conn: AsyncConnection, subscription_id: str, limit: int, before: int | None) -> list[Delivery]:
    query = select(deliveries).where(deliveries.c.subscription_id == subscription_id)
    if before is not None:
        query = query.where(deliveries.c.id < before)
    rows = await conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit))
    return [delivery_of(r) for r in rows]


async def again(conn: AsyncConnection, condition: Any, now: datetime) -> set[str]:
    """Send these deliveries again with their webhook ids: settled ones become pending (attempts
    from 0), pending ones not being attempted become due now. The lanes touched."""
    lanes = {r.lane for r in await conn.execute(select(deliveries.c.lane).where(condition).distinct())}
    await conn.execute(update(deliveries).where(and_(condition, deliveries.c.status != "pending")).values(
        status="pending", attempts=0, next_attempt_at=now, claimed_until=None, last_error=None))
    await conn.execute(update(deliveries).where(and_(condition, deliveries.c.status == "pending")).values(
        next_attempt_at=now))
    return lanes


async def pending_lanes(conn: AsyncConnection, subscription_id: str, now: datetime) -> set[str]:
    """Every lane of the subscription with pending deliveries, made due now."""
    mine = and_(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
    lanes = {r.lane for r in await conn.execute(select(deliveries.c.lane).where(mine).distinct())}
    await conn.execute(update(deliveries).where(mine).values(next_attempt_at=now))
    return lanes


async def page_where(conn: AsyncConnection, condition: Any) -> Delivery | None:
    row = (await conn.execute(select(deliveries).where(condition))).first()
    return delivery_of(row) if row is not None else None


async def count_settled(conn: AsyncConnection, condition: Any) -> int:
    rows = await conn.execute(select(func.count()).select_from(deliveries)
                              .where(and_(condition, deliveries.c.status != "pending")))
    return int(rows.scalar_one())
