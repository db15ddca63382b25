"""The WooCommerce sandbox store: products (the CONTRACT section 9 items at their list prices),
orders with their notes and refunds, and the ``order.created`` webhooks.

A product's stock is unmanaged until the hub sets it (``manage_stock`` and
``stock_quantity``). A webhook is delivered as WooCommerce does: the order
JSON with ``X-WC-Webhook-Topic: order.created``, ``X-WC-Webhook-Resource``,
``X-WC-Webhook-Event``, ``X-WC-Webhook-Source``, ``X-WC-Webhook-ID``,
``X-WC-Webhook-Delivery-ID`` (new on each delivery) and
``X-WC-Webhook-Signature`` (base64 HMAC-SHA256 of the body).
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal

import msgspec

from system_apis.sandbox import seed
from system_apis.sandbox.channel_controls import OrderIn
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.formats import money, rfc3339_now
from system_apis.woocommerce.vendor_schemas import (
    WooAddress, WooBilling, WooLineItem, WooNote, WooOrder, WooProduct, WooRefund, WooRefundOut, WooStockUpdate,
)
from system_apis.woocommerce.webhooks import ORDER_CREATED, signature

SOURCE = "https://sandbox-store.example.com/"
WEBHOOK_ID = "1"
DEFAULT_SHIPPING = WooAddress(first_name="Sam", last_name="Sandbox", address_1="1 Sandbox Way", city="Springfield",
                              state="IL", postcode="62701", country="US")


class WooNotFound(Exception):
    """``woocommerce_rest_<resource>_invalid_id``, 404."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.code = f"woocommerce_rest_{resource}_invalid_id"


class WooBackend:
    name = "woocommerce"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self._order_ids = itertools.count(7001)  # grows across resets, as a store's ids do
        self._ids = itertools.count(9_000_001)
        self.reset()

    def reset(self) -> None:
        self.products = {101 + n: WooProduct(id=101 + n, sku=item.sku, name=item.name,
                                             regular_price=money(item.list_price))
                         for n, item in enumerate(seed.ITEMS)}
        self.orders: dict[int, WooOrder] = {}
        self.notes: dict[int, list[WooNote]] = {}
        self.refunds: dict[int, list[WooRefund]] = {}
        self._sent: dict[int, bytes] = {}

    def find(self, skus: list[str] | None) -> list[WooProduct]:
        return [p for _, p in sorted(self.products.items()) if skus is None or p.sku in skus]

    def set_stock(self, product_id: int, change: WooStockUpdate) -> WooProduct:
        """Set the stock; ``meta_data`` entries are upserted by key, as WooCommerce does."""
        if product_id not in self.products:
            raise WooNotFound("product")
        old = self.products[product_id]
        meta = {m.key: m for m in old.meta_data} | {m.key: m for m in change.meta_data}
        product = msgspec.structs.replace(old, manage_stock=True, stock_quantity=change.stock_quantity,
                                          meta_data=list(meta.values()))
        self.products[product_id] = product
        return product

    def order(self, order_id: int) -> WooOrder:
        if order_id not in self.orders:
            raise WooNotFound("shop_order")
        return self.orders[order_id]

    def set_status(self, order_id: int, status: str) -> WooOrder:
        self.orders[order_id] = msgspec.structs.replace(self.order(order_id), status=status)
        return self.orders[order_id]

    def add_note(self, order_id: int, note: WooNote) -> WooNote:
        self.order(order_id)
        made = WooNote(id=next(self._ids), note=note.note, customer_note=note.customer_note,
                       date_created=rfc3339_now())
        self.notes.setdefault(order_id, []).append(made)
        return made

    def add_refund(self, order_id: int, body: WooRefundOut) -> WooRefund:
        self.order(order_id)
        made = WooRefund(id=next(self._ids), amount=Decimal(body.amount), reason=body.reason,
                         date_created=rfc3339_now())
        self.refunds.setdefault(order_id, []).append(made)
        return made

    def create(self, body: OrderIn) -> tuple[WooOrder, str]:
        """A paid (``processing``) order, announced as ``order.created``; the order and the delivery id."""
        order_id = next(self._order_ids)
        lines = [WooLineItem(id=next(self._ids), name=line.title or line.sku, quantity=line.quantity, sku=line.sku,
                             product_id=next((p.id for p in self.find([line.sku])), 0), price=Decimal(line.price),
                             total=money(Decimal(line.price) * line.quantity)) for line in body.line_items]
        order = WooOrder(id=order_id, number=str(order_id), status="processing", currency=seed.CURRENCY,
                         total=Decimal(money(sum((Decimal(l.total) for l in lines), Decimal(0)))),
                         date_created=rfc3339_now(), billing=WooBilling(email=body.email or "buyer@example.com"),
                         shipping=DEFAULT_SHIPPING, line_items=lines)
        self.orders[order_id] = order
        self._sent[order_id] = msgspec.json.encode(order)
        self.announcer.outbox.append(order)
        return order, self.deliver(order_id) or ""

    def deliver(self, order_id: int) -> str | None:
        """Send the order's webhook (again): a new delivery id each time, as WooCommerce does."""
        body = self._sent.get(order_id)
        if body is None:
            return None
        delivery = str(uuid.uuid4())
        self.announcer.deliver(body, {
            "X-WC-Webhook-Source": SOURCE, "X-WC-Webhook-Topic": ORDER_CREATED, "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "created", "X-WC-Webhook-ID": WEBHOOK_ID, "X-WC-Webhook-Delivery-ID": delivery,
            "X-WC-Webhook-Signature": signature(self.announcer.secret, body).decode()})
        return delivery
