"""The BigCommerce sandbox store: orders of the CONTRACT section 9 items (v2: products, shipping
addresses, shipments), inventory at locations coded like the hub's (v3), refunds, and the thin
``store/order/created`` webhooks signed as Standard Webhooks."""

from __future__ import annotations

import itertools
import time
import uuid
from decimal import Decimal

import msgspec

from system_apis.bigcommerce.vendor_schemas import (
    BigAdjustmentItem, BigLocation, BigOrder, BigOrderProduct, BigRefund, BigRefundOut, BigShipment, BigShipmentOut,
    BigShippingAddress, BigWebhook, BigWebhookData,
)
from system_apis.bigcommerce.webhooks import ORDER_CREATED, signature
from system_apis.sandbox import seed
from system_apis.sandbox.channel_controls import OrderIn
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer

STORE_HASH = "sandbox1"
LOCATIONS = ("DC-EAST", "DC-WEST", "STORE-NYC", "STORE-BOS")


class BigNotFound(Exception):
    pass


class BigInvalid(Exception):
    pass


class BigCommerceBackend:
    name = "bigcommerce"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self._order_ids = itertools.count(100)  # grows across resets, as a store's ids do
        self._ids = itertools.count(1)
        self.locations = [BigLocation(id=n + 1, code=code) for n, code in enumerate(LOCATIONS)]
        self.reset()

    def reset(self) -> None:
        self.orders: dict[int, BigOrder] = {}
        self.products: dict[int, list[BigOrderProduct]] = {}
        self.addresses: dict[int, list[BigShippingAddress]] = {}
        self.shipments: list[BigShipment] = []
        self.refunds: list[BigRefund] = []
        self.inventory: dict[tuple[str, int], int] = {}
        self._sent: dict[int, bytes] = {}

    def order(self, order_id: int) -> BigOrder:
        if order_id not in self.orders:
            raise BigNotFound()
        return self.orders[order_id]

    def create(self, body: OrderIn) -> BigOrder:
        order_id = next(self._order_ids)
        products = [BigOrderProduct(id=next(self._ids), order_id=order_id, sku=line.sku, quantity=line.quantity,
                                    price_inc_tax=Decimal(line.price)) for line in body.line_items]
        order = BigOrder(id=order_id, currency_code=seed.CURRENCY,
                         total_inc_tax=sum((p.price_inc_tax * p.quantity for p in products), Decimal("0.00")))
        self.orders[order_id], self.products[order_id] = order, products
        self.addresses[order_id] = [BigShippingAddress(
            id=next(self._ids), first_name="Sam", last_name="Sandbox", street_1="1 Sandbox Way", city="Springfield",
            state="Illinois", zip="62701", country_iso2="US", email=body.email or "buyer@example.com")]
        hook = BigWebhook(scope=ORDER_CREATED, store_id="1001", producer=f"stores/{STORE_HASH}",
                          data=BigWebhookData(type="order", id=order_id), created_at=int(time.time()))
        self._sent[order_id] = msgspec.json.encode(hook)
        self.announcer.outbox.append(hook)
        self.deliver(order_id)
        return order

    def deliver(self, order_id: int) -> str | None:
        body = self._sent.get(order_id)
        if body is None:
            return None
        webhook_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
        self.announcer.deliver(body, {"webhook-id": webhook_id, "webhook-timestamp": stamp,
                                      "webhook-signature": signature(self.announcer.secret, webhook_id, stamp, body)})
        return webhook_id

    def ship(self, order_id: int, body: BigShipmentOut) -> BigShipment:
        self.order(order_id)
        known = {p.id for p in self.products[order_id]}
        if not body.items or any(i.order_product_id not in known for i in body.items):
            raise BigInvalid("The field 'items' is invalid.")
        shipment = BigShipment(id=next(self._ids), order_id=order_id, tracking_number=body.tracking_number,
                               comments=body.comments, items=body.items)
        self.shipments.append(shipment)
        self.orders[order_id] = msgspec.structs.replace(self.orders[order_id], status="Shipped")
        return shipment

    def refund(self, order_id: int, body: BigRefundOut) -> BigRefund:
        order = self.order(order_id)
        amount = sum((p.amount for p in body.payments), Decimal("0.00"))
        done = sum((r.total_amount for r in self.refunds if r.order_id == order_id), Decimal(0))
        if amount <= 0 or done + amount > order.total_inc_tax:
            raise BigInvalid("The refund amount is more than the order's refundable amount.")
        made = BigRefund(id=next(self._ids), order_id=order_id, total_amount=amount, reason=body.reason)
        self.refunds.append(made)
        return made

    def adjust(self, items: list[BigAdjustmentItem]) -> None:
        ids = {loc.id for loc in self.locations}
        if any(item.location_id not in ids for item in items):
            raise BigInvalid("Unknown location.")
        for item in items:
            self.inventory[item.sku, item.location_id] = item.quantity
