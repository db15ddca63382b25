"""856 advance ship notice and 810 invoice for each shipment of an EDI order.

``shipment_recorded`` runs in the transaction that records a shipment (the order
flows call it beside the partner webhooks' event): for an order that came from an
850 it enqueues ``edi.shipped``, so the notice exists exactly when the shipment
does. The handler writes the 856 and the 810 in one transaction, each unique per
shipment: a message delivered twice sends nothing twice. The invoice bills the
units shipped at the order's unit prices (one invoice per shipment).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.edi import repository as repo
from process_apis.edi.outbound import Outbound, Partners
from process_apis.edi.schemas import ShippedJob
from process_apis.orders import repository as orders_repo
from shared.db.engine import reading
from shared.errors import NotFound
from shared.messaging.outbox import Message, enqueue
from shared.models import ShipmentConfirmed
from system_apis.edi.port import Shipped, X12Codec

SHIPPED_TOPIC = "edi.shipped"


async def shipment_recorded(conn: AsyncConnection, shipment: ShipmentConfirmed) -> None:
    if await repo.order_of(conn, shipment.order_id) is not None:
        await enqueue(conn, SHIPPED_TOPIC, shipment.order_id, ShippedJob(shipment=shipment))


class EdiShipping:
    def __init__(self, engine: AsyncEngine, codec: X12Codec, partners: Partners, outbound: Outbound) -> None:
        self._engine = engine
        self._codec = codec
        self._partners = partners
        self._out = outbound

    def handlers(self) -> dict:
        return {SHIPPED_TOPIC: self.notify}

    async def notify(self, message: Message) -> None:
        shipment = message.decode(ShippedJob).shipment
        async with reading(self._engine) as conn:
            found = await repo.order_of(conn, shipment.order_id)
            order = await orders_repo.load(conn, shipment.order_id)
        if found is None or order is None:
            raise NotFound(f"No EDI order {shipment.order_id}.", code="unknown_order")
        name, po = found
        partner = self._partners.named(name)
        prices = {line.sku: line.unit_price for line in order.lines}
        left = {line.sku: line.quantity for line in shipment.lines}
        lines = []
        for line in po.lines:  # the shipped units, spread over the PO lines of each SKU in order
            units = min(left.get(line.sku, 0), line.quantity)
            if units > 0 and line.sku in prices:
                left[line.sku] -= units
                lines.append((line, units, prices[line.sku]))
        shipped = Shipped(po=po, order_id=order.order_id, shipment_id=shipment.shipment_id, carrier=shipment.carrier,
                          tracking_number=shipment.tracking_number, shipped_at=shipment.shipped_at,
                          lines=tuple(lines), currency=order.currency)
        async with self._engine.begin() as conn:
            notice = await self._out.send(conn, partner, "856", shipment.shipment_id,
                                          lambda env: self._codec.ship_notice(env, shipped),
                                          order_id=order.order_id, po_number=po.po_number)
            invoice = await self._out.send(conn, partner, "810", shipment.shipment_id,
                                           lambda env: self._codec.invoice(env, shipped),
                                           order_id=order.order_id, po_number=po.po_number)
        self._out.drop_off([notice, invoice])
