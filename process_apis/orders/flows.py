"""The order's asynchronous life after acceptance, as idempotent message handlers.

    order.accepted      post the sales order to the ERP (key: the order id)  -> posted
    order.posted        release it to the WMS (key: the order id)            -> released
                        (with several fulfilment connections: each part of it to the
                        connection serving its lines' locations, once; see ``release``)
    shipment.confirmed  record the shipment, free its reservations           -> shipped
                        (an order released in parts: once every part has shipped)
                        (or refuse it whole: more than ordered, a resend under a
                        new id, a SKU not on the order; see ``shipping``)
    channel.fulfil      tell the order's channel platform it shipped (platform orders only)

Each handler reads the order's current status first and does nothing when the
step is already done, and each status change is conditional, so a message
delivered twice, or replayed from the dead-letter queue, changes nothing twice.
The ERP and WMS steps share their reads and writes with the handlers running at
the same time (``flow_batch``): a few statements per batch, not per order.
Backend failures propagate: the worker retries ``BackendUnavailable`` with
backoff and dead-letters the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec
from shared.db.engine import reading
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.edi.shipping import shipment_recorded as edi_shipment_recorded
from process_apis.inventory.stock import StockBook
from process_apis.notifications import events as partner_events
from process_apis.orders import repository as repo
from process_apis.orders import release_parts, rules, shipping
from process_apis.orders.flow_batch import POSTED, RELEASED, FlowBatches
from process_apis.orders.release import Releases, released_detail
from shared.errors import BusinessRuleViolation, NotFound
from shared.metrics import Registry
from shared.messaging.outbox import Message, enqueue
from shared.models import Address, FulfilmentLine, FulfilmentRequest, OrderLine, SalesOrder, ShipmentConfirmed
from system_apis.erp.port import ErpPort
from system_apis.channel.port import ChannelPlatformPort
from system_apis.wms.fulfilment_port import FulfilmentPort
from system_apis.wms.fulfilment_routes import FulfilmentRoutes


class ChannelFulfil(msgspec.Struct, frozen=True):
    order_id: str
    shipment_id: str


class OrderFlows:
    def __init__(self, engine: AsyncEngine, erp: ErpPort, wms: FulfilmentPort,
                 channels: Mapping[str, ChannelPlatformPort] | None, stock: StockBook, *,
                 wake: Callable[[], None] = lambda: None, metrics: Registry | None = None,
                 routes: FulfilmentRoutes | None = None,
                 released: Callable[[Sequence[str]], object] = lambda skus: None) -> None:
        """``channels``: the channel platform serving each channel (an order's ``channel``);
        ``routes``: the fulfilment connections when there are several (else all goes to ``wms``);
        ``released(skus)``: after a shipment's holds are given back (committed)."""
        self._engine = engine
        self._batches = FlowBatches(engine)
        self._refused = (metrics or Registry()).counter(
            "hub_shipments_refused_total", "Shipment confirmations refused (dead-lettered), by reason.", ("reason",))
        for reason in shipping.REASONS:
            self._refused.inc(reason, amount=0)  # every series present from the start, for alerting
        self._erp = erp
        self._wms = wms
        self._channels = channels or {}
        self._stock = stock
        self._wake = wake
        self._released = released
        self._releases = Releases(engine, routes, stock) if routes is not None and routes.several else None

    def handlers(self) -> dict:
        return {"order.accepted": self.post_to_erp, "order.posted": self.release_to_wms,
                "shipment.confirmed": self.record_shipment, "channel.fulfil": self.fulfil_on_channel}

    async def post_to_erp(self, message: Message) -> None:
        order = await self._order(message.decode(repo.OrderRef).order_id)
        if order.status != "accepted":
            return
        if order.customer_id is not None:  # PostgreSQL's one-trip capture emits no event: once here
            async with self._engine.begin() as conn:  # (a guest order has no subscriber: they follow a customer)
                await partner_events.order_status_changed(conn, order.order_id, "accepted", order.created_at, None)
        ref = await self._erp.post_sales_order(SalesOrder(
            order_id=order.order_id, channel=order.channel, channel_order_ref=order.channel_order_ref,
            customer_id=order.customer_id, po_number=order.po_number, currency=order.currency,
            lines=tuple(OrderLine(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price,
                                  extended_price=l.extended_price) for l in order.lines),
            total=order.total, ship_to=_address(order.ship_to), created_at=order.created_at,
        ))
        await self._batches.record(POSTED, order, ref.erp_order_number, f"ERP sales order {ref.erp_order_number}")
        self._wake()

    async def release_to_wms(self, message: Message) -> None:
        """Release a posted order; and an order whose shipment came in before its release was written
        (a worker stopped between the two): the release again (idempotent at the warehouse) only to
        record its fulfilment id and step, the status left as the shipment set it."""
        order = await self._order(message.decode(repo.OrderRef).order_id)
        late = order.status in repo.SHIPPED_ALREADY and order.fulfilment_id is None
        if order.status != "posted" and not late:
            return
        if self._releases is not None:
            found = await self._releases.release(order, _address(order.ship_to))
            fulfilment_id, detail = found[0].fulfilment_id, released_detail(found)[:500]
        else:
            ref = await self._wms.release(FulfilmentRequest(
                order_id=order.order_id, ship_to=_address(order.ship_to),
                lines=tuple(FulfilmentLine(sku=l.sku, quantity=l.quantity) for l in order.lines)))
            fulfilment_id, detail = ref.fulfilment_id, f"WMS fulfilment {ref.fulfilment_id}"
            if not late and await self._batches.record(RELEASED, order, fulfilment_id, detail):
                return
        async with self._engine.begin() as conn:  # not moved from posted: its shipment may have come first
            if late or not await repo.move(conn, order.order_id, "released", ["posted"], fulfilment_id=fulfilment_id,
                                           detail=detail):
                await repo.record_late_release(conn, order.order_id, fulfilment_id, detail)

    async def record_shipment(self, message: Message) -> None:
        """Apply the shipment whole, or refuse it (see ``shipping``): a refusal is counted
        (``hub_shipments_refused_total{reason}``) and raised, so the worker dead-letters it."""
        shipment = message.decode(ShipmentConfirmed)
        refused = None
        async with self._engine.begin() as conn:
            order = await repo.lock(conn, shipment.order_id)  # concurrent shipments: one at a time
            if order is None:
                raise NotFound(f"No order {shipment.order_id}.", code="unknown_order")
            earlier = await repo.shipments_of(conn, order.order_id)
            if any(s.shipment_id == shipment.shipment_id for s in earlier):
                return  # this shipment was recorded before
            refused = shipping.refusal(order.status, shipping.per_sku(order.lines), earlier, shipment)
            if refused is None:
                await self._apply(conn, order, shipment)
        if refused is not None:
            self._refused.inc(refused.code)
            raise BusinessRuleViolation(refused.detail, code=refused.code)
        self._released(sorted(shipping.per_sku(shipment.lines)))
        self._wake()

    async def _apply(self, conn: AsyncConnection, order: repo.StoredOrder, shipment: ShipmentConfirmed) -> None:
        await repo.add_shipment(conn, shipment)
        await partner_events.shipment_created(conn, shipment)
        await edi_shipment_recorded(conn, shipment)  # an 850's order: its 856 and 810
        for sku, quantity in sorted(shipping.per_sku(shipment.lines).items()):  # capture's lock order
            await self._stock.unreserve(conn, sku, quantity)
        if not await release_parts.ship(conn, order.order_id, [l.sku for l in shipment.lines], shipment.shipped_at):
            moved = False  # another part of the order has not shipped yet
        else:
            moved = await repo.move(conn, order.order_id, "shipped", ["accepted", "posted", "released"],
                                    detail=f"{shipment.carrier} {shipment.tracking_number}")
        if moved and order.customer_id is not None and (order.payment is None):
            await repo.remove_exposure(conn, order.customer_id, rules.cents(order.total))
        if order.channel in self._channels:
            await enqueue(conn, "channel.fulfil", order.order_id,
                          ChannelFulfil(order_id=order.order_id, shipment_id=shipment.shipment_id))

    async def fulfil_on_channel(self, message: Message) -> None:
        job = message.decode(ChannelFulfil)
        async with reading(self._engine) as conn:
            order = await repo.view(conn, job.order_id, None)
        if order is None:
            raise NotFound(f"No order {job.order_id}.", code="unknown_order")
        shipment = next((s for s in order.shipments if s.shipment_id == job.shipment_id), None)
        platform = self._channels.get(order.channel)
        if shipment is None or platform is None or order.channel_order_ref is None:
            return
        await platform.create_fulfilment(
            order.channel_order_ref, shipment.tracking_number, shipment.carrier,
            [FulfilmentLine(sku=l.sku, quantity=l.quantity) for l in shipment.lines],
            idempotency_key=f"{order.order_id}:{shipment.shipment_id}")

    async def _order(self, order_id: str) -> repo.StoredOrder:
        order = await self._batches.load(order_id)
        if order is None:
            raise NotFound(f"No order {order_id}.", code="unknown_order")
        return order


def _address(raw: dict | None) -> Address | None:
    return msgspec.convert(raw, Address) if raw else None
