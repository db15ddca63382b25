"""The events, emitted by the code that changes the business state, in its transaction.

Each ``*_changed`` / ``*_created`` call finds the subscribers (one query; none: nothing
else happens), fixes the body once, and writes one delivery per subscriber and one
``webhook.deliver`` outbox message naming them all (one INSERT each): the event exists exactly
when the change does.
Calling twice for the same event writes nothing twice (the event key is unique per
subscription). Order and return events go to the subscribers of the order's customer;
``inventory.changed`` to every subscriber of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.notifications import repository as repo
from process_apis.notifications.schemas import (
    Envelope, InventoryChangedV1, OrderStatusChangedV1, ReturnUpdatedV1, ShipmentCreatedV1, ShipmentLineV1)
from shared.db.tables import orders, returns
from shared.db.tables import webhook_subscriptions as subs
from shared.models import ShipmentConfirmed, StockChanged

_ORDER = (orders.c.order_id, orders.c.channel, orders.c.channel_order_ref, orders.c.po_number,
          orders.c.erp_order_number)
_SUB = (subs.c.id, subs.c.events, subs.c.status)


async def _order_subscribers(conn: AsyncConnection, order_id: str) -> list[Any]:
    joined = subs.join(orders, orders.c.customer_id == subs.c.customer_id)
    return list((await conn.execute(select(*_SUB, *_ORDER).select_from(joined)
                                    .where(orders.c.order_id == order_id))).all())


async def order_status_changed(conn: AsyncConnection, order_id: str, status: str, at: datetime,
                               detail: str | None) -> None:
    rows = await _order_subscribers(conn, order_id)
    if not rows:
        return
    o = rows[0]
    data = OrderStatusChangedV1(order_id=order_id, status=status, changed_at=at, channel=o.channel,
                                channel_order_ref=o.channel_order_ref, po_number=o.po_number,
                                erp_order_number=o.erp_order_number, detail=detail)
    # "accepted" happens once per order, and may be emitted twice (see OrderFlows.post_to_erp)
    key = f"order:{order_id}:accepted" if status == "accepted" else f"order:{order_id}:{status}:{at.isoformat()}"
    await _fan_out(conn, rows, "order.status_changed", order_id, key, data, at)


async def shipment_created(conn: AsyncConnection, shipment: ShipmentConfirmed) -> None:
    rows = await _order_subscribers(conn, shipment.order_id)
    if not rows:
        return
    data = ShipmentCreatedV1(order_id=shipment.order_id, shipment_id=shipment.shipment_id, carrier=shipment.carrier,
                             tracking_number=shipment.tracking_number, shipped_at=shipment.shipped_at,
                             lines=[ShipmentLineV1(sku=l.sku, quantity=l.quantity) for l in shipment.lines],
                             po_number=rows[0].po_number)
    await _fan_out(conn, rows, "shipment.created", shipment.order_id, f"shipment:{shipment.shipment_id}", data,
                   datetime.now(UTC))


async def return_updated(conn: AsyncConnection, rma_id: str, status: str, refund_status: str, at: datetime,
                         detail: str | None) -> None:
    joined = subs.join(returns, returns.c.customer_id == subs.c.customer_id)
    rows = list((await conn.execute(select(*_SUB, returns.c.order_id).select_from(joined)
                                    .where(returns.c.rma_id == rma_id))).all())
    if not rows:
        return
    order_id = rows[0].order_id
    data = ReturnUpdatedV1(rma_id=rma_id, order_id=order_id, status=status, refund_status=refund_status,
                           changed_at=at, detail=detail)
    key = f"return:{rma_id}:{status}:{refund_status}:{at.isoformat()}"
    await _fan_out(conn, rows, "return.updated", order_id, key, data, at)


async def inventory_changed(conn: AsyncConnection, change: StockChanged) -> None:
    await inventory_changed_many(conn, [change])


async def inventory_changed_many(conn: AsyncConnection, changes: list[StockChanged]) -> None:
    """``inventory_changed`` for a batch of applied reports: the subscribers are read once."""
    rows = list((await conn.execute(select(*_SUB))).all()) if changes else []
    if not rows:
        return
    now = datetime.now(UTC)
    for change in changes:
        data = InventoryChangedV1(sku=change.sku, location=change.location, on_hand=change.on_hand,
                                  available=change.available, sequence=change.sequence, changed_at=now)
        lane = f"{change.sku}@{change.location}"
        await _fan_out(conn, rows, "inventory.changed", lane, f"stock:{lane}:{change.sequence}", data, now)


async def _fan_out(conn: AsyncConnection, rows: list[Any], type_: str, lane: str, key: str, data: msgspec.Struct,
                   at: datetime) -> None:
    wanted = [r for r in rows if type_ in r.events]
    if not wanted:
        return
    body = msgspec.json.encode(Envelope(type=type_, timestamp=at, data=data)).decode()
    await repo.add_deliveries(conn, wanted, key, type_, lane[:100], body, datetime.now(UTC))
