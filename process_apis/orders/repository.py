"""Orders in the system of record (SQLAlchemy Core); rows never leave: Structs do.

An order is one row (lines, ship-to and payment as JSON) plus its status
history and shipments. Status changes are conditional updates (``from_``
states), so a step replayed after a crash or delivered twice changes nothing
the second time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.orders.schemas import (
    HistoryEntry, OrderLineView, OrderStatus, OrderSummary, OrderView, ShipmentLine, ShipmentView, Viewer)
from process_apis.notifications import events as partner_events
from shared.db.dialect import among, insert
from shared.db.tables import customer_credit, order_history, orders, shipments
from shared.models import ShipmentConfirmed
from shared.telemetry import current_trace_id

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


_INSERT_ORDER = orders.insert()
_INSERT_HISTORY = order_history.insert()


def new_order_id() -> str:
    """``ord_`` + 26 base32 characters: 48 bits of milliseconds then 80 random bits, so ids
    sort by creation time (newest-first paging is ordering by id). Within one millisecond a
    process's ids still sort in creation order: the random part goes up by one (monotonic ULID)."""
    global _last_id
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    if value >> 80 <= _last_id >> 80:
        value = _last_id + 1
    _last_id = value
    chars = []
    for _ in range(26):
        value, rest = divmod(value, 32)
        chars.append(_ALPHABET[rest])
    return "ord_" + "".join(reversed(chars))


_last_id = 0


class OrderRef(msgspec.Struct, frozen=True):
    """The payload of the order flow's messages: which order (the row holds the rest)."""

    order_id: str


class StoredOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order row as the flows need it."""

    order_id: str
    consumer: str
    customer_id: str | None
    channel: str
    channel_order_ref: str | None
    po_number: str | None
    currency: str
    total: Decimal
    status: OrderStatus
    erp_order_number: str | None
    lines: tuple[OrderLineView, ...]
    ship_to: dict | None
    payment: dict | None
    created_at: datetime
    fulfilment_id: str | None = None


async def insert_order(conn: AsyncConnection, order: StoredOrder, business_key: str | None, detail: str | None,
                       hold_reason: str | None = None, *, history: bool = True) -> None:
    """The order row and (unless ``history`` is False: the caller adds it) its first history entry."""
    await conn.execute(_INSERT_ORDER, dict(
        order_id=order.order_id, consumer=order.consumer, customer_id=order.customer_id, channel=order.channel,
        channel_order_ref=order.channel_order_ref, po_number=order.po_number, business_key=business_key,
        currency=order.currency, total=str(order.total), status=order.status, lines=msgspec.to_builtins(order.lines),
        ship_to=order.ship_to, payment=order.payment, hold_reason=hold_reason, created_at=order.created_at,
        updated_at=order.created_at,
    ))
    if history:
        await add_history(conn, order.order_id, order.status, order.created_at, detail)


async def add_history(conn: AsyncConnection, order_id: str, status: str, at: datetime, detail: str | None, *,
                      latency_ms: float | None = None) -> None:
    """``latency_ms``: the step's own duration, when it is not the time since the entry before."""
    await conn.execute(_INSERT_HISTORY, {"order_id": order_id, "status": status, "at": at, "detail": detail,
                                         "trace_id": current_trace_id(), "latency_ms": latency_ms})
    await partner_events.order_status_changed(conn, order_id, status, at, detail)


async def move(conn: AsyncConnection, order_id: str, to: OrderStatus, from_: Iterable[str], *,
               detail: str | None = None, **values: object) -> bool:
    """Set the status (and ``values``) only from one of ``from_``; record the history. False: no change."""
    now = datetime.now(UTC)
    result = await conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.status.in_(list(from_)))
                                .values(status=to, updated_at=now, **values))
    if result.rowcount != 1:
        return False
    await add_history(conn, order_id, to, now, detail)
    return True


SHIPPED_ALREADY = ("shipped", "delivered")
"""Where a shipment may take an order before its release is written (``record_late_release``)."""


async def record_late_release(conn: AsyncConnection, order_id: str, fulfilment_id: str, detail: str) -> bool:
    """The release of an order whose shipment was recorded first (the WMS shipped it before the
    hub had written down the release): its fulfilment id and a ``released`` history step, the
    status left as it is. False: it was recorded already."""
    result = await conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.fulfilment_id.is_(None),
                                                     orders.c.status.in_(SHIPPED_ALREADY))
                                .values(fulfilment_id=fulfilment_id))
    if result.rowcount != 1:
        return False
    await add_history(conn, order_id, "released", datetime.now(UTC),
                      f"{detail} (recorded after its shipment: the warehouse shipped before the release was written)")
    return True


async def load(conn: AsyncConnection, order_id: str) -> StoredOrder | None:
    row = (await conn.execute(select(orders).where(orders.c.order_id == order_id))).first()
    return _stored(row) if row is not None else None


async def load_many(conn: AsyncConnection, order_ids: Iterable[str]) -> dict[str, StoredOrder]:
    """The orders of these ids that exist, by id: one statement."""
    rows = (await conn.execute(select(orders).where(among(orders.c.order_id, order_ids, conn.dialect.name)))).all()
    return {row.order_id: _stored(row) for row in rows}


async def find_by_business_key(conn: AsyncConnection, business_key: str) -> StoredOrder | None:
    row = (await conn.execute(select(orders).where(orders.c.business_key == business_key))).first()
    return _stored(row) if row is not None else None


async def lock(conn: AsyncConnection, order_id: str) -> StoredOrder | None:
    """The order, held until the transaction ends (None: no such order). A write, not a
    ``SELECT ... FOR UPDATE``: it takes the row lock on PostgreSQL and the write lock on
    SQLite before anything is read, so two transactions checking the same order's
    shipments run one after the other on both."""
    result = await conn.execute(update(orders).where(orders.c.order_id == order_id)
                                .values(updated_at=orders.c.updated_at))
    return await load(conn, order_id) if result.rowcount == 1 else None


async def shipments_of(conn: AsyncConnection, order_id: str) -> list[ShipmentView]:
    """The order's recorded shipments, oldest first."""
    rows = (await conn.execute(select(shipments).where(shipments.c.order_id == order_id)
                               .order_by(shipments.c.shipped_at))).all()
    return [ShipmentView(shipment_id=s.shipment_id, carrier=s.carrier, tracking_number=s.tracking_number,
                         shipped_at=_utc(s.shipped_at), lines=msgspec.convert(s.lines, tuple[ShipmentLine, ...]))
            for s in rows]


async def add_shipment(conn: AsyncConnection, shipment: ShipmentConfirmed) -> bool:
    """Record a shipment once; False when this shipment id was already recorded."""
    result = await conn.execute(insert(conn, shipments).values(
        shipment_id=shipment.shipment_id, order_id=shipment.order_id, carrier=shipment.carrier,
        tracking_number=shipment.tracking_number, shipped_at=shipment.shipped_at,
        lines=msgspec.to_builtins(shipment.lines),
    ).on_conflict_do_nothing())
    return result.rowcount == 1


async def view(conn: AsyncConnection, order_id: str, viewer: Viewer | None) -> OrderView | None:
    """The order with history and shipments, or None when absent or not the viewer's."""
    query = select(orders).where(orders.c.order_id == order_id)
    row = (await conn.execute(query if viewer is None else query.where(visible_to(viewer)))).first()
    if row is None:
        return None
    history = (await conn.execute(select(order_history).where(order_history.c.order_id == order_id)
                                  .order_by(order_history.c.id))).all()
    stored = _stored(row)
    return OrderView(
        order_id=stored.order_id, status=stored.status, channel=stored.channel,  # type: ignore[arg-type]
        channel_order_ref=stored.channel_order_ref, po_number=stored.po_number, customer_id=stored.customer_id,
        erp_order_number=row.erp_order_number, currency=stored.currency, lines=stored.lines, total=stored.total,
        created_at=stored.created_at,
        history=tuple(HistoryEntry(status=h.status, at=_utc(h.at), detail=h.detail) for h in history),
        shipments=tuple(await shipments_of(conn, order_id)),
    )


async def page(conn: AsyncConnection, viewer: Viewer, limit: int, before: str | None) -> list[OrderSummary]:
    """The viewer's orders, newest first, older than the order id ``before``."""
    query = select(orders.c.order_id, orders.c.status, orders.c.total, orders.c.currency, orders.c.created_at)
    query = query.where(visible_to(viewer))
    if before is not None:
        query = query.where(orders.c.order_id < before)
    rows = await conn.execute(query.order_by(orders.c.order_id.desc()).limit(limit))
    return [OrderSummary(order_id=r.order_id, status=r.status, total=Decimal(r.total), currency=r.currency,
                         created_at=_utc(r.created_at)) for r in rows]


class Grant(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of order a viewer may see: orders of ``customer`` (None: guest orders), or of
    any customer (``any_customer``); placed by ``consumer`` only, unless None."""

    customer: str | None = None
    any_customer: bool = False
    consumer: str | None = None

    def admits(self, customer_id: str | None, consumer: str) -> bool:
        if self.consumer is not None and consumer != self.consumer:
            return False
        return customer_id is not None if self.any_customer else customer_id == self.customer

    def condition(self, customer_id: ColumnElement, consumer: ColumnElement) -> ColumnElement[bool]:
        if self.any_customer:
            match = customer_id.is_not(None)
        else:
            match = customer_id.is_(None) if self.customer is None else customer_id == self.customer
        return match if self.consumer is None else and_(match, consumer == self.consumer)


def grants(viewer: Viewer) -> tuple[Grant, ...]:
    """THE object rule (docs/security.md), for orders and, through their order, returns:
    an order with a customer is visible to whoever acts for that customer, or holds
    ``customers:any``; a guest order only to the consumer that placed it (``customers:any`` is
    no exception). ``visible`` (Python) and ``visible_to`` (SQL) are both made from these."""
    own_guests = Grant(customer=None, consumer=viewer.consumer)
    if viewer.any_customer:
        return Grant(any_customer=True), own_guests
    if viewer.customer_id is not None:
        return Grant(customer=viewer.customer_id), own_guests
    return (own_guests,)


def visible(order: StoredOrder, viewer: Viewer) -> bool:
    return any(g.admits(order.customer_id, order.consumer) for g in grants(viewer))


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The rule as a SQL condition on the ``orders`` table (join it to filter returns)."""
    return or_(*(g.condition(orders.c.customer_id, orders.c.consumer) for g in grants(viewer)))


def _stored(row: object) -> StoredOrder:
    r = row._mapping  # type: ignore[attr-defined]
    return StoredOrder(
        order_id=r["order_id"], consumer=r["consumer"], customer_id=r["customer_id"], channel=r["channel"],
        channel_order_ref=r["channel_order_ref"], po_number=r["po_number"], currency=r["currency"],
        total=Decimal(r["total"]), status=r["status"], erp_order_number=r["erp_order_number"],
        lines=msgspec.convert(r["lines"], tuple[OrderLineView, ...]), ship_to=r["ship_to"], payment=r["payment"],
        created_at=_utc(r["created_at"]), fulfilment_id=r.get("fulfilment_id"),
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def add_exposure(conn: AsyncConnection, customer_id: str, cents: int, limit_cents: int) -> bool:
    """Add an order to the customer's open amount if it stays within the limit (one conditional UPDATE)."""
    c = customer_credit.c
    result = await conn.execute(update(customer_credit).where(c.customer_id == customer_id,
                                                              c.open_cents + cents <= limit_cents)
                                .values(open_cents=c.open_cents + cents))
    return result.rowcount == 1


async def remove_exposure(conn: AsyncConnection, customer_id: str, cents: int) -> None:
    c = customer_credit.c
    await conn.execute(update(customer_credit).where(c.customer_id == customer_id)
                       .values(open_cents=c.open_cents - cents))
