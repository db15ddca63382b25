"""The Magento 2 sandbox store: orders of the CONTRACT section 9 items, their shipments and
credit memos, and MSI source items. Orders are placed by a control and announced by no webhook
(Magento open source has none): the hub polls ``GET /V1/orders``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from system_apis.magento.vendor_schemas import (
    MageAddress, MageAssignment, MageCreditMemo, MageItem, MageOrder, MageOrderExtension, MageShipment,
    MageShipping, RefundBody, ShipBody, SourceItem,
)
from system_apis.sandbox import seed
from system_apis.sandbox.channel_controls import OrderIn
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer

ADDRESS = MageAddress(firstname="Sam", lastname="Sandbox", street=["1 Sandbox Way"], city="Springfield",
                      region_code="IL", postcode="62701", country_id="US")


class MageNotFound(Exception):
    pass


class MageInvalid(Exception):
    pass


def now() -> str:
    """Magento's timestamps: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


class MagentoBackend:
    name = "magento"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self._order_ids = itertools.count(3001)  # grows across resets, as a store's ids do
        self._ids = itertools.count(50_001)
        self.reset()

    def reset(self) -> None:
        self.orders: dict[int, MageOrder] = {}
        self.shipped: dict[int, dict[int, int]] = {}
        self.shipments: list[MageShipment] = []
        self.memos: list[MageCreditMemo] = []
        self.sources: dict[tuple[str, str], SourceItem] = {}

    def create(self, body: OrderIn) -> MageOrder:
        items = [MageItem(item_id=next(self._ids), sku=line.sku, qty_ordered=Decimal(line.quantity),
                          price=Decimal(line.price)) for line in body.line_items]
        order = MageOrder(entity_id=next(self._order_ids), state="processing", status="processing",
                          order_currency_code=seed.CURRENCY, created_at=now(),
                          grand_total=sum((i.price * i.qty_ordered for i in items), Decimal("0.00")),
                          customer_email=body.email or "buyer@example.com", items=items,
                          extension_attributes=MageOrderExtension(shipping_assignments=[
                              MageAssignment(shipping=MageShipping(address=ADDRESS))]))
        order = msgspec.structs.replace(order, increment_id=f"{order.entity_id:09d}")
        self.orders[order.entity_id] = order
        self.announcer.outbox.append(order)
        return order

    def order(self, order_id: int) -> MageOrder:
        if order_id not in self.orders:
            raise MageNotFound()
        return self.orders[order_id]

    def ship(self, order_id: int, body: ShipBody) -> int:
        order = self.order(order_id)
        done = self.shipped.setdefault(order_id, {})
        wanted = {i.order_item_id: i.qty for i in body.items} or {i.item_id: int(i.qty_ordered) for i in order.items}
        left = {i.item_id: int(i.qty_ordered) - done.get(i.item_id, 0) for i in order.items}
        if not wanted or any(qty > left.get(item, 0) for item, qty in wanted.items()):
            raise MageInvalid("Shipment Document Validation Error(s):\nThe order does not allow a shipment to be "
                              "created.")
        for item, qty in wanted.items():
            done[item] = done.get(item, 0) + qty
        shipment = MageShipment(entity_id=next(self._ids), order_id=order_id, tracks=body.tracks,
                                comments=[body.comment] if body.comment else [])
        self.shipments.append(shipment)
        if all(left[item] == wanted.get(item, 0) for item in left):
            self.orders[order_id] = msgspec.structs.replace(order, state="complete", status="complete")
        return shipment.entity_id

    def refund(self, order_id: int, body: RefundBody) -> int:
        order = self.order(order_id)
        prices = {i.item_id: i.price for i in order.items}
        total = sum((prices.get(i.order_item_id, Decimal(0)) * i.qty for i in body.items), Decimal("0.00"))
        total += body.arguments.shipping_amount + body.arguments.adjustment_positive - body.arguments.adjustment_negative
        refunded = sum((m.grand_total for m in self.memos if m.order_id == order_id), Decimal(0))
        if total <= 0 or refunded + total > order.grand_total:
            raise MageInvalid("The most money available to refund is %1.")
        memo = MageCreditMemo(entity_id=next(self._ids), order_id=order_id, grand_total=total,
                              comments=[body.comment] if body.comment else [])
        self.memos.append(memo)
        return memo.entity_id

    def save_sources(self, items: list[SourceItem]) -> None:
        for item in items:
            self.sources[item.sku, item.source_code] = item
